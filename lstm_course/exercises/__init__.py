"""The course's exercises, each defined once: reference, cases, known mistakes, hints.

    from lstm_course.exercises import EXERCISES, get_exercise, yours_or_reference
    ex = EXERCISES["learn_gate"]        # ex.reference, ex.make_cases(rng), ex.mistakes, ex.hints
    print(ex.mistake_source(ex.mistakes[0]))   # a wrong answer, ready to paste into a notebook

The checks (lstm_course.checks), the hints (lstm_course.hints) and the batch grader all read
this registry, so a new known mistake is diagnosed and tested everywhere at once.

Adding a known mistake: append to the exercise's tuple of mistakes (e.g. LEARN_MISTAKES in
gates.py) a ``Mistake(name, diagnosis, derive(reference, (old_text, new_text), ...))`` - the
reference's source with a text edit - or any top-level function with the reference's
signature that uses only np, sigmoid, tanh and lstm_course's public names. The tests then
check that it differs from the reference, that the check names it with its diagnosis (for
any random cases), and that its pasted source reproduces it. Keep the diagnosis in the
lesson's words: what the learner did, then the right equation.
"""

from __future__ import annotations

from .base import Exercise, Mistake
from .registry import EXERCISES, get_exercise

__all__ = ["Exercise", "Mistake", "EXERCISES", "get_exercise", "yours_or_reference"]


def yours_or_reference(name: str, fn, **options):
    """The learner's function when it passes its check, else the package's reference.

    Prints one line saying which is used and why, e.g.
    "Using your learn_gate (it passes its check)." Options (variant=...) go to the check.
    """
    from ..checks import run_check

    exercise = get_exercise(name)
    result = run_check(exercise, fn, **options)
    if result.passed:
        print(f"Using your {exercise.name} (it passes its check).")
        return fn
    if result.status == "not_attempted":
        why = "yours is not finished yet (not attempted yet)"
    else:
        why = (
            f"yours does not pass its check yet (run check_{exercise.name}({exercise.name}) "
            "to see why)"
        )
    print(f"Using the package's reference {exercise.name}: {why}.")
    return exercise.reference
