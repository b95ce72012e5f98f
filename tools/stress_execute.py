"""Run notebooks many times under each executor and report any run that hangs.

    python tools/stress_execute.py                          # every solution, 20x per executor
    python tools/stress_execute.py solutions/08_*.ipynb -n 5 --executors nbclient
    python tools/stress_execute.py --limit 300 --out stress.csv
    python tools/stress_execute.py --synthetic 100 --load 2 -n 8 --executors nbclient --limit 90

Executors (each run in a fresh subprocess, with a wall-clock limit):

* ``nbclient``  - ``NotebookClient(nb, kernel_name="python3").execute()``, as an
  instructor's own script would;
* ``jupyter``   - ``jupyter execute NOTEBOOK`` (nbclient behind the command line);
* ``nbval``     - ``pytest --nbval-lax NOTEBOOK`` with the suite's options;
* ``lstm-course`` - ``lstm-course execute`` on a copy of the notebook (not in the default set).

A run that passes its limit is reported as a HANG, with the notebook, the executor and, for
``nbclient``, the last cell sent to the kernel (the client prints ``[stress] cell N sent`` and
``[stress] cell N done`` to its stderr). Before the run is killed with its process tree, every
Python process of it (the client and its kernel) is dumped with ``py-spy dump`` when
py-spy is installed (``pip install py-spy``; it needs ptrace, e.g. root or
``kernel.yama.ptrace_scope=0``): the dumps go to --dump-dir and their heads are printed. A
kernel whose every thread sits in ``select``/``epoll`` with the client in ``get_msg`` is the
"idle kernel, client waiting forever" hang of the project's issue 12.

Reproducing that hang cheaply (issue 12; "Notebook execution hangs" in README.md):

    python tools/stress_execute.py --synthetic 100 --load 2 -n 8 --executors nbclient --limit 90

runs a generated notebook (``--synthetic N``: N tiny cells, written to a temporary folder:
prints, displays, tqdm bars, inline figures, a thread's print, and Output-widget cells: a
``W.Output`` captured with ``with o:`` and a plain ``W.interactive``) under CPU load
(``--load K``: K busy-loop processes for the whole stress, killed at its end). The
Output-widget cells make nbclient's Output-widget stand-in send ``comm_msg``s on the shell
channel while it waits there for the cell's reply, which is what hangs (a few runs in ten
hang, under ipykernel 7.4.0 and 6.31.0 alike). ``--synthetic-widgets course`` runs those cells
through the course's widget base (the fix); ``none`` leaves them out.

How a hang is diagnosed (``diagnose``), least intrusive first: py-spy stacks of the client
and the kernel; for ``nbclient`` the client's own report of its asyncio tasks and channels
(SIGUSR1); a cell run in the kernel on a NEW connection that prints the kernel's state
(execution count, last inputs, sends queued in its streams, IOPub events, tasks), after
which the tool checks whether the hung run moved on (a request stranded unread in the
kernel's shell socket would be read then, ipykernel#1554); finally the client reads its
channels' ZMQ_EVENTS (SIGUSR2): POLLIN on the shell channel and the run moving on right
after is the client-side lost wake-up.

Each row of --out is: executor, notebook, run, status (ok/failed/hang), seconds.
The process prints a summary per executor and notebook and exits 1 when anything hung.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXECUTORS = ("nbclient", "jupyter", "nbval")

NBCLIENT = """
import asyncio, signal, sys, nbformat, zmq
from nbclient import NotebookClient
current = [None]
def sent(cell, cell_index, **kw):
    current[0] = cell
    print(f"[stress] cell {cell_index} sent", file=sys.stderr, flush=True)
def done(cell, cell_index, **kw):
    print(f"[stress] cell {cell_index} done", file=sys.stderr, flush=True)
nb = nbformat.read(sys.argv[1], as_version=4)
client = NotebookClient(nb, kernel_name="python3", timeout=600, on_cell_complete=sent,
                        on_cell_executed=done, resources={"metadata": {"path": sys.argv[2]}})
