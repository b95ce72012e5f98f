"""Backpropagation through time: numerical gradient check, and agreement with torch autograd."""

import numpy as np
import pytest

from lstm_course import (
    gradient_check,
    init_params,
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    ltm_path_backward,
    numerical_gradient,
    rel_error,
    sigmoid,
    use_gate_backward,
)
from lstm_course.exercises.base import marked_body

VARIANTS = ["lesson", "standard"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_gradient_check(variant):
    rng = np.random.default_rng(1)
    p = init_params(3, 4, variant, seed=rng, forget_bias=0.5)
    errors = gradient_check(p, rng.standard_normal((2, 3, 3)), variant=variant)
    expected = {"events", "stm0", "ltm0", *p.names()}
    assert set(errors) == expected
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("variant", VARIANTS)
def test_cell_backward_numerically(variant):
    """One step on its own, every input of lstm_cell_backward's dict."""
    rng = np.random.default_rng(2)
    p = init_params(2, 3, variant, seed=rng)
    randn = rng.standard_normal
    stm, ltm, event = randn((2, 3)), randn((2, 3)), randn((2, 2))
    dstm, dltm = randn((2, 3)), randn((2, 3))
    _, _, cache = lstm_cell_forward(stm, ltm, event, p, variant)
    g = lstm_cell_backward(dstm, dltm, cache)

    def loss():
        s, c, _ = lstm_cell_forward(stm, ltm, event, p, variant)
        return np.array(np.sum(s * dstm) + np.sum(c * dltm))

    for name, arr in {**p.as_dict(), "stm": stm, "ltm": ltm, "event": event}.items():
        num = numerical_gradient(loss, arr, np.ones(()))
        assert rel_error(num, g[name]) < 1e-8, name


def test_ltm_path_backward_numerically():
    """Step 1 on its own: L = sum(LTM_t * dltm) + sum(kept * dkept_use), kept = LTM_{t-1} * f."""
    rng = np.random.default_rng(4)
    randn = rng.standard_normal
    ltm, f, N, i = (
        randn((3, 4)),
        sigmoid(randn((3, 4))),
        np.tanh(randn((3, 4))),
        sigmoid(randn((3, 4))),
    )
    dltm, dkept_use = randn((3, 4)), randn((3, 4))
    g = ltm_path_backward(dltm, dkept_use, ltm, f, N, i)
    assert list(g) == ["ltm", "f", "N", "i"]

    def loss():
        kept = ltm * f
        return np.array(np.sum((kept + N * i) * dltm) + np.sum(kept * dkept_use))

    for name, arr in {"ltm": ltm, "f": f, "N": N, "i": i}.items():
        num = numerical_gradient(loss, arr, np.ones(()))
        assert rel_error(num, g[name]) < 1e-8, name


def test_use_gate_backward_numerically():
    """Step 2 on its own: L = sum(STM_t * dstm), STM_t = tanh(kept W_u + b_u) * V."""
    rng = np.random.default_rng(5)
    randn = rng.standard_normal
    kept, V, W_u, b_u, dstm = (
        randn((3, 4)),
        sigmoid(randn((3, 4))),
        randn((4, 4)),
        randn(4),
        randn((3, 4)),
    )
    U = np.tanh(kept @ W_u + b_u)
    g = use_gate_backward(dstm, kept, U, V, W_u)
    assert list(g) == ["V", "W_u", "b_u", "kept"]

    def loss():
        return np.array(np.sum(np.tanh(kept @ W_u + b_u) * V * dstm))

    for name, arr in {"V": V, "W_u": W_u, "b_u": b_u, "kept": kept}.items():
        num = numerical_gradient(loss, arr, np.ones(()))
        assert rel_error(num, g[name]) < 1e-8, name


def test_cell_backward_is_written_with_the_two_steps():
    """One definition: the whole step's answer calls the two graded steps (the lesson's cell
    both, the standard cell ltm_path_backward), it does not repeat them."""
    code = "\n".join(line.split("#")[0] for line in marked_body(lstm_cell_backward).splitlines())
    assert code.count("use_gate_backward(") == 1 and code.count("ltm_path_backward(") == 1
    assert "* f\n" not in code and "kept.T @" not in code and "W_u.T" not in code


def test_backward_gradient_shapes_and_dtype():
    p = init_params(3, 4, "lesson", seed=0, dtype=np.float32)
    x = np.ones((2, 5, 3), np.float32)
    stms, _, cache = lstm_forward(x, p, return_cache=True)
    g = lstm_backward(np.ones_like(stms), cache)
    for name, arr in p.items():
        assert g[name].shape == arr.shape and g[name].dtype == np.float32, name
    assert g["events"].shape == x.shape and g["stm0"].shape == g["ltm0"].shape == (2, 4)


@pytest.mark.parametrize("variant", VARIANTS)
def test_lstm_backward_matches_torch_autograd(variant):
    torch = pytest.importorskip("torch")
    from lstm_course.torch import GateLSTM

    rng = np.random.default_rng(3)
    B, T, D, H = 3, 5, 2, 4
    p = init_params(D, H, variant, seed=rng, forget_bias=1.0)
    randn = rng.standard_normal
    x, s0, c0 = randn((B, T, D)), randn((B, H)), randn((B, H))
    G, gh, gc = randn((B, T, H)), randn((B, H)), randn((B, H))

    stms, _, cache = lstm_forward(x, p, s0, c0, variant, return_cache=True)
    ours = lstm_backward(G, cache, gh, gc)

    m = GateLSTM.from_params(p)
    assert m.W_n.dtype == torch.float64
    xt, s0t, c0t = (torch.tensor(a, requires_grad=True) for a in (x, s0, c0))
    y, (hT, cT) = m(xt, (s0t, c0t))
    loss = (
        (y * torch.from_numpy(G)).sum()
        + (hT * torch.from_numpy(gh)).sum()
        + (cT * torch.from_numpy(gc)).sum()
    )
    loss.backward()
    theirs = {name: q.grad.numpy() for name, q in m.named_parameters()}
    theirs.update(events=xt.grad.numpy(), stm0=s0t.grad.numpy(), ltm0=c0t.grad.numpy())
    assert set(theirs) == set(ours)
    for name in ours:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-10, atol=1e-12, err_msg=name)
