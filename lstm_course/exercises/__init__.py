"""The course's exercises, each defined once around one package function.

    from lstm_course.exercises import EXERCISES, get_exercise
    ex = EXERCISES["learn_gate"]     # ex.fn (lstm_course.gates.learn_gate), ex.make_cases(rng),
                                     # ex.mistakes, ex.hints, ex.solution_source()
    print(ex.mistake_source(ex.mistakes[0]))   # a wrong answer, ready to paste into a notebook

The graded function is written once, in the maths core, its teachable body between
``# BEGIN SOLUTION`` and ``# END SOLUTION``; the solution the hints show, the known mistakes
(text edits of that body), the notebook's answer and the answer-free build all come from it.
The checks (lstm_course.checks), the hints (lstm_course.hints) and the batch grader read this
registry; it imports nothing from them (imports flow: maths core <- exercises <- checks,
hints <- grading, CLI).

Adding a known mistake: append ``_m(name, diagnosis, (old_text, new_text), ...)`` to the
exercise's tuple of mistakes (e.g. LEARN_MISTAKES in gates.py): text edits of the marked
body. The tests check that it differs from the answer, that the check names it with its
diagnosis (for any random cases), and that its pasted source reproduces it. Keep the
diagnosis in the lesson's words: what the learner did, then the right equation.
"""

from __future__ import annotations

from .base import Exercise, Mistake
from .registry import EXERCISES, NOTEBOOKS, get_exercise

__all__ = ["Exercise", "Mistake", "EXERCISES", "NOTEBOOKS", "get_exercise"]