def channels():
    kc = client.kc
    return {n: getattr(kc, n + "_channel") for n in ("shell", "iopub", "control")} if kc else {}
def report(*_):  # SIGUSR1: what the client waits for; touches no socket
    lines = [f"[client] cell outputs so far: {len(current[0].outputs) if current[0] else None}"]
    for t in asyncio.all_tasks(asyncio.get_event_loop()):
        frames = t.get_stack(limit=1)
        where = f"{frames[0].f_code.co_name}:{frames[0].f_lineno}" if frames else "?"
        lines.append(f"[client] task {t.get_coro().__qualname__} at {where} done={t.done()}")
    for n, ch in channels().items():
        sock = ch.socket
        lines.append(f"[client] {n}: watching state={getattr(sock, '_state', '?')} "
                     f"recv futures={len(getattr(sock, '_recv_futures', ()))}")
    print("\\n".join(lines), file=sys.stderr, flush=True)
def events(*_):  # SIGUSR2: ZMQ_EVENTS of each channel (reading them may wake the socket)
    ev = {n: ch.socket.get(zmq.EVENTS) for n, ch in channels().items()}
    print(f"[client] ZMQ_EVENTS (1 = a message is waiting to be read): {ev}",
          file=sys.stderr, flush=True)
signal.signal(signal.SIGUSR1, report)
signal.signal(signal.SIGUSR2, events)
client.execute()
"""


LSTM_COURSE = """
import os, shutil, sys
from pathlib import Path
from lstm_course.cli import main
nb = Path(sys.argv[1])
copy = nb.with_name(f".stress-{os.getpid()}-{nb.name}")  # same folder: same working dir
shutil.copyfile(nb, copy)
try:
    sys.exit(main(["execute", str(copy)]))
finally:
    copy.unlink(missing_ok=True)
"""


def command(executor: str, notebook: Path) -> list[str]:
    py = sys.executable
    if executor == "lstm-course":  # the course's CLI, on a copy (it saves the notebook)
        return [py, "-c", LSTM_COURSE, str(notebook)]
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


SYNTHETIC_SETUP = """\
%matplotlib inline
import sys, threading
import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import HTML, display
from tqdm.auto import tqdm"""

# One cell each, in turn: what the course's notebooks send over the kernel's channels, tiny.
SYNTHETIC_CELLS = (
    "x = {i}",
    "print('line', {i})",
    "display(HTML('<b>{i}</b>'))",
    "{i} * 2",
    "print({i}, file=sys.stderr)",
    "for _ in tqdm(range(20), desc='bar {i}', mininterval=0): pass",  # a widget, comm messages
    "fig, ax = plt.subplots(figsize=(2, 1.5)); ax.plot([0, {i}]); plt.show()",  # a PNG
    "display(W.IntSlider(value={i}, description='s'))",  # comm_open
    "t = threading.Thread(target=print, args=('thread', {i})); t.start(); t.join()",
    "y = sum(range(10_000))",
    # an Output widget capturing a cell's output: nbclient's stand-in for the frontend's Output
    # widget then sends a comm_msg on the shell channel for each output, while it waits there
    # for the cell's execute_reply (what `interactive` widgets do on their first draw)
    "o = W.Output(); display(o)\nwith o:\n    print({i}); display(HTML('<i>{i}</i>'))",
    "display(W.interactive(lambda v: print('v =', v), v={i}))",
)
# --synthetic-widgets course: the Output-widget cells use the course's widget base instead
COURSE_WIDGET_CELLS = (
    "from lstm_course.widgets._common import interactive as course_interactive",
    "display(course_interactive(lambda v: print('v =', v), v={i}))",
)


def synthetic_notebook(cells: int, folder: Path, widgets: str = "ipywidgets") -> Path:
    """A notebook of `cells` tiny cells: many shell round trips, each with some IOPub output.

    `widgets`: "ipywidgets", the Output-widget cells as above (they reproduce the hang);
    "course", those cells through lstm_course's widget base; "none", no such cells."""
    import nbformat

    kinds = list(SYNTHETIC_CELLS[:-2])
    if widgets == "ipywidgets":
        kinds += SYNTHETIC_CELLS[-2:]
    elif widgets == "course":
        kinds += COURSE_WIDGET_CELLS[1:]
    sources = [SYNTHETIC_SETUP]
    if widgets == "course":
        sources.append(COURSE_WIDGET_CELLS[0])
    sources += [kinds[i % len(kinds)].format(i=i) for i in range(cells)]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / f"synthetic_{cells}_{widgets}.ipynb"
    nbformat.write(nb, path)
    return path


