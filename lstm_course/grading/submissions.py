"""Finding learner notebooks and deciding whether each one can be graded.

A submission is one ``.ipynb`` file. ``find_submissions`` expands the command line's files and
folders (recursively, skipping hidden folders and ``.ipynb_checkpoints``) and gives each file its
*id*, the gradebook's ``submission`` column: its path relative to the folder given (see
``submission_id``). The id also says whose work it is and for which assignment
(``student_assignment``), following a class's usual layouts:

==============================================  =========  ==========================
file (relative to the folder given)             student    assignment
==============================================  =========  ==========================
``<student>.ipynb`` (a flat folder)             file stem  the lesson
``<student>/<notebook>.ipynb``                  folder     the lesson
``<student>/<assignment>/<notebook>.ipynb``     1st folder 2nd folder (nbgrader)
==============================================  =========  ==========================

nbgrader's ``submitted/<student>/<assignment>/<notebook>.ipynb`` is recognised by the folder
name ``submitted`` wherever it is, whichever folder or file is given. ``load_submission``
reads it WITHOUT executing anything and says which lesson it is (from the notebook metadata
``{"lstm_course": {"notebook": "01_learn_gate"}}`` that release keeps), or why it cannot be
graded: not JSON, not a notebook, wrong nbformat, no/unknown lesson, a lesson without exercises,
or not the lesson the instructor asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Submission",
    "find_submissions",
    "load_submission",
    "submission_id",
    "student_assignment",
    "MissingPath",
]

NBGRADER_SUBMITTED = "submitted"


class MissingPath(FileNotFoundError):
    """A path given on the command line does not exist."""


@dataclass
class Submission:
    path: Path
    id: str  # the gradebook's "submission" column
    sha256: str = ""  # of the file's bytes ("" when unreadable)
    lesson: str = ""  # e.g. "01_learn_gate" ("" when unknown)
    nb: dict | None = None  # the parsed notebook (nbformat 4 JSON), when valid
    snapshot: Path | None = None  # a private copy of the exact bytes hashed (what is graded)
    problem: str = ""  # why it cannot be graded ("" when it can)
    exercises: list[str] = field(default_factory=list)  # exercise keys of its lesson

    @property
    def student(self) -> str:
        return student_assignment(self.id, self.lesson)[0]

    @property
    def assignment(self) -> str:
        return student_assignment(self.id, self.lesson)[1]

    @property
    def valid(self) -> bool:
        return not self.problem


class _Found(type(Path())):
    """A path found on the command line, carrying the id it gets in the gradebook."""

    sub_id: str = ""


def _nbgrader_id(path: Path) -> str | None:
    """`.../submitted/<student>/<assignment>/<notebook>.ipynb` -> `<student>/<assignment>/<nb>`."""
    parts = Path(os.path.abspath(path)).parts
    if len(parts) >= 5 and parts[-4] == NBGRADER_SUBMITTED:
        return "/".join(parts[-3:])
    return None


def submission_id(path: Path, root: Path | None = None) -> str:
    """The gradebook's id of a notebook: its path relative to the folder given (`root`).

    Never an absolute path and never relative to the current folder: the same class graded from
    anywhere gets the same ids. A file inside an nbgrader ``submitted/`` folder is always
    ``<student>/<assignment>/<notebook>.ipynb``. A file given by itself (no `root`) is named by
    its file name, with its folder in front when the file name is a lesson's
    (``alice/05_lstm_cell.ipynb``: the learner is the folder, not the lesson).
    """
    nbg = _nbgrader_id(path)
    if nbg:
        return nbg
    path = Path(os.path.abspath(path))
    if root is not None:
        try:
            rel = path.relative_to(Path(os.path.abspath(root)))
        except ValueError:
            rel = None
        if rel is not None and len(rel.parts) > 1:
            return rel.as_posix()
    stem = path.name[: -len(".ipynb")] if path.name.endswith(".ipynb") else path.stem
    if stem in _lesson_names() and path.parent.name:
        return f"{path.parent.name}/{path.name}"
    return path.name


def student_assignment(submission_id: str, lesson: str = "") -> tuple[str, str]:
    """(student, assignment) of a submission id; the lesson when the layout names none."""
    parts = [p for p in submission_id.split("/") if p]
    if not parts:
        return "", lesson
    if len(parts) == 1:
        name = parts[0]
        return (name[: -len(".ipynb")] if name.endswith(".ipynb") else Path(name).stem), lesson
    if len(parts) == 2:
        return parts[0], lesson
    return parts[-3], parts[-2]


def find_submissions(paths) -> list[Path]:
    """Files and folders -> the .ipynb files (sorted by id), each with its id (``.sub_id``).

    A file given explicitly is taken whatever its name ends with (so a broken upload is
    reported, not silently ignored); folders contribute their *.ipynb files, with ids relative
    to the folder. When two files get the same id (the same learner's notebook in two folders
    given), the one from the later argument is kept: a resubmission replaces the earlier one.
    """
    by_id: dict[str, _Found] = {}
    for raw in paths:
        p = Path(raw)
        found: list[tuple[Path, Path | None]] = []
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
                for name in sorted(files):
                    if name.endswith(".ipynb") and not name.startswith("."):
                        found.append((Path(root) / name, p))
        elif p.exists():
            found.append((p, None))
        else:
            raise MissingPath(f"no such file or folder: {raw}")
        for q, root in found:
            f = _Found(q)
            f.sub_id = submission_id(q, root)
            earlier = by_id.pop(f.sub_id, None)
            if earlier is not None and os.path.abspath(earlier) != os.path.abspath(f):
                print(
                    f"note: {earlier} and {q} are both {f.sub_id}; grading {q} (the later)",
                    file=sys.stderr,
                )
            by_id[f.sub_id] = f
    return [by_id[k] for k in sorted(by_id)]


def _lessons():
    from ..exercises import EXERCISES  # H2's registry

    lessons: dict[str, list[str]] = {}
    for key, ex in EXERCISES.items():
        lessons.setdefault(ex.notebook, []).append(key)
    return lessons


def _lesson_names() -> set[str]:
    try:
        return set(_lessons())
    except Exception:  # noqa: BLE001 - ids must not depend on the registry importing
        return set()


def known_lessons() -> list[str]:
    """Lessons that have graded exercises, plus every notebook name under solutions/ if present."""
    return sorted(_lessons())


MAX_SUBMISSION_BYTES = 50 * 1024 * 1024  # nbgrader's default limit is 100 MB; a notebook is KBs


def _read_bounded(path: Path) -> bytes:
    """The file's bytes; ValueError when it is larger than MAX_SUBMISSION_BYTES (never read
    past the limit: a huge or endless file costs the grader nothing)."""
    with open(path, "rb") as fh:
        raw = fh.read(MAX_SUBMISSION_BYTES + 1)
    if len(raw) > MAX_SUBMISSION_BYTES:
        raise ValueError(
            f"the file is larger than {MAX_SUBMISSION_BYTES // 2**20} MB, the most the grader "
            "reads (clear the outputs, Edit > Clear Outputs of All Cells, and save again)"
        )
    return raw


def load_submission(
    path: Path,
    expect_lesson: str | None = None,
    snapshot_dir: Path | None = None,
    expect_sha256: str | None = None,
) -> Submission:
    """Read and validate one notebook file (never executes it).

    The file is read ONCE: its bytes are hashed and parsed, and with `snapshot_dir` written to
    a private copy there (``sub.snapshot``), which is what the grader's workers read, so a
    file changed on disk after this point cannot change what is graded. `expect_sha256`: the
    bytes must be these (a worker reading a snapshot checks it)."""
    sub_id = getattr(path, "sub_id", "") or submission_id(path)
    path = Path(path)
    sub = Submission(path=path, id=sub_id)
    lessons = _lessons()
    # a best guess from the file name, so an unreadable file still gets rows per exercise
    stem = path.name[: -len(".ipynb")] if path.name.endswith(".ipynb") else path.stem
    if stem in lessons:
        sub.lesson, sub.exercises = stem, list(lessons[stem])
    try:
        raw = _read_bounded(path)
    except OSError as exc:
        sub.problem = f"cannot read the file: {exc.strerror or exc}"
        return sub
    except ValueError as exc:
        sub.problem = f"not graded: {exc}"
        return sub
    sub.sha256 = hashlib.sha256(raw).hexdigest()
    if expect_sha256 is not None and sub.sha256 != expect_sha256:
        sub.problem = "the file changed after the grader read it (its snapshot does not match)"
        return sub
    if snapshot_dir is not None:
        snap = Path(snapshot_dir, f"{sub.sha256}.ipynb")
        if not snap.exists():
            tmp = snap.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(raw)
            os.replace(tmp, snap)
        sub.snapshot = snap
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
