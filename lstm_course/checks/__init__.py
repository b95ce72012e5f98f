"""The autograder the notebooks call: one check per exercise.

    from lstm_course.checks import check_learn_gate
    check_learn_gate(learn_gate)      # a green/red box in Jupyter, text in a terminal

Each check runs the learner's function on several fixed random cases (B = 1 and B > 1,
H != D, saturated gates), compares with the reference, names a known mistake when the output
matches one, and otherwise says where it differs. A check never raises because of what the
learner wrote (SystemExit included); only KeyboardInterrupt - pressing stop - gets through.
A function that still raises NotImplementedError is reported as "not attempted yet"; one
left behind by a failed run of its cell (a SyntaxError) is reported as such, never passed.
The batch grader uses the same machinery split in halves: see lstm_course.checks.core.
"""

from __future__ import annotations

from . import freshness
from .core import Outcome, judge, make_cases, run_check, run_learner
from .result import CheckResult

freshness.register()  # inside IPython: notice a failed cell that left an old function behind

__all__ = [
    "CheckResult",
    "Outcome",
    "make_cases",
    "run_learner",
    "judge",
    "run_check",
    "CHECKS",
    "check_learn_gate",
    "check_forget_gate",
    "check_remember_gate",
    "check_use_gate",
    "check_lstm_cell",
    "check_lstm_forward",
    "check_params_from_pytorch",
    "check_lstm_cell_backward",
]


def check_learn_gate(fn) -> CheckResult:
    """Check learn_gate(stm, event, W_n, b_n, W_i, b_i) -> N_t * i_t."""
    return run_check("learn_gate", fn)


def check_forget_gate(fn) -> CheckResult:
    """Check forget_gate(ltm, stm, event, W_f, b_f) -> LTM_{t-1} * f_t."""
    return run_check("forget_gate", fn)


def check_remember_gate(fn) -> CheckResult:
    """Check remember_gate(learn_out, forget_out) -> LTM_t."""
    return run_check("remember_gate", fn)


def check_use_gate(fn) -> CheckResult:
    """Check use_gate(forget_out, stm, event, W_u, b_u, W_v, b_v) -> STM_t (the lesson's)."""
    return run_check("use_gate", fn)


def check_lstm_cell(fn, variant: str = "lesson") -> CheckResult:
    """Check lstm_cell(stm, ltm, event, params, variant) -> (STM_t, LTM_t).

    With variant="standard" the function is called with variant="standard" (and parameters
    that still carry W_u, so a cell that ignores `variant` shows up as that mistake).
    """
    return run_check("lstm_cell", fn, variant=variant)


def check_lstm_forward(fn, variant: str = "lesson") -> CheckResult:
    """Check lstm_forward(events, params, stm0, ltm0, variant) -> (stms, (STM_T, LTM_T))."""
    return run_check("lstm_forward", fn, variant=variant)


def check_params_from_pytorch(fn) -> CheckResult:
    """Check params_from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh) -> standard LSTMParams."""
    return run_check("params_from_pytorch", fn)


def check_lstm_cell_backward(fn, variant: str = "lesson") -> CheckResult:
    """Check lstm_cell_backward(dstm, dltm, cache) -> dict of gradients (cache of that variant)."""
    return run_check("lstm_cell_backward", fn, variant=variant)


CHECKS = {
    "learn_gate": check_learn_gate,
    "forget_gate": check_forget_gate,
    "remember_gate": check_remember_gate,
    "use_gate": check_use_gate,
    "lstm_cell": check_lstm_cell,
    "lstm_forward": check_lstm_forward,
    "params_from_pytorch": check_params_from_pytorch,
    "lstm_cell_backward": check_lstm_cell_backward,
}
