"""Per-student totals and an export an LMS imports: `lstm-course export GRADEBOOK ...`.

- ``totals``: one row per student and assignment: ``student,assignment,points,max_points``.
- ``canvas``: Canvas's gradebook CSV, ``Student,ID,SIS User ID,SIS Login ID,Section`` then one
  column per assignment, a ``Points Possible`` row, then one row per student with their total.

A student's total for an assignment is the sum of their points over every notebook of that
assignment; the assignment's *possible* points are the sum of the maximum of each exercise that
appears in it (so a student who did not hand in one of its notebooks gets nothing for it, and a
file that could not be graded earns 0 of the possible points). A student with no submission for
an assignment gets an empty cell (Canvas leaves an empty cell's grade as it is).

The roster (``--roster``) links the gradebook's student ids to Canvas: a CSV with the columns
``Student, ID, SIS User ID, SIS Login ID, Section`` (any subset; Canvas's own gradebook export
is such a file). A gradebook student matches the roster row whose ``student`` column (if any),
``SIS Login ID``, ``SIS User ID``, ``ID`` or ``Student`` equals it (case and surrounding spaces
ignored), tried in that order. Roster columns named like ``Homework 1 (12345)`` name Canvas's
assignments: a gradebook assignment ``Homework 1`` (same name, case ignored) is exported under
that exact header, which is how Canvas recognises an existing assignment.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from pathlib import Path

from .gradebook import NotAGradebook, _num

__all__ = [
    "student_totals",
    "assignment_possible",
    "totals_csv",
    "canvas_csv",
    "read_roster",
    "CANVAS_COLUMNS",
    "FORMATS",
]

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "    Points Possible"  # as in Canvas's own exports
MATCH_ORDER = ("student", "SIS Login ID", "SIS User ID", "ID", "Student")
FORMATS = ("canvas", "totals")


def _student(r) -> str:
    return r.get("student") or r["submission"]


def assignment_possible(rows) -> dict[str, float]:
    """assignment -> the sum of the maximum points of each exercise seen in it."""
    best: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)
    for r in rows:
        a = r.get("assignment", "") or r.get("notebook", "")
        key = (r["notebook"], r["exercise"])
        best[a][key] = max(best[a].get(key, 0.0), float(r["max_points"]))
    return {a: sum(v.values()) for a, v in best.items()}


def student_totals(rows) -> list[dict]:
    """One dict per (student, assignment) with a submission: points, max_points (the
    assignment's possible points) and submissions (how many notebooks)."""
    possible = assignment_possible(rows)
    points: dict[tuple[str, str], float] = defaultdict(float)
    subs: dict[tuple[str, str], set] = defaultdict(set)
    for r in rows:
        key = (_student(r), r.get("assignment", "") or r.get("notebook", ""))
        points[key] += float(r["points"])
        subs[key].add(r["submission"])
    return [
        {
            "student": s,
            "assignment": a,
            "points": points[(s, a)],
            "max_points": possible[a],
            "submissions": len(subs[(s, a)]),
        }
        for s, a in sorted(points)
    ]


def totals_csv(rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("student", "assignment", "points", "max_points", "submissions"))
    for t in student_totals(rows):
        w.writerow(
            (
                t["student"],
                t["assignment"],
                _num(t["points"]),
                _num(t["max_points"]),
                t["submissions"],
            )  # fmt: skip
        )
    return buf.getvalue()


def read_roster(path) -> tuple[list[dict], list[str]]:
    """(rows, header) of a roster CSV. Raises NotAGradebook (a bad input file) with a reason."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotAGradebook(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NotAGradebook(f"cannot read the roster {path}: {exc}") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip() for h in (reader.fieldnames or [])]
        rows = [{(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in reader]
    except csv.Error as exc:
        raise NotAGradebook(f"the roster {path} is not a readable CSV: {exc}") from None
    if not any(c in header for c in MATCH_ORDER):
        raise NotAGradebook(
            f"the roster {path} has none of the columns {', '.join(MATCH_ORDER)} "
            "to match students by"
        )
    return rows, header


def _match(roster_rows, student: str) -> dict | None:
    want = student.strip().lower()
    for col in MATCH_ORDER:
        for r in roster_rows:
            v = r.get(col, "")
            if v and v.lower() == want:
                return r
    return None


_CANVAS_ASSIGNMENT = re.compile(r"^(?P<name>.*\S)\s*\((?P<id>\d+)\)$")


def canvas_csv(rows, roster=None) -> tuple[str, list[str]]:
    """(Canvas gradebook CSV text, gradebook students the roster does not know).

    `roster`: (rows, header) from read_roster, or None (each student's id fills Student and
    SIS Login ID; ID, SIS User ID and Section stay empty)."""
    totals = student_totals(rows)
    possible = assignment_possible(rows)
    assignments = sorted(possible)
    roster_rows, roster_header = roster if roster else ([], [])
    headers = {}
    for a in assignments:
        headers[a] = a
        for h in roster_header:
            m = _CANVAS_ASSIGNMENT.match(h)
            if m and m.group("name").strip().lower() == a.strip().lower():
                headers[a] = h
    by_student: dict[str, dict[str, float]] = defaultdict(dict)
    for t in totals:
        by_student[t["student"]][t["assignment"]] = t["points"]
    unmatched = []
    out_rows = []
    for student in sorted(by_student):
        if roster:
            r = _match(roster_rows, student)
            if r is None:
                unmatched.append(student)
                who = {"Student": student}
            else:
                who = {c: r.get(c, "") for c in CANVAS_COLUMNS}
        else:
            who = {"Student": student, "SIS Login ID": student}
        cells = [who.get(c, "") for c in CANVAS_COLUMNS]
        cells += [
            _num(by_student[student][a]) if a in by_student[student] else "" for a in assignments
        ]
        out_rows.append(cells)
    out_rows.sort(key=lambda c: (c[0].lower(), c[3], c[1]))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*CANVAS_COLUMNS, *(headers[a] for a in assignments)])
    w.writerow([POINTS_POSSIBLE, "", "", "", "", *(_num(possible[a]) for a in assignments)])
    w.writerows(out_rows)
    return buf.getvalue(), unmatched
