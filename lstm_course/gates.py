"""The four gates of the lesson, one function each, batch first.

Shapes: stm, ltm (B, H); event (B, D); [stm, event] is (B, H+D), STM first.
Standard names beside the lesson's: STM = h (hidden state), LTM = c (cell state), Event = x.

    Learn:    N_t = tanh([STM, E] W_n + b_n)      i_t = sigmoid([STM, E] W_i + b_i)
              learn_out = N_t * i_t
    Forget:   f_t = sigmoid([STM, E] W_f + b_f)   forget_out = LTM_{t-1} * f_t
    Remember: LTM_t = LTM_{t-1} * f_t + N_t * i_t
    Use:      U_t = tanh((LTM_{t-1} * f_t) W_u + b_u)
              V_t = sigmoid([STM, E] W_v + b_v)   STM_t = U_t * V_t         (the lesson's)
    Standard use gate (Gers et al. 2000, PyTorch): STM_t = V_t * tanh(LTM_t)   (o_t * tanh(c_t))
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid, tanh

__all__ = ["concat", "learn_gate", "forget_gate", "remember_gate", "use_gate", "standard_use_gate"]

# The equations are laid out by hand (shape comments aligned): keep the formatter off.
# fmt: off


def concat(stm, event):
    """[STM, E]: (B, H) and (B, D) -> (B, H+D), the STM first."""
    return np.concatenate([stm, event], axis=-1)


def learn_gate(stm, event, W_n, b_n, W_i, b_i):
    """Learn gate: N_t * i_t, what new information to add and how much of it.  -> (B, H)

    N_t = tanh([STM, E] @ W_n + b_n)       (standard: g_t)
    i_t = sigmoid([STM, E] @ W_i + b_i)    (standard: i_t, the input gate)
    """
    # BEGIN SOLUTION
    x = concat(stm, event)           # [STM_{t-1}, E_t]: (B, H+D), the STM first
    N_t = tanh(x @ W_n + b_n)        # the new information, in (-1, 1)
    i_t = sigmoid(x @ W_i + b_i)     # the ignore factor, in (0, 1)
    return N_t * i_t
    # END SOLUTION


def forget_gate(ltm, stm, event, W_f, b_f):
    """Forget gate: LTM_{t-1} * f_t, what the long-term memory keeps.  -> (B, H)

    f_t = sigmoid([STM, E] @ W_f + b_f)    (standard: f_t)
    """
    # BEGIN SOLUTION
    x = concat(stm, event)           # [STM_{t-1}, E_t]: (B, H+D)
    f_t = sigmoid(x @ W_f + b_f)     # the forget factor, in (0, 1)
    return ltm * f_t
    # END SOLUTION


def remember_gate(learn_out, forget_out):
    """Remember gate: the new long-term memory.  -> (B, H)

    LTM_t = LTM_{t-1} * f_t + N_t * i_t = forget_out + learn_out    (standard: c_t)
    """
    # BEGIN SOLUTION
    return forget_out + learn_out
    # END SOLUTION


def use_gate(forget_out, stm, event, W_u, b_u, W_v, b_v):
    """The lesson's Use gate: the new short-term memory (and the output).  -> (B, H)

    U_t = tanh((LTM_{t-1} * f_t) @ W_u + b_u)    (lesson only)
    V_t = sigmoid([STM, E] @ W_v + b_v)         (standard: o_t, the output gate)
    STM_t = U_t * V_t                           (standard: h_t)
    """
    # BEGIN SOLUTION
    U_t = tanh(forget_out @ W_u + b_u)                 # from what the LTM kept, in (-1, 1)
    V_t = sigmoid(concat(stm, event) @ W_v + b_v)      # from the STM and the Event, in (0, 1)
    return U_t * V_t
    # END SOLUTION


# ANSWER-FREE STUB: it computes a graded answer; the answer-free build stubs its body
def standard_use_gate(new_ltm, stm, event, W_v, b_v):
    """The standard LSTM's output: STM_t = V_t * tanh(LTM_t), i.e. h_t = o_t * tanh(c_t).  -> (B, H)

    No weights inside the tanh, and it reads the NEW long-term memory LTM_t.
    """
    V_t = sigmoid(concat(stm, event) @ W_v + b_v)  # (B, H)
    return V_t * tanh(new_ltm)
