"""Properties over small random shapes (hypothesis): shapes, consistency between paths, bounds."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_course import init_params, lstm_cell, lstm_forward
from lstm_course.fused import fused_backward, fused_forward
from lstm_course.pytorch_layout import params_from_pytorch, pytorch_from_params

dims = st.integers(1, 4)
variants = st.sampled_from(["lesson", "standard"])
SETTINGS = settings(max_examples=25, deadline=None)


def _setup(B, T, D, H, variant, seed):
    rng = np.random.default_rng(seed)
    p = init_params(D, H, variant, seed=rng)
    randn = rng.standard_normal
    return p, randn((B, T, D)) * 2, randn((B, H)), randn((B, H))


@SETTINGS
@given(B=dims, T=dims, D=dims, H=dims, variant=variants, seed=st.integers(0, 2**16))
def test_forward_shapes_and_first_step(B, T, D, H, variant, seed):
    p, x, s0, c0 = _setup(B, T, D, H, variant, seed)
    stms, (h, c) = lstm_forward(x, p, s0, c0, variant)
    assert stms.shape == (B, T, H) and h.shape == c.shape == (B, H)
    np.testing.assert_array_equal(stms[:, -1], h)
    h1, c1 = lstm_cell(s0, c0, x[:, 0], p, variant)
    np.testing.assert_allclose(stms[:, 0], h1, rtol=1e-13, atol=1e-15)
    if T == 1:
        np.testing.assert_allclose(c, c1, rtol=1e-13, atol=1e-15)


@SETTINGS
@given(B=dims, T=st.integers(2, 5), D=dims, H=dims, variant=variants, seed=st.integers(0, 2**16))
def test_sequence_splits_and_batch_rows_are_independent(B, T, D, H, variant, seed):
    p, x, s0, c0 = _setup(B, T, D, H, variant, seed)
    stms, (h, c) = lstm_forward(x, p, s0, c0, variant)
    k = T // 2
    first, state = lstm_forward(x[:, :k], p, s0, c0, variant)
    second, (h2, c2) = lstm_forward(x[:, k:], p, *state, variant=variant)
    both = np.concatenate([first, second], axis=1)
    np.testing.assert_allclose(both, stms, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c2, c, rtol=1e-12, atol=1e-14)
    row, _ = lstm_forward(x[-1:], p, s0[-1:], c0[-1:], variant)
    np.testing.assert_allclose(row[0], stms[-1], rtol=1e-12, atol=1e-14)


@SETTINGS
@given(B=dims, T=dims, D=dims, H=dims, variant=variants, seed=st.integers(0, 2**16))
def test_bounds(B, T, D, H, variant, seed):
    """|STM| < 1 (a gate times a tanh); LTM grows by less than 1 per step (|N * i| < 1, f < 1)."""
    p, x, s0, c0 = _setup(B, T, D, H, variant, seed)
    stms, (h, c) = lstm_forward(x, p, s0, c0, variant)
    assert np.abs(stms).max() <= 1.0
    assert (np.abs(c) <= np.abs(c0) + T).all()


@SETTINGS
@given(B=dims, T=dims, D=dims, H=dims, variant=variants, seed=st.integers(0, 2**16))
def test_fused_matches_teaching_path(B, T, D, H, variant, seed):
    p, x, s0, c0 = _setup(B, T, D, H, variant, seed)
    stms, (h, c) = lstm_forward(x, p, s0, c0, variant)
    f_stms, (f_h, f_c), cache = fused_forward(x, p, s0, c0, variant, return_cache=True)
    np.testing.assert_allclose(f_stms, stms, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(f_c, c, rtol=1e-11, atol=1e-13)
    g = fused_backward(np.ones_like(stms), cache)
    assert {k: v.shape for k, v in g.items()} == {
        **{n: a.shape for n, a in p.items()},
        "events": x.shape,
        "stm0": s0.shape,
        "ltm0": c0.shape,
    }


@SETTINGS
@given(D=dims, H=dims, seed=st.integers(0, 2**16))
def test_pytorch_layout_round_trip(D, H, seed):
    p = init_params(D, H, "standard", seed=seed)
    w_ih, w_hh, b_ih, b_hh = pytorch_from_params(p)
    assert w_ih.shape == (4 * H, D) and w_hh.shape == (4 * H, H) and b_ih.shape == (4 * H,)
    q = params_from_pytorch(w_ih, w_hh, b_ih, b_hh)
    for name, arr in p.items():
        np.testing.assert_array_equal(q.as_dict()[name], arr)
