"""One fresh IPython kernel per submission, driven with per-request time limits.

`Kernel` wraps a jupyter_client KernelManager (IPC transport: local sockets only) and answers
every request with an `ExecResult` whose status is ``ok``, ``error`` (the code raised),
``timeout`` (still running at the deadline: the kernel is interrupted, and killed and restarted
when an interrupt does not bring it back) or ``crashed`` (the kernel process died, e.g.
``os._exit(1)``). Nothing here ever raises because of what the learner's code does.

With a `Sandbox` (sandbox.py) the kernel is started inside bubblewrap, one sandbox per kernel,
with memory, CPU-time, process and output limits; hitting one gives the statuses
``memory-limit``, ``cpu-limit``, ``process-limit`` or ``output-limit`` (evalue: the learner-
facing sentence). Without one (``--unsafe-no-sandbox``) the kernel runs with the grader's rights.

`KernelPool` keeps kernels started ahead of need ("warm"): a kernel is launched, and its
warm-up imports queued, while the previous submission is still being graded. Every kernel
serves ONE submission and is then shut down; only the start-up wait is hidden.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field

__all__ = ["ExecResult", "Kernel", "KernelPool", "kernel_env"]

INTERRUPT_GRACE = 2.0  # seconds an interrupted kernel has to become idle before it is killed


@dataclass
class ExecResult:
    status: str  # ok | error | timeout | crashed | memory-limit | cpu-limit | process-limit ...
    ename: str = ""
    evalue: str = ""
    user_expressions: dict = field(default_factory=dict)
    seconds: float = 0.0
    restarted: bool = False  # the kernel had to be replaced: its namespace is gone
    died: bool = False  # the kernel process is gone (crashed, or killed at a limit)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


MEMORY_ERRORS = ("MemoryError", "_ArrayMemoryError")


def limit_status(ename: str, evalue: str) -> str | None:
    """The limit a sandboxed kernel's exception shows it ran into (None: an ordinary error)."""
    if ename in MEMORY_ERRORS or (ename.endswith("MemoryError") and "allocate" in evalue):
        return "memory-limit"
    if ename == "BlockingIOError" or "can't start new thread" in evalue:
        return "process-limit"
    if "File too large" in evalue or "No space left on device" in evalue:
        return "output-limit"
    return None


MAX_MESSAGE_BYTES = 128 * 1024 * 1024  # a larger message from a kernel is dropped by ZeroMQ


def bounded_client(connection_file: str):
    """A kernel client whose sockets refuse any message over MAX_MESSAGE_BYTES (ZeroMQ's
    ZMQ_MAXMSGSIZE: the peer is disconnected and nothing is read), so a kernel cannot grow the
    grader's memory by answering with gigabytes: the request then ends at its time limit."""
    import zmq
    from jupyter_client import BlockingKernelClient

    context = zmq.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)  # a default for every new socket
    kc = BlockingKernelClient(connection_file=connection_file, context=context)
    kc.load_connection_file()
    return kc


def close_client(kc):
    """Stop the client's channels and end its ZeroMQ context (one per kernel, else threads
    pile up in a long-running worker)."""
    try:
        kc.stop_channels()
    finally:
        kc.context.destroy(linger=0)


def kernel_env() -> dict:
    """The kernels' environment: the grader's, with a non-interactive matplotlib backend and
    the solutions switched off (nothing a learner's code could read there helps it)."""
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    env["LSTM_COURSE_SOLUTIONS"] = "off"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env.pop("JPY_PARENT_PID", None)
    return env


class ForkServer:
    """The worker's handle on a `forkserver` process (see forkserver.py)."""

    def __init__(self):
        import subprocess

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lstm_course.grading.forkserver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            env=kernel_env(),
            start_new_session=True,
        )
        self._ready = False

    def ready(self) -> bool:
        if not self._ready:
            line = self.proc.stdout.readline()
            self._ready = '"ready"' in line
        return self._ready

    def spawn(self, connection_file: str, cwd: str, env: dict, argv) -> int:
        if not self.ready():
            raise RuntimeError("the kernel fork server did not start")
        self.proc.stdin.write(
            json.dumps(
                {"connection_file": connection_file, "cwd": cwd, "env": env, "argv": list(argv)}
            )
            + "\n"
        )
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline() or "{}")
        if "pid" not in reply:
            raise RuntimeError(reply.get("error", "the kernel fork server stopped"))
        return int(reply["pid"])

    @property
    def pid(self) -> int:
        return self.proc.pid

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001
            self.proc.kill()


