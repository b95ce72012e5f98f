"""Batch grading throughput: `lstm-course grade --jobs 2` vs executing the same notebooks
serially with nbclient (what nbgrader's autograde step does: every cell, one kernel each).

    python benchmarks/bench_grading.py                 # 30 submissions, --jobs 2
    python benchmarks/bench_grading.py -n 60 --jobs 2 --json results.json
    python benchmarks/bench_grading.py --correct-only --skip-nbclient   # the sandbox's target
    python benchmarks/bench_grading.py --correct-only --dask --rounds 2   # Dask vs local

Submissions are built from solutions/ (correct answers and catalogued mistakes, each file
distinct so the content-hash cache cannot help; the cache is off anyway). Timings, on the
same files, in one run: the grader as instructors run it (every kernel in its own bubblewrap
sandbox), then without the sandbox (--unsafe-no-sandbox) with its fork-server kernels and with
ordinarily launched kernels, and nbclient serially. The CPU load of the machine
while each ran is printed next to it (1-minute load average): compare ratios taken in one run.
Not a test; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def build(n: int, folder: Path, correct_only: bool = False) -> list[Path]:
    import grading_fixtures as fx

    from lstm_course.exercises import EXERCISES

    lessons = fx.available_lessons()
    if not lessons:
        raise SystemExit("no solution notebooks with exercises in solutions/")
    plan = []
    for lesson, names in sorted(lessons.items()):
        plan.append(("correct", lesson, None, None))
        for name in [] if correct_only else names:
            plan += [("mistake", lesson, name, m) for m in EXERCISES[name].mistakes]
    # interleave lessons so the sample is a class's mix, not one lesson first
    by_lesson: dict[str, list] = {}
    for item in plan:
        by_lesson.setdefault(item[1], []).append(item)
    order = []
    while any(by_lesson.values()):
        for k in sorted(by_lesson):
            if by_lesson[k]:
                order.append(by_lesson[k].pop(0))
    paths = []
    for i in range(n):
        kind, lesson, name, m = order[i % len(order)]
        nb = fx.correct(lesson) if kind == "correct" else fx.mistake(lesson, name, m)
        nb.cells.append(fx.nbformat.v4.new_markdown_cell(f"learner {i}"))  # distinct files
        paths.append(fx.write(nb, folder / f"learner{i:03d}" / f"{lesson}.ipynb"))
    return paths


def load() -> float:
    return os.getloadavg()[0]


def time_grader(
    folder: Path, jobs: int, fork: bool, sandbox: bool = False, scheduler: str | None = None
) -> dict:
    from lstm_course.grading import Limits, grade_paths

    kind = ("sandbox-" if sandbox else "") + ("fork" if fork else "plain")
    kind += "-dask" if scheduler else ""
    out = folder.parent / f"gradebook-{kind}.csv"
    start, cpu0 = time.perf_counter(), os.times()
    run = grade_paths(
        [folder],
        out,
        jobs=jobs,
        limits=Limits(60, 600),
        use_cache=False,
        progress=False,
        fork=fork,
        sandbox=sandbox,
        scheduler=scheduler,
    )
    wall = time.perf_counter() - start
    cpu1 = os.times()
    statuses: dict[str, int] = {}
    for r in run.rows:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    return {
        "seconds": wall,
        "per_minute": 60 * run.n_submissions / wall,
        "children_cpu_s": (cpu1.children_user + cpu1.children_system)
        - (cpu0.children_user + cpu0.children_system),
        "statuses": statuses,
        "load": load(),
    }


def time_nbclient(paths: list[Path]) -> dict:
    import nbformat
    from nbclient import NotebookClient

    start = time.perf_counter()
    failures = 0
    each = []
    for p in paths:
        t0 = time.perf_counter()
        nb = nbformat.read(p, as_version=4)
        try:
            NotebookClient(
                nb,
                timeout=120,
                startup_timeout=120,
                kernel_name="python3",
                allow_errors=True,
                resources={"metadata": {"path": str(p.parent)}},
            ).execute()
        except Exception as exc:  # noqa: BLE001 - counted, not fatal
            failures += 1
            print(f"  nbclient: {p.parent.name}: {type(exc).__name__}", file=sys.stderr)
        each.append(time.perf_counter() - t0)
    wall = time.perf_counter() - start
    each.sort()
    median = each[len(each) // 2]
    return {
        "seconds": wall,
        "per_minute": 60 * len(paths) / wall,
        "load": load(),
        "failures": failures,
        "median_notebook_s": median,
        "max_notebook_s": each[-1],
        "per_minute_at_median": 60 / median,
    }


def dask_vs_local(args) -> dict:
    """Local `--jobs N` and the Dask path (N workers, one thread each) on the same files,
    alternating; the cluster is started once, before the first round (not timed)."""
    from dask_cluster import local_cluster

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        folder = Path(tmp) / "subs"
        paths = build(args.n, folder, args.correct_only)
        print(f"{len(paths)} submissions, {os.cpu_count()} CPUs, load before: {load():.1f}")
        res = {"n": len(paths), "jobs": args.jobs, "local": [], "dask": []}
        with local_cluster(Path(tmp) / "dask", workers=args.jobs) as sched:
            for _ in range(args.rounds):
                for kind in ("local", "dask"):
                    r = time_grader(
                        folder, args.jobs, True, True, str(sched) if kind == "dask" else None
                    )
                    res[kind].append(r)
                    print(
                        f"{kind:5s}: {r['seconds']:.1f} s, {r['per_minute']:.1f} "
                        f"submissions/min (load {r['load']:.1f}) {r['statuses']}"
                    )
        best = {k: max(r["per_minute"] for r in res[k]) for k in ("local", "dask")}
        print(f"Dask / local throughput (best of each): {best['dask'] / best['local']:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=30, help="submissions (default 30)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-nbclient", action="store_true")
    ap.add_argument("--skip-plain", action="store_true", help="skip the runs with launched kernels")
    ap.add_argument(
        "--correct-only", action="store_true", help="only correct answers (each lesson in turn)"
    )
    ap.add_argument("--skip-unsafe", action="store_true", help="only the sandboxed run (+nbclient)")
    ap.add_argument(
        "--dask",
        action="store_true",
        help="only: the sandboxed grader locally (--jobs N) against the same on a Dask cluster "
        "started here (dask scheduler + N dask workers of one thread), alternating",
    )
    ap.add_argument("--rounds", type=int, default=1, help="--dask: alternations (default 1)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    if args.dask:
        return dask_vs_local(args)
    os.environ.setdefault("MPLBACKEND", "Agg")

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        folder = Path(tmp) / "subs"
        paths = build(args.n, folder, args.correct_only)
        print(
            f"{len(paths)} submissions from solutions/, {os.cpu_count()} CPUs, "
            f"load before: {load():.1f}"
        )
        res = {"n": len(paths), "jobs": args.jobs, "cpus": os.cpu_count()}
        res["grader_sandbox"] = time_grader(folder, args.jobs, fork=True, sandbox=True)
        print(
            f"lstm-course grade --jobs {args.jobs} (sandboxed kernels): "
            f"{res['grader_sandbox']['seconds']:.1f} s, "
            f"{res['grader_sandbox']['per_minute']:.1f} submissions/min "
            f"(load {res['grader_sandbox']['load']:.1f}) {res['grader_sandbox']['statuses']}"
        )
        if not args.skip_plain:
            res["grader_sandbox_plain"] = time_grader(folder, args.jobs, fork=False, sandbox=True)
            r = res["grader_sandbox_plain"]
            print(
                f"lstm-course grade --jobs {args.jobs} (sandboxed, one bwrap + launched kernel "
                f"each, the non-root path): {r['seconds']:.1f} s, {r['per_minute']:.1f} "
                f"submissions/min (load {r['load']:.1f})"
            )
        if not args.skip_unsafe:
            res["grader_fork"] = time_grader(folder, args.jobs, fork=True)
            print(
                f"lstm-course grade --jobs {args.jobs} --unsafe-no-sandbox (fork-server kernels): "
                f"{res['grader_fork']['seconds']:.1f} s, "
                f"{res['grader_fork']['per_minute']:.1f} submissions/min "
                f"(load {res['grader_fork']['load']:.1f}) {res['grader_fork']['statuses']}"
            )
        if not args.skip_plain and not args.skip_unsafe:
            res["grader_plain"] = time_grader(folder, args.jobs, fork=False)
            print(
                f"lstm-course grade --jobs {args.jobs} (ordinary kernel launch): "
                f"{res['grader_plain']['seconds']:.1f} s, "
                f"{res['grader_plain']['per_minute']:.1f} submissions/min "
                f"(load {res['grader_plain']['load']:.1f})"
            )
        if not args.skip_nbclient:
            res["nbclient_serial"] = time_nbclient(paths)
            print(
                f"nbclient, serial, every cell (nbgrader autograde's way): "
                f"{res['nbclient_serial']['seconds']:.1f} s, "
                f"{res['nbclient_serial']['per_minute']:.1f} submissions/min "
                f"(load {res['nbclient_serial']['load']:.1f})"
            )
            nbc = res["nbclient_serial"]
            print(
                f"  per notebook: median {nbc['median_notebook_s']:.1f} s "
                f"({nbc['per_minute_at_median']:.1f}/min at the median), "
                f"slowest {nbc['max_notebook_s']:.1f} s"
            )
            ratio = res["grader_sandbox"]["per_minute"] / nbc["per_minute"]
            ratio_median = res["grader_sandbox"]["per_minute"] / nbc["per_minute_at_median"]
            print(
                f"speed-up over nbclient: {ratio:.1f}x ({ratio_median:.1f}x against its "
                "median notebook)"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")
    return res


if __name__ == "__main__":
    main()
