"""The widgets, driven headlessly: move a slider, the result (what is shown) changes correctly."""

import matplotlib

matplotlib.use("Agg")

import threading  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from ipywidgets import interactive  # noqa: E402

from lstm_course import sigmoid  # noqa: E402
from lstm_course.widgets.carousel import carousel_widget  # noqa: E402
from lstm_course.widgets.gates import (  # noqa: E402
    cell_stepper_widget,
    example_ltm,
    forget_gate_widget,
    learn_gate_widget,
    remember_gate_widget,
    use_gate_widget,
)
from lstm_course.widgets.rnn import vanishing_gradient_widget  # noqa: E402


def slider(w, name):
    for child in w.children:
        if getattr(child, "description", "").startswith(name):
            return child
    raise KeyError(name)


@pytest.fixture(params=[False, True], ids=["numbers", "with-plot"])
def plot(request):
    return request.param


def test_learn_gate_widget(plot):
    w = learn_gate_widget(plot=plot)
    assert isinstance(w, interactive)
    before = dict(w.result)
    slider(w, "Event").value = -1.5
    assert w.result["N_t"] < 0 < before["N_t"]
    assert w.result["learn_out"] == pytest.approx(w.result["N_t"] * w.result["i_t"])
    slider(w, "b_i").value = -3.0
    assert w.result["i_t"] < before["i_t"]
    w.children[0].value = 1.0  # STM, weight 0.5 on it
    expected_N = np.tanh(0.5 * 1.0 + 1.0 * -1.5 + 0.0)
    assert w.result["N_t"] == pytest.approx(expected_N)


def test_forget_gate_widget_erases_the_ltm(plot):
    w = forget_gate_widget(plot=plot)
    ltm = example_ltm()
    np.testing.assert_allclose(w.result["ltm"], 0.9 * ltm)
    slider(w, "forget").value = 0.0
    np.testing.assert_allclose(w.result["ltm"], 0 * ltm)
    slider(w, "forget").value = 0.5
    slider(w, "steps").value = 3
    assert w.result["left"] == pytest.approx(0.125)
    np.testing.assert_allclose(w.result["ltm"], ltm / 8)


def test_remember_gate_widget(plot):
    w = remember_gate_widget(plot=plot)
    assert w.result["ltm"] == pytest.approx(0.8 * 0.5 - 0.6 * 0.5)
    slider(w, "f_t").value = 1.0
    slider(w, "i_t").value = 0.0
    assert w.result["ltm"] == pytest.approx(0.8)
    assert w.result["learned"] == 0.0


def test_use_gate_widget(plot):
    w = use_gate_widget(plot=plot)
    slider(w, "b_v").value = -3.0
    slider(w, "w_v").value = -3.0
    assert w.result["V_t"] == pytest.approx(sigmoid(np.array(-6.0))[()])
    assert abs(w.result["stm"]) < 0.01
    slider(w, "b_v").value = 3.0
    slider(w, "w_v").value = 3.0
    assert w.result["stm"] == pytest.approx(w.result["U_t"] * w.result["V_t"])
    assert w.result["stm"] > 0.5


def test_cell_stepper_widget(plot):
    w = cell_stepper_widget(plot=plot)
    assert w.result["t"] == 8 and abs(w.result["stm"][0]) > 0.5  # a recall step
    slider(w, "step").value = 2  # a store step
    assert w.result["t"] == 2 and w.result["i"][0] > 0.9 and w.result["f"][0] < 0.1
    slider(w, "step").value = 3
    assert w.result["i"][0] < 0.1 and w.result["f"][0] > 0.9


def test_vanishing_gradient_widget(plot):
    w = vanishing_gradient_widget(plot=plot)
    assert w.result["growth"] < 1 and w.result["last"] < 1e-6 * w.result["first"]
    slider(w, "recurrent").value = 3.0
    assert w.result["growth"] > 1.1 and w.result["last"] > w.result["first"]
    slider(w, "sequence").value = 100
    assert len(w.result["norms"]) == 100


def test_every_widget_has_a_slider():
    for factory in (
        learn_gate_widget,
        forget_gate_widget,
        remember_gate_widget,
        use_gate_widget,
        cell_stepper_widget,
        vanishing_gradient_widget,
    ):
        w = factory(plot=False)
        assert any(type(c).__name__.endswith("Slider") for c in w.children)


DRAWING_WIDGETS = [
    learn_gate_widget,
    forget_gate_widget,
    remember_gate_widget,
    use_gate_widget,
    cell_stepper_widget,
    vanishing_gradient_widget,
    carousel_widget,
]


def _ink(fig) -> float:
    """Render `fig` as IPython's inline display does (PNG, tight box); the fraction of pixels
    that are not white."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    rgb = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB")).astype(int)
    return float((np.abs(rgb - 255).max(axis=-1) > 40).mean())


@pytest.mark.parametrize("factory", DRAWING_WIDGETS, ids=lambda f: f.__name__)
def test_widget_figures_stay_out_of_pyplot(factory):
    """A widget neither leaves figures in pyplot nor touches one a cell is drawing meanwhile."""
    plt.close("all")
    other = plt.figure()
    w = factory()
    w.children[0].value = w.children[0].max
    assert plt.get_fignums() == [other.number]
    plt.close("all")


@pytest.mark.parametrize("factory", DRAWING_WIDGETS, ids=lambda f: f.__name__)
def test_widget_plot_is_drawn_while_another_thread_draws(factory, monkeypatch):
    """Notebook 07's bug: in JupyterLab a widget update runs on one ipykernel thread while an
    IPython hook on another thread draws every pyplot figure (pyplot's draw_all after an
    execution there). On a pyplot figure that wiped the update's drawing (a blank plot)."""
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda fig, **kw: shown.append(_ink(fig)))
    stop = threading.Event()

    def other_thread():
        while not stop.wait(0.0005):  # not a busy loop: the update must get the GIL too
            plt.draw_all()

    w = factory()
    t = threading.Thread(target=other_thread, daemon=True)
    t.start()
    try:
        s = w.children[0]
        for frac in (0.1, 0.35, 0.65, 0.9):  # never the slider's first value
            s.value = s.min + (s.max - s.min) * frac
    finally:
        stop.set()
        t.join()
    assert len(shown) == 5  # the first plot and one per move
    assert min(shown) > 0.01, shown


def test_retention_widget_half_lives():
    from lstm_course.widgets.variants import retention_widget

    w = retention_widget(plot=False)
    w.children[0].value = 0.5
    w.children[1].value = 0.99
    assert w.result["gru_half_life"] == pytest.approx(1.0)
    assert w.result["lstm_half_life"] == pytest.approx(np.log(0.5) / np.log(0.99))


def test_clipping_widget_clips_only_above_max_norm():
    from lstm_course.clipping import clip_by_global_norm
    from lstm_course.widgets.variants import clipping_widget

    w = clipping_widget([0.5, 2.0, 30.0, float("inf")], clip_by_global_norm, plot=False)
    w.children[0].value = 0.0  # max_norm = 1
    assert w.result["clipped_steps"] == 2
    assert w.result["largest_after"] == pytest.approx(1.0, rel=1e-5)
    w.children[0].value = 2.0  # max_norm = 100: nothing clipped
    assert w.result["clipped_steps"] == 0 and w.result["largest_after"] == pytest.approx(30.0)
