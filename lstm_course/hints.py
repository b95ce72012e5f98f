"""Layered hints for every exercise: Hint 1 (a nudge), Hint 2 (the equation), the Solution.

    from lstm_course.hints import hints
    hints("learn_gate")     # three collapsible sections in Jupyter; plain text in a terminal

The solution is the reference function's source. An instructor hides it by setting the
environment variable LSTM_COURSE_SOLUTIONS=off (also: 0, false, no, hide, hidden) before
starting Jupyter.

    package_source("learn_gate", learn_gate)

shows the package's own function (its whole source: the answer and the validation around
it) to compare with the learner's, but only once the learner's function passes its check:
until then it says so, and gives nothing away.
"""

from __future__ import annotations

import html
import inspect
import os

from .checks import run_check
from .exercises import get_exercise

__all__ = ["hints", "Hints", "solutions_enabled", "HIDDEN_MESSAGE", "package_source"]

SWITCH = "LSTM_COURSE_SOLUTIONS"
HIDDEN_MESSAGE = (
    "The solution is hidden in this course (your instructor turned it off); "
    "the two hints above are all you get - and enough."
)


def solutions_enabled() -> bool:
    """False when the instructor has set LSTM_COURSE_SOLUTIONS=off (or 0/false/no/hide)."""
    value = os.environ.get(SWITCH, "").strip().lower()
    return value not in ("off", "0", "false", "no", "hide", "hidden")


class Hints:
    """The hints of one exercise; displays itself (HTML in Jupyter, text elsewhere)."""

    def __init__(self, name: str):
        self.exercise = get_exercise(name)
        self.name = self.exercise.name

    @property
    def hints(self) -> tuple[str, ...]:
        return self.exercise.hints

    @property
    def solution(self) -> str | None:
        """The answer (the package function's marked body under the learner's def line), or
        None when solutions are switched off."""
        return self.exercise.solution_source() if solutions_enabled() else None

    def __str__(self) -> str:
        parts = [f"Hints for {self.name} ({self.exercise.title})"]
        for k, h in enumerate(self.hints, 1):
            parts.append(f"Hint {k}: {h}")
        sol = self.solution
        parts.append(
            "Solution:\n"
            + (
                "\n".join("    " + line for line in sol.splitlines())
                if sol is not None
                else "    " + HIDDEN_MESSAGE
            )
        )
        return "\n".join(parts)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        box = (
            '<details style="margin: 2px 0;"><summary style="cursor: pointer; '
            'font-weight: bold;">{}</summary><div style="margin: 4px 0 6px 18px;">{}</div>'
            "</details>"
        )
        out = [
            f'<div class="lstm-course-hints" style="font-family: sans-serif; '
            f'font-size: 0.95em;"><div>Hints for <code>{html.escape(self.name)}</code> '
            f"({html.escape(self.exercise.title)}) - click to open, one at a time.</div>"
        ]
        for k, h in enumerate(self.hints, 1):
            out.append(box.format(f"Hint {k}", html.escape(h)))
        sol = self.solution
        body = (
            f'<pre style="margin: 0;">{html.escape(sol)}</pre>'
            if sol is not None
            else f"<em>{html.escape(HIDDEN_MESSAGE)}</em>"
        )
        out.append(box.format("Solution", body))
        out.append("</div>")
        return "".join(out)


def hints(name: str) -> Hints:
    """The hints for exercise `name` (e.g. "learn_gate"); display it to read them."""
    return Hints(name)


class PackageSource:
    """The package's implementation of an exercise's function, or why it is not shown yet."""

    def __init__(self, name: str, shown: bool, text: str):
        self.name, self.shown, self.text = name, shown, text

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if self.shown:
            head, _, body = self.text.partition("\n")
            return f"<div>{html.escape(head)}</div><pre>{html.escape(body)}</pre>"
        return f"<em>{html.escape(self.text)}</em>"


def package_source(name: str, yours, variant: str | None = None) -> PackageSource:
    """The package's own `name` (e.g. "learn_gate"), shown once `yours` passes its check.

    Until then (not attempted, or failing) it only says where to look next, so reading on in
    a notebook never hands over the answer.
    """
    exercise = get_exercise(name)
    options = {} if variant is None else {"variant": variant}
    result = run_check(exercise.name, yours, **options)
    if not result.passed:
        return PackageSource(
            name,
            False,
            f"The package's own {name} appears here once yours passes its check "
            f'(the check above says what to fix; hints("{name}") helps).',
        )
    fn = exercise.fn
    where = f"{fn.__module__}.{fn.__qualname__}"
    return PackageSource(
        name, True, f"Yours passes. The package's version ({where}):\n{inspect.getsource(fn)}"
    )
