"""Exercise 05: one LSTM step from the four gates (lstm_course.cell.lstm_cell), and the LSTM
unrolled over a sequence (lstm_course.sequence.lstm_forward)."""

from __future__ import annotations

from .. import cell, sequence
from .base import Exercise, Mistake
from .cases import DEFAULT_SHAPES, LARGE, lstm_params, states

__all__ = ["LSTM_CELL", "LSTM_FORWARD"]


# --------------------------------------------------------------------------- cases


def cell_cases(rng, variant="lesson", shapes=None):
    """Standard-variant cases still carry W_u/b_u: ignoring `variant` must show, not crash."""
    cases = []
    for B, H, D, scale in shapes or DEFAULT_SHAPES:
        stm, ltm, event = states(rng, B, H, D)
        case = dict(stm=stm, ltm=ltm, event=event, params=lstm_params(rng, H, D, scale))
        if variant != "lesson":
            case["variant"] = variant
        cases.append(case)
    return cases


# (B, T, H, D, weight scale, initial states given); B, T, H and D differ within every case,
# so that a shape names its axes (a time axis mistaken for the batch is told apart)
FORWARD_SHAPES = (
    (1, 4, 3, 2, 1.0, False),
    (3, 5, 4, 2, 1.0, True),
    (2, 3, 4, 5, 1.0, True),
    (2, 5, 3, 4, LARGE, True),
)


def forward_cases(rng, variant="lesson", shapes=None):
    cases = []
    for B, T, H, D, scale, given in shapes or FORWARD_SHAPES:
        events = rng.standard_normal((B, T, D))
        stm0, ltm0, _ = states(rng, B, H, D)
        case = dict(
            events=events,
            params=lstm_params(rng, H, D, scale),
            stm0=stm0 if given else None,
            ltm0=ltm0 if given else None,
        )
        if variant != "lesson":
            case["variant"] = variant
        cases.append(case)
    return cases


# --------------------------------------------------------------------------- mistakes


def _m(name, diagnosis, *edits, variants=None):
    return Mistake(name, diagnosis, tuple(edits), variants)


CELL_MISTAKES = ()
# BEGIN SOLUTION
_BRANCHES = """if variant == "lesson":
    new_stm = use_gate(forget_out, stm, event, p.W_u, p.b_u, p.W_v, p.b_v)
else:
    new_stm = standard_use_gate(new_ltm, stm, event, p.W_v, p.b_v)   # V_t * tanh(LTM_t)
"""

CELL_MISTAKES = (
    _m(
        "returns_swapped",
        "you returned (LTM_t, STM_t); the cell returns the short-term memory first: "
        "(STM_t, LTM_t), i.e. (new_stm, new_ltm).",
        ("return new_stm, new_ltm", "return new_ltm, new_stm"),
    ),
    _m(
        "returns_only_stm",
        "you returned only the new short-term memory; the cell returns both memories: "
        "(STM_t, LTM_t).",
        ("return new_stm, new_ltm", "return new_stm"),
    ),
    _m(
        "forget_gate_on_stm",
        "you gave the Forget gate the short-term memory where the long-term memory belongs: "
        "forget_gate(ltm, stm, event, W_f, b_f) scales LTM_{t-1}.",
        ("forget_gate(ltm, stm, event,", "forget_gate(stm, stm, event,"),
    ),
    _m(
        "lesson_use_gate_when_standard",
        "you used the lesson's Use gate although variant='standard' asked for the standard one: "
        "STM_t = V_t * tanh(LTM_t) (standard_use_gate, no W_u, reading the NEW long-term memory).",
        (_BRANCHES, "new_stm = use_gate(forget_out, stm, event, p.W_u, p.b_u, p.W_v, p.b_v)\n"),
        variants=("standard",),
    ),
    _m(
        "standard_use_gate_when_lesson",
        "you used the standard LSTM's output V_t * tanh(LTM_t) although variant='lesson' asked "
        "for the lesson's Use gate: STM_t = tanh((LTM_{t-1} * f_t) W_u + b_u) * V_t.",
        (_BRANCHES, "new_stm = standard_use_gate(new_ltm, stm, event, p.W_v, p.b_v)\n"),
        variants=("lesson",),
    ),
    _m(
        "standard_old_ltm",
        "your standard Use gate reads the old long-term memory; it reads the new one: "
        "STM_t = V_t * tanh(LTM_t), with LTM_t from the Remember gate.",
        ("standard_use_gate(new_ltm,", "standard_use_gate(ltm,"),
        variants=("standard",),
    ),
    _m(
        "standard_kept_ltm",
        "your standard Use gate reads only what the Forget gate kept; it reads the whole new "
        "long-term memory: STM_t = V_t * tanh(LTM_t), LTM_t = forget_out + learn_out.",
        ("standard_use_gate(new_ltm,", "standard_use_gate(forget_out,"),
        variants=("standard",),
    ),
    _m(
        "lesson_new_ltm",
        "you gave the lesson's Use gate the new long-term memory; it reads what the Forget gate "
        "kept: U_t = tanh((LTM_{t-1} * f_t) W_u + b_u), i.e. use_gate(forget_out, ...).",
        ("use_gate(forget_out, stm,", "use_gate(new_ltm, stm,"),
        variants=("lesson",),
    ),
    _m(
        "lesson_old_ltm",
        "you gave the lesson's Use gate the old long-term memory; it reads what the Forget gate "
        "kept: U_t = tanh((LTM_{t-1} * f_t) W_u + b_u), i.e. use_gate(forget_out, ...).",
        ("use_gate(forget_out, stm,", "use_gate(ltm, stm,"),
        variants=("lesson",),
    ),
)
# END SOLUTION

