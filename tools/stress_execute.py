"""Run notebooks many times under each executor and report any run that hangs.

    python tools/stress_execute.py                          # every solution, 20x per executor
    python tools/stress_execute.py solutions/08_*.ipynb -n 5 --executors nbclient
    python tools/stress_execute.py --limit 300 --out stress.csv

Executors (each run in a fresh subprocess, with a wall-clock limit):

* ``nbclient``  - ``NotebookClient(nb, kernel_name="python3").execute()``, as an
  instructor's own script or ``lstm-course execute`` would;
* ``jupyter``   - ``jupyter execute NOTEBOOK`` (nbclient behind the command line);
* ``nbval``     - ``pytest --nbval-lax NOTEBOOK`` with the suite's options.

A run that passes its limit is killed with its process group and reported as a HANG, with the
notebook, the executor and the last cell that started (from the kernel's message log when
available). Each row of --out is: executor, notebook, run, status (ok/failed/hang), seconds.
The process prints a summary per executor and notebook and exits 1 when anything hung.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXECUTORS = ("nbclient", "jupyter", "nbval")

NBCLIENT = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, kernel_name="python3", timeout=600,
               resources={"metadata": {"path": sys.argv[2]}}).execute()
"""


def command(executor: str, notebook: Path) -> list[str]:
    py = sys.executable
    if executor == "nbclient":
        return [py, "-c", NBCLIENT, str(notebook), str(notebook.parent)]
    if executor == "jupyter":
        return [py, "-m", "jupyter", "execute", "--kernel_name=python3", str(notebook)]
    if executor == "nbval":
        return [
            py,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "--nbval-current-env",
            "--nbval-cell-timeout=300",
            str(notebook),
        ]
    raise ValueError(executor)


def run_once(executor: str, notebook: Path, limit: float) -> tuple[str, float, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    t0 = time.monotonic()
    proc = subprocess.Popen(
        command(executor, notebook),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the kernels too: one process group to kill on a hang
    )
    try:
        out, _ = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return "hang", time.monotonic() - t0, (out or "")[-2000:]
    status = "ok" if proc.returncode == 0 else "failed"
    return status, time.monotonic() - t0, (out or "")[-2000:] if status != "ok" else ""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("notebooks", nargs="*", help="default: every solutions/*.ipynb")
    p.add_argument("-n", "--runs", type=int, default=20, help="runs per executor and notebook")
    p.add_argument("--executors", default=",".join(EXECUTORS))
    p.add_argument("--limit", type=float, default=300.0, help="seconds before a run is a hang")
    p.add_argument("--out", default=None, help="CSV of every run")
    args = p.parse_args(argv)
    notebooks = [Path(n) for n in args.notebooks] or sorted((ROOT / "solutions").glob("*.ipynb"))
    executors = [e.strip() for e in args.executors.split(",") if e.strip()]
    rows, hangs = [], 0
    print(f"{len(notebooks)} notebooks x {len(executors)} executors x {args.runs} runs", flush=True)
    for executor in executors:
        for nb in notebooks:
            times = []
            for k in range(args.runs):
                status, seconds, tail = run_once(executor, nb.resolve(), args.limit)
                rows.append((executor, nb.name, k, status, round(seconds, 1)))
                times.append(seconds)
                if status != "ok":
                    hangs += status == "hang"
                    print(f"  {status.upper()}: {executor} {nb.name} run {k}\n{tail}", flush=True)
            print(
                f"{executor:8s} {nb.name:40s} {args.runs} runs, "
                f"{sum(r[3] == 'ok' for r in rows if r[:2] == (executor, nb.name))} ok, "
                f"{min(times):6.1f}-{max(times):6.1f} s",
                flush=True,
            )
    if args.out:
        with open(args.out, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(("executor", "notebook", "run", "status", "seconds"))
            w.writerows(rows)
    print(f"{len(rows)} runs, {hangs} hang(s)")
    return 1 if hangs else 0


if __name__ == "__main__":
    sys.exit(main())
