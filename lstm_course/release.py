"""Student notebooks are generated from the solutions: one source of truth.

In a solution notebook, code between two marker lines is the answer:

    def learn_gate(stm, event, W_n, b_n, W_i, b_i):
        # BEGIN SOLUTION
        ...
        # END SOLUTION

`make_student_notebook` replaces each region by a stub at the region's indentation:
inside a function, ``raise NotImplementedError(...)`` (the checks report "not attempted yet");
at the top level of a cell, only the ``# YOUR CODE HERE`` comment, so the cell still runs.
Markdown cells may hold ``<!-- BEGIN SOLUTION -->`` ... ``<!-- END SOLUTION -->`` (answers to
written questions); cells tagged ``solution-only`` are dropped. Outputs and execution counts are
cleared and metadata is reduced to what the course needs, so the result is deterministic.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import nbformat

__all__ = [
    "MarkerError",
    "strip_solution_source",
    "make_student_notebook",
    "release",
    "out_of_sync",
    "read_notebook",
    "dumps",
    "STUB_MESSAGE",
    "sync_answers",
]

from .exercises.base import BEGIN, END, STUB_MESSAGE

MD_REGION = re.compile(r"<!--\s*BEGIN SOLUTION\s*-->.*?<!--\s*END SOLUTION\s*-->", re.S)
MD_STUB = "*Your answer here.*"
KEEP_CELL_METADATA = ("tags",)
KEEP_NB_METADATA = ("kernelspec", "language_info", "lstm_course")


class MarkerError(ValueError):
    """A solution region is malformed (unbalanced BEGIN/END markers)."""


def strip_solution_source(source: str, where: str = "cell") -> str:
    """Replace every BEGIN/END SOLUTION region in a code cell's source by its stub."""
    out, inside, indent = [], False, ""
    for lineno, line in enumerate(source.splitlines(), 1):
        if m := BEGIN.match(line):
            if inside:
                raise MarkerError(f"{where}, line {lineno}: BEGIN SOLUTION inside another region")
            inside, indent = True, m["indent"]
            out.append(f"{indent}# YOUR CODE HERE")
            if indent:
                out.append(f'{indent}raise NotImplementedError("{STUB_MESSAGE}")')
        elif END.match(line):
            if not inside:
                raise MarkerError(f"{where}, line {lineno}: END SOLUTION without BEGIN SOLUTION")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{where}: BEGIN SOLUTION is never closed by END SOLUTION")
    return "\n".join(out)


def has_solution(source: str) -> bool:
    return any(BEGIN.match(line) for line in source.splitlines()) or bool(MD_REGION.search(source))


def make_student_notebook(
    nb: nbformat.NotebookNode, name: str = "notebook"
) -> nbformat.NotebookNode:
    """The student version of a solution notebook (a new object; `nb` is not modified)."""
    student = nbformat.v4.new_notebook()
    student.metadata = {k: v for k, v in nb.metadata.items() if k in KEEP_NB_METADATA}
    for index, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if "solution-only" in tags:
            continue
        meta = {k: v for k, v in cell.get("metadata", {}).items() if k in KEEP_CELL_METADATA}
        if cell.cell_type == "code":
            source = strip_solution_source(cell.source, f"{name} cell {index}")
            new = nbformat.v4.new_code_cell(source, metadata=meta)
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(MD_REGION.sub(MD_STUB, cell.source), metadata=meta)
        else:
            new = nbformat.v4.new_raw_cell(cell.source, metadata=meta)
        new.pop("id", None)
        new["id"] = f"cell-{len(student.cells)}"
        student.cells.append(new)
    return student


def dumps(nb) -> str:
    """Deterministic JSON for a notebook (stable key order, one trailing newline).

    The same text as ``nbformat.writes(nb, version=4)``, without re-validating a notebook that
    make_student_notebook built from nbformat's own constructors (validation is the slow part).
    """
    from nbformat.v4 import nbjson

    return nbjson.writes(nb).rstrip("\n") + "\n"


