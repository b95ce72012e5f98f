"""Finding learner notebooks and deciding whether each one can be graded.

A submission is one ``.ipynb`` file. ``find_submissions`` expands the command line's files and
folders (recursively, skipping hidden folders and ``.ipynb_checkpoints``). ``load_submission``
reads it WITHOUT executing anything and says which lesson it is (from the notebook metadata
``{"lstm_course": {"notebook": "01_learn_gate"}}`` that release keeps), or why it cannot be
graded: not JSON, not a notebook, wrong nbformat, no/unknown lesson, a lesson without exercises,
or not the lesson the instructor asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Submission", "find_submissions", "load_submission", "submission_id", "MissingPath"]


class MissingPath(FileNotFoundError):
    """A path given on the command line does not exist."""


@dataclass
class Submission:
    path: Path
    id: str  # the gradebook's "submission" column
    sha256: str = ""  # of the file's bytes ("" when unreadable)
    lesson: str = ""  # e.g. "01_learn_gate" ("" when unknown)
    nb: dict | None = None  # the parsed notebook (nbformat 4 JSON), when valid
    problem: str = ""  # why it cannot be graded ("" when it can)
    exercises: list[str] = field(default_factory=list)  # exercise keys of its lesson

    @property
    def valid(self) -> bool:
        return not self.problem


def submission_id(path: Path) -> str:
    """The path relative to the current folder when it lies below it, else the absolute path."""
    path = Path(os.path.abspath(path))
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def find_submissions(paths) -> list[Path]:
    """Files and folders -> the .ipynb files (sorted, without duplicates).

    A file given explicitly is taken whatever its name ends with (so a broken upload is
    reported, not silently ignored); folders contribute their *.ipynb files.
    """
    found: dict[str, Path] = {}
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
                for name in sorted(files):
                    if name.endswith(".ipynb") and not name.startswith("."):
                        q = Path(root) / name
                        found.setdefault(os.path.abspath(q), q)
        elif p.exists():
            found.setdefault(os.path.abspath(p), p)
        else:
            raise MissingPath(f"no such file or folder: {raw}")
    return sorted(found.values(), key=lambda q: submission_id(q))


def _lessons():
    from ..exercises import EXERCISES  # H2's registry

    lessons: dict[str, list[str]] = {}
    for key, ex in EXERCISES.items():
        lessons.setdefault(ex.notebook, []).append(key)
    return lessons


def known_lessons() -> list[str]:
    """Lessons that have graded exercises, plus every notebook name under solutions/ if present."""
    return sorted(_lessons())


def load_submission(path: Path, expect_lesson: str | None = None) -> Submission:
    """Read and validate one notebook file (never executes it)."""
    path = Path(path)
    sub = Submission(path=path, id=submission_id(path))
    lessons = _lessons()
    # a best guess from the file name, so an unreadable file still gets rows per exercise
    stem = path.name[: -len(".ipynb")] if path.name.endswith(".ipynb") else path.stem
    if stem in lessons:
        sub.lesson, sub.exercises = stem, list(lessons[stem])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        sub.problem = f"cannot read the file: {exc.strerror or exc}"
        return sub
    sub.sha256 = hashlib.sha256(raw).hexdigest()
    try:
        nb = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
        sub.problem = f"not a notebook: the file is not valid JSON{where}"
        return sub
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        sub.problem = "not a notebook: no list of cells in the JSON"
        return sub
    major = nb.get("nbformat")
    if major != 4:
        sub.problem = (
            f"unsupported notebook format nbformat={major!r}; save it with "
            "JupyterLab or Notebook 7 (nbformat 4)"
        )
        return sub
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            sub.problem = f"not a valid notebook: cell {i} is malformed"
            return sub
        src = cell.get("source", "")
        if isinstance(src, list):
            if not all(isinstance(s, str) for s in src):
                sub.problem = f"not a valid notebook: cell {i} has a malformed source"
                return sub
            cell["source"] = "".join(src)
        elif not isinstance(src, str):
            sub.problem = f"not a valid notebook: cell {i} has a malformed source"
            return sub
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    course = meta.get("lstm_course") if isinstance(meta.get("lstm_course"), dict) else {}
    lesson = course.get("notebook")
    if not isinstance(lesson, str) or not lesson:
        sub.lesson, sub.exercises = "", []
        sub.problem = (
            "not an lstm_course notebook: its metadata has no lstm_course.notebook "
            "entry (submit the notebook you were given, saved, not a copy made "
            "elsewhere)"
        )
        return sub
    if lesson not in lessons:
        sub.lesson, sub.exercises = "", []
        sub.problem = (
            f"lesson {lesson!r} (from the notebook metadata) has no graded "
            f"exercises; the graded lessons are {', '.join(sorted(lessons))}"
        )
        return sub
    sub.lesson, sub.exercises = lesson, list(lessons[lesson])
    if expect_lesson and lesson != expect_lesson:
        sub.problem = f"this is lesson {lesson}, not {expect_lesson} (wrong notebook submitted?)"
        return sub
    sub.nb = nb
    return sub
