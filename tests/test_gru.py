"""The NumPy GRU (lstm_course.gru): shapes, the PyTorch mapping, and equality with torch.nn.GRU."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_course import gru
from lstm_course.exercises import EXERCISES


def test_shapes_and_initial_state():
    p = gru.init_gru_params(input_size=3, hidden_size=5, seed=0)
    assert (p.hidden_size, p.input_size) == (5, 3)
    assert p.W_r.shape == p.W_z.shape == (8, 5) and p.W_xn.shape == (3, 5)
    assert p.W_hn.shape == (5, 5) and all(b.shape == (5,) for b in (p.b_r, p.b_z, p.b_xn, p.b_hn))
    rng = np.random.default_rng(1)
    events = rng.standard_normal((2, 4, 3))
    hs, h_T = gru.gru_forward(events, p)
    assert hs.shape == (2, 4, 5) and h_T.shape == (2, 5)
    np.testing.assert_array_equal(hs[:, -1], h_T)
    # step by step, from zeros, is the same thing
    h = np.zeros((2, 5))
    for t in range(4):
        h = gru.gru_cell(h, events[:, t], p)
        np.testing.assert_array_equal(hs[:, t], h)
    h0 = rng.standard_normal((2, 5))
    hs0, _ = gru.gru_forward(events, p, h0)
    np.testing.assert_array_equal(hs0[:, 0], gru.gru_cell(h0, events[:, 0], p))
    with pytest.raises(ValueError, match="h0 must be"):
        gru.gru_forward(events, p, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="D=2"):
        gru.gru_forward(events[..., :2], p)
    with pytest.raises(ValueError, match="hidden_size"):
        gru.init_gru_params(3, 0)


def test_update_gate_interpolates():
    """z = 1 keeps h exactly; z = 0 takes the candidate; h stays in (-1, 1) from a bounded h."""
    p = gru.init_gru_params(2, 3, seed=0)
    rng = np.random.default_rng(0)
    h, x = np.tanh(rng.standard_normal((4, 3))), rng.standard_normal((4, 2))
    keep = p.map(np.copy)
    keep.b_z = np.full(3, 800.0)  # sigmoid(800) == 1.0
    np.testing.assert_array_equal(gru.gru_cell(h, x, keep), h)
    take = p.map(np.copy)
    take.b_z = np.full(3, -800.0)
    n = np.tanh(
        x @ p.W_xn + p.b_xn + gru.sigmoid(gru.concat(h, x) @ p.W_r + p.b_r) * (h @ p.W_hn + p.b_hn)
    )
    np.testing.assert_allclose(gru.gru_cell(h, x, take), n, rtol=0, atol=1e-15)
    assert np.all(np.abs(gru.gru_cell(h, x, p)) < 1)


def test_mapping_layout_without_torch():
    H, D = 3, 2
    rng = np.random.default_rng(0)
    w_ih, w_hh = rng.standard_normal((3 * H, D)), rng.standard_normal((3 * H, H))
    b_ih, b_hh = rng.standard_normal(3 * H), rng.standard_normal(3 * H)
    p = gru.gru_params_from_pytorch(w_ih, w_hh, b_ih, b_hh)
    np.testing.assert_array_equal(p.W_r[:H], w_hh[:H].T)  # h rows first
    np.testing.assert_array_equal(p.W_r[H:], w_ih[:H].T)
    np.testing.assert_array_equal(p.W_z[H:], w_ih[H : 2 * H].T)
    np.testing.assert_array_equal(p.W_xn, w_ih[2 * H :].T)
    np.testing.assert_array_equal(p.W_hn, w_hh[2 * H :].T)
    np.testing.assert_array_equal(p.b_r, b_ih[:H] + b_hh[:H])
    np.testing.assert_array_equal(p.b_z, b_ih[H : 2 * H] + b_hh[H : 2 * H])
    np.testing.assert_array_equal(p.b_xn, b_ih[2 * H :])
    np.testing.assert_array_equal(p.b_hn, b_hh[2 * H :])
    with pytest.raises(ValueError, match=r"\(3H, D\)"):
        gru.gru_params_from_pytorch(w_ih[:-1], w_hh, b_ih, b_hh)


@pytest.mark.parametrize("B,T,H,D", [(1, 5, 3, 2), (4, 7, 5, 3), (3, 6, 2, 6)])
def test_numpy_gru_equals_torch_gru_float64(B, T, H, D):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.GRU(D, H, batch_first=True).double()
    with torch.no_grad():  # non-zero, distinct biases so that every placement of b_hn shows
        for name in ("bias_ih_l0", "bias_hh_l0"):
            getattr(net, name).uniform_(-1.0, 1.0)
    rng = np.random.default_rng(B * 100 + H)
    events = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((B, H)) * 0.5
    with torch.no_grad():
        out, h_n = net(torch.from_numpy(events), torch.from_numpy(h0)[None])
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    params = gru.gru_params_from_pytorch(*(getattr(net, n).detach().numpy() for n in names))
    assert params.dtype == np.float64
    hs, h_T = gru.gru_forward(events, params, h0)
    np.testing.assert_allclose(hs, out.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(h_T, h_n[0].numpy(), rtol=0, atol=1e-10)


def test_reset_placement_matters_against_torch():
    """Cho et al.'s placement (r * h) W_hn and b_hn outside r both differ from nn.GRU: the
    catalogued mistakes are real, PyTorch-checked differences."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    net = torch.nn.GRU(3, 4, batch_first=True).double()
    with torch.no_grad():
        net.bias_hh_l0.uniform_(-1.0, 1.0)
    rng = np.random.default_rng(0)
    h, x = rng.standard_normal((2, 4)) * 0.5, rng.standard_normal((2, 3))
    with torch.no_grad():
        want = net(torch.from_numpy(x[:, None]), torch.from_numpy(h)[None])[1][0].numpy()
    params = gru.gru_params_from_pytorch(
        *(
            getattr(net, n).detach().numpy()
            for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
        )
    )
    np.testing.assert_allclose(gru.gru_cell(h, x, params), want, rtol=0, atol=1e-12)
    ex = EXERCISES["gru_cell"]
    for name in ("reset_before_projection", "b_hn_outside_reset", "z_swapped"):
        assert np.abs(ex.mistake_fn(name)(h, x, params) - want).max() > 1e-3, name


