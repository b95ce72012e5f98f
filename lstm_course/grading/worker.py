"""A grading worker: `python -m lstm_course.grading.worker SETTINGS_JSON`.

Reads one task per line on stdin ({"id": .., "path": .., "lesson": ..}), grades it in a fresh
kernel (from its own warm pool of one), and answers on stdout with JSON lines:
{"kernel": pid} whenever it starts a kernel (so the parent can clean up after a hard kill) and
{"id": .., "rows": [...]} when a submission is done. Ctrl-C is the parent's business: the
worker ignores SIGINT and shuts its kernels down on SIGTERM or at end of input.
"""

from __future__ import annotations

import json
import os
import signal
import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    settings = json.loads(argv[0]) if argv else {}
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # stray prints go to stderr, never into the protocol
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def on_term(signum, frame):
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, on_term)

    from .kernel_runner import KernelPool
    from .notebook import Limits, grade_notebook, invalid_rows
    from .submissions import load_submission

    limits = Limits(settings.get("cell_timeout", 30.0), settings.get("notebook_timeout", 300.0))

    def send(obj):
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    class ReportingPool(KernelPool):
        def _new(self):
            kernel = super()._new()
            send({"kernel": kernel.pid})
            return kernel

    sandbox = None
    if settings.get("sandbox"):
        from .sandbox import Sandbox, SandboxLimits

        sandbox = Sandbox(
            package_root=settings.get("package_root"),
            limits=SandboxLimits(**(settings.get("sandbox_limits") or {})),
        )
    pool = ReportingPool(
        size=1 if settings.get("warm", True) else 0,
        fork=settings.get("fork", True),
        tmp_root=settings.get("tmp_root"),
        sandbox=sandbox,
    )
    if pool.forkserver is not None:
        send({"kernel": pool.forkserver.pid})
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            task = json.loads(line)
            sub = load_submission(
                task["path"], task.get("lesson") or None, expect_sha256=task.get("sha256")
            )
            sub.id = task["id"]
            if not sub.valid:
                send({"id": task["id"], "rows": invalid_rows(sub)})
                continue
            kernel = pool.take(sub.lesson)
            try:
                rows = grade_notebook(sub, kernel, limits)
            except Exception as exc:  # noqa: BLE001 - a grader bug must not lose the run
                from ..exercises import EXERCISES

                rows = [
                    {
                        "submission": sub.id,
                        "notebook": sub.lesson,
                        "exercise": n,
                        "points": 0,
                        "max_points": EXERCISES[n].max_score,
                        "status": "crashed",
                        "message": f"internal grader error: {type(exc).__name__}: {exc}",
                        "detail": f"internal grader error: {type(exc).__name__}: {exc}",
                    }
                    for n in sub.exercises
                ]
            finally:
                kernel.shutdown()
            send({"id": task["id"], "rows": rows, "sha256": sub.sha256})
    finally:
        pool.close()
        if sandbox is not None:
            sandbox.close()


if __name__ == "__main__":
    main()
