"""The LSTM unrolled over a sequence, and backpropagation through time (BPTT).

events: (B, T, D), batch first. stms: (B, T, H), the STM (h) after every step.
"""

from __future__ import annotations

import numpy as np

from .cell import lstm_cell, lstm_cell_backward, lstm_cell_forward
from .params import LSTMParams, check_variant

__all__ = ["lstm_forward", "lstm_backward"]


def lstm_forward(events, params, stm0=None, ltm0=None, variant="lesson", return_cache=False):
    """Run the cell over T steps: events (B, T, D) -> (stms (B, T, H), (STM_T, LTM_T)).

    stm0, ltm0 (B, H) are the initial state (zeros when None). stms[:, t] is STM_t, the
    short-term memory after step t. With return_cache=True the steps run through
    lstm_cell_forward and the cache that lstm_backward consumes comes third:
    (stms, (stm_T, ltm_T), cache).
    """
    check_variant(variant)
    events, (B, _, _) = check_events(events, params)
    if stm0 is not None or ltm0 is not None:
        H = params.hidden_size
        stm0 = None if stm0 is None else initial_state("stm0", stm0, B, H, None)
        ltm0 = None if ltm0 is None else initial_state("ltm0", ltm0, B, H, None)
    if return_cache:
        return _forward_with_cache(events, params, stm0, ltm0, variant)
    # BEGIN SOLUTION
    B, T, D = events.shape
    H = params.hidden_size
    stm = np.zeros((B, H), events.dtype) if stm0 is None else stm0
    ltm = np.zeros((B, H), events.dtype) if ltm0 is None else ltm0
    stms = np.zeros((B, T, H), events.dtype)
    for t in range(T):
        stm, ltm = lstm_cell(stm, ltm, events[:, t], params, variant)
        stms[:, t] = stm
    return stms, (stm, ltm)
    # END SOLUTION


# ANSWER-FREE STUB: it computes a graded answer; the answer-free build stubs its body
def _forward_with_cache(events, params, stm0, ltm0, variant):
    """lstm_forward through lstm_cell_forward, keeping every step's cache for lstm_backward."""
    B, T, D = events.shape
    H = params.hidden_size
    dtype = np.result_type(events.dtype, params.dtype)
    stm = initial_state("stm0", stm0, B, H, dtype)
    ltm = initial_state("ltm0", ltm0, B, H, dtype)
    stms = np.empty((B, T, H), dtype)
    caches = []
    for t in range(T):
        stm, ltm, c = lstm_cell_forward(stm, ltm, events[:, t], params, variant)
        stms[:, t] = stm
        caches.append(c)
    return stms, (stm, ltm), dict(steps=caches, params=params, variant=variant, D=D)


def check_events(events, params: LSTMParams):
    """events as an array of shape (B, T, D) that fits params: -> (events, (B, T, D))."""
    events = np.asarray(events)
    if events.ndim != 3:
        raise ValueError(f"events must be (B, T, D), got shape {events.shape}")
    D = events.shape[2]
    if D != params.input_size:
        raise ValueError(
            f"events have D={D} features but the parameters expect {params.input_size}"
        )
    return events, events.shape


def initial_state(name, value, B, H, dtype):
    """stm0 / ltm0 as a (B, H) array: zeros when None, else checked (no silent broadcasting)."""
    if value is None:
        return np.zeros((B, H), dtype)
    value = np.asarray(value)
    if value.shape != (B, H):
        raise ValueError(f"{name} must be (B, H) = ({B}, {H}), got shape {value.shape}")
    return value


def lstm_backward(dstms, cache, dstm_T=None, dltm_T=None):
    """BPTT: gradients of a loss given dL/dstms (B, T, H) (and optionally dL/dstm_T, dL/dltm_T).

    Returns a dict: every parameter name -> gradient of its shape, plus
    'events' (B, T, D), 'stm0' (B, H), 'ltm0' (B, H).
    """
    steps, params = cache["steps"], cache["params"]
    dstms = np.asarray(dstms)
    B, H = steps[0]["ltm"].shape if steps else (dstms.shape[0], params.hidden_size)
    T = len(steps)
    if dstms.shape != (B, T, H):
        raise ValueError(
            f"dstms must be (B, T, H) = {(B, T, H)} like the forward's stms, "
            f"got shape {dstms.shape}"
        )
    grads = {name: np.zeros_like(arr) for name, arr in params.items()}
    if cache["variant"] == "standard":
        grads.pop("W_u", None)
        grads.pop("b_u", None)
    devents = np.empty((B, T, cache["D"]), dtype=dstms.dtype)
    dstm = np.zeros((B, H), dstms.dtype) if dstm_T is None else np.array(dstm_T)
    dltm = np.zeros((B, H), dstms.dtype) if dltm_T is None else np.array(dltm_T)
    for t in reversed(range(T)):
        g = lstm_cell_backward(dstm + dstms[:, t], dltm, steps[t])
        for name in grads:
            grads[name] += g[name]
        devents[:, t] = g["event"]
        dstm, dltm = g["stm"], g["ltm"]
    grads.update(events=devents, stm0=dstm, ltm0=dltm)
    return grads
