"""Exercise 06: PyTorch's nn.LSTM weight layout -> the lesson's named weights (NumPy only).

Cases are NumPy arrays in PyTorch's layout, made without torch: weight_ih (4H, D),
weight_hh (4H, H), bias_ih and bias_hh (4H,), row blocks (i, f, g, o), float32 like PyTorch's.
That the mapping really matches torch.nn.LSTM is tested with torch elsewhere (tests of
lstm_course.pytorch_layout / lstm_course.torch).
"""

from __future__ import annotations

import numpy as np

from .. import pytorch_layout
from ..params import LSTMParams
from ..sequence import lstm_forward as package_lstm_forward
from .base import Exercise, Mistake

__all__ = ["PARAMS_FROM_PYTORCH"]


# (H, D)
PYTORCH_SHAPES = ((3, 2), (5, 3), (2, 6), (4, 1))


def pytorch_cases(rng, shapes=None):
    cases = []
    for H, D in shapes or PYTORCH_SHAPES:
        k = 1.0 / np.sqrt(H)

        def u(*shape):
            return rng.uniform(-k, k, size=shape).astype(np.float32)

        cases.append(
            dict(weight_ih=u(4 * H, D), weight_hh=u(4 * H, H), bias_ih=u(4 * H), bias_hh=u(4 * H))
        )
    return cases


FORWARD_ATOL = 1e-6


def same_forward(case, value, expected):
    """The learner's parameters must run the standard LSTM like the reference's (float32, 1e-6)."""
    try:
        mine = LSTMParams(**value)
        ref = LSTMParams(**expected)
        rng = np.random.default_rng(0)
        H, D = ref.hidden_size, ref.input_size
        events = rng.standard_normal((2, 3, D)).astype(np.float32)
        stm0 = rng.standard_normal((2, H)).astype(np.float32)
        ltm0 = rng.standard_normal((2, H)).astype(np.float32)
        with np.errstate(all="ignore"):
            got, (h, c) = package_lstm_forward(events, mine, stm0, ltm0, variant="standard")
            want, (h0, c0) = package_lstm_forward(events, ref, stm0, ltm0, variant="standard")
        for a, b in ((got, want), (h, h0), (c, c0)):
            if a.shape != b.shape or not np.all(np.abs(a.astype(np.float64) - b) <= FORWARD_ATOL):
                return (
                    "your parameters look right entry by entry but lstm_forward(..., "
                    "variant='standard') with them differs from the reference by more than "
                    f"{FORWARD_ATOL:g}."
                )
    except Exception as exc:  # noqa: BLE001
        return f"lstm_forward could not run with your parameters ({type(exc).__name__}: {exc})."
    return None


def _m(name, diagnosis, *edits):
    return Mistake(name, diagnosis, tuple(edits))


PYTORCH_MISTAKES = ()
# BEGIN SOLUTION
PYTORCH_MISTAKES = (
    _m(
        "g_o_swapped",
        "you swapped PyTorch's g and o blocks: its row blocks are (i, f, g, o), so the third block "
        "is the Learn gate's new information (W_n, tanh) and the fourth the Use gate's V_t (W_v).",
        ("W_i, W_f, W_n, W_v =", "W_i, W_f, W_v, W_n ="),
        ("b_i, b_f, b_n, b_v =", "b_i, b_f, b_v, b_n ="),
    ),
    _m(
        "i_f_swapped",
        "you swapped PyTorch's i and f blocks: its row blocks are (i, f, g, o), so the first block "
        "is the Learn gate's i_t (W_i) and the second the Forget gate's f_t (W_f).",
        ("W_i, W_f, W_n, W_v =", "W_f, W_i, W_n, W_v ="),
        ("b_i, b_f, b_n, b_v =", "b_f, b_i, b_n, b_v ="),
    ),
    _m(
        "bias_hh_dropped",
        "you used only bias_ih; PyTorch has two biases that are simply added: "
        "b = bias_ih + bias_hh.",
        ("b = bias_ih + bias_hh", "b = bias_ih"),
    ),
    _m(
        "missing_transpose",
        "your weight matrices are not transposed: PyTorch computes W @ x with W of shape "
        "(4H, ...), the lesson [STM, E] @ W with W of shape (H+D, H); "
        "transpose the joined matrix (.T).",
        ("axis=1).T", "axis=1)"),
    ),
    _m(
        "event_rows_first",
        "your weight matrices put the Event's rows first; the lesson joins [STM, E], STM first, so "
        "the H rows from weight_hh come before the D rows from weight_ih.",
        ("[weight_hh, weight_ih]", "[weight_ih, weight_hh]"),
    ),
)
# END SOLUTION

PARAMS_FROM_PYTORCH = Exercise(
    fn=pytorch_layout.params_from_pytorch,
    notebook="06_standard_lstm_and_pytorch",
    title="PyTorch's weights as the lesson's gates",
    cases=pytorch_cases,
    mistakes=PYTORCH_MISTAKES,
    tolerance={"rtol": 1e-6, "atol": 1e-7},
    expect_type="LSTMParams",
    extra_judge=same_forward,
    output_labels={},
    hints=(
        "PyTorch multiplies column vectors (W @ x) and stacks the four gates' weights as row "
        "blocks (i, f, g, o); the lesson multiplies row vectors ([STM, E] @ W) with one "
        "(H+D, H) matrix per gate, STM rows first. Join, transpose, then cut into blocks.",
        "W = concatenate([weight_hh, weight_ih], axis=1).T  (H+D, 4H);  block k is "
        "W[:, k*H:(k+1)*H] for k = 0..3 = (i, f, g, o) -> (W_i, W_f, W_n, W_v);  "
        "b = bias_ih + bias_hh cut the same way;  W_u = b_u = None.",
    ),
)
