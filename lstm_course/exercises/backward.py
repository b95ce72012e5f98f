"""Exercise 07: backpropagation through one LSTM step.

Cases are (dstm, dltm, cache) with cache from lstm_course.cell.lstm_cell_forward, which holds
variant, params, x = [STM_{t-1}, E_t], ltm = LTM_{t-1}, the gate outputs N, i, f, V, U,
kept = LTM_{t-1} * f and H. Every gradient is compared: each parameter, 'stm', 'ltm', 'event'.
"""

from __future__ import annotations

from .. import cell
from ..cell import lstm_cell_forward
from .base import Exercise, Mistake
from .cases import DEFAULT_SHAPES, lstm_params, states

__all__ = ["LSTM_CELL_BACKWARD", "REL_TOL"]

REL_TOL = 1e-7


def backward_cases(rng, variant="lesson", shapes=None):
    cases = []
    for B, H, D, scale in shapes or DEFAULT_SHAPES:
        stm, ltm, event = states(rng, B, H, D)
        params = lstm_params(rng, H, D, scale, with_use_weights=(variant == "lesson"))
        _, _, cache = lstm_cell_forward(stm, ltm, event, params, variant)
        cases.append(
            dict(dstm=rng.standard_normal((B, H)), dltm=rng.standard_normal((B, H)), cache=cache)
        )
    return cases


def _m(name, diagnosis, *edits, variants=None):
    return Mistake(name, diagnosis, tuple(edits), variants)


BACKWARD_MISTAKES = ()
# BEGIN SOLUTION
BACKWARD_MISTAKES = (
    _m(
        "forget_path_left_out",
        "your gradient for LTM_{t-1} leaves out the Forget gate: the old long-term memory reaches "
        "LTM_t only through kept = LTM_{t-1} * f_t, so dLTM_{t-1} = dkept * f_t.",
        ('grads["ltm"] = dkept * f', 'grads["ltm"] = dkept'),
    ),
    _m(
        "no_gradient_through_f",
        "no gradient flows through the forget factor f_t: kept = LTM_{t-1} * f_t, so "
        "df_t = dkept * LTM_{t-1}, and from there into W_f, b_f, the STM and the event.",
        ("df = dkept * ltm", "df = np.zeros_like(ltm)"),
    ),
    _m(
        "tanh_derivative",
        "your tanh derivative is (1 - t); with t = tanh(a) it is 1 - t**2 (for N_t and for U_t).",
        ("(1 - U**2)", "(1 - U)"),
        ("(1 - N**2)", "(1 - N)"),
    ),
    _m(
        "sigmoid_derivative",
        "your sigmoid derivative applies the sigmoid again: the cache holds the gate's output "
        "s = sigmoid(a), so sigmoid'(a) = s * (1 - s), not sigmoid(s) * (1 - sigmoid(s)).",
        ("i * (1 - i)", "sigmoid(i) * (1 - sigmoid(i))"),
        ("f * (1 - f)", "sigmoid(f) * (1 - sigmoid(f))"),
        ("V * (1 - V)", "sigmoid(V) * (1 - sigmoid(V))"),
    ),
    _m(
        "sigmoid_with_tanh_derivative",
        "you used tanh's derivative 1 - s**2 for the sigmoid gates i_t, f_t, V_t; "
        "with s = sigmoid(a) the derivative is s * (1 - s).",
        ("i * (1 - i)", "(1 - i**2)"),
        ("f * (1 - f)", "(1 - f**2)"),
        ("V * (1 - V)", "(1 - V**2)"),
    ),
    _m(
        "ltm_gradient_passed_straight_through",
        "you passed dLTM_t straight back to LTM_{t-1}; the old long-term memory reaches the new "
        "one only through kept = LTM_{t-1} * f_t, and kept collects every path (the Remember "
        "gate's and the Use gate's): dLTM_{t-1} = dkept * f_t.",
        ('grads["ltm"] = dkept * f', 'grads["ltm"] = dltm'),
    ),
    _m(
        "use_path_into_kept_left_out",
        "in the lesson's cell the kept memory LTM_{t-1} * f_t feeds the Use gate too "
        "(U_t = tanh(kept W_u + b_u)); its gradient is dltm + da_u @ W_u.T, you left out the Use "
        "gate's part.",
        ("dkept = dltm + da_u @ p.W_u.T", "dkept = dltm"),
        variants=("lesson",),
    ),
    _m(
        "stm_path_into_ltm_left_out",
        "in the standard cell STM_t = V_t * tanh(LTM_t) reads the new long-term memory, so its "
        "gradient gets dstm * V_t * (1 - tanh(LTM_t)**2) on top of dltm; you left that part out.",
        ("dnew_ltm = dltm + dstm * V * (1 - U**2)", "dnew_ltm = dltm"),
        variants=("standard",),
    ),
    _m(
        "bias_not_summed",
        "your bias gradients still have the batch axis: a bias is shared by every row of the "
        "batch, so its gradient is summed over it: db = da.sum(axis=0), shape (H,).",
        ("da_u.sum(axis=0)", "da_u"),
        ("da_k.sum(axis=0)", "da_k"),
    ),
    _m(
        "weight_gradient_transposed",
        "your weight gradients are transposed: with a = x @ W + b the gradient is "
        "dW = x.T @ da, of W's shape (H+D, H).",
        ("x.T @ da_k", "da_k.T @ x"),
        ("kept.T @ da_u", "da_u.T @ kept"),
    ),
    _m(
        "dx_overwritten",
        "you overwrite the gradient of [STM_{t-1}, E_t] in the loop; all four gates read x, so "
        "their contributions add up: dx += da @ W.T.",
        ("dx += da_k @", "dx = da_k @"),
    ),
)
# END SOLUTION

LSTM_CELL_BACKWARD = Exercise(
    fn=cell.lstm_cell_backward,
    notebook="07_backprop_through_time",
    title="Backpropagation through one LSTM step",
    cases=backward_cases,
    mistakes=BACKWARD_MISTAKES,
    options={"variant": ("lesson", "standard")},
    tolerance={"rel": REL_TOL},
    hints=(
        "Walk the forward pass backwards, one line at a time: the Use gate first, then the "
        "Remember gate (a sum passes its gradient to both terms), the Forget and Learn gates, "
        "and finally the four pre-activations x @ W + b. Where a value feeds two places, add "
        "the two gradients.",
        "tanh'(a) = 1 - t**2 and sigmoid'(a) = s * (1 - s) from the outputs t, s in the cache;  "
        "for a = x @ W + b:  dW = x.T @ da,  db = da.sum(axis=0),  dx += da @ W.T;  "
        "dLTM_{t-1} = dkept * f_t.",
    ),
)
