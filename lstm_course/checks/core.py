"""The check machinery, split so that the batch grader can run its halves in two processes.

    cases = make_cases(exercise, rng, **options)    # grader's process: kwargs dicts
    outcomes = [run_learner(fn, kw) for kw in cases]   # learner's kernel (outcome.run_function)
    result = judge(exercise, cases, outcomes, **options)   # grader's process again

`judge` never trusts the learner's process: it recomputes the reference (and every known
mistake) itself on the pristine cases, and only reads the plain data in each Outcome.
`run_check` does all three in one process, which is what the notebooks' checks do.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..exercises import Exercise, get_exercise
from ..exercises.cases import case_shape, describe
from ..gradcheck import rel_error
from . import diagnose, reading
from .explain import argument_slips, explain, headline, wrong_shape
from .freshness import stale_reason
from .outcome import normalize, run_function
from .result import CheckResult

__all__ = ["Outcome", "make_cases", "run_learner", "judge", "run_check", "NOT_ATTEMPTED"]

ANSWER_FREE_TEXT = (
    "This is the answer-free build of lstm_course (a graded lab): it holds no answer to "
    "compare {name} with, so the check runs when your instructor grades the notebook."
)

NOT_ATTEMPTED = (
    "Replace the `raise NotImplementedError(...)` line with your code, run that "
    "cell, then run this check again."
)


@dataclass
class Outcome:
    """What happened when the learner's function ran on one case (plain data only).

    status: 'returned' | 'not_implemented' | 'raised'; value: the normalized return value
    (see lstm_course.checks.outcome.normalize); type_name: the returned object's type;
    error: 'ValueError: ...'; error_line: 'line 4: x = ...' (the learner's own line);
    error_function: the function that line is in; mutated: argument paths changed in place;
    error_shapes: when it raised, the variables of that line's frame (name -> shape list, or a
    type text such as 'None'); error_callee: the function error_line called into when the
    error came from inside it; overflow: a NumPy overflow or invalid operation happened;
    source: the learner's function as text (read, never run, by the judge).
    """

    status: str
    value: object = None
    type_name: str = ""
    error: str = ""
    error_line: str = ""
    error_function: str = ""
    mutated: tuple = field(default_factory=tuple)
    error_shapes: dict = field(default_factory=dict)
    overflow: bool = False
    error_callee: str = ""
    source: str = ""

    def __post_init__(self):
        self.mutated = tuple(self.mutated)
        self.error_callee = self.error_callee if isinstance(self.error_callee, str) else ""
        self.source = self.source if isinstance(self.source, str) else ""
        self.error_shapes = dict(self.error_shapes) if isinstance(self.error_shapes, dict) else {}
        self.overflow = self.overflow is True

    @classmethod
    def from_dict(cls, d: dict) -> Outcome:
        known = {
            k: d[k]
            for k in (
                "status",
                "value",
                "type_name",
                "error",
                "error_line",
                "error_function",
                "mutated",
                "error_shapes",
                "overflow",
                "error_callee",
                "source",
            )
            if k in d
        }
        return cls(**known)

    def to_dict(self) -> dict:
        return dict(
            status=self.status,
            value=self.value,
            type_name=self.type_name,
            error=self.error,
            error_line=self.error_line,
            error_function=self.error_function,
            mutated=list(self.mutated),
            error_shapes=dict(self.error_shapes),
            overflow=self.overflow,
            error_callee=self.error_callee,
            source=self.source,
        )


def make_cases(exercise, rng=None, **options) -> list[dict]:
    """The exercise's cases (a fixed seed per exercise when rng is None)."""
    return get_exercise(exercise).make_cases(rng, **options)


def run_learner(fn, kwargs: dict, keyword_only=("variant",)) -> Outcome:
    """Run the learner's function on deep copies of one case's arguments (never raises,
    except KeyboardInterrupt: pressing stop still stops)."""
    return Outcome.from_dict(run_function(fn, kwargs, keyword_only=keyword_only))


