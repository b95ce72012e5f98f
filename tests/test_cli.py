"""`lstm-course` / `python -m lstm_course`: usage errors are clear messages, never tracebacks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lstm_course.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "lstm_course", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_module_and_console_script_are_the_same_program():
    a = run("--help")
    assert a.returncode == 0 and "release" in a.stdout and "grade" in a.stdout
    assert "report" in a.stdout and "export" in a.stdout
    exe = shutil.which("lstm-course") or str(Path(sys.executable).with_name("lstm-course"))
    if not Path(exe).exists():
        pytest.skip("the lstm-course console script is not installed in this environment")
    b = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert b.returncode == 0
    assert a.stdout.replace("__main__.py", "lstm-course") == b.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        ((), "required"),
        (("frobnicate",), "invalid choice"),
        (("grade", "x.ipynb"), "--out"),
        (("grade", "x.ipynb", "--out", "g.csv", "--jobs", "0"), "at least 1"),
        (("grade", "x.ipynb", "--out", "g.csv", "--jobs", "two"), "whole number"),
        (("grade", "x.ipynb", "--out", "g.csv", "--timeout", "-1"), "more than 0"),
        (("check",), "NOTEBOOK"),
        (("release", "--bogus"), "unrecognized arguments"),
        (("report",), "GRADEBOOK"),
        (("export", "g.csv"), "--out"),
        (("export", "g.csv", "--out", "c.csv", "--format", "moodle"), "invalid choice"),
    ],
)
def test_bad_usage_is_a_clear_message(args, words, capsys):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    assert exc.value.code == 2
    assert words in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, words",
    [
        (("grade", "no/such/folder", "--out", "g.csv"), "no such file or folder: no/such/folder"),
        (("check", "missing.ipynb"), "no such file: missing.ipynb"),
        (("execute", "missing.ipynb"), "no such file: missing.ipynb"),
        (("release", "--solutions", "nowhere"), "no such folder: nowhere"),
        (("report", "missing.csv"), "no such file: missing.csv"),
        (("export", "missing.csv", "--out", "c.csv"), "no such file: missing.csv"),
    ],
)
def test_missing_files_are_a_clear_message(args, words, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    assert exc.value.code == 2
    assert words in capsys.readouterr().err


def test_no_traceback_from_the_real_command(tmp_path):
    proc = run("grade", "no/such/folder", "--out", "g.csv", cwd=tmp_path)
    assert proc.returncode == 2
    assert "no such file or folder" in proc.stderr and "Traceback" not in proc.stderr


def test_grade_with_out_pointing_at_a_folder(tmp_path, monkeypatch, capsys):
    (tmp_path / "subs").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["grade", "subs", "--out", "."])
    assert exc.value.code == 2 and "not a folder" in capsys.readouterr().err


def test_grade_an_empty_folder_writes_an_empty_gradebook(tmp_path):
    (tmp_path / "subs").mkdir()
    proc = run("grade", "subs", "--out", "g.csv", "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "no notebooks found" in proc.stderr
    assert (tmp_path / "g.csv").read_text().strip() == (
        "submission,notebook,exercise,points,max_points,status,message,student,assignment,"
        "cell_problems"
    )


def test_check_on_a_broken_file_says_why(tmp_path, monkeypatch, capsys):
    (tmp_path / "01_learn_gate.ipynb").write_text("{oops")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "01_learn_gate.ipynb"]) == 1
    out = capsys.readouterr().out
    assert "INVALID" in out and "not valid JSON" in out


def test_parser_lists_every_command():
    text = build_parser().format_help()
    for cmd in ("release", "execute", "grade", "check"):
        assert cmd in text
