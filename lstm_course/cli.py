"""`lstm-course`: the course's command line (also `python -m lstm_course`).

    lstm-course release [--solutions DIR] [--out DIR] [--check]
    lstm-course execute NOTEBOOK...                 refresh a solution notebook's stored outputs
    lstm-course grade SUBMISSION... --out gradebook.csv [--jobs N] [--timeout S] ...
    lstm-course check NOTEBOOK                      a learner's self-check of a saved notebook
    lstm-course report GRADEBOOK [--out report.html]   class report (HTML + Markdown twin)
    lstm-course export GRADEBOOK --out FILE [--format canvas|totals] [--roster CSV]
    lstm-course build-answer-free OUT_DIR           the package with every answer stubbed

Exit status: 0 done (for `check`: every exercise passes), 1 something to report (`release
--check` out of sync, `check` not all passed, a notebook failed to execute), 2 bad usage or a
missing file, 130 interrupted (grade keeps every finished submission's rows).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

__all__ = ["main", "build_parser"]


class CLIError(Exception):
    """A user-facing error: printed as 'lstm-course: error: ...', exit status 2."""


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text!r}")
    return value


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lstm-course", description="Release, execute and grade the lstm_course notebooks."
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    r = sub.add_parser(
        "release",
        help="write the student notebooks from solutions/",
        description="Write student notebooks from the solution notebooks: "
        "solution regions replaced by stubs, outputs cleared, metadata clean.",
    )
    r.add_argument(
        "--solutions",
        default="solutions",
        metavar="DIR",
        help="folder of solution notebooks (default: solutions)",
    )
    r.add_argument(
        "--out",
        default="notebooks",
        metavar="DIR",
        help="folder for the student notebooks (default: notebooks)",
    )
    r.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing the notebooks that are out of sync",
    )

    e = sub.add_parser(
        "execute",
        help="re-execute solution notebooks in place (refresh outputs)",
        description="Run each notebook top to bottom in a fresh kernel (working "
        "folder: the notebook's) and save it with its new outputs.",
    )
    e.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    e.add_argument(
        "--timeout",
        type=_positive_float,
        default=600,
        metavar="SECONDS",
        help="per-cell time limit (default: 600)",
    )

    g = sub.add_parser(
        "grade",
        help="grade learner notebooks into a gradebook CSV",
        description="Grade learner notebooks (files or folders of .ipynb), each "
        "in a fresh kernel, judged outside the learner's process.",
    )
    g.add_argument(
        "submissions",
        nargs="+",
        metavar="SUBMISSION",
        help="notebook files or folders (searched recursively for .ipynb)",
    )
    g.add_argument("--out", required=True, metavar="CSV", help="the gradebook to write")
    g.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=min(4, os.cpu_count() or 1),
        metavar="N",
        help="submissions graded at the same time (default: CPUs, max 4)",
    )
    g.add_argument(
        "--timeout",
        type=_positive_float,
        default=30.0,
        metavar="SECONDS",
        help="time limit per cell and per exercise's tests (default: 30)",
    )
    g.add_argument(
        "--notebook-timeout",
        type=_positive_float,
        default=300.0,
        metavar="SECONDS",
        help="time limit for one whole submission (default: 300)",
    )
    g.add_argument(
        "--lesson",
        metavar="NOTEBOOK",
        help="only accept this lesson, e.g. 01_learn_gate (others: invalid-notebook)",
    )
    g.add_argument(
        "--feedback",
        metavar="DIR",
        help="folder for the feedback files (default: next to the CSV, <name>-feedback/)",
    )
    g.add_argument(
        "--no-cache",
        action="store_true",
        help="grade everything again, even submissions graded before",
    )
    g.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run the kernels WITHOUT the bubblewrap sandbox: learners' code gets your "
        "permissions and can read the answers (only where no sandbox can be had)",
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on a Dask cluster: the scheduler's address (tcp://HOST:PORT) or its "
        "scheduler file; each Dask worker thread grades one submission at a time in "
        "sandboxed kernels (needs: pip install 'lstm_course[cluster]'; --jobs is then "
        "the cluster's threads)",
    )
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--quiet", "-q", action="store_true", help="no summary table")

    c = sub.add_parser(
        "check",
        help="self-check one saved notebook (what the grader will say)",
        description="Grade one saved notebook exactly as the instructor's grader "
        "does and print the result. Save the notebook first.",
    )
    c.add_argument("notebook", metavar="NOTEBOOK")
    c.add_argument(
        "--timeout",
        type=_positive_float,
        default=30.0,
        metavar="SECONDS",
        help="time limit per cell and per exercise's tests (default: 30)",
    )
    c.add_argument("--notebook-timeout", type=_positive_float, default=300.0, metavar="SECONDS")
    c.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run the notebook WITHOUT the bubblewrap sandbox (where none can be had)",
    )

    rp = sub.add_parser(
        "report",
        help="a class report from a gradebook (HTML with plots + Markdown)",
        description="Per exercise: pass rate, score distribution, difficulty and "
        "discrimination, statuses, and the most common diagnoses (the check messages of the "
        "rows that did not pass, grouped and counted). Writes an HTML page (plots embedded) "
        "and a Markdown twin next to it.",
    )
    rp.add_argument("gradebook", metavar="GRADEBOOK", help="a gradebook CSV written by grade")
    rp.add_argument(
        "--out",
        metavar="HTML",
        help="the HTML file (default: report.html next to the gradebook); the Markdown twin "
        "is the same name with .md",
    )

    x = sub.add_parser(
        "export",
        help="per-student totals, or a gradebook CSV for an LMS (Canvas)",
        description="Sum each student's points per assignment and write them for an LMS: "
        "--format canvas writes Canvas's gradebook CSV (Student, ID, SIS User ID, SIS Login "
        "ID, Section, one column per assignment); --format totals a plain "
        "student,assignment,points,max_points table.",
    )
    x.add_argument("gradebook", metavar="GRADEBOOK", help="a gradebook CSV written by grade")
    x.add_argument("--out", required=True, metavar="FILE", help="the CSV to write")
    x.add_argument("--format", choices=("canvas", "totals"), default="canvas")
    x.add_argument(
        "--roster",
        metavar="CSV",
        help="Canvas students (e.g. Canvas's own gradebook export): columns Student, ID, SIS "
        "User ID, SIS Login ID, Section; matched to the gradebook's student ids",
    )

    a = sub.add_parser(
        "build-answer-free",
        help="write the answer-free build of the package",
        description="Copy the lstm_course package to OUT_DIR/lstm_course with every marked "
        "answer (the code between # BEGIN SOLUTION and # END SOLUTION) replaced by a stub. "
        "Put OUT_DIR first on PYTHONPATH (or install it) where learners must not read answers.",
    )
    a.add_argument("out", metavar="OUT_DIR")
    return p


# --------------------------------------------------------------------------- commands


def cmd_release(args) -> int:
    from .release import MarkerError, out_of_sync, release, sync_answers

    solutions = Path(args.solutions)
    if not solutions.is_dir():
        raise CLIError(f"no such folder: {solutions}")
    if not any(solutions.glob("*.ipynb")):
        raise CLIError(f"no .ipynb files in {solutions}")
    try:
        if args.check:
            problems = sync_answers(solutions, check=True) + out_of_sync(solutions, args.out)
            if problems:
                print(
                    f"{args.out}/ is out of sync with {solutions}/ "
                    f"(run: lstm-course release --out {args.out}):"
                )
                for line in problems:
                    print(f"  {line}")
                return 1
            print(f"{args.out}/ is in sync with {solutions}/")
            return 0
        for line in sync_answers(solutions):
            print(f"updated {line.split(':')[0]} ({line.split(': ', 1)[1]}): re-execute it")
        written = release(solutions, args.out)
    except MarkerError as exc:
        raise CLIError(str(exc)) from None
    for path in written:
        print(f"wrote {path}")
    return 0


def _safe_widget_registry() -> dict:
    """nbclient's widget registry, its Output-widget stand-in made safe for the shell channel.

    The stand-in sends a ``comm_msg`` on the shell channel for every output a cell routes into
    an Output widget, while nbclient waits on that channel for the cell's ``execute_reply``.
    jupyter_client sends it raw on the asyncio socket (``Session.send`` shadows it), which can
    swallow the socket's wake-up for a reply that arrives meanwhile: the reply then sits
    unread until the cell timeout (jupyter/nbclient#312; "Notebook execution hangs" in
    README.md). Reading ZMQ_EVENTS through the asyncio socket after each send
    makes it look again, as pyzmq does after its own sends."""
    import zmq
    from nbclient.output_widget import OutputWidget

    class ShellSafeOutputWidget(OutputWidget):
        def _publish_msg(self, *args, **kwargs):
            super()._publish_msg(*args, **kwargs)
            self.kernel_client.shell_channel.socket.get(zmq.EVENTS)

    return {"@jupyter-widgets/output": {"OutputModel": ShellSafeOutputWidget}}


def cmd_execute(args) -> int:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    paths = [Path(n) for n in args.notebooks]
    for path in paths:
        if not path.is_file():
            raise CLIError(f"no such file: {path}")
    failed = 0
    for path in paths:
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as exc:  # noqa: BLE001
            print(f"{path}: not a readable notebook ({type(exc).__name__}: {exc})", file=sys.stderr)
            failed += 1
            continue
        client = NotebookClient(
            nb,
            timeout=args.timeout,
            kernel_name="python3",
            record_timing=False,  # no timestamps in the stored notebook: clean diffs
            resources={"metadata": {"path": str(path.parent or ".")}},
        )
        client.widget_registry = _safe_widget_registry()  # a plain attribute, set in __init__
        try:
            client.execute()
        except CellExecutionError as exc:
            print(f"{path}: a cell failed; not saved\n{exc}", file=sys.stderr)
            failed += 1
            continue
        from .release import dumps

        tmp = path.with_suffix(".ipynb.tmp")
        tmp.write_text(dumps(nb), encoding="utf-8")
        tmp.replace(path)
        print(f"executed {path}")
    return 1 if failed else 0


UNSAFE_WARNING = (
    "warning: --unsafe-no-sandbox: the notebooks run WITHOUT the sandbox, with your "
    "permissions, and can read the answers"
)


def cmd_grade(args) -> int:
    from .grading.cluster import DaskUnavailable
    from .grading.engine import grade_paths
    from .grading.gradebook import NotAGradebook
    from .grading.notebook import Limits
    from .grading.sandbox import SandboxUnavailable
    from .grading.submissions import MissingPath
    from .grading.summary import summary_text

    limits = Limits(args.timeout, max(args.notebook_timeout, args.timeout))
    out = Path(args.out)
    if args.unsafe_no_sandbox:
        print(UNSAFE_WARNING, file=sys.stderr)
    if out.is_dir():
        raise CLIError(f"--out must be a CSV file name, not a folder: {out}")
    try:
        run = grade_paths(
            args.submissions,
            out,
            jobs=args.jobs,
            limits=limits,
            lesson=args.lesson,
            use_cache=not args.no_cache,
            feedback_dir=args.feedback,
            progress=not args.no_progress,
            sandbox=not args.unsafe_no_sandbox,
            scheduler=args.scheduler,
        )
    except (MissingPath, NotAGradebook, DaskUnavailable) as exc:
        raise CLIError(str(exc)) from None
    except SandboxUnavailable as exc:
        raise CLIError(f"refusing to grade without a sandbox: {exc}") from None
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: the rows of every finished submission are in {out}; run the "
            "same command again to grade the rest",
            file=sys.stderr,
        )
        return 130
    if not run.n_submissions:
        print("no notebooks found (nothing to grade)", file=sys.stderr)
    if not args.quiet:
        # this run's submissions only (the gradebook may hold earlier batches too)
        ids = {*run.graded, *run.from_cache, *run.invalid}
        print(summary_text([r for r in run.rows if r["submission"] in ids], run.n_submissions))
        kept = len({r["submission"] for r in run.rows} - ids)
        print(
            f"\n{len(run.graded)} graded, {len(run.from_cache)} from the cache, "
            f"{len(run.invalid)} invalid, in {run.seconds:.1f} s; gradebook: {out}"
            + (f" (also holds {kept} earlier submission(s), kept)" if kept else "")
        )
    return 0


def cmd_check(args) -> int:
    from .grading.kernel_runner import Kernel
    from .grading.notebook import Limits, grade_notebook, invalid_rows
    from .grading.submissions import load_submission
    from .grading.summary import check_report

    path = Path(args.notebook)
    if not path.is_file():
        raise CLIError(f"no such file: {path}")
    sub = load_submission(path)
    if not sub.valid:
        rows = invalid_rows(sub)
    else:
        sandbox = None
        if args.unsafe_no_sandbox:
            print(UNSAFE_WARNING, file=sys.stderr)
        else:
            from .grading.sandbox import Sandbox, sandbox_problem

            problem = sandbox_problem()
            if problem:
                raise CLIError(f"refusing to run the notebook without a sandbox: {problem}")
            sandbox = Sandbox()
        print(f"checking {path} in a fresh kernel ...", file=sys.stderr)
        kernel = Kernel(sandbox=sandbox, lesson=sub.lesson)
        try:
            rows = grade_notebook(sub, kernel, Limits(args.timeout, args.notebook_timeout))
        finally:
            kernel.shutdown()
            if sandbox is not None:
                sandbox.close()
    print(check_report(sub.id, rows))
    return 0 if rows and all(r["status"] == "passed" for r in rows) else 1


def cmd_report(args) -> int:
    from .grading.gradebook import NotAGradebook
    from .grading.report import write_report

    try:
        html_path, md_path = write_report(args.gradebook, args.out)
    except NotAGradebook as exc:
        raise CLIError(str(exc)) from None
    print(f"wrote {html_path} and {md_path}")
    return 0


def cmd_export(args) -> int:
    from .grading.gradebook import NotAGradebook, atomic_write_text, read_gradebook
    from .grading.lms import canvas_csv, read_roster, totals_csv

    out = Path(args.out)
    if out.is_dir():
        raise CLIError(f"--out must be a file name, not a folder: {out}")
    try:
        rows = read_gradebook(args.gradebook)
        if args.format == "totals":
            if args.roster:
                raise CLIError("--roster is for --format canvas")
            text, unmatched = totals_csv(rows), []
        else:
            roster = read_roster(args.roster) if args.roster else None
            text, unmatched = canvas_csv(rows, roster)
    except NotAGradebook as exc:
        raise CLIError(str(exc)) from None
    atomic_write_text(out, text)
    n = max(0, text.count("\n") - (2 if args.format == "canvas" else 1))
    print(f"wrote {out} ({args.format}, {n} row(s))")
    if unmatched:
        print(
            f"warning: {len(unmatched)} student(s) not in the roster (exported by their id "
            f"only, Canvas will not match them): {', '.join(unmatched[:20])}"
            + (" ..." if len(unmatched) > 20 else ""),
            file=sys.stderr,
        )
    return 0


def cmd_build_answer_free(args) -> int:
    from .answer_free import build_answer_free

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"{out} exists and is not a folder")
    target = build_answer_free(out)
    print(f"wrote {target} (every marked answer stubbed)")
    return 0


COMMANDS = {
    "release": cmd_release,
    "execute": cmd_execute,
    "grade": cmd_grade,
    "check": cmd_check,
    "report": cmd_report,
    "export": cmd_export,
    "build-answer-free": cmd_build_answer_free,
}


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("grade", "check") and threading.current_thread() is threading.main_thread():
        # SIGTERM stops like Ctrl-C: finished rows kept, workers and their sandboxes killed
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return COMMANDS[args.command](args)
    except CLIError as exc:
        parser.exit(2, f"{parser.prog} {args.command}: error: {exc}\n")
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: say so in one line (traceback on request)
        if os.environ.get("LSTM_COURSE_DEBUG"):
            raise
        parser.exit(
            1,
            f"{parser.prog} {args.command}: internal error: {type(exc).__name__}: "
            f"{exc}\n(set LSTM_COURSE_DEBUG=1 to see the traceback)\n",
        )


if __name__ == "__main__":
    sys.exit(main())
