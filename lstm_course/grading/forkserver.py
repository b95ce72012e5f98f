"""A kernel "fork server": one process that has imported the heavy modules once (IPython,
ipykernel, NumPy, matplotlib, ipywidgets, lstm_course) and forks a FRESH kernel per request.

Kernel start-up dominates batch grading (about 1.5 CPU-seconds per kernel, mostly imports);
a forked kernel starts with those modules already in memory (copy-on-write) but no learner code
has ever run in it: the template process itself never executes a notebook, it only imports.

Protocol (JSON lines): stdin {"connection_file": .., "cwd": .., "env": {..}, "argv": [..]}
-> stdout {"pid": N} (or {"error": ".."}). The children are in their own session (so Ctrl-C in
the terminal does not reach them and the whole group can be killed) and are reaped
automatically (SIGCHLD ignored), so ``os.kill(pid, 0)`` tells whether one is alive.
Linux/macOS only; elsewhere the grader launches kernels the ordinary way.
"""

from __future__ import annotations

import json
import os
import signal
import sys

PRELOAD = (
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "numpy",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.patches",
    "matplotlib_inline.backend_inline",
    "ipywidgets",
    "lstm_course",
    "lstm_course.checks",
    "lstm_course.exercises",
    "lstm_course.hints",
    "lstm_course.diagram",
    "lstm_course.gate_views",
    "lstm_course.plotting",
    "lstm_course.widgets.gates",
    "lstm_course.carousel",
    "lstm_course.widgets.carousel",
)


def _preload():
    import importlib

    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing optional module only costs speed
            pass


def _child(req):
    """In the forked child: become a kernel. Never returns."""
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req.get("env") or {})
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.argv = ["ipykernel_launcher"]
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        # exit when the fork server goes (it goes when its worker goes): no orphaned kernels
        app.initialize(
            [
                "-f",
                req["connection_file"],
                *req.get("argv", []),
                f"--IPKernelApp.parent_handle={os.getppid()}",
            ]
        )
        app.start()
    except BaseException:  # noqa: BLE001
        pass
    os._exit(0)


def main():
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reaped automatically
    proto.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            sys.stdout.flush()
            pid = os.fork()
        except Exception as exc:  # noqa: BLE001
            proto.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
            continue
        if pid == 0:
            proto.close()
            sys.stdin.close()
            _child(req)
        proto.write(json.dumps({"pid": pid}) + "\n")


if __name__ == "__main__":
    main()
