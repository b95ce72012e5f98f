"""The class report and the LMS export, on a generated class of 40 with known answers.

No kernels: the gradebook rows are written directly (through the Gradebook class, as `grade`
writes them), with the check messages the grader would have stored for each known mistake. Every
count, rate, total and the Canvas CSV are then asserted exactly.

The class (nbgrader layout, ids ``sNN/hw1/01_learn_gate.ipynb`` and ``sNN/hw2/05_lstm_cell.ipynb``):

=========  ========================  =======================  ============================
student    learn_gate (hw1)          lstm_cell (hw2)          lstm_forward (hw2)
=========  ========================  =======================  ============================
s01-s20    passed                    passed                   passed
s21-s25    known mistake: b_n out    passed                   passed
s26-s30    known mistake: b_n out    passed                   failed, 0.5 (state_not_carried)
s31-s34    known mistake: swapped    known: returns_swapped   not-attempted
s35-s36    two known mistakes        known: returns_swapped   not-attempted
s37-s38    ignores b_n (sensitivity) error ValueError         not-attempted
s39        timeout                   timeout                  timeout
s40        not-attempted             invalid-notebook         invalid-notebook
=========  ========================  =======================  ============================
"""

from __future__ import annotations

import base64
import csv
import io
import re

import numpy as np
import pytest

from lstm_course.checks.core import NOT_ATTEMPTED
from lstm_course.cli import main
from lstm_course.exercises import EXERCISES
from lstm_course.grading.gradebook import Gradebook, read_gradebook
from lstm_course.grading.lms import canvas_csv, student_totals, totals_csv
from lstm_course.grading.report import (
    class_stats,
    diagnosis_key,
    report_html,
    report_markdown,
)

N = 40
STUDENTS = [f"s{n:02d}" for n in range(1, N + 1)]


def diag(exercise, mistake):
    return next(m.diagnosis for m in EXERCISES[exercise].mistakes if m.name == mistake)


def stuck(name):
    return f' Stuck? Run hints("{name}").'


def known(name, mistake):
    return f"Known mistake: {diag(name, mistake)}" + stuck(name)


def row(sid, nb, ex, pts, status, msg, mx=1):
    return {
        "submission": sid,
        "notebook": nb,
        "exercise": ex,
        "points": pts,
        "max_points": mx,
        "status": status,
        "message": " ".join(msg.split()),
    }


def learn_gate_row(n, sid):
    L, X = "01_learn_gate", "learn_gate"
    if n <= 20:
        return row(sid, L, X, 1, "passed", "All 5 cases match the reference: 1. B=1 2. ...")
    if n <= 30:
        return row(sid, L, X, 0, "failed", known(X, "b_n_left_out"))
    if n <= 34:
        return row(sid, L, X, 0, "failed", known(X, "sigmoid_tanh_swapped"))
    if n <= 36:
        text = (
            "Two known mistakes at once:\n"
            f"  1. {diag(X, 'b_n_left_out')[0].upper() + diag(X, 'b_n_left_out')[1:]}\n"
            f"  2. {diag(X, 'sigmoid_tanh_swapped')[0].upper()}"
            f"{diag(X, 'sigmoid_tanh_swapped')[1:]}" + stuck(X)
        )
        return row(sid, L, X, 0, "failed", text)
    if n <= 38:  # the same diagnosis, with numbers that differ between learners
        err = 0.31 if n == 37 else 0.0427
        text = (
            "Your output does not change when `b_n` changes, but the answer depends on it: is "
            "`b_n` used, and used where the equation has it?\n"
            f"N_t differs from the reference in case {n - 35} of 5 (B={n - 30}, H=3): largest "
            f"error {err} at [1, 2]." + stuck(X)
        )
        return row(sid, L, X, 0, "failed", text)
    if n == 39:
        return row(
            sid, L, X, 0, "timeout", "learn_gate did not return within 5 s (an infinite loop?)"
        )
    return row(sid, L, X, 0, "not-attempted", NOT_ATTEMPTED)


