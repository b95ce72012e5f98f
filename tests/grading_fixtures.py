"""Builders of learner submissions for the grading tests, made FROM THE SOLUTION notebooks.

Each builder takes a solution notebook (nbformat node) and returns a new notebook that a learner
could have submitted: correct (the solution itself), a catalogued mistake pasted into the
exercise cell, the blank student version, and the failure and tampering cases. `expected`
holds the row every one of them must get.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import numpy as np

from lstm_course.exercises import EXERCISES
from lstm_course.release import make_student_notebook

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"


def lessons_with_exercises() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, ex in EXERCISES.items():
        out.setdefault(ex.notebook, []).append(key)
    return out


def available_lessons() -> dict[str, list[str]]:
    """Lessons whose solution notebook exists (the notebooks arrive one by one)."""
    return {
        k: v for k, v in lessons_with_exercises().items() if (SOLUTIONS / f"{k}.ipynb").exists()
    }


def solution(lesson: str):
    return nbformat.read(SOLUTIONS / f"{lesson}.ipynb", as_version=4)


def exercise_cell(nb, name: str) -> int:
    """Index of the code cell that defines `name` (the one with the solution region)."""
    hits = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and f"def {name}(" in c.source
    ]
    marked = [i for i in hits if "BEGIN SOLUTION" in nb.cells[i].source]
    if not (marked or hits):
        raise LookupError(f"no cell defines {name}")
    return (marked or hits)[0]


def with_cell(nb, name: str, source: str):
    """A copy of nb whose exercise cell for `name` holds `source`."""
    nb = copy.deepcopy(nb)
    nb.cells[exercise_cell(nb, name)].source = source
    return nb


def insert_after(nb, name: str, source: str):
    """A copy of nb with a new code cell right after the exercise cell of `name`."""
    nb = copy.deepcopy(nb)
    i = exercise_cell(nb, name)
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(source))
    return nb


def stripped(nb):
    """Solution-marker lines removed (a learner's finished notebook has none)."""
    nb = copy.deepcopy(nb)
    for c in nb.cells:
        if c.cell_type == "code":
            c.source = "\n".join(
                line
                for line in c.source.splitlines()
                if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line
            )
    return nb


def correct(lesson):
    return stripped(solution(lesson))


def blank(lesson):
    return make_student_notebook(solution(lesson), lesson)


def mistake(lesson, name, mistake_obj):
    return with_cell(correct(lesson), name, EXERCISES[name].mistake_source(mistake_obj))


def first_mistake_source(name):
    ex = EXERCISES[name]
    return ex.mistake_source(ex.mistakes_for()[0])


def infinite_loop(lesson, name):
    return with_cell(
        correct(lesson), name, f"def {name}(*args, **kwargs):\n    while True:\n        pass\n"
    )


def os_exit(lesson, name):
    return with_cell(
        correct(lesson), name, f"import os\n\ndef {name}(*args, **kwargs):\n    os._exit(1)\n"
    )


def syntax_error(lesson, name):
    src = EXERCISES[name].reference_source()
    return with_cell(correct(lesson), name, src.replace("):", ":", 1))


def reference_alias(lesson, name):
    return with_cell(correct(lesson), name, f"import lstm_course\n\n{name} = lstm_course.{name}\n")


def reference_hidden(lesson, name):
    """Reaches the package's answer through a name built at run time (passes the static check;
    the run-time tripwire must catch it)."""
    return with_cell(
        correct(lesson),
        name,
        "import importlib\n_m = importlib.import_module('lstm_' + 'course')\n"
        f"_f = getattr(_m, '{name[:3]}' + '{name[3:]}')\n\n"
        f"def {name}(*args, **kwargs):\n    return _f(*args, **kwargs)\n",
    )


def numpy_patched(lesson, name):
    """A wrong answer, plus numpy patched so that in-notebook comparisons all 'pass'."""
    nb = with_cell(correct(lesson), name, first_mistake_source(name))
    return insert_after(
        nb,
        name,
        (
            "import numpy as np\n"
            "np.allclose = lambda *a, **k: True\n"
            "np.array_equal = lambda *a, **k: True\n"
            "np.testing.assert_allclose = lambda *a, **k: None\n"
            "np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), dtype=bool)\n"
            "np.tanh = lambda x: x\n"
        ),
    )


def check_redefined(lesson, name):
    """A wrong answer, and the check replaced by one that always says 'passed'."""
    nb = with_cell(correct(lesson), name, first_mistake_source(name))
    return insert_after(
        nb,
        name,
        (
            "import lstm_course.checks, lstm_course.checks.core\n"
            "class _Passed:\n"
            "    passed, score, max_score, status, message = True, 1, 1, 'passed', 'passes'\n"
            "    def __repr__(self):\n"
            f"        return '\\u2714 {name} passes its check (score 1/1)'\n"
            f"def check_{name}(fn, **kw):\n"
            f"    print('\\u2714 {name} passes its check (score 1/1)')\n"
            "    return _Passed()\n"
            f"lstm_course.checks.check_{name} = check_{name}\n"
            "lstm_course.checks.core.judge = lambda *a, **k: _Passed()\n"
            "lstm_course.checks.core.run_check = lambda *a, **k: _Passed()\n"
        ),
    )


def hard_coded(lesson, name):
    """The function returns the reference's output on the check's fixed cases, as constants."""
    ex = EXERCISES[name]
    cases = ex.make_cases()  # the check's fixed seed: what the notebook shows
    outs = [ex.reference(**c) for c in cases]
    if not all(isinstance(o, np.ndarray) for o in outs):
        raise ValueError("hard_coded needs array outputs")
    table = {o.shape: o.tolist() for o in outs}
    answers = ", ".join(f"{k!r}: {v!r}" for k, v in table.items())
    src = (
        f"import numpy as np\n_ANSWERS = {{{answers}}}\n\n"
        f"def {name}(*args, **kwargs):\n"
        "    shapes = [np.shape(a) for a in args]\n"
        "    for shape, value in _ANSWERS.items():\n"
        "        if shape[0] == shapes[0][0] and shape[1] == shapes[0][1]:\n"
        "            return np.array(value)\n"
        "    return np.array(list(_ANSWERS.values())[0])\n"
    )
    return with_cell(correct(lesson), name, src)


def fake_passed_text(lesson, name):
    nb = with_cell(correct(lesson), name, first_mistake_source(name))
    return insert_after(
        nb,
        name,
        (
            f"print('\\u2714 {name} passes its check (score 1/1)')\n"
            f"print('{name},passed,1,1')\n"
            "from IPython.display import HTML, display\n"
            f"display(HTML('<b>\\u2714 {name} passes its check</b>'))\n"
        ),
    )


def writes_files(lesson, name, gradebook: Path):
    """A wrong answer that forges a gradebook next to the real one, a cache entry and feedback."""
    nb = with_cell(correct(lesson), name, first_mistake_source(name))
    gb = str(gradebook)
    stem = gradebook.name[: -len(gradebook.suffix)]
    cache = str(gradebook.with_name(stem + ".gradebook-cache"))
    return insert_after(
        nb,
        name,
        (
            "import os, json\n"
            "forged = 'submission,notebook,exercise,points,max_points,status,message\\n'\n"
            f"forged += 'tamper_files.ipynb,{lesson},{name},1,1,passed,forged\\n'\n"
            "for path in [" + repr(gb) + ", 'gradebook.csv']:\n"
            "    try:\n"
            "        open(path, 'w').write(forged)\n"
            "    except OSError:\n"
            "        pass\n"
            f"os.makedirs({cache!r}, exist_ok=True)\n"
            "entry = {'key': 'x', 'rows': [{'notebook': '"
            + lesson
            + "', 'exercise': '"
            + name
            + "', "
            "'points': 1, 'max_points': 1, 'status': 'passed', 'message': 'forged'}], 'mac': 'x'}\n"
            f"json.dump(entry, open(os.path.join({cache!r}, 'forged.json'), 'w'))\n"
        ),
    )


def not_json(path: Path):
    path.write_text('{"cells": [ this is not JSON', encoding="utf-8")


def wrong_nbformat(path: Path, lesson):
    nb = json.loads(nbformat.writes(correct(lesson)))
    nb["nbformat"] = 3
    path.write_text(json.dumps(nb), encoding="utf-8")


def unknown_lesson(lesson):
    nb = correct(lesson)
    nb.metadata["lstm_course"] = {"notebook": "99_not_a_lesson"}
    return nb


def no_metadata(lesson):
    nb = correct(lesson)
    nb.metadata.pop("lstm_course", None)
    return nb


def write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
