"""The two squashing functions every gate is built from.

    sigmoid(x) = 1 / (1 + exp(-x))      in (0, 1): a gate's "how much" factor
    tanh(x)                             in (-1, 1): a candidate value

`sigmoid` never overflows: for x < 0 it is evaluated as exp(x) / (1 + exp(x)), so
exp only ever sees a non-positive argument (safe for |x| > 700).
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "tanh", "dsigmoid_from_output", "dtanh_from_output"]

tanh = np.tanh


def sigmoid(x):
    """Logistic sigmoid, elementwise, stable for any float input. Shape in == shape out."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    neg = ~pos
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[neg])
    out[neg] = e / (1.0 + e)
    return out


def dsigmoid_from_output(s):
    """d sigmoid(a) / da written with the output s = sigmoid(a): s * (1 - s)."""
    return s * (1.0 - s)


def dtanh_from_output(t):
    """d tanh(a) / da written with the output t = tanh(a): 1 - t**2."""
    return 1.0 - t * t
