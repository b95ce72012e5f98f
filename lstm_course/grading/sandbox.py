"""The grading kernels' sandbox: every submission's kernel runs in its own bubblewrap sandbox.

    bwrap --unshare-pid --unshare-net --unshare-ipc --unshare-uts --unshare-cgroup-try
          [--unshare-user --uid 65534 --gid 65534 --disable-userns]   (when not run as root)
          --die-with-parent --new-session --clearenv --setenv ...
          --ro-bind /usr /usr --symlink usr/bin /bin ... --ro-bind /etc /etc
          --ro-bind PYTHON_PREFIX ... --ro-bind VENV ...          (read-only environment)
          --ro-bind ANSWER_FREE_BUILD /opt/lstm-course             (first on PYTHONPATH)
          --proc /proc --dev /dev --tmpfs /tmp --tmpfs /home/learner   (sized, private)
          --bind KERNEL_DIR /run/kernel                            (connection file + sockets)
          --chdir /home/learner  PYTHON -s -c LAUNCHER CONFIG

What the kernel sees on disk: the system (/usr, /etc), the Python installation and virtual
environment read-only, the answer-free build of lstm_course (every graded answer stubbed, see
lstm_course.answer_free), an empty private /tmp and home, and its own connection folder. Not
the project folder (solutions, notebooks, the real package), not the other submissions, not the
grader's output. A copy of lstm_course installed into the environment is masked by an empty
folder. Its own PID, IPC, UTS and network namespaces: it cannot see or signal the grader or
another kernel, has no network at all (not even the grader's loopback: the kernel protocol runs
over unix sockets in /run/kernel), and everything it starts dies with it (--die-with-parent;
its PID namespace ends with the kernel).

The uid: run as root, bwrap runs privileged (no user namespace) and the launcher drops to a
fresh unprivileged uid (one per kernel, from a range no account uses) before anything else
runs; run as an ordinary user, bwrap maps that user to 65534 in a user namespace. Either way the
kernel holds no capabilities and cannot gain any (no_new_privs).

Limits (resource.setrlimit in the launcher, before the kernel starts) and their statuses:
memory (RLIMIT_DATA) -> ``memory-limit`` (MemoryError in the kernel); CPU time (RLIMIT_CPU;
SIGXCPU kills the kernel) -> ``cpu-limit``; processes and threads (RLIMIT_NPROC, counted per
uid) -> ``process-limit``; file size (RLIMIT_FSIZE), the size of /tmp and home, and what one
request may print (counted by the grader) -> ``output-limit``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import site
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = [
    "SandboxLimits",
    "SandboxUnavailable",
    "Sandbox",
    "find_bwrap",
    "sandbox_problem",
    "INSTALL_HINT",
    "LIMIT_STATUSES",
]

BWRAP_ENV = "LSTM_COURSE_BWRAP"  # a bwrap binary to use instead of the one on PATH
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; scripts/setup.sh "
    "does it when run as root), or pass --unsafe-no-sandbox to grade without a sandbox "
    "(learners' code then runs with your permissions)"
)
LIMIT_STATUSES = ("memory-limit", "cpu-limit", "process-limit", "output-limit")
PACKAGE_MOUNT = "/opt/lstm-course"
HOME = "/home/learner"
KERNEL_MOUNT = "/run/kernel"
UID_BASE = 1_200_000_000  # privileged mode: per-kernel uids from here (no account uses them)


@dataclass
class SandboxLimits:
    memory_mb: int = 2048  # RLIMIT_DATA: heap and anonymous mappings of the kernel process
    cpu_seconds: int = 600  # RLIMIT_CPU of the kernel (a whole submission)
    processes: int = 64  # RLIMIT_NPROC: processes + threads (the kernel itself uses ~10)
    file_mb: int = 64  # RLIMIT_FSIZE: the largest file it may write
    tmp_mb: int = 256  # size of its /tmp and of its home (each)
    output_mb: float = 16.0  # what one cell (or one exercise's run) may print

    def messages(self) -> dict:
        """The learner-facing end of a sentence for each limit status."""
        return {
            "memory-limit": f"used more memory than the grader allows ({self.memory_mb} MB) "
            "and was stopped at the memory limit",
            "cpu-limit": f"used more than {self.cpu_seconds} s of CPU time and the kernel was "
            "stopped at the CPU-time limit",
            "process-limit": f"started more processes or threads than the grader allows "
            f"({self.processes}) and was stopped at the process limit",
            "output-limit": f"wrote more output than the grader allows (files up to "
            f"{self.file_mb} MB, {self.tmp_mb} MB of files, {self.output_mb:g} MB printed) "
            "and was stopped at the output limit",
        }


class SandboxUnavailable(RuntimeError):
    """No sandbox can be had here (the message says why and what to do)."""


def find_bwrap() -> str | None:
    path = os.environ.get(BWRAP_ENV) or shutil.which("bwrap")
    return path if path and os.access(path, os.X_OK) else None


# Runs INSIDE the sandbox as the kernel's first code: drop root (privileged mode), set the
# limits, then become an IPython kernel. Plain standard library until the kernel import.
LAUNCHER = r"""
import json, os, resource, signal, sys
cfg = json.loads(sys.argv[1])
if os.getuid() == 0 or os.geteuid() == 0:
    os.setgroups([])
    os.setgid(cfg["gid"])
    os.setuid(cfg["uid"])
    if 0 in (os.getuid(), os.geteuid(), os.getgid(), os.getegid()):
        os._exit(97)
