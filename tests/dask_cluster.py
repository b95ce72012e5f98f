"""A real Dask cluster on localhost for tests and benchmarks: `dask scheduler` and N
`dask worker` processes (one thread each), started as separate processes, as an instructor
would start them."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path


def _dask(*args) -> list[str]:
    exe = Path(sys.executable).with_name("dask")
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "dask", *args]


@contextlib.contextmanager
def local_cluster(folder: Path, workers: int = 2, threads: int = 1):
    """Yields the scheduler file's path once `workers` workers have joined."""
    from distributed import Client

    folder.mkdir(parents=True, exist_ok=True)
    sched = folder / "scheduler.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    common = ["--no-dashboard", "--host", "127.0.0.1"]
    procs = []

    def start(args, log):
        with open(folder / log, "w") as fh:
            procs.append(
                subprocess.Popen(
                    _dask(*args, *common),
                    stdout=subprocess.DEVNULL,
                    stderr=fh,
                    env=env,
                    start_new_session=True,
                )
            )

    try:
        start(["scheduler", "--scheduler-file", str(sched), "--port", "0"], "scheduler.log")
        deadline = time.monotonic() + 60
        while not sched.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        for i in range(workers):
            args = ["worker", "--scheduler-file", str(sched), "--nthreads", str(threads)]
            args += ["--local-directory", str(folder / f"worker{i}")]  # in the test's folder
            start(args, f"worker{i}.log")
        with Client(scheduler_file=str(sched), timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield sched
    finally:
        # SIGTERM (a worker closes its grading processes), then SIGKILL for whatever is still
        # shutting down after 3 s: nothing the tests read is left to write by then
        for p in procs[::-1]:
            p.terminate()
        deadline = time.monotonic() + 3
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)
                p.wait(timeout=20)
