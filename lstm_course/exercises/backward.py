"""Exercise 07: backpropagation through one LSTM step, in three graded steps.

1. ``ltm_path_backward``: along the long-term memory (the Forget and Remember gates). Cases are
   arrays: dltm, dkept_use (B, H) and the forward's LTM_{t-1}, f_t, N_t, i_t (B, H).
2. ``use_gate_backward``: the lesson's Use gate. Cases: dstm (B, H), the forward's kept, U_t,
   V_t (B, H) and W_u (H, H).
3. ``lstm_cell_backward``: the assembly (both cells). Cases are (dstm, dltm, cache) with cache
   from lstm_course.cell.lstm_cell_forward, which holds variant, params, x = [STM_{t-1}, E_t],
   ltm = LTM_{t-1}, the gate outputs N, i, f, V, U, kept = LTM_{t-1} * f and H.

Every case comes from a real forward pass (lstm_cell_forward on random states and weights,
the last one with saturated gates). Every gradient is compared, by its relative error.
"""

from __future__ import annotations

from .. import cell
from ..cell import lstm_cell_forward
from .base import Exercise, Mistake
from .cases import DEFAULT_SHAPES, lstm_params, states

__all__ = ["LTM_PATH_BACKWARD", "USE_GATE_BACKWARD", "LSTM_CELL_BACKWARD", "REL_TOL"]

REL_TOL = 1e-7


# --------------------------------------------------------------------------- cases


def _forward(rng, B, H, D, scale, variant="lesson"):
    stm, ltm, event = states(rng, B, H, D)
    params = lstm_params(rng, H, D, scale, with_use_weights=(variant == "lesson"))
    return lstm_cell_forward(stm, ltm, event, params, variant)[2]


def ltm_path_cases(rng, shapes=None):
    cases = []
    for B, H, D, scale in shapes or DEFAULT_SHAPES:
        c = _forward(rng, B, H, D, scale)
        dltm, dkept_use = rng.standard_normal((B, H)), rng.standard_normal((B, H))
        cases.append(
            dict(dltm=dltm, dkept_use=dkept_use, ltm=c["ltm"], f=c["f"], N=c["N"], i=c["i"])
        )
    return cases


def use_gate_backward_cases(rng, shapes=None):
    cases = []
    for B, H, D, scale in shapes or DEFAULT_SHAPES:
        c = _forward(rng, B, H, D, scale)
        dstm = rng.standard_normal((B, H))
        cases.append(dict(dstm=dstm, kept=c["kept"], U=c["U"], V=c["V"], W_u=c["params"].W_u))
    return cases


def backward_cases(rng, variant="lesson", shapes=None):
    cases = []
    for B, H, D, scale in shapes or DEFAULT_SHAPES:
        cache = _forward(rng, B, H, D, scale, variant)
        cases.append(
            dict(dstm=rng.standard_normal((B, H)), dltm=rng.standard_normal((B, H)), cache=cache)
        )
    return cases


# --------------------------------------------------------------------------- mistakes


def _m(name, diagnosis, *edits, variants=None):
    return Mistake(name, diagnosis, tuple(edits), variants)


LTM_PATH_MISTAKES = ()
# BEGIN SOLUTION
LTM_PATH_MISTAKES = (
    _m(
        "use_path_into_kept_left_out",
        "you left out the Use gate's part of dkept: kept = LTM_{t-1} * f_t feeds LTM_t AND the "
        "Use gate (U_t = tanh(kept W_u + b_u)), so its gradient is the sum "
        "dkept = dLTM_t + dkept_use.",
        ("dkept = dltm + dkept_use", "dkept = dltm"),
    ),
    _m(
        "forget_path_left_out",
        "your gradient for LTM_{t-1} leaves out the forget factor: the old long-term memory "
        "reaches LTM_t only through kept = LTM_{t-1} * f_t, so dLTM_{t-1} = dkept * f_t.",
        ("dltm_prev = dkept * f", "dltm_prev = dkept"),
    ),
    _m(
        "ltm_gradient_passed_straight_through",
        "you passed dLTM_t straight back to LTM_{t-1}; the old long-term memory reaches the new "
        "one only through kept = LTM_{t-1} * f_t, and kept collects both paths (the Remember "
        "gate's and the Use gate's): dLTM_{t-1} = dkept * f_t.",
        ("dltm_prev = dkept * f", "dltm_prev = dltm"),
    ),
    _m(
        "crossing_without_use_term",
        "what crosses to LTM_{t-1} is dkept * f_t, and dkept includes the Use gate's part: "
        "dkept = dLTM_t + dkept_use. You used dLTM_t * f_t.",
        ("dltm_prev = dkept * f", "dltm_prev = dltm * f"),
    ),
    _m(
        "f_and_ltm_swapped",
        "you swapped the factors of the Forget gate's product: kept = LTM_{t-1} * f_t gives each "
        "factor dkept times the OTHER one: dLTM_{t-1} = dkept * f_t, df_t = dkept * LTM_{t-1}.",
        ("dltm_prev = dkept * f", "dltm_prev = dkept * ltm"),
        ("df = dkept * ltm", "df = dkept * f"),
    ),
    _m(
        "no_gradient_through_f",
        "no gradient flows through the forget factor f_t: kept = LTM_{t-1} * f_t, so "
        "df_t = dkept * LTM_{t-1}.",
        ("df = dkept * ltm", "df = np.zeros_like(ltm)"),
    ),
    _m(
        "N_and_i_swapped",
        "you swapped the factors of the Learn gate's product: N_t * i_t gives each factor "
        "dLTM_t times the OTHER one: dN_t = dLTM_t * i_t, di_t = dLTM_t * N_t.",
        ("dN = dltm * i", "dN = dltm * N"),
        ("di = dltm * N", "di = dltm * i"),
    ),
    _m(
        "learn_gate_from_dkept",
        "the Learn gate's N_t * i_t is added to LTM_t, not to kept, so it receives dLTM_t "
        "alone: dN_t = dLTM_t * i_t, di_t = dLTM_t * N_t. The Use gate's part (dkept_use) "
        "reaches only kept, and from there f_t and LTM_{t-1}.",
        ("dN = dltm * i", "dN = dkept * i"),
        ("di = dltm * N", "di = dkept * N"),
    ),
)
# END SOLUTION

