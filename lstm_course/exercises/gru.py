"""Exercise 10: one GRU step (lstm_course.gru.gru_cell), with its cases, known mistakes, hints."""

from __future__ import annotations

from .. import gru
from .base import Exercise, Mistake
from .cases import DEFAULT_SHAPES, bias, states, weight

__all__ = ["GRU_CELL"]


# --------------------------------------------------------------------------- cases


def gru_params(rng, H, D, scale=1.0) -> gru.GRUParams:
    """Random float64 GRUParams (scale=LARGE: every gate saturated, see cases.bias)."""
    return gru.GRUParams(
        W_r=weight(rng, H + D, H, scale),
        b_r=bias(rng, H, scale),
        W_z=weight(rng, H + D, H, scale),
        b_z=bias(rng, H, scale),
        W_xn=weight(rng, D, H, scale),
        b_xn=bias(rng, H, scale),
        W_hn=weight(rng, H, H, scale),
        b_hn=bias(rng, H, scale),
    )


def gru_cases(rng, shapes=None):
    """B = 1, B > 1, H != D both ways, and a saturated case (LARGE weights and biases)."""
    cases = []
    for B, H, D, scale in shapes or DEFAULT_SHAPES:
        h, _, x = states(rng, B, H, D)
        cases.append(dict(h=h, x=x, params=gru_params(rng, H, D, scale)))
    return cases


# --------------------------------------------------------------------------- mistakes


def _m(name, diagnosis, *edits):
    return Mistake(name, diagnosis, tuple(edits))


GRU_MISTAKES = ()
# BEGIN SOLUTION
GRU_MISTAKES = (
    _m(
        "z_swapped",
        "you mixed the candidate and the old state the other way round; the update gate z_t "
        "keeps the old state: h_t = (1 - z_t) * n_t + z_t * h_{t-1} (z_t plays the Forget "
        "gate, 1 - z_t the Learn gate's ignore factor).",
        ("(1 - z) * n + z * h", "z * n + (1 - z) * h"),
    ),
    _m(
        "reset_before_projection",
        "you applied the reset gate to h_{t-1} before its weights, (r_t * h_{t-1}) W_hn + b_hn "
        "(the form of Cho et al.'s paper); this course follows PyTorch's nn.GRU, where r_t "
        "multiplies the projection, bias included: r_t * (h_{t-1} W_hn + b_hn).",
        ("r * (h @ p.W_hn + p.b_hn)", "(r * h) @ p.W_hn + p.b_hn"),
    ),
    _m(
        "reset_left_out",
        "your candidate ignores the reset gate: n_t = tanh(x_t W_xn + b_xn + "
        "r_t * (h_{t-1} W_hn + b_hn)), where r_t decides how much of the old state it sees.",
        ("r * (h @ p.W_hn + p.b_hn)", "(h @ p.W_hn + p.b_hn)"),
    ),
    _m(
        "sigmoid_tanh_swapped",
        "you swapped the squashing functions: the gates r_t and z_t are sigmoids (factors in "
        "(0, 1)) and the candidate n_t is a tanh (values in (-1, 1)).",
        ("sigmoid(hx", "tanh(hx"),
        ("tanh(x @ p.W_xn", "sigmoid(x @ p.W_xn"),
    ),
    _m(
        "x_h_order",
        "you joined the inputs as [x_t, h_{t-1}]; the course's order is [h_{t-1}, x_t] "
        "(h first: rows 0..H-1 of W_r and W_z multiply the old state).",
        ("concat(h, x)", "concat(x, h)"),
    ),
    _m(
        "b_hn_outside_reset",
        "you added b_hn outside the reset gate: r_t * (h_{t-1} W_hn) + b_hn. In PyTorch's GRU "
        "the reset gate multiplies the hidden projection with its bias: "
        "r_t * (h_{t-1} W_hn + b_hn).",
        ("r * (h @ p.W_hn + p.b_hn)", "r * (h @ p.W_hn) + p.b_hn"),
    ),
    _m(
        "reset_on_new_state",
        "you used the reset gate r_t to mix the new state; that is the update gate's job: "
        "h_t = (1 - z_t) * n_t + z_t * h_{t-1}.",
        ("(1 - z) * n + z * h", "(1 - r) * n + r * h"),
    ),
)
# END SOLUTION


# --------------------------------------------------------------------------- exercises

GRU_CELL = Exercise(
    fn=gru.gru_cell,
    notebook="10_lstm_variants",
    title="The GRU cell",
    cases=gru_cases,
    mistakes=GRU_MISTAKES,
    hints=(
        "Join h_{t-1} and x_t (h first: `concat(h, x)`) for the two gates, r_t and z_t, both "
        "sigmoids. The candidate n_t reads x_t through its own weights and h_{t-1} through "
        "W_hn, scaled by r_t. Then mix n_t and h_{t-1} with z_t.",
        "r = sigmoid([h, x] W_r + b_r),  z = sigmoid([h, x] W_z + b_z),  "
        "n = tanh(x W_xn + b_xn + r * (h W_hn + b_hn)),  h_t = (1 - z) * n + z * h  "
        "(row vectors: `x @ p.W_xn + p.b_xn`).",
    ),
)
