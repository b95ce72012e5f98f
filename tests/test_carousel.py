"""lstm_course.carousel: the constant error carousel (product of forget factors) and its widget."""

import numpy as np
import pytest

from lstm_course.activations import sigmoid
from lstm_course.carousel import (
    carousel_gradient_constant,
    forget_factor,
    forget_products,
    gradient_vs_lag,
    lstm_carousel_gradient,
    memory_length,
    rnn_gradient,
)
from lstm_course.params import init_params
from lstm_course.sequence import lstm_backward, lstm_forward


def test_forget_products_is_the_product_of_the_last_k_factors():
    f = np.array([0.5, 0.9, 0.8, 0.1])
    p = forget_products(f)
    assert p.shape == (5,)
    np.testing.assert_allclose(p, [1, 0.1, 0.1 * 0.8, 0.1 * 0.8 * 0.9, 0.1 * 0.8 * 0.9 * 0.5])


def test_forget_products_elementwise_per_unit():
    f = np.random.default_rng(0).uniform(size=(6, 3, 2))
    p = forget_products(f)
    assert p.shape == (7, 3, 2)
    np.testing.assert_allclose(p[6], np.prod(f, axis=0))


def test_carousel_product_equals_bptt_gradient_when_only_the_ltm_carries_it():
    """With W_f, W_i, W_n, W_v acting only through the Event (STM weights zeroed), LTM_T depends
    on LTM_0 only through the carousel: BPTT's dLTM_0 must be the product of forget factors."""
    rng = np.random.default_rng(1)
    p = init_params(3, 4, "standard", seed=rng, forget_bias=2.0)
    for name in ("W_n", "W_i", "W_f", "W_v"):
        getattr(p, name)[:4] = 0.0  # rows 0..H-1 multiply the STM
    events = rng.standard_normal((2, 7, 3))
    ltm0 = rng.standard_normal((2, 4))
    stms, _, cache = lstm_forward(events, p, ltm0=ltm0, variant="standard", return_cache=True)
    grads = lstm_backward(np.zeros_like(stms), cache, dltm_T=np.ones((2, 4)))
    f = np.stack([c["f"] for c in cache["steps"]])  # (T, B, H)
    np.testing.assert_allclose(grads["ltm0"], forget_products(f)[-1], rtol=1e-12)


def test_constant_carousel_and_memory_length():
    k = np.arange(5)
    np.testing.assert_allclose(carousel_gradient_constant(k, 0.0), 0.5**k)
    assert memory_length(0.0) == pytest.approx(1.0)  # sigmoid(0)^1 = 1/2
    b = 3.0
    half = memory_length(b)
    assert sigmoid(b) ** half == pytest.approx(0.5)
    assert forget_factor(b) == pytest.approx(sigmoid(b))


def test_larger_forget_bias_means_longer_memory():
    biases = np.array([-1.0, 0.0, 1.0, 2.0, 4.0, 8.0])
    lengths = memory_length(biases)
    assert np.all(np.diff(lengths) > 0)
    assert memory_length(20.0) > 1e8  # stable for large biases
    at_lag_50 = [lstm_carousel_gradient(60, b, hidden_size=8, batch=4)[50] for b in (0.0, 2.0, 5.0)]
    assert at_lag_50[0] < at_lag_50[1] < at_lag_50[2]
    assert at_lag_50[2] > 0.3  # b_f = 5 keeps most of it


def test_gradient_vs_lag_shapes_and_start_at_one():
    g = gradient_vs_lag(T=30, forget_bias=3.0, hidden_size=8)
    for key in ("lag", "lstm", "rnn", "constant"):
        assert g[key].shape == (30,)
    assert g["lstm"][0] == pytest.approx(1.0) and g["rnn"][0] == pytest.approx(1.0)
    assert np.all(np.diff(g["lstm"]) <= 1e-12)  # products of factors < 1 only shrink
    # with a remember-by-default bias the carousel beats the default-init RNN by far at lag 29
    assert g["lstm"][-1] > 1e3 * g["rnn"][-1]
    assert rnn_gradient(30, 8)[0] == pytest.approx(1.0)


def test_carousel_widget_slider_changes_output():
    pytest.importorskip("ipywidgets")
    from lstm_course.widgets.carousel import carousel_widget

    w = carousel_widget(T=40, hidden_size=8, plot=False)
    first = w.result
    w.children[0].value = 4.0
    assert w.result["forget_bias"] == 4.0
    assert w.result["half_life"] > first["half_life"]
    assert w.result["lstm_at_T"] > first["lstm_at_T"]