def test_exercise_is_the_package_function():
    ex = EXERCISES["gru_cell"]
    assert ex.fn is gru.gru_cell and ex.notebook == "10_lstm_variants"
    assert len(ex.mistakes) >= 5
    assert ex.def_line == "def gru_cell(h, x, params):"


def test_ablation_models_no_forget_gate_stays_at_one():
    torch = pytest.importorskip("torch")
    from lstm_course.adding import train_adding

    torch.manual_seed(0)
    model = gru.AblationModel("lstm_no_forget", hidden_size=4)
    train_adding(model, steps=3, T=6, batch_size=8, lr=0.1, seed=0)
    H = 4
    f = slice(H, 2 * H)
    lstm = model.rnn
    assert torch.all(lstm.weight_ih_l0[f] == 0) and torch.all(lstm.weight_hh_l0[f] == 0)
    assert torch.all(lstm.bias_ih_l0[f] == 30.0) and torch.all(lstm.bias_hh_l0[f] == 0)
    assert float(torch.sigmoid(torch.tensor(30.0))) == 1.0  # f_t = 1 exactly in float32
    assert not torch.all(lstm.weight_ih_l0[:H] == 0)  # the other gates are trained
    for kind in ("lstm", "gru"):
        out = gru.AblationModel(kind, hidden_size=4)(torch.zeros(2, 5, 2))
        assert out.shape == (2,)
    with pytest.raises(ValueError, match="kind must be one of"):
        gru.AblationModel("rnn")


def test_gru_params_cross_the_graders_transport():
    """The batch grader sends cases to the learner's kernel as plain data: GRUParams travel by
    their fields and come back as GRUParams (or as a dict when no class is given)."""
    from lstm_course.grading import transport

    p = gru.init_gru_params(2, 3, seed=0)
    case = {"h": np.zeros((1, 3)), "x": np.ones((1, 2)), "params": p}
    text = transport.pack([case], "n1")
    (back,) = transport.unpack(text, "n1", make_params={"GRUParams": gru.GRUParams})
    assert isinstance(back["params"], gru.GRUParams)
    for name, value in p.items():
        np.testing.assert_array_equal(getattr(back["params"], name), value)
    (plain,) = transport.unpack(text, "n1")
    assert set(plain["params"]) == set(p.names())