def run_check(exercise, fn, rng=None, **options) -> CheckResult:
    """make_cases + run_learner on each case + judge, in this process. Never raises."""
    try:
        ex = get_exercise(exercise)
    except KeyError as exc:
        return CheckResult.make(str(exercise), "failed", str(exc.args[0]), 1)
    if ex.answer_free:
        return CheckResult.make(
            ex.name,
            "not-checked",
            ANSWER_FREE_TEXT.format(name=ex.name),
            ex.max_score,
        )
    try:
        cases = ex.make_cases(rng, **options)
    except ValueError as exc:
        return CheckResult.make(ex.name, "failed", f"check_{ex.name}: {exc}", ex.max_score)
    if not callable(fn):
        what = "None" if fn is None else f"a {type(fn).__name__}"
        return CheckResult.make(
            ex.name,
            "failed",
            f"check_{ex.name} needs your function itself, got {what}: call "
            f"check_{ex.name}({ex.name}), with no parentheses after "
            f"{ex.name}.",
            ex.max_score,
        )
    stale = stale_reason(ex.name, fn)  # a failed cell left an older version behind
    if stale:
        return CheckResult.make(ex.name, "failed", stale, ex.max_score)
    outcomes = []
    for case in cases:
        outcome = run_learner(fn, case, ex.keyword_only)
        outcomes.append(outcome)
        if outcome.status == "not_implemented":
            break
    try:
        return judge(ex, cases, outcomes, **options)
    except Exception as exc:  # noqa: BLE001 - a bug of ours must not look like the learner's
        return CheckResult.make(
            ex.name,
            "failed",
            f"The checker could not judge this answer ({type(exc).__name__}: {exc}). "
            "This is a bug in lstm_course, not in your code: please report it.",
            ex.max_score,
        )


# --------------------------------------------------------------------------- judging


def _quietly(fn, kwargs):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(**copy.deepcopy(kwargs))


def _label(ex: Exercise, path: tuple) -> str:
    """How messages name a part of the output: 'your output', "your 'W_f'", 'your STM_T'."""
    if path in ex.output_labels:
        return "your " + ex.output_labels[path]
    if not path:
        return "your output"
    if len(path) == 1 and isinstance(path[0], str):
        return f"your {path[0]!r}"
    return "your output" + "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in path)


def _describe_form(v) -> str:
    if v is None:
        return "None"
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape}"
    if isinstance(v, tuple):
        return f"a tuple of {len(v)} items"
    if isinstance(v, list):
        return f"a list of {len(v)} items"
    if isinstance(v, dict):
        return f"a dict with keys {', '.join(map(repr, v))}" if v else "an empty dict"
    return f"a {v}"


def _foreign_text(got: str, shape) -> str:
    if got.startswith("torch"):
        return "is a torch.Tensor; this exercise works in NumPy: convert it with .detach().numpy()"
    if got.startswith("ndarray of dtype"):
        return (
            f"is an {got}; expected numbers (float64). An object array usually means "
            "np.array(...) was given arrays of different shapes"
        )
    if got in ("float", "int", "bool", "complex") or got.startswith("numpy."):
        return (
            f"is a single number ({got}); expected a NumPy array of shape {shape} — "
            "did you reduce it with sum/mean/max?"
        )
    return f"is a {got}; expected a NumPy array of shape {shape}"


