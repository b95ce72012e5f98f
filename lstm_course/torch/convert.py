"""torch.nn.LSTM <-> LSTMParams (the standard variant; one layer, one direction, with biases).

The layout mapping itself is NumPy-only: see lstm_course.pytorch_layout.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..params import LSTMParams
from ..pytorch_layout import params_from_pytorch, pytorch_from_params

__all__ = ["from_torch", "to_torch"]

_NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def from_torch(lstm: nn.LSTM) -> LSTMParams:
    """The weights of a single-layer nn.LSTM as standard-variant LSTMParams (NumPy copies)."""
    if not isinstance(lstm, nn.LSTM):
        raise TypeError(f"from_torch expects a torch.nn.LSTM, got {type(lstm).__name__}")
    problems = []
    if lstm.num_layers != 1:
        problems.append(f"num_layers={lstm.num_layers} (only 1 is supported)")
    if lstm.bidirectional:
        problems.append("bidirectional=True (only one direction is supported)")
    if lstm.proj_size:
        problems.append(f"proj_size={lstm.proj_size} (projections are not supported)")
    if not lstm.bias:
        problems.append("bias=False (the lesson's gates all have biases)")
    if problems:
        raise ValueError(
            "from_torch supports a plain single-layer nn.LSTM; this one has " + "; ".join(problems)
        )
    arrays = [getattr(lstm, n).detach().cpu().numpy() for n in _NAMES]
    return params_from_pytorch(*arrays)


def to_torch(params: LSTMParams, batch_first: bool = True, device=None) -> nn.LSTM:
    """A single-layer nn.LSTM (dtype of the arrays) computing the standard variant of ``params``.

    Lesson-variant params raise ValueError (nn.LSTM has no W_u); see LSTMParams.with_variant.
    """
    arrays = pytorch_from_params(params)
    dtype = torch.from_numpy(np.zeros(0, params.dtype)).dtype
    lstm = nn.LSTM(
        params.input_size, params.hidden_size, batch_first=batch_first, device=device, dtype=dtype
    )
    with torch.no_grad():
        for name, arr in zip(_NAMES, arrays, strict=True):
            getattr(lstm, name).copy_(torch.from_numpy(np.ascontiguousarray(arr)))
    return lstm
