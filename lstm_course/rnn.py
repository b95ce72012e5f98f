"""A plain tanh RNN, and why it forgets: the gradient through many steps vanishes (or explodes).

Row-vector convention (batch first), like the rest of the package:

    h_t = tanh(h_{t-1} @ W_hh + x_t @ W_xh + b)          h (B, H), x (B, D)

The gradient of the last output h_T with respect to the input k steps back, x_{T-k}, is a
product of k one-step Jacobians (column convention, J[a, b] = d h_t[a] / d h_{t-1}[b]):

    d h_T / d x_{T-k} = J_T J_{T-1} ... J_{T-k+1} . diag(1 - h_{T-k}^2) W_xh^T
    J_t = d h_t / d h_{t-1} = diag(1 - h_t^2) W_hh^T

Each factor shrinks or stretches the gradient by roughly the same amount, so its size changes
exponentially with k: it vanishes when the recurrent weights are small (scale < ~2 for the
Gaussian init below) and explodes when they are large. `gradient_vs_lag` measures exactly that.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "init_rnn_params",
    "rnn_step",
    "rnn_forward",
    "input_gradients",
    "gradient_vs_lag",
    "growth_per_step",
]


def init_rnn_params(input_size: int = 1, hidden_size: int = 32, scale: float = 1.0, seed=0) -> dict:
    """Random RNN weights: W_hh ~ N(0, scale^2 / H) (``scale`` is the recurrent weight scale,
    the "gain"), W_xh ~ N(0, 1 / D), b = 0. Returns dict(W_xh (D, H), W_hh (H, H), b (H,))."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    H, D = int(hidden_size), int(input_size)
    W_hh = rng.normal(0.0, 1.0, (H, H)) * (float(scale) / np.sqrt(H))
    W_xh = rng.normal(0.0, 1.0, (D, H)) / np.sqrt(D)
    return dict(W_xh=W_xh, W_hh=W_hh, b=np.zeros(H))


def rnn_step(h, x, W_xh, W_hh, b):
    """One step of a plain RNN: h_t = tanh(h_{t-1} @ W_hh + x_t @ W_xh + b).  -> (B, H)"""
    return np.tanh(h @ W_hh + x @ W_xh + b)


def rnn_forward(xs, W_xh, W_hh, b, h0=None):
    """Run the RNN over xs (B, T, D) from h0 (B, H) (zeros when None). -> hs (B, T, H)."""
    xs = np.asarray(xs, dtype=float)
    if xs.ndim != 3:
        raise ValueError(f"xs must be (B, T, D), got shape {xs.shape}")
    B, T, _ = xs.shape
    H = W_hh.shape[0]
    h = np.zeros((B, H)) if h0 is None else np.asarray(h0, dtype=float)
    hs = np.empty((B, T, H))
    for t in range(T):
        h = rnn_step(h, xs[:, t], W_xh, W_hh, b)
        hs[:, t] = h
    return hs


def input_gradients(xs, W_xh, W_hh, b, h0=None):
    """Size of d h_T / d x_{T-k} for k = 0 .. T-1, for ONE sequence xs (T, D) or (1, T, D).

    Returns norms (T,): norms[k] is the Frobenius norm of the (H, D) Jacobian of the last
    output with respect to the input k steps before the end (k = 0 is the last input).
    """
    xs = np.asarray(xs, dtype=float)
    if xs.ndim == 3:
        if xs.shape[0] != 1:
            raise ValueError("input_gradients takes one sequence: xs (T, D) or (1, T, D)")
        xs = xs[0]
    hs = rnn_forward(xs[None], W_xh, W_hh, b, None if h0 is None else np.atleast_2d(h0))[0]
    T, H = hs.shape
    M = np.eye(H)  # d h_T / d h_t, built up from t = T backwards
    norms = np.empty(T)
    for k in range(T):
        d = 1.0 - hs[T - 1 - k] ** 2  # tanh' at step T-k (H,)
        norms[k] = np.linalg.norm(M @ (d[:, None] * W_xh.T))
        M = M @ (d[:, None] * W_hh.T)
    return norms


def gradient_vs_lag(
    scale: float = 1.0, seq_len: int = 50, hidden_size: int = 32, input_size: int = 1, seed: int = 0
):
    """The vanishing/exploding-gradient curve of a random tanh RNN.

    Weights from `init_rnn_params(scale=scale)`, inputs x_t ~ N(0, 1), both from ``seed``.
    Returns (lags (T,), norms (T,)): norms[k] = || d h_T / d x_{T-k} ||.
    """
    rng = np.random.default_rng(seed)
    p = init_rnn_params(input_size, hidden_size, scale, rng)
    xs = rng.normal(0.0, 1.0, (int(seq_len), int(input_size)))
    return np.arange(int(seq_len)), input_gradients(xs, **p)


def growth_per_step(norms) -> float:
    """The average factor the gradient is multiplied by per step back in time (geometric mean
    of norms[k+1] / norms[k]): < 1 vanishes, > 1 explodes."""
    norms = np.asarray(norms, dtype=float)
    if norms.size < 2:
        return 1.0
    logs = np.log(np.maximum(norms, np.finfo(float).tiny))
    return float(np.exp((logs[-1] - logs[0]) / (norms.size - 1)))
