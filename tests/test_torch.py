"""The NumPy reference against torch.nn.LSTM, the converters, and GateLSTM."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from lstm_course import init_params, lstm_forward
from lstm_course.pytorch_layout import params_from_pytorch, pytorch_from_params

torch = pytest.importorskip("torch")
from lstm_course.torch import GateLSTM, from_torch, to_torch, torch_names  # noqa: E402

nn = torch.nn
SHAPES = [(1, 1, 1, 1), (2, 5, 3, 4), (4, 7, 6, 2), (3, 2, 1, 9)]  # (B, T, D, H)


def _lstm(D, H, seed, **kw):
    torch.manual_seed(seed)
    return nn.LSTM(D, H, dtype=torch.float64, **kw)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("B,T,D,H", SHAPES)
def test_numpy_standard_equals_nn_lstm(B, T, D, H, batch_first):
    lstm = _lstm(D, H, seed=B * 100 + T, batch_first=batch_first)
    with torch.no_grad():
        lstm.bias_hh_l0.uniform_(-1, 1)  # both biases matter: they are added
    p = from_torch(lstm)
    rng = np.random.default_rng(T)
    randn = rng.standard_normal
    x, h0, c0 = randn((B, T, D)), randn((B, H)), randn((B, H))
    xt = torch.from_numpy(x if batch_first else x.transpose(1, 0, 2).copy())
    with torch.no_grad():
        y, (hT, cT) = lstm(xt, (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    y = y.numpy() if batch_first else y.numpy().transpose(1, 0, 2)
    stms, (stm_T, ltm_T) = lstm_forward(x, p, h0, c0, variant="standard")
    np.testing.assert_allclose(stms, y, rtol=0, atol=1e-10)
    np.testing.assert_allclose(stm_T, hT[0].numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(ltm_T, cT[0].numpy(), rtol=0, atol=1e-10)


def test_pytorch_layout_blocks():
    """Row blocks (i, f, g, o) land on W_i, W_f, W_n, W_v; hh rows before ih rows."""
    H, D = 2, 3
    w_ih = np.arange(4 * H * D, dtype=float).reshape(4 * H, D)
    w_hh = -np.arange(4 * H * H, dtype=float).reshape(4 * H, H)
    b_ih, b_hh = np.arange(4 * H, dtype=float), np.full(4 * H, 0.5)
    p = params_from_pytorch(w_ih, w_hh, b_ih, b_hh)
    for k, W in enumerate((p.W_i, p.W_f, p.W_n, p.W_v)):
        rows = slice(k * H, (k + 1) * H)
        assert W.shape == (H + D, H)
        np.testing.assert_array_equal(W[:H], w_hh[rows].T)
        np.testing.assert_array_equal(W[H:], w_ih[rows].T)
    np.testing.assert_array_equal(p.b_n, b_ih[2 * H : 3 * H] + 0.5)
    assert p.variant == "standard"
    back = pytorch_from_params(p)
    np.testing.assert_array_equal(back[0], w_ih)
    np.testing.assert_array_equal(back[1], w_hh)
    np.testing.assert_array_equal(back[2] + back[3], b_ih + b_hh)
    with pytest.raises(ValueError, match="4H"):
        params_from_pytorch(w_ih[:-1], w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match="W_u"):
        pytorch_from_params(init_params(D, H, "lesson", seed=0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_to_torch_from_torch_round_trip(dtype):
    p = init_params(3, 5, "standard", seed=4, dtype=dtype)
    lstm = to_torch(p)
    assert lstm.batch_first and lstm.weight_ih_l0.dtype == torch.from_numpy(p.b_n).dtype
    q = from_torch(lstm)
    for name, arr in p.items():
        np.testing.assert_array_equal(q.as_dict()[name], arr, err_msg=name)
    assert not to_torch(p, batch_first=False).batch_first
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(dtype)
    with torch.no_grad():
        y, _ = lstm(torch.from_numpy(x))
    np.testing.assert_allclose(
        y.numpy(),
        lstm_forward(x, p, variant="standard")[0],
        atol=1e-6 if dtype == np.float32 else 1e-12,
    )
    lstm2 = _lstm(3, 4, seed=0)
    for a, b in zip(lstm2.parameters(), to_torch(from_torch(lstm2)).parameters(), strict=True):
        assert a.shape == b.shape
    with pytest.raises(ValueError, match="W_u"):
        to_torch(init_params(3, 5, "lesson", seed=0))


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(num_layers=2), "num_layers=2"),
        (dict(bidirectional=True), "bidirectional"),
        (dict(proj_size=2), "proj_size"),
        (dict(bias=False), "bias=False"),
    ],
)
def test_from_torch_rejects_unsupported(kw, match):
    with pytest.raises(ValueError, match=match):
        from_torch(nn.LSTM(3, 4, **kw))


def test_from_torch_rejects_other_modules():
    with pytest.raises(TypeError, match="nn.LSTM"):
        from_torch(nn.GRU(3, 4))


@pytest.mark.parametrize("variant", ["lesson", "standard"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gate_lstm_equals_numpy(variant, dtype):
    rng = np.random.default_rng(5)
    B, T, D, H = 3, 6, 2, 5
    p = init_params(D, H, variant, seed=rng, dtype=dtype)
    x = rng.standard_normal((B, T, D)).astype(dtype)
    s0, c0 = rng.standard_normal((B, H)).astype(dtype), rng.standard_normal((B, H)).astype(dtype)
    m = GateLSTM.from_params(p)
    assert m.variant == variant and m.W_n.dtype == torch.from_numpy(x).dtype
    with torch.no_grad():
        y, (hT, cT) = m(torch.from_numpy(x), (torch.from_numpy(s0), torch.from_numpy(c0)))
        y0, _ = m(torch.from_numpy(x))
    stms, (stm_T, ltm_T) = lstm_forward(x, p, s0, c0, variant)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    assert y.shape == (B, T, H) and y.dtype == torch.from_numpy(x).dtype
    np.testing.assert_allclose(y.numpy(), stms, **tol)
    np.testing.assert_allclose(hT.numpy(), stm_T, **tol)
    np.testing.assert_allclose(cT.numpy(), ltm_T, **tol)
    np.testing.assert_allclose(y0.numpy(), lstm_forward(x, p, variant=variant)[0], **tol)
    q = m.to_params()
    assert q.variant == variant
    for name, arr in p.items():
        np.testing.assert_array_equal(q.as_dict()[name], arr)


def test_gate_lstm_module():
    m = GateLSTM(3, 4, "lesson", forget_bias=1.0)
    names = [n for n, _ in m.named_parameters()]
    assert names == ["W_n", "b_n", "W_i", "b_i", "W_f", "b_f", "W_v", "b_v", "W_u", "b_u"]
    assert m.W_n.shape == (7, 4) and m.W_u.shape == (4, 4)
    assert (m.b_f.detach() >= 0.5).all() and (m.b_n.detach().abs() <= 0.5).all()
    s = GateLSTM(3, 4, "standard", dtype=torch.float64)
    assert s.W_u is None and len(list(s.parameters())) == 8 and s.W_n.dtype == torch.float64
    assert "variant='standard'" in repr(s)
    std = GateLSTM.from_params(init_params(3, 4, "lesson", seed=0), variant="standard")
    assert std.variant == "standard" and std.W_u is None
    with pytest.raises(ValueError, match="D=5"):
        m(torch.zeros(2, 3, 5))
    with pytest.raises(ValueError, match=r"\(B, T, D\)"):
        m(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="variant"):
        GateLSTM(3, 4, "peephole")
    with pytest.raises(ValueError, match=r"stm0 must be \(B, H\)"):
        m(torch.zeros(2, 3, 3), (torch.zeros(1, 2, 4), torch.zeros(2, 4)))  # nn.LSTM's h0 shape
    y, (h, c) = m(torch.zeros(2, 0, 3))
    assert y.shape == (2, 0, 4) and h.shape == c.shape == (2, 4)


def test_gate_lstm_standard_equals_nn_lstm_with_grads():
    """GateLSTM(standard) and nn.LSTM are the same function: outputs and weight gradients."""
    lstm = _lstm(3, 4, seed=1, batch_first=True)
    m = GateLSTM.from_params(from_torch(lstm))
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    (lstm(x)[0] ** 2).sum().backward()
    (m(x)[0] ** 2).sum().backward()
    w_ih, w_hh, b_ih, b_hh = (q.grad.numpy() for q in lstm.parameters())
    np.testing.assert_allclose(b_ih, b_hh, rtol=1e-12)  # dL/dbias_ih = dL/dbias_hh = dL/db
    grads = params_from_pytorch(w_ih, w_hh, b_ih, np.zeros_like(b_hh))
    for name, q in m.named_parameters():
        np.testing.assert_allclose(q.grad.numpy(), grads.as_dict()[name], rtol=1e-10, atol=1e-12)


def test_import_without_torch():
    """`import lstm_course` (and the NumPy modules) must not need torch."""
    code = textwrap.dedent("""
        import sys
        sys.modules["torch"] = None          # any `import torch` now raises ImportError
        import lstm_course, lstm_course.fused, lstm_course.pytorch_layout, lstm_course.gradcheck
        assert "torch" not in [m.split(".")[0] for m in sys.modules if sys.modules[m] is not None]
        try:
            import lstm_course.torch
        except ImportError:
            print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("variant", ["lesson", "standard"])
