"""The weights of one LSTM layer, named after the lesson's gates.

Row-vector convention (batch first): a gate's pre-activation is ``[stm, event] @ W + b``.

    name  shape     gate            standard name (PyTorch nn.LSTM block)
    W_n   (H+D, H)  Learn: N_t      g  (the "cell" candidate, tanh)
    W_i   (H+D, H)  Learn: i_t      i  (input gate)
    W_f   (H+D, H)  Forget: f_t     f  (forget gate)
    W_u   (H, H)    Use: U_t        -  (lesson only; None for the standard LSTM)
    W_v   (H+D, H)  Use: V_t        o  (output gate)
    b_*   (H,)

Rows 0..H-1 of each (H+D, H) matrix multiply the STM (h), rows H.. the Event (x),
because ``[stm, event]`` puts the STM first.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

__all__ = ["LSTMParams", "init_params", "VARIANTS", "check_variant"]

VARIANTS = ("lesson", "standard")

CONCAT_WEIGHTS = ("W_n", "W_i", "W_f", "W_v")  # act on [stm, event]: (H+D, H)


def check_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    return variant


@dataclass
class LSTMParams:
    """All weights and biases of one LSTM layer (see the module docstring for shapes)."""

    W_n: np.ndarray
    b_n: np.ndarray
    W_i: np.ndarray
    b_i: np.ndarray
    W_f: np.ndarray
    b_f: np.ndarray
    W_u: np.ndarray | None
    b_u: np.ndarray | None
    W_v: np.ndarray
    b_v: np.ndarray

    @property
    def hidden_size(self) -> int:
        return self.W_n.shape[1]

    @property
    def input_size(self) -> int:
        return self.W_n.shape[0] - self.W_n.shape[1]

    @property
    def variant(self) -> str:
        """'lesson' when the Use gate has its own weights W_u, else 'standard'."""
        return "standard" if self.W_u is None else "lesson"

    @property
    def dtype(self):
        return self.W_n.dtype

    def names(self) -> list[str]:
        """Names of the arrays that are present (W_u, b_u are skipped in the standard variant)."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    def items(self):
        return [(name, getattr(self, name)) for name in self.names()]

    def as_dict(self) -> dict:
        return dict(self.items())

    def copy(self) -> LSTMParams:
        return self.map(np.array)

    def astype(self, dtype) -> LSTMParams:
        return self.map(lambda a: np.asarray(a, dtype=dtype).copy())

    def map(self, fn) -> LSTMParams:
        """A new LSTMParams with fn applied to every present array."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return LSTMParams(**{name: None if v is None else fn(v) for name, v in values.items()})

    def with_variant(self, variant: str) -> LSTMParams:
        """The same weights for another variant: 'standard' drops W_u/b_u; 'lesson' needs them."""
        check_variant(variant)
        if variant == "standard":
            return LSTMParams(**{**self.as_dict(), "W_u": None, "b_u": None})
        if self.W_u is None:
            raise ValueError("these parameters have no W_u/b_u; the lesson's Use gate needs them")
        return self


def init_params(
    input_size: int,
    hidden_size: int,
    variant: str = "lesson",
    seed=None,
    dtype=np.float64,
    forget_bias: float = 0.0,
) -> LSTMParams:
    """Random parameters, PyTorch's default init: every entry ~ U(-1/sqrt(H), 1/sqrt(H)).

    input_size = D (Event width), hidden_size = H (STM/LTM width). ``forget_bias`` is added
    to b_f ("remember by default", Gers et al. 2000). ``seed`` may be an int or a Generator.
    """
    check_variant(variant)
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    H, D = int(hidden_size), int(input_size)
    k = 1.0 / np.sqrt(H)

    def u(*shape):
        return rng.uniform(-k, k, size=shape).astype(dtype)

    p = dict(
        W_n=u(H + D, H),
        b_n=u(H),
        W_i=u(H + D, H),
        b_i=u(H),
        W_f=u(H + D, H),
        b_f=u(H) + np.asarray(forget_bias, dtype),
        W_u=u(H, H),
        b_u=u(H),
        W_v=u(H + D, H),
        b_v=u(H),
    )
    if variant == "standard":
        p["W_u"] = p["b_u"] = None
    return LSTMParams(**p)
