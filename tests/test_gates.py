"""Each gate against its equation, written out independently of the package."""

import warnings

import numpy as np
import pytest

from lstm_course import (
    concat,
    forget_gate,
    init_params,
    learn_gate,
    lstm_backward,
    lstm_cell,
    lstm_cell_forward,
    lstm_forward,
    remember_gate,
    sigmoid,
    standard_use_gate,
    tanh,
    use_gate,
)


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.fixture(params=[1, 4], ids=["B=1", "B=4"])
def setup(request):
    B, D, H = request.param, 3, 5
    rng = np.random.default_rng(request.param)
    p = init_params(D, H, "lesson", seed=rng)
    stm, ltm = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    event = rng.standard_normal((B, D))
    return p, stm, ltm, event, np.hstack([stm, event])


def test_learn_gate(setup):
    p, stm, ltm, event, x = setup
    want = np.tanh(x @ p.W_n + p.b_n) * sig(x @ p.W_i + p.b_i)
    got = learn_gate(stm, event, p.W_n, p.b_n, p.W_i, p.b_i)
    assert got.shape == stm.shape
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


def test_forget_gate(setup):
    p, stm, ltm, event, x = setup
    want = ltm * sig(x @ p.W_f + p.b_f)
    np.testing.assert_allclose(forget_gate(ltm, stm, event, p.W_f, p.b_f), want, rtol=1e-13)


def test_remember_gate(setup):
    p, stm, ltm, event, x = setup
    learn_out = learn_gate(stm, event, p.W_n, p.b_n, p.W_i, p.b_i)
    forget_out = forget_gate(ltm, stm, event, p.W_f, p.b_f)
    np.testing.assert_array_equal(remember_gate(learn_out, forget_out), learn_out + forget_out)


def test_use_gate(setup):
    p, stm, ltm, event, x = setup
    kept = ltm * sig(x @ p.W_f + p.b_f)
    want = np.tanh(kept @ p.W_u + p.b_u) * sig(x @ p.W_v + p.b_v)
    got = use_gate(kept, stm, event, p.W_u, p.b_u, p.W_v, p.b_v)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


def test_standard_use_gate(setup):
    p, stm, ltm, event, x = setup
    new_ltm = ltm * 0.5 + 0.1
    want = sig(x @ p.W_v + p.b_v) * np.tanh(new_ltm)
    np.testing.assert_allclose(
        standard_use_gate(new_ltm, stm, event, p.W_v, p.b_v), want, rtol=1e-13, atol=1e-15
    )


@pytest.mark.parametrize("variant", ["lesson", "standard"])
def test_cell_equations(setup, variant):
    p, stm, ltm, event, x = setup
    i, f, o = (sig(x @ W + b) for W, b in ((p.W_i, p.b_i), (p.W_f, p.b_f), (p.W_v, p.b_v)))
    c = f * ltm + i * np.tanh(x @ p.W_n + p.b_n)
    h = np.tanh((f * ltm) @ p.W_u + p.b_u) * o if variant == "lesson" else o * np.tanh(c)
    new_stm, new_ltm = lstm_cell(stm, ltm, event, p, variant)
    assert new_stm.shape == new_ltm.shape == stm.shape
    np.testing.assert_allclose(new_ltm, c, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(new_stm, h, rtol=1e-12, atol=1e-14)
    s2, l2, _ = lstm_cell_forward(stm, ltm, event, p, variant)
    np.testing.assert_allclose(s2, new_stm, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(l2, new_ltm, rtol=1e-13, atol=1e-15)


def test_concat_puts_stm_first():
    stm, event = np.ones((2, 3)), np.zeros((2, 4))
    x = concat(stm, event)
    assert x.shape == (2, 7)
    assert (x[:, :3] == 1).all() and (x[:, 3:] == 0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_for_huge_inputs(dtype):
    x = np.array([-1e4, -1000.0, -710.0, -50.0, 0.0, 50.0, 710.0, 1000.0, 1e4], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            s = sigmoid(x)
    assert s.dtype == dtype and np.isfinite(s).all()
    assert s[0] == 0.0 and s[-1] == 1.0 and s[4] == 0.5
    assert (np.diff(s) >= 0).all() and ((s >= 0) & (s <= 1)).all()
    np.testing.assert_allclose(s + sigmoid(-x), 1.0, rtol=1e-6)


def test_sigmoid_matches_formula_and_keeps_shape():
    x = np.linspace(-30, 30, 24).reshape(2, 3, 4)
    np.testing.assert_allclose(sigmoid(x), sig(x), rtol=1e-14)
    assert sigmoid(x).shape == x.shape
    assert sigmoid(np.array([0, 1])).dtype == np.float64  # ints become floats
    assert float(sigmoid(0.0)) == 0.5
    assert tanh is np.tanh


def test_init_params():
    p = init_params(3, 4, "lesson", seed=0, forget_bias=1.0)
    assert p.W_n.shape == p.W_i.shape == p.W_f.shape == p.W_v.shape == (7, 4)
    assert p.W_u.shape == (4, 4) and p.b_n.shape == (4,)
    assert (p.input_size, p.hidden_size, p.variant) == (3, 4, "lesson")
    assert all(np.abs(a).max() <= 0.5 for n, a in p.items() if n != "b_f")
    assert (p.b_f >= 0.5).all()  # U(-1/2, 1/2) + 1
    s = init_params(3, 4, "standard", seed=0)
    assert s.W_u is None and s.b_u is None and s.variant == "standard"
    np.testing.assert_array_equal(init_params(3, 4, seed=7).W_n, init_params(3, 4, seed=7).W_n)
    for dtype in (np.float32, "float32", np.dtype("float32")):
        q = init_params(3, 4, dtype=dtype, forget_bias=1.0)
        assert {a.dtype for _, a in q.items()} == {np.dtype(np.float32)}
    with pytest.raises(ValueError, match="hidden_size"):
        init_params(3, 0)
    with pytest.raises(ValueError, match="variant"):
        init_params(3, 4, "peephole")


def test_errors_are_clear():
    p = init_params(3, 4, "standard", seed=0)
    with pytest.raises(ValueError, match="W_u"):
        lstm_cell(np.zeros((1, 4)), np.zeros((1, 4)), np.zeros((1, 3)), p, "lesson")
    with pytest.raises(ValueError, match="D=5"):
        lstm_forward(np.zeros((2, 3, 5)), p, variant="standard")
    with pytest.raises(ValueError, match=r"\(B, T, D\)"):
        lstm_forward(np.zeros((3, 3)), p, variant="standard")
    with pytest.raises(ValueError, match="variant"):
        lstm_forward(np.zeros((2, 3, 3)), p, variant="Standard")
    with pytest.raises(ValueError, match=r"stm0 must be \(B, H\) = \(2, 4\)"):
        lstm_forward(np.zeros((2, 3, 3)), p, np.zeros((1, 4)), variant="standard")  # no broadcast
    with pytest.raises(ValueError, match="ltm0"):
        lstm_forward(np.zeros((2, 3, 3)), p, ltm0=np.zeros(4), variant="standard")
    _, _, cache = lstm_forward(np.zeros((2, 3, 3)), p, variant="standard", return_cache=True)
    with pytest.raises(ValueError, match="dstms"):
        lstm_backward(np.zeros((2, 3, 5)), cache)
