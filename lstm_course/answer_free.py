"""The answer-free build: a copy of the package in which every marked body is a stub.

The package writes each graded function once, its teachable body between ``# BEGIN
SOLUTION`` and ``# END SOLUTION`` (see lstm_course.exercises.base); so do the other functions
that compute an answer (the cell's forward with its cache, for instance). The same markers
that make the student notebooks (lstm_course.release) make this build: each region becomes

    # YOUR CODE HERE
    raise NotImplementedError("not attempted yet: replace this line with your code")

so a kernel that imports the build has no code path that computes a graded answer, while
everything around the answers (validation, plotting, the checks' cases) still works.

    lstm-course build-answer-free OUT_DIR      # OUT_DIR/lstm_course, importable from OUT_DIR
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from .release import BEGIN, END, strip_solution_source

__all__ = ["PACKAGE_DIR", "marked_regions", "marked_functions", "build_answer_free"]

PACKAGE_DIR = Path(__file__).resolve().parent


def marked_regions(path) -> list[list[str]]:
    """The lines of every marked region of one file (markers excluded)."""
    regions, current = [], None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if BEGIN.match(line):
            current = []
        elif END.match(line) and current is not None:
            regions.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return regions


def marked_functions(package_dir=PACKAGE_DIR) -> list[tuple[str, str]]:
    """(module, function name) of every top-level function that holds a marked region."""
    out = []
    for path in sorted(Path(package_dir).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "BEGIN SOLUTION" not in text:
            continue
        rel = path.relative_to(Path(package_dir).parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        lines = text.splitlines()
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef):
                body = lines[node.lineno - 1 : node.end_lineno]
                if any(BEGIN.match(line) for line in body):
                    out.append((module, node.name))
    return out


def build_answer_free(out_dir, package_dir=PACKAGE_DIR) -> Path:
    """Copy the package to out_dir/lstm_course with every marked region stubbed. Returns it."""
    target = Path(out_dir) / "lstm_course"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        package_dir, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
    )
    for path in sorted(target.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "BEGIN SOLUTION" in text:
            stubbed = strip_solution_source(text, str(path.relative_to(target)))
            path.write_text(stubbed + ("\n" if text.endswith("\n") else ""), encoding="utf-8")
    return target
