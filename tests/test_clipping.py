"""Clipping by the global norm (lstm_course.clipping): the maths, PyTorch's clip_grad_norm_, the
check's verdicts on slips that are not catalogued, and the exploding run."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_course.checks import check_clip_by_global_norm
from lstm_course.clipping import clip_by_global_norm, exploding_run
from lstm_course.exercises import EXERCISES


def _grads(seed=0, scale=10.0):
    rng = np.random.default_rng(seed)
    return {
        "W": rng.standard_normal((4, 3)) * scale,
        "b": rng.standard_normal(3),
        "v": rng.standard_normal((2, 2, 2)),
    }


def _norm(grads):
    return float(np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()])))


def test_long_gradient_is_scaled_to_max_norm_keeping_its_direction():
    grads = _grads()
    before = {k: v.copy() for k, v in grads.items()}
    out = clip_by_global_norm(grads, 2.0)
    assert out is not grads and set(out) == set(grads)
    assert _norm(out) == pytest.approx(2.0, rel=1e-6)
    ratios = [out[k] / grads[k] for k in grads]
    common = ratios[0].flat[0]
    assert all(np.allclose(r, common, rtol=1e-12) for r in ratios)  # one factor for all
    for k in grads:  # the caller's arrays are untouched
        np.testing.assert_array_equal(grads[k], before[k])


def test_short_gradient_is_left_alone_and_zero_does_not_divide_by_zero():
    grads = _grads(scale=0.01)
    out = clip_by_global_norm(grads, 100.0)
    for k in grads:
        np.testing.assert_array_equal(out[k], grads[k])
    zeros = {"W": np.zeros((2, 2))}
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(clip_by_global_norm(zeros, 1.0)["W"], zeros["W"])


@pytest.mark.parametrize("max_norm", [0.5, 5.0, 1e4])
def test_equals_torch_clip_grad_norm(max_norm):
    torch = pytest.importorskip("torch")
    grads = _grads(seed=3)
    tensors = [
        torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()
    ]
    for t, g in zip(tensors, grads.values(), strict=True):
        t.grad = torch.from_numpy(g.copy())
    total = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    assert float(total) == pytest.approx(_norm(grads), rel=1e-12)
    out = clip_by_global_norm(grads, max_norm)
    for t, k in zip(tensors, grads, strict=True):
        np.testing.assert_allclose(out[k], t.grad.numpy(), rtol=1e-12, atol=0)


def test_mistakes_differ_and_are_named():
    ex = EXERCISES["clip_by_global_norm"]
    assert len(ex.mistakes) >= 4
    for m in ex.mistakes:
        r = check_clip_by_global_norm(m.fn)
        assert not r.passed and m.diagnosis in r.message, m.name


def test_in_place_clipping_is_told_even_though_its_values_are_right():
    """Scaling the caller's arrays in place returns the right numbers; the check still fails it
    and says which argument changed (no catalogued mistake: its output equals the answer's)."""

    def clip_by_global_norm(grads, max_norm):
        norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
        scale = min(1.0, max_norm / norm)
        for g in grads.values():
            g *= scale
        return grads

    r = check_clip_by_global_norm(clip_by_global_norm)
    assert not r.passed
    assert "in place" in r.message and "grads['W_f']" in r.message


def test_without_the_epsilon_still_passes():
    def clip_by_global_norm(grads, max_norm):
        norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
        return {k: g * min(1.0, max_norm / norm) for k, g in grads.items()}

    assert check_clip_by_global_norm(clip_by_global_norm).passed


def test_exploding_run_explodes_without_clipping_and_not_with_it():
    pytest.importorskip("torch")
    wild = exploding_run(max_norm=None, steps=120)
    tame = exploding_run(max_norm=1.0, steps=120)
    assert wild["diverged"] is not None and max(wild["norm"]) > 1e5
    assert tame["diverged"] is None and len(tame["loss"]) == 120
    assert np.mean(tame["loss"][-20:]) < 0.5
    # same seed, same first batch and weights: the first step is the same in both runs
    assert wild["norm"][0] == tame["norm"][0] and wild["loss"][0] == tame["loss"][0]
