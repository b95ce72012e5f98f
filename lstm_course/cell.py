"""One LSTM step, forward and backward (cs231n style: forward returns a cache for backward).

Shapes: stm, ltm (B, H); event (B, D); x = [stm, event] (B, H+D).

Forward (both variants share everything up to LTM_t):
    N = tanh(x W_n + b_n)       i = sigmoid(x W_i + b_i)
    f = sigmoid(x W_f + b_f)    V = sigmoid(x W_v + b_v)
    kept = LTM_{t-1} * f                      (Forget gate)
    LTM_t = kept + N * i                      (Remember gate)
    lesson:   U = tanh(kept W_u + b_u);  STM_t = U * V
    standard: STM_t = V * tanh(LTM_t)         (h_t = o_t * tanh(c_t))

Backward, in three steps (notebook 07 has one exercise each):
    ltm_path_backward   the Forget and Remember gates: dLTM_{t-1} = dkept * f_t, df, dN, di
    use_gate_backward   the lesson's Use gate: dV, dW_u, db_u, and what it sends back into kept
    lstm_cell_backward  the two above, then the four pre-activations x W_k + b_k
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid, tanh
from .gates import concat, forget_gate, learn_gate, remember_gate, standard_use_gate, use_gate
from .params import LSTMParams, check_variant

__all__ = [
    "lstm_cell",
    "lstm_cell_forward",
    "ltm_path_backward",
    "use_gate_backward",
    "lstm_cell_backward",
]

# The equations are laid out by hand (shape comments aligned): keep the formatter off.
# fmt: off


def lstm_cell(stm, ltm, event, params, variant="lesson"):
    """One step through the four gates: (STM_{t-1}, LTM_{t-1}, E_t) -> (STM_t, LTM_t), each (B, H).

    Written with the gate functions, exactly as the lesson tells it.
    """
    check_variant(variant)
    if variant == "lesson":
        _require_use_weights(params)
    # BEGIN SOLUTION
    p = params
    learn_out = learn_gate(stm, event, p.W_n, p.b_n, p.W_i, p.b_i)    # N_t * i_t
    forget_out = forget_gate(ltm, stm, event, p.W_f, p.b_f)            # LTM_{t-1} * f_t
    new_ltm = remember_gate(learn_out, forget_out)                     # LTM_t
    if variant == "lesson":
        new_stm = use_gate(forget_out, stm, event, p.W_u, p.b_u, p.W_v, p.b_v)
    else:
        new_stm = standard_use_gate(new_ltm, stm, event, p.W_v, p.b_v)   # V_t * tanh(LTM_t)
    return new_stm, new_ltm
    # END SOLUTION


def _require_use_weights(p: LSTMParams):
    if p.W_u is None or p.b_u is None:
        raise ValueError("variant='lesson' needs W_u and b_u (the Use gate's own weights); "
                         "these parameters are for variant='standard'")


def lstm_cell_forward(stm, ltm, event, params: LSTMParams, variant: str = "lesson"):
    """lstm_cell that also keeps every intermediate: -> (new_stm, new_ltm, cache)."""
    check_variant(variant)
    # BEGIN SOLUTION
    p = params
    x = concat(stm, event)                  # (B, H+D)
    N = tanh(x @ p.W_n + p.b_n)             # (B, H) Learn: candidate
    i = sigmoid(x @ p.W_i + p.b_i)          # (B, H) Learn: how much
    f = sigmoid(x @ p.W_f + p.b_f)          # (B, H) Forget factor
    V = sigmoid(x @ p.W_v + p.b_v)          # (B, H) Use: output gate
    kept = ltm * f                          # (B, H) Forget gate output
    new_ltm = kept + N * i                  # (B, H) Remember gate
    if variant == "lesson":
        _require_use_weights(p)
        U = tanh(kept @ p.W_u + p.b_u)      # (B, H)
        new_stm = U * V
    else:
        U = tanh(new_ltm)                   # (B, H) tanh(c_t), no weights
        new_stm = V * U
    cache = dict(variant=variant, params=p, x=x, ltm=ltm, N=N, i=i, f=f, V=V, U=U, kept=kept,
                 H=stm.shape[-1])
    return new_stm, new_ltm, cache
    # END SOLUTION


def ltm_path_backward(dltm, dkept_use, ltm, f, N, i):
    """Backward along the long-term memory: the Remember and Forget gates, step 1 of 3.

    Forward: kept = LTM_{t-1} * f_t (Forget gate), LTM_t = kept + N_t * i_t (Remember gate).
    dltm: (B, H) all of the gradient that reaches LTM_t; dkept_use: (B, H) what the Use gate
    sends back into kept (the lesson's U_t reads kept; zeros when the Use gate does not read it).
    ltm = LTM_{t-1}, f = f_t, N = N_t, i = i_t: (B, H) each, from the forward pass.
    Returns a dict of (B, H) gradients: 'ltm' (LTM_{t-1}), 'f' (f_t), 'N' (N_t), 'i' (i_t).
    """
    # BEGIN SOLUTION
    dkept = dltm + dkept_use        # kept feeds LTM_t and the Use gate: the two add up
    dltm_prev = dkept * f           # kept = LTM_{t-1} * f_t: what crosses to LTM_{t-1}
    df = dkept * ltm                #                          and what reaches f_t
    dN = dltm * i                   # LTM_t = kept + N_t * i_t: the Learn gate's product
    di = dltm * N
    return {"ltm": dltm_prev, "f": df, "N": dN, "i": di}
    # END SOLUTION


def use_gate_backward(dstm, kept, U, V, W_u):
    """Backward through the lesson's Use gate, step 2 of 3.

    Forward: U_t = tanh(kept W_u + b_u) with kept = LTM_{t-1} * f_t, STM_t = U_t * V_t.
    dstm: (B, H) the gradient that reaches STM_t; kept, U = U_t, V = V_t: (B, H) from the
    forward pass; W_u: (H, H).
    Returns a dict: 'V' (B, H) the gradient of V_t, 'W_u' (H, H), 'b_u' (H,), and 'kept' (B, H),
    what the Use gate sends back into kept (ltm_path_backward's dkept_use).
    """
    # BEGIN SOLUTION
    dV = dstm * U                   # STM_t = U_t * V_t: the product rule
    da_u = dstm * V * (1 - U**2)    # ... and through U_t = tanh(a_u): tanh' = 1 - U_t**2
    dW_u = kept.T @ da_u            # a_u = kept W_u + b_u
    db_u = da_u.sum(axis=0)         # b_u is shared by every row of the batch
    dkept = da_u @ W_u.T            # what the Use gate sends back into kept
    return {"V": dV, "W_u": dW_u, "b_u": db_u, "kept": dkept}
    # END SOLUTION


def lstm_cell_backward(dstm, dltm, cache):
    """Backward through one step: the gradients of one LSTM step, from lstm_cell_forward's cache.

    Step 3 of 3, the assembly: the Use gate's backward (use_gate_backward in the lesson's cell,
    two lines in the standard one), the LTM path's (ltm_path_backward), then the four
    pre-activations x @ W_k + b_k.
    dstm, dltm: (B, H) upstream gradients of the loss w.r.t. STM_t and LTM_t.
    Returns a dict of gradients: every parameter name (W_n, b_n, ...), and
    'stm', 'ltm', 'event' for STM_{t-1} (B, H), LTM_{t-1} (B, H), E_t (B, D).
    tanh'(a) = 1 - t**2 and sigmoid'(a) = s * (1 - s), from the outputs t, s in the cache.
    """
    # BEGIN SOLUTION
    p, x, H = cache["params"], cache["x"], cache["H"]
    N, i, f, V, U = (cache[k] for k in ("N", "i", "f", "V", "U"))
    if cache["variant"] == "lesson":                 # U = tanh(kept W_u + b_u) reads kept
        use = use_gate_backward(dstm, cache["kept"], U, V, p.W_u)
        grads = {"W_u": use["W_u"], "b_u": use["b_u"]}
        dltm_total, dkept_use = dltm, use["kept"]
    else:                                            # U = tanh(LTM_t) reads LTM_t, no weights
        use = {"V": dstm * U}                        # STM_t = V * U
        grads = {}
        dltm_total, dkept_use = dltm + dstm * V * (1 - U**2), np.zeros_like(dltm)
    path = ltm_path_backward(dltm_total, dkept_use, cache["ltm"], f, N, i)
    da = {"n": path["N"] * (1 - N**2), "i": path["i"] * i * (1 - i),
          "f": path["f"] * f * (1 - f), "v": use["V"] * V * (1 - V)}
    dx = np.zeros_like(x)
    for k, da_k in da.items():                       # a_k = x @ W_k + b_k
        grads["W_" + k] = x.T @ da_k
        grads["b_" + k] = da_k.sum(axis=0)
        dx += da_k @ getattr(p, "W_" + k).T
    grads["ltm"] = path["ltm"]                       # dLTM_{t-1} = dkept * f_t
    grads["stm"], grads["event"] = dx[:, :H], dx[:, H:]
    return grads
    # END SOLUTION
