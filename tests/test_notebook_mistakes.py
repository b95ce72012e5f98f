"""Every catalogued mistake, pasted into the solution notebook in place of the answer, gets its
own diagnosis from the notebook's own check cell.

One kernel per notebook: the notebook's cells are executed as written up to the first exercise
(cells tagged skip-grading — widgets, plots — are left out, as the grader leaves them out); then,
for every known mistake of that exercise, a cell with the mistake's source (the exercise's def,
from `Exercise.mistake_source`) and a copy of the notebook's check cell(s) for it. Before the
next exercise of the same notebook the notebook's own cells in between run again (restoring the
real answer, which later exercises build on).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from lstm_course.exercises import EXERCISES
from lstm_course.exercises import NOTEBOOKS as EXERCISE_NOTEBOOKS

pytestmark = pytest.mark.slow

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
NOTEBOOKS = dict(EXERCISE_NOTEBOOKS)  # notebook -> its exercises, from the registry
VARIANT = re.compile(r"""variant\s*=\s*["'](\w+)["']""")


def _is_exercise_cell(cell, name):
    return (
        cell.cell_type == "code"
        and re.search(rf"^def {name}\(", cell.source, re.M)
        and "BEGIN SOLUTION" in cell.source
    )


def _is_check_cell(cell, name):
    return cell.cell_type == "code" and re.match(rf"\s*check_{name}\({name}\b", cell.source)


def _code(source, **meta):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["mistake_test"] = meta
    return cell


def mistake_notebook(nb, names):
    """The notebook to execute, and the list of (exercise, mistake, variant, cell index) probes."""
    cells = nb.cells
    ex_index = {}
    for name in names:
        found = [i for i, c in enumerate(cells) if _is_exercise_cell(c, name)]
        assert len(found) == 1, f"{name}: expected one exercise cell, found {len(found)}"
        ex_index[name] = found[0]
        assert any(_is_check_cell(c, name) for c in cells[found[0] :]), f"no check cell for {name}"

    def keep(cell):
        return cell.cell_type == "code" and "skip-grading" not in cell.metadata.get("tags", [])

    out, probes, start = [], [], 0
    for k, name in enumerate(names):
        out += [c for c in cells[start : ex_index[name]] if keep(c)]
        exercise = EXERCISES[name]
        checks = [c for c in cells[ex_index[name] :] if _is_check_cell(c, name)]
        stop = ex_index[names[k + 1]] if k + 1 < len(names) else len(cells)
        checks = [c for c in checks if cells.index(c) < stop]
        for mistake in exercise.mistakes:
            out.append(_code(exercise.mistake_source(mistake), mistake=mistake.name))
            for check in checks:
                m = VARIANT.search(check.source)
                variant = m.group(1) if m else "lesson"
                if mistake.applies(variant):
                    probes.append((name, mistake, variant, len(out)))
                    out.append(_code(check.source, check=name, variant=variant))
        start = ex_index[name]  # the real answer and what follows it run before the next one
    new = nbformat.v4.new_notebook(metadata=nb.metadata)
    new.cells = out
    return new, probes


def _text(cell):
    parts = []
    for o in cell.outputs:
        if o.output_type == "execute_result":
            parts.append(o.data.get("text/plain", ""))
        elif o.output_type == "stream":
            parts.append(o.text)
        elif o.output_type == "error":
            parts.append(f"{o.ename}: {o.evalue}")
    return "\n".join(parts)


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS))
def test_every_known_mistake_is_diagnosed_in_the_notebook(notebook):
    nb = nbformat.read(SOLUTIONS / f"{notebook}.ipynb", as_version=4)
    assert nb.metadata["lstm_course"]["notebook"] == notebook
    run, probes = mistake_notebook(nb, NOTEBOOKS[notebook])
    assert probes, "no mistakes to try"
    NotebookClient(
        run, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(SOLUTIONS)}}
    ).execute()
    failures = []
    for name, mistake, variant, index in probes:
        text = _text(run.cells[index])
        if mistake.diagnosis not in text:
            failures.append(
                f"{name} / {mistake.name} (variant={variant}): the check said\n"
                f"{text}\n  instead of: {mistake.diagnosis}"
            )
    assert not failures, "\n\n".join(failures)
    covered = {(name, m.name) for name, m, _, _ in probes}
    expected = {(name, m.name) for name in NOTEBOOKS[notebook] for m in EXERCISES[name].mistakes}
    assert covered == expected, (
        f"mistakes with no check cell for their variant: {expected - covered}"
    )


# --- The gate notebooks' structure (no execution) ---------------------------------------------

NOTEBOOKS_DIR = SOLUTIONS.parent / "notebooks"
GATE_NOTEBOOKS = ("00_why_lstm",) + tuple(n for n in sorted(NOTEBOOKS) if n < "06")


@pytest.mark.parametrize("notebook", GATE_NOTEBOOKS)
def test_gate_notebook_structure(notebook):
    from lstm_course.release import make_student_notebook

    nb = nbformat.read(SOLUTIONS / f"{notebook}.ipynb", as_version=4)
    assert nb.metadata["lstm_course"] == {"notebook": notebook}
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "solutions are stored executed"
    assert "%matplotlib inline" in code[0].source
    widget_cells = [c for c in code if "widget(" in c.source and "display(" in c.source]
    assert widget_cells, "every notebook has a slider widget"
    for cell in widget_cells:  # nbval's cell tag, not a comment learners would see
        assert "nbval-ignore-output" in cell.metadata.get("tags", [])
        assert "NBVAL" not in cell.source
    for cell in code:  # no warnings, tracebacks or object addresses in the stored outputs
        for out in cell.outputs:
            assert out.output_type != "error"
            assert out.get("name") != "stderr", cell.source
            assert " at 0x" not in str(out.get("data", {}).get("text/plain", ""))
    student = make_student_notebook(nb, notebook)
    assert (NOTEBOOKS_DIR / f"{notebook}.ipynb").exists()
    for name in NOTEBOOKS.get(notebook, ()):
        i = next(i for i, c in enumerate(nb.cells) if _is_exercise_cell(c, name))
        src = nb.cells[i].source
        assert src.index(f"def {name}(") < src.index('"""') < src.index("# BEGIN SOLUTION")
        stub = student.cells[i].source
        assert f"def {name}(" in stub and "raise NotImplementedError" in stub
        assert any(_is_check_cell(c, name) for c in nb.cells[i + 1 : i + 4])
        assert any(f'hints("{name}")' in c.source for c in nb.cells[i + 1 : i + 6])
        later = "".join(c.source for c in nb.cells[i + 1 :] if c.cell_type == "code")
        assert f'yours_or_reference("{name}"' in later or name == "lstm_cell"