for name, value in cfg["rlimits"]:
    resource.setrlimit(getattr(resource, name), tuple(value))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write raises OSError (EFBIG)
sys.argv = ["ipykernel_launcher", "-f", cfg["connection_file"], *cfg["argv"]]
from ipykernel.kernelapp import IPKernelApp
IPKernelApp.launch_instance()
"""

KEEP_ENV = (
    "LANG",
    "LC_ALL",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "PYTHONHASHSEED",
)


def _system_args() -> list[str]:
    args = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


def _under(path: str, roots) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _python_roots() -> list[str]:
    """Folders the interpreter and its packages live in (outside the system folders)."""
    cands = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    exe = os.path.realpath(sys.executable)
    cands.add(os.path.dirname(os.path.dirname(exe)))
    system = ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc")
    roots = []
    for c in sorted({os.path.realpath(c) for c in cands} | cands, key=len):
        if not os.path.isdir(c) or _under(c, system) or _under(c, roots) or c == "/":
            continue
        roots.append(c)
    return roots


def _parent_dirs(paths) -> list[str]:
    """--dir entries (mode 0755) for every ancestor of the bound paths: traversable, empty."""
    out, seen = [], set()
    for p in paths:
        parts = Path(p).parts
        for i in range(2, len(parts)):
            d = str(Path(*parts[:i]))
            if d not in seen:
                seen.add(d)
                out += ["--perms", "0755", "--dir", d]
    return out


def _masked_packages(roots) -> list[str]:
    """Real copies of lstm_course the bound folders would show (an installed package)."""
    cands = {str(Path(__file__).resolve().parents[1])}  # this lstm_course
    try:
        sp = site.getsitepackages() + [site.getusersitepackages()]
    except Exception:  # noqa: BLE001
        sp = []
    for d in sp:
        cands.add(os.path.join(d, "lstm_course"))
    return sorted(c for c in cands if os.path.isdir(c) and _under(os.path.realpath(c), roots))


class Sandbox:
    """Builds the bwrap command line of one kernel.

    `package_root` holds the answer-free builds, one per lesson that builds on answers of
    earlier lessons (lesson 05's lstm_cell calls the package's gates: they stay real in ITS
    build) and "all" (everything stubbed): package_root/<key>/lstm_course, made on first use
    (or beforehand by the grader). A private temporary folder when not given."""

    def __init__(self, package_root=None, limits: SandboxLimits | None = None, bwrap=None):
        self.limits = limits or SandboxLimits()
        self.bwrap = bwrap or find_bwrap()
        if not self.bwrap:
            raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}")
        self._own_dir = None
        if package_root is None:
            self._own_dir = tempfile.mkdtemp(prefix="lstm-course-answer-free-")
            package_root = self._own_dir
        self.package_root = str(Path(package_root).resolve())
        os.makedirs(self.package_root, exist_ok=True)
        self._kept: dict = {}
        self.privileged = os.geteuid() == 0
        self.roots = _python_roots()
        self._static = self._static_args()

    def close(self):
        if self._own_dir:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None

    # -- the command line --------------------------------------------------------------------
    def _static_args(self) -> list[str]:
        lim = self.limits
        a = [
            self.bwrap,
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
        ]
        if self.privileged:
            a += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            a += ["--unshare-user", "--uid", "65534", "--gid", "65534", "--disable-userns"]
        a += ["--die-with-parent", "--new-session", "--hostname", "grading"]
        a += _system_args()
        a += ["--proc", "/proc", "--dev", "/dev"]
        # the private /tmp and home first: an environment that lives under /tmp (a CI clone's
        # .venv, say) is bound over them below, read-only, and stays visible
        size = str(int(lim.tmp_mb * 1024 * 1024))
        a += ["--size", size, "--perms", "1777", "--tmpfs", "/tmp"]
        a += ["--perms", "0755", "--dir", "/home"]
        a += ["--size", size, "--perms", "1777", "--tmpfs", HOME]
        a += _parent_dirs(self.roots)
        for r in self.roots:
            a += ["--ro-bind", r, r]
        for m in _masked_packages(self.roots):
            a += ["--tmpfs", m, "--remount-ro", m]
        a += ["--perms", "0755", "--dir", "/opt"]
        a += ["--perms", "0755", "--dir", "/run"]
        env = {
            "PATH": os.pathsep.join(
                [os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]
            ),
            "HOME": HOME,
            "TMPDIR": "/tmp",
            "PYTHONPATH": PACKAGE_MOUNT,
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": "/tmp/matplotlib",
            "IPYTHONDIR": "/tmp/ipython",
            "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
            "JUPYTER_PLATFORM_DIRS": "1",
            "LSTM_COURSE_SOLUTIONS": "off",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        for k in KEEP_ENV:
            if k in os.environ:
                env[k] = os.environ[k]
        a.append("--clearenv")
        for k, v in env.items():
            a += ["--setenv", k, v]
        a += ["--chdir", HOME]
        return a

    def _keep(self, lesson):
        if lesson not in self._kept:
            from ..answer_free import handed_over

            self._kept[lesson] = handed_over(lesson) if lesson else set()
        return self._kept[lesson]

    def build_key(self, lesson: str | None) -> str:
        """Which build a kernel for `lesson` imports: "all" (everything stubbed) or the lesson."""
        return lesson if self._keep(lesson) else "all"

    def package_for(self, lesson: str | None = None) -> str:
        """The answer-free build a kernel for `lesson` imports (built here if missing)."""
        keep = self._keep(lesson)
        key = self.build_key(lesson)
        target = os.path.join(self.package_root, key)
        if not os.path.isdir(os.path.join(target, "lstm_course")):
            from ..answer_free import build_answer_free

            tmp = tempfile.mkdtemp(prefix=f".{key}-", dir=self.package_root)
            build_answer_free(tmp, keep=keep)
            import compileall

            # bytecode now: the kernels cannot write it (read-only) and would compile every
            # module they import from source, every time
            compileall.compile_dir(tmp, quiet=1, workers=1)
            os.chmod(tmp, 0o755)  # the kernel's uid reads it
            try:
                os.rename(tmp, target)
            except OSError:  # another worker made it meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
        return target

    def new_uid(self) -> int:
        """A fresh uid for one kernel (privileged mode), so RLIMIT_NPROC counts only its own."""
        return UID_BASE + secrets.randbelow(1 << 24) if self.privileged else 65534

    def rlimits(self) -> list[tuple[str, tuple[int, int]]]:
        lim = self.limits
        mb = 1024 * 1024
        return [
            ("RLIMIT_DATA", (lim.memory_mb * mb, lim.memory_mb * mb)),
            ("RLIMIT_CPU", (lim.cpu_seconds, lim.cpu_seconds + 5)),
            ("RLIMIT_NPROC", (lim.processes, lim.processes)),
            ("RLIMIT_FSIZE", (lim.file_mb * mb, lim.file_mb * mb)),
            ("RLIMIT_CORE", (0, 0)),
        ]

    def prepare_kernel_dir(self, kernel_dir: str, uid: int):
        """The kernel's connection folder: writable by the kernel's uid only."""
        os.makedirs(kernel_dir, exist_ok=True)
        if self.privileged:
            os.chown(kernel_dir, uid, uid)
        os.chmod(kernel_dir, 0o700)

    def kernel_command(
        self, kernel_dir: str, inside_connection_file: str, uid: int, argv=(), lesson=None
    ):
        """The bwrap command line of one kernel (kernel_dir is bound at /run/kernel)."""
        cfg = {
            "uid": uid,
            "gid": uid,
            "rlimits": self.rlimits(),
            "connection_file": inside_connection_file,
            "argv": list(argv),
        }
        return [
            *self._static,
            "--ro-bind",
            self.package_for(lesson),
            PACKAGE_MOUNT,
            "--bind",
            kernel_dir,
            KERNEL_MOUNT,
            "--",
            sys.executable,
            "-s",
            "-c",
            LAUNCHER,
            json.dumps(cfg),
        ]

    def describe(self) -> dict:
        return {
            "bwrap": self.bwrap,
            "privileged": self.privileged,
            "limits": asdict(self.limits),
            "packages": self.package_root,
        }


_PROBLEM: dict[str, str | None] = {}


def sandbox_problem() -> str | None:
    """None when a sandbox can be had here; else why not (with what to do). Tries it once."""
    key = find_bwrap() or ""
    if key in _PROBLEM:
        return _PROBLEM[key]
    if not key:
        problem = f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    else:
        problem = None
        probe = tempfile.mkdtemp(prefix="lstm-course-sandbox-probe-")
        try:
            os.makedirs(os.path.join(probe, "lstm_course"))
            sb = Sandbox(package_root=probe)
            cmd = [*sb._static, "--", sys.executable, "-s", "-c", "import os"]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            if proc.returncode != 0:
                problem = (
                    f"bubblewrap ({key}) cannot start a sandbox here: "
                    f"{(proc.stderr or '').strip()[-300:]}. {INSTALL_HINT}"
                )
        except (OSError, subprocess.SubprocessError, SandboxUnavailable) as exc:
            problem = f"bubblewrap cannot start a sandbox here: {exc}. {INSTALL_HINT}"
        finally:
            shutil.rmtree(probe, ignore_errors=True)
    _PROBLEM[key] = problem
    return problem


# -- kernels forked from a template inside a per-worker sandbox (privileged mode) -----------
#
# Starting Python and importing IPython, NumPy, matplotlib and lstm_course costs more than
# grading a submission. As root, each worker starts ONE template sandbox (the same bwrap
# command line, plus CAP_SYS_ADMIN and its kernels' folders at /run/kernels) whose Python has
# imported those once and never runs learner code. Each kernel is forked from it and gets its
# own sandbox before any learner code runs: new mount, PID, network, IPC and UTS namespaces; its
# own connection folder at /run/kernel, the others' hidden; fresh sized /tmp and home; a new
# /proc; then the kernel's fresh uid (all capabilities gone with root), the limits, ipykernel.
# Process tree: template -> X (waits; killed to stop the kernel) -> Y (PID 1 of the kernel's
# namespace: reaps, then writes the kernel's wait status to /run/kernel/exit and exits, which
# ends everything left in the namespace) -> Z (the kernel, PID 2).
TEMPLATE = r"""
import ctypes, json, os, resource, signal, sys
cfg = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
NEWNS, NEWUTS, NEWIPC, NEWPID, NEWNET = 0x20000, 0x4000000, 0x8000000, 0x20000000, 0x40000000
NOSUID, NODEV, NOEXEC, REC, PRIVATE = 2, 4, 8, 16384, 1 << 18
BIND, RDONLY, REMOUNT = 4096, 1, 32


