"""Grading ONE submission in one fresh kernel: the learner's cells, then each exercise's cases.

1. The learner's code cells run in order (cells tagged ``skip-grading`` are skipped), each with
   the per-cell time limit and all within the per-notebook limit. A cell that raises does not
   stop the run (like "Run All" with errors shown). A cell that runs past its limit is
   interrupted; a kernel that dies (``os._exit``) or does not come back from an interrupt is
   replaced, the cells that ran before are replayed, and the run goes on without that cell.
2. For each exercise of the lesson: a static check of the defining cell (does it reach for the
   package's own answer?), then fresh random cases (seeded from os.urandom) are sent to the
   kernel, the learner's function runs on them, the outputs come back as a plain .npz
   (allow_pickle=False, framed by a random nonce) and are judged HERE against the reference.

Statuses: passed, failed, not-attempted, error, timeout, crashed, and in the sandbox
memory-limit, cpu-limit, process-limit, output-limit (see sandbox.py); invalid-notebook is
decided before any kernel starts, see submissions.py.
"""

from __future__ import annotations

import ast
import os
import secrets
import time
from dataclasses import dataclass

import numpy as np

from . import harness, static, transport
from .kernel_runner import Kernel

__all__ = [
    "Limits",
    "grade_notebook",
    "Row",
    "invalid_rows",
    "COLUMNS",
    "exercise_refs",
    "cell_notes",
]

COLUMNS = ("submission", "notebook", "exercise", "points", "max_points", "status", "message")
LIMIT_STATUSES = ("memory-limit", "cpu-limit", "process-limit", "output-limit")
STATUSES = (
    "passed",
    "failed",
    "not-attempted",
    "error",
    "timeout",
    "crashed",
    *LIMIT_STATUSES,
    "invalid-notebook",
)
MAX_RESTARTS = 3


@dataclass
class Limits:
    cell_timeout: float = 30.0  # seconds, per cell and per exercise's cases
    notebook_timeout: float = 300.0  # seconds, the whole submission


Row = dict  # keys: COLUMNS


def _row(sub, exercise, points, max_points, status, message) -> Row:
    """A gradebook row; `detail` (not a CSV column) keeps the message's line breaks for feedback."""
    return {
        "submission": sub.id,
        "notebook": sub.lesson,
        "exercise": exercise,
        "points": points,
        "max_points": max_points,
        "status": status,
        "message": " ".join(str(message).split()),
        "detail": str(message).strip(),
    }


def invalid_rows(sub) -> list[Row]:
    from ..exercises import EXERCISES

    if not sub.exercises:
        return [_row(sub, "", 0, 0, "invalid-notebook", sub.problem)]
    return [
        _row(sub, name, 0, EXERCISES[name].max_score, "invalid-notebook", sub.problem)
        for name in sub.exercises
    ]


def _calls(body: str) -> set[str]:
    return {
        n.func.id
        for n in ast.walk(ast.parse(body))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }


def exercise_refs(exercise) -> list[tuple[str, str]]:
    """(module, function) pairs the learner's function must not call: every package function
    that holds a marked answer, except the building blocks the exercise's answer calls,
    directly or through the exercises it calls (lstm_forward -> lstm_cell -> the gates)."""
    from ..answer_free import marked_functions
    from ..exercises import EXERCISES

    if exercise.body is None:  # the answer-free build: there is no answer to call
        return []
    allowed, todo = set(), [exercise.body]
    while todo:
        for name in _calls(todo.pop()) - allowed:
            allowed.add(name)
            inner = EXERCISES.get(name)
            if inner is not None and inner.body is not None:
                todo.append(inner.body)
    return [(mod, name) for mod, name in marked_functions() if name not in allowed]


