"""Every student notebook, run in JupyterLab in headless Chromium, the way a learner meets it.

For each notebook in notebooks/: open it, run all cells, wait for the kernel to go idle, then
no cell shows an error, every widget renders, moving one slider of each widget changes what it
displays, every widget plot is drawn (the PNG is decoded: not blank, not axes without data, not
half-rendered; before and after the move), and the browser console has no error. The harness
itself is tested on fixture notebooks that must pass (`good`) or must fail (a raising widget
callback, a widget that never renders, a blank or half-drawn widget plot, ...).
"""

from __future__ import annotations

import re

import pytest
from lab_fixtures import (
    DEFAULT_FIXTURE_TIMEOUTS,
    EXPECTED_PROBLEM,
    FIXTURE_TIMEOUTS,
    PLOTS,
    SCREENSHOTS,
    student_notebooks,
)

pytestmark = pytest.mark.browser

NOTEBOOKS = student_notebooks()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_notebook_in_lab(notebook, lab, record_timings):
    report = lab.check(
        f"notebooks/{notebook.name}",
        run_timeout=600,
        widget_timeout=60,
        change_timeout=60,
        screenshot=SCREENSHOTS / f"{notebook.stem}.png",
        plot_dump=PLOTS,
    )
    record_timings(notebook.stem, report)
    assert report.ok, report.summary()


def test_student_notebooks_exist():
    if not NOTEBOOKS:
        pytest.skip("no student notebooks in notebooks/ yet: nothing to open in the browser")


def test_harness_passes_a_good_notebook(lab, record_timings):
    report = lab.check(
        "fixtures/good.ipynb",
        screenshot=SCREENSHOTS / "fixture-good.png",
        plot_dump=PLOTS,
    )
    record_timings("fixture: good", report)
    assert report.ok, report.summary()
    assert report.widgets == 2
    assert report.slider_moved
    assert len(report.sliders_moved) == 2, report.sliders_moved  # one slider in each widget
    # the interact's plot was decoded and found drawn, before and after its slider moved
    assert [where for where, _ in report.plots] == ["cell 2 before", "cell 2 after"], report.plots


@pytest.mark.parametrize("fixture", sorted(EXPECTED_PROBLEM))
def test_harness_reports_a_broken_notebook(fixture, lab, record_timings):
    """The suite can fail: each broken fixture must be reported, with the right diagnosis."""
    report = lab.check(
        f"fixtures/{fixture}.ipynb",
        max_sliders=1,
        **FIXTURE_TIMEOUTS.get(fixture, DEFAULT_FIXTURE_TIMEOUTS),
    )
    record_timings(f"fixture: {fixture}", report)
    assert not report.ok, f"the harness found nothing wrong with fixtures/{fixture}.ipynb"
    problems = "\n".join(report.problems)
    assert re.search(EXPECTED_PROBLEM[fixture], problems), problems
