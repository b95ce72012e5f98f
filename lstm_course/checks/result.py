"""CheckResult: what a check returns; a small coloured box in Jupyter, plain text in a terminal.

Both representations are deterministic (no ids, addresses or timings): nbval compares them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

__all__ = ["CheckResult"]

_STYLE = {
    # status: (symbol, headline, border colour, background)
    "passed": ("\u2714", "passes its check", "#1e8e3e", "#e6f4ea"),
    "failed": ("\u2718", "does not pass its check yet", "#d93025", "#fce8e6"),
    "not-attempted": ("\u2026", "not attempted yet", "#b06000", "#fef7e0"),
    "not-checked": ("\u2022", "is checked by the grader in this lab", "#5f6368", "#f1f3f4"),
}


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check.

    passed, message, score (max_score when passed, else 0), max_score; name is the exercise,
    status one of 'passed', 'failed', 'not-attempted', 'not-checked' (the answer-free
    build). bool(result) is result.passed.
    """

    name: str
    passed: bool
    message: str
    score: float
    max_score: float
    status: str = "failed"

    @classmethod
    def make(cls, name: str, status: str, message: str, max_score: float) -> CheckResult:
        passed = status == "passed"
        return cls(
            name=name,
            passed=passed,
            message=message.strip(),
            score=max_score if passed else 0,
            max_score=max_score,
            status=status,
        )

    def __bool__(self) -> bool:
        return self.passed

    @property
    def short_reason(self) -> str:
        """A few words for one-line summaries: 'not attempted yet', 'it does not pass ...'."""
        if self.status == "not-attempted":
            return "not attempted yet"
        if self.passed:
            return "it passes its check"
        return f"it does not pass its check yet: run check_{self.name}({self.name}) to see why"

    def headline(self) -> str:
        symbol, words, _, _ = _STYLE.get(self.status, _STYLE["failed"])
        score = f"{_num(self.score)}/{_num(self.max_score)}"
        return f"{symbol} {self.name} {words} (score {score})"

    def __str__(self) -> str:
        body = "\n".join("  " + line if line else "" for line in self.message.splitlines())
        return self.headline() + ("\n" + body if body else "")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        _, _, border, background = _STYLE.get(self.status, _STYLE["failed"])
        body = html.escape(self.message)
        return (
            f'<div class="lstm-course-check lstm-course-{self.status}" style="border-left: 5px '
            f"solid {border}; background: {background}; padding: 6px 10px; margin: 4px 0; "
            f'border-radius: 3px; font-family: sans-serif; font-size: 0.95em; color: #202124;">'
            f'<div style="font-weight: bold; color: {border};">{html.escape(self.headline())}</div>'
            + (f'<div style="white-space: pre-wrap; margin-top: 3px;">{body}</div>' if body else "")
            + "</div>"
        )


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)