def _diff(ex, exp, got, path, problems, rel):
    """Append (kind, path, text) for every way `got` differs from `exp`.

    Kinds: 'none' (None where a value belongs), 'foreign' (not plain data: a torch.Tensor, a
    number, ...), 'form' (another container), 'shape', 'dtype', 'nonfinite', 'value'.
    """
    label = _label(ex, path)
    if got is None and exp is not None:
        problems.append(("none", path, _none_text(ex) if not path else f"{label} is None"))
        return
    if isinstance(got, str) and not isinstance(exp, str):
        if isinstance(exp, np.ndarray):
            text = f"{label} {_foreign_text(got, exp.shape)}"
        elif isinstance(exp, tuple):
            text = f"{label} is a {got}; expected a tuple of {len(exp)} items"
        else:
            text = f"{label} is a {got}; expected {_describe_form(exp)}"
        problems.append(("foreign", path, text))
        return
    if isinstance(exp, np.ndarray):
        if isinstance(got, (list, tuple)):
            kind = "tuple" if isinstance(got, tuple) else "list"
            problems.append(
                (
                    "form",
                    path,
                    f"{label} is a {kind} of {len(got)} items; expected one NumPy array "
                    f"of shape {exp.shape}"
                    + (" (use np.array(...) or NumPy operations)" if kind == "list" else ""),
                )
            )
        elif not isinstance(got, np.ndarray):
            problems.append(
                (
                    "form",
                    path,
                    f"{label} is {_describe_form(got)}; expected a "
                    f"NumPy array of shape {exp.shape}",
                )
            )
        elif got.shape != exp.shape:
            problems.append(("shape", path, (label, got.shape, exp.shape)))
        elif got.dtype != exp.dtype:
            if got.dtype.kind in "iu":
                why = (
                    " — it was built from an integer array (np.zeros_like of an int array? "
                    "a rounding step?)"
                )
            elif got.dtype.kind == "b":
                why = " — a comparison (>, ==) where arithmetic belongs?"
            elif got.dtype.kind == "c":
                why = " — complex numbers appeared somewhere"
            else:
                why = _precision_text(exp.dtype, got.dtype)
            problems.append(
                ("dtype", path, f"{label} has dtype {got.dtype}; expected {exp.dtype}{why}")
            )
        else:
            g, e = got.astype(np.float64), exp.astype(np.float64)
            bad = ~np.isfinite(g) & np.isfinite(e)
            if bad.any():
                idx = tuple(int(i) for i in np.argwhere(bad)[0])
                what = "NaN" if np.isnan(g[idx]) else "inf"
                problems.append(
                    (
                        "nonfinite",
                        path,
                        f"{label} contains {what} (first at index {idx}) where the "
                        "expected values are finite — an exp or a division "
                        "overflowing? np.tanh and the package's sigmoid never do",
                    )
                )
            elif not _close(e, g, ex.tolerance, rel):
                problems.append(("value", path, (label, e, g)))
        return
    if isinstance(exp, tuple):
        if isinstance(got, (tuple, list)) and len(got) == len(exp):
            for k, (e, g) in enumerate(zip(exp, got, strict=True)):
                _diff(ex, e, g, path + (k,), problems, rel)
        else:
            problems.append(
                (
                    "form",
                    path,
                    f"{label} is {_describe_form(got)}; expected a tuple of {len(exp)} items",
                )
            )
        return
    if isinstance(exp, dict):
        if not isinstance(got, dict):
            problems.append(
                (
                    "form",
                    path,
                    f"{label} is {_describe_form(got)}; expected a dict "
                    f"with keys {', '.join(map(repr, exp))}",
                )
            )
            return
        missing = [k for k in exp if k not in got]
        if missing:
            problems.append(
                (
                    "form",
                    path,
                    f"{label} has no {', '.join(map(repr, missing))} "
                    f"(expected keys: {', '.join(map(repr, exp))})",
                )
            )
        for k in exp:
            if k in got:
                _diff(ex, exp[k], got[k], path + (k,), problems, rel)
        return
    if exp is None and got is not None:
        problems.append(
            (
                "form",
                path,
                f"{label} should be None"
                + (
                    " (the standard LSTM has no W_u, b_u)"
                    if path and path[-1] in ("W_u", "b_u")
                    else ""
                ),
            )
        )


def _none_text(ex) -> str:
    return f"your {ex.name} returned None — did you forget a `return`?"


def _close(e, g, tol, rel):
    if rel is not None:
        return rel_error(g, e) <= rel
    # np.allclose's test, without its overhead (this runs for every candidate explanation)
    with np.errstate(all="ignore"):
        bound = tol.get("atol", 1e-9) + tol.get("rtol", 1e-6) * np.abs(e)
        return bool((np.abs(g - e) <= bound).all())