def start_load(k: int) -> list[subprocess.Popen]:
    """K busy-loop processes (one process group each), to overload the CPUs."""
    return [
        subprocess.Popen(
            [sys.executable, "-c", "while True: pass"],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(k)
    ]


def stop_load(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def process_tree(root: int) -> list[tuple[int, str]]:
    """(pid, command line) of `root` and all its descendants (Linux /proc).

    By parent, not by process group: jupyter_client starts each kernel in a session of its own.
    """
    parent, cmdline = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            # the fields after the parenthesised command: state ppid ...
            parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            cmdline[int(entry.name)] = cmd.decode(errors="replace").strip()
        except (OSError, ValueError, IndexError):
            continue
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in cmdline:
            tree.append((pid, cmdline[pid]))
        todo += [child for child, ppid in parent.items() if ppid == pid]
    return sorted(tree)


def kill_tree(tree: list[tuple[int, str]]) -> None:
    for pid, _ in tree:
        for kill in (lambda: os.killpg(os.getpgid(pid), signal.SIGKILL), lambda: os.kill(pid, 9)):
            try:
                kill()
            except (ProcessLookupError, PermissionError):
                pass


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


def dump_stacks(tree: list[tuple[int, str]], dump_dir: Path, label: str) -> str:
    """py-spy dump of every Python process of a hung run; returns a summary."""
    spy = py_spy()
    lines = []
    for pid, cmd in tree:
        if "python" not in cmd:
            continue
        role = "kernel" if "ipykernel" in cmd else "client"
        lines.append(f"--- {role} pid {pid}: {cmd.splitlines()[0][:160]}")
        if spy is None:
            lines.append("(py-spy not installed: pip install py-spy)")
            continue
        try:
            res = subprocess.run(
                [spy, "dump", "--locals", "--pid", str(pid)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            text = res.stdout + res.stderr
        except (OSError, subprocess.TimeoutExpired) as exc:
            text = f"py-spy failed: {exc}"
        path = dump_dir / f"{label}-{role}-{pid}.txt"
        path.write_text(f"{cmd}\n\n{text}")
        lines.append(f"(full dump, with locals: {path})")
        # printed: the threads and their frames, without the arguments and locals
        lines += [ln for ln in text.splitlines() if not ln.startswith(" " * 8)]
    return "\n".join(lines)


KERNEL_STATE = r"""
import asyncio, json, threading
ip = get_ipython(); k = ip.kernel
d = {"execution_count": ip.execution_count,
     "last_inputs": [s[:60] for s in ip.user_ns.get("In", [])[-3:]]}
def stream(st):
    return st and {"queued_sends": st._send_queue.qsize(), "watching": st._state}
d["shell_stream"] = stream(k.shell_stream)
m = getattr(getattr(k, "shell_channel_thread", None), "_manager", None)
for name in ("_shell_channel_to_main", "_main_to_shell_channel"):
    if m is not None:
        d[name] = stream(getattr(m, name).to_stream)
iop = k.iopub_thread
d["iopub_pending_events"] = len(iop._events)
d["main_loop_tasks"] = sorted(repr(t.get_coro())[:70] for t in asyncio.all_tasks())
d["threads"] = sorted(t.name for t in threading.enumerate())
print(json.dumps(d))
"""

PROBE = """
import sys, time
from jupyter_client import BlockingKernelClient
kc = BlockingKernelClient(connection_file=sys.argv[1])
kc.load_connection_file()
kc.start_channels()
t0 = time.monotonic()
kc.kernel_info()
try:
    reply = kc.get_shell_msg(timeout=20)
    print(f"probe: kernel_info_reply on a NEW shell connection after {time.monotonic() - t0:.2f} s"
          f" (status {reply['content'].get('status')})")
except Exception as exc:
    print(f"probe: no kernel_info_reply in 20 s on a new connection ({type(exc).__name__})")
    sys.exit()
msg_id = kc.execute(sys.argv[2], store_history=False)
out, deadline = [], time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        msg = kc.get_iopub_msg(timeout=1)
    except Exception:
        continue
    if msg["parent_header"].get("msg_id") != msg_id:
        continue
    if msg["msg_type"] == "stream":
        out.append(msg["content"]["text"])
    elif msg["msg_type"] == "error":
        out.append("\\n".join(msg["content"]["traceback"]))
    elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
        break
print("probe: the kernel's state, from a cell run on that connection:", "".join(out).strip())
kc.stop_channels()
"""


def probe_kernels(tree: list[tuple[int, str]]) -> str:
    """Ask each hung kernel for kernel_info on a new shell connection.

    A kernel that answers it has a working shell channel; if the hung client then moves on,
    its own request had been stuck, unread, in the kernel's shell socket until that
    connection woke it (ipykernel#1554's symptom)."""
    lines = []
    for pid, cmd in tree:
        argv = cmd.split()
        if "ipykernel_launcher" not in cmd or "-f" not in argv:
            continue
        cf = argv[argv.index("-f") + 1]
        try:
            res = subprocess.run(
                [sys.executable, "-c", PROBE, cf, KERNEL_STATE],
                capture_output=True,
                text=True,
                timeout=90,
            )
            lines.append(f"kernel pid {pid}: {(res.stdout + res.stderr).strip()[-3000:]}")
        except subprocess.TimeoutExpired:
            lines.append(f"kernel pid {pid}: probe timed out")
    return "\n".join(lines)


def diagnose(executor, proc, tree, logfile: Path, dump_dir, label, probe_hung) -> str:
    """What a hung run's client and kernel are doing, least intrusive first.

    1. py-spy stacks of the client and the kernel (nothing touched);
    2. nbclient only: SIGUSR1, the client reports its asyncio tasks and what its channels
       wait for (no socket touched);
    3. the kernel, on a NEW connection: kernel_info, then a cell printing its state
       (execution count, last inputs, queued sends of its streams, IOPub events, tasks);
       did the hung run then move on?
    4. nbclient only: SIGUSR2, the client reads ZMQ_EVENTS of its channels (a message
       waiting unread there = the client missed it); did the run then move on?
    """

    def log() -> str:
        return logfile.read_text(errors="replace")

    before = log()
    parts = []
    sent = [ln for ln in before.splitlines() if ln.startswith("[stress] cell")]
    if sent:
        parts.append(f"last: {sent[-1]}")
    parts.append(before[-1500:])
    if dump_dir:
        parts.append(dump_stacks(tree, dump_dir, label))
    if not probe_hung:
        return "\n".join(parts)

    def went_on(since: str, what: str, wait: float) -> str:
        time.sleep(wait)
        new = log()[len(since) :]
        moved = [ln for ln in new.splitlines() if ln.startswith("[stress] cell")]
        return (
            f"after {what} the hung run went on: {moved}"
            if moved
            else f"after {what} the hung run did not move on in {wait:.0f} s"
        )

    if executor == "nbclient":
        mark = log()
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGUSR1)
        time.sleep(2)
        parts.append("client (SIGUSR1):\n" + log()[len(mark) :].strip())
    mark = log()
    parts.append(probe_kernels(tree))
    parts.append(went_on(mark, "the probe", 15))
    if executor == "nbclient":
        mark = log()
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGUSR2)
        time.sleep(1)
        parts.append("client (SIGUSR2): " + log()[len(mark) :].strip())
        parts.append(went_on(mark, "reading ZMQ_EVENTS in the client", 10))
    return "\n".join(parts)


RUNNING: set = set()  # the runs in flight (--jobs > 1: other threads'), killed on SIGTERM


def run_once(
    executor: str,
    notebook: Path,
    limit: float,
    dump_dir: Path | None,
    label: str,
    probe_hung: bool = True,
) -> tuple[str, float, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    t0 = time.monotonic()
    # The run writes its output to a file read back by path (a file object of its own: seeking
    # the run's own would move the offset it writes at).
    with tempfile.NamedTemporaryFile("w", suffix=".log") as log:
        logfile = Path(log.name)
        proc = subprocess.Popen(
            command(executor, notebook),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own group: pytest-xdist workers, jupyter subprocesses
        )
        RUNNING.add(proc)
        try:
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            seconds = time.monotonic() - t0
            tree = process_tree(proc.pid)
            report = diagnose(executor, proc, tree, logfile, dump_dir, label, probe_hung)
            kill_tree(tree)
            proc.wait()
            return "hang", seconds, report
        except BaseException:  # SIGTERM, Ctrl-C: take the run's client and kernel along
            kill_tree(process_tree(proc.pid))
            raise
        finally:
            RUNNING.discard(proc)
        seconds = time.monotonic() - t0
        out = logfile.read_text(errors="replace")
    status = "ok" if proc.returncode == 0 else "failed"
    if status == "ok":
        # Finished, but did it wait on the way? (a stuck IOPub thread makes every flush wait
        # 10 s and every cell's idle status go missing: slow runs with missing outputs)
        signs = {s: out.count(s) for s in WARNING_SIGNS if s in out}
        return status, seconds, ", ".join(f"{n}x {s!r}" for s, n in signs.items())
    return status, seconds, out[-2000:]


WARNING_SIGNS = ("Timeout waiting for IOPub output", "IOStream.flush timed out")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("notebooks", nargs="*", help="default: every solutions/*.ipynb")
    p.add_argument("-n", "--runs", type=int, default=20, help="runs per executor and notebook")
    p.add_argument("--executors", default=",".join(EXECUTORS))
    p.add_argument("--limit", type=float, default=300.0, help="seconds before a run is a hang")
    p.add_argument("--out", default=None, help="CSV of every run")
    p.add_argument(
        "--synthetic",
        type=int,
        default=0,
        metavar="CELLS",
        help="run a generated notebook of CELLS tiny cells (instead of the solutions unless "
        "notebooks are named too)",
    )
    p.add_argument(
        "--synthetic-widgets",
        choices=("ipywidgets", "course", "none"),
        default="ipywidgets",
        help="the synthetic notebook's Output-widget cells: plain ipywidgets (they reproduce "
        "the hang), lstm_course's widget base, or none",
    )
    p.add_argument(
        "--load", type=int, default=0, metavar="K", help="K busy-loop processes during the stress"
    )
    p.add_argument(
        "--dump-dir",
        default=None,
        help="where py-spy dumps of hung runs go (default: a new temporary folder)",
    )
    p.add_argument("-j", "--jobs", type=int, default=1, help="runs at the same time")
    p.add_argument(
        "--minutes",
        type=float,
        default=0,
        help="start no run after this many minutes (0: no budget); rounds cover every pair",
    )
    p.add_argument(
        "--run-cache",
        default=None,
        metavar="DIR",
        help="replay the notebooks' training runs from this run cache folder "
        "(lstm_course.run_cache, reuse mode: the first run of a training computes and stores "
        "it); every cell still runs",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="a line per run")
    p.add_argument(
        "--no-probe",
        action="store_true",
        help="do not send a hung kernel a kernel_info_request on a new connection",
    )
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="stress-execute-"))
    dump_dir = Path(args.dump_dir) if args.dump_dir else tmp
    dump_dir.mkdir(parents=True, exist_ok=True)
    notebooks = [Path(n) for n in args.notebooks]
    if args.synthetic:
        notebooks.append(synthetic_notebook(args.synthetic, tmp, args.synthetic_widgets))
    notebooks = notebooks or sorted((ROOT / "solutions").glob("*.ipynb"))
    executors = [e.strip() for e in args.executors.split(",") if e.strip()]
    rows, hangs = [], 0
    print(
        f"{len(notebooks)} notebooks x {len(executors)} executors x {args.runs} runs"
        f"{f', {args.load} busy loops' if args.load else ''}, {args.jobs} at a time"
        f"{f', run cache {args.run_cache}' if args.run_cache else ''} ({sys.executable})",
        flush=True,
    )
    # Round by round: round k runs every notebook under every executor once, so a stress cut
    # short (--minutes, Ctrl-C) has covered every pair evenly.
    plan = [
        (k, executor, nb) for k in range(args.runs) for executor in executors for nb in notebooks
    ]
    deadline = time.monotonic() + 60 * args.minutes if args.minutes else None
    # SIGTERM too ends in the `finally` below: the busy loops must not outlive the stress
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load = start_load(args.load)
    if args.run_cache:
        os.environ["LSTM_COURSE_RUN_CACHE"] = str(Path(args.run_cache).resolve())
        os.environ["LSTM_COURSE_RUN_CACHE_MODE"] = "reuse"

    def one(item):
        k, executor, nb = item
        if deadline is not None and time.monotonic() > deadline:
            return None
        label = f"{executor}-{nb.stem}-{k}"
        status, seconds, tail = run_once(
            executor, nb.resolve(), args.limit, dump_dir, label, not args.no_probe
        )
        return k, executor, nb, label, status, seconds, tail

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            try:
                for result in pool.map(one, plan):
                    if result is None:
                        continue
                    k, executor, nb, label, status, seconds, tail = result
                    rows.append((executor, nb.name, k, status, round(seconds, 1)))
                    if args.verbose:
                        print(f"  {label}: {status} {seconds:.1f} s", flush=True)
                    if status == "ok" and tail:
                        print(f"  ok but: {label}: {tail}", flush=True)
                    if status != "ok":
                        hangs += status == "hang"
                        print(
                            f"  {status.upper()}: {executor} {nb.name} run {k}\n{tail}",
                            flush=True,
                        )
                    if executor == executors[-1] and nb == notebooks[-1]:
                        print(f"round {k + 1} of {args.runs} done ({len(rows)} runs)", flush=True)
            except BaseException:  # SIGTERM, Ctrl-C: no run may outlive the stress
                pool.shutdown(wait=False, cancel_futures=True)
                for proc in list(RUNNING):
                    kill_tree(process_tree(proc.pid))
                raise
    finally:
        stop_load(load)
        if args.out:
            with open(args.out, "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(("executor", "notebook", "run", "status", "seconds"))
                w.writerows(rows)
    for executor in executors:
        for nb in notebooks:
            mine = [r for r in rows if r[:2] == (executor, nb.name)]
            if mine:
                secs = [r[4] for r in mine]
                print(
                    f"{executor:8s} {nb.name:40s} {len(mine)} runs, "
                    f"{sum(r[3] == 'ok' for r in mine)} ok, "
                    f"{sum(r[3] == 'hang' for r in mine)} hang, "
                    f"{min(secs):6.1f}-{max(secs):6.1f} s",
                    flush=True,
                )
    if deadline is not None and len(rows) < len(plan):
        print(f"stopped at the --minutes budget: {len(rows)} of {len(plan)} runs")
    print(f"{len(rows)} runs, {hangs} hang(s)")
    return 1 if hangs else 0


if __name__ == "__main__":
    sys.exit(main())
