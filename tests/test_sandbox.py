"""The grading sandbox, with REAL sandboxed kernels (bubblewrap): what a submission's kernel can
see and do, its limits and their statuses, and that nothing it starts outlives it.

Without bwrap these tests are skipped, except under CI (CI=true), where a missing sandbox is a
FAILURE: CI can never pass without having run them (scripts/test.sh installs bubblewrap).
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grading_fixtures as fx
import pytest

from lstm_course.answer_free import marked_functions, stubbed_functions
from lstm_course.exercises import EXERCISES
from lstm_course.grading.sandbox import Sandbox, SandboxLimits, sandbox_problem

ROOT = Path(__file__).resolve().parents[1]
L, N = "01_learn_gate", "learn_gate"
os.environ.setdefault("LSTM_COURSE_GRADER_VERSION", "test-pinned")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def sandbox():
    problem = sandbox_problem()
    if problem:
        if _in_ci():
            pytest.fail(f"no sandbox and CI is set (a skip is not allowed): {problem}")
        pytest.skip(problem)
    sb = Sandbox(limits=SandboxLimits(memory_mb=768, cpu_seconds=60, processes=48))
    yield sb
    sb.close()


@pytest.fixture(scope="module", params=["bwrap-per-kernel", "forked-from-template"])
def kernel(request, sandbox, tmp_path_factory):
    """A sandboxed kernel, started both ways: its own bwrap, or (root) forked from a worker's
    template sandbox into namespaces of its own."""
    from lstm_course.grading.kernel_runner import Kernel, KernelPool

    tmp = str(tmp_path_factory.mktemp("kernels"))
    pool = None
    if request.param == "bwrap-per-kernel":
        k = Kernel(sandbox=sandbox, tmp_root=tmp)
    else:
        if not sandbox.privileged:
            pytest.skip("kernels are forked from a template only when the grader runs as root")
        pool = KernelPool(size=0, sandbox=sandbox, fork=True, tmp_root=tmp)
        k = pool.take()
        assert k.template is not None, "the template sandbox did not start"
    assert k.ready(), "the sandboxed kernel did not start"
    yield k
    k.shutdown()
    if pool is not None:
        pool.close()


def run(kernel, code: str, timeout: float = 60.0):
    """Run code that sets `out`; return out (any JSON value) as the kernel saw it."""
    res = kernel.execute(
        code + "\nimport json as _j\n_out_json = _j.dumps(out)", timeout, {"o": "_out_json"}
    )
    assert res.ok, (res.status, res.ename, res.evalue)
    text = res.user_expressions["o"]["data"]["text/plain"]
    return json.loads(eval(text))  # noqa: S307 - a repr of a str, made by our own code


def opened(kernel, paths) -> dict:
    """path -> what open()/listdir() in the kernel got ('ok' or the exception's name)."""
    code = (
        "import os\nout = {}\n"
        f"for p in {[str(p) for p in paths]!r}:\n"
        "    try:\n"
        "        (os.listdir(p) if os.path.isdir(p) else open(p, 'rb').read(1))\n"
        "        out[p] = 'ok' if os.path.exists(p) else 'missing'\n"
        "    except Exception as e:\n"
        "        out[p] = type(e).__name__\n"
    )
    return run(kernel, code)


# --------------------------------------------------------------------------- what it sees


def test_kernel_runs_as_an_unprivileged_user_without_capabilities(kernel):
    out = run(
        kernel,
        "import os\nst = open('/proc/self/status').read()\n"
        "out = [os.getuid(), os.geteuid(), os.getgid(), "
        "st.split('CapEff:')[1].split()[0], st.split('NoNewPrivs:')[1].split()[0]]",
    )
    uid, euid, gid, capeff, nnp = out
    assert 0 not in (uid, euid, gid)
    assert uid != os.getuid() or os.getuid() != 0
    assert int(capeff, 16) == 0 and nnp == "1"


def test_nothing_on_disk_but_its_own(kernel, sandbox, tmp_path):
    classmate = fx.write(fx.correct(L), tmp_path / "classmate" / f"{L}.ipynb")
    real_pkg = Path(__import__("lstm_course").__file__).resolve().parent
    paths = [
        classmate,
        classmate.parent,
        ROOT / "solutions" / f"{L}.ipynb",
        ROOT / "solutions",
        ROOT / "notebooks",
        real_pkg / "gates.py",
        real_pkg,
        kernel.cwd,  # the grader's folder for this kernel
        Path(kernel.cwd).parent,  # ... and for the others
    ]
    seen = opened(kernel, paths)
    assert all(v != "ok" for v in seen.values()), {k: v for k, v in seen.items() if v == "ok"}
    # the project folder: at most the mount point of the environment it holds (.venv)
    listing = run(
        kernel,
        f"import os\np = {str(ROOT)!r}\nout = sorted(os.listdir(p)) if os.path.isdir(p) else []",
    )
    venv_here = Path(sys.prefix).resolve().parent == ROOT.resolve()
    assert listing in ([], [Path(sys.prefix).name] if venv_here else []), listing
    # every file outside the system and the (read-only) Python installation
    skip = ["/usr", "/etc", "/proc", "/dev", "/sys", *sandbox.roots]
    out = run(
        kernel,
        "import os\nfiles = []\n"
        f"skip = {skip!r}\n"
        "for top in os.listdir('/'):\n"
        "    p = '/' + top\n"
        "    if p in skip or os.path.islink(p):\n"
        "        continue\n"
        "    for d, dirs, names in os.walk(p):\n"
        "        dirs[:] = [x for x in dirs if os.path.join(d, x) not in skip]\n"
        "        files += [os.path.join(d, n) for n in names]\n"
        "out = [files, os.getcwd(), os.listdir('/home/learner')]",
    )
    files, cwd, home = out
    assert cwd == "/home/learner" and home == []
    own = ("/opt/lstm-course/lstm_course/", "/run/kernel/", "/tmp/ipython/", "/tmp/matplotlib/")
    assert [f for f in files if not f.startswith(own)] == []
    assert not any(f.endswith(".ipynb") for f in files)
    assert "/run/kernel/connection.json" in files


def test_system_and_environment_are_read_only(kernel):
    import sysconfig

    paths = ["/usr/lib/x", sys.prefix + "/x", sysconfig.get_paths()["purelib"] + "/x", "/etc/x"]
    code = (
        "out = {}\n"
        f"for p in {paths!r} + ['/opt/lstm-course/lstm_course/gates.py']:\n"
        "    try:\n"
        "        open(p, 'a').close()\n"
        "        out[p] = 'written'\n"
        "    except OSError as e:\n"
        "        out[p] = type(e).__name__\n"
    )
    out = run(kernel, code)
    assert all(v != "written" for v in out.values()), out


def test_the_kernel_imports_the_answer_free_build(kernel):
    body_line = next(line for line in EXERCISES[N].body.splitlines() if line.strip())
    out = run(
        kernel,
        "import inspect, lstm_course, lstm_course.gates as g\n"
        "out = [lstm_course.__file__, inspect.getsource(g.learn_gate)]",
    )
    path, src = out
    assert path.startswith("/opt/lstm-course/")
    assert "raise NotImplementedError" in src
    assert body_line.strip() not in src


def test_no_code_path_in_the_kernel_computes_a_graded_answer(kernel):
    """Every marked or listed function: a NotImplementedError raised and no return statement
    left, except returns that hand over to another stubbed function (checked on the source the
    kernel itself loaded)."""
    funcs = marked_functions() + stubbed_functions()
    names = sorted({q.rsplit(".", 1)[-1] for _, q in funcs})
    assert ("lstm_course.fused", "fused_forward") in funcs
    assert ("lstm_course.torch.gate_lstm", "GateLSTM.forward") in funcs
    code = (
        "import ast, importlib, inspect, textwrap\nout = {}\n"
        f"for mod, qual in {funcs!r}:\n"
        "    obj = importlib.import_module(mod)\n"
        "    for part in qual.split('.'):\n"
        "        obj = getattr(obj, part)\n"
        "    tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))\n"
        "    nodes = list(ast.walk(tree))\n"
        "    returns = [n for n in nodes if isinstance(n, ast.Return) and not (\n"
        "        isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name)\n"
        f"        and n.value.func.id in {names!r})]\n"
        "    raises = [n for n in nodes if isinstance(n, ast.Raise) and "
        "'NotImplementedError' in ast.unparse(n)]\n"
        "    out[mod + '.' + qual] = [len(returns), len(raises)]\n"
    )
    out = run(kernel, code, timeout=120)
    assert len(out) == len(funcs)
    bad = {k: v for k, v in out.items() if v[0] or not v[1]}
    assert not bad, bad


def test_no_network_not_even_the_graders_loopback(kernel):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    try:
        out = run(
            kernel,
            "import socket\nout = {}\n"
            f"for host in ['127.0.0.1', '10.0.0.1']:\n"
            "    s = socket.socket(); s.settimeout(3)\n"
            "    try:\n"
            f"        s.connect((host, {port})); out[host] = 'connected'\n"
            "    except OSError as e:\n"
            "        out[host] = type(e).__name__\n"
            "    finally:\n"
            "        s.close()\n"
            "try:\n"
            "    socket.getaddrinfo('pypi.org', 443); out['dns'] = 'resolved'\n"
            "except OSError as e:\n"
            "    out['dns'] = type(e).__name__\n",
        )
    finally:
        srv.close()
    assert "connected" not in out.values() and out["dns"] != "resolved", out


def test_cannot_see_or_signal_the_grader(kernel):
    out = run(
        kernel,
        "import os\nout = {'pids': sorted(int(p) for p in os.listdir('/proc') if p.isdigit())}\n"
        "try:\n"
        f"    os.kill({os.getpid()}, 0); out['kill'] = 'ok'\n"
        "except OSError as e:\n"
        "    out['kill'] = type(e).__name__\n",
    )
    assert out["kill"] != "ok"
    assert os.getpid() not in out["pids"] and max(out["pids"]) < 100, out["pids"]


def test_output_limits(kernel):
    res = kernel.execute("print('x' * (20 * 2**20))", 120)  # 20 MB printed (limit 16)
    assert res.status == "output-limit" and "output limit" in res.evalue, res
    res = kernel.execute("open('/tmp/big', 'wb').write(b'x' * (80 * 2**20))", 120)  # file 64 MB
    assert res.status == "output-limit", res
    assert kernel.execute("x = 1", 60).ok


# --------------------------------------------------------------------------- limits, end to end


def _rows(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["submission"].split("/")[-2]: r for r in csv.DictReader(fh)}


def _defining(extra: str):
    """A correct notebook whose exercise cell also runs `extra` after the def."""
    nb = fx.correct(L)
    src = nb.cells[fx.exercise_cell(nb, N)].source
    return fx.with_cell(nb, N, src + "\n" + extra)


MARKER = "424242.5"  # a background sleep's argument: findable in /proc


def _survivors(marker: str = MARKER) -> list[int]:
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as fh:
                if marker.encode() in fh.read():
                    found.append(int(p))
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def limited_run(sandbox, tmp_path_factory):
    from lstm_course.grading import Limits, grade_paths

    root = tmp_path_factory.mktemp("limits")
    subs = root / "subs"
    plan = {
        "a_correct": fx.correct(L),
        "memory_bomb": _defining("hog = []\nwhile True:\n    hog.append(bytearray(10**7))\n"),
        "fork_bomb": _defining("import os\nwhile True:\n    os.fork()\n"),
        "background": _defining(
            "import os, subprocess\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            f"    subprocess.Popen(['sleep', '{MARKER}'], start_new_session=True)\n"
            "    os._exit(0)\n"
        ),
        "cpu_hog": _defining("x = 0\nwhile True:\n    x += 1\n"),
        "steals_answer": fx.with_cell(
            fx.correct(L),
            N,
            "import inspect, textwrap, lstm_course.gates as _g\n"
            "exec(textwrap.dedent(inspect.getsource(_g.learn_gate)))\n",
        ),
        "z_correct": fx.correct(L),
    }
    for i, (name, nb) in enumerate(plan.items()):
        nb.cells.append(fx.nbformat.v4.new_markdown_cell(f"learner {i}"))  # distinct files
        fx.write(nb, subs / name / f"{L}.ipynb")
    limits = SandboxLimits(memory_mb=768, cpu_seconds=6, processes=48)  # the hog burns all 6
    run = grade_paths(
        [subs],
        root / "gb.csv",
        jobs=2,
        limits=Limits(120, 300),
        use_cache=False,
        progress=False,
        sandbox_limits=limits,
    )
    time.sleep(1.0)
    return dict(root=root, run=run, rows=_rows(root / "gb.csv"), survivors=_survivors())


def test_memory_bomb_stops_at_the_memory_limit_and_says_so(limited_run):
    row = limited_run["rows"]["memory_bomb"]
    assert row["status"] == "memory-limit" and row["points"] == "0", row
    assert "memory limit" in row["message"]
    (fb,) = (limited_run["root"] / "gb-feedback").rglob(f"memory_bomb/{L}.md")
    fb = fb.read_text(encoding="utf-8")
    assert "memory limit" in fb


def test_fork_bomb_is_stopped(limited_run):
    row = limited_run["rows"]["fork_bomb"]
    assert row["status"] in ("process-limit", "crashed", "timeout"), row
    assert row["points"] == "0"


def test_cpu_hog_stops_at_the_cpu_limit(limited_run):
    row = limited_run["rows"]["cpu_hog"]
    assert row["status"] == "cpu-limit", row
    assert "CPU-time limit" in row["message"]


def test_nothing_outlives_the_kernel(limited_run):
    assert limited_run["rows"]["background"]["status"] == "passed"
    assert limited_run["survivors"] == []


def test_taking_the_answer_earns_nothing_and_classmates_pass(limited_run):
    rows = limited_run["rows"]
    assert rows["steals_answer"]["points"] == "0", rows["steals_answer"]
    assert rows["a_correct"]["status"] == "passed" and rows["z_correct"]["status"] == "passed"


def test_a_hung_setup_cell_is_named_in_the_row_the_column_and_the_feedback(sandbox, tmp_path):
    """The setup cell (imports) of an otherwise correct notebook hangs: it is stopped at the
    cell limit, and the learner and the instructor are told which cell and why, not only
    the NameError it leaves behind."""
    from lstm_course.grading import Limits, grade_paths

    nb = fx.correct(L)
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells[first].source = "import time\ntime.sleep(600)\n" + nb.cells[first].source
    fx.write(nb, tmp_path / "subs" / "hangs" / f"{L}.ipynb")
    fx.write(fx.correct(L), tmp_path / "subs" / "fine" / f"{L}.ipynb")
    grade_paths(
        [tmp_path / "subs"],
        tmp_path / "gb.csv",
        jobs=1,
        limits=Limits(4, 120),
        use_cache=False,
        progress=False,
    )
    rows = _rows(tmp_path / "gb.csv")
    hung, fine = rows["hangs"], rows["fine"]
    assert fine["status"] == "passed" and fine["cell_problems"] == "", fine
    assert hung["points"] == "0" and hung["status"] == "error", hung
    where = f"cell {first + 1} (`import time`)"
    assert hung["cell_problems"] == f"{where}: stopped after 4 s (timeout)", hung
    assert "An earlier cell did not finish" in hung["message"] and where in hung["message"]
    (fb,) = (tmp_path / "gb-feedback").rglob(f"hangs/{L}.md")
    text = fb.read_text(encoding="utf-8")
    assert "## Cells that did not run to their end" in text and where in text


def test_sigterm_leaves_no_process_behind(sandbox, tmp_path):
    marker = "424243.5"
    nb = _defining(
        f"import subprocess\nsubprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"
        "while True:\n    pass\n"
    )
    fx.write(nb, tmp_path / "subs" / "a" / f"{L}.ipynb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "lstm_course", "grade", "subs", "--out", "gb.csv", "--jobs", "1"]
        + ["--timeout", "120", "--no-progress"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not _survivors(marker):
        time.sleep(0.2)
    assert _survivors(marker), "the submission's background process never started"
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _survivors(marker):
        time.sleep(0.2)
    assert _survivors(marker) == []


def test_grader_refuses_without_a_sandbox_unless_told(tmp_path):
    fx.write(fx.correct(L), tmp_path / "subs" / "a" / f"{L}.ipynb")
    env = {**os.environ, "LSTM_COURSE_BWRAP": str(tmp_path / "no-bwrap-here")}
    cmd = [sys.executable, "-m", "lstm_course", "grade", "subs", "--out", "gb.csv"]
    proc = subprocess.run(
        cmd + ["--no-progress"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "refusing to grade without a sandbox" in proc.stderr
    assert "--unsafe-no-sandbox" in proc.stderr
    assert not (tmp_path / "gb.csv").exists()
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_course", "check", f"subs/a/{L}.ipynb"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "--unsafe-no-sandbox" in proc.stderr


def test_a_lessons_build_keeps_only_what_the_lesson_hands_over(tmp_path):
    """Lesson 05's lstm_cell calls the package's gates: its kernels get them; lstm_cell,
    lstm_forward and everything bigger stay stubs. Lesson 01's kernels get no gate at all."""
    from lstm_course.answer_free import build_answer_free, handed_over

    assert handed_over("05_lstm_cell") >= {"learn_gate", "forget_gate", "use_gate"}
    assert not handed_over("05_lstm_cell") & {"lstm_cell", "lstm_forward", "lstm_cell_forward"}
    assert handed_over(L) == set()
    pkg = build_answer_free(tmp_path / "b05", keep=handed_over("05_lstm_cell"))
    gates, cell = (pkg / "gates.py").read_text(), (pkg / "cell.py").read_text()
    learn_line = next(x for x in EXERCISES[N].body.splitlines() if x.strip())
    cell_line = next(x for x in EXERCISES["lstm_cell"].body.splitlines() if x.strip())
    assert learn_line.strip() in gates and cell_line.strip() not in cell
    pkg = build_answer_free(tmp_path / "all")
    assert learn_line.strip() not in (pkg / "gates.py").read_text()


@pytest.mark.parametrize("way", ["bwrap-per-kernel", "forked-from-template"])
def test_a_lesson_05_kernel_has_the_gates_but_not_the_cell(sandbox, tmp_path, way):
    from lstm_course.grading.kernel_runner import Kernel, KernelPool

    pool = None
    if way == "bwrap-per-kernel":
        k = Kernel(sandbox=sandbox, tmp_root=str(tmp_path), lesson="05_lstm_cell")
    else:
        if not sandbox.privileged:
            pytest.skip("kernels are forked from a template only when the grader runs as root")
        pool = KernelPool(size=0, sandbox=sandbox, fork=True, tmp_root=str(tmp_path))
        k = pool.take("01_learn_gate").shutdown() or pool.take("05_lstm_cell")
        assert k.template is not None
    try:
        assert k.ready()
        out = run(
            k,
            "import inspect, os, lstm_course.gates as g, lstm_course.cell as c\n"
            "out = [inspect.getsource(g.learn_gate), inspect.getsource(c.lstm_cell),"
            " [f for d, _, fs in os.walk('/opt') for f in fs if 'lstm_course' not in d]]",
        )
    finally:
        k.shutdown()
        if pool is not None:
            pool.close()
    learn_line = next(x for x in EXERCISES[N].body.splitlines() if x.strip())
    cell_line = next(x for x in EXERCISES["lstm_cell"].body.splitlines() if x.strip())
    gates_src, cell_src, stray = out
    assert learn_line.strip() in gates_src
    assert cell_line.strip() not in cell_src and "NotImplementedError" in cell_src
    assert stray == []
