"""PyTorch's LSTM weight layout <-> the lesson's named weights (NumPy only, no torch import).

``torch.nn.LSTM`` keeps one layer's weights in four arrays, column-vector convention
(``W @ x``), gates stacked as row blocks in the order (i, f, g, o):

    weight_ih (4H, D)   weight_hh (4H, H)   bias_ih (4H,)   bias_hh (4H,)
    i_t = sigmoid(W_ii x + b_ii + W_hi h + b_hi)      ... and likewise f, g (tanh), o

The lesson uses row vectors, ``[stm, event] @ W + b`` with W of shape (H+D, H), STM rows first:

    PyTorch block   i     f     g     o
    lesson name     W_i   W_f   W_n   W_v      (W_u has no PyTorch counterpart: standard variant)
    W_<gate> = [W_h<gate>.T ; W_i<gate>.T]     (H rows for the STM, then D rows for the Event)
    b_<gate> = b_i<gate> + b_h<gate>           (the two biases are simply added)
"""

from __future__ import annotations

import numpy as np

from .params import LSTMParams

__all__ = ["params_from_pytorch", "pytorch_from_params", "PYTORCH_GATE_ORDER"]

PYTORCH_GATE_ORDER = ("i", "f", "n", "v")  # lesson suffixes of PyTorch's row blocks (i, f, g, o)


# The answer is laid out by hand (aligned comments): keep the formatter off.
# fmt: off
def params_from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh):
    """PyTorch-layout arrays -> the standard-variant LSTMParams (W_u = b_u = None).

    weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,); row blocks (i, f, g, o).
    """
    weight_ih, weight_hh = np.asarray(weight_ih), np.asarray(weight_hh)
    bias_ih, bias_hh = np.asarray(bias_ih), np.asarray(bias_hh)
    H, D = weight_hh.shape[-1], weight_ih.shape[-1]
    if (
        weight_ih.shape != (4 * H, D)
        or weight_hh.shape != (4 * H, H)
        or bias_ih.shape != (4 * H,)
        or bias_hh.shape != (4 * H,)
    ):
        raise ValueError(
            f"expected weight_ih (4H, D), weight_hh (4H, H), biases (4H,); got "
            f"{weight_ih.shape}, {weight_hh.shape}, {bias_ih.shape}, {bias_hh.shape}"
        )
    # BEGIN SOLUTION
    H = weight_hh.shape[1]
    W = np.concatenate([weight_hh, weight_ih], axis=1).T      # (H+D, 4H): STM rows first
    b = bias_ih + bias_hh                                     # the two biases add up
    W_i, W_f, W_n, W_v = (W[:, k * H:(k + 1) * H] for k in range(4))   # blocks i, f, g, o
    b_i, b_f, b_n, b_v = (b[k * H:(k + 1) * H] for k in range(4))
    return LSTMParams(W_n=W_n, b_n=b_n, W_i=W_i, b_i=b_i, W_f=W_f, b_f=b_f,
                      W_u=None, b_u=None, W_v=W_v, b_v=b_v)
    # END SOLUTION
# fmt: on


def pytorch_from_params(params: LSTMParams):
    """Standard-variant LSTMParams -> (weight_ih (4H, D), weight_hh (4H, H), bias_ih, bias_hh).

    Biases are (4H,); the whole bias goes into bias_ih, bias_hh is zeros (only the sum matters).
    Lesson-variant parameters raise ValueError: PyTorch has no W_u (use .with_variant("standard")
    to drop it knowingly).
    """
    if params.W_u is not None or params.b_u is not None:
        raise ValueError(
            "PyTorch's nn.LSTM is the standard variant and has no W_u/b_u; "
            "call params.with_variant('standard') to drop them"
        )
    H = params.hidden_size
    W = np.concatenate([params.W_i, params.W_f, params.W_n, params.W_v], axis=1)  # (H+D, 4H)
    bias_ih = np.concatenate([params.b_i, params.b_f, params.b_n, params.b_v])
    weight_hh = np.ascontiguousarray(W[:H].T)  # (4H, H)
    weight_ih = np.ascontiguousarray(W[H:].T)  # (4H, D)
    return weight_ih, weight_hh, bias_ih, np.zeros_like(bias_ih)
