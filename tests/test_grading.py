"""The batch grader end to end: submissions built from the solution notebooks, graded in ONE
`python -m lstm_course grade ... --jobs 2` run, then every gradebook row asserted.

Plus: the cache (a re-run executes nothing; a changed file is re-graded), an interrupted run
keeps its rows, the self-check command, and unit tests of the safety-critical parts
(transport never unpickles, static reference-use check, forged cache entries ignored).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import grading_fixtures as fx
import numpy as np
import pytest

from lstm_course.exercises import EXERCISES
from lstm_course.grading import COLUMNS, transport
from lstm_course.grading.gradebook import Gradebook
from lstm_course.grading.static import reference_use
from lstm_course.grading.submissions import load_submission

CELL_TIMEOUT = "20"  # a torch setup cell takes ~3.5 s idle and >5 s on a loaded 2-core CI machine


# The cache is keyed by the grader's version, a hash of the grading code, checks and exercises;
# pinned here so that a re-run in this test sees the same version while those files are edited.
os.environ.setdefault("LSTM_COURSE_GRADER_VERSION", "test-pinned")


def grade_cmd(*args):
    return [sys.executable, "-m", "lstm_course", "grade", *args, "--no-progress"]


def regrade(root: Path) -> subprocess.CompletedProcess:
    """Grade root/subs again into root/gradebook.csv, as an instructor re-running the command."""
    return subprocess.run(
        grade_cmd("subs", "--out", "gradebook.csv", "--jobs", "2", "--timeout", CELL_TIMEOUT),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _in_process(name, mistake) -> tuple[float, tuple[str, ...]]:
    """What a mistake earns (the share of the exercise's variants it passes) and the status of
    each variant, checked here, in this process, with the notebook's own check."""
    from lstm_course.checks.core import run_check
    from lstm_course.grading.notebook import _option_sets

    ex = EXERCISES[name]
    results = [run_check(ex, mistake.fn, **opts) for opts in _option_sets(ex)]
    passed = sum(r.passed for r in results)
    return round(ex.max_score * passed / len(results), 4), tuple(r.status for r in results)


def expected_points(name, mistake) -> float:
    return _in_process(name, mistake)[0]


def graded_mistakes(name) -> list:
    """The catalogued mistakes the class run grades: for each exercise, the first mistake of
    every distinct in-process outcome (points and per-variant statuses: a mistake failing both
    variants, one failing only the standard variant, one that raises...). Every mistake's own
    diagnosis is checked in process (test_checks) and in its notebook (test_notebook_mistakes);
    here each kind of grader row is produced once per exercise, through real kernels."""
    chosen: dict = {}
    for m in EXERCISES[name].mistakes:
        chosen.setdefault(_in_process(name, m), m)
    return list(chosen.values())


def _depends_on(lesson: str, name: str, other: str) -> bool:
    """Whether the solution's cell defining `other` calls `name` (a mistake there spreads)."""
    nb = fx.solution(lesson)
    return f"{name}(" in nb.cells[fx.exercise_cell(nb, other)].source


# --------------------------------------------------------------------------- the big run


def _plan(root: Path, write: bool) -> dict[str, list[tuple]]:
    """The submissions (written under root/subs when `write`) and the rows each must get."""
    subs = root / "subs"
    expected: dict[str, list[tuple]] = {}  # id -> [(exercise, points, max, status, text)]
    lessons = fx.available_lessons()

    def add(case, lesson, nb, rows):
        path = subs / case / f"{lesson}.ipynb"
        if write:
            fx.write(nb() if callable(nb) else nb, path)
        expected[path.relative_to(subs).as_posix()] = rows  # ids: relative to subs/

    for lesson, names in lessons.items():
        add(
            "correct",
            lesson,
            lambda: fx.correct(lesson),
            [(n, 1, 1, "passed", None) for n in names],
        )
        add(
            "blank",
            lesson,
            lambda: fx.blank(lesson),
            [(n, 0, 1, "not-attempted", None) for n in names],
        )
        for name in names:
            for m in graded_mistakes(name):
                rows = []
                for n in names:
                    if n == name:
                        rows.append((n, expected_points(name, m), 1, "failed", None))
                    elif _depends_on(lesson, name, n):
                        rows.append((n, None, 1, None, None))  # may fail too
                    else:
                        rows.append((n, 1, 1, "passed", None))
                add(f"mistake_{name}_{m.name}", lesson, lambda: fx.mistake(lesson, name, m), rows)

    L, N = "01_learn_gate", "learn_gate"
    one = lambda status, text=None, pts=0: [(N, pts, 1, status, text)]  # noqa: E731
    add("infinite_loop", L, lambda: fx.infinite_loop(L, N), one("timeout", "did not return within"))
    add("os_exit", L, lambda: fx.os_exit(L, N), one("crashed", "kernel died"))
    add("syntax_error", L, lambda: fx.syntax_error(L, N), one("error", "SyntaxError"))
    add("reference_alias", L, lambda: fx.reference_alias(L, N), one("failed", "package's own"))
    add("reference_hidden", L, lambda: fx.reference_hidden(L, N), one("failed", "package's own"))
    add("tamper_numpy", L, lambda: fx.numpy_patched(L, N), one("failed"))
    add("tamper_check", L, lambda: fx.check_redefined(L, N), one("failed"))
    add("tamper_hardcoded", L, lambda: fx.hard_coded(L, N), one("failed"))
    add("tamper_fake_text", L, lambda: fx.fake_passed_text(L, N), one("failed"))
    add("tamper_files", L, lambda: fx.writes_files(L, N, root / "gradebook.csv"), one("failed"))
    add("no_metadata", L, lambda: fx.no_metadata(L), [("", 0, 0, "invalid-notebook", "metadata")])
    add(
        "unknown_lesson",
        L,
        lambda: fx.unknown_lesson(L),
        [("", 0, 0, "invalid-notebook", "has no graded exercises")],
    )
    if write:
        (subs / "not_json").mkdir()
        fx.not_json(subs / "not_json" / f"{L}.ipynb")
        (subs / "old_format").mkdir()
        fx.wrong_nbformat(subs / "old_format" / f"{L}.ipynb", L)
    expected[f"not_json/{L}.ipynb"] = one("invalid-notebook", "not valid JSON")
    expected[f"old_format/{L}.ipynb"] = one("invalid-notebook", "nbformat=3")
    return expected


def _shared_dir(request, tmp_path_factory) -> Path:
    """A folder shared by all pytest-xdist workers of this session (one grading run for all)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if hasattr(request.config, "workerinput") else base


@pytest.fixture(scope="module")
def graded(request, tmp_path_factory):
    shared = _shared_dir(request, tmp_path_factory)
    root, done = shared / "grading-run", shared / "grading-run.json"
    try:
        fd = os.open(shared / "grading-run.lock", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:  # another xdist worker runs it: wait for its result
        expected = _plan(root, write=False)
        deadline = time.monotonic() + 900
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        info = json.loads(done.read_text())
    else:
        os.close(fd)
        root.mkdir()
        expected = _plan(root, write=True)
        info = _grade_all(root)
        tmp = done.with_suffix(".tmp")
        tmp.write_text(json.dumps(info))
        os.replace(tmp, done)
    proc = subprocess.CompletedProcess(
        info["args"], info["returncode"], info["stdout"], info["stderr"]
    )
    return dict(
        root=root,
        proc=proc,
        expected=expected,
        seconds=info["seconds"],
        rows=read_rows(root / "gradebook.csv") if proc.returncode == 0 else [],
    )


def _grade_all(root: Path) -> dict:
    """ONE `python -m lstm_course grade subs --jobs 2` over every fixture."""
    start = time.monotonic()
    args = grade_cmd("subs", "--out", "gradebook.csv", "--jobs", "2", "--timeout", CELL_TIMEOUT)
    proc = subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - start
    print(f"graded in {seconds:.1f} s")
    return dict(
        args=args,
        returncode=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        seconds=seconds,
    )


def test_grade_run_succeeds_and_prints_a_summary(graded):
    proc = graded["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    out = proc.stdout
    assert "status" in out and "mean score" in out
    for status in (
        "passed",
        "failed",
        "not-attempted",
        "error",
        "timeout",
        "crashed",
        "invalid-notebook",
    ):
        assert re.search(rf"^{status}\s+[1-9]", out, re.M), (status, out)


def test_gradebook_columns_are_exact(graded):
    with open(graded["root"] / "gradebook.csv", encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    assert header[: len(COLUMNS)] == list(COLUMNS)  # the contract first
    assert header[len(COLUMNS) :] == ["student", "assignment", "cell_problems"]


def test_every_submission_gets_exactly_its_rows(graded):
    by_sub: dict[str, list[dict]] = {}
    for r in graded["rows"]:
        by_sub.setdefault(r["submission"], []).append(r)
    assert sorted(by_sub) == sorted(graded["expected"])
    problems = []
    for sub, want in graded["expected"].items():
        got = by_sub[sub]
        if [r["exercise"] for r in got] != [w[0] for w in want]:
            problems.append((sub, "exercises", [r["exercise"] for r in got]))
            continue
        for r, (ex, pts, mx, status, text) in zip(got, want, strict=True):
            lesson = sub.split("/")[-1][: -len(".ipynb")]
            ok = (
                r["notebook"] == (lesson if ex else "")
                and float(r["max_points"]) == mx
                and (
                    status is None
                    or r["status"] == status
                    or (status == "failed" and r["status"] == "error" and "mistake_" in sub)
                )
                and (pts is None or float(r["points"]) == pts)
                and (text is None or text in r["message"])
            )
            if status is None:  # an exercise that calls a mistaken one
                ok = ok and r["status"] in ("passed", "failed", "error")
            if not ok:
                problems.append((sub, dict(r)))
    assert not problems, "\n".join(map(str, problems))


def test_mistakes_get_their_diagnosis(graded):
    rows = {(r["submission"], r["exercise"]): r for r in graded["rows"]}
    missing = []
    graded = 0
    for lesson, names in fx.available_lessons().items():
        for name in names:
            for m in graded_mistakes(name):
                graded += 1
                r = rows[(f"mistake_{name}_{m.name}/{lesson}.ipynb", name)]
                first_words = " ".join(m.diagnosis.split()[:5])
                if first_words not in r["message"]:
                    missing.append((name, m.name, r["message"][:120]))
    # the judge names the mistake whenever it can tell it apart; allow a few ambiguous ones
    assert len(missing) <= max(1, graded // 5), missing


def test_tampering_earns_nothing_and_the_gradebook_is_the_graders(graded):
    rows = read_rows(graded["root"] / "gradebook.csv")
    assert not any(r["message"] == "forged" for r in rows)
    tampers = [r for r in rows if r["submission"].startswith(("tamper_", "reference_"))]
    assert tampers and all(float(r["points"]) == 0 for r in tampers)
    assert not (graded["root"] / "subs" / "gradebook.csv").exists()


def test_one_feedback_file_per_submission_without_hidden_inputs(graded):
    fb = graded["root"] / "gradebook-feedback"
    files = sorted(p.relative_to(fb).as_posix() for p in fb.rglob("*.md"))
    want = sorted(s[: -len(".ipynb")] + ".md" for s in graded["expected"])
    assert files == want
    for r in graded["rows"]:
        text = (fb / (r["submission"][: -len(".ipynb")] + ".md")).read_text(encoding="utf-8")
        assert r["status"] in text
        assert r["message"].split(". ")[0][:60] in " ".join(text.split())
        # no arrays of inputs: no long runs of decimals, no 'array('
        assert "array(" not in text
        assert not re.search(r"(-?\d+\.\d{4,}[,\s]+){3,}", text), text


def test_rerun_uses_the_cache_and_regrades_only_what_changed(graded, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(graded["root"], root)
    before = (root / "gradebook.csv").read_text()
    proc = regrade(root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.search(r"^0 graded, \d+ from the cache", proc.stdout, re.M), proc.stdout
    assert (root / "gradebook.csv").read_text() == before
    # change one submission: only it is executed again
    target = root / "subs" / "correct" / "01_learn_gate.ipynb"
    nb = fx.nbformat.read(target, as_version=4)
    nb.cells.append(fx.nbformat.v4.new_markdown_cell("I changed something."))
    fx.nbformat.write(nb, target)
    proc = regrade(root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.search(r"^1 graded, \d+ from the cache", proc.stdout, re.M), proc.stdout


def test_sigint_keeps_finished_rows_and_the_next_run_resumes(tmp_path):
    fx.write(fx.correct("01_learn_gate"), tmp_path / "subs" / "a" / "01_learn_gate.ipynb")
    fx.write(
        fx.infinite_loop("01_learn_gate", "learn_gate"),
        tmp_path / "subs" / "b" / "01_learn_gate.ipynb",
    )
    nb = fx.correct("01_learn_gate")
    nb.cells.append(fx.nbformat.v4.new_markdown_cell("learner c"))  # not a's cache entry
    fx.write(nb, tmp_path / "subs" / "c" / "01_learn_gate.ipynb")
    proc = subprocess.Popen(
        grade_cmd("subs", "--out", "gb.csv", "--jobs", "1", "--timeout", "10"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal delivers it: SIGINT at its default. A suite started as a
        # background job (`pytest &` in a script) inherits SIGINT ignored, and Python then
        # never installs its KeyboardInterrupt handler: the grader would finish, exit 0.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    gb = tmp_path / "gb.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (gb.exists() and len(read_rows(gb)) == 1):
        time.sleep(0.1)
    proc.send_signal(2)  # SIGINT, as Ctrl-C (b's infinite loop is running)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err and "Traceback" not in err
    assert [r["submission"] for r in read_rows(gb)] == ["a/01_learn_gate.ipynb"]
    # the next run resumes: a from the cache, b and c graded
    proc = subprocess.run(
        grade_cmd("subs", "--out", "gb.csv", "--jobs", "1", "--timeout", "10"),  # same limits
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.search(r"^2 graded, 1 from the cache", proc.stdout, re.M), proc.stdout
    statuses = {r["submission"].split("/")[0]: r["status"] for r in read_rows(gb)}
    assert statuses == {"a": "passed", "b": "timeout", "c": "passed"}


def test_check_command_reports_like_the_grader(tmp_path):
    good = fx.write(fx.correct("01_learn_gate"), tmp_path / "good.ipynb")
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_course", "check", str(good)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[PASS] learn_gate" in proc.stdout and "score: 1 / 1" in proc.stdout
    ex = EXERCISES["learn_gate"]
    m = ex.mistakes_for()[0]
    bad = fx.write(fx.mistake("01_learn_gate", "learn_gate", m), tmp_path / "bad.ipynb")
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_course", "check", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "[FAIL] learn_gate" in proc.stdout
    assert " ".join(m.diagnosis.split()[:5]) in " ".join(proc.stdout.split())


# --------------------------------------------------------------------------- unit tests


def test_transport_round_trip_and_no_pickle():
    from lstm_course import init_params

    value = {
        "a": np.arange(6.0).reshape(2, 3),
        "t": (1, "x", None, [np.float32(2.5)]),
        "p": init_params(2, 3, seed=0),
    }
    text = transport.pack(value, "n0nce")
    back = transport.unpack(text, "n0nce")
    assert np.array_equal(back["a"], value["a"]) and back["t"][:3] == (1, "x", None)
    assert np.array_equal(back["p"]["W_n"], value["p"].W_n)
    with pytest.raises(transport.TransportError):
        transport.unpack(text, "other")
    # an archive holding an object array (a pickle inside) is refused, never unpickled
    import base64
    import io

    buf = io.BytesIO()
    np.savez(
        buf,
        __skeleton__=np.frombuffer(b'{"__nd__": "a0"}', np.uint8),
        __nonce__=np.frombuffer(b"n", np.uint8),
        a0=np.array([object()], dtype=object),
    )
    evil = "n:" + base64.b64encode(buf.getvalue()).decode() + ":n"
    with pytest.raises(transport.TransportError):
        transport.unpack(evil, "n")

    # a deflate bomb (a small archive that grows when read) and an oversized payload are
    # refused before anything is decompressed
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        __skeleton__=np.frombuffer(b'{"__nd__": "a0"}', np.uint8),
        __nonce__=np.frombuffer(b"n", np.uint8),
        a0=np.zeros(50_000_000, np.uint8),
    )
    assert len(buf.getvalue()) < 100_000  # 50 MB of zeros, deflated
    bomb = "n:" + base64.b64encode(buf.getvalue()).decode() + ":n"
    with pytest.raises(transport.TransportError, match="compressed"):
        transport.unpack(bomb, "n")
    huge = "n:" + "A" * (transport.MAX_PAYLOAD_BYTES * 4 // 3 + 8) + ":n"
    with pytest.raises(transport.TransportError, match="larger than"):
        transport.unpack(huge, "n")

    # objects that are not plain data travel as their type name only
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    assert isinstance(transport.unpack(transport.pack(AlwaysEqual(), "z"), "z"), transport.Other)


@pytest.mark.parametrize(
    "src, flagged",
    [
        ("def learn_gate(*a):\n    return lstm_course.learn_gate(*a)\n", True),
        ("import lstm_course as L\ndef learn_gate(*a):\n    return L.gates.learn_gate(*a)\n", True),
        ("from lstm_course.gates import learn_gate\n", True),
        ("from lstm_course import *\n", True),
        ("learn_gate = get_exercise('learn_gate').reference\n", True),
        ("learn_gate = yours_or_reference('learn_gate', mine)\n", True),
        ("import lstm_course\nf = getattr(lstm_course, 'learn_gate')\n", True),
        (
            "def learn_gate(stm, event, W_n, b_n, W_i, b_i):\n    x = concat(stm, event)\n"
            "    return tanh(x @ W_n + b_n) * sigmoid(x @ W_i + b_i)\n",
            False,
        ),
    ],
)
def test_static_reference_use(src, flagged):
    assert bool(reference_use(src, "learn_gate")) is flagged


def test_forged_cache_entries_are_ignored(tmp_path):
    nb = fx.write(fx.correct("01_learn_gate"), tmp_path / "01_learn_gate.ipynb")
    sub = load_submission(nb)
    book = Gradebook(tmp_path / "gb.csv")
    rows = [
        {
            "submission": sub.id,
            "notebook": "01_learn_gate",
            "exercise": "learn_gate",
            "points": 0,
            "max_points": 1,
            "status": "failed",
            "message": "m",
            "detail": "m",
        }
    ]
    book.store(sub, rows)
    assert book.cached(sub)[0]["status"] == "failed"
    entry = book.cache_dir / f"{book.cache_key(sub)}.json"
    entry.write_text(entry.read_text().replace('"failed"', '"passed"'))
    assert Gradebook(tmp_path / "gb.csv").cached(sub) is None


def test_invalid_inputs_are_reported_not_raised(tmp_path):
    (tmp_path / "x.ipynb").write_text("[]")
    assert "no list of cells" in load_submission(tmp_path / "x.ipynb").problem
    (tmp_path / "y.ipynb").write_bytes(b"\xff\xfe")
    assert "not valid JSON" in load_submission(tmp_path / "y.ipynb").problem
    nb = fx.write(fx.correct("01_learn_gate"), tmp_path / "z.ipynb")
    assert "not 02_forget_gate" in load_submission(nb, "02_forget_gate").problem
