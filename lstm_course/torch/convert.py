"""torch.nn.LSTM <-> LSTMParams (the standard variant; one direction, with biases).

from_torch reads one layer of a (possibly stacked) nn.LSTM: layer k's parameters are named
``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``. Layer 0 reads the
input (weight_ih_l0 is (4H, D)); every later layer reads the STM (h) of the layer below, so its
weight_ih is (4H, H). to_torch builds a single-layer nn.LSTM.

The layout mapping itself is NumPy-only: see lstm_course.pytorch_layout.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..params import LSTMParams
from ..pytorch_layout import params_from_pytorch, pytorch_from_params

__all__ = ["from_torch", "to_torch", "torch_names"]

_NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def torch_names(layer: int = 0) -> tuple[str, str, str, str]:
    """nn.LSTM's names of one layer's four arrays: ('weight_ih_l1', 'weight_hh_l1', ...)."""
    return tuple(name[:-1] + str(layer) for name in _NAMES)


def from_torch(lstm: nn.LSTM, layer: int | None = None) -> LSTMParams:
    """The weights of one layer of an nn.LSTM as standard-variant LSTMParams (NumPy copies).

    layer: which layer of a stacked nn.LSTM (num_layers > 1) to read, 0 = the one that reads
    the input; it may be left out for a single-layer nn.LSTM. The mapping is the package's
    params_from_pytorch, applied to that layer's arrays (see torch_names).
    """
    if not isinstance(lstm, nn.LSTM):
        raise TypeError(f"from_torch expects a torch.nn.LSTM, got {type(lstm).__name__}")
    problems = []
    if layer is None and lstm.num_layers != 1:
        problems.append(
            f"num_layers={lstm.num_layers}: pass layer=0..{lstm.num_layers - 1} to read one layer"
        )
    if lstm.bidirectional:
        problems.append("bidirectional=True (only one direction is supported)")
    if lstm.proj_size:
        problems.append(f"proj_size={lstm.proj_size} (projections are not supported)")
    if not lstm.bias:
        problems.append("bias=False (the lesson's gates all have biases)")
    if problems:
        raise ValueError("from_torch supports a plain nn.LSTM; this one has " + "; ".join(problems))
    layer = 0 if layer is None else layer
    if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < lstm.num_layers:
        raise ValueError(
            f"layer must be an integer from 0 to {lstm.num_layers - 1} (this nn.LSTM has "
            f"num_layers={lstm.num_layers}), got {layer!r}"
        )
    arrays = [getattr(lstm, n).detach().cpu().numpy() for n in torch_names(layer)]
    return params_from_pytorch(*arrays)


# ANSWER-FREE STUB: it computes a graded answer; the answer-free build stubs its body
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
