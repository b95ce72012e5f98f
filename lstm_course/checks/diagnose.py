"""Naming a wrong answer that is not one known mistake: the judge's second opinion.

Run by ``judge`` (in the grader's process, or in the notebook's) after the catalogue of known
mistakes found no single match, on the learner's outcomes that are already there:

1. **Compositions**: two known mistakes at once (both biases left out, a swap plus a missing
   term): the answer's body with both mistakes' edits, compiled and compared.
2. **Small edits of the answer** (``lstm_course.exercises.mutants``): one or two edits of the
   answer's body (a weight substituted or transposed, a term dropped, an operator or an
   activation swapped, a call's arguments reordered) that reproduce the learner's output.
3. **A slip made everywhere** (``substituted``): the reference run on changed inputs (row
   blocks of the weights exchanged = [E, STM] joined; two inputs of one kind exchanged; a
   square weight transposed) reproduces the learner's output, whatever their text looks like
   (an answer that writes every gate inline).
4. **A constant factor** (``scaled``).
5. Observations added to "differs" (``implied_factor``, ``relations``): the output as its input
   times a factor (one common factor and the norm it implies, a factor per array, entries
   clipped one by one), or as a relation to the reference's (its negative, tanh of it, right
   except the first/last slices of one axis, equal to a slice of another part).
6. **Sensitivity**: the probes (case 2 with one input changed) show an input the learner's
   output ignores, or one it depends on although the answer does not.

Each returns the learner-facing text, or None. Everything here runs in the judge's process on
the pristine cases and the learner's plain-data outcomes: no learner code runs.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import itertools
import re
import warnings

import numpy as np

from ..exercises import mutants
from ..exercises.base import apply_spans, build_function
from ..exercises.cases import case_shape

__all__ = [
    "compositions",
    "inner_mistakes",
    "edits_of_answer",
    "closer_edits",
    "substituted",
    "scaled",
    "sensitivity",
]


def _combined_fn(ex, mistakes):
    spans = []
    for m in mistakes:
        spans += m.spans(ex.body)
    spans.sort()
    for (_, e1, _), (s2, _, _) in itertools.pairwise(spans):
        if s2 < e1:
            return None
    label = f"{ex.name}/" + "+".join(m.name for m in mistakes)
    try:
        return build_function(ex.def_line, apply_spans(ex.body, spans), ex.namespace, label)
    except SyntaxError:
        return None


def compositions(ex, mistakes, reproduces) -> str | None:
    """Two known mistakes at once, when their edits combine into one that reproduces it."""
    for a, b in itertools.combinations(mistakes, 2):
        fn = _combined_fn(ex, (a, b))
        if fn is not None and reproduces(fn):
            return (
                "Two known mistakes at once:\n"
                f"  1. {_capital(a.diagnosis)}\n"
                f"  2. {_capital(b.diagnosis)}"
            )
    return None


def _called_exercises(ex):
    from ..exercises import EXERCISES

    names = []
    for node in ast.walk(ast.parse(ex.body)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name in EXERCISES and name != ex.name and name not in names:
                names.append(name)
    return [EXERCISES[n] for n in names]


_INNER: dict = {}


def inner_mistakes(ex, reproduces, variant=None) -> str | None:
    """A known mistake of a gate the answer calls (lstm_cell calls remember_gate, ...) made
    inside this exercise: the answer run with that call replaced by the gate's mistake."""
    for inner in _called_exercises(ex):
        for mistake in inner.mistakes_for(**({"variant": variant} if inner.options else {})):
            key = (ex.name, inner.name, mistake.name)
            fn = _INNER.get(key)
            if fn is None:
                namespace = {**ex.namespace, inner.name: inner.mistake_fn(mistake)}
                label = f"{ex.name}/{inner.name}:{mistake.name}"
                fn = _INNER[key] = build_function(ex.def_line, ex.body, namespace, label)
            if reproduces(fn):
                return (
                    f"The {inner.name} part of your answer ({_in_sentence(inner.title)}) has a "
                    f"known mistake: {mistake.diagnosis}"
                )
    return None


def inner_mutants(ex, variant=None, source=""):
    """The known mistakes of the gates the answer calls, as edits of the answer: every call of
    the gate renamed to a function that makes the gate's mistake (so that the one-at-a-time
    search can pair such a mistake with a slip of any other kind, or with another gate's).

    A gate's own slips are tried only when the learner's source does not call that gate (then
    its inside is the package's, and a slip there would be a coincidence of values).
    Returns (the mutants, the answer's namespace with those functions added)."""
    namespace = dict(ex.namespace)
    found = []
    for inner in _called_exercises(ex):
        calls = [m.span(1) for m in re.finditer(rf"(?<![\w.])({inner.name})\s*\(", ex.body)]
        if not calls:
            continue
        options = {"variant": variant} if inner.options else {}
        for k, mistake in enumerate(inner.mistakes_for(**options)):
            alias = f"_{inner.name}_mistake_{k}"
            namespace[alias] = inner.mistake_fn(mistake)
            what = (
                f"the {inner.name} part of your answer ({_in_sentence(inner.title)}) has a known "
                f"mistake: {mistake.diagnosis}"
            )
            edits = tuple((s, e, alias) for s, e in calls)
            found.append(mutants.Mutant(edits, (what,), ("inner_mistake",)))
        if re.search(rf"(?<![\w.]){inner.name}\s*\(", source or ""):
            continue
        for k, slip in enumerate(_gate_slips(inner)):
            alias = f"_{inner.name}_slip_{k}"
            namespace[alias] = slip[0]
            what = (
                f"in the {inner.name} part of your answer ({_in_sentence(inner.title)}), {slip[1]}"
            )
            edits = tuple((s, e, alias) for s, e in calls)
            found.append(mutants.Mutant(edits, (what,), ("inner_slip",)))
    return tuple(found), namespace