def check(r, what):
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, what + ": " + os.strerror(e))


def _ancestors(path):  # the folders between /tmp (or home) and path, new in a fresh tmpfs
    out, p = [], os.path.dirname(path)
    while p not in ("/", "/tmp", cfg["home"], "/home", ""):
        out.append(p)
        p = os.path.dirname(p)
    return out


def mount(src, tgt, fs, flags, data=None):
    enc = lambda s: s.encode() if s else None
    check(libc.mount(enc(src), enc(tgt), enc(fs), ctypes.c_ulong(flags), enc(data)), tgt)


def die_with_parent():
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def drop(uid):
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if 0 in (os.getuid(), os.geteuid(), os.getgid(), os.getegid()):
        os._exit(97)


def kernel(req):  # Z
    die_with_parent()
    drop(req["uid"])
    if req.get("build", "all") != "all":  # this lesson's build is mounted: import it afresh
        import importlib
        for name in [m for m in sys.modules if m == "lstm_course" or m.startswith("lstm_course.")]:
            del sys.modules[name]
        importlib.invalidate_caches()
    for name, value in req["rlimits"]:
        resource.setrlimit(getattr(resource, name), tuple(value))
    os.setsid()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.chdir(cfg["home"])
    sys.argv = ["ipykernel_launcher"]
    from ipykernel.kernelapp import IPKernelApp
    app = IPKernelApp.instance()
    app.initialize(["-f", cfg["kernel_dir"] + "/connection.json", *req["argv"]])
    app.start()


