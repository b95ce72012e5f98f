"""Grading many submissions: `--jobs` worker processes, each grading one submission at a time in
a fresh kernel; rows saved (gradebook, cache, feedback) as each submission finishes.

Every kernel runs in its own bubblewrap sandbox (sandbox.py) importing the answer-free build,
made once per run; `sandbox=False` (the CLI's --unsafe-no-sandbox) is the only way without.
grade_paths raises SandboxUnavailable before grading anything when no sandbox can be had.

A worker that stops answering (longer than the notebook limit plus a margin) or dies is killed
with its kernels; its submission gets `crashed` rows and a new worker takes its place. Ctrl-C
stops the workers and keeps every finished submission's rows (the gradebook is rewritten
atomically after each one).
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .feedback import write_feedback
from .gradebook import Gradebook
from .notebook import Limits, invalid_rows
from .submissions import find_submissions, load_submission

__all__ = ["GradeRun", "grade_paths"]

WATCHDOG_MARGIN = 60.0


@dataclass
class GradeRun:
    rows: list[dict] = field(default_factory=list)
    n_submissions: int = 0
    graded: list[str] = field(default_factory=list)  # ids executed in this run
    from_cache: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0


class _Worker:
    def __init__(self, settings: dict):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lstm_course.grading.worker", json.dumps(settings)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        self.kernels: list[int] = []
        self.task = None
        self.started = 0.0
        self.buffer = ""

    def send(self, task):
        self.task, self.started = task, time.monotonic()
        self.proc.stdin.write(json.dumps(task) + "\n")
        self.proc.stdin.flush()

    def kill(self):
        for pid in [self.proc.pid, *self.kernels]:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, OSError):
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


def grade_paths(
    paths,
    out,
    *,
    jobs: int = 2,
    limits: Limits | None = None,
    lesson=None,
    use_cache: bool = True,
    feedback_dir=None,
    progress: bool = True,
    warm: bool = True,
    fork: bool = True,
    sandbox: bool = True,
    sandbox_limits=None,
    scheduler: str | None = None,
) -> GradeRun:
    """Grade every notebook under `paths` into the CSV `out`. Raises KeyboardInterrupt after
    saving what was finished when interrupted (run.interrupted is set first), and
    SandboxUnavailable (before anything is graded) when `sandbox` and no sandbox can be had.

    `scheduler`: grade on the Dask cluster at this address (tcp://HOST:PORT or a scheduler
    file) instead of `jobs` local worker processes (cluster.py)."""
    from dataclasses import asdict

    from .sandbox import SandboxLimits, SandboxUnavailable, sandbox_problem

    client = None
    if scheduler:
        from .cluster import connect

        client = connect(scheduler)  # the sandbox is checked on the workers, not here
    elif sandbox:
        problem = sandbox_problem()
        if problem:
            raise SandboxUnavailable(problem)
    limits = limits or Limits()
    started = time.monotonic()
    run = GradeRun()
    files = find_submissions(paths)
    # the kernels' working folders and the submissions' snapshots live under one folder,
    # removed at the end even when workers (and their kernels) had to be killed
    tmp_root = tempfile.mkdtemp(prefix="lstm-course-grading-")
    try:
        snapshots = os.path.join(tmp_root, "snapshots")
        os.mkdir(snapshots, 0o700)
        subs = [load_submission(p, lesson, snapshot_dir=snapshots) for p in files]
        run.n_submissions = len(subs)
        settings = (
            f"cell={limits.cell_timeout:g};nb={limits.notebook_timeout:g};lesson={lesson or ''}"
        )
        book = Gradebook(out, use_cache=use_cache, settings=settings)
        feedback_dir = Path(feedback_dir) if feedback_dir else _default_feedback_dir(Path(out))
        by_id = {s.id: s for s in subs}

        todo = []
        for sub in subs:
            if not sub.valid:
                rows = invalid_rows(sub)
                run.invalid.append(sub.id)
            else:
                rows = book.cached(sub)
                if rows is None:
                    todo.append(sub)
                    continue
                run.from_cache.append(sub.id)
            book.set(sub.id, rows)
            write_feedback(feedback_dir, sub.id, rows)
        book.flush()

        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(
                total=len(subs),
                initial=len(subs) - len(todo),
                unit="notebook",
                desc="grading",
                file=sys.stderr,
                dynamic_ncols=True,
            )
        worker_settings = {
            "cell_timeout": limits.cell_timeout,
            "notebook_timeout": limits.notebook_timeout,
            "warm": warm,
            "fork": fork,
            "tmp_root": tmp_root,
            "sandbox": bool(sandbox),
        }
        queue = list(todo)
        done = 0
        last_flush = 0.0

        def finish(sub_id, rows):
            nonlocal done, last_flush
            sub = by_id[sub_id]
            book.set(sub_id, rows)
            book.store(sub, rows)
            write_feedback(feedback_dir, sub_id, rows)
            run.graded.append(sub_id)
            done += 1
            now = time.monotonic()
            if now - last_flush > 0.5 or not queue:
                book.flush()
                last_flush = now
            if bar is not None:
                bar.update(1)

        def wrap_up():
            """Save the gradebook and close the bar: at the end, and when interrupted."""
            book.flush()
            if bar is not None:
                bar.close()
            run.rows = book.all_rows()
            run.seconds = time.monotonic() - started

        if sandbox and todo:
            worker_settings["sandbox_limits"] = asdict(sandbox_limits or SandboxLimits())
        if client is not None:
            from .cluster import grade_on_dask

            worker_settings.pop("tmp_root")
            try:
                if todo:
                    grade_on_dask(client, todo, worker_settings, finish, _crashed_rows, lesson)
            except KeyboardInterrupt:
                run.interrupted = True
                raise
            finally:
                client.close()
                wrap_up()
            return run
        if sandbox and todo:
            from .sandbox import Sandbox

            package_root = os.path.join(tmp_root, "answer-free")
            builder = Sandbox(package_root=package_root)
            for name in sorted({s.lesson for s in todo if s.lesson}) + [None]:
                builder.package_for(name)  # made once here, not by each worker
            worker_settings["package_root"] = package_root
        workers: list[_Worker] = []
        sel = selectors.DefaultSelector()
        if sandbox and todo:  # one answer-free build after another: each worker's warm kernel fits
            queue.sort(key=lambda sub: builder.build_key(sub.lesson))

        def start_worker():
            w = _Worker(worker_settings)
            workers.append(w)
            sel.register(w.proc.stdout, selectors.EVENT_READ, w)
            return w

        def feed(w):
            if queue:
                sub = queue.pop(0)
                w.send(
                    {
                        "id": sub.id,
                        "path": str(sub.snapshot),
                        "sha256": sub.sha256,
                        "lesson": lesson,
                    }
                )
            else:
                w.task = None

        def retire(w, reason):
            _collect_pids(w)
            sel.unregister(w.proc.stdout)
            workers.remove(w)
            w.kill()
            task = w.task
            if task is not None:
                finish(task["id"], _crashed_rows(by_id[task["id"]], reason))

        try:
            for _ in range(min(jobs, len(queue))):  # none when everything came from the cache
                feed(start_worker())
            while any(w.task is not None for w in workers):
                for key, _ in sel.select(timeout=1.0):
                    w = key.data
                    line = w.proc.stdout.readline()
                    if not line:
                        retire(w, "the grading worker for this submission died")
                        if queue:
                            feed(start_worker())
                        continue
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        continue
                    if "kernel" in msg:
                        if msg["kernel"]:
                            w.kernels.append(int(msg["kernel"]))
                        continue
                    if "rows" in msg and w.task and msg.get("id") == w.task["id"]:
                        w.task = None
                        finish(msg["id"], msg["rows"])
                        feed(w)
                limit = limits.notebook_timeout + WATCHDOG_MARGIN
                for w in list(workers):
                    if w.task is not None and time.monotonic() - w.started > limit:
                        retire(
                            w,
                            f"grading this submission took longer than {limit:g} s and was stopped",
                        )
                        if queue:
                            feed(start_worker())
        except KeyboardInterrupt:
            run.interrupted = True
            for w in workers:
                _collect_pids(w)
                w.kill()
            workers.clear()
            wrap_up()
            raise
        finally:
            for w in workers:
                w.close()
            sel.close()
        wrap_up()
        return run

    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)


def _crashed_rows(sub, reason: str) -> list[dict]:
    """The rows of a submission whose grading worker died or was stopped."""
    sub.problem = reason
    return [
        {**r, "status": "crashed", "message": reason, "detail": reason} for r in invalid_rows(sub)
    ]


def _die_with_parent():
    """In the worker before exec: SIGKILL when the grader dies, however it dies (its kernels'
    sandboxes follow it: bwrap --die-with-parent)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001
        pass


def _collect_pids(w: _Worker):
    """Read the kernel pids a worker reported but the loop has not read yet (before a kill)."""
    import select

    fd = w.proc.stdout
    try:
        while select.select([fd], [], [], 0)[0]:
            line = fd.readline()
            if not line:
                break
            if '"kernel"' in line:
                pid = json.loads(line).get("kernel")
                if pid:
                    w.kernels.append(int(pid))
    except (OSError, ValueError):
        pass


def _default_feedback_dir(out: Path) -> Path:
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(stem + "-feedback")
