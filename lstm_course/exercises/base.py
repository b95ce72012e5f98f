"""What an exercise is: ONE package function, plus its cases, known mistakes and hints.

The graded function is written once, in the maths core (``lstm_course.gates`` etc.), with its
teachable body between two marker lines::

    def learn_gate(stm, event, W_n, b_n, W_i, b_i):
        \"\"\"...\"\"\"
        # BEGIN SOLUTION
        x = concat(stm, event)
        ...
        # END SOLUTION

Everything else is derived from that text: the solution the hints show (``solution_source``),
the known mistakes (text edits of the body, ``Mistake``), the notebook's answer (a test proves
the solution notebook's region equal to it) and the answer-free build (``lstm_course.release``
replaces every marked body by a stub). Validation sits outside the markers: it is the
package's business, not the lesson's.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import re
import textwrap
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Exercise",
    "Mistake",
    "Cases",
    "marked_body",
    "learner_def_line",
    "build_function",
    "BEGIN",
    "END",
    "STUB_MESSAGE",
    "is_stub",
]

BEGIN = re.compile(r"^(?P<indent>[ \t]*)#+\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^[ \t]*#+\s*END SOLUTION\s*$")
_DEF = re.compile(r"^def\s+\w+\s*\(", re.M)


def marked_body(fn: Callable) -> str:
    """The dedented text between fn's BEGIN SOLUTION and END SOLUTION lines (ValueError if none)."""
    src = inspect.getsource(inspect.unwrap(fn))
    lines = src.splitlines()
    starts = [k for k, line in enumerate(lines) if BEGIN.match(line)]
    ends = [k for k, line in enumerate(lines) if END.match(line)]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ValueError(
            f"{fn.__module__}.{fn.__name__} needs exactly one '# BEGIN SOLUTION' ... "
            "'# END SOLUTION' region around its teachable body"
        )
    return textwrap.dedent("\n".join(lines[starts[0] + 1 : ends[0]])) + "\n"


def _names_used(body: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(body)) if isinstance(n, ast.Name)}


STUB_MESSAGE = "not attempted yet: replace this line with your code"


def is_stub(fn: Callable) -> bool:
    """Whether fn's answer was replaced by the stub (the answer-free build, a student cell)."""
    try:
        return STUB_MESSAGE in inspect.getsource(inspect.unwrap(fn))
    except (OSError, TypeError):
        return False


def learner_def_line(fn: Callable, body: str | None) -> str:
    """The def line the learner writes: fn's own, without annotations and without the
    package-only parameters that the marked body never reads (e.g. ``return_cache``)."""
    used = _names_used(body) if body is not None else set(inspect.signature(fn).parameters)
    sig = inspect.signature(fn)
    parts = []
    for p in sig.parameters.values():
        if p.default is not inspect.Parameter.empty and p.name not in used:
            continue
        parts.append(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}")
    text = ", ".join(parts).replace("'", '"')
    return f"def {fn.__name__}({text}):"


_BUILT: dict[tuple[str, str, int], tuple[Callable, dict]] = {}