def init(req):  # Y, PID 1 of the kernel's namespace
    die_with_parent()
    mount("proc", "/proc", "proc", NOSUID | NODEV | NOEXEC)
    z = os.fork()
    if z == 0:
        try:
            kernel(req)
        finally:
            os._exit(0)
    drop(req["uid"])
    status = -1
    while True:
        try:
            pid, st = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == z:
            status = st
            break
    with open(cfg["kernel_dir"] + "/exit", "w") as fh:
        fh.write(str(status))


def spawn(req):  # X
    report = cfg["kernels_dir"] + "/" + req["dir"] + "/exit"
    try:
        os.setsid()
        die_with_parent()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        check(libc.unshare(NEWNS | NEWUTS | NEWIPC | NEWPID | NEWNET), "unshare")
        mount(None, "/", None, REC | PRIVATE)
        mount(cfg["kernels_dir"] + "/" + req["dir"], cfg["kernel_dir"], None, BIND)
        report = cfg["kernel_dir"] + "/exit"
        mount("tmpfs", cfg["kernels_dir"], "tmpfs", NOSUID | NODEV, "size=16k,mode=755")
        build = req.get("build", "all")
        if build != "all":
            if "/" in build or build.startswith("."):
                raise ValueError("bad build name")
            mount(cfg["builds"] + "/" + build, cfg["package"], None, BIND | REC)
            mount(None, cfg["package"], None, REMOUNT | BIND | RDONLY | NOSUID | NODEV)
        mount("tmpfs", cfg["builds"], "tmpfs", NOSUID | NODEV, "size=16k,mode=755")
        # the environment's folders under /tmp or home: kept aside (bound on the kernels'
        # small tmpfs), then bound again, read-only, over the fresh /tmp and home
        kept = []
        for i, root in enumerate(cfg["covered_roots"]):
            aside = cfg["kernels_dir"] + "/.env%d" % i
            os.makedirs(aside, mode=0o755)
            mount(root, aside, None, BIND | REC)
            kept.append((aside, root))
        size = "size=%d,mode=1777" % req["tmp_bytes"]
        mount("tmpfs", "/tmp", "tmpfs", NOSUID | NODEV, size)
        mount("tmpfs", cfg["home"], "tmpfs", NOSUID | NODEV, size)
        for aside, root in kept:
            os.makedirs(root, mode=0o755, exist_ok=True)
            for d in _ancestors(root):
                os.chmod(d, 0o755)
            mount(aside, root, None, BIND | REC)
            mount(None, root, None, REMOUNT | BIND | RDONLY | NOSUID | NODEV)
            check(libc.umount2(aside.encode(), 2), "umount " + aside)  # MNT_DETACH
            os.rmdir(aside)
        y = os.fork()
        if y == 0:
            try:
                init(req)
            finally:
                os._exit(0)
        while True:
            try:
                os.waitpid(y, 0)
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                break
    except BaseException as exc:
        try:
            with open(report, "w") as fh:
                fh.write("error " + type(exc).__name__ + ": " + str(exc))
        except OSError:
            pass
    os._exit(0)