def hw2_rows(n, sid):
    L = "05_lstm_cell"
    if n == 40:
        bad = "not a notebook: the file is not valid JSON (line 1, column 2)"
        return [row(sid, L, x, 0, "invalid-notebook", bad) for x in ("lstm_cell", "lstm_forward")]
    if n == 39:
        return [
            row(sid, L, x, 0, "timeout", f"{x} did not return within 5 s (an infinite loop?)")
            for x in ("lstm_cell", "lstm_forward")
        ]
    if n <= 30:
        cell = row(sid, L, "lstm_cell", 1, "passed", "All 5 cases match the reference.")
    elif n <= 36:
        cell = row(sid, L, "lstm_cell", 0, "failed", known("lstm_cell", "returns_swapped"))
    else:  # learner-controlled text in an error message: must be escaped in the HTML
        shape = "(4,7) and (5,3)" if n == 37 else "(2,9) and (6,3)"
        cell = row(
            sid,
            L,
            "lstm_cell",
            0,
            "error",
            f"Your lstm_cell raised ValueError: shapes {shape} not aligned <script>x()</script>\n"
            f"at stm = concat @ W_n\nin case {n - 36} of 5 (B=2, H=3).",
        )
    if n <= 25:
        fwd = row(sid, L, "lstm_forward", 1, "passed", "All 5 cases match the reference.")
    elif n <= 30:
        fwd = row(sid, L, "lstm_forward", 0.5, "failed", known("lstm_forward", "state_not_carried"))
    else:
        fwd = row(sid, L, "lstm_forward", 0, "not-attempted", NOT_ATTEMPTED)
    return [cell, fwd]


@pytest.fixture
def gradebook(tmp_path):
    path = tmp_path / "gradebook.csv"
    book = Gradebook(path, use_cache=False)
    for n, s in enumerate(STUDENTS, start=1):
        sid1, sid2 = f"{s}/hw1/01_learn_gate.ipynb", f"{s}/hw2/05_lstm_cell.ipynb"
        book.set(sid1, [learn_gate_row(n, sid1)])
        book.set(sid2, hw2_rows(n, sid2))
    book.flush()
    return path


@pytest.fixture
def stats(gradebook):
    return class_stats(read_gradebook(gradebook), source="gradebook.csv")


# --------------------------------------------------------------------------- the numbers


def test_class_overview(stats):
    assert len(stats.submissions) == 80 and stats.students == STUDENTS
    assert stats.assignments == ["hw1", "hw2"] and stats.n_rows == 120
    assert dict(stats.statuses) == {
        "passed": 20 + 30 + 25,
        "failed": 18 + 6 + 5,
        "error": 2,
        "timeout": 3,
        "not-attempted": 1 + 8,
        "invalid-notebook": 2,
    }
    assert stats.limits == {
        "timeout": ["s39/hw1/01_learn_gate.ipynb", "s39/hw2/05_lstm_cell.ipynb"],
        "invalid-notebook": ["s40/hw2/05_lstm_cell.ipynb"],
    }


def test_pass_rates_scores_and_difficulty(stats):
    got = {
        e.exercise: (e.n, e.pass_rate, e.difficulty, e.scores, dict(e.statuses))
        for e in stats.exercises
    }
    assert got == {
        "learn_gate": (
            40,
            0.5,
            0.5,
            {0.0: 20, 1.0: 20},
            {"passed": 20, "failed": 18, "timeout": 1, "not-attempted": 1},
        ),
        "lstm_cell": (
            40,
            0.75,
            0.75,
            {0.0: 10, 1.0: 30},
            {"passed": 30, "failed": 6, "error": 2, "timeout": 1, "invalid-notebook": 1},
        ),
        "lstm_forward": (
            40,
            25 / 40,
            (25 + 5 * 0.5) / 40,
            {0.0: 10, 0.5: 5, 1.0: 25},
            {"passed": 25, "failed": 5, "not-attempted": 8, "timeout": 1, "invalid-notebook": 1},
        ),
    }


