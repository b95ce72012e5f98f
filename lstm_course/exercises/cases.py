"""Random test cases shared by the exercises (NumPy only, float64, deterministic for a Generator).

Every check runs on several cases: a single sequence (B = 1), a batch (B > 1), hidden and
input sizes that differ (H != D, so a transposed weight cannot pass by luck), and one case whose
weights are scaled up so that the sigmoids and tanhs saturate (large pre-activations).
"""

from __future__ import annotations

from dataclasses import is_dataclass

import numpy as np

from ..params import LSTMParams

__all__ = ["DEFAULT_SHAPES", "LARGE", "weight", "bias", "states", "lstm_params", "case_shape"]

LARGE = 1000.0  # weight scale of the saturated case: pre-activations beyond +-700 (exp overflows)
# (B, H, D, weight scale)
DEFAULT_SHAPES = ((1, 3, 2, 1.0), (4, 5, 3, 1.0), (3, 2, 6, 1.0), (2, 4, 3, LARGE))


def weight(rng, rows, cols, scale=1.0):
    """Entries of about +-2/sqrt(rows): pre-activations of order 1 (hundreds when scale=LARGE)."""
    return rng.uniform(-2.0, 2.0, size=(rows, cols)) * (scale / np.sqrt(rows))


def bias(rng, n, scale=1.0):
    """Clearly non-zero biases, so that leaving one out always shows.

    In the saturated case (scale >= LARGE) units 0, 1 (mod 3) get biases of about +-2.4 LARGE,
    so every gate has pre-activations beyond +709 AND below -709 (where np.exp(a) and
    np.exp(-a) overflow); units 2 (mod 3) keep ordinary biases, so their outputs still differ
    from one row of the batch to the next.
    """
    out = rng.choice([-1.0, 1.0], size=n) * rng.uniform(0.3, 1.0, size=n) * max(1.0, scale / 5)
    if scale >= LARGE:
        k = np.arange(n)
        sign = rng.choice([-1.0, 1.0])
        huge = np.where(k % 3 == 0, sign, -sign) * rng.uniform(2.2, 2.6, size=n) * scale
        out = np.where(k % 3 == 2, out, huge)
    return out


def states(rng, B, H, D):
    """(stm, ltm, event): STM in (-1, 1) like a real hidden state, LTM and Event of order 1."""
    stm = np.tanh(rng.standard_normal((B, H)) * 1.5)
    ltm = rng.standard_normal((B, H)) * 1.5
    event = rng.standard_normal((B, D))
    return stm, ltm, event


def lstm_params(rng, H, D, scale=1.0, with_use_weights=True) -> LSTMParams:
    """Random float64 LSTMParams; W_u/b_u are left out when with_use_weights is False."""
    p = {}
    for k in ("n", "i", "f", "v"):
        p["W_" + k] = weight(rng, H + D, H, scale)
        p["b_" + k] = bias(rng, H, scale)
    p["W_u"] = weight(rng, H, H, scale)
    p["b_u"] = bias(rng, H, scale)
    if not with_use_weights:
        p["W_u"] = p["b_u"] = None
    return LSTMParams(**p)


def case_shape(kwargs: dict) -> dict:
    """{'B': .., 'H': .., 'D': .. (and 'T')} read off a case's arguments, for messages."""
    out: dict = {}
    try:
        if "events" in kwargs:
            B, T, D = np.shape(kwargs["events"])
            out = dict(B=B, T=T, H=kwargs["params"].hidden_size, D=D)
        elif "cache" in kwargs:
            B, H = np.shape(kwargs["dstm"])
            out = dict(B=B, H=H, D=np.shape(kwargs["cache"]["x"])[1] - H)
        elif "dkept_use" in kwargs:  # ltm_path_backward: dltm (B, H)
            B, H = np.shape(kwargs["dltm"])
            out = dict(B=B, H=H)
        elif "dstm" in kwargs and "kept" in kwargs:  # use_gate_backward: dstm (B, H)
            B, H = np.shape(kwargs["dstm"])
            out = dict(B=B, H=H)
        elif "weight_ih" in kwargs:
            H4, D = np.shape(kwargs["weight_ih"])
            out = dict(H=H4 // 4, D=D)
        elif "event" in kwargs:
            B, D = np.shape(kwargs["event"])
            out = dict(B=B, H=np.shape(kwargs["stm"])[1], D=D)
        elif "learn_out" in kwargs:
            B, H = np.shape(kwargs["learn_out"])
            out = dict(B=B, H=H)
        elif "h" in kwargs and "x" in kwargs:  # the GRU: h (B, H), x (B, D)
            B, D = np.shape(kwargs["x"])
            out = dict(B=B, H=np.shape(kwargs["h"])[1], D=D)
    except Exception:  # noqa: BLE001 - a description only
        return {}
    return out


def is_large(kwargs: dict) -> bool:
    """Whether a case is the saturated one (some weight or input far beyond order 1)."""

    def big(a, limit=4.5):
        return isinstance(a, np.ndarray) and a.size and float(np.max(np.abs(a))) > limit

    for key, value in kwargs.items():
        if isinstance(value, LSTMParams) or (is_dataclass(value) and hasattr(value, "items")):
            if any(big(a) for _, a in value.items()):
                return True
        elif key == "cache":
            if big(value.get("x")) or any(big(a) for _, a in value["params"].items()):
                return True
        elif key.startswith("W_") and big(value):
            return True
        elif key == "forget_out" and big(value, 10.0):
            return True
        elif key in ("f", "i", "V") and _saturated(value):  # gate outputs of a saturated step
            return True
    return False


def _saturated(a) -> bool:
    """Whether a sigmoid gate's output reached exactly 0 or 1 somewhere (|pre-activation| > ~37:
    only the large case's weights get there)."""
    return isinstance(a, np.ndarray) and a.size > 0 and bool(((a == 0) | (a == 1)).any())


def describe(kwargs: dict) -> str:
    """'B=4, H=5, D=3' (and ', saturated gates' for the large case)."""
    if isinstance(kwargs.get("grads"), dict) and "max_norm" in kwargs:  # clipping
        try:
            grads = kwargs["grads"]
            norm = float(np.linalg.norm(np.concatenate([np.ravel(g) for g in grads.values()])))
            names = ", ".join(grads)
            max_norm = kwargs["max_norm"]
            arrays = "1 array" if len(grads) == 1 else f"{len(grads)} arrays"
            return f"{arrays} ({names}), global norm {norm:.4g}, max_norm {max_norm:g}"
        except Exception:  # noqa: BLE001 - a description only
            return ""
    shape = case_shape(kwargs)
    text = ", ".join(f"{k}={v}" for k, v in shape.items())
    if is_large(kwargs):
        text += ", large pre-activations (saturated gates)"
    return text
