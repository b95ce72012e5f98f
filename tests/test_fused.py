"""The fused fast path computes exactly what the per-gate teaching path computes."""

import warnings

import numpy as np
import pytest

from lstm_course import init_params, lstm_backward, lstm_forward
from lstm_course.fused import fused_backward, fused_forward

TOL = {np.float64: dict(rtol=1e-11, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}


def _case(variant, dtype, B=3, T=6, D=4, H=5, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    p = init_params(D, H, variant, seed=rng, dtype=dtype, forget_bias=1.0)
    r = lambda *s: (rng.standard_normal(s) * scale).astype(dtype)
    return p, r(B, T, D), r(B, H), r(B, H), r(B, T, H), r(B, H), r(B, H)


@pytest.mark.parametrize("variant", ["lesson", "standard"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 6, 4, 5), (1, 1, 1, 1), (2, 9, 1, 3)])
def test_fused_equals_per_gate(variant, dtype, shape):
    p, x, s0, c0, G, gh, gc = _case(variant, dtype, *shape)
    ref = lstm_forward(x, p, s0, c0, variant, return_cache=True)
    got = fused_forward(x, p, s0, c0, variant, return_cache=True)
    for a, b in ((ref[0], got[0]), (ref[1][0], got[1][0]), (ref[1][1], got[1][1])):
        assert b.shape == a.shape and b.dtype == a.dtype
        np.testing.assert_allclose(b, a, **TOL[dtype])
    g_ref = lstm_backward(G, ref[2], gh, gc)
    g_got = fused_backward(G, got[2], gh, gc)
    assert list(g_got) == list(g_ref)
    for name in g_ref:
        assert g_got[name].shape == g_ref[name].shape and g_got[name].dtype == dtype, name
        np.testing.assert_allclose(g_got[name], g_ref[name], **TOL[dtype], err_msg=name)


@pytest.mark.parametrize("variant", ["lesson", "standard"])
def test_fused_defaults_and_plain_return(variant):
    p, x, *_ = _case(variant, np.float64)
    stms, (h, c) = fused_forward(x, p, variant=variant)
    ref, (h_ref, c_ref) = lstm_forward(x, p, variant=variant)
    np.testing.assert_allclose(stms, ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(c, c_ref, rtol=1e-12, atol=1e-13)
    _, _, cache = fused_forward(x, p, variant=variant, return_cache=True)
    g = fused_backward(np.ones_like(stms), cache)
    _, _, cache_ref = lstm_forward(x, p, variant=variant, return_cache=True)
    g_ref = lstm_backward(np.ones_like(stms), cache_ref)
    for name in g_ref:
        np.testing.assert_allclose(g[name], g_ref[name], rtol=1e-11, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_saturated_gates_are_finite_and_silent(dtype):
    """Pre-activations of +-1000: exp overflows to inf internally, results stay exact limits."""
    p, x, s0, c0, G, gh, gc = _case("lesson", dtype, scale=1000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stms, _, cache = fused_forward(x, p, s0, c0, "lesson", return_cache=True)
        g = fused_backward(G, cache, gh, gc)
    ref = lstm_forward(x, p, s0, c0, "lesson", return_cache=True)
    np.testing.assert_allclose(stms, ref[0], **TOL[dtype])
    assert all(np.isfinite(v).all() for v in g.values())


def test_fused_standard_variant_of_lesson_params():
    """variant='standard' ignores W_u, as lstm_forward does."""
    p, x, *_ = _case("lesson", np.float64)
    stms, _, cache = fused_forward(x, p, variant="standard", return_cache=True)
    np.testing.assert_allclose(
        stms, lstm_forward(x, p, variant="standard")[0], rtol=1e-12, atol=1e-13
    )
    assert "W_u" not in fused_backward(np.ones_like(stms), cache)


@pytest.mark.parametrize("variant", ["lesson", "standard"])
def test_fused_zero_steps(variant):
    p, _, s0, c0, *_ = _case(variant, np.float64)
    x = np.zeros((3, 0, 4))
    ref = lstm_forward(x, p, s0, c0, variant, return_cache=True)
    got = fused_forward(x, p, s0, c0, variant, return_cache=True)
    assert got[0].shape == ref[0].shape == (3, 0, 5)
    np.testing.assert_array_equal(got[1][0], s0)
    np.testing.assert_array_equal(got[1][1], c0)
    g = fused_backward(np.zeros((3, 0, 5)), got[2], s0, c0)
    g_ref = lstm_backward(np.zeros((3, 0, 5)), ref[2], s0, c0)
    for name in g_ref:
        np.testing.assert_array_equal(g[name], g_ref[name], err_msg=name)


def test_fused_errors():
    p = init_params(3, 4, "standard", seed=0)
    with pytest.raises(ValueError, match="D=5"):
        fused_forward(np.zeros((2, 3, 5)), p, variant="standard")
    with pytest.raises(ValueError, match="W_u"):
        fused_forward(np.zeros((2, 3, 3)), p, variant="lesson")
    with pytest.raises(ValueError, match="variant"):
        fused_forward(np.zeros((2, 3, 3)), p, variant="lstm")
    with pytest.raises(ValueError, match="stm0"):
        fused_forward(np.zeros((2, 3, 3)), p, np.zeros((1, 4)), variant="standard")
    _, _, cache = fused_forward(np.zeros((2, 3, 3)), p, variant="standard", return_cache=True)
    with pytest.raises(ValueError, match="dstms"):
        fused_backward(np.zeros((2, 4, 4)), cache)