def test_most_common_diagnoses_are_counted_per_exercise(stats):
    by = {e.exercise: [(d.count, d.label) for d in e.diagnoses] for e in stats.exercises}
    cap = lambda t: t[0].upper() + t[1:]  # noqa: E731
    assert by["learn_gate"] == [
        (10, "Known mistake: " + diag("learn_gate", "b_n_left_out")),
        (4, "Known mistake: " + diag("learn_gate", "sigmoid_tanh_swapped")),
        (
            2,
            "Two known mistakes at once: 1. "
            + cap(diag("learn_gate", "b_n_left_out"))
            + " 2. "
            + cap(diag("learn_gate", "sigmoid_tanh_swapped")),
        ),
        (
            2,
            "Your output does not change when `b_n` changes, but the answer depends on it: is "
            "`b_n` used, and used where the equation has it?",
        ),
        (1, "learn_gate did not return within 5 s (an infinite loop?)"),
        (1, "not attempted (still the stub)"),
    ]
    assert by["lstm_cell"] == [
        (6, "Known mistake: " + diag("lstm_cell", "returns_swapped")),
        (2, "Your lstm_cell raised ValueError"),
        (1, "lstm_cell did not return within 5 s (an infinite loop?)"),
        (1, "not a notebook: the file is not valid JSON (line 1, column 2)"),
    ]
    assert by["lstm_forward"] == [
        (8, "not attempted (still the stub)"),
        (5, "Known mistake: " + diag("lstm_forward", "state_not_carried")),
        (1, "lstm_forward did not return within 5 s (an infinite loop?)"),
        (1, "not a notebook: the file is not valid JSON (line 1, column 2)"),
    ]
    d = stats.exercises[0].diagnoses[0]
    assert d.submissions == [f"s{n}/hw1/01_learn_gate.ipynb" for n in range(21, 31)]


def test_discrimination_is_the_corrected_item_total_correlation(stats):
    """Against numpy, on the known per-student scores (item vs the student's other points)."""
    rows = {s: {} for s in STUDENTS}
    for e in ("learn_gate", "lstm_cell", "lstm_forward"):
        for n, s in enumerate(STUDENTS, start=1):
            r = (
                learn_gate_row(n, "x")
                if e == "learn_gate"
                else next(r for r in hw2_rows(n, "x") if r["exercise"] == e)
            )
            rows[s][e] = float(r["points"])
    for ex in stats.exercises:
        item = [rows[s][ex.exercise] for s in STUDENTS]
        rest = [sum(v for k, v in rows[s].items() if k != ex.exercise) for s in STUDENTS]
        assert ex.discrimination == pytest.approx(np.corrcoef(item, rest)[0, 1], abs=1e-12)
        assert 0.5 < ex.discrimination < 1  # stronger students pass each exercise more often


def test_discrimination_small_known_cases():
    def rows_for(items):
        out = []
        for i, pts in enumerate(items):
            for ex, p in zip(("a", "b"), pts, strict=True):
                out.append(
                    {
                        **row(f"u{i}.ipynb", "nb", ex, p, "passed" if p else "failed", ""),
                        "student": f"u{i}",
                        "assignment": "A",
                    }  # fmt: skip
                )
        return out

    same = class_stats(rows_for([(1, 1), (1, 1), (0, 0), (0, 0)]))
    assert [e.discrimination for e in same.exercises] == pytest.approx([1.0, 1.0])
    opposite = class_stats(rows_for([(1, 0), (1, 0), (0, 1), (0, 1)]))
    assert [e.discrimination for e in opposite.exercises] == pytest.approx([-1.0, -1.0])
    constant = class_stats(rows_for([(1, 1), (1, 0), (1, 1)]))  # "a": everybody passed
    assert constant.exercises[0].discrimination is None
    assert class_stats(rows_for([(1, 1), (0, 0)])).exercises[0].discrimination is None  # < 3


@pytest.mark.parametrize(
    "message, status, key",
    [
        ("Known mistake: you left out b. More words. Stuck? Run hints(\"f\").", "failed",
         "Known mistake: you left out b."),
        ("Your output is the answer with one change: `+ b` left out in line 2.", "failed",
         "Your output is the answer with one change: `+ b` left out in line #"),
        ("Your output is the answer with 2 changes: 1. A swapped 2. B dropped", "failed",
         "Your output is the answer with # changes: A swapped; B dropped"),
        ("H has shape (3, 4); expected (3, 5), i.e. (B, H) (case 2 of 5: B=3).", "failed",
         "H has shape (#, #); expected (#, #), i.e. (B, H)."),
        ("anything at all", "not-attempted", "not attempted"),
        ("", "crashed", "(crashed, no message)"),
    ],
)  # fmt: skip
def test_diagnosis_keys(message, status, key):
    assert diagnosis_key(message, status)[0] == key


# --------------------------------------------------------------------------- the pages