USE_GATE_BACKWARD_MISTAKES = ()
# BEGIN SOLUTION
USE_GATE_BACKWARD_MISTAKES = (
    _m(
        "tanh_derivative_left_out",
        "you left out tanh's derivative: U_t = tanh(a_u), so the gradient reaching "
        "a_u = kept W_u + b_u is da_u = dSTM_t * V_t * (1 - U_t**2).",
        ("dstm * V * (1 - U**2)", "dstm * V"),
    ),
    _m(
        "tanh_derivative",
        "your tanh derivative is (1 - t); with t = tanh(a) it is 1 - t**2: "
        "da_u = dSTM_t * V_t * (1 - U_t**2).",
        ("(1 - U**2)", "(1 - U)"),
    ),
    _m(
        "sigmoid_derivative_for_tanh",
        "you used the sigmoid's derivative s * (1 - s) for U_t, which is a tanh: "
        "with U_t = tanh(a_u) the derivative is 1 - U_t**2.",
        ("(1 - U**2)", "U * (1 - U)"),
    ),
    _m(
        "U_and_V_swapped",
        "you swapped the factors of STM_t = U_t * V_t: the product rule gives each factor "
        "dSTM_t times the OTHER one: dV_t = dSTM_t * U_t, and U_t's gradient is dSTM_t * V_t "
        "(then da_u = dSTM_t * V_t * (1 - U_t**2)).",
        ("dV = dstm * U", "dV = dstm * V"),
        ("dstm * V * (1 - U**2)", "dstm * U * (1 - U**2)"),
    ),
    _m(
        "V_sigmoid_derivative_applied",
        "'V' is the gradient of V_t itself, dSTM_t * U_t; V_t's sigmoid derivative belongs to "
        "its pre-activation [STM, E] W_v + b_v, which lstm_cell_backward handles with the "
        "other gates.",
        ("dV = dstm * U", "dV = dstm * U * V * (1 - V)"),
    ),
    _m(
        "weight_gradient_transposed",
        "your W_u gradient is transposed: with a_u = kept @ W_u + b_u it is "
        "dW_u = kept.T @ da_u (row j of W_u reads unit j of kept). W_u is square (H, H), so "
        "the transpose has the right shape and only its values are wrong.",
        ("kept.T @ da_u", "da_u.T @ kept"),
    ),
    _m(
        "W_u_not_transposed",
        "what a_u = kept @ W_u + b_u sends back to kept is da_u @ W_u.T; without the .T it "
        "still runs (W_u is square) but gives the wrong values.",
        ("da_u @ W_u.T", "da_u @ W_u"),
    ),
    _m(
        "bias_not_summed",
        "your b_u gradient still has the batch axis: a bias is shared by every row of the "
        "batch, so its gradient is summed over it: db_u = da_u.sum(axis=0), shape (H,).",
        ("da_u.sum(axis=0)", "da_u"),
    ),
)
# END SOLUTION

BACKWARD_MISTAKES = ()
# BEGIN SOLUTION
_STANDARD_INTO_LTM = "dltm + dstm * V * (1 - U**2), np.zeros_like(dltm)"

