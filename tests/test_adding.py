"""lstm_course.adding: the adding problem's data, baseline, models and a short training run."""

import numpy as np
import pytest

from lstm_course.adding import BASELINE_MSE, adding_data, baseline_mse, smooth

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # see tests/conftest.py


def test_data_shapes_markers_and_targets():
    events, targets = adding_data(500, T=40, seed=3)
    assert events.shape == (500, 40, 2) and targets.shape == (500,)
    assert events.dtype == np.float32
    values, markers = events[..., 0], events[..., 1]
    assert values.min() >= 0.0 and values.max() < 1.0
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :20].sum(axis=1) == 1)  # one marker in each half
    assert np.all(markers[:, 20:].sum(axis=1) == 1)
    np.testing.assert_allclose(targets, (values * markers).sum(axis=1), rtol=1e-6)


def test_data_is_seeded():
    a = adding_data(10, 30, seed=7)
    b = adding_data(10, 30, seed=7)
    c = adding_data(10, 30, seed=8)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    with pytest.raises(ValueError):
        adding_data(3, T=1)


def test_predicting_one_gives_mse_one_sixth():
    _, targets = adding_data(200_000, T=10, seed=0)
    assert BASELINE_MSE == pytest.approx(1 / 6)
    assert baseline_mse(targets) == pytest.approx(0.167, abs=0.003)
    assert np.mean(targets) == pytest.approx(1.0, abs=0.01)


def test_smooth_running_mean():
    np.testing.assert_allclose(smooth([1, 2, 3, 4, 5], 2), [1, 1.5, 2.5, 3.5, 4.5])
    np.testing.assert_allclose(smooth([4.0] * 7, 3), [4.0] * 7)


def test_training_smoke_loss_decreases_and_is_seeded():
    torch = pytest.importorskip("torch")
    from lstm_course.adding import AddingModel, evaluate, make_model, train_adding

    def run():
        model = make_model("lstm", seed=0)
        hist = train_adding(model, steps=30, T=20, batch_size=32, lr=2e-2, seed=0)
        return model, hist

    model, hist = run()
    assert hist["steps"] == 30 and len(hist["loss"]) == 30
    assert np.mean(hist["loss"][-5:]) < 0.5 * np.mean(hist["loss"][:3])
    _, hist2 = run()
    assert hist2["loss"] == hist["loss"]  # same seed, same run
    test = adding_data(64, 20, seed=1)
    assert evaluate(model, *test) < 0.5
    rnn = AddingModel("rnn", 8)
    assert isinstance(rnn.rnn, torch.nn.RNN)
    assert rnn(torch.zeros(3, 5, 2)).shape == (3,)
    with pytest.raises(ValueError):
        AddingModel("gru")


def test_forget_bias_is_added_to_the_forget_block():
    torch = pytest.importorskip("torch")
    from lstm_course.adding import AddingModel

    torch.manual_seed(0)
    a = AddingModel("lstm", 4, forget_bias=0.0)
    torch.manual_seed(0)
    b = AddingModel("lstm", 4, forget_bias=1.0)
    diff = (b.rnn.bias_ih_l0 - a.rnn.bias_ih_l0).detach().numpy()
    np.testing.assert_allclose(diff, np.r_[np.zeros(4), np.ones(4), np.zeros(8)], atol=1e-7)


def test_gate_activity_matches_torch_forward():
    torch = pytest.importorskip("torch")
    from lstm_course.adding import AddingModel, gate_activity

    torch.manual_seed(1)
    model = AddingModel("lstm", 6, forget_bias=1.0)
    events, _ = adding_data(1, 15, seed=2)
    act = gate_activity(model, events[0])
    assert act["forget"].shape == (15, 6) and act["ltm"].shape == (15, 6)
    assert np.all((act["forget"] > 0) & (act["forget"] < 1))
    with torch.no_grad():
        stms, (_, c) = model.rnn(torch.from_numpy(events))
        pred = float(model(torch.from_numpy(events))[0])
    np.testing.assert_allclose(act["stm"], stms[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(act["ltm"][-1], c[0, 0].numpy(), atol=1e-5)
    assert act["prediction"] == pytest.approx(pred, abs=1e-5)


def test_forget_activity_widget_slider_changes_output():
    pytest.importorskip("torch")
    pytest.importorskip("ipywidgets")
    from lstm_course.adding import AddingModel
    from lstm_course.widgets.carousel import forget_activity_widget

    model = AddingModel("lstm", 4)
    events, targets = adding_data(3, 12, seed=0)
    w = forget_activity_widget(model, events, targets, plot=False)
    assert w.result["example"] == 0
    w.children[0].value = 2
    assert w.result["example"] == 2
    assert w.result["target"] == pytest.approx(float(targets[2]))


def test_gate_activity_contributions_of_the_marked_values():
    pytest.importorskip("torch")
    from lstm_course.adding import AddingModel, carrying_units, gate_activity

    model = AddingModel("lstm", 5, forget_bias=2.0)
    events, _ = adding_data(1, 20, seed=4)
    act = gate_activity(model, events[0])
    marks = act["marks"]
    assert len(marks) == 2 and marks[0] < 10 <= marks[1]
    assert act["contribution"].shape == (2, 20, 5)
    # a marked value cannot change the memory before its own step
    np.testing.assert_array_equal(act["contribution"][0][: marks[0]], 0.0)
    np.testing.assert_array_equal(act["contribution"][1][: marks[1]], 0.0)
    units = carrying_units(act, 0, units=2)
    assert len(units) == 2
    assert np.abs(act["contribution"][0][-1, units[0]]) == np.abs(act["contribution"][0][-1]).max()