FORWARD_MISTAKES = ()
# BEGIN SOLUTION
_STEP = """    stm, ltm = lstm_cell(stm, ltm, events[:, t], params, variant)
    stms[:, t] = stm
"""

FORWARD_MISTAKES = (
    _m(
        "returns_only_final_state",
        "you returned only the final state (STM_T, LTM_T); lstm_forward returns every step's "
        "short-term memory too: (stms, (STM_T, LTM_T)) with stms of shape (B, T, H).",
        ("return stms, (stm, ltm)", "return stm, ltm"),
    ),
    _m(
        "state_not_carried",
        "your loop starts every step from the initial state; each step must start from the "
        "previous step's (STM, LTM): stm, ltm = lstm_cell(stm, ltm, events[:, t], ...).",
        (
            _STEP,
            """    new_stm, new_ltm = lstm_cell(stm, ltm, events[:, t], params, variant)
    stms[:, t] = new_stm
""",
        ),
        ("return stms, (stm, ltm)", "return stms, (new_stm, new_ltm)"),
    ),
    _m(
        "time_major_stms",
        "your stms have shape (T, B, H); the course is batch first: (B, T, H), "
        "stms[:, t] is step t.",
        ("stms = np.zeros((B, T, H), events.dtype)", "stms = np.zeros((T, B, H), events.dtype)"),
        ("stms[:, t] = stm", "stms[t] = stm"),
    ),
    _m(
        "initial_state_ignored",
        "you always start from zeros; when stm0 and ltm0 are given the sequence starts from them.",
        ("np.zeros((B, H), events.dtype) if stm0 is None else stm0", "np.zeros((B, H))"),
        ("np.zeros((B, H), events.dtype) if ltm0 is None else ltm0", "np.zeros((B, H))"),
    ),
    _m(
        "stores_previous_stm",
        "you store each step's STM before the step runs; stms[:, t] is the STM after step t "
        "(STM_t, not STM_{t-1}).",
        (
            _STEP,
            """    stms[:, t] = stm
    stm, ltm = lstm_cell(stm, ltm, events[:, t], params, variant)
""",
        ),
    ),
    _m(
        "final_state_swapped",
        "you returned the final state as (LTM_T, STM_T); it is (STM_T, LTM_T), the short-term "
        "memory first.",
        ("return stms, (stm, ltm)", "return stms, (ltm, stm)"),
    ),
    _m(
        "flat_return",
        "you returned (stms, STM_T, LTM_T), three values; lstm_forward returns two: the stms and "
        "the final state as one pair, (stms, (STM_T, LTM_T)).",
        ("return stms, (stm, ltm)", "return stms, stm, ltm"),
    ),
    _m(
        "variant_not_passed",
        "you did not pass `variant` on to lstm_cell, so every step used the lesson's Use gate; "
        "call lstm_cell(stm, ltm, events[:, t], params, variant).",
        ("events[:, t], params, variant)", "events[:, t], params)"),
        variants=("standard",),
    ),
)
# END SOLUTION


# --------------------------------------------------------------------------- exercises

LSTM_CELL = Exercise(
    fn=cell.lstm_cell,
    notebook="05_lstm_cell",
    title="One LSTM step",
    cases=cell_cases,
    mistakes=CELL_MISTAKES,
    options={"variant": ("lesson", "standard")},
    output_labels={(0,): "STM_t (the first return value)", (1,): "LTM_t (the second return value)"},
    hints=(
        "Call your four gates in the lesson's order: Learn and Forget first (both read the old "
        "STM and the event), then Remember, then Use. Return (new_stm, new_ltm).",
        "learn_out = N_t * i_t,  forget_out = LTM_{t-1} * f_t,  LTM_t = forget_out + learn_out;  "
        "lesson: STM_t = use_gate(forget_out, ...);  standard: STM_t = V_t * tanh(LTM_t) "
        "(standard_use_gate(new_ltm, ...)).",
    ),
)

LSTM_FORWARD = Exercise(
    fn=sequence.lstm_forward,
    notebook="05_lstm_cell",
    title="The LSTM over a sequence",
    cases=forward_cases,
    mistakes=FORWARD_MISTAKES,
    options={"variant": ("lesson", "standard")},
    output_labels={
        (0,): "stms (B, T, H)",
        (1,): "the final state",
        (1, 0): "STM_T",
        (1, 1): "LTM_T",
    },
    hints=(
        "Loop over time. Start from zeros (or stm0/ltm0 when given), feed each step's event "
        "events[:, t] and the state the previous step returned, and keep every STM.",
        "for t in range(T): stm, ltm = lstm_cell(stm, ltm, events[:, t], params, variant); "
        "stms[:, t] = stm.  Return (stms, (stm, ltm)).",
    ),
)
