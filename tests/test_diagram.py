"""The LSTM cell diagram: the same drawing everywhere, the current gate highlighted."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from lstm_course.diagram import GATE_TITLES, GATES, draw_cell  # noqa: E402
from lstm_course.plotting import GATE_COLOURS  # noqa: E402


def _boxes(ax):
    """gate name -> its box patch (found via the title text drawn at the box's centre)."""
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    found = {}
    for text in ax.texts:
        for gate, title in GATE_TITLES.items():
            if text.get_text() == title:
                x, y = text.get_position()
                for box in boxes:
                    if (
                        box.get_x() < x < box.get_x() + box.get_width()
                        and box.get_y() < y < box.get_y() + box.get_height()
                    ):
                        found[gate] = box
    return found


def teardown_function():
    plt.close("all")


def test_plain_diagram_has_four_gates_in_their_colours():
    ax = draw_cell()
    boxes = _boxes(ax)
    assert set(boxes) == set(GATES)
    for gate, box in boxes.items():
        assert to_hex(box.get_edgecolor()) == GATE_COLOURS[gate]
    assert ax.get_title() == "The LSTM cell"
    labels = " ".join(t.get_text() for t in ax.texts)
    for name in ("LTM_{t-1}", "STM_{t-1}", "Event", "LTM_t", "STM_t"):
        assert name in labels


@pytest.mark.parametrize("gate", GATES)
def test_highlight_fills_only_that_gate(gate):
    ax = draw_cell(gate)
    boxes = _boxes(ax)
    assert to_hex(boxes[gate].get_facecolor()) == GATE_COLOURS[gate]
    for other, box in boxes.items():
        if other != gate:
            assert to_hex(box.get_facecolor()) != GATE_COLOURS[other]
    assert GATE_TITLES[gate] in ax.get_title()


def test_draws_into_given_axes_and_rejects_unknown_gate():
    fig, ax = plt.subplots()
    assert draw_cell("use", ax=ax) is ax
    with pytest.raises(ValueError):
        draw_cell("output")
