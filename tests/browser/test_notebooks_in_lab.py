"""Every student notebook, run in JupyterLab in headless Chromium, the way a learner meets it.

For each notebook in notebooks/: open it, run all cells, wait for the kernel to go idle, then
no cell shows an error, every widget renders, moving one slider changes what is displayed, and
the browser console has no error. The harness itself is tested on fixture notebooks that must
pass (`good`) or must fail (a raising widget callback, a widget that never renders, ...).
"""

from __future__ import annotations

import re

import pytest
from lab_fixtures import EXPECTED_PROBLEM, SCREENSHOTS, student_notebooks
from lab_harness import check_notebook

pytestmark = pytest.mark.browser

NOTEBOOKS = student_notebooks()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_notebook_in_lab(notebook, lab_server, lab_page, record_timings):
    report = check_notebook(
        lab_page,
        lab_server,
        f"notebooks/{notebook.name}",
        run_timeout=600,
        widget_timeout=60,
        change_timeout=60,
        screenshot=SCREENSHOTS / f"{notebook.stem}.png",
    )
    record_timings(notebook.stem, report)
    assert report.ok, report.summary()


def test_student_notebooks_exist():
    if not NOTEBOOKS:
        pytest.skip("no student notebooks in notebooks/ yet: nothing to open in the browser")


def test_harness_passes_a_good_notebook(lab_server, lab_page, record_timings):
    report = check_notebook(
        lab_page,
        lab_server,
        "fixtures/good.ipynb",
        screenshot=SCREENSHOTS / "fixture-good.png",
    )
    record_timings("fixture: good", report)
    assert report.ok, report.summary()
    assert report.widgets == 2
    assert report.slider_moved


@pytest.mark.parametrize("fixture", sorted(EXPECTED_PROBLEM))
def test_harness_reports_a_broken_notebook(fixture, lab_server, lab_page, record_timings):
    """The suite can fail: each broken fixture must be reported, with the right diagnosis."""
    report = check_notebook(
        lab_page,
        lab_server,
        f"fixtures/{fixture}.ipynb",
        widget_timeout=8,
        change_timeout=6,
        max_sliders=1,
    )
    record_timings(f"fixture: {fixture}", report)
    assert not report.ok, f"the harness found nothing wrong with fixtures/{fixture}.ipynb"
    problems = "\n".join(report.problems)
    assert re.search(EXPECTED_PROBLEM[fixture], problems), problems
