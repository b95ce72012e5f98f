"""What an exercise is: its reference, its test cases, its known mistakes and its hints.

Known mistakes are usually *derived* from the reference's source by small text edits
(``derive``), so each one is exactly "the reference with one thing wrong", and its source is
kept so that a notebook can show it and the grader can build a wrong submission from it.
Sources only use ``np``, ``sigmoid``, ``tanh`` and the package's public names.
"""

from __future__ import annotations

import inspect
import linecache
import re
import textwrap
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Exercise", "Mistake", "derive", "source_namespace", "function_source"]

_DEF = re.compile(r"^def\s+\w+\s*\(", re.M)


def source_namespace() -> dict:
    """Names a reference or mistake source may use: np, sigmoid, tanh, lstm_course's public API."""
    import lstm_course

    ns = {name: getattr(lstm_course, name) for name in lstm_course.__all__}
    ns.update(
        np=np, sigmoid=lstm_course.sigmoid, tanh=lstm_course.tanh, LSTMParams=lstm_course.LSTMParams
    )
    return ns


def function_source(fn: Callable) -> str:
    """The source of fn (derived functions keep theirs in __lstm_course_source__)."""
    src = getattr(fn, "__lstm_course_source__", None)
    if src is None:
        src = inspect.getsource(fn)
    return textwrap.dedent(src).rstrip() + "\n"


def derive(reference: Callable, *edits, label: str = "mistake") -> Callable:
    """A new function: the reference's source with the text edits (old, new) applied.

    Every `old` must occur in the source (all occurrences are replaced) so that a change in the
    reference cannot silently leave a mistake equal to it. The function keeps its source in
    ``__lstm_course_source__`` and is compiled with `source_namespace()` as its globals.
    """
    src = function_source(reference)
    for old, new in edits:
        if old not in src:
            raise ValueError(f"{label}: {old!r} is not in the source of {reference.__name__}")
        src = src.replace(old, new)
    filename = f"<lstm_course {label}>"
    lines = src.splitlines(keepends=True)
    linecache.cache[filename] = (len(src), None, lines, filename)
    ns = source_namespace()
    exec(compile(src, filename, "exec"), ns)  # noqa: S102 - our own source text
    fn = ns[reference.__name__]
    fn.__lstm_course_source__ = src
    return fn


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: `fn` has the reference's signature and makes exactly this mistake.

    `diagnosis` is told to the learner when their output matches fn's on every case.
    `variants` limits it to some variants of the exercise (None: all).
    """

    name: str
    diagnosis: str
    fn: Callable
    variants: tuple[str, ...] | None = None

    def applies(self, variant: str | None) -> bool:
        return self.variants is None or variant is None or variant in self.variants


@dataclass(frozen=True)
class Exercise:
    """One exercise of the course (see lstm_course.exercises.EXERCISES)."""

    name: str  # the function the learner writes, e.g. "learn_gate"
    notebook: str  # e.g. "01_learn_gate"
    title: str
    reference: Callable
    case_generator: Callable  # (rng, **options) -> list of kwargs dicts
    mistakes: tuple[Mistake, ...]
    hints: tuple[str, ...]  # hint 1 nudges, hint 2 points at the equation
    max_score: int = 1
    tolerance: dict = field(default_factory=lambda: {"rtol": 1e-6, "atol": 1e-9})
    options: dict = field(default_factory=dict)  # option -> allowed values (default first)
    output_labels: dict = field(default_factory=dict)  # path tuple -> label
    expect_type: str | None = None  # e.g. "LSTMParams": the return value's type name
    extra_judge: Callable | None = None  # (case, learner value, expected value) -> str | None
    keyword_only: tuple[str, ...] = ("variant",)

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

    def make_cases(self, rng=None, **options) -> list[dict]:
        """The check's cases: a list of kwargs dicts for the function (deterministic for a seed)."""
        opts = self.resolve_options(**options)
        if rng is None:
            rng = np.random.default_rng(self.seed)
        elif not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(rng)
        return self.case_generator(rng, **opts)

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

    def mistake_source(self, mistake: Mistake | str) -> str:
        """The mistake's source with its def renamed to this exercise's function name."""
        if isinstance(mistake, str):
            mistake = self.get_mistake(mistake)
        return _DEF.sub(f"def {self.name}(", function_source(mistake.fn), count=1)

    def reference_source(self) -> str:
        return _DEF.sub(f"def {self.name}(", function_source(self.reference), count=1)

    def label(self, path: tuple) -> str:
        """A readable name for one part of the output ('' for the whole output)."""
        if path in self.output_labels:
            return self.output_labels[path]
        if not path:
            return ""
        return "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in path)
