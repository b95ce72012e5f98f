"""Numerical gradient checking (the cs231n habit): central differences and relative error.

    df/dx_k ~ (f(x + h e_k) - f(x - h e_k)) / (2h)
    rel_error(a, b) = max|a - b| / max(1e-8, max|a| + max|b|)

The error is measured against the arrays' scale, not entry by entry, so a tiny gradient entry
(where round-off dominates) cannot inflate it. In float64 a correct backward gives about 1e-9;
a wrong one gives 1e-2 or more.
"""

from __future__ import annotations

import numpy as np

from .params import LSTMParams
from .sequence import lstm_backward, lstm_forward

__all__ = ["rel_error", "numerical_gradient", "gradient_check"]


def rel_error(a, b) -> float:
    """Largest absolute difference between two same-shape arrays, relative to their scale."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs arrays of one shape, got {a.shape} and {b.shape}")
    if not a.size:
        return 0.0
    scale = max(1e-8, float(np.max(np.abs(a)) + np.max(np.abs(b))))
    return float(np.max(np.abs(a - b)) / scale)


def numerical_gradient(f, x, df, h: float = 1e-5):
    """Numerical gradient of sum(f() * df) w.r.t. the array x (perturbed in place, restored).

    f: a function of no arguments returning an array (it must read x); df: array like f().
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = np.sum(f() * df)
        x[ix] = old - h
        neg = np.sum(f() * df)
        x[ix] = old
        grad[ix] = (pos - neg) / (2 * h)
        it.iternext()
    return grad


def gradient_check(
    params: LSTMParams,
    events,
    stm0=None,
    ltm0=None,
    variant: str = "lesson",
    h: float = 1e-5,
    seed=0,
) -> dict:
    """Compare lstm_backward with central differences on a random linear loss.

    The loss is sum(stms * G) + sum(stm_T * g_h) + sum(ltm_T * g_c) with random G, g_h, g_c.
    Returns {name: relative error} for every parameter, 'events', 'stm0' and 'ltm0'.
    Use float64 arrays; keep shapes small (each entry costs two forward passes).
    """
    rng = np.random.default_rng(seed)
    params = params.astype(np.float64)
    events = np.array(events, dtype=np.float64)
    B, T, _ = events.shape
    H = params.hidden_size
    stm0 = rng.standard_normal((B, H)) if stm0 is None else np.array(stm0, dtype=np.float64)
    ltm0 = rng.standard_normal((B, H)) if ltm0 is None else np.array(ltm0, dtype=np.float64)
    G = rng.standard_normal((B, T, H))
    g_h, g_c = rng.standard_normal((B, H)), rng.standard_normal((B, H))

    stms, _, cache = lstm_forward(events, params, stm0, ltm0, variant, return_cache=True)
    analytic = lstm_backward(G, cache, g_h, g_c)

    def loss():
        s, (hT, cT) = lstm_forward(events, params, stm0, ltm0, variant)
        return np.array(np.sum(s * G) + np.sum(hT * g_h) + np.sum(cT * g_c))

    inputs = {**params.as_dict(), "events": events, "stm0": stm0, "ltm0": ltm0}
    if variant == "standard":
        inputs.pop("W_u", None)
        inputs.pop("b_u", None)
    return {
        name: rel_error(numerical_gradient(loss, arr, np.ones(()), h), analytic[name])
        for name, arr in inputs.items()
    }
