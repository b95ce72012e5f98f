"""Judging in the grader's process: H2's `lstm_course.checks.core.judge` on the outputs that came
back from the kernel, against the reference run here on the same inputs.

`judge_runs(exercise, cases, runs)` -> (status, points, max_points, message) with the
gradebook's vocabulary: passed, failed, not-attempted, error (the learner's code raised).
The message is the check's own learner-facing text (the same words the notebook shows);
the cases' values are never part of it.
"""

from __future__ import annotations

__all__ = ["judge_runs", "make_cases"]


def make_cases(exercise, rng, **options):
    from ..checks.core import make_cases as core_make_cases

    return core_make_cases(exercise, rng, **options)


def _status_of(result, runs) -> str:
    status = getattr(result, "status", "passed" if result.passed else "failed")
    if status == "passed":
        return "passed"
    if status == "not-attempted":
        return "not-attempted"
    if runs and any(r.get("status") == "raised" for r in runs):
        return "error"
    return "failed"


def judge_runs(exercise, cases, runs, **options):
    """Build H2's Outcomes from the kernel's plain dicts and judge them here."""
    from ..checks.core import Outcome, judge

    outcomes = [Outcome.from_dict(r) for r in runs]
    result = judge(exercise, cases, outcomes, **options)
    status = _status_of(result, runs)
    points = (
        float(result.score)
        if status == "passed"
        else float(result.score if status == "failed" else 0)
    )
    return status, points, float(result.max_score), result.message
