"""The gradebook CSV (written atomically, again after every finished submission) and the cache.

Columns: submission,notebook,exercise,points,max_points,status,message (the contract), then
student,assignment (from the submission id, see ``submissions.student_assignment``) and
cell_problems (the learner's cells that timed out, crashed the kernel, hit a sandbox limit or
never ran, "; "-separated, the same on each of the submission's rows; "" when none).

Grading into an existing gradebook keeps its rows: the rows of each submission graded now replace
that submission's earlier rows (same id), every other row stays. A file that is not a gradebook
is never overwritten (``NotAGradebook``).

The cache lives next to the gradebook (``gradebook.csv`` -> ``gradebook.gradebook-cache/``):
one JSON file per graded submission, named by the SHA-256 of the notebook's bytes, the grader's
version (a hash of the grading code, the checks and the exercises) and the time limits. A re-run
takes a submission's rows from there when its content has not changed, and grades only what is
missing or changed. Each entry carries an HMAC made with a key kept in the cache folder
(mode 0600), so an entry not written by the grader is ignored, not trusted.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import secrets
import tempfile
from pathlib import Path

from .notebook import COLUMNS

__all__ = [
    "Gradebook",
    "GRADEBOOK_COLUMNS",
    "NotAGradebook",
    "read_gradebook",
    "grader_version",
    "atomic_write_text",
]

LAYOUT_COLUMNS = ("student", "assignment")  # from the submission's id
# cells that timed out, crashed, hit a limit or never ran ("; "-separated; "" when none)
EXTRA_COLUMNS = (*LAYOUT_COLUMNS, "cell_problems")
GRADEBOOK_COLUMNS = (*COLUMNS, *EXTRA_COLUMNS)


class NotAGradebook(ValueError):
    """A file that should be a gradebook CSV and is not (or cannot be read)."""


def with_layout(row: dict) -> dict:
    """The row with `student` and `assignment` filled in from its submission id (when empty)."""
    if row.get("student") and row.get("assignment"):
        return row
    from .submissions import student_assignment

    student, assignment = student_assignment(row.get("submission", ""), row.get("notebook", ""))
    return {
        **row,
        "student": row.get("student") or student,
        "assignment": row.get("assignment") or assignment,
    }


def read_gradebook(path) -> list[dict]:
    """The rows of a gradebook CSV (every column as text; student/assignment filled in when an
    older gradebook lacks them). Raises NotAGradebook with a one-line reason."""
    path = Path(path)
    if path.is_dir():
        raise NotAGradebook(f"{path} is a folder, not a gradebook CSV")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotAGradebook(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise NotAGradebook(f"{path} is not a gradebook: not UTF-8 text") from None
    except OSError as exc:
        raise NotAGradebook(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise NotAGradebook(
                f"{path} is not a gradebook: no column(s) {', '.join(missing)} "
                f"(a gradebook has {','.join(COLUMNS)})"
            )
        rows = []
        for i, r in enumerate(reader, start=2):
            if None in r or any(r.get(c) is None for c in COLUMNS):
                raise NotAGradebook(
                    f"{path} is not a gradebook: line {i} has the wrong number of fields"
                )
            for c in ("points", "max_points"):
                try:
                    float(r[c])
                except ValueError:
                    raise NotAGradebook(
                        f"{path} is not a gradebook: line {i}: {c} is {r[c]!r}, not a number"
                    ) from None
            rows.append(with_layout(r))
    except csv.Error as exc:
        raise NotAGradebook(f"{path} is not a gradebook: {exc}") from None
    return rows


def atomic_write_text(path: Path, text: str):
    """Write via a temporary file in the same folder and os.replace: never half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


_VERSION: str | None = None
VERSION_ENV = "LSTM_COURSE_GRADER_VERSION"  # pins the version (tests; a known no-op upgrade)


