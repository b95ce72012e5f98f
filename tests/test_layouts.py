"""A class's conventions: folder layouts -> submission ids, students and assignments; grading into
an existing gradebook (rows kept, updated, added; never dropped); feedback on invalid files.

Fast tests use small folders of notebooks and the gradebook directly; ONE test grades a tiny
nbgrader-layout class with the real command, twice (two batches into the same --out).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import grading_fixtures as fx
import pytest

from lstm_course.cli import main
from lstm_course.exercises import EXERCISES
from lstm_course.grading import COLUMNS
from lstm_course.grading.feedback import feedback_markdown
from lstm_course.grading.gradebook import (
    GRADEBOOK_COLUMNS,
    Gradebook,
    NotAGradebook,
    read_gradebook,
)
from lstm_course.grading.notebook import invalid_rows
from lstm_course.grading.submissions import (
    find_submissions,
    load_submission,
    student_assignment,
)

ROOT = Path(__file__).resolve().parents[1]


def touch(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def klass(tmp_path):
    """The three layouts side by side (file contents do not matter to finding)."""
    for f in (
        "course/submitted/alice/ps1/05_lstm_cell.ipynb",
        "course/submitted/bob/ps1/05_lstm_cell.ipynb",
        "course/submitted/bob/ps2/06_lstm_forward.ipynb",
        "course/autograded/.ipynb_checkpoints/x.ipynb",  # hidden folders are skipped
        "flat/dave.ipynb",
        "flat/erin.ipynb",
        "bystudent/carol/01_learn_gate.ipynb",
        "bystudent/frank/01_learn_gate.ipynb",
    ):
        touch(tmp_path / f)
    return tmp_path


def ids(found):
    return [(f.sub_id, *student_assignment(f.sub_id, "LESSON")) for f in found]


@pytest.mark.parametrize(
    "args, want",
    [
        (  # nbgrader: the submitted/ folder itself
            ["course/submitted"],
            [
                ("alice/ps1/05_lstm_cell.ipynb", "alice", "ps1"),
                ("bob/ps1/05_lstm_cell.ipynb", "bob", "ps1"),
                ("bob/ps2/06_lstm_forward.ipynb", "bob", "ps2"),
            ],
        ),
        (  # nbgrader: the course folder above it, one student, one file: same ids
            ["course"],
            [
                ("alice/ps1/05_lstm_cell.ipynb", "alice", "ps1"),
                ("bob/ps1/05_lstm_cell.ipynb", "bob", "ps1"),
                ("bob/ps2/06_lstm_forward.ipynb", "bob", "ps2"),
            ],
        ),
        (
            ["course/submitted/bob"],
            [
                ("bob/ps1/05_lstm_cell.ipynb", "bob", "ps1"),
                ("bob/ps2/06_lstm_forward.ipynb", "bob", "ps2"),
            ],
        ),
        (
            ["course/submitted/alice/ps1/05_lstm_cell.ipynb"],
            [("alice/ps1/05_lstm_cell.ipynb", "alice", "ps1")],
        ),
        (  # flat: the file stem is the student, the lesson the assignment
            ["flat"],
            [("dave.ipynb", "dave", "LESSON"), ("erin.ipynb", "erin", "LESSON")],
        ),
        (["flat/dave.ipynb"], [("dave.ipynb", "dave", "LESSON")]),
        (  # a folder per student
            ["bystudent"],
            [
                ("carol/01_learn_gate.ipynb", "carol", "LESSON"),
                ("frank/01_learn_gate.ipynb", "frank", "LESSON"),
            ],
        ),
        # one student's folder, or one file named like the lesson: the folder is the student
        (["bystudent/carol"], [("carol/01_learn_gate.ipynb", "carol", "LESSON")]),
        (
            ["bystudent/carol/01_learn_gate.ipynb"],
            [("carol/01_learn_gate.ipynb", "carol", "LESSON")],
        ),
    ],
)
def test_layouts_give_ids_students_and_assignments(klass, monkeypatch, args, want):
    monkeypatch.chdir(klass)
    assert ids(find_submissions(args)) == want
    # the same class graded from elsewhere, by absolute paths: the same ids (never absolute)
    monkeypatch.chdir(klass.parent)
    assert ids(find_submissions([str(klass / a) for a in args])) == want


def test_deeper_paths_use_the_last_two_folders(tmp_path):
    touch(tmp_path / "term/2026/ann/hw3/07_backprop_through_time.ipynb")
    assert ids(find_submissions([tmp_path / "term"])) == [
        ("2026/ann/hw3/07_backprop_through_time.ipynb", "ann", "hw3")
    ]


def test_ids_do_not_depend_on_the_current_folder(klass, monkeypatch):
    monkeypatch.chdir(klass / "flat")
    assert [f.sub_id for f in find_submissions(["../bystudent", "."])] == [
        "carol/01_learn_gate.ipynb",
        "dave.ipynb",
        "erin.ipynb",
        "frank/01_learn_gate.ipynb",
    ]


def test_the_later_of_two_files_with_one_id_is_graded(tmp_path, capsys):
    touch(tmp_path / "batch1/carol/01_learn_gate.ipynb")
    touch(tmp_path / "batch2/carol/01_learn_gate.ipynb")
    found = find_submissions([tmp_path / "batch1", tmp_path / "batch2"])
    assert [(f.sub_id, Path(f).parts[-3]) for f in found] == [
        ("carol/01_learn_gate.ipynb", "batch2")
    ]
    assert "grading" in capsys.readouterr().err


def test_a_submission_knows_its_student_and_assignment(tmp_path):
    nb = fx.write(fx.correct("01_learn_gate"), tmp_path / "submitted/ann/hw1/01_learn_gate.ipynb")
    sub = load_submission(find_submissions([tmp_path / "submitted"])[0])
    assert (sub.id, sub.student, sub.assignment, sub.lesson) == (
        "ann/hw1/01_learn_gate.ipynb",
        "ann",
        "hw1",
        "01_learn_gate",
    )
    assert load_submission(nb).id == "ann/hw1/01_learn_gate.ipynb"


# --------------------------------------------------------------------------- the gradebook


def row(sub, ex, pts, status="passed", nb="01_learn_gate", msg=""):
    return {
        "submission": sub,
        "notebook": nb,
        "exercise": ex,
        "points": pts,
        "max_points": 1,
        "status": status,
        "message": msg,
    }


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_gradebook_columns_contract_first_then_student_and_assignment(tmp_path):
    gb = Gradebook(tmp_path / "gb.csv", use_cache=False)
    gb.set("ann/hw1/01_learn_gate.ipynb", [row("ann/hw1/01_learn_gate.ipynb", "learn_gate", 1)])
    gb.flush()
    header = (tmp_path / "gb.csv").read_text().splitlines()[0].split(",")
    assert (
        tuple(header) == GRADEBOOK_COLUMNS == (*COLUMNS, "student", "assignment", "cell_problems")
    )
    assert read(tmp_path / "gb.csv")[0]["student"] == "ann"
    assert read(tmp_path / "gb.csv")[0]["assignment"] == "hw1"


def test_grading_into_an_existing_gradebook_updates_and_adds_never_drops(tmp_path):
    path = tmp_path / "gb.csv"
    first = Gradebook(path, use_cache=False)
    first.set("a/01_learn_gate.ipynb", [row("a/01_learn_gate.ipynb", "learn_gate", 0, "failed")])
    first.set("b/01_learn_gate.ipynb", [row("b/01_learn_gate.ipynb", "learn_gate", 1)])
    first.flush()
    second = Gradebook(path, use_cache=False)  # a second batch, same --out
    second.set("a/01_learn_gate.ipynb", [row("a/01_learn_gate.ipynb", "learn_gate", 1)])
    second.set("c/01_learn_gate.ipynb", [row("c/01_learn_gate.ipynb", "learn_gate", 1)])
    second.flush()
    got = [(r["submission"], r["points"], r["status"], r["student"]) for r in read(path)]
    assert got == [
        ("a/01_learn_gate.ipynb", "1", "passed", "a"),  # updated
        ("b/01_learn_gate.ipynb", "1", "passed", "b"),  # kept
        ("c/01_learn_gate.ipynb", "1", "passed", "c"),  # added
    ]


def test_an_older_seven_column_gradebook_is_read_and_completed(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text(
        ",".join(COLUMNS) + "\nsubmitted/zoe/hw2/01_learn_gate.ipynb,01_learn_gate,learn_gate,"
        "1,1,passed,\n"
    )
    (r,) = read_gradebook(path)
    assert (r["student"], r["assignment"]) == ("zoe", "hw2")
    gb = Gradebook(path, use_cache=False)
    gb.flush()
    assert read(path)[0]["student"] == "zoe"


@pytest.mark.parametrize(
    "text, words",
    [
        ("name,score\nann,3\n", "no column(s) submission"),
        (",".join(COLUMNS) + "\na,b,c,not-a-number,1,passed,\n", "points is 'not-a-number'"),
        (",".join(COLUMNS) + "\na,b,c,1,1\n", "wrong number of fields"),
    ],
)
def test_a_file_that_is_not_a_gradebook_is_refused_and_left_alone(tmp_path, text, words, capsys):
    path = tmp_path / "grades.csv"
    path.write_text(text)
    with pytest.raises(NotAGradebook, match="not a gradebook"):
        read_gradebook(path)
    touch(tmp_path / "subs/a.ipynb")
    with pytest.raises(SystemExit) as exc:
        main(["grade", str(tmp_path / "subs"), "--out", str(path), "--no-progress"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert path.read_text() == text


def test_feedback_for_an_invalid_file_says_so_and_nothing_else(tmp_path):
    path = touch(tmp_path / "subs/dave/01_learn_gate.ipynb", "{not json")
    sub = load_submission(path)
    text = feedback_markdown(sub.id, invalid_rows(sub))
    assert text.splitlines() == [
        "# Feedback on `dave/01_learn_gate.ipynb`",
        "",
        "This file could not be graded (invalid-notebook): nothing in it was run.",
        "",
        "```text",
        sub.problem,
        "```",
    ]
    assert "not valid JSON" in sub.problem and "score" not in text


# --------------------------------------------------------------------------- one real class


def test_nbgrader_class_graded_in_two_batches_into_one_gradebook(tmp_path):
    """Batch 1: alice (correct) and bob (a mistake). Batch 2, later, same --out: bob's
    resubmission (correct), carol (new) and dave's broken upload. Alice's rows stay."""
    L, N = "01_learn_gate", "learn_gate"
    mistake = EXERCISES[N].mistakes[0]
    fx.write(fx.correct(L), tmp_path / "batch1/submitted/alice/hw1" / f"{L}.ipynb")
    fx.write(fx.mistake(L, N, mistake), tmp_path / "batch1/submitted/bob/hw1" / f"{L}.ipynb")
    fx.write(fx.correct(L), tmp_path / "batch2/submitted/bob/hw1" / f"{L}.ipynb")
    fx.write(fx.correct(L), tmp_path / "batch2/submitted/carol/hw1" / f"{L}.ipynb")
    touch(tmp_path / "batch2/submitted/dave/hw1" / f"{L}.ipynb", "{not json")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }

    def grade(batch):
        proc = subprocess.run(
            [sys.executable, "-m", "lstm_course", "grade", f"{batch}/submitted",
             "--out", "gradebook.csv", "--jobs", "1", "--timeout", "10", "--no-progress"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc

    grade("batch1")
    first = read(tmp_path / "gradebook.csv")
    assert [(r["submission"], r["student"], r["assignment"]) for r in first] == [
        (f"alice/hw1/{L}.ipynb", "alice", "hw1"),
        (f"bob/hw1/{L}.ipynb", "bob", "hw1"),
    ]
    assert [(r["exercise"], r["status"], r["points"]) for r in first] == [
        (N, "passed", "1"),
        (N, "failed", "0"),
    ]
    assert first[1]["message"].startswith("Known mistake: " + mistake.diagnosis[:30])
    proc = grade("batch2")
    assert "1 earlier submission(s), kept" in proc.stdout
    assert "3 submission(s), 3 row(s)" in proc.stdout  # the summary: this run's only
    # bob's and carol's files are alice's bytes: their rows come from her cache entry, each
    # under its own id and student
    assert "0 graded, 2 from the cache, 1 invalid" in proc.stdout
    second = read(tmp_path / "gradebook.csv")
    assert [(r["submission"], r["student"], r["assignment"]) for r in second] == [
        (f"alice/hw1/{L}.ipynb", "alice", "hw1"),  # batch 1, kept
        (f"bob/hw1/{L}.ipynb", "bob", "hw1"),  # resubmitted: replaced, not duplicated
        (f"carol/hw1/{L}.ipynb", "carol", "hw1"),  # added
        (f"dave/hw1/{L}.ipynb", "dave", "hw1"),  # added
    ]
    assert second[0] == first[0]
    for r in second[1:3]:
        assert {**r, "submission": "", "student": ""} == {
            **first[0],
            "submission": "",
            "student": "",
        }
    assert second[3]["status"] == "invalid-notebook" and "not valid JSON" in second[3]["message"]
    fb = (tmp_path / f"gradebook-feedback/dave/hw1/{L}.md").read_text()
    assert "could not be graded" in fb and "score" not in fb and f"`{N}`" not in fb
    assert (tmp_path / f"gradebook-feedback/carol/hw1/{L}.md").exists()


def test_what_is_graded_is_the_snapshot_taken_when_hashed(tmp_path):
    """A file changed (or blanked) on disk after the grader hashed it cannot change what is
    graded: the workers read the private snapshot, and a snapshot that does not match its
    hash is refused."""
    path = tmp_path / "ann" / "01_learn_gate.ipynb"
    fx.write(fx.correct("01_learn_gate"), path)
    snaps = tmp_path / "snapshots"
    snaps.mkdir()
    sub = load_submission(path, snapshot_dir=snaps)
    assert sub.valid and sub.snapshot is not None and sub.snapshot.parent == snaps
    path.write_text("{}", encoding="utf-8")  # a classmate (or the learner) blanks the file
    again = load_submission(sub.snapshot, expect_sha256=sub.sha256)
    assert again.valid and again.nb == sub.nb
    changed = load_submission(path, expect_sha256=sub.sha256)
    assert not changed.valid and "changed after the grader read it" in changed.problem


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path, monkeypatch):
    from lstm_course.grading import submissions

    monkeypatch.setattr(submissions, "MAX_SUBMISSION_BYTES", 1000)
    path = tmp_path / "01_learn_gate.ipynb"
    path.write_bytes(b" " * 5000)
    sub = load_submission(path)
    assert not sub.valid and "larger than" in sub.problem and "Clear Outputs" in sub.problem