# the kinds of a called gate's own slips tried inside a body that calls it (an answer that
# writes the gates inline makes them there): the commonest, to keep the pool small
_GATE_SLIP_KINDS = ("activation_swapped", "term_dropped", "name_swapped")
_GATE_SLIPS: dict = {}


def _gate_slips(inner):
    """(function, sentence) for the commonest single slips of a called gate's answer, built
    once per gate."""
    slips = _GATE_SLIPS.get(inner.name)
    if slips is None:
        slips = []
        singles = mutants.single_mutants(inner.body, mutants._arg_names(inner.def_line))
        for m in singles:
            if m.kind[0] not in _GATE_SLIP_KINDS:
                continue
            try:
                fn = mutants.build(
                    inner.def_line, mutants.apply(inner.body, m.edits), inner.namespace
                )
            except (SyntaxError, ValueError):
                continue
            slips.append((fn, m.what[0]))
        _GATE_SLIPS[inner.name] = slips
    return slips


def made_inside_a_gate(text: str | None) -> bool:
    """Whether a diagnosis names a mistake inside a gate the answer calls (code the learner
    may not have written as the answer does: a static reading of the learner's own calls
    comes first)."""
    return bool(text) and " part of your answer (" in text


def _in_sentence(title: str) -> str:
    """An exercise's title inside a sentence: 'The Learn gate' -> 'the Learn gate', 'Backward
    along ...' -> 'backward along ...'; a first word with capitals inside ('PyTorch's', 'LSTM')
    stays as it is."""
    first = title.split(" ", 1)[0]
    if first[1:] == first[1:].lower():
        return title[:1].lower() + title[1:]
    return title


def scaled(expected, outcomes, n_base) -> str | None:
    """The learner's output is the answer times one constant (a stray factor, a mean for a
    sum): said with the factor."""
    ratios = []
    for e, o in zip(expected[:n_base], outcomes[:n_base], strict=True):
        g = o.value
        if not (isinstance(e, np.ndarray) and isinstance(g, np.ndarray)) or e.shape != g.shape:
            return None
        mask = np.abs(e) > 1e-6
        if not mask.any():
            continue
        ratios.append(g[mask] / e[mask])
    if not ratios:
        return None
    r = np.concatenate(ratios)
    c = float(np.median(r))
    if not np.isfinite(c) or abs(c - 1) < 1e-6 or not np.allclose(r, c, rtol=1e-6, atol=1e-9):
        return None
    if abs(c + 1) < 1e-6:
        return (
            "Your output is exactly the negative of the answer, in every case: a sign slip (a - "
            "where + belongs, or a difference taken the other way round)?"
        )
    return (
        f"Your output is exactly {c:.6g} times the answer, in every case: a stray factor "
        "(a division, a mean where the equation has a sum, a 2 or 0.5)?"
    )


def same_shape_inputs(cases) -> tuple[tuple[str, ...], ...]:
    """Groups of array inputs that have one shape in every case (`ltm` and `f`; a dict
    argument's items as `cache["kept"]`): one passed for another raises no error."""
    n_base = getattr(cases, "n_base", len(cases))
    shapes: dict[str, list] = {}
    for case in cases[:n_base]:
        for label, value in _labelled_arrays(case):
            shapes.setdefault(label, []).append(value.shape)
    groups: dict[tuple, list[str]] = {}
    for label, seen in shapes.items():
        if len(seen) == n_base:
            groups.setdefault(tuple(seen), []).append(label)
    return tuple(tuple(g) for g in groups.values() if len(g) > 1)


def _labelled_arrays(case: dict):
    """(label, array) for the top-level float arrays of a case and the float arrays of a dict
    argument ('cache["kept"]')."""
    for key, value in case.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            yield key, value
        elif isinstance(value, dict):
            for k, v in value.items():
                if isinstance(k, str) and isinstance(v, np.ndarray) and v.dtype.kind == "f":
                    yield f'{key}["{k}"]', v


