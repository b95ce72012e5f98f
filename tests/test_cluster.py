"""Grading on a real Dask cluster on localhost: a `dask scheduler` and two `dask worker`
processes started here, the class graded through them with `lstm-course grade --scheduler`.
(The local path is tested in test_grading.py; the two paths' speed is compared in
benchmarks/bench_grading.py.)"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grading_fixtures as fx
import pytest

from lstm_course.exercises import EXERCISES
from lstm_course.grading.sandbox import sandbox_problem

os.environ.setdefault("LSTM_COURSE_GRADER_VERSION", "test-pinned")
L, N = "01_learn_gate", "learn_gate"
CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    problem = sandbox_problem()
    if problem:
        if CI:
            pytest.fail(f"no sandbox and CI is set (a skip is not allowed): {problem}")
        pytest.skip(problem)
    from dask_cluster import local_cluster

    with local_cluster(tmp_path_factory.mktemp("dask"), workers=2) as sched:
        yield dict(scheduler_file=sched, address=json.loads(sched.read_text())["address"])


WHO = ("ann", "bob", "cat", "dan", "eve")


def _class(subs: Path) -> dict:
    """A small class: two correct, one blank, two with catalogued mistakes."""
    plan = {"ann": fx.correct(L), "bob": fx.blank(L), "cat": fx.correct(L)}
    plan["dan"] = fx.mistake(L, N, EXERCISES[N].mistakes[0])
    plan["eve"] = fx.mistake(L, N, EXERCISES[N].mistakes[1])
    for i, (who, nb) in enumerate(plan.items()):
        nb.cells.append(fx.nbformat.v4.new_markdown_cell(f"learner {i}"))  # distinct bytes
        fx.write(nb, subs / who / f"{L}.ipynb")
    return plan


def _grade(cwd: Path, *args) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "lstm_course", "grade", "subs", "--no-progress", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)


def _rows(path: Path) -> list[tuple]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [
            (r["submission"], r["exercise"], r["points"], r["status"], r["cell_problems"])
            for r in csv.DictReader(fh)
        ]


@pytest.fixture(scope="module")
def graded(cluster, tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    _class(root / "subs")
    proc = _grade(root, "--out", "dask.csv", "--scheduler", cluster["address"])
    return dict(root=root, proc=proc)


def test_a_class_graded_on_dask_gets_its_rows_and_feedback(graded):
    assert graded["proc"].returncode == 0, graded["proc"].stderr[-3000:]
    rows = {
        s.split("/")[0]: (pts, st, cells)
        for s, _, pts, st, cells in _rows(graded["root"] / "dask.csv")
    }
    assert rows == {
        "ann": ("1", "passed", ""),
        "bob": ("0", "not-attempted", ""),
        "cat": ("1", "passed", ""),
        "dan": ("0", "failed", ""),
        "eve": ("0", "failed", ""),
    }
    for who in WHO:
        assert (graded["root"] / "dask-feedback" / who / f"{L}.md").exists()


def test_both_dask_workers_graded(cluster, graded):
    from distributed import Client

    from lstm_course.grading import cluster as dask_grading

    with Client(scheduler_file=str(cluster["scheduler_file"]), timeout="30s") as client:
        done = client.run(dask_grading.graded_here)
    assert len(done) == 2 and all(done.values()), done
    assert sorted(i for ids in done.values() for i in ids) == sorted(f"{w}/{L}.ipynb" for w in WHO)


def test_a_rerun_on_dask_resumes_from_the_cache_and_keeps_other_rows(cluster, graded):
    root = graded["root"]
    shutil.copytree(root / "subs", root / "more")
    fx.write(fx.correct(L), root / "more" / "fay" / f"{L}.ipynb")
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_course", "grade", "more", "--no-progress"]
        + ["--out", "dask.csv", "--scheduler", str(cluster["scheduler_file"])],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "1 graded, 5 from the cache" in proc.stdout, proc.stdout
    subs = {s for s, *_ in _rows(root / "dask.csv")}
    assert f"fay/{L}.ipynb" in subs and f"ann/{L}.ipynb" in subs


def test_an_unreachable_scheduler_is_a_clear_message(tmp_path):
    (tmp_path / "subs").mkdir()
    fx.write(fx.correct(L), tmp_path / "subs" / "ann" / f"{L}.ipynb")
    proc = _grade(tmp_path, "--out", "gb.csv", "--scheduler", "tcp://127.0.0.1:9")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in proc.stderr
