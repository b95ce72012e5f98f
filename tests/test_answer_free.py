"""The answer-free build: every marked answer of the package is a stub, everything else works."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from lstm_course.answer_free import PACKAGE_DIR, build_answer_free, marked_functions
from lstm_course.exercises import EXERCISES
from lstm_course.release import BEGIN, END


def _code(line: str) -> str:
    return " ".join(line.split("#", 1)[0].split())


def _lines(root, inside: bool) -> set[str]:
    """The code lines (comments and spacing dropped) inside / outside marked regions."""
    out = set()
    for path in root.rglob("*.py"):
        marked = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if BEGIN.match(line):
                marked = True
            elif END.match(line):
                marked = False
            elif marked == inside and _code(line):
                out.add(_code(line))
    return out


def test_every_exercise_is_a_marked_function():
    marked = set(marked_functions())
    for ex in EXERCISES.values():
        assert (ex.fn.__module__, ex.name) in marked


def test_the_build_holds_no_line_of_any_marked_body(tmp_path):
    answers = _lines(PACKAGE_DIR, inside=True) - _lines(PACKAGE_DIR, inside=False)
    assert len(answers) > 50  # the bodies of the gates, the cell, backward, the mapping...
    assert "return forget_out + learn_out" in answers  # the Remember gate, whole
    assert any("sigmoid(x @ W_i + b_i)" in line for line in answers)  # a mistake's edit
    target = build_answer_free(tmp_path)
    built = set()
    for path in target.rglob("*.py"):
        built |= {_code(line) for line in path.read_text(encoding="utf-8").splitlines()}
    leaked = sorted(answers & built)
    assert not leaked, leaked
    assert not list(target.rglob("__pycache__"))


def test_the_build_imports_and_every_answer_is_a_stub(tmp_path):
    build_answer_free(tmp_path)
    script = """
import inspect, json
import lstm_course
from lstm_course.exercises import EXERCISES
from lstm_course.checks import run_check
out = {"file": lstm_course.__file__, "stubs": {}, "checks": {}}
for name, ex in EXERCISES.items():
    out["stubs"][name] = "raise NotImplementedError" in inspect.getsource(ex.fn)
    out["checks"][name] = run_check(name, ex.fn).status
print(json.dumps(out))
"""
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["file"].startswith(str(tmp_path))
    assert all(out["stubs"].values()), out["stubs"]
    # no answer to compare with: the check says the grader checks it, never "passes"
    assert set(out["checks"].values()) == {"not-checked"}, out["checks"]