def _matches(ex, mval, got, rel) -> bool:
    """Whether the learner's normalized output equals a mistake's (structure, shapes, values)."""
    if isinstance(mval, np.ndarray):
        if (
            not isinstance(got, np.ndarray)
            or got.shape != mval.shape
            or got.dtype.kind not in "biuf"
        ):
            return False
        g, m = got.astype(np.float64), mval.astype(np.float64)
        if not np.array_equal(np.isfinite(g), np.isfinite(m)):
            return False
        fin = np.isfinite(m)
        return _close(m[fin], g[fin], ex.tolerance, rel)
    if isinstance(mval, (tuple, list)):
        return (
            isinstance(got, (tuple, list))
            and len(got) == len(mval)
            and all(_matches(ex, m, g, rel) for m, g in zip(mval, got, strict=True))
        )
    if isinstance(mval, dict):
        return (
            isinstance(got, dict)
            and set(got) >= set(mval)
            and all(_matches(ex, mval[k], got[k], rel) for k in mval)
        )
    return mval is None and got is None


def _reproduces(ex, fn, cases, outcomes, rel, copy_cases=True) -> bool:
    """Whether fn's outputs equal the learner's on every case (stops at the first case that
    differs, so ruling a candidate out is cheap). copy_cases=False for the package's own
    edits of the answer, which never change their arguments (no deep copy: faster)."""
    for case, outcome in zip(cases, outcomes, strict=True):
        try:
            if copy_cases:
                value = normalize(_quietly(fn, case))
            else:
                with np.errstate(all="ignore"):
                    value = normalize(fn(**case))
        except Exception:  # noqa: BLE001 - a candidate that cannot run here matches nothing
            return False
        if not _matches(ex, value, outcome.value, rel):
            return False
    return True


def _run_quiet(fn, case):
    """A package edit of the answer run on a case (it never changes its arguments), normalized."""
    with np.errstate(all="ignore"):
        return normalize(fn(**case))


def _is_mistake(ex, mistake, cases, outcomes, rel) -> bool:
    return _reproduces(ex, ex.mistake_fn(mistake), cases, outcomes, rel)


def _axes(shape, dims: dict) -> str:
    """'(B, H)' for shape (4, 5) when B=4, H=5 — only when every axis has one reading."""
    names = dict(dims)
    if "H" in dims and "D" in dims:
        names["H+D"] = dims["H"] + dims["D"]
    if "H" in dims:
        names["4H"] = 4 * dims["H"]
    out = []
    for n in shape:
        found = [k for k, v in names.items() if v == n]
        if len(found) != 1:
            return ""
        out.append(found[0])
    return "(" + ", ".join(out) + ")" if out else ""


def _precision_text(want, got) -> str:
    if got.itemsize < want.itemsize:
        return (
            f" — keep the inputs' precision ({want}): something converted to {got} "
            f"(an .astype({got}), an np.{got} constant, or an array made with dtype={got})"
        )
    return (
        f" — keep the inputs' precision ({want}): np.zeros/np.ones/np.empty make {got} "
        f"unless given dtype=... (e.g. dtype=weight_ih.dtype), and .astype(...) converts"
    )


def _case_tip(bad_cases, labels) -> str:
    """A hint from which cases fail: only the saturated one, or only batches with B > 1."""
    bad = sorted(set(bad_cases))
    good = [k for k in range(len(labels)) if k not in bad]
    if not good:
        return ""
    if all("saturated" in labels[k] for k in bad):
        return (
            "\nOnly the case with large pre-activations differs: does a formula of yours "
            "overflow or lose precision when the gates saturate? (np.tanh and the package's "
            "sigmoid are safe.)"
        )
    if all("B=1," not in labels[k] for k in bad) and any("B=1," in labels[k] for k in good):
        return (
            "\nThe case with B = 1 is right and batches with B > 1 are not: check which axis "
            "you join, sum or index along (axis 0 is the batch)."
        )
    return ""