def grader_version() -> str:
    """A hash of everything that decides a grade: the grading code, the checks, the exercises."""
    global _VERSION
    if os.environ.get(VERSION_ENV):
        return os.environ[VERSION_ENV]
    if _VERSION is None:
        import lstm_course

        root = Path(lstm_course.__file__).parent
        h = hashlib.sha256(lstm_course.__version__.encode())
        for sub in ("grading", "checks", "exercises"):
            for f in sorted((root / sub).glob("*.py")):
                h.update(f.name.encode())
                h.update(f.read_bytes())
        for f in (
            "gates.py",
            "cell.py",
            "sequence.py",
            "params.py",
            "activations.py",
            "pytorch_layout.py",
        ):
            if (root / f).exists():
                h.update((root / f).read_bytes())
        _VERSION = h.hexdigest()[:16]
    return _VERSION


def cache_dir_for(path: Path) -> Path:
    path = Path(path)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return path.with_name(stem + ".gradebook-cache")


class Gradebook:
    """Rows by submission, kept in memory and flushed to CSV atomically."""

    def __init__(self, path, use_cache: bool = True, settings: str = "", keep: bool = True):
        """`keep`: start from the rows already in the CSV at `path` (if it exists)."""
        self.path = Path(path)
        self.cache_dir = cache_dir_for(self.path)
        self.use_cache = use_cache
        self.settings = settings
        self.rows: dict[str, list[dict]] = {}
        self._key: bytes | None = None
        if keep and self.path.exists():
            for r in read_gradebook(self.path):
                self.rows.setdefault(r["submission"], []).append(r)

    # -- rows ---------------------------------------------------------------------------------
    def set(self, submission_id: str, rows: list[dict]):
        """This submission's rows (replacing its earlier ones, if any)."""
        self.rows[submission_id] = [with_layout(r) for r in rows]

    def all_rows(self) -> list[dict]:
        return [r for sid in sorted(self.rows) for r in self.rows[sid]]

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.DictWriter(
            buf, fieldnames=GRADEBOOK_COLUMNS, extrasaction="ignore", lineterminator="\n"
        )
        w.writeheader()
        for r in self.all_rows():
            w.writerow({**r, "points": _num(r["points"]), "max_points": _num(r["max_points"])})
        return buf.getvalue()

    def flush(self):
        atomic_write_text(self.path, self.to_csv())

    # -- cache --------------------------------------------------------------------------------
    def _secret(self) -> bytes:
        if self._key is None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            keyfile = self.cache_dir / ".key"
            if not keyfile.exists():
                fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_hex(32))
            self._key = keyfile.read_text().strip().encode()
        return self._key

    def cache_key(self, sub) -> str:
        text = f"{grader_version()}|{self.settings}|{sub.sha256}"
        return hashlib.sha256(text.encode()).hexdigest()

    def _mac(self, key: str, rows: list[dict]) -> str:
        body = json.dumps([key, rows], sort_keys=True)
        return hmac.new(self._secret(), body.encode(), hashlib.sha256).hexdigest()

    def cached(self, sub) -> list[dict] | None:
        """The rows graded earlier for this exact content (with today's submission id), or None."""
        if not self.use_cache or not sub.sha256:
            return None
        key = self.cache_key(sub)
        f = self.cache_dir / f"{key}.json"
        try:
            entry = json.loads(f.read_text(encoding="utf-8"))
            rows = entry["rows"]
            if not hmac.compare_digest(str(entry.get("mac", "")), self._mac(key, rows)):
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return [
            {**{k: v for k, v in r.items() if k not in LAYOUT_COLUMNS}, "submission": sub.id}
            for r in rows
        ]

    def store(self, sub, rows: list[dict]):
        if not sub.sha256:
            return
        key = self.cache_key(sub)
        drop = ("submission", *LAYOUT_COLUMNS)  # a shared entry serves any learner's same bytes
        plain = [{k: v for k, v in r.items() if k not in drop} for r in rows]
        entry = {"key": key, "rows": plain, "mac": self._mac(key, plain)}
        atomic_write_text(self.cache_dir / f"{key}.json", json.dumps(entry, indent=1))


def _num(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"
