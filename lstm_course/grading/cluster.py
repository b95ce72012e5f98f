"""Grading on a Dask cluster (``lstm-course grade ... --scheduler tcp://HOST:PORT``).

The grading itself does not change: each Dask worker thread keeps ONE grading worker process
(``grading/worker.py``, the one `--jobs` starts locally) with its sandboxed, answer-free
kernels, and feeds it the submissions the scheduler gives it. What travels is data only:

    client --(id, lesson, the snapshot's bytes, their SHA-256)--> Dask worker
    client <--(the submission's gradebook rows)-------------------- Dask worker

so the rows stream back into the same gradebook, cache and feedback as a local run's, and a
re-run resumes from the cache. The answer-free build is made on each worker machine (under
its own temporary folder) the first time a lesson is graded there.

Dask is optional (``pip install lstm_course[cluster]``); the default, local grading needs no
server. On a cluster scheduler (Slurm, PBS, Kubernetes) start the scheduler and workers with
dask-jobqueue or dask-kubernetes and pass the scheduler's address: see docs/instructors.md.
Every worker must be able to make a sandbox (``bwrap``); the grader asks each one first.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import tempfile
import threading
import time

__all__ = ["grade_on_dask", "grade_one", "DaskUnavailable"]

IN_FLIGHT_PER_THREAD = 2  # submissions sent ahead per worker thread (bytes held in memory)


class DaskUnavailable(RuntimeError):
    """`--scheduler` was given and Dask or the scheduler cannot be had."""


# ------------------------------------------------------------------ on the Dask worker's side

_local = threading.local()


def _worker_directory() -> str | None:
    """The Dask worker's local directory (its scratch space), or None outside a worker."""
    try:
        from distributed import get_worker

        return get_worker().local_directory
    except (ImportError, ValueError):
        return None


class _Runner:
    """One grading worker process for one Dask worker thread, with its own snapshots and
    answer-free builds under a private temporary folder (removed when the process exits; made
    in the Dask worker's own local directory, which Dask cleans up even after a hard stop)."""

    def __init__(self, settings: dict):
        from .engine import _Worker

        self.settings = dict(settings)
        self.root = tempfile.mkdtemp(prefix="lstm-course-dask-", dir=_worker_directory())
        atexit.register(self.close)
        self.snapshots = os.path.join(self.root, "snapshots")
        os.mkdir(self.snapshots, 0o700)
        self.settings["tmp_root"] = self.root
        self.built: set = set()
        self.builder = None
        if self.settings.get("sandbox"):
            from .sandbox import Sandbox

            self.settings["package_root"] = os.path.join(self.root, "answer-free")
            self.builder = Sandbox(package_root=self.settings["package_root"])
        self._new_worker = lambda: _Worker(self.settings)
        self.worker = None

    def close(self):
        if self.worker is not None:
            self.worker.kill()
            self.worker = None
        shutil.rmtree(self.root, ignore_errors=True)

    def grade(self, task: dict, data: bytes) -> list[dict]:
        from .notebook import invalid_rows
        from .submissions import load_submission

        snap = os.path.join(self.snapshots, f"{task['sha256']}.ipynb")
        with open(snap, "wb") as fh:
            fh.write(data)
        sub = load_submission(snap, task.get("lesson") or None, expect_sha256=task["sha256"])
        sub.id = task["id"]
        if not sub.valid:
            return invalid_rows(sub)
        if self.builder is not None and sub.lesson not in self.built:
            self.builder.package_for(sub.lesson)
            self.built.add(sub.lesson)
        if self.worker is None or self.worker.proc.poll() is not None:
            self.worker = self._new_worker()
        w = self.worker
        w.send({**task, "path": snap})
        limit = self.settings["notebook_timeout"] + self.settings.get("watchdog_margin", 60.0)
        deadline = time.monotonic() + limit
        reason = None
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    reason = f"grading this submission took longer than {limit:g} s and was stopped"
                    break
                if not select.select([w.proc.stdout], [], [], min(left, 1.0))[0]:
                    continue
                line = w.proc.stdout.readline()
                if not line:
                    reason = "the grading worker for this submission died"
                    break
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if msg.get("kernel"):
                    w.kernels.append(int(msg["kernel"]))
                elif msg.get("id") == task["id"] and "rows" in msg:
                    return msg["rows"]
        finally:
            os.unlink(snap)
        w.kill()
        self.worker = None
        return [
            {**r, "status": "crashed", "message": reason, "detail": reason}
            for r in invalid_rows(sub)
        ]


_graded = []  # ids graded in this Dask worker process (graded_here(): which worker did what)


def graded_here() -> list[str]:
    """The submission ids this Dask worker process has graded (for `client.run`)."""
    return list(_graded)


def grade_one(task: dict, data: bytes, settings: dict) -> list[dict]:
    """The Dask task: one submission's rows, graded by this thread's grading worker."""
    _graded.append(task["id"])
    key = json.dumps(settings, sort_keys=True)
    runner = getattr(_local, "runners", {}).get(key)
    if runner is None:
        _local.runners = {key: _Runner(settings)}
        runner = _local.runners[key]
    return runner.grade(task, data)


def _sandbox_problem() -> str:
    from .sandbox import sandbox_problem

    return sandbox_problem() or ""


# ---------------------------------------------------------------------- on the client's side


def connect(address: str):
    """A Dask client for the scheduler at `address` (tcp://HOST:PORT or a scheduler file)."""
    try:
        from distributed import Client
    except ImportError:
        raise DaskUnavailable(
            "--scheduler needs Dask's distributed package: pip install 'lstm_course[cluster]'"
        ) from None
    try:
        if os.path.isfile(address):
            return Client(scheduler_file=address, timeout="10s")
        return Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise DaskUnavailable(f"cannot reach the Dask scheduler at {address}: {exc}") from None


def grade_on_dask(client, queue, settings: dict, finish, crashed_rows, lesson=None):
    """Grade the submissions in `queue` (loaded, snapshotted Submission objects) on the
    cluster behind `client`; `finish(sub_id, rows)` is called as each one comes back, in
    completion order. `crashed_rows(sub, reason)`: the rows of a submission whose task was
    lost (its worker died more than Dask's allowed-failures times)."""
    from distributed import as_completed

    from .sandbox import SandboxUnavailable

    if not client.scheduler_info().get("workers"):
        client.wait_for_workers(1, timeout=60)
    if settings.get("sandbox"):
        problems = {w: p for w, p in client.run(_sandbox_problem).items() if p}
        if problems:
            worker, problem = next(iter(problems.items()))
            raise SandboxUnavailable(f"Dask worker {worker}: {problem}")
    threads = sum(client.nthreads().values()) or 1
    pending = list(queue)
    by_future = {}

    def submit():
        sub = pending.pop(0)
        with open(sub.snapshot, "rb") as fh:
            data = fh.read()
        task = {"id": sub.id, "sha256": sub.sha256, "lesson": lesson}
        fut = client.submit(grade_one, task, data, settings, pure=False)
        by_future[fut] = sub
        return fut

    first = [submit() for _ in range(min(len(pending), threads * IN_FLIGHT_PER_THREAD))]
    done = as_completed(first)
    try:
        for fut in done:
            sub = by_future.pop(fut)
            try:
                rows = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost task is reported, not raised
                rows = crashed_rows(sub, f"the Dask task grading this submission failed: {exc}")
            finish(sub.id, rows)
            if pending:
                done.add(submit())
    except BaseException:
        client.cancel(list(by_future))
        raise