def _clip(text: str, n: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


class _Run:
    """The state of one submission's run (its kernel, its deadline, what ran)."""

    def __init__(self, sub, kernel: Kernel, limits: Limits):
        self.sub, self.kernel, self.limits = sub, kernel, limits
        self.deadline = time.monotonic() + limits.notebook_timeout
        self.ok_cells: list[int] = []
        self.broken = False  # the kernel could not be brought back
        self.pending = None  # an ExecResult that left the kernel dead/replaced
        self.problem_of: dict = {}  # exercise -> (status, message) of its defining cell
        self.cells: list[str] = []
        self.defs: dict[str, list[int]] = {}

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def budget(self) -> float:
        return min(self.limits.cell_timeout, self.remaining())

    def run_cell(self, i: int):
        names = [n for n, idx in self.defs.items() if i in idx]
        ue = {"cap": harness.capture_expression(self.kernel.token, names)} if names else None
        return self.kernel.execute(self.cells[i], self.budget(), ue)

    def recover(self, res) -> bool:
        """After a crash or a forced restart: a fresh kernel with the good cells replayed."""
        if self.kernel.restarts >= MAX_RESTARTS:
            self.broken = True
            return False
        if (res.status == "crashed" or res.died) and not self.kernel.restart():
            self.broken = True
            return False
        if not self.kernel.ready():
            self.broken = True
            return False
        good = list(self.ok_cells)
        self.ok_cells = []
        for i in good:
            if self.remaining() <= 0:
                return False
            r = self.run_cell(i)
            if r.ok:
                self.ok_cells.append(i)
            elif r.status == "crashed" or r.died or r.restarted:
                self.broken = True
                return False
        return True


def grade_notebook(sub, kernel: Kernel, limits: Limits, rng=None) -> list[Row]:
    """Rows for one valid submission (kernel: a fresh, started Kernel; shut down by the caller)."""
    from ..exercises import EXERCISES

    rng = (
        rng if rng is not None else np.random.default_rng(int.from_bytes(os.urandom(16), "little"))
    )
    run = _Run(sub, kernel, limits)
    code_cells, positions, tagged = [], [], []
    for pos, c in enumerate(sub.nb["cells"], start=1):
        if c.get("cell_type") != "code":
            continue
        if "skip-grading" in (c.get("metadata", {}).get("tags") or []):
            if str(c.get("source", "")).strip():
                tagged.append(_cell_name(pos, c.get("source", "")))
            continue
        code_cells.append(c)
        positions.append(pos)
    run.cells = [c.get("source", "") for c in code_cells]
    run.defs = static.defining_cells(run.cells, sub.exercises)
    cell_res: dict[int, object] = {}

    if not kernel.ready():
        return [
            _row(
                sub,
                n,
                0,
                EXERCISES[n].max_score,
                "crashed",
                "the grader could not start a kernel for this notebook",
            )
            for n in sub.exercises
        ]

    # 1. the learner's cells
    out_of_time_at = None
    for i, src in enumerate(run.cells):
        if not src.strip():
            continue
        if run.remaining() <= 0:
            out_of_time_at = i
            break
        res = run.run_cell(i)
        cell_res[i] = res
        if res.ok:
            run.ok_cells.append(i)
        elif res.status == "crashed" or res.died or res.restarted:
            if not run.recover(res):
                break

    # 2. the exercises
    notes = cell_notes(run, positions, cell_res, out_of_time_at)
    rows = []
    for name in sub.exercises:
        ex = EXERCISES[name]
        row = _grade_exercise(run, ex, cell_res, out_of_time_at, rng)
        rows.append(_with_cell_notes(row, run, name, notes, positions, tagged))
    return rows


def _cell_name(pos: int, src: str) -> str:
    """'cell 5 (`import torch`)': the cell's place in the notebook and its first line."""
    first = next((line.strip() for line in str(src).splitlines() if line.strip()), "")
    first = first if len(first) <= 40 else first[:37] + "..."
    return f"cell {pos} (`{first}`)"


def cell_notes(run, positions, cell_res, out_of_time_at) -> list[tuple[int, str]]:
    """(code cell index, note) for every learner cell that did not run to its end: timed
    out, crashed the kernel, hit a sandbox limit, or was never run (the notebook's time ran
    out, or the kernel could not be brought back). Cells that raised are the learner's to
    see in their notebook and are not listed."""
    notes, limits = [], run.limits
    for i, src in enumerate(run.cells):
        if not src.strip():
            continue
        name = _cell_name(positions[i], src)
        res = cell_res.get(i)
        if res is None:
            if out_of_time_at is not None and i >= out_of_time_at:
                why = f"not run: the notebook's {limits.notebook_timeout:g} s limit was spent"
            else:
                why = "not run: the kernel kept dying before it"
            notes.append((i, f"{name}: {why}"))
        elif res.status == "timeout":
            notes.append((i, f"{name}: stopped after {limits.cell_timeout:g} s (timeout)"))
        elif res.status == "crashed":
            notes.append((i, f"{name}: the kernel died running it (crashed)"))
        elif res.status in LIMIT_STATUSES:
            notes.append((i, f"{name}: {res.evalue} ({res.status})"))
    return notes


def _with_cell_notes(row, run, name, notes, positions, tagged) -> Row:
    """The row with the submission's cell problems (gradebook column `cell_problems`; the
    feedback lists them and the cells skipped by tag) and, when this exercise did not pass
    and a cell before its definition had one, a note in its message naming that cell."""
    row["cell_notes"] = [note for _, note in notes]  # for the feedback (not a CSV column)
    row["cell_problems"] = "; ".join(row["cell_notes"])
    row["skipped_cells"] = list(tagged)
    idx = run.defs.get(name) or []
    before = [note for i, note in notes if not idx or i < idx[-1]]
    if (
        row["status"] not in ("passed", "not-attempted")
        and before
        and not any(note.split(":")[0] in row["message"] for note in before)
    ):
        extra = "An earlier cell did not finish, so what it defines may be missing: " + (
            "; ".join(before)
        )
        row["message"] = f"{row['message']} {extra}"
        row["detail"] = f"{row['detail']}\n\n{extra}"
    return row


def _cell_problem(run, name, cell_res, out_of_time_at):
    """(status, message) when the cell defining `name` did not run cleanly, else None."""
    idx = run.defs.get(name) or []
    for i in reversed(idx):
        res = cell_res.get(i)
        if res is None:
            if out_of_time_at is not None and i >= out_of_time_at:
                return (
                    "timeout",
                    f"the notebook ran out of its total time limit "
                    f"({run.limits.notebook_timeout:g} s) before the cell that defines "
                    f"{name} ran",
                )
            if run.broken:
                return ("crashed", f"the kernel kept dying before the cell that defines {name} ran")
            continue
        if res.status in LIMIT_STATUSES:
            return (res.status, f"the cell that defines {name} {res.evalue}")
        if res.status == "timeout":
            return (
                "timeout",
                f"the cell that defines {name} was still running after "
                f"{run.limits.cell_timeout:g} s and was stopped (an infinite loop?)",
            )
        if res.status == "crashed":
            return (
                "crashed",
                f"the kernel died while running the cell that defines {name} "
                "(os._exit, sys.exit in a thread, a segfault or running out of memory)",
            )
        if res.status == "error":
            return (
                "error",
                f"the cell that defines {name} raised {_clip(res.ename)}: {_clip(res.evalue)}",
            )
        return None
    return None


def _grade_exercise(run, ex, cell_res, out_of_time_at, rng) -> Row:
    sub, name, maxp = run.sub, ex.name, ex.max_score
    idx = run.defs.get(name) or []
    if idx:
        why = static.reference_use(run.cells[idx[-1]], name, run.cells)
        if why:
            return _row(
                sub,
                name,
                0,
                maxp,
                "failed",
                f"{why}; the exercise is to write {name} yourself (0 points)",
            )
    problem = _cell_problem(run, name, cell_res, out_of_time_at)
    if run.broken:
        return _row(
            sub,
            name,
            0,
            maxp,
            "crashed",
            problem[1] if problem else "the kernel kept dying; this exercise could not be run",
        )
    if run.remaining() <= 0:
        return _row(
            sub,
            name,
            0,
            maxp,
            "timeout",
            f"the notebook ran out of its total time limit "
            f"({run.limits.notebook_timeout:g} s) before {name} was checked",
        )
    if problem and problem[0] in ("timeout", "crashed", *LIMIT_STATUSES):
        return _row(sub, name, 0, maxp, *problem)
    run.problem_of[name] = problem

    if run.pending is not None:  # the previous exercise killed the kernel: a fresh one first
        pending, run.pending = run.pending, None
        if not run.recover(pending):
            return _row(
                sub,
                name,
                0,
                maxp,
                "crashed",
                "the kernel could not be restarted after an earlier exercise crashed it",
            )

    from .judging import judge_runs

    variants = _option_sets(ex)
    results = []
    for options in variants:
        outcome = _run_variant(run, ex, rng, options)
        if isinstance(outcome, tuple) and outcome[0] == "row":
            return _row(sub, name, 0, maxp, outcome[1], outcome[2])
        cases, runs = outcome
        results.append((options, judge_runs(ex, cases, runs, **options)))
    return _combine(sub, ex, results)


def _option_sets(ex) -> list[dict]:
    """Every variant the notebook's check cells cover (e.g. variant='lesson' and 'standard')."""
    options = getattr(ex, "options", {}) or {}
    if "variant" in options:
        return [{"variant": v} for v in options["variant"]]
    return [{}]


def _combine(sub, ex, results) -> Row:
    """One row from the per-variant verdicts: points in proportion to the variants passed."""
    maxp = ex.max_score
    if len(results) == 1:
        _, (status, points, max_points, message) = results[0]
        return _row(sub, ex.name, points, max_points, status, message)
    statuses = [r[1][0] for r in results]
    passed = sum(s == "passed" for s in statuses)
    if passed == len(results):
        status = "passed"
    elif all(s == "not-attempted" for s in statuses):
        status = "not-attempted"
    elif "error" in statuses:
        status = "error"
    elif "failed" in statuses or passed:
        status = "failed"
    else:
        status = "not-attempted"
    points = round(maxp * passed / len(results), 4)
    if status == "not-attempted":
        message = results[0][1][3]
    else:
        message = "\n".join(
            f"variant={opts.get('variant')!r}: {r[0]}. {r[3]}"
            if r[0] != "passed"
            else f"variant={opts.get('variant')!r}: passed. {r[3]}"
            for opts, r in results
        )
    return _row(sub, ex.name, points, maxp, status, message)


def _run_variant(run, ex, rng, options):
    """(cases, runs) for one option set, or ("row", status, message) when it cannot be judged."""
    from .judging import make_cases

    name = ex.name
    cases = make_cases(ex, rng, **options)
    cases_nonce, out_nonce = secrets.token_hex(12), secrets.token_hex(12)
    code = harness.exercise_code(
        token=run.kernel.token,
        nonce=secrets.token_hex(6),
        name=name,
        refs=exercise_refs(ex),
        cases_payload=transport.pack(list(cases), cases_nonce),
        cases_nonce=cases_nonce,
        out_nonce=out_nonce,
        keyword_only=getattr(ex, "keyword_only", ("variant",)),
    )
    res = run.kernel.execute(
        code,
        run.budget(),
        {"out": harness.result_expression(run.kernel.token)},
        store_history=False,
    )
    if res.status == "timeout":
        if res.restarted:
            run.pending = res
        return (
            "row",
            "timeout",
            f"{name} did not return within {run.limits.cell_timeout:g} s (an infinite loop?)",
        )
    if res.status in LIMIT_STATUSES:
        if res.died or res.restarted:
            run.pending = res
        return ("row", res.status, f"your {name} {res.evalue}")
    if res.status == "crashed":
        run.pending = res
        return (
            "row",
            "crashed",
            f"the kernel died while running your {name} (os._exit, a "
            "segfault or running out of memory)",
        )
    if res.status == "error":
        return (
            "row",
            "error",
            f"the grader could not run {name}: {_clip(res.ename)}: {_clip(res.evalue)}",
        )
    payload = harness.parse_user_expression(res.user_expressions.get("out", {}))
    try:
        report = transport.unpack(payload, out_nonce)
    except transport.TransportError as exc:
        return ("row", "error", f"the grader could not read what {name} returned ({exc})")
    if not isinstance(report, dict) or not report.get("found"):
        if run.problem_of.get(name):
            return ("row", *run.problem_of[name])
        return (
            "row",
            "error",
            f"there is no function named {name} in this notebook (was its "
            "cell deleted or renamed?)",
        )
    if not report.get("callable"):
        return ("row", "error", f"{name} is a {report.get('type_name', 'value')}, not a function")
    if report.get("reference"):
        return (
            "row",
            "failed",
            f"{name} is the package's own {report['reference']}; the "
            "exercise is to write it yourself (0 points)",
        )
    if report.get("tripped"):
        return (
            "row",
            "failed",
            f"your {name} calls the package's own "
            f"{', '.join(report['tripped'])}; the exercise is to write it yourself (0 points)",
        )
    runs = report.get("runs")
    if (
        not isinstance(runs, list)
        or not 0 < len(runs) <= len(cases)
        or not all(isinstance(r, dict) for r in runs)
    ):
        return ("row", "error", f"the grader got no usable results for {name}")
    sandbox = getattr(run.kernel, "sandbox", None)
    if sandbox is not None:  # the learner's function itself ran into a limit
        from .kernel_runner import limit_status

        for r in runs:
            error = str(r.get("error") or "") if r.get("status") == "raised" else ""
            ename, _, evalue = error.partition(":")
            status = limit_status(ename.strip(), evalue) if error else None
            if status:
                return ("row", status, f"your {name} {sandbox.limits.messages()[status]}")
    return cases, runs
