"""Fixtures for the browser tests: one JupyterLab server and one Chromium for the whole session.

Without a browser (no Chromium, or no Playwright) the tests are SKIPPED with the reason, except
when the environment variable CI is set (CI=true, as CI services set it): there a missing
browser is a FAILURE, so CI can never pass without having run them.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import lab_harness  # noqa: E402
from lab_fixtures import ARTIFACTS, NOTEBOOKS, REPO, SCREENSHOTS, write_fixtures  # noqa: E402

# What each test's report says, gathered for the summary at the end. Tests put it in their
# user_properties (as BROWSER_REPORT), which pytest-xdist carries from its workers to the process
# that writes the summary (with `-n 2` each worker has its own server and browser).
BROWSER_REPORT = "lstm_course_browser_report"
_timings: dict[str, dict[str, float]] = {}
_sliders: dict[str, str] = {}
_plots: dict[str, list[tuple[str, str]]] = {}
_ignored: set[str] = set()
_stderr: set[str] = set()
_session_timings: dict[str, dict[str, float]] = {}  # this process's server start and page load


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_browser() -> None:
    """Skip (or, under CI, fail) when this machine cannot run the browser tests."""
    reason = lab_harness.browser_unavailable_reason()
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"browser tests cannot run and CI is set (a skip is not allowed): {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def lab_root():
    """A temporary directory served by JupyterLab: a copy of notebooks/ and the fixtures.

    A copy, so that running the notebooks never writes outputs into the repository.
    """
    root = Path(tempfile.mkdtemp(prefix="lstm-course-lab-root-"))
    if NOTEBOOKS.is_dir():
        shutil.copytree(
            NOTEBOOKS, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
        )
    write_fixtures(root / "fixtures")
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def lab_server(request, lab_root):
    require_browser()
    server = lab_harness.LabServer(lab_root)
    request.addfinalizer(server.cleanup)  # stops the process group even when a test fails
    t0 = time.monotonic()
    server.start()
    _session_timings["(server start)"] = {"total": round(time.monotonic() - t0, 2)}
    return server


@pytest.fixture(scope="session")
def chromium(request, lab_server):
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    request.addfinalizer(pw.stop)
    browser = lab_harness.launch_browser(pw)
    request.addfinalizer(browser.close)
    return browser


@pytest.fixture(scope="session")
def lab_session(request, chromium, lab_server):
    """One page running JupyterLab for the whole session; notebooks open in it one at a time."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    request.addfinalizer(context.close)
    session = lab_harness.LabSession(context.new_page(), lab_server)
    t0 = time.monotonic()
    session.ensure()
    _session_timings["(JupyterLab page load)"] = {"total": round(time.monotonic() - t0, 2)}
    return session


@pytest.fixture
def lab(request, lab_session, lab_server):
    """The session's JupyterLab; after each test every notebook is closed and kernel stopped."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    for name, t in _session_timings.items():  # reported once, with the first test that used it
        label = f"{name} {worker}".strip()
        request.node.user_properties.append((BROWSER_REPORT, {"name": label, "timings": t}))
    _session_timings.clear()
    yield lab_session
    lab_session.close_all()
    lab_server.shutdown_kernels(wait=False)


@pytest.fixture
def record_timings(request):
    def record(name: str, report) -> None:
        request.node.user_properties.append(
            (
                BROWSER_REPORT,
                {
                    "name": name,
                    "timings": {k: round(v, 2) for k, v in report.timings.items()},
                    "sliders": "; ".join(report.sliders_moved) or report.slider_moved or "-",
                    "plots": [list(p) for p in report.plots],
                    "ignored": list(report.ignored_console),
                    "stderr": [f"{name}: {text[:200]!r}" for text in report.stderr],
                },
            )
        )

    return record


def pytest_runtest_logreport(report):
    """Gather the BROWSER_REPORTs (in the main process, also when the tests ran in workers)."""
    if report.when != "teardown":  # the last report of a test carries all its properties
        return
    for key, value in report.user_properties:
        if key != BROWSER_REPORT:
            continue
        name = value["name"]
        _timings[name] = value["timings"]
        if "sliders" in value:
            _sliders[name] = value["sliders"]
            _plots[name] = [tuple(p) for p in value["plots"]]
            _ignored.update(value["ignored"])
            _stderr.update(value["stderr"])


def pytest_terminal_summary(terminalreporter):
    if not _timings:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-timings.json").write_text(json.dumps(_timings, indent=2))
    tr = terminalreporter
    tr.section("browser test timings (s)")
    cols = ("open", "run", "widgets", "slider", "screenshot", "total")
    tr.write_line(f"{'notebook':32s}" + "".join(f"{c:>11s}" for c in cols))
    for name, t in _timings.items():
        tr.write_line(f"{name:32s}" + "".join(f"{t.get(c, 0):11.1f}" for c in cols))
    tr.write_line("slider moved per notebook:")
    for name, desc in _sliders.items():
        tr.write_line(f"  {name:30s} {desc}")
    tr.write_line("widget plots checked (decoded PNGs: lab_harness.plot_problem):")
    for name, plots in _plots.items():
        for where, desc in plots:
            tr.write_line(f"  {name:30s} {where:16s} {desc}")
    if _ignored:
        tr.write_line("console errors ignored by the allow-list (lab_harness.CONSOLE_ALLOW):")
        for text in sorted(_ignored):
            tr.write_line(f"  {text[:300]}")
    if _stderr:
        tr.write_line("stderr shown without a traceback (a warning? not a failure):")
        for text in sorted(_stderr):
            tr.write_line(f"  {text}")
    tr.write_line(f"screenshots in {SCREENSHOTS.relative_to(REPO)}/")