class SandboxTemplate:
    """A worker's template sandbox (sandbox.TEMPLATE, root only): a Python that imported the
    heavy modules once, inside the sandbox, and forks each kernel into a sandbox of its own."""

    def __init__(self, sandbox, kernels_dir: str):
        import subprocess

        from .sandbox import template_command

        self.sandbox, self.kernels_dir = sandbox, kernels_dir
        os.makedirs(kernels_dir, exist_ok=True)
        debug = os.environ.get("LSTM_COURSE_SANDBOX_DEBUG")
        self.proc = subprocess.Popen(
            template_command(sandbox, kernels_dir),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if debug else subprocess.DEVNULL,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self._ready = None

    def ready(self) -> bool:
        if self._ready is None:
            line = self.proc.stdout.readline()
            self._ready = '"ready"' in line
        return self._ready

    def alive(self) -> bool:
        return self.proc.poll() is None

    def spawn(self, dirname: str, uid: int, argv, lesson: str | None = None) -> int:
        if not self.ready():
            raise RuntimeError("the sandbox template did not start")
        self.sandbox.package_for(lesson)  # made if missing
        req = {
            "build": self.sandbox.build_key(lesson),
            "dir": dirname,
            "uid": uid,
            "rlimits": self.sandbox.rlimits(),
            "argv": list(argv),
            "tmp_bytes": int(self.sandbox.limits.tmp_mb * 1024 * 1024),
        }
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline() or "{}")
        if "pid" not in reply:
            raise RuntimeError(reply.get("error", "the sandbox template stopped"))
        return int(reply["pid"])

    def kill(self, pid: int):
        try:
            self.proc.stdin.write(json.dumps({"kill": int(pid)}) + "\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            pass

    @property
    def pid(self) -> int:
        return self.proc.pid

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()


KERNEL_ARGS = (
    "--HistoryManager.enabled=False",
    "--IPKernelApp.quiet=True",
    "--InteractiveShell.xmode=Minimal",  # the grader reads ename and evalue only
)


class Kernel:
    """A started kernel (launched by __init__; `ready()` waits for it).

    With a `ForkServer`, the kernel is forked from a process that already imported the heavy
    modules; without, jupyter_client launches `python -m ipykernel_launcher` as usual.
    """

    def __init__(
        self,
        warmup: bool = True,
        startup_timeout: float = 60.0,
        forkserver: ForkServer | None = None,
        tmp_root: str | None = None,
        sandbox=None,
        lesson: str | None = None,
        template: SandboxTemplate | None = None,
    ):
        from .harness import warmup_code

        self.cwd = tempfile.mkdtemp(prefix="lstm-course-kernel-", dir=tmp_root)
        self.token = secrets.token_hex(8)  # names the grader's private slot in the kernel
        self.warmup = warmup_code(self.token) if warmup else ""
        self.startup_timeout = startup_timeout
        self.forkserver = forkserver if sandbox is None else None
        self.sandbox = sandbox
        self.lesson = lesson  # picks the sandbox's answer-free build
        self.template = template if sandbox is not None else None
        self._kdir = None
        self.proc = None  # the bwrap process of a sandboxed kernel
        self._killed = False
        self.restarts = 0
        self._n = 0
        self._pid = None
        self.km = None
        self._launch()

    # -- life cycle -------------------------------------------------------------------------
    def _launch(self):
        self._n += 1
        sock = os.path.join(self.cwd, f".k{self._n}")
        cfile = os.path.join(self.cwd, f".k{self._n}.json")
        if self.template is not None:
            self._launch_from_template()
        elif self.sandbox is not None:
            self._launch_sandboxed()
        elif self.forkserver is not None:
            from jupyter_client.connect import write_connection_file

            write_connection_file(cfile, transport="ipc", ip=sock)
            self._pid = self.forkserver.spawn(cfile, self.cwd, kernel_env(), KERNEL_ARGS)
            self.kc = bounded_client(cfile)
        else:
            from jupyter_client import KernelManager

            self.km = KernelManager(
                kernel_name="python3", transport="ipc", ip=sock, connection_file=cfile
            )
            self.km.start_kernel(cwd=self.cwd, env=kernel_env(), extra_arguments=list(KERNEL_ARGS))
            self.kc = bounded_client(cfile)
        self.kc.start_channels()
        self._warmup_id = (
            self.kc.execute(self.warmup, silent=True, store_history=False, allow_stdin=False)
            if self.warmup
            else None
        )
        self._ready = False

    def _launch_sandboxed(self):
        """A new bwrap sandbox running a kernel; the grader talks to it over the unix sockets
        in its connection folder (bound at /run/kernel inside)."""
        import subprocess

        from .sandbox import KERNEL_MOUNT

        kdir = os.path.join(self.cwd, f"k{self._n}")
        uid, outside = self._sandbox_connection(kdir)
        cmd = self.sandbox.kernel_command(
            kdir, f"{KERNEL_MOUNT}/connection.json", uid, KERNEL_ARGS, lesson=self.lesson
        )
        debug = os.environ.get("LSTM_COURSE_SANDBOX_DEBUG")
        self._killed = False
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=None if debug else subprocess.DEVNULL,
            stderr=None if debug else subprocess.DEVNULL,
            start_new_session=True,
        )
        self._pid = self.proc.pid
        self.kc = bounded_client(outside)

    def _sandbox_connection(self, kdir):
        """A new kernel uid, its connection folder `kdir` prepared, and the connection file in
        two copies: the grader's (ipc sockets under kdir), and the kernel's inside kdir
        (the same sockets seen at /run/kernel). Returns (uid, the grader's file)."""
        from jupyter_client.connect import write_connection_file

        from .sandbox import KERNEL_MOUNT

        uid = self.sandbox.new_uid()
        self.sandbox.prepare_kernel_dir(kdir, uid)
        outside = os.path.join(self.cwd, f"k{self._n}.json")
        write_connection_file(outside, transport="ipc", ip=os.path.join(kdir, "k"))
        with open(outside, encoding="utf-8") as fh:
            info = json.load(fh)
        info["ip"] = f"{KERNEL_MOUNT}/k"
        inside = os.path.join(kdir, "connection.json")
        with open(inside, "w", encoding="utf-8") as fh:
            json.dump(info, fh)
        if self.sandbox.privileged:  # always, for the template: it needs root
            os.chown(inside, uid, uid)
        return uid, outside

    def _launch_from_template(self):
        """A kernel forked by the worker's template into a sandbox of its own."""
        name = f"k{secrets.token_hex(4)}"
        kdir = os.path.join(self.template.kernels_dir, name)
        uid, outside = self._sandbox_connection(kdir)
        self._kdir, self._killed = kdir, False
        self._pid = self.template.spawn(name, uid, KERNEL_ARGS, self.lesson)
        self.kc = bounded_client(outside)

    def _template_status(self):
        """The kernel's wait status (int) from its exit file, an error text, or None."""
        try:
            with open(os.path.join(self._kdir, "exit"), encoding="utf-8") as fh:
                text = fh.read().strip()
        except OSError:
            return None
        try:
            return int(text)
        except ValueError:
            return text or "ended"

    def _death(self, what: str = "the kernel process died") -> ExecResult:
        """The result for a kernel that is gone: which limit killed it, if one did."""
        if self.template is not None:
            st = self._template_status()
            if isinstance(st, int) and st >= 0 and not self._killed:
                if os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGXCPU:
                    msg = self.sandbox.limits.messages()["cpu-limit"]
                    return ExecResult("cpu-limit", "CPUTimeLimit", msg, died=True)
            return ExecResult("crashed", "KernelDied", what, died=True)
        rc = self.proc.poll() if self.proc is not None else None
        if self.sandbox is not None and rc is not None and not self._killed:
            if rc in (128 + signal.SIGXCPU, -signal.SIGXCPU):
                msg = self.sandbox.limits.messages()["cpu-limit"]
                return ExecResult("cpu-limit", "CPUTimeLimit", msg, died=True)
        return ExecResult("crashed", "KernelDied", what, died=True)

    def _limit_result(self, ename: str, evalue: str) -> ExecResult | None:
        if self.sandbox is None:
            return None
        status = limit_status(ename, evalue)
        if status is None:
            return None
        return ExecResult(status, ename, self.sandbox.limits.messages()[status])

    @property
    def pid(self) -> int | None:
        if self.template is not None:  # a pid in the template's namespace: its bwrap's instead
            return self.template.pid
        if self.sandbox is not None or self.forkserver is not None:
            return self._pid
        try:
            return self.km.provisioner.process.pid  # type: ignore[union-attr]
        except AttributeError:
            return None

    def ready(self) -> bool:
        """Wait until the kernel answers (and its warm-up ran). False if it never did."""
        if self._ready:
            return True
        deadline = time.monotonic() + self.startup_timeout
        if self._warmup_id is not None and not self._shell_reply(self._warmup_id, deadline):
            return False
        try:  # also makes sure the iopub channel is connected (no lost status messages)
            self.kc.wait_for_ready(timeout=max(1.0, deadline - time.monotonic()))
        except (RuntimeError, TimeoutError):
            return False
        self._ready = True
        return True

    def _shell_reply(self, msg_id: str, deadline: float):
        while time.monotonic() < deadline:
            try:
                reply = self.kc.get_shell_msg(timeout=0.2)
            except queue.Empty:
                if not self.alive():
                    return None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply
        return None

    def alive(self) -> bool:
        if self.template is not None:
            return (
                not self._killed
                and self.template.alive()
                and not os.path.exists(os.path.join(self._kdir, "exit"))
            )
        if self.sandbox is not None:
            return self.proc is not None and self.proc.poll() is None
        if self.forkserver is not None:
            try:
                os.kill(self._pid, 0)
            except (ProcessLookupError, PermissionError, TypeError):
                return False
            try:  # a zombie (not reaped yet) is dead too
                with open(f"/proc/{self._pid}/stat") as fh:
                    return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
            except OSError:
                return True
        try:
            return bool(self.km.is_alive())
        except Exception:  # noqa: BLE001
            return False

    def interrupt(self) -> str | None:
        """Interrupt the running request. Returns the id of the control message when the
        kernel was asked to interrupt itself (sandboxed: its pid is in another namespace)."""
        try:
            if self.sandbox is not None:  # the kernel's pid is in another namespace: ask it
                msg = self.kc.session.msg("interrupt_request", content={})
                self.kc.control_channel.send(msg)
                return msg["header"]["msg_id"]
            elif self.forkserver is not None:
                os.kill(self._pid, signal.SIGINT)
            else:
                self.km.interrupt_kernel()
        except Exception:  # noqa: BLE001
            pass
        return None

    def _interrupt_done(self, control_id: str | None, deadline: float) -> bool:
        """Whether the kernel has answered the interrupt request (it signals itself before it
        answers). Until then the SIGINT may still be on its way and could land in the NEXT
        request, e.g. when the interrupted cell finished by itself meanwhile."""
        if control_id is None:
            return True
        while time.monotonic() < deadline:
            try:
                reply = self.kc.control_channel.get_msg(timeout=0.1)
            except Exception:  # noqa: BLE001 - queue.Empty: nothing yet
                continue
            if reply.get("parent_header", {}).get("msg_id") == control_id:
                return True
        return False

    def restart(self) -> bool:
        """A new kernel process in place of this one (fresh namespace). False if it fails."""
        self.restarts += 1
        self._stop_process()
        try:
            self._launch()
        except Exception:  # noqa: BLE001
            return False
        return self.ready()

    def _stop_process(self):
        try:
            close_client(self.kc)
        except Exception:  # noqa: BLE001
            pass
        if self.template is not None:
            if self._pid is not None and not self._killed:
                self._killed = True
                self.template.kill(self._pid)  # X; the kernel's namespace dies with it
            return
        if self.sandbox is not None:
            if self.proc is not None:
                self._killed = True
                try:  # bwrap's group; the sandbox dies with it (--die-with-parent, PID namespace)
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError, OSError):
                    pass
                try:
                    self.proc.wait(timeout=10)
                except Exception:  # noqa: BLE001
                    pass
            return
        if self.forkserver is not None:
            try:
                os.killpg(self._pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, TypeError, OSError):
                pass
            return
        try:
            self.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001
            try:
                self.km.provisioner.process.kill()  # type: ignore[union-attr]
            except Exception:  # noqa: BLE001
                pass

    def shutdown(self):
        self._stop_process()
        shutil.rmtree(self.cwd, ignore_errors=True)
        if self._kdir:
            shutil.rmtree(self._kdir, ignore_errors=True)

    # -- requests -----------------------------------------------------------------------------
    def execute(
        self,
        code: str,
        timeout: float,
        user_expressions: dict | None = None,
        store_history: bool = True,
    ) -> ExecResult:
        """Run code; wait at most `timeout` seconds (then interrupt, or kill and restart)."""
        if not self.alive():
            return self._death("the kernel was not running")
        start = time.monotonic()
        msg_id = self.kc.execute(
            code,
            silent=False,
            store_history=store_history,
            user_expressions=user_expressions or {},
            allow_stdin=False,
            stop_on_error=False,
        )
        res = self._wait(msg_id, start + max(0.05, timeout))
        if res.status == "timeout" or (res.status == "output-limit" and not res.died):
            res.restarted = self._recover_from_timeout(msg_id)
        res.seconds = time.monotonic() - start
        return res

    def _wait(self, msg_id: str, deadline: float) -> ExecResult:
        """Drain iopub for msg_id until idle, then take its shell reply."""
        idle, error = False, None
        last_alive_check = 0.0
        printed = 0
        max_output = (
            int(self.sandbox.limits.output_mb * 1024 * 1024) if self.sandbox is not None else 0
        )
        while not idle:
            now = time.monotonic()
            if now >= deadline:
                return ExecResult("timeout")
            try:
                msg = self.kc.get_iopub_msg(timeout=min(0.1, deadline - now))
            except queue.Empty:
                if now - last_alive_check > 0.2:
                    last_alive_check = now
                    if not self.alive():
                        return self._death()
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            mtype, content = msg["msg_type"], msg["content"]
            if max_output:
                printed += _output_size(mtype, content)
                if printed > max_output:
                    msgs = self.sandbox.limits.messages()
                    return ExecResult("output-limit", "OutputLimit", msgs["output-limit"])
            if mtype == "error":
                error = (content.get("ename", ""), content.get("evalue", ""))
            elif mtype == "status" and content.get("execution_state") == "idle":
                idle = True
        while True:
            now = time.monotonic()
            if now >= deadline + 5:
                return ExecResult("timeout")
            try:
                reply = self.kc.get_shell_msg(timeout=min(0.2, deadline + 5 - now))
            except queue.Empty:
                if not self.alive():
                    return self._death()
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") == "ok":
            return ExecResult("ok", user_expressions=content.get("user_expressions") or {})
        ename = content.get("ename") or (error[0] if error else "Error")
        evalue = content.get("evalue") or (error[1] if error else "")
        return self._limit_result(ename, evalue) or ExecResult("error", ename, evalue)

    def _recover_from_timeout(self, msg_id: str) -> bool:
        """Interrupt; if the kernel does not become idle soon, kill it and start a new one.

        Returns True when the kernel was replaced (its namespace is gone)."""
        control_id = self.interrupt()
        deadline = time.monotonic() + INTERRUPT_GRACE
        res = self._wait(msg_id, deadline)
        if (
            res.status in ("timeout", "crashed", "output-limit")
            or res.died
            or not self._interrupt_done(control_id, deadline + INTERRUPT_GRACE)
        ):
            self.restart()
            return True
        return False