def _value_text(ex, problems, cases, labels, rel) -> str:
    n_base = getattr(cases, "n_base", len(cases))
    tip = _case_tip([k for k, _ in problems if k < n_base], labels[:n_base])
    if rel is not None:  # dict of gradients: a table of relative errors
        worst: dict = {}
        where: dict = {}
        for k, (_, path, (label, e, g)) in problems:
            label = repr(path[-1]) if path else label
            err = rel_error(g, e)
            if err > worst.get(label, -1):
                worst[label], where[label] = err, k
        lines = [
            f"These gradients differ from the reference (relative error, worst case; "
            f"must be below {rel:.0e}):"
        ]
        for label, err in worst.items():
            k = where[label]
            lines.append(f"  {label}: {err:.1e}   ({_where(cases, labels, k)})")
        return "\n".join(lines) + tip
    k, (_, path, (label, e, g)) = problems[0]
    diff = np.abs(g - e)
    tol = ex.tolerance
    bad = diff > tol.get("atol", 1e-9) + tol.get("rtol", 1e-6) * np.abs(e)
    first = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.any() else ()
    worst = (
        tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
        if diff.ndim
        else ()
    )
    text = (
        f"In {_where(cases, labels, k, paren=True)}, {label} differs from the "
        f"reference: largest absolute error {float(diff.max()):.2g} at index {worst}."
    )
    if first:
        text += (
            f"\nFirst wrong entry, index {first}: expected {float(e[first]):.6g}, "
            f"got {float(g[first]):.6g}."
        )
    n_base = getattr(cases, "n_base", len(cases))
    bad = sorted({j + 1 for j, _ in problems if j < n_base})
    if len(bad) > 1:
        text += f"\nCases that differ: {', '.join(map(str, bad))} of {n_base}."
    return text + tip


def _mutation_text(outcomes, ex) -> str:
    paths = []
    for o in outcomes:
        for p in o.mutated:
            if p not in paths:
                paths.append(p)
    if not paths:
        return ""
    names = ", ".join(f"`{p}`" for p in paths)
    return (
        f"Your {ex.name} changed its argument {names} in place (e.g. with `*=`, `+=` or "
        "an assignment into it); the caller's arrays must stay as they were: compute into a "
        "new array instead (`out = a * b`, not `a *= b`)."
    )


def _where(cases, labels, k, paren=False) -> str:
    """'case 2 of 4: B=4, H=5, D=3' ('case 2 of 4 (B=4, ...)' with paren); a probe is named as
    its base case with one input changed."""
    n_base = getattr(cases, "n_base", len(cases))
    if k < n_base:
        head, label = f"case {k + 1} of {n_base}", labels[k]
    else:
        base = min(1, n_base - 1)
        name = cases.probe_names[k - n_base]
        head, label = f"case {base + 1} of {n_base} with `{name}` changed", labels[base]
    return f"{head} ({label})" if paren else f"{head}: {label}"


def _raised_text(ex, outcome, case_where, dims=None, static="") -> str:
    """The exception on the learner's line; `static`, a static reading of their source
    (a notebook variable, a hard-coded size), replaces the guess from the line's shapes."""
    text = f"Your {ex.name} raised {headline(outcome.error)}"
    if outcome.error_line:
        where = (
            f" (in {outcome.error_function})"
            if outcome.error_function and outcome.error_function != ex.name
            else ""
        )
        text += f"\n    at {outcome.error_line}{where}"
    else:
        sig = ex.reference_source().splitlines()[0].rstrip(":")
        text += f"\n    when called as {sig[4:]}: check your function's parameters"
    text += f"\nin {case_where}."
    if outcome.error.startswith("SystemExit"):
        text += "\nSystemExit comes from sys.exit() or exit(): return a value instead."
    why = static or explain(
        outcome.error,
        outcome.error_line,
        outcome.error_shapes,
        dims,
        function=outcome.error_function,
        callee=outcome.error_callee,
        source=outcome.source if outcome.error_function in ("", ex.name) else "",
    )
    return text + ("\n" + why if why else "")


