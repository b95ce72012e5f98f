"""The batch grader: each submission in a fresh kernel, judged in the grader's process.

    from lstm_course.grading import grade_paths, Limits
    run = grade_paths(["submissions/"], "gradebook.csv", jobs=2, limits=Limits(30, 300))

Modules (one idea each): submissions (find & validate notebooks), static (source checks),
harness (the code sent into a kernel), transport (pickle-free .npz framing), kernel_runner
(a kernel with time limits, a warm pool), notebook (one submission -> rows), judging (H2's
judge on the returned outputs), gradebook (atomic CSV, cache), feedback (one Markdown file per
submission), summary (end-of-run table), worker/engine (the process pool).
"""

from .engine import GradeRun, grade_paths
from .notebook import COLUMNS, STATUSES, Limits

__all__ = ["grade_paths", "GradeRun", "Limits", "COLUMNS", "STATUSES"]
