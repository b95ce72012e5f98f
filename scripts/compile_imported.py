"""Byte-compile what the course and its test suite import, and check that it imports.

setup.sh runs this once after `pip install --no-compile`. Compiling every installed file
(`compileall`: ~10,400 files, most of them never imported here: sympy, pip, networkx, most of
torch) took 55 CPU-seconds; importing what the course, its kernels, the grader, JupyterLab and
the tests use compiles the ~3,000 files they load, and the packages every kernel loads from
(WHOLE) are compiled whole, in about half of that. The bytecode is
written even where PYTHONDONTWRITEBYTECODE=1 is set (as on the CI machine, where nothing would
otherwise be cached and every process would compile its imports again). A module imported later
that is not here is compiled in memory by the process that imports it, as Python always does.

Two processes share the work (torch and the course's torch modules in one, everything else in
the other): importing is one core's work, and the two halves take about as long (about 20 s each
here, against 42 s in one process).

Exit status 1 when a module the course needs does not import (the install failed).
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

sys.dont_write_bytecode = False  # write __pycache__ even under PYTHONDONTWRITEBYTECODE=1

REQUIRED = ("lstm_course", "numpy", "nbval", "ipywidgets", "jupyterlab")  # and torch
MODULES = (
    # kernels: what the notebooks and the grader's kernels import
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.comm",
    "debugpy",
    "matplotlib.pyplot",
    "matplotlib.backends.backend_agg",
    "matplotlib_inline.backend_inline",
    "PIL.Image",
    "tqdm.auto",
    # executors and the grader
    "jupyter_client.manager",
    "nbclient",
    "nbformat",
    "nbconvert",
    "zmq.asyncio",
    "tornado",
    "distributed",
    "dask.distributed",
    # JupyterLab and its browser tests
    "jupyterlab.labapp",
    "jupyter_server.serverapp",
    "jupyterlab_server",
    "notebook_shim",
    "jupyter_lsp",
    "playwright.sync_api",
    # the test runner and its plugins
    "pytest",
    "xdist.plugin",
    "execnet",
    "nbval.plugin",
    "hypothesis",
)


# Packages compiled whole (compileall, on every core): every kernel loads parts of them that a
# plain import does not (debugpy's vendored pydevd: 109 modules at each kernel start, IPython's
# completer, PIL's plugins), and a notebook kernel never writes bytecode.
WHOLE = (
    "debugpy",
    "IPython",
    "ipykernel",
    "PIL",
    "tornado",
    "zmq",
    "numpy",
    "matplotlib",
    "matplotlib_inline",
    "jupyter_client",
    "traitlets",
    "comm",
    "ipywidgets",
)


def compile_whole() -> None:
    import compileall
    import importlib.util
    import os

    for name in WHOLE:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=2, workers=os.cpu_count() or 1)


def run_torch() -> None:
    """One training step of an LSTM and a GRU: torch's first backward imports ~800 more
    modules (sympy among them) that `import torch` does not."""
    try:
        import torch
    except ImportError:
        return
    for layer in (torch.nn.LSTM(3, 4, batch_first=True), torch.nn.GRU(3, 4, batch_first=True)):
        opt = torch.optim.Adam(layer.parameters(), lr=1e-3)
        out, _ = layer(torch.zeros(2, 5, 3))
        out.sum().backward()
        torch.nn.utils.clip_grad_norm_(layer.parameters(), 1.0)
        opt.step()


def failures(names) -> dict[str, str]:
    """Import each module: {name: 'name: error'} for each one that does not import."""
    out = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            out[name] = f"{name}: {type(exc).__name__}: {exc}"
    return out


def part_torch() -> tuple[list[str], list[str]]:
    """torch, one training step, then every module of the course (lstm_course.torch too).
    Returns (failed, skipped)."""
    failed = list(failures(["torch"]).values())
    if not failed:
        run_torch()
        import lstm_course

        failed += failures(
            info.name
            for info in pkgutil.walk_packages(lstm_course.__path__, "lstm_course.")
            if info.name.rsplit(".", 1)[-1] != "__main__"  # that one would run the CLI
        ).values()
    return failed, []


def part_rest() -> tuple[list[str], list[str]]:
    """What the kernels, executors, JupyterLab and the tests import, then WHOLE.
    Returns (failed, skipped: extras that are not installed)."""
    failed = list(failures(REQUIRED).values())
    skipped = list(failures(MODULES))
    compile_whole()
    return failed, skipped


PARTS = {"torch": part_torch, "rest": part_rest}


def main(argv: list[str]) -> int:
    if not argv:  # both parts at once, each in its own process
        procs = [subprocess.Popen([sys.executable, __file__, part]) for part in PARTS]
        return max(p.wait() for p in procs)
    failed, skipped = PARTS[argv[0]]()
    if skipped:
        print("setup: not compiled (not installed):", ", ".join(skipped))
    for line in failed:
        print(f"setup: cannot import {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
