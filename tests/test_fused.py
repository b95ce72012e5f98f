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


# threads=n (the batch split over a thread pool) and the reused buffers


def _fwd_bwd(variant, dtype, B, T, threads, seed=0, D=4, H=5):
    p, x, s0, c0, G, gh, gc = _case(variant, dtype, B, T, D, H, seed)
    stms, (h, c), cache = fused_forward(x, p, s0, c0, variant, return_cache=True, threads=threads)
    return (stms, h, c), fused_backward(G, cache, gh, gc)


@pytest.mark.parametrize("variant", ["lesson", "standard"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("B", "threads"), [(6, 2), (7, 2), (7, 3), (5, 4), (1, 2), (2, 8), (3, 1)])
def test_threads_give_the_one_thread_result(variant, dtype, B, threads):
    """Odd batches (unequal parts), B=1 and more threads than rows; the teaching path agrees."""
    out1, g1 = _fwd_bwd(variant, dtype, B, 7, threads=1)
    outn, gn = _fwd_bwd(variant, dtype, B, 7, threads=threads)
    for a, b in zip(out1, outn, strict=True):
        assert b.dtype == dtype and b.shape == a.shape
        np.testing.assert_allclose(b, a, **TOL[dtype])  # BLAS kernels may differ with the rows
    assert list(gn) == list(g1)
    for name in g1:
        assert gn[name].dtype == dtype and gn[name].shape == g1[name].shape, name
        np.testing.assert_allclose(gn[name], g1[name], **TOL[dtype], err_msg=name)
    p, x, s0, c0, G, gh, gc = _case(variant, dtype, B, 7)
    g_ref = lstm_backward(G, lstm_forward(x, p, s0, c0, variant, return_cache=True)[2], gh, gc)
    for name in g_ref:
        np.testing.assert_allclose(gn[name], g_ref[name], **TOL[dtype], err_msg=name)


@pytest.mark.parametrize("variant", ["lesson", "standard"])
def test_threads_zero_steps_and_errors(variant):
    p, _, s0, c0, *_ = _case(variant, np.float64)
    stms, (h, c), cache = fused_forward(
        np.zeros((3, 0, 4)), p, s0, c0, variant, return_cache=True, threads=2
    )
    assert stms.shape == (3, 0, 5)
    np.testing.assert_array_equal(h, s0)
    g = fused_backward(np.zeros((3, 0, 5)), cache, s0, c0)
    np.testing.assert_array_equal(g["stm0"], s0)
    np.testing.assert_array_equal(g["ltm0"], c0)
    with pytest.raises(ValueError, match="threads"):
        fused_forward(np.zeros((3, 2, 4)), p, variant=variant, threads=0)


def test_threads_leave_the_blas_thread_count_alone():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = [i["num_threads"] for i in threadpoolctl.threadpool_info()]
    _fwd_bwd("standard", np.float32, 8, 3, threads=2)
    assert [i["num_threads"] for i in threadpoolctl.threadpool_info()] == before


def test_buffers_in_use_are_never_reused():
    """A cache still alive keeps its buffers; once dropped, the next call reuses them."""
    from lstm_course import fused

    p1, x1, *_ = _case("standard", np.float64, 16, 40, 8, 32, seed=1)  # Z: > 64 kB
    p2, x2, *_ = _case("standard", np.float64, 16, 40, 8, 32, seed=2)
    _, _, c1 = fused_forward(x1, p1, variant="standard", return_cache=True)
    _, _, c2 = fused_forward(x2, p2, variant="standard", return_cache=True)  # c1 still alive
    assert not np.shares_memory(c1["parts"][0][1]["Z"], c2["parts"][0][1]["Z"])
    ones = np.ones((16, 40, 32))
    g1 = fused_backward(ones, c1)
    g_ref = fused_backward(ones, fused_forward(x1, p1, variant="standard", return_cache=True)[2])
    for name in g_ref:
        np.testing.assert_array_equal(g1[name], g_ref[name], err_msg=name)
    z2 = id(c2["parts"][0][1]["Z"])  # the pool keeps it alive, so no other array gets this id
    del c2
    _, _, c3 = fused_forward(x2, p2, variant="standard", return_cache=True)
    assert id(c3["parts"][0][1]["Z"]) == z2  # reused: no fresh memory
    fused.clear_buffers()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_threads_work_in_a_forked_child():
    """The pool's threads do not survive a fork: the child starts its own (no hang)."""
    import os

    ref, _ = _fwd_bwd("standard", np.float64, 6, 3, threads=2)  # the parent's pool exists
    r, w = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # child
        ok = 0
        try:
            out, _ = _fwd_bwd("standard", np.float64, 6, 3, threads=2)
            ok = int(np.allclose(out[0], ref[0]))
        finally:
            os.write(w, bytes([ok]))
            os._exit(0)
    os.close(w)
    import select

    answered = select.select([r], [], [], 30)[0]
    if not answered:
        os.kill(pid, 9)
    os.waitpid(pid, 0)
    got = os.read(r, 1) if answered else b""
    os.close(r)
    assert answered, "the child hung"
    assert got == b"\x01"