def edits_of_answer(ex, mistakes, reproduces, quick, cases=(), parts=None, variant=None, source=""):
    """One or two small edits of the answer's body (a known mistake may be one of them) that
    reproduce the learner's output (lstm_course.exercises.mutants); an input may be replaced by
    another of the same shape (see same_shape_inputs).

    parts, for an output of several parts (a dict, a tuple): (outcomes, run, same, label), see
    closer_edits; then the two slips are first looked for one at a time (cheaper than every
    pair), then a capped number of pairs (_PAIR_WORK), and, when nothing reproduces the whole
    output, one slip is named with the parts that still differ.

    Returns the text, or None; with parts, (the text that explains the whole output or None,
    the one slip's text or None): the caller says the second only when nothing else explains
    the whole output.
    """
    catalogue = [mutants.Mutant(m.spans(ex.body), (m.diagnosis,), ("catalogue",)) for m in mistakes]
    inner, namespace = inner_mutants(ex, variant, source)
    search = mutants.searcher(
        ex.def_line,
        ex.body,
        namespace,
        catalogue=catalogue,
        same_shape=same_shape_inputs(cases) if len(cases) else (),
        inner=inner,
    )
    if parts is None or len(_part_keys(parts[0][0].value)) < 2:
        text = _slips_text(search.explain(reproduces, quick, max_pairs=_SINGLE_PART_PAIRS))
        return text if parts is None else (text, None)
    found = search.explain(reproduces, quick, pairs=False)
    if found is not None or search.stats.get("reference_matches"):
        return _slips_text(found), None
    whole, partial = closer_edits(search, cases, *parts, reproduces, quick)
    if whole:
        return whole, None
    cap = max(100, _PAIR_WORK // max(1, len(search.singles)))
    return _slips_text(search.explain(reproduces, quick, max_pairs=cap)), partial


# the pair cap for an output of one array (a gate: ~0.2 ms a pair)
_SINGLE_PART_PAIRS = 1600
# the pairs tried when the one-at-a-time search found no whole answer: fewer for a body with more
# singles (its answer costs more to run): lstm_cell_backward's 222 singles -> 180 pairs (~1 ms
# each), params_from_pytorch's 75 -> 533
_PAIR_WORK = 40_000


def _slips_text(found) -> str | None:
    if found is None:
        return None
    what = [_capital(w.rstrip(".")) for w in found.what]
    if len(what) == 1:
        return f"Your output is the answer with one slip: {what[0][:1].lower() + what[0][1:]}."
    lines = "\n".join(f"  {k}. {w}." for k, w in enumerate(what, 1))
    return f"Your output is the answer with {len(what)} slips:\n{lines}"


def closer_edits(search, cases, outcomes, run, same, label, reproduces, quick):
    """Two slips in an output of several parts, found one at a time (MutantSearch.closer): the
    edit that makes more parts right is named as one slip; the other is the edit on top of it
    that reproduces everything, or, when none does, the parts that still differ are named.

    run(fn, case) -> fn's normalized output; same(a, b) compares two normalized parts;
    label(path) names a part. Returns (the two slips' text, or None; the one slip's text with
    the parts that still differ, or None).
    """
    n_base = getattr(cases, "n_base", len(cases))
    keys = _part_keys(outcomes[0].value)
    if len(keys) < 2 or any(_part_keys(o.value) != keys for o in outcomes[:n_base]):
        return None, None

    def right(fn, k):
        value = run(fn, cases[k])
        got = outcomes[k].value
        return frozenset(p for p in keys if _same_part(value, got, p, same))

    found = search.closer(right, n_base, reproduces, quick)
    if found is None:
        return None, None
    first, second, done = found
    if second is not None:
        return _slips_text(second), None
    wrong = [label((p,)).removeprefix("your ") for p in keys if p not in done]
    if not wrong or first.kind[0].startswith("inner"):
        # a guess inside a gate that explains only some parts may be a coincidence of values
        return None, None
    return None, (
        f"One of your slips: {first.what[0].rstrip('.')}.\nSomething else still differs in "
        f"{_names_plain(wrong)} (with that slip alone, your other parts are right)."
    )


def _part_keys(value) -> tuple:
    if isinstance(value, dict):
        return tuple(value)
    if isinstance(value, (tuple, list)):
        return tuple(range(len(value)))
    return ()


def _same_part(value, got, key, same) -> bool:
    try:
        return bool(same(value[key], got[key]))
    except (KeyError, IndexError, TypeError):
        return False


def _names_plain(names) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def sensitivity(cases, outcomes, expected, same) -> str | None:
    """Inputs the learner's output ignores (or depends on wrongly), read off the probes.

    same(a, b) -> bool compares two normalized outputs within the exercise's tolerance.
    """
    n_base = getattr(cases, "n_base", len(cases))
    names = getattr(cases, "probe_names", [])
    if not names:
        return None
    base = min(1, n_base - 1)
    if outcomes[base].status != "returned":
        return None
    ignored, extra = [], []
    for j, name in enumerate(names):
        k = n_base + j
        if k >= len(outcomes) or outcomes[k].status != "returned":
            continue
        learner_same = same(outcomes[k].value, outcomes[base].value)
        answer_same = same(expected[k], expected[base])
        if learner_same and not answer_same:
            ignored.append(name)
        elif not learner_same and answer_same:
            extra.append(name)
    parts = []
    if ignored:
        one = len(ignored) == 1
        parts.append(
            f"Your output does not change when {_names(ignored)} change{'s' if one else ''}, "
            f"but the answer depends on {'it' if one else 'them'}: "
            f"{'is it' if one else 'are they'} used, and used where the equation has "
            f"{'it' if one else 'them'}?"
        )
    if extra:
        parts.append(
            f"Your output changes when {_names(extra)} change{'s' if len(extra) == 1 else ''}, "
            f"but the answer does not use {'it' if len(extra) == 1 else 'them'} here."
        )
    return "\n".join(parts) or None


def _names(names) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


# --------------------------------------------------------------------------- the reference on
# changed inputs: a slip made everywhere at once (an inline answer) is the reference run on
# inputs changed the same way, whatever the answer's text looks like


def _inputs(case: dict):
    """(label, array) for every float array of a case: the top-level arrays and the array
    fields of a dataclass argument (LSTMParams: 'params.W_f')."""
    for key, value in case.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            yield key, value
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                arr = getattr(value, f.name)
                if isinstance(arr, np.ndarray) and arr.dtype.kind == "f":
                    yield f"{key}.{f.name}", arr


def _replaced(case: dict, new: dict) -> dict:
    """The case with the inputs named in `new` (label -> array, as _inputs names them)
    replaced; the case itself is left as it is."""
    out = dict(case)
    fields: dict = {}
    for label, arr in new.items():
        key, _, name = label.partition(".")
        if name:
            fields.setdefault(key, {})[name] = arr
        else:
            out[key] = arr
    for key, changes in fields.items():
        out[key] = dataclasses.replace(case[key], **changes)
    return out


def _short(label: str) -> str:
    return label.rsplit(".", 1)[-1]


def _joined_names(case: dict) -> tuple[str, str]:
    """The two inputs that [first, second] joins, in the lesson's notation."""
    if "h" in case and "x" in case:
        return "h_{t-1}", "x_t"
    return "STM_{t-1}", "E_t"


def _substitutions(case: dict, dims: dict):
    """(sentence, transform) pairs: transform(case) -> the case changed so that the reference
    computes what a learner's slip made everywhere computes.

    - the inputs joined the other way round: [E, STM] @ W equals [STM, E] @ W' with W's row
      blocks exchanged (W' = W rolled up by D rows), for every weight of H + D rows at once,
      or one at a time;
    - two inputs of one kind exchanged everywhere (stm and ltm, W_n and W_i, b_n and b_i);
    - a square weight transposed everywhere.
    """
    H, D = dims.get("H"), dims.get("D")
    first, second = _joined_names(case)
    inputs = list(_inputs(case))
    joined = tuple(
        label
        for label, a in inputs
        if H and D and a.ndim == 2 and a.shape[0] == H + D and _short(label).startswith("W_")
    )
    if joined:
        where = (
            "wherever the two are joined"
            if len(joined) > 1
            else f"where {_short(joined[0])} multiplies them"
        )
        yield (
            f"you joined the inputs the other way round, [{second}, {first}] where the lesson "
            f"has [{first}, {second}] ({where}): {first} comes first, so rows 0..H-1 of each "
            "weight matrix multiply it",
            _rows_rolled(joined),
        )
        for label in joined if len(joined) > 1 else ():
            yield (
                f"where {_short(label)} multiplies [{first}, {second}], you joined the inputs "
                f"the other way round, [{second}, {first}]",
                _rows_rolled((label,)),
            )
    for (la, a), (lb, b) in itertools.combinations(inputs, 2):
        if a.shape == b.shape and mutants.plausible_swap(_short(la), _short(lb)):
            yield (
                f"you used `{_short(lb)}` where the lesson has `{_short(la)}`, and `{_short(la)}` "
                f"where it has `{_short(lb)}` (the two exchanged everywhere)",
                _exchanged(la, lb),
            )
    for label, a in inputs:
        if a.ndim == 2 and a.shape[0] == a.shape[1] > 1 and mutants.is_weight(_short(label)):
            yield (
                f"you used {_short(label)}.T where the lesson has {_short(label)} (a square "
                "matrix: no error shows, but the numbers are wrong)",
                _transposed(label),
            )


def _rows_rolled(labels):
    """Each weight's two row blocks exchanged (the D rows of E first), D read off each case."""

    def transform(case):
        D = case_shape(case)["D"]
        arrays = dict(_inputs(case))
        return _replaced(case, {k: np.roll(arrays[k], -D, axis=0) for k in labels})

    return transform


def _exchanged(la, lb):
    def transform(case):
        arrays = dict(_inputs(case))
        return _replaced(case, {la: arrays[lb], lb: arrays[la]})

    return transform


def _transposed(label):
    def transform(case):
        arrays = dict(_inputs(case))
        return _replaced(case, {label: arrays[label].T.copy()})

    return transform


def substituted(ex, cases, outcomes, expected, matches) -> str | None:
    """The reference run on changed inputs reproduces the learner's output on every case (a
    slip made everywhere at once, e.g. [E, STM] in an answer that writes every gate inline).

    matches(value, learner_value) -> bool compares normalized outputs; the reference runs here,
    in the judge's process, on the pristine cases changed (the learner's code never runs). A
    change that leaves the reference's output as it is (b_n and b_i exchanged in a sum, say)
    explains nothing and is skipped.
    """
    dims = case_shape(cases[0])
    for sentence, transform in _substitutions(cases[0], dims):
        changed_anything = False
        for case, o, e in zip(cases, outcomes, expected, strict=True):
            value = _reference_on(ex, transform, case)
            if value is _FAILED or not matches(value, o.value):
                break
            changed_anything = changed_anything or not matches(value, e)
        else:
            if changed_anything:
                return f"Your output is the answer's with one slip made everywhere: {sentence}."
    return None


_FAILED = object()


def _reference_on(ex, transform, case):
    """The reference's normalized output on the changed case (_FAILED if it cannot run)."""
    from .outcome import normalize

    try:
        changed = transform(case)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return normalize(ex.reference(**copy.deepcopy(changed)))
    except Exception:  # noqa: BLE001 - a change the reference cannot run on explains nothing
        return _FAILED


# --------------------------------------------------------------------------- the output as a
# relation to the reference's (or to an input): said only when it holds exactly, in every case


def _parts(value, path=()):
    """(path, array) for every float array in a normalized output."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            yield path, value.astype(np.float64)
    elif isinstance(value, (tuple, list)):
        for k, v in enumerate(value):
            yield from _parts(v, path + (k,))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _parts(v, path + (k,))


def _close_all(a, b, tol) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, **tol))


def _tol(ex) -> dict:
    t = ex.tolerance
    return dict(rtol=t.get("rtol", 1e-6), atol=t.get("atol", 1e-9))


def _sigmoid(a):
    with np.errstate(all="ignore"):
        return 0.5 * (1.0 + np.tanh(0.5 * a))


_WHOLE = (
    (
        lambda e: -e,
        "is exactly the negative of the reference's, in every case: a sign slip (a - where + "
        "belongs, or a difference taken the other way round)?",
    ),
    (np.tanh, "is exactly tanh of the reference's, in every case: an extra tanh around it"),
    (_sigmoid, "is exactly sigmoid of the reference's, in every case: an extra sigmoid around it"),
)


def relations(ex, cases, outcomes, expected, label) -> str | None:
    """An observation added to "differs" (see _relations); never an error of its own."""
    try:
        return _relations(ex, cases, outcomes, expected, label)
    except Exception:  # noqa: BLE001 - an odd output that defeats a reading: say nothing
        return None


def _relations(ex, cases, outcomes, expected, label) -> str | None:
    """What the learner's differing output parts are, in terms of the reference's: its negative,
    tanh or sigmoid of it, right except along some slices of one axis (zeros there, or shifted),
    or equal to another part of the reference's output. label(path) names a part.

    Only what holds exactly in every described case is said; None when nothing does.
    """
    n_base = getattr(cases, "n_base", len(cases))
    exp = [dict(_parts(e)) for e in expected[:n_base]]
    got = [dict(_parts(o.value)) for o in outcomes[:n_base]]
    dims = [case_shape(c) for c in cases[:n_base]]
    tol = _tol(ex)
    sentences = []
    for path in exp[0]:
        pairs = [(e.get(path), g.get(path)) for e, g in zip(exp, got, strict=True)]
        if any(e is None or g is None or e.shape != g.shape for e, g in pairs):
            continue
        if all(_close_all(g, e, tol) for e, g in pairs):
            continue
        text = (
            _whole(pairs, tol)
            or _size_factor(pairs, tol, dims)
            or _rounded(pairs, tol)
            or _clipped(pairs, tol)
            or _slices(pairs, tol, dims)
            or _other_part(path, pairs, exp, tol, label, dims)
        )
        if text:
            end = "" if text.endswith(("?", ".")) else "."
            sentences.append(f"{_capital(label(path))} {text}{end}")
        if len(sentences) == 2:
            break
    return "\n".join(sentences) or None


def _whole(pairs, tol) -> str | None:
    """A relation of the whole part to the reference's: -e, tanh(e), sigmoid(e), |e| with some
    signs flipped."""
    for f, text in _WHOLE:
        with np.errstate(all="ignore"):
            if all(_close_all(g, f(e), tol) for e, g in pairs):
                return text
    if all(e.ndim == 2 and e.shape[0] == e.shape[1] for e, _ in pairs) and all(
        _close_all(g, e.T, tol) for e, g in pairs
    ):
        return (
            "is exactly the transpose of the reference's, in every case: a square matrix "
            "transposed (no error is raised)"
        )
    factor = _part_factor(pairs, tol)
    if factor is not None:
        return (
            f"is exactly {factor:.6g} times the reference's, in every case: a stray factor (a "
            "mean or an average where the lesson has a sum, a 2 or 0.5)?"
        )
    if all(_close_all(np.abs(g), np.abs(e), tol) for e, g in pairs):
        flipped = sum(int((~np.isclose(g, e, **tol)).sum()) for e, g in pairs)
        total = sum(e.size for e, _ in pairs)
        return (
            f"has the reference's values up to the sign, in every case, and the opposite sign "
            f"in {flipped} of {total} entries"
        )
    return None


def _size_factor(pairs, tol, dims) -> str | None:
    """The part is the reference's times one of the case's sizes (or over it), a different
    factor in each case: a mean over the batch where the lesson sums (1/B), a sum where it takes
    one (B), ... Said only when one size explains every case and the sizes vary."""
    for name in sorted(dims[0]):
        sizes = [d.get(name) for d in dims]
        if any(not isinstance(n, int) or n < 1 for n in sizes) or len(set(sizes)) < 2:
            continue
        for power, how in ((-1, "divided by"), (1, "multiplied by")):
            scaled = zip(pairs, sizes, strict=True)
            if all(_close_all(g, e * float(n) ** power, tol) for (e, g), n in scaled):
                hint = (
                    f"a mean over the axis of size {name} where the lesson sums?"
                    if power == -1
                    else f"a sum over the axis of size {name} where the lesson takes one value?"
                )
                return f"is exactly the reference's {how} {name}, in every case: {hint}"
    return None


def _rounded(pairs, tol) -> str | None:
    """The part is the reference's rounded to k decimals (k = 0..6) in every case."""
    for k in range(7):
        if all(np.array_equal(g, np.round(e, k)) for e, g in pairs):
            return (
                f"is exactly the reference's rounded to {k} decimals, in every case: the check "
                "needs the unrounded values (round only when you print)"
            )
    return None


def _clipped(pairs, tol) -> str | None:
    """The part equals the reference's except where the reference is above some c (or below
    some c'), where it is c: the values clipped, as np.clip(x, c', c) or min/max would."""
    low, high = [], []
    for e, g in pairs:
        off = ~np.isclose(g, e, **tol)
        low += list(g[off & (g > e)])
        high += list(g[off & (g < e)])
    if not low and not high:
        return None
    lo = low[0] if low else -np.inf
    hi = high[0] if high else np.inf
    if not (np.allclose(low, lo) and np.allclose(high, hi)):
        return None
    if not all(_close_all(g, np.clip(e, lo, hi), tol) for e, g in pairs):
        return None
    where = []
    if high:
        where.append(f"above {hi:.6g} (there yours is {hi:.6g})")
    if low:
        where.append(f"below {lo:.6g} (there yours is {lo:.6g})")
    return (
        "equals the reference's except where the reference is "
        + " or ".join(where)
        + ": your values are clipped (np.clip, min or max) where the lesson leaves them as they are"
    )


def _part_factor(pairs, tol) -> float | None:
    """c when the part is c times the reference's in every case (one c, not 0, 1 or -1)."""
    ratios = []
    for e, g in pairs:
        mask = np.abs(e) > 1e-6
        if not mask.any() or not np.allclose(g[~mask], 0.0, atol=tol["atol"], rtol=0):
            return None
        ratios.append(g[mask] / e[mask])
    r = np.concatenate(ratios)
    c = float(np.median(r))
    if not np.isfinite(c) or min(abs(c), abs(c - 1), abs(c + 1)) < 1e-6:
        return None
    if not all(_close_all(g, c * e, tol) for e, g in pairs):
        return None
    return c


def _axis_name(ax: int, shapes, dims) -> str:
    """' (T)' when one of the cases' sizes (B, T, H, D) names axis ax in every case, else ''."""
    names = None
    for shape, d in zip(shapes, dims, strict=True):
        here = {k for k, v in d.items() if v == shape[ax]}
        names = here if names is None else names & here
    return f" ({next(iter(names))})" if names and len(names) == 1 else ""


def _index_text(idx: int) -> str:
    return {-1: "the last index", -2: "the last index but one", 0: "index 0"}.get(
        idx, f"index {idx}"
    )


def _slices(pairs, tol, dims) -> str | None:
    """The part is right except along a few slices of one axis, the same ones (the first or the
    last) in every case: which, and what they hold (zeros, the slice before, the wrong sign)."""
    ndim = pairs[0][0].ndim
    shapes = [e.shape for e, _ in pairs]
    for ax in range(ndim):
        where = []
        for e, g in pairs:
            bad = ~np.isclose(g, e, **tol)
            other = tuple(k for k in range(ndim) if k != ax)
            rows = np.flatnonzero(bad.any(axis=other) if other else bad)
            n = e.shape[ax]
            if len(rows) == n:
                break
            where.append([int(r) - n if r >= n // 2 + 1 or r == n - 1 else int(r) for r in rows])
        else:
            seen = {tuple(w) for w in where if w}
            if len(seen) != 1:
                continue
            idx = list(next(iter(seen)))
            held = _held([p for p, w in zip(pairs, where, strict=True) if w], ax, idx, tol)
            at = _index_text(idx[0]) if len(idx) == 1 else "indexes " + ", ".join(map(str, idx))
            text = (
                f"equals the reference's everywhere except at {at} along axis {ax}"
                f"{_axis_name(ax, shapes, dims)}" + (f", where it {held}" if held else "")
            )
            if idx == [-1] and held == "is all zeros":
                text += ": was the last one computed and stored (a loop that stops one short)?"
            return text
    return None


def _held(pairs, ax, idx, tol) -> str:
    """What the wrong slices hold, when the same in every case: '' if nothing simple."""
    takes = [(np.take(e, idx, axis=ax), np.take(g, idx, axis=ax)) for e, g in pairs]
    if all(np.allclose(g, 0.0, atol=tol["atol"], rtol=0) for _, g in takes):
        return "is all zeros"
    if all(_close_all(g, -e, tol) for e, g in takes):
        return "has the opposite sign"
    if all(k != 0 for k in idx) and all(
        _close_all(np.take(g, idx, axis=ax), np.take(e, [k - 1 for k in idx], axis=ax), tol)
        for e, g in pairs
    ):
        return "holds the reference's values of the index before"
    return ""


def _other_part(path, pairs, exp, tol, label, dims) -> str | None:
    """The part equals another part of the reference's output, or one slice of it (the final
    state that is the reference's state one step before the last, say)."""
    for q in exp[0]:
        if q == path:
            continue
        others = [e.get(q) for e in exp]
        if any(o is None for o in others):
            continue
        name = label(q).removeprefix("your ")
        if all(_close_all(g, o, tol) for (_, g), o in zip(pairs, others, strict=True)):
            return f"equals the reference's {name}"
        g0 = pairs[0][1]
        for ax in range(others[0].ndim):
            if others[0].shape[:ax] + others[0].shape[ax + 1 :] != g0.shape:
                continue
            for idx in (-1, -2, 0, 1):
                if all(
                    -o.shape[ax] <= idx < o.shape[ax]
                    and _close_all(g, np.take(o, idx, axis=ax), tol)
                    for (_, g), o in zip(pairs, others, strict=True)
                ):
                    return (
                        f"equals the reference's {name} at {_index_text(idx)} along axis {ax}"
                        f"{_axis_name(ax, [o.shape for o in others], dims)}"
                    )
    return None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- the output as the
# input times a factor: which factor, and (clipping by a norm) which norm it implies


def _arrays_of(value) -> dict | None:
    """name -> float array for a dict of arrays or one array ('' as its name), else None."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"": value.astype(np.float64)}
    if (
        isinstance(value, dict)
        and value
        and all(isinstance(v, np.ndarray) and v.dtype.kind in "biuf" for v in value.values())
    ):
        return {k: v.astype(np.float64) for k, v in value.items()}
    return None


def _scaled_input(case, out):
    """(argument name, {array name: factor or None}) when `out` has the structure of one of the
    case's arguments (same names, same shapes); a factor is None where that array is not the
    input times one number."""
    got = _arrays_of(out)
    if got is None:
        return None
    for key, value in case.items():
        given = _arrays_of(value)
        if given is None or given.keys() != got.keys():
            continue
        if any(given[k].shape != got[k].shape for k in got):
            continue
        factors = {}
        for k, x in given.items():
            xx = float(np.sum(x * x))
            c = float(np.sum(x * got[k])) / xx if xx > 0 else None
            ok = c is not None and np.allclose(got[k], c * x, rtol=1e-6, atol=1e-9)
            factors[k] = c if ok else None
        return key, factors
    return None


def _common(factors):
    """The one number all the factors are (to 1e-6 relative), else None (None among them too)."""
    values = list(factors)
    if not values or any(v is None for v in values):
        return None
    c = values[0]
    return c if all(abs(v - c) <= 1e-6 * max(abs(c), 1e-12) for v in values) else None


def _threshold(case):
    """(name, value) of the case's one scalar number (a threshold such as max_norm), else None."""
    found = [
        (k, float(v))
        for k, v in case.items()
        if isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool)
    ]
    return found[0] if len(found) == 1 else None


# norms a learner may take of a dict of arrays: (description, function of the list of arrays)
_NORMS = (
    (
        "the global L2 norm, sqrt(sum of every squared entry of every array)",
        lambda xs: np.sqrt(sum(np.sum(x**2) for x in xs)),
    ),
    (
        "the sum of the absolute values of every entry (the L1 norm)",
        lambda xs: sum(np.sum(np.abs(x)) for x in xs),
    ),
    ("the largest absolute entry (the max norm)", lambda xs: max(np.max(np.abs(x)) for x in xs)),
    (
        "the root of the mean square over every entry (an RMS, not a norm)",
        lambda xs: np.sqrt(np.mean(np.concatenate([np.ravel(x) ** 2 for x in xs]))),
    ),
    (
        "the root of the mean of the arrays' mean squares (an RMS, not a norm)",
        lambda xs: np.sqrt(np.mean([np.mean(x**2) for x in xs])),
    ),
    (
        "the sum of the arrays' own L2 norms (each array's norm, then added)",
        lambda xs: sum(np.sqrt(np.sum(x**2)) for x in xs),
    ),
    (
        "the mean of the arrays' own L2 norms",
        lambda xs: np.mean([np.sqrt(np.sum(x**2)) for x in xs]),
    ),
    ("the sum of squares, without the square root", lambda xs: sum(np.sum(x**2) for x in xs)),
)


def implied_factor(ex, cases, outcomes, expected) -> str | None:
    """An observation added to "differs" (see _implied_factor); never an error of its own."""
    try:
        return _implied_factor(ex, cases, outcomes, expected)
    except Exception:  # noqa: BLE001 - an odd output that defeats a reading: say nothing
        return None


def _implied_factor(ex, cases, outcomes, expected) -> str | None:
    """When the answer returns an input times one factor (clipping by a norm), read the
    learner's output the same way: one common factor (then, for min(1, threshold / norm), which
    norm it implies), a factor per array, or entries changed one by one (np.clip)."""
    n_base = getattr(cases, "n_base", len(cases))
    readings = []
    for case, e, o in zip(cases[:n_base], expected[:n_base], outcomes[:n_base], strict=True):
        ref = _scaled_input(case, e)
        got = _scaled_input(case, o.value)
        if ref is None or got is None or ref[0] != got[0]:
            return None
        common = _common(ref[1].values())
        if common is None:
            return None  # the answer is not one common factor here: nothing to read
        readings.append((case, ref[0], common, got[1]))
    key = readings[0][1]
    if all(None not in f.values() for *_, f in readings):
        if all(_common(f.values()) is not None for *_, f in readings):
            return _common_factor_text(key, readings)
        worst = next(f for *_, f in readings if _common(f.values()) is None)
        shown = ", ".join(f"{k} x{c:.4g}" for k, c in list(worst.items())[:4])
        return (
            f"Each array of your output is its input in `{key}` times its OWN factor ({shown} in "
            "one case); the answer scales every array by ONE common factor: a norm (or a scale) "
            "taken per array where it belongs to all the arrays together?"
        )
    return _entrywise_text(key, readings, outcomes[:n_base])


def _common_factor_text(key, readings) -> str | None:
    factors = [(case, r, next(iter(f.values()))) for case, _, r, f in readings]
    threshold = _threshold(readings[0][0])
    if threshold is not None and _answer_is_clipping(key, factors, threshold[0]):
        name = threshold[0]
        for text, norm in _NORMS[1:]:
            if all(_norm_fits(case, key, name, c, norm) for case, _, c in factors):
                return (
                    f"In every case your arrays are the input `{key}` times one common factor, "
                    f"as clipping by the global norm does, but your factor is min(1, {name} / "
                    f"n) with n = {text}; the lesson's n is the global L2 norm, sqrt(sum of "
                    "every squared entry of every array)."
                )
        case, _, c = next(((cs, r, c) for cs, r, c in factors if abs(c - r) > 1e-6), factors[0])
        implied = threshold_value(case, name) / c if c else float("inf")
        return (
            f"In every case your arrays are the input `{key}` times one common factor, as "
            f"clipping by the global norm does, but not the lesson's: in one case yours is "
            f"{c:.6g} where min(1, {name} / ||g||_2) is {_ratio(case, key, name):.6g}"
            + (f" (as if the norm were {implied:.6g})" if c < 1 else "")
            + "."
        )
    case, r, c = next(((cs, r, c) for cs, r, c in factors if abs(c - r) > 1e-6), factors[0])
    return (
        f"Your output is the input `{key}` times {c:.6g} in one case, where the answer's "
        f"factor is {r:.6g}: one common factor, as in the answer, but not the right one."
    )


def threshold_value(case, name) -> float:
    return float(case[name])


def _arrays_in(case, key):
    return list(_arrays_of(case[key]).values())


def _ratio(case, key, name) -> float:
    norm = float(_NORMS[0][1](_arrays_in(case, key)))
    return min(1.0, threshold_value(case, name) / norm) if norm else 1.0


def _answer_is_clipping(key, factors, name) -> bool:
    """Whether the answer's factor is min(1, threshold / global L2 norm) in every case."""
    return all(abs(r - _ratio(case, key, name)) <= 1e-5 * max(1.0, r) for case, r, _ in factors)


def _norm_fits(case, key, name, c, norm) -> bool:
    """Whether factor c is min(1, threshold / norm) (up to a small epsilon under the norm)."""
    n = float(norm(_arrays_in(case, key)))
    t = threshold_value(case, name)
    if not n > 0:
        return False
    return abs(c - min(1.0, t / n)) <= 1e-5 * max(c, 1e-12) + 1e-9


def _entrywise_text(key, readings, outcomes) -> str | None:
    """The output is no scaled copy of the input: each entry clipped on its own (np.clip), or at
    least some entries changed and others left as they were."""
    threshold = _threshold(readings[0][0])
    pairs = []
    for (case, *_), o in zip(readings, outcomes, strict=False):
        got, given = _arrays_of(o.value), _arrays_of(case[key])
        pairs += [(given[k], got[k], case) for k in given]
    if threshold is not None:
        name = threshold[0]
        if all(
            np.allclose(g, np.clip(x, -case[name], case[name]), rtol=1e-6, atol=1e-9)
            for x, g, case in pairs
        ):
            return (
                f"Your arrays are the input `{key}` with each entry clipped on its own to "
                f"[-{name}, {name}] (np.clip): that changes the gradient's direction. Clipping "
                f"by the global norm scales every array by one common factor, min(1, {name} / "
                "||g||_2), which keeps it."
            )
    same = sum(int(np.isclose(g, x, rtol=1e-6, atol=1e-9).sum()) for x, g, _ in pairs)
    total = sum(x.size for x, _, _ in pairs)
    if 0 < same < total:
        return (
            f"Your arrays are not the input `{key}` times a factor: {same} of {total} entries "
            "are left as they were and the others changed, entry by entry; the answer scales "
            "every array by one common factor."
        )
    return None
