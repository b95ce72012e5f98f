"""The plain tanh RNN of notebook 00 and its vanishing/exploding gradient curve."""

import numpy as np
import pytest

from lstm_course.rnn import (
    gradient_vs_lag,
    growth_per_step,
    init_rnn_params,
    input_gradients,
    rnn_forward,
    rnn_step,
)


def test_step_and_forward_agree():
    rng = np.random.default_rng(1)
    p = init_rnn_params(3, 5, scale=1.2, seed=rng)
    xs = rng.normal(size=(2, 7, 3))
    hs = rnn_forward(xs, **p)
    assert hs.shape == (2, 7, 5)
    h = np.zeros((2, 5))
    for t in range(7):
        h = rnn_step(h, xs[:, t], **p)
        np.testing.assert_allclose(hs[:, t], h)
    np.testing.assert_allclose(
        rnn_step(np.zeros((1, 5)), xs[:1, 0], **p), np.tanh(xs[:1, 0] @ p["W_xh"])
    )


def test_forward_rejects_2d_input():
    p = init_rnn_params(1, 4)
    with pytest.raises(ValueError):
        rnn_forward(np.zeros((5, 1)), **p)


def test_input_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    p = init_rnn_params(2, 6, scale=1.5, seed=rng)
    xs = rng.normal(size=(9, 2))
    norms = input_gradients(xs, **p)
    eps = 1e-6
    for k in (0, 3, 8):
        t = 8 - k
        jac = np.empty((6, 2))
        for d in range(2):
            plus, minus = xs.copy(), xs.copy()
            plus[t, d] += eps
            minus[t, d] -= eps
            diff = rnn_forward(plus[None], **p)[0, -1] - rnn_forward(minus[None], **p)[0, -1]
            jac[:, d] = diff / (2 * eps)
        np.testing.assert_allclose(norms[k], np.linalg.norm(jac), rtol=1e-5)


def test_small_weights_vanish_large_weights_explode():
    lags, small = gradient_vs_lag(scale=0.5, seq_len=60)
    np.testing.assert_array_equal(lags, np.arange(60))
    assert small[-1] < 1e-20 * small[0]
    assert growth_per_step(small) < 0.5
    _, large = gradient_vs_lag(scale=3.0, seq_len=60)
    assert large[-1] > 1e3 * large[0]
    assert growth_per_step(large) > 1.1


def test_gradient_curve_is_deterministic_and_seeded():
    a = gradient_vs_lag(1.0, 30, seed=3)[1]
    np.testing.assert_array_equal(a, gradient_vs_lag(1.0, 30, seed=3)[1])
    assert not np.allclose(a, gradient_vs_lag(1.0, 30, seed=4)[1])


def test_growth_per_step_is_the_geometric_mean_ratio():
    assert growth_per_step(0.5 ** np.arange(10)) == pytest.approx(0.5)
    assert growth_per_step([3.0]) == 1.0
    assert growth_per_step([1.0, 0.0]) > 0  # no log(0) crash


def test_one_sequence_only():
    p = init_rnn_params(1, 4)
    with pytest.raises(ValueError):
        input_gradients(np.zeros((2, 5, 1)), **p)
