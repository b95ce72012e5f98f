"""GateLSTM: the lesson's four gates as a PyTorch module (same maths as the NumPy reference).

Shapes (batch first): events (B, T, D); stm, ltm (B, H); x_t = [stm, event_t] (B, H+D).
Parameters carry the lesson's names and the row-vector convention (``x @ W + b``):
W_n, W_i, W_f, W_v (H+D, H), W_u (H, H, lesson only), every b_* (H,).

    N_t = tanh(x_t W_n + b_n)     i_t = sigmoid(x_t W_i + b_i)      Learn:    N_t * i_t
    f_t = sigmoid(x_t W_f + b_f)  kept = LTM_{t-1} * f_t            Forget:   kept
    LTM_t = kept + N_t * i_t                                        Remember
    V_t = sigmoid(x_t W_v + b_v)
    lesson:   STM_t = tanh(kept W_u + b_u) * V_t                    Use
    standard: STM_t = V_t * tanh(LTM_t)        (h_t = o_t * tanh(c_t), as torch.nn.LSTM)
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..params import LSTMParams, check_variant

__all__ = ["GateLSTM"]

GATES = ("n", "i", "f", "v")  # the four gates that read [stm, event]


class GateLSTM(nn.Module):
    """One LSTM layer built from the lesson's gates; batch first.

    forward(events (B, T, D), state=(stm0, ltm0) or None) -> (stms (B, T, H), (stm_T, ltm_T)).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        variant: str = "lesson",
        forget_bias: float = 0.0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.input_size, self.hidden_size = D, H = int(input_size), int(hidden_size)
        self.variant = check_variant(variant)
        self.forget_bias = float(forget_bias)
        kw = dict(device=device, dtype=dtype)
        for k in GATES:
            setattr(self, "W_" + k, nn.Parameter(torch.empty(H + D, H, **kw)))
            setattr(self, "b_" + k, nn.Parameter(torch.empty(H, **kw)))
        if variant == "lesson":
            self.W_u = nn.Parameter(torch.empty(H, H, **kw))
            self.b_u = nn.Parameter(torch.empty(H, **kw))
        else:
            self.W_u = self.b_u = None
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's LSTM init: U(-1/sqrt(H), 1/sqrt(H)) everywhere, plus forget_bias on b_f."""
        k = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-k, k)
            self.b_f.add_(self.forget_bias)

    # ANSWER-FREE STUB: it computes a graded answer; the answer-free build stubs its body
    def forward(self, events, state=None):
        """events (B, T, D); state = (stm0, ltm0), each (B, H), zeros when None.

        Returns (stms (B, T, H), (stm_T, ltm_T)), like lstm_course.lstm_forward.
        """
        if events.dim() != 3:
            raise ValueError(f"events must be (B, T, D), got shape {tuple(events.shape)}")
        B, T, D = events.shape
        H = self.hidden_size
        if D != self.input_size:
            raise ValueError(f"events have D={D} features but this layer expects {self.input_size}")
        if state is None:
            stm = ltm = events.new_zeros(B, H)
        else:
            stm, ltm = state
            for name, x in (("stm0", stm), ("ltm0", ltm)):
                if tuple(x.shape) != (B, H):
                    raise ValueError(f"{name} must be (B, H) = ({B}, {H}), got {tuple(x.shape)}")
        # The four gates' weights side by side: (H+D, 4H), columns (n | i | f | v).
        W = torch.cat([self.W_n, self.W_i, self.W_f, self.W_v], dim=1)
        b = torch.cat([self.b_n, self.b_i, self.b_f, self.b_v])
        W_stm, W_event = W.split([H, D])
        event_parts = (events @ W_event + b).unbind(1)  # T x (B, 4H): the Event's share
        stms = []
        for event_part in event_parts:
            a = event_part + stm @ W_stm  # (B, 4H) = [stm, event_t] W + b
            a_n, a_ifv = a.split([H, 3 * H], dim=1)
            N = torch.tanh(a_n)
            i, f, V = torch.sigmoid(a_ifv).chunk(3, dim=1)
            kept = ltm * f  # Forget
            ltm = kept + N * i  # Remember (Learn = N * i)
            if self.variant == "lesson":
                stm = torch.tanh(kept @ self.W_u + self.b_u) * V  # Use
            else:
                stm = V * torch.tanh(ltm)  # standard: h = o * tanh(c)
            stms.append(stm)
        stms = torch.stack(stms, dim=1) if stms else events.new_zeros(B, 0, H)
        return stms, (stm, ltm)

    # ---- moving weights between NumPy and PyTorch ---------------------------------------------

    @classmethod
    def from_params(cls, params: LSTMParams, variant: str | None = None, device=None, dtype=None):
        """A GateLSTM holding copies of ``params`` (NumPy); dtype defaults to the arrays' dtype.

        variant defaults to params.variant; 'standard' on lesson params drops W_u, b_u.
        """
        variant = params.variant if variant is None else check_variant(variant)
        params = params.with_variant(variant)
        if dtype is None:
            dtype = torch.from_numpy(np.zeros(0, params.dtype)).dtype
        m = cls(params.input_size, params.hidden_size, variant, device=device, dtype=dtype)
        with torch.no_grad():
            for name, arr in params.items():
                getattr(m, name).copy_(torch.as_tensor(np.asarray(arr)))
        return m

    def to_params(self) -> LSTMParams:
        """The weights as NumPy arrays (copies, on the CPU) in an LSTMParams."""
        arrays = {name: p.detach().cpu().numpy().copy() for name, p in self.named_parameters()}
        arrays.setdefault("W_u", None)
        arrays.setdefault("b_u", None)
        return LSTMParams(**arrays)

    def extra_repr(self) -> str:
        return (
            f"input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"variant={self.variant!r}, forget_bias={self.forget_bias}"
        )