def test_gate_lstm_on_cuda(variant):
    """Device-agnostic: the same module on the GPU gives the CPU's outputs and gradients."""
    p = init_params(3, 4, variant, seed=0)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    grads = []
    for device in ("cpu", "cuda"):
        m = GateLSTM.from_params(p, device=device)
        xd = x.to(device).requires_grad_(True)
        y, (h, c) = m(xd)
        ((y**2).sum() + c.sum()).backward()
        grads.append([y.detach().cpu(), xd.grad.cpu()] + [q.grad.cpu() for q in m.parameters()])
        assert m.to_params().variant == variant
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    lstm = to_torch(p.with_variant("standard"), device="cuda")
    assert from_torch(lstm).W_n.shape == (7, 4)


@pytest.mark.parametrize("batch_first", [True, False])
def test_stacked_nn_lstm_layer_by_layer(batch_first):
    """A stacked nn.LSTM is the NumPy cell run layer by layer: layer k's `_l{k}` arrays through
    from_torch(lstm, layer=k), layer k+1's Events = layer k's stms (float64, 1e-10)."""
    B, T, D, H, L = 3, 5, 2, 4, 3
    lstm = _lstm(D, H, seed=7, num_layers=L, batch_first=batch_first)
    with torch.no_grad():
        for k in range(L):
            getattr(lstm, f"bias_hh_l{k}").uniform_(-1, 1)  # both biases of every layer matter
    assert [n for n, _ in lstm.named_parameters()] == [n for k in range(L) for n in torch_names(k)]
    assert lstm.weight_ih_l0.shape == (4 * H, D) and lstm.weight_ih_l1.shape == (4 * H, H)
    rng = np.random.default_rng(8)
    x, h0, c0 = (
        rng.standard_normal((B, T, D)),
        rng.standard_normal((L, B, H)),
        rng.standard_normal((L, B, H)),
    )
    xt = torch.from_numpy(x if batch_first else x.transpose(1, 0, 2).copy())
    with torch.no_grad():
        y, (hT, cT) = lstm(xt, (torch.from_numpy(h0), torch.from_numpy(c0)))
    y = y.numpy() if batch_first else y.numpy().transpose(1, 0, 2)
    layer_input = x
    for k in range(L):
        p = from_torch(lstm, layer=k)
        assert p.input_size == (D if k == 0 else H) and p.variant == "standard"
        layer_input, (stm_T, ltm_T) = lstm_forward(layer_input, p, h0[k], c0[k], variant="standard")
        np.testing.assert_allclose(stm_T, hT[k].numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(ltm_T, cT[k].numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(layer_input, y, rtol=0, atol=1e-10)


def test_from_torch_layer_argument():
    stacked = _lstm(3, 4, seed=1, num_layers=2)
    with pytest.raises(ValueError, match=r"num_layers=2: pass layer=0\.\.1"):
        from_torch(stacked)
    for bad in (2, -1, 1.0, True):
        with pytest.raises(ValueError, match="layer must be an integer from 0 to 1"):
            from_torch(stacked, layer=bad)
    arrays = [getattr(stacked, n).detach().numpy() for n in torch_names(1)]
    assert torch_names(1) == ("weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1")
    for name, arr in params_from_pytorch(*arrays).items():
        np.testing.assert_array_equal(from_torch(stacked, layer=1).as_dict()[name], arr)
    single = _lstm(3, 4, seed=2)
    for name, arr in from_torch(single).items():
        np.testing.assert_array_equal(from_torch(single, layer=0).as_dict()[name], arr)
    with pytest.raises(ValueError, match="from 0 to 0"):
        from_torch(single, layer=1)