def read_notebook(path) -> nbformat.NotebookNode:
    """Read a v4 notebook without schema validation (the slow part); others via nbformat."""
    from nbformat.v4 import nbjson

    text = Path(path).read_text(encoding="utf-8")
    raw = json.loads(text)
    if isinstance(raw, dict) and raw.get("nbformat") == 4:
        return nbjson.reads(text)
    return nbformat.reads(text, as_version=4)


def release(solutions_dir="solutions", out_dir="notebooks") -> list[Path]:
    """Write the student version of every solutions/*.ipynb into out_dir. Returns the paths."""
    solutions_dir, out_dir = Path(solutions_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sorted(solutions_dir.glob("*.ipynb")):
        nb = read_notebook(src)
        target = out_dir / src.name
        text = dumps(make_student_notebook(nb, src.name))
        tmp = target.with_suffix(".ipynb.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        written.append(target)
    return written


def out_of_sync(solutions_dir="solutions", notebooks_dir="notebooks") -> list[str]:
    """Student notebooks that differ from what `release` would write, or are missing/extra."""
    solutions_dir, notebooks_dir = Path(solutions_dir), Path(notebooks_dir)
    problems = []
    expected = {p.name: p for p in sorted(solutions_dir.glob("*.ipynb"))}
    for name, src in expected.items():
        want = dumps(make_student_notebook(read_notebook(src), name))
        target = notebooks_dir / name
        if not target.exists():
            problems.append(f"{name} (missing from {notebooks_dir})")
        elif target.read_text(encoding="utf-8") != want:
            problems.append(f"{name} (differs from its solution)")
    for extra in sorted(notebooks_dir.glob("*.ipynb")):
        if extra.name not in expected:
            problems.append(f"{extra.name} (no solution notebook for it)")
    return problems


# --------------------------------------------------------------------------- answers


def _answer_region(source: str, name: str):
    """(start, end): the marker lines' indices in a cell that defines `name`, or None."""
    lines = source.splitlines()
    if not any(line.startswith(f"def {name}(") for line in lines):
        return None
    starts = [k for k, line in enumerate(lines) if BEGIN.match(line)]
    ends = [k for k, line in enumerate(lines) if END.match(line)]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        return None
    return starts[0], ends[0]


def _with_answer(source: str, exercise) -> str:
    lines = source.splitlines()
    start, end = _answer_region(source, exercise.name)
    first = next(k for k, line in enumerate(lines) if line.startswith(f"def {exercise.name}("))
    lines[first] = exercise.def_line
    body = textwrap.indent(exercise.body, "    ").rstrip("\n").splitlines()
    return "\n".join(lines[: start + 1] + body + lines[end:])


def sync_answers(solutions_dir="solutions", check: bool = False) -> list[str]:
    """Make each exercise cell of the solution notebooks hold the package's answer.

    The answer is written once, in the package (the marked body of the exercise's function);
    the solution notebook's region under the learner's def line is derived from it. With
    check=True nothing is written. Returns what differed (or is missing). Outputs are not
    touched: re-execute a changed notebook with ``lstm-course execute``.
    """
    from .exercises import EXERCISES

    problems = []
    for exercise in EXERCISES.values():
        path = Path(solutions_dir) / f"{exercise.notebook}.ipynb"
        if not path.exists():
            problems.append(f"{path.name}: missing (the notebook of {exercise.name})")
            continue
        nb = read_notebook(path)
        cells = [
            c for c in nb.cells if c.cell_type == "code" and _answer_region(c.source, exercise.name)
        ]
        if len(cells) != 1:
            problems.append(f"{path.name}: {len(cells)} answer cells for {exercise.name}")
            continue
        want = _with_answer(cells[0].source, exercise)
        if cells[0].source != want:
            problems.append(f"{path.name}: the answer to {exercise.name} is not the package's")
            if not check:
                cells[0].source = want
                tmp = path.with_suffix(".ipynb.tmp")
                tmp.write_text(dumps(nb), encoding="utf-8")
                tmp.replace(path)
    return problems