def judge(exercise, cases, outcomes, **options) -> CheckResult:
    """The verdict on a learner's outcomes for the cases (reference recomputed here)."""
    ex = get_exercise(exercise)
    ex.resolve_options(**options)
    n = len(cases)
    labels = [describe(c) for c in cases]
    outcomes = [o if isinstance(o, Outcome) else Outcome.from_dict(o) for o in outcomes]
    mutation = _mutation_text(outcomes, ex)

    def fail(text, say_mutation=True):
        if mutation and say_mutation:
            text += "\n" + mutation
        text += f'\nStuck? Run hints("{ex.name}").'
        return CheckResult.make(ex.name, "failed", text, ex.max_score)

    for o in outcomes:
        if o.status == "not_implemented":
            text = NOT_ATTEMPTED
            if o.error_function and o.error_function != ex.name:
                text = (
                    f"Your {ex.name} calls {o.error_function}, which is not written yet "
                    f"(it raises NotImplementedError). " + NOT_ATTEMPTED
                )
            return CheckResult.make(ex.name, "not-attempted", text, ex.max_score)
    if len(outcomes) != n:
        raise ValueError(f"judge needs one outcome per case: {n} cases, {len(outcomes)} outcomes")
    for k, o in enumerate(outcomes):
        if o.status != "returned":
            where, dims = _where(cases, labels, k, paren=True), case_shape(cases[k])
            static = _raised_reading(o.source, cases, ex.name)
            return fail(_raised_text(ex, o, where, dims, static))

    rel = ex.tolerance.get("rel")
    expected = [normalize(_quietly(ex.reference, c)) for c in cases]
    problems = []
    for k, (e, o) in enumerate(zip(expected, outcomes, strict=True)):
        found = []
        _diff(ex, e, o.value, (), found, rel)
        problems += [(k, p) for p in found]

    # None and foreign objects first: no known mistake returns those
    for k, (kind, _, text) in problems:
        if kind in ("none", "foreign"):
            printed = reading.printed_output(outcomes[k].source) if kind == "none" else ""
            text = f"{_capital(text)} ({_where(cases, labels, k)})."
            return fail(text + ("\n" + printed if printed else ""))
    tname = outcomes[0].type_name
    if ex.expect_type and not (tname == ex.expect_type or tname.endswith("." + ex.expect_type)):
        return fail(
            f"Return an {ex.expect_type}(...) (from lstm_course import {ex.expect_type}); "
            f"your {ex.name} returned a {outcomes[0].type_name}."
        )

    if not problems:
        if ex.extra_judge is not None:
            for k, (c, e, o) in enumerate(zip(cases, expected, outcomes, strict=True)):
                extra = ex.extra_judge(c, o.value, e)
                if extra:
                    return fail(f"In {_where(cases, labels, k, paren=True)}: {extra}")
        if mutation:
            return fail(
                "Your values are right, but: " + mutation[0].lower() + mutation[1:],
                say_mutation=False,
            )
        return CheckResult.make(
            ex.name, "passed", _pass_text(ex, cases, expected, outcomes, labels, rel), ex.max_score
        )

    # the def line and hand-written activations first: with the parameters in another order,
    # or a sigmoid that is 1 - sigmoid, any reading of the values (the catalogue's included)
    # would name lines the learner got right
    text = reading.def_line(outcomes[0].source, ex.name, list(cases[0])) or (
        reading.hand_activations(outcomes[0].source)
    )
    if text:
        return fail(text)
    mistakes = ex.mistakes_for(**options)
    for mistake in mistakes:
        if _is_mistake(ex, mistake, cases, outcomes, rel):
            return fail(f"Known mistake: {mistake.diagnosis}")

    # the learner's own code read statically: exact, so before any guess from the values
    # (a guess may edit code the learner did not write, such as a gate's inside)
    n_base = getattr(cases, "n_base", len(cases))
    dims_list = [case_shape(c) for c in cases[:n_base]]
    text = reading.source_readings(outcomes[0].source, dims_list, ex.name)
    if text:
        return fail(text)
    text = _shape_reading(ex, problems, cases, expected, outcomes)
    if text:
        k, (_, _, shape) = next((k, p) for k, p in problems if p[0] == "shape")
        return fail(f"{_shape_text(shape, cases, labels, k)}\n{text}")
    text = _shape_slip(ex, problems, cases, expected, outcomes)
    if text:  # a recognisable wrong shape: no edit of the values' search can say more
        k, (_, _, shape) = next((k, p) for k, p in problems if p[0] == "shape")
        return fail(f"{_shape_text(shape, cases, labels, k)}\n{_capital(text)}")

    def quick(fn):  # the first case only: rules most candidates out cheaply
        return _reproduces(ex, fn, cases[:1], outcomes[:1], rel, copy_cases=False)

    def reproduces(fn):
        return quick(fn) and _reproduces(ex, fn, cases, outcomes, rel, copy_cases=False)

    # a course function called with another quantity than its parameter's: exact, so a
    # mistake made inside that function's body (code the learner did not write) that gives
    # the same output yields to it
    slips = argument_slips(outcomes[0].source)
    variant = ex.resolve_options(**options).get("variant")
    inner = diagnose.inner_mistakes(ex, reproduces, variant)
    if inner and slips:
        return fail(slips)

    def edits():
        return diagnose.edits_of_answer(
            ex,
            mistakes,
            reproduces,
            quick,
            cases,
            (outcomes, _run_quiet, lambda a, b: _matches(ex, a, b, rel), lambda p: _label(ex, p)),
            variant,
            outcomes[0].source,
        )

    text = diagnose.compositions(ex, mistakes, reproduces) or inner
    one_slip = None
    if not text:
        text, one_slip = edits()
    text = (
        text
        or diagnose.substituted(ex, cases, outcomes, expected, lambda a, b: _matches(ex, a, b, rel))
        or diagnose.scaled(expected, outcomes, getattr(cases, "n_base", len(cases)))
        or one_slip
    )
    if slips and diagnose.made_inside_a_gate(text):
        text = slips  # the learner's own calls, read exactly, before a guess inside a gate
    if text or slips:
        return fail(text or slips)

    for kind in ("form", "shape", "dtype", "nonfinite"):
        for k, (knd, _path, text) in problems:
            if knd == kind:
                if kind == "shape":
                    return fail(_shape_text(text, cases, labels, k))
                why = _OVERFLOW_CAUSE if kind == "nonfinite" and outcomes[k].overflow else ""
                return fail(f"{_capital(text)} ({_where(cases, labels, k)}).{why}")
    values = [(k, p) for k, p in problems if p[0] == "value"]
    text = _value_text(ex, values, cases, labels, rel)
    insensitive = diagnose.sensitivity(
        cases, outcomes, expected, lambda a, b: _matches(ex, a, b, rel)
    )
    related = diagnose.implied_factor(ex, cases, outcomes, expected) or diagnose.relations(
        ex, cases, outcomes, expected, lambda path: _label(ex, path)
    )
    return fail("\n".join(t for t in (insensitive, related, text) if t))