def build_function(def_line: str, body: str, namespace: dict, label: str) -> Callable:
    """Compile ``def_line`` + ``body`` (indented) with a copy of ``namespace`` as globals.

    The source stays readable in tracebacks (registered with linecache under ``label``).
    """
    key = (def_line, body, id(namespace))
    if key in _BUILT:
        return _BUILT[key][0]
    src = def_line + "\n" + textwrap.indent(body, "    ")
    filename = f"<lstm_course {label}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(keepends=True), filename)
    ns = dict(namespace)
    exec(compile(src, filename, "exec"), ns)  # noqa: S102 - the package's own text
    fn = ns[def_line.split()[1].split("(")[0]]
    fn.__lstm_course_source__ = src
    _BUILT[key] = (fn, namespace)  # the namespace kept alive: its id stays unique in the key
    return fn


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: the reference's body with text edits (old, new) applied.

    Every `old` must occur in the body (all its occurrences are replaced), so a change in the
    package function cannot silently leave a mistake equal to the answer. `diagnosis` is
    told to the learner when their output matches this mistake's on every case; `variants`
    limits it to some variants of the exercise (None: all).
    """

    name: str
    diagnosis: str
    edits: tuple[tuple[str, str], ...]
    variants: tuple[str, ...] | None = None

    def applies(self, variant: str | None) -> bool:
        return self.variants is None or variant is None or variant in self.variants

    @property
    def fn(self) -> Callable:
        """The mistake as a function (its exercise's answer with the edits applied)."""
        exercise = self.__dict__.get("_exercise")
        if exercise is None:
            raise AttributeError(f"mistake {self.name!r} belongs to no exercise yet")
        return exercise.mistake_fn(self)

    def spans(self, body: str) -> tuple[tuple[int, int, str], ...]:
        """The edits as non-overlapping (start, end, replacement) spans of `body`."""
        out = []
        for old, new in self.edits:
            start = body.find(old)
            if start < 0:
                raise ValueError(f"mistake {self.name!r}: {old!r} is not in the answer's body")
            while start >= 0:
                out.append((start, start + len(old), new))
                start = body.find(old, start + len(old))
        out.sort()
        for (_, e1, _), (s2, _, _) in zip(out, out[1:], strict=False):
            if s2 < e1:
                raise ValueError(f"mistake {self.name!r}: its edits overlap")
        return tuple(out)


def apply_spans(body: str, spans) -> str:
    out, pos = [], 0
    for start, end, new in sorted(spans):
        out.append(body[pos:start])
        out.append(new)
        pos = end
    out.append(body[pos:])
    return "".join(out)


class Cases(list):
    """The cases of one check: the first `n_base` are described to the learner; the rest are
    probes, each a copy of case `probe_base` with one input changed (``probes[k]`` names it),
    used to see which inputs the learner's output depends on."""

    def __init__(self, base, probes=()):
        super().__init__(list(base) + [case for _, case in probes])
        self.n_base = len(base)
        self.probe_names = [name for name, _ in probes]


@dataclass(eq=False)
class Exercise:
    """One exercise of the course: `fn` is the package function with the marked answer.

    name, solution text, def line and known mistakes' functions are derived from `fn`.
    cases(rng, **options) -> list of kwargs dicts for the function (deterministic for an rng).
    """

    fn: Callable
    notebook: str  # e.g. "01_learn_gate"
    title: str
    cases: Callable
    mistakes: tuple[Mistake, ...]
    hints: tuple[str, ...]  # hint 1 nudges, hint 2 points at the equation
    max_score: int = 1
    tolerance: dict = field(default_factory=lambda: {"rtol": 1e-6, "atol": 1e-9})
    options: dict = field(default_factory=dict)  # option -> allowed values (default first)
    output_labels: dict = field(default_factory=dict)  # path tuple -> label
    expect_type: str | None = None  # e.g. "LSTMParams": the return value's type name
    extra_judge: Callable | None = None  # (case, learner value, expected value) -> str | None
    keyword_only: tuple[str, ...] = ("variant",)
    probe: Callable | None = None  # (rng, case) -> [(input name, changed case)]; None: default

    def __post_init__(self):
        self.name = self.fn.__name__
        try:
            self.body = marked_body(self.fn)
        except ValueError:
            if not is_stub(self.fn):
                raise
            self.body = None  # the answer-free build: the answer is a stub (see answer_free)
        self.def_line = learner_def_line(self.fn, self.body)
        self.namespace = self.fn.__globals__
        self._mistake_fns: dict[str, Callable] = {}
        for m in self.mistakes:  # fail at import time when an edit no longer applies
            m.spans(self.body)
            object.__setattr__(m, "_exercise", self)
        if len({m.name for m in self.mistakes}) != len(self.mistakes):
            raise ValueError(f"{self.name}: two mistakes share a name")

    @property
    def answer_free(self) -> bool:
        """True in the answer-free build: no answer, no mistakes, no solution to show."""
        return self.body is None

    # ----------------------------------------------------------------- derived texts
    @property
    def reference(self) -> Callable:
        """The package function itself: the answer the checks compare with."""
        return self.fn

    def solution_source(self) -> str | None:
        """The answer as the learner writes it: the def line and the marked body (None in the
        answer-free build)."""
        if self.body is None:
            return None
        return self.def_line + "\n" + textwrap.indent(self.body, "    ")

    reference_source = solution_source

    def mistake_fn(self, mistake: Mistake | str) -> Callable:
        """The mistake as a function (the body with the mistake's edits, compiled once)."""
        if isinstance(mistake, str):
            mistake = self.get_mistake(mistake)
        fn = self._mistake_fns.get(mistake.name)
        if fn is None:
            body = apply_spans(self.body, mistake.spans(self.body))
            fn = build_function(self.def_line, body, self.namespace, f"{self.name}/{mistake.name}")
            self._mistake_fns[mistake.name] = fn
        return fn

    def mistake_source(self, mistake: Mistake | str) -> str:
        """A wrong answer ready to paste into the notebook's exercise cell."""
        fn = self.mistake_fn(mistake)
        return fn.__lstm_course_source__

    # ----------------------------------------------------------------- cases and options
    @property
    def seed(self) -> int:
        """The fixed seed of the check's cases (the same cases every run: deterministic output)."""
        return zlib.crc32(self.name.encode())

    def resolve_options(self, **options) -> dict:
        """Options with defaults filled in; ValueError for unknown options or values."""
        unknown = set(options) - set(self.options)
        if unknown:
            raise ValueError(
                f"{self.name} has no option {sorted(unknown)[0]!r}"
                + (f" (options: {', '.join(self.options)})" if self.options else "")
            )
        out = {}
        for opt, allowed in self.options.items():
            value = options.get(opt, allowed[0])
            if value not in allowed:
                raise ValueError(
                    f"{opt} must be one of {', '.join(map(repr, allowed))}, got {value!r}"
                )
            out[opt] = value
        return out

    def make_cases(self, rng=None, probes: bool = True, **options) -> Cases:
        """The check's cases (deterministic for a seed), then probes of the second case."""
        opts = self.resolve_options(**options)
        if rng is None:
            rng = np.random.default_rng(self.seed)
        elif not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(rng)
        base = self.cases(rng, **opts)
        if not probes:
            return Cases(base)
        probe = self.probe or default_probes
        return Cases(base, probe(rng, base[min(1, len(base) - 1)]))

    def mistakes_for(self, **options) -> tuple[Mistake, ...]:
        variant = self.resolve_options(**options).get("variant")
        return tuple(m for m in self.mistakes if m.applies(variant))

    def get_mistake(self, name: str) -> Mistake:
        for m in self.mistakes:
            if m.name == name:
                return m
        raise KeyError(
            f"{self.name} has no mistake {name!r}; known: "
            + ", ".join(m.name for m in self.mistakes)
        )

    def label(self, path: tuple) -> str:
        """A readable name for one part of the output ('' for the whole output)."""
        if path in self.output_labels:
            return self.output_labels[path]
        if not path:
            return ""
        return "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in path)


def _nudged(rng, a):
    a = np.asarray(a)
    scale = float(np.std(a)) if a.size > 1 else float(np.abs(a).max(initial=0.0))
    return (a + rng.standard_normal(a.shape) * max(0.5 * scale, 0.1)).astype(a.dtype)


def default_probes(rng, case: dict) -> list[tuple[str, dict]]:
    """One changed copy of `case` per float input: each top-level array and each array field
    of an LSTMParams argument (named like 'params.W_f')."""
    import dataclasses

    out = []
    for key, value in case.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            out.append((key, {**case, key: _nudged(rng, value)}))
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                arr = getattr(value, f.name)
                if isinstance(arr, np.ndarray) and arr.dtype.kind == "f":
                    changed = dataclasses.replace(value, **{f.name: _nudged(rng, arr)})
                    out.append((f"{key}.{f.name}", {**case, key: changed}))
    return out