BACKWARD_MISTAKES = (
    _m(
        "use_path_into_kept_left_out",
        "the Use gate's gradient never reached kept: in the lesson's cell U_t = "
        "tanh(kept W_u + b_u) reads kept = LTM_{t-1} * f_t, so pass what it sends back "
        "(use_gate_backward's 'kept') to ltm_path_backward as dkept_use, and let "
        "ltm_path_backward add it: dkept = dLTM_t + dkept_use.",
        (
            'dltm_total, dkept_use = dltm, use["kept"]',
            "dltm_total, dkept_use = dltm, np.zeros_like(dltm)",
        ),
        variants=("lesson",),
    ),
    _m(
        "stm_path_into_ltm_left_out",
        "in the standard cell STM_t = V_t * tanh(LTM_t) reads the new long-term memory, so its "
        "gradient gets dstm * V_t * (1 - tanh(LTM_t)**2) on top of dltm; you left that part out.",
        (_STANDARD_INTO_LTM, "dltm, np.zeros_like(dltm)"),
        variants=("standard",),
    ),
    _m(
        "standard_use_term_into_kept",
        "in the standard cell the output reads the NEW long-term memory, tanh(LTM_t), not kept: "
        "its gradient dstm * V_t * (1 - tanh(LTM_t)**2) joins dLTM_t (and so reaches N_t and "
        "i_t too); you passed it as dkept_use.",
        (_STANDARD_INTO_LTM, "dltm, dstm * V * (1 - U**2)"),
        variants=("standard",),
    ),
    _m(
        "tanh_derivative",
        "your tanh derivative is (1 - t); with t = tanh(a) it is 1 - t**2 (for N_t, and for "
        "tanh(LTM_t) in the standard cell).",
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
        "bias_not_summed",
        "your bias gradients still have the batch axis: a bias is shared by every row of the "
        "batch, so its gradient is summed over it: db = da.sum(axis=0), shape (H,).",
        ("da_k.sum(axis=0)", "da_k"),
    ),
    _m(
        "weight_gradient_transposed",
        "your weight gradients are transposed: with a = x @ W + b the gradient is "
        "dW = x.T @ da, of W's shape (H+D, H).",
        ("x.T @ da_k", "da_k.T @ x"),
    ),
    _m(
        "dx_overwritten",
        "you overwrite the gradient of [STM_{t-1}, E_t] in the loop; all four gates read x, so "
        "their contributions add up: dx += da @ W.T.",
        ("dx += da_k @", "dx = da_k @"),
    ),
)
# END SOLUTION


# --------------------------------------------------------------------------- exercises

LTM_PATH_BACKWARD = Exercise(
    fn=cell.ltm_path_backward,
    notebook="07_backprop_through_time",
    title="Backward along the long-term memory",
    cases=ltm_path_cases,
    mistakes=LTM_PATH_MISTAKES,
    tolerance={"rel": REL_TOL},
    hints=(
        "Read the two forward lines backwards. kept = LTM_{t-1} * f_t is used twice (in LTM_t, "
        "and by the lesson's Use gate), so its gradient is the sum of both; a product passes "
        "each factor the incoming gradient times the OTHER factor.",
        "dkept = dLTM_t + dkept_use;  dLTM_{t-1} = dkept * f_t,  df_t = dkept * LTM_{t-1};  "
        "dN_t = dLTM_t * i_t,  di_t = dLTM_t * N_t.",
    ),
)

USE_GATE_BACKWARD = Exercise(
    fn=cell.use_gate_backward,
    notebook="07_backprop_through_time",
    title="Backward through the Use gate",
    cases=use_gate_backward_cases,
    mistakes=USE_GATE_BACKWARD_MISTAKES,
    tolerance={"rel": REL_TOL},
    hints=(
        "STM_t = U_t * V_t is a product (each factor gets dSTM_t times the other); from U_t go "
        "through the tanh (its derivative from its output U_t) to a_u = kept W_u + b_u, an "
        "affine map: it gives W_u's, b_u's and kept's gradients.",
        "dV_t = dSTM_t * U_t;  da_u = dSTM_t * V_t * (1 - U_t**2);  dW_u = kept.T @ da_u,  "
        "db_u = da_u.sum(axis=0),  dkept = da_u @ W_u.T.",
    ),
)

LSTM_CELL_BACKWARD = Exercise(
    fn=cell.lstm_cell_backward,
    notebook="07_backprop_through_time",
    title="Backpropagation through one LSTM step",
    cases=backward_cases,
    mistakes=BACKWARD_MISTAKES,
    options={"variant": ("lesson", "standard")},
    tolerance={"rel": REL_TOL},
    hints=(
        "Chain your two steps: the Use gate first (use_gate_backward in the lesson's cell; in "
        "the standard cell STM_t = V_t * tanh(LTM_t) adds to LTM_t's gradient instead, and "
        "sends nothing to kept), then ltm_path_backward, then the four pre-activations "
        "x @ W + b. Where a value feeds two places, add the two gradients.",
        "lesson: ltm_path_backward(dltm, use['kept'], ...);  standard: dV = dstm * U and "
        "ltm_path_backward(dltm + dstm * V * (1 - U**2), zeros, ...);  tanh'(a) = 1 - t**2, "
        "sigmoid'(a) = s * (1 - s);  for a = x @ W + b:  dW = x.T @ da,  "
        "db = da.sum(axis=0),  dx += da @ W.T.",
    ),
)