def _shape_text(shape_problem, cases, labels, k) -> str:
    """'Your output has shape (1, 6); expected (1, 3), i.e. (B, H) (case 1 of 4: ...).'"""
    label, got_shape, exp_shape = shape_problem
    axes = _axes(exp_shape, case_shape(cases[k]))
    text = f"{label} has shape {got_shape}; expected {exp_shape}" + (
        f", i.e. {axes}" if axes else ""
    )
    return f"{_capital(text)} ({_where(cases, labels, k)})."


def _part(value, path):
    """The part of a normalized value at path (None when it is not there)."""
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _shapes_at(values, path, n):
    return [
        tuple(v.shape) if isinstance(v, np.ndarray) else None
        for v in (_part(value, path) for value in values[:n])
    ]


def _raised_reading(source, cases, exercise="") -> str:
    """What the learner's source shows about an exception: the def line's parameters in
    another order, a notebook variable read where an argument belongs, a size hard-coded as
    a number or read off the wrong axis ('' when none)."""
    dims_list = [case_shape(c) for c in cases[: getattr(cases, "n_base", len(cases))]]
    try:
        order = reading.def_line(source, exercise, list(cases[0]) if len(cases) else None)
        if order:
            return order
        texts = (
            reading.notebook_globals(source),
            reading.hard_coded_sizes(source, dims_list),
            reading.size_axes(source, exercise),
        )
    except Exception:  # noqa: BLE001 - a reading is optional
        return ""
    return "\n".join(t for t in texts if t)