def test_markdown_report_has_the_numbers(stats):
    md = report_markdown(stats)
    assert md.startswith("# Class report: gradebook.csv\n")
    assert (
        "80 submission(s) from 40 student(s), assignment(s): hw1, hw2; 120 gradebook row(s)." in md
    )
    assert "| 05_lstm_cell/lstm_forward | 40 | 62.5% | 0.69 | " in md
    assert "| 01_learn_gate/learn_gate | 40 | 50% | 0.50 | " in md
    assert "| 0: 10, 0.5: 5, 1: 25 |" in md
    kn = diag("learn_gate", "b_n_left_out").replace("|", "\\|")
    assert f"| 10 | 25% | failed 10 | Known mistake: {kn} |" in md
    assert "| 8 | 20% | not-attempted 8 | not attempted (still the stub) |" in md
    assert "20 of 40 did not pass." in md
    assert "- **timeout** (2 submission(s)): `s39/hw1/01_learn_gate.ipynb`, " in md
    assert "| s26 | hw2 | 1.5 | 2 |" in md
    assert "Discrimination" in md and "point-biserial" in md


def test_html_report_is_self_contained_with_plots_and_escaped(stats):
    page = report_html(stats)
    assert page.startswith("<!DOCTYPE html>")
    images = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    # statuses, scores, item analysis, one per exercise's diagnoses, totals
    assert len(images) == 3 + 3 + 1
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing fetched from elsewhere
    assert "<script" not in page and "&lt;script&gt;x()&lt;/script&gt;" in page
    assert "Known mistake: " + diag("learn_gate", "b_n_left_out")[:40] in page


def test_report_command_writes_html_and_markdown(gradebook, tmp_path, capsys):
    assert main(["report", str(gradebook), "--out", str(tmp_path / "class.html")]) == 0
    assert (tmp_path / "class.html").read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "class.md").read_text() == report_markdown(
        class_stats(read_gradebook(gradebook), source="gradebook.csv")
    )
    assert main(["report", str(gradebook)]) == 0  # default: next to the gradebook
    assert (tmp_path / "report.html").exists() and (tmp_path / "report.md").exists()
    assert "wrote" in capsys.readouterr().out


def _bad_inputs(tmp_path):
    (tmp_path / "grades.csv").write_text("name,score\nann,3\n")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x81garbage")
    (tmp_path / "folder").mkdir()
    return [
        (tmp_path / "missing.csv", "no such file"),
        (tmp_path / "grades.csv", "not a gradebook"),
        (tmp_path / "binary.csv", "not a gradebook"),
        (tmp_path / "folder", "is a folder"),
    ]


def test_report_and_export_refuse_bad_input_in_one_line(tmp_path, capsys):
    for path, words in _bad_inputs(tmp_path):
        for argv in (
            ["report", str(path)],
            ["export", str(path), "--out", str(tmp_path / "c.csv")],
        ):
            with pytest.raises(SystemExit) as exc:
                main(argv)
            err = capsys.readouterr().err
            assert exc.value.code == 2, (argv, err)
            assert words in err and len(err.strip().splitlines()) == 1, err
            assert "Traceback" not in err
    assert not (tmp_path / "c.csv").exists()


# --------------------------------------------------------------------------- totals and Canvas


def expected_totals():
    """(hw1 points, hw2 points) per student, from the table in the module docstring."""
    out = {}
    for n, s in enumerate(STUDENTS, start=1):
        hw1 = 1 if n <= 20 else 0
        hw2 = 2 if n <= 25 else 1.5 if n <= 30 else 0
        out[s] = (hw1, hw2)
    return out


def test_per_student_totals(gradebook):
    totals = student_totals(read_gradebook(gradebook))
    assert len(totals) == 80
    want = expected_totals()
    for t in totals:
        i = 0 if t["assignment"] == "hw1" else 1
        assert t["points"] == want[t["student"]][i]
        assert t["max_points"] == (1 if i == 0 else 2) and t["submissions"] == 1
    text = totals_csv(read_gradebook(gradebook))
    lines = text.splitlines()
    assert lines[0] == "student,assignment,points,max_points,submissions"
    assert lines[1:3] == ["s01,hw1,1,1,1", "s01,hw2,2,2,1"]
    assert "s26,hw2,1.5,2,1" in lines and "s40,hw2,0,2,1" in lines and len(lines) == 81


def roster_text():
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "hw1 (1001)", "Quiz (7)"]
    )
    w.writerow(["    Points Possible", "", "", "", "", "1", "5"])
    for n in range(1, N):  # s40 is not on the roster
        w.writerow([f"Last{n:02d}, First{n:02d}", 5000 + n, f"u{n}", f"s{n:02d}",
                    "A" if n % 2 else "B", "", ""])  # fmt: skip
    return out.getvalue()


