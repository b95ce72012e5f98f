"""The autograder the notebooks call: one check per exercise, derived from the registry.

    from lstm_course.checks import check_learn_gate
    check_learn_gate(learn_gate)      # a green/red box in Jupyter, text in a terminal

``check_<name>`` exists for every exercise in lstm_course.exercises.EXERCISES (made here, not
written by hand). Each runs the learner's function on several fixed random cases (B = 1 and
B > 1, H != D, saturated gates) and on probes (one input changed at a time), compares with
the package's answer, and names the mistake: a known one, a combination of two, a small edit
of the answer that reproduces the learner's output, an input the output ignores, or where it
differs. A check never raises because of what the learner wrote (SystemExit included); only
KeyboardInterrupt - pressing stop - gets through. A function that still raises
NotImplementedError is reported as "not attempted yet"; one left behind by a failed run of
its cell (a SyntaxError) is reported as such, never passed. The batch grader uses the same
machinery split in halves: see lstm_course.checks.core.
"""

from __future__ import annotations

from ..exercises import EXERCISES, get_exercise
from . import freshness
from .core import Outcome, judge, make_cases, run_check, run_learner
from .result import CheckResult

freshness.register()  # inside IPython: notice a failed cell that left an old function behind

__all__ = [
    "CheckResult",
    "Outcome",
    "make_cases",
    "run_learner",
    "judge",
    "run_check",
    "CHECKS",
    "yours_or_reference",
] + [f"check_{name}" for name in EXERCISES]


def _make_check(exercise):
    options = ", ".join(f"{opt}={values[0]!r}" for opt, values in exercise.options.items())

    def check(fn, **options) -> CheckResult:
        return run_check(exercise, fn, **options)

    check.__name__ = check.__qualname__ = f"check_{exercise.name}"
    check.__module__ = __name__
    check.__doc__ = (
        f"Check your {exercise.def_line[4:-1]} ({exercise.title}, notebook "
        f"{exercise.notebook})" + (f"; options: {options}" if options else "") + "."
    )
    return check


CHECKS = {name: _make_check(ex) for name, ex in EXERCISES.items()}
globals().update({f"check_{name}": check for name, check in CHECKS.items()})


def yours_or_reference(name: str, fn, **options):
    """The learner's function when it passes its check, else the package's own.

    Prints one line saying which is used and why, e.g.
    "Using your learn_gate (it passes its check)." Options (variant=...) go to the check.
    """
    exercise = get_exercise(name)
    result = run_check(exercise, fn, **options)
    if result.passed:
        print(f"Using your {exercise.name} (it passes its check).")
        return fn
    if result.status == "not-attempted":
        why = "yours is not finished yet (not attempted yet)"
    else:
        why = (
            f"yours does not pass its check yet (run check_{exercise.name}({exercise.name}) "
            "to see why)"
        )
    print(f"Using the package's reference {exercise.name}: {why}.")
    return exercise.fn