def _shape_reading(ex, problems, cases, expected, outcomes) -> str:
    """The first wrongly shaped part, read off the learner's source: the operands that make it,
    combined in another way, give the lesson's shape (see reading.shape_reading)."""
    n = getattr(cases, "n_base", len(cases))
    paths = [path for k, (kind, path, _) in problems if kind == "shape" and k < n]
    if not paths:
        return ""
    path = paths[0]
    got = _shapes_at([o.value for o in outcomes], path, n)
    want = _shapes_at(expected, path, n)
    if None in got or None in want:
        return ""
    dims = [case_shape(c) for c in cases[:n]]
    backward = ex.name.endswith("_backward")
    return reading.shape_reading(
        outcomes[0].source, list(cases[:n]), path, got, want, dims, backward
    )


def _shape_slip(ex, problems, cases, expected, outcomes) -> str:
    """The first wrongly shaped part read as a slip over every case (see explain.wrong_shape),
    its sibling parts (the other keys of a dict, items of a tuple) for a swap."""
    n = getattr(cases, "n_base", len(cases))
    paths = [path for k, (kind, path, _) in problems if kind == "shape" and k < n]
    if not paths:
        return ""
    path = paths[0]
    got = [o.value for o in outcomes]
    dims = [case_shape(c) for c in cases[:n]]
    parent = _part(expected[0], path[:-1]) if path else None
    siblings = list(parent) if isinstance(parent, dict) else range(len(parent or ()))
    others = {}
    for key in siblings if path and isinstance(parent, (dict, tuple, list)) else ():
        if key != path[-1]:
            other = path[:-1] + (key,)
            others[_label(ex, other).removeprefix("your ")] = (
                _shapes_at(got, other, n),
                _shapes_at(expected, other, n),
            )
    return wrong_shape(
        _label(ex, path), _shapes_at(got, path, n), _shapes_at(expected, path, n), dims, others
    )


def _pass_text(ex, cases, expected, outcomes, labels, rel) -> str:
    n_base = getattr(cases, "n_base", len(cases))
    text = f"All {n_base} cases match the reference:\n" + "\n".join(
        f"  {k + 1}. {label}" for k, label in enumerate(labels[:n_base])
    )
    if rel is not None:
        worst = 0.0
        for e, o in zip(expected, outcomes, strict=True):
            for key in e:
                if isinstance(e[key], np.ndarray):
                    worst = max(worst, rel_error(o.value[key], e[key]))
        bound = "1e-10" if worst < 1e-10 else f"{rel:.0e}"
        text += f"\nEvery gradient's relative error is below {bound}."
    return text + _overflow_note(outcomes, labels)


_OVERFLOW_CAUSE = (
    "\nYour function overflowed in this case: np.exp of a large number is inf (np.exp(710) "
    "already is), and inf / inf or inf - inf is NaN. np.tanh and the package's sigmoid "
    "never overflow."
)


def _overflow_note(outcomes, labels) -> str:
    """A note on a pass that overflowed along the way (silently right, by luck of the limit)."""
    bad = [k for k, o in enumerate(outcomes) if getattr(o, "overflow", False)]
    if not bad:
        return ""
    where = ", ".join(f"{k + 1}" for k in bad)
    label = labels[bad[0]]
    label = "large pre-activations" if "large pre-activations" in label else label
    return (
        f"\nNote: your function overflowed in case{'s' if len(bad) > 1 else ''} {where} "
        f"({label}): np.exp(-a) overflows for a < -709; it happens to give the right "
        "limit here, but np.tanh and the package's sigmoid never overflow."
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
