"""`lstm-course release`: student notebooks from solutions/, and `--check` guarding notebooks/."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lstm_course.release import make_student_notebook, out_of_sync, strip_solution_source

ROOT = Path(__file__).resolve().parents[1]
HAVE_SOLUTIONS = any((ROOT / "solutions").glob("*.ipynb"))


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cli(*args, cwd=ROOT):
    """`lstm-course ARGS` in this process (from folder cwd): returncode, stdout, stderr."""
    import contextlib
    import io
    import os

    from lstm_course.cli import main

    out, err, here = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code
    finally:
        os.chdir(here)
    return Result(code, out.getvalue(), err.getvalue())


@pytest.mark.skipif(not HAVE_SOLUTIONS, reason="no solution notebooks yet")
def test_repository_notebooks_are_in_sync_with_the_solutions():
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_course", "release", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "in sync" in proc.stdout


@pytest.fixture
def repo_copy(tmp_path):
    if not HAVE_SOLUTIONS:
        pytest.skip("no solution notebooks yet")
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    proc = cli("release", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return tmp_path


def test_release_then_check_passes(repo_copy):
    written = sorted(p.name for p in (repo_copy / "notebooks").glob("*.ipynb"))
    assert written == sorted(p.name for p in (repo_copy / "solutions").glob("*.ipynb"))
    assert cli("release", "--check", cwd=repo_copy).returncode == 0


def test_check_fails_naming_an_edited_notebook(repo_copy):
    target = sorted((repo_copy / "notebooks").glob("*.ipynb"))[0]
    nb = nbformat.read(target, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("edited by hand"))
    nbformat.write(nb, target)
    proc = cli("release", "--check", cwd=repo_copy)
    assert proc.returncode == 1
    assert f"{target.name} (differs from its solution)" in proc.stdout


def test_check_fails_when_a_solution_changes_or_a_notebook_is_missing_or_extra(repo_copy):
    sol = sorted((repo_copy / "solutions").glob("*.ipynb"))[0]
    nb = nbformat.read(sol, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("a new paragraph"))
    nbformat.write(nb, sol)
    (repo_copy / "notebooks" / "zz_extra.ipynb").write_text("{}")
    missing = sorted((repo_copy / "notebooks").glob("*.ipynb"))[-2]
    missing.unlink()
    problems = out_of_sync(repo_copy / "solutions", repo_copy / "notebooks")
    assert f"{sol.name} (differs from its solution)" in problems
    assert "zz_extra.ipynb (no solution notebook for it)" in problems
    assert any(p.startswith(missing.name) and "missing" in p for p in problems)


def test_release_out_option(repo_copy):
    proc = cli("release", "--out", "elsewhere", cwd=repo_copy)
    assert proc.returncode == 0
    assert cli("release", "--check", "--out", "elsewhere", cwd=repo_copy).returncode == 0


def test_student_notebooks_have_stubs_no_outputs_and_clean_metadata(repo_copy):
    for path in (repo_copy / "notebooks").glob("*.ipynb"):
        raw = json.loads(path.read_text())
        assert set(raw["metadata"]) <= {"kernelspec", "language_info", "lstm_course"}
        assert raw["metadata"].get("lstm_course", {}).get("notebook") == path.stem
        for cell in raw["cells"]:
            src = "".join(cell["source"])
            assert "BEGIN SOLUTION" not in src and "END SOLUTION" not in src
            assert set(cell.get("metadata", {})) <= {"tags"}
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None


def test_stub_inside_a_function_and_at_top_level():
    src = "def f(x):\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n"
    out = strip_solution_source(src)
    assert "raise NotImplementedError" in out and "return x" not in out
    assert strip_solution_source("# BEGIN SOLUTION\ny = 1\n# END SOLUTION") == "# YOUR CODE HERE"


def test_solution_only_cells_are_dropped():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("secret = 1", metadata={"tags": ["solution-only"]}),
        nbformat.v4.new_markdown_cell("Q <!-- BEGIN SOLUTION -->A<!-- END SOLUTION -->"),
    ]
    student = make_student_notebook(nb)
    assert len(student.cells) == 1 and "A" not in student.cells[0].source.replace("Q", "")


def test_release_reports_marker_errors_cleanly(tmp_path):
    (tmp_path / "solutions").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("# BEGIN SOLUTION\nx = 1\n")]
    nbformat.write(nb, tmp_path / "solutions" / "bad.ipynb")
    proc = cli("release", cwd=tmp_path)
    assert proc.returncode == 2 and "never closed" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_execute_refreshes_outputs(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(6 * 7)")]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    proc = cli("execute", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = nbformat.read(path, as_version=4).cells[0].outputs
    assert out and "42" in out[0]["text"]