def _output_size(mtype: str, content: dict) -> int:
    """Bytes of output in one iopub message (what the learner's code printed or displayed)."""
    if mtype == "stream":
        return len(content.get("text", ""))
    if mtype in ("display_data", "execute_result", "update_display_data"):
        return sum(len(str(v)) for v in (content.get("data") or {}).values())
    if mtype == "error":
        return sum(len(line) for line in content.get("traceback") or [])
    return 0


class KernelPool:
    """Hands out fresh kernels, keeping `size` of them started ahead of need."""

    def __init__(
        self,
        size: int = 1,
        warmup: bool = True,
        fork: bool = True,
        tmp_root: str | None = None,
        sandbox=None,
    ):
        self.size, self.warmup, self.tmp_root = size, warmup, tmp_root
        self.sandbox = sandbox
        self.lesson = None  # the lesson of the last kernel taken: the spare is made for it
        # root: kernels forked from one template sandbox per worker (see sandbox.py)
        self.template: SandboxTemplate | None = None
        self.use_template = sandbox is not None and fork and sandbox.privileged
        self.forkserver = None
        if fork and sandbox is None and sys.platform.startswith("linux"):
            try:
                self.forkserver = ForkServer()
            except Exception:  # noqa: BLE001 - the ordinary launch still works
                self.forkserver = None
        self._spare: list[Kernel] = []
        self.fill()

    def _new(self) -> Kernel:
        if self.sandbox is not None:
            return Kernel(
                self.warmup,
                tmp_root=self.tmp_root,
                sandbox=self.sandbox,
                lesson=self.lesson,
                template=self._template(),
            )
        if self.forkserver is not None:
            try:
                return Kernel(self.warmup, forkserver=self.forkserver, tmp_root=self.tmp_root)
            except Exception:  # noqa: BLE001
                self.forkserver = None
        return Kernel(self.warmup, tmp_root=self.tmp_root)

    def _template(self) -> SandboxTemplate | None:
        if not self.use_template:
            return None
        t = self.template
        if t is None:
            # short: the kernels' unix socket paths must stay under ~100 characters
            root = self.tmp_root if len(self.tmp_root or "") <= 48 else None
            kdir = tempfile.mkdtemp(prefix="lck-", dir=root)
            t = self.template = SandboxTemplate(self.sandbox, kdir)
        if not t.alive() or not t.ready():  # no template here: one bwrap per kernel instead
            self.use_template, self.template = False, None
            t.close()
            shutil.rmtree(t.kernels_dir, ignore_errors=True)
            return None
        return t

    def fill(self):
        while len(self._spare) < self.size:
            self._spare.append(self._new())

    def take(self, lesson: str | None = None) -> Kernel:
        """A fresh kernel (sandboxed: with the answer-free build for `lesson`)."""
        if self.sandbox is not None and lesson != self.lesson:
            self.lesson = lesson
            key = self.sandbox.build_key(lesson)
            for k in [k for k in self._spare if self.sandbox.build_key(k.lesson) != key]:
                self._spare.remove(k)
                k.shutdown()
        kernel = self._spare.pop(0) if self._spare else self._new()
        self.fill()
        return kernel

    def close(self):
        for k in self._spare:
            k.shutdown()
        self._spare.clear()
        if self.forkserver is not None:
            self.forkserver.close()
        if self.template is not None:
            self.template.close()
            shutil.rmtree(self.template.kernels_dir, ignore_errors=True)


if __name__ == "__main__":  # a smoke test: python -m lstm_course.grading.kernel_runner [--no-fork]
    pool = KernelPool(fork="--no-fork" not in sys.argv)
    k = pool.take()
    print("ready:", k.ready(), "forked:", k.forkserver is not None, file=sys.stderr)
    print(
        k.execute("x = 1", 5),
        k.execute("while True: pass", 1),
        k.execute("x", 5, {"x": "x"}),
        k.execute("import os; os._exit(1)", 5),
        sep="\n",
    )
    print("restart:", k.restart(), k.execute("x = 2", 5))
    k.shutdown()
    pool.close()