def test_canvas_export_exactly(gradebook, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_text())
    out = tmp_path / "canvas.csv"
    assert main(["export", str(gradebook), "--format", "canvas", "--out", str(out),
                 "--roster", str(roster)]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert "1 student(s) not in the roster" in captured.err and "s40" in captured.err
    want = [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "hw1 (1001)", "hw2"],
        ["    Points Possible", "", "", "", "", "1", "2"],
    ]
    totals = expected_totals()
    for n in range(1, N):
        hw1, hw2 = totals[f"s{n:02d}"]
        want.append(
            [
                f"Last{n:02d}, First{n:02d}",
                str(5000 + n),
                f"u{n}",
                f"s{n:02d}",
                "A" if n % 2 else "B",
                f"{hw1:g}",
                f"{hw2:g}",
            ]  # fmt: skip
        )
    want.append(["s40", "", "", "", "", "0", "0"])  # not on the roster: by id only
    with open(out, newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh)) == want
    assert out.read_text().splitlines()[2] == '"Last01, First01",5001,u1,s01,A,1,2'


def test_canvas_export_without_a_roster_uses_the_student_ids(gradebook):
    text, unmatched = canvas_csv(read_gradebook(gradebook))
    lines = text.splitlines()
    assert unmatched == []
    assert lines[:3] == [
        "Student,ID,SIS User ID,SIS Login ID,Section,hw1,hw2",
        "    Points Possible,,,,,1,2",
        "s01,,,s01,,1,2",
    ]
    assert lines[-1] == "s40,,,s40,,0,0" and len(lines) == 42


def test_a_student_without_a_submission_gets_an_empty_cell(tmp_path):
    rows = [
        {**row("a/hw1/01_learn_gate.ipynb", "01_learn_gate", "learn_gate", 1, "passed", "")},
        {**row("b/hw2/01_learn_gate.ipynb", "01_learn_gate", "learn_gate", 0, "failed", "")},
    ]
    path = tmp_path / "gb.csv"
    book = Gradebook(path, use_cache=False)
    for r in rows:
        book.set(r["submission"], [r])
    book.flush()
    text, _ = canvas_csv(read_gradebook(path))
    assert text.splitlines()[2:] == ["a,,,a,,1,", "b,,,b,,,0"]


def test_export_bad_roster_is_one_line(gradebook, tmp_path, capsys):
    bad = tmp_path / "roster.csv"
    bad.write_text("name,email\nann,a@x\n")
    for argv, words in (
        (["--roster", str(bad)], "none of the columns"),
        (["--roster", str(tmp_path / "nope.csv")], "no such file"),
        (["--format", "totals", "--roster", str(bad)], "--roster is for --format canvas"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(["export", str(gradebook), "--out", str(tmp_path / "c.csv"), *argv])
        err = capsys.readouterr().err
        assert exc.value.code == 2 and words in err and len(err.strip().splitlines()) == 1


def test_limits_and_stopped_cells_are_listed_with_their_submissions():
    """Sandbox limits and cells that were stopped or never ran (the `cell_problems` column)
    are listed with the submissions they happened to, in both twins of the report."""

    def row(sub, status, cells=""):
        return {
            "submission": sub,
            "notebook": "01_learn_gate",
            "exercise": "learn_gate",
            "points": "0",
            "max_points": "1",
            "status": status,
            "message": "m",
            "student": sub.split("/")[0],
            "assignment": "01_learn_gate",
            "cell_problems": cells,
        }

    rows = [
        row("ann/01_learn_gate.ipynb", "memory-limit"),
        row("bob/01_learn_gate.ipynb", "error", "cell 2 (`import time`): stopped after 30 s"),
        row("cat/01_learn_gate.ipynb", "passed"),
    ]
    stats = class_stats(rows, "gb.csv")
    assert stats.limits == {
        "memory-limit": ["ann/01_learn_gate.ipynb"],
        "a cell stopped or not run": ["bob/01_learn_gate.ipynb"],
    }
    md, page = report_markdown(stats), report_html(stats, plots={})
    for text in (md, page):
        assert "memory-limit" in text and "a cell stopped or not run" in text
        assert "bob/01_learn_gate.ipynb" in text and "cat/01_learn_gate.ipynb" not in text
