"""lstm_course.widgets.standard: the lesson's Use gate beside the standard one (notebook 06)."""

import numpy as np
import pytest

from lstm_course import init_params, lstm_forward

pytest.importorskip("ipywidgets")

from lstm_course.widgets.standard import compare_use_gates, use_gate_comparison_widget  # noqa: E402


def test_compare_use_gates_matches_lstm_forward_for_both_variants():
    params = init_params(2, 3, "lesson", seed=0)
    events = np.random.default_rng(0).standard_normal((2, 6, 2))
    result = compare_use_gates(params, events)
    for variant in ("lesson", "standard"):
        stms, (_, ltm_T) = lstm_forward(events, params, variant=variant)
        np.testing.assert_allclose(result[variant], stms, atol=1e-12)
        np.testing.assert_allclose(result[variant + "_ltm"][:, -1], ltm_T, atol=1e-12)
    np.testing.assert_allclose(result["difference"], result["lesson"] - result["standard"])
    # step 1: same LTM (the Use gate does not feed its own step's memory); STMs differ
    np.testing.assert_allclose(result["lesson_ltm"][:, 0], result["standard_ltm"][:, 0])
    assert np.abs(result["difference"]).max() > 1e-3


def test_use_gate_widget_slider_changes_output():
    params = init_params(2, 3, "lesson", seed=0)
    events = np.random.default_rng(0).standard_normal((1, 10, 2))
    w = use_gate_comparison_widget(params, events, plot=False)
    before = w.result["max_abs_difference"]
    w.children[1].value = 2.5  # the Event scale
    assert w.result["scale"] == 2.5
    assert w.result["max_abs_difference"] != before
    w.children[0].value = 2  # another unit
    assert w.result["unit"] == 2