def main():
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import importlib
    for name in cfg["preload"]:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    proto.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if "kill" in req:
                try:
                    os.kill(int(req["kill"]), signal.SIGKILL)
                except OSError:
                    pass
                continue
            sys.stdout.flush()
            pid = os.fork()
        except Exception as exc:
            proto.write(json.dumps({"error": type(exc).__name__ + ": " + str(exc)}) + "\n")
            continue
        if pid == 0:
            try:
                proto.close()
                sys.stdin.close()
            except Exception:
                pass
            spawn(req)
            os._exit(0)
        proto.write(json.dumps({"pid": pid}) + "\n")


main()
"""

KERNELS_MOUNT = "/run/kernels"
BUILDS_MOUNT = "/opt/lstm-course-builds"  # the template's only: hidden in every kernel


def template_command(sandbox: Sandbox, kernels_dir: str) -> list[str]:
    """The bwrap command line of a worker's template sandbox (privileged mode only). It
    imports the "all" build; a kernel for a lesson with its own build gets that build mounted
    in its place and imports lstm_course afresh."""
    from .forkserver import PRELOAD

    cfg = {
        "preload": list(PRELOAD),
        "kernels_dir": KERNELS_MOUNT,
        "kernel_dir": KERNEL_MOUNT,
        "home": HOME,
        "builds": BUILDS_MOUNT,
        "package": PACKAGE_MOUNT,
        "covered_roots": [r for r in sandbox.roots if _under(r, ("/tmp", HOME))],
    }
    return [
        *sandbox._static,
        "--cap-add",
        "CAP_SYS_ADMIN",
        "--ro-bind",
        sandbox.package_for(None),
        PACKAGE_MOUNT,
        "--ro-bind",
        sandbox.package_root,
        BUILDS_MOUNT,
        "--bind",
        kernels_dir,
        KERNELS_MOUNT,
        "--perms",
        "0755",
        "--dir",
        KERNEL_MOUNT,
        "--",
        sys.executable,
        "-s",
        "-c",
        TEMPLATE,
        json.dumps(cfg),
    ]
