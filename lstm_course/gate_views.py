"""What the notebooks' widgets and plots show, as plain functions (no widgets, no plotting).

Every readout returns a dict of NumPy arrays named after the lesson; the widgets in
`lstm_course.widgets` are thin shells that call these and draw the result, so the maths can be
tested without a browser. Shapes follow the package: stm, ltm (B, H); event (B, D); a scalar is
treated as a (1, 1) array, so `learn_gate_readout(0.5, 1.0, W_n, ...)` with (2, 1) weights works.

    learn_gate_readout   N_t, i_t and N_t * i_t             (Learn gate)
    forget_gate_readout  f_t and LTM_{t-1} * f_t            (Forget gate)
    erase_ltm            LTM * f^steps                      (a forget factor held for several steps)
    remember_readout     kept + learned = LTM_t             (Remember gate)
    use_gate_readout     U_t, V_t and STM_t = U_t * V_t     (Use gate)
    cell_trace           every gate's value at every step of a sequence
    step_view / describe_step   one step of a trace, as numbers and as words
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid, tanh
from .cell import lstm_cell_forward
from .gates import concat, forget_gate, learn_gate, remember_gate, use_gate
from .params import LSTMParams

__all__ = [
    "scalar_weights",
    "learn_gate_readout",
    "forget_gate_readout",
    "erase_ltm",
    "remember_readout",
    "use_gate_readout",
    "cell_trace",
    "step_view",
    "describe_step",
    "remembering_params",
    "remembering_sequence",
    "TRACE_KEYS",
]

# The per-step quantities a trace holds, in the order of the lesson.
TRACE_KEYS = ("N", "i", "learned", "f", "kept", "ltm", "U", "V", "stm")


def _row(a):
    """A scalar or vector as a (B, n) float array."""
    return np.atleast_2d(np.asarray(a, dtype=float))


def scalar_weights(w_stm: float, w_event: float):
    """The (2, 1) weight matrix of a one-unit cell with a one-number Event: rows (STM, Event)."""
    return np.array([[float(w_stm)], [float(w_event)]])


# ANSWER-FREE STUB: it computes a graded answer; the answer-free build stubs its body
def learn_gate_readout(stm, event, W_n, b_n, W_i, b_i) -> dict:
    """The Learn gate's parts: x = [STM, E], N_t = tanh(x W_n + b_n), i_t = sigmoid(x W_i + b_i),
    learn_out = N_t * i_t (what the package's `learn_gate` returns)."""
    stm, event = _row(stm), _row(event)
    x = concat(stm, event)
    N_t = tanh(x @ W_n + b_n)
    i_t = sigmoid(x @ W_i + b_i)
    return dict(x=x, N_t=N_t, i_t=i_t, learn_out=learn_gate(stm, event, W_n, b_n, W_i, b_i))


# ANSWER-FREE STUB: it computes a graded answer; the answer-free build stubs its body
def forget_gate_readout(ltm, stm, event, W_f, b_f) -> dict:
    """The Forget gate's parts: f_t = sigmoid([STM, E] W_f + b_f), forget_out = LTM_{t-1} * f_t."""
    ltm, stm, event = _row(ltm), _row(stm), _row(event)
    f_t = sigmoid(concat(stm, event) @ W_f + b_f)
    return dict(ltm=ltm, f_t=f_t, forget_out=forget_gate(ltm, stm, event, W_f, b_f))


def erase_ltm(ltm, f, steps: int = 1):
    """The LTM after a forget factor f has acted for ``steps`` steps with nothing learned:
    LTM * f**steps (f = 1 keeps everything, f = 0 erases it at once)."""
    return np.asarray(ltm, dtype=float) * float(f) ** int(steps)


# ANSWER-FREE STUB: it computes a graded answer; the answer-free build stubs its body
def remember_readout(ltm, f_t, N_t, i_t) -> dict:
    """The Remember gate: kept = LTM_{t-1} * f_t, learned = N_t * i_t, new ltm = kept + learned."""
    kept = np.asarray(ltm, dtype=float) * np.asarray(f_t, dtype=float)
    learned = np.asarray(N_t, dtype=float) * np.asarray(i_t, dtype=float)
    return dict(kept=kept, learned=learned, ltm=remember_gate(learned, kept))


# ANSWER-FREE STUB: it computes a graded answer; the answer-free build stubs its body
def use_gate_readout(forget_out, stm, event, W_u, b_u, W_v, b_v) -> dict:
    """The (lesson's) Use gate: U_t = tanh(forget_out W_u + b_u), V_t = sigmoid([STM, E] W_v + b_v),
    new stm = U_t * V_t (what the package's `use_gate` returns)."""
    forget_out, stm, event = _row(forget_out), _row(stm), _row(event)
    U_t = tanh(forget_out @ W_u + b_u)
    V_t = sigmoid(concat(stm, event) @ W_v + b_v)
    return dict(U_t=U_t, V_t=V_t, stm=use_gate(forget_out, stm, event, W_u, b_u, W_v, b_v))


def cell_trace(events, params: LSTMParams, stm0=None, ltm0=None, variant: str = "lesson") -> dict:
    """Run the cell over ONE sequence and keep every gate's value at every step.

    events (T, D) (or (1, T, D)); stm0, ltm0 (H,) or (1, H), zeros when None.
    Returns a dict of (T, H) arrays, keys TRACE_KEYS: N, i (Learn), learned = N * i,
    f (Forget), kept = LTM_{t-1} * f, ltm (Remember: LTM_t), U, V (Use), stm (STM_t);
    plus 'event' (T, D) and 'ltm_prev' (T, H) (the LTM each step started from).
    """
    events = np.asarray(events, dtype=float)
    if events.ndim == 3:
        if events.shape[0] != 1:
            raise ValueError("cell_trace takes one sequence: events (T, D) or (1, T, D)")
        events = events[0]
    if events.ndim != 2:
        raise ValueError(f"events must be (T, D), got shape {events.shape}")
    H = params.hidden_size
    stm = np.zeros((1, H)) if stm0 is None else _row(stm0)
    ltm = np.zeros((1, H)) if ltm0 is None else _row(ltm0)
    rows = {k: [] for k in TRACE_KEYS + ("ltm_prev",)}
    for event in events:
        rows["ltm_prev"].append(ltm[0])
        stm, ltm, c = lstm_cell_forward(stm, ltm, event[None], params, variant)
        for key, value in (
            ("N", c["N"]),
            ("i", c["i"]),
            ("f", c["f"]),
            ("V", c["V"]),
            ("U", c["U"]),
            ("kept", c["kept"]),
            ("ltm", ltm),
            ("stm", stm),
        ):
            rows[key].append(value[0])
        rows["learned"].append(c["N"][0] * c["i"][0])
    trace = {k: np.array(v).reshape(len(events), H) for k, v in rows.items()}
    trace["event"] = events.copy()
    return trace


def step_view(trace: dict, t: int) -> dict:
    """Everything a trace says about step t, each an (H,) array (plus 'event' (D,) and 't')."""
    T = len(trace["event"])
    if not 0 <= int(t) < T:
        raise IndexError(f"step {t} is outside 0..{T - 1}")
    t = int(t)
    view = {k: trace[k][t] for k in TRACE_KEYS + ("ltm_prev",)}
    view.update(event=trace["event"][t], t=t)
    return view


def _level(x: float) -> str:
    return "closed" if x < 0.2 else "open" if x > 0.8 else "half open"


def describe_step(trace: dict, t: int, unit: int = 0, decimals: int = 2) -> str:
    """What each gate did at step t for one unit of the memory, in words (rounded numbers)."""
    v = step_view(trace, t)
    r = lambda x: f"{float(x):.{decimals}f}"  # noqa: E731
    event = ", ".join(r(e) for e in v["event"])
    return "\n".join(
        [
            f"step {v['t']}, unit {unit}: Event = [{event}]",
            f"  Learn:    N_t = {r(v['N'][unit])}, i_t = {r(v['i'][unit])} ({_level(v['i'][unit])})"
            f" -> learns {r(v['learned'][unit])}",
            f"  Forget:   f_t = {r(v['f'][unit])} ({_level(v['f'][unit])})"
            f" -> keeps {r(v['kept'][unit])} of LTM {r(v['ltm_prev'][unit])}",
            f"  Remember: LTM_t = {r(v['kept'][unit])} + {r(v['learned'][unit])}"
            f" = {r(v['ltm'][unit])}",
            f"  Use:      U_t = {r(v['U'][unit])}, V_t = {r(v['V'][unit])} ({_level(v['V'][unit])})"
            f" -> STM_t = {r(v['stm'][unit])}",
        ]
    )


# --- A hand-wired cell that remembers marked values: readable gates for the heatmaps ---------

#: Forget-gate biases of the four units of `remembering_params`: how long each one remembers.
REMEMBERING_FORGET_BIAS = (6.0, 3.0, 1.5, 0.0)


def remembering_params(forget_bias=REMEMBERING_FORGET_BIAS) -> LSTMParams:
    """Hand-set lesson-variant weights (H = 4 units, D = 3 Event features: value, store, recall).

    Every unit stores the value when the 'store' marker is 1 (i_t opens, f_t closes: the old
    memory is replaced), keeps it with forget factor sigmoid(forget_bias[k]) otherwise (unit 0
    for the whole sequence, unit 3 for a step or two), and shows it in the STM only when the
    'recall' marker is 1 (V_t opens). The STM rows of every weight are 0, so the gates read
    the Event only, which keeps the picture easy to read.
    """
    H, D = len(forget_bias), 3
    zeros = lambda *s: np.zeros(s)  # noqa: E731

    def event_weights(value=0.0, store=0.0, recall=0.0):
        W = zeros(H + D, H)
        W[H + 0], W[H + 1], W[H + 2] = value, store, recall
        return W

    return LSTMParams(
        W_n=event_weights(value=1.5),
        b_n=zeros(H),  # N_t ~ the value
        W_i=event_weights(store=10.0),
        b_i=np.full(H, -5.0),  # open on 'store'
        W_f=event_weights(store=-12.0),
        b_f=np.array(forget_bias, float),  # close on 'store'
        W_u=2.0 * np.eye(H),
        b_u=zeros(H),  # U_t ~ the memory
        W_v=event_weights(recall=10.0),
        b_v=np.full(H, -5.0),  # open on 'recall'
    )


def remembering_sequence(T: int = 30, seed: int = 0, store_at=(2, 14), recall_at=(8, 20, 27)):
    """A toy Event sequence (T, 3) for `remembering_params`: column 0 a value ~ U(-1, 1) at every
    step, column 1 the 'store' marker (1 at the steps in store_at), column 2 the 'recall' marker."""
    rng = np.random.default_rng(seed)
    events = np.zeros((int(T), 3))
    events[:, 0] = np.round(rng.uniform(-1.0, 1.0, int(T)), 2)
    events[list(store_at), 1] = 1.0
    events[list(recall_at), 2] = 1.0
    return events
