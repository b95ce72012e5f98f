"""Naming a wrong answer that is not one known mistake: the judge's second opinion.

Run by ``judge`` (in the grader's process, or in the notebook's) after the catalogue of known
mistakes found no single match, on the learner's outcomes that are already there:

1. **Compositions**: two known mistakes at once (both biases left out, a swap plus a missing
   term): the answer's body with both mistakes' edits, compiled and compared.
2. **Small edits of the answer** (``lstm_course.exercises.mutants``): one or two edits of the
   answer's body (a weight substituted or transposed, a term dropped, an operator or an
   activation swapped, a call's arguments reordered) that reproduce the learner's output.
3. **Sensitivity**: the probes (case 2 with one input changed) show an input the learner's
   output ignores, or one it depends on although the answer does not.

Each returns the learner-facing text, or None.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import itertools
import warnings

import numpy as np

from ..exercises import mutants
from ..exercises.cases import case_shape
from ..exercises.base import apply_spans, build_function

__all__ = [
    "compositions",
    "inner_mistakes",
    "edits_of_answer",
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
    return (
        f"Your output is exactly {c:.6g} times the answer, in every case: a stray factor "
        "(a division, a mean where the equation has a sum, a 2 or 0.5)?"
    )


def edits_of_answer(ex, mistakes, reproduces, quick) -> str | None:
    """One or two small edits of the answer's body (a known mistake may be one of them) that
    reproduce the learner's output (lstm_course.exercises.mutants)."""
    catalogue = [mutants.Mutant(m.spans(ex.body), (m.diagnosis,), ("catalogue",)) for m in mistakes]
    search = mutants.searcher(ex.def_line, ex.body, ex.namespace, catalogue=catalogue)
    found = search.explain(reproduces, quick)
    if found is None:
        return None
    what = [_capital(w.rstrip(".")) for w in found.what]
    if len(what) == 1:
        return f"Your output is the answer with one slip: {what[0][:1].lower() + what[0][1:]}."
    lines = "\n".join(f"  {k}. {w}." for k, w in enumerate(what, 1))
    return f"Your output is the answer with {len(what)} slips:\n{lines}"


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


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


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
        if H and D and a.ndim == 2 and a.shape[0] == H + D and mutants.is_weight(_short(label))
    )
    if joined:
        where = "in every gate" if len(joined) > 1 else f"where {_short(joined[0])} multiplies it"
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


def substituted(ex, cases, outcomes, matches) -> str | None:
    """The reference run on changed inputs reproduces the learner's output on every case (a
    slip made everywhere at once, e.g. [E, STM] in an answer that writes every gate inline).

    matches(value, learner_value) -> bool compares normalized outputs; the reference runs here,
    in the judge's process, on the pristine cases changed (the learner's code never runs).
    """
    from .outcome import normalize

    dims = case_shape(cases[0])
    for sentence, transform in _substitutions(cases[0], dims):
        if all(
            _reference_matches(ex, transform, case, o.value, matches, normalize)
            for case, o in zip(cases, outcomes, strict=True)
        ):
            return f"Your output is the answer's with one slip made everywhere: {sentence}."
    return None


def _reference_matches(ex, transform, case, got, matches, normalize) -> bool:
    try:
        changed = transform(case)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = normalize(ex.reference(**copy.deepcopy(changed)))
    except Exception:  # noqa: BLE001 - a change the reference cannot run on explains nothing
        return False
    return bool(matches(value, got))
