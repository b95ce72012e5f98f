"""Wrong answers nobody catalogued are still named: compositions, edits of the answer, probes,
exceptions in the learner's terms.

Each entry is a realistic wrong answer (FIELD-NOTES: "Wrong answers learners actually write"),
written as a learner would, and the words its feedback must contain. "Named" means the check
said what the slip is - never only "differs from the reference" or NumPy's own text.
"""

from __future__ import annotations

import numpy as np
import pytest

from lstm_course import (
    concat,
    forget_gate,
    learn_gate,
    remember_gate,
    sigmoid,
    standard_use_gate,
    tanh,
    use_gate,
)
from lstm_course.checks import run_check

GENERIC = ("differs from the reference", "gufunc", "mismatch in its core dimension")


def naive_sigmoid(a):
    return 1 / (1 + np.exp(-a))


# ----------------------------------------------------------------------------- learn_gate


def learn_both_biases_out(stm, event, W_n, b_n, W_i, b_i):
    x = concat(stm, event)
    return tanh(x @ W_n) * sigmoid(x @ W_i)


def learn_copy_paste(stm, event, W_n, b_n, W_i, b_i):
    x = concat(stm, event)
    return tanh(x @ W_n + b_n) * sigmoid(x @ W_n + b_n)


def learn_W_n_transposed(stm, event, W_n, b_n, W_i, b_i):
    x = concat(stm, event)
    return tanh(x @ W_n.T + b_n) * sigmoid(x @ W_i + b_i)


def learn_star_for_matmul(stm, event, W_n, b_n, W_i, b_i):
    x = concat(stm, event)
    return tanh(x * W_n + b_n) * sigmoid(x @ W_i + b_i)


def learn_axis0(stm, event, W_n, b_n, W_i, b_i):
    x = np.concatenate([stm, event], axis=0)
    return tanh(x @ W_n + b_n) * sigmoid(x @ W_i + b_i)


def learn_sigmoid_both(stm, event, W_n, b_n, W_i, b_i):
    x = concat(stm, event)
    return sigmoid(x @ W_n + b_n) * sigmoid(x @ W_i + b_i)


def learn_bias_times(stm, event, W_n, b_n, W_i, b_i):
    x = concat(stm, event)
    return tanh(x @ W_n * b_n) * sigmoid(x @ W_i + b_i)


def learn_event_only(stm, event, W_n, b_n, W_i, b_i):
    return tanh(event @ W_n + b_n) * sigmoid(event @ W_i + b_i)


def learn_swap_and_bias(stm, event, W_n, b_n, W_i, b_i):
    x = concat(event, stm)
    return tanh(x @ W_n) * sigmoid(x @ W_i + b_i)


def learn_W_first(stm, event, W_n, b_n, W_i, b_i):
    x = concat(stm, event)
    return tanh(W_n @ x + b_n) * sigmoid(x @ W_i + b_i)


# ----------------------------------------------------------------------------- forget_gate


def forget_plus(ltm, stm, event, W_f, b_f):
    return ltm + sigmoid(concat(stm, event) @ W_f + b_f)


def forget_from_ltm(ltm, stm, event, W_f, b_f):
    return ltm * sigmoid(concat(ltm, event) @ W_f + b_f)


def forget_one_minus_no_bias(ltm, stm, event, W_f, b_f):
    return (1 - sigmoid(concat(stm, event) @ W_f)) * ltm


def forget_bias_minus(ltm, stm, event, W_f, b_f):
    return ltm * sigmoid(concat(stm, event) @ W_f - b_f)


def forget_W_T(ltm, stm, event, W_f, b_f):
    return ltm * sigmoid(concat(stm, event) @ W_f.T + b_f)


# ----------------------------------------------------------------------------- remember_gate


def remember_mean(learn_out, forget_out):
    return (forget_out + learn_out) / 2


def remember_forget_twice(learn_out, forget_out):
    return forget_out + forget_out


# ----------------------------------------------------------------------------- use_gate


def use_W_u_T(forget_out, stm, event, W_u, b_u, W_v, b_v):
    return tanh(forget_out @ W_u.T + b_u) * sigmoid(concat(stm, event) @ W_v + b_v)


def use_both_biases_out(forget_out, stm, event, W_u, b_u, W_v, b_v):
    return tanh(forget_out @ W_u) * sigmoid(concat(stm, event) @ W_v)


def use_W_u_T_and_no_b_v(forget_out, stm, event, W_u, b_u, W_v, b_v):
    return tanh(forget_out @ W_u.T + b_u) * sigmoid(concat(stm, event) @ W_v)


def use_U_from_stm_star(forget_out, stm, event, W_u, b_u, W_v, b_v):
    return tanh(forget_out * W_u + b_u) * sigmoid(concat(stm, event) @ W_v + b_v)


def use_sigmoid_on_U(forget_out, stm, event, W_u, b_u, W_v, b_v):
    return sigmoid(forget_out @ W_u + b_u) * sigmoid(concat(stm, event) @ W_v + b_v)


def use_plus(forget_out, stm, event, W_u, b_u, W_v, b_v):
    return tanh(forget_out @ W_u + b_u) + sigmoid(concat(stm, event) @ W_v + b_v)


# ----------------------------------------------------------------------------- lstm_cell


def cell_forget_args_swapped(stm, ltm, event, params, variant="lesson"):
    p = params
    learn_out = learn_gate(stm, event, p.W_n, p.b_n, p.W_i, p.b_i)
    forget_out = forget_gate(stm, ltm, event, p.W_f, p.b_f)
    new_ltm = remember_gate(learn_out, forget_out)
    if variant == "lesson":
        new_stm = use_gate(forget_out, stm, event, p.W_u, p.b_u, p.W_v, p.b_v)
    else:
        new_stm = standard_use_gate(new_ltm, stm, event, p.W_v, p.b_v)
    return new_stm, new_ltm


def cell_learn_uses_W_f(stm, ltm, event, params, variant="lesson"):
    p = params
    learn_out = learn_gate(stm, event, p.W_n, p.b_n, p.W_f, p.b_i)
    forget_out = forget_gate(ltm, stm, event, p.W_f, p.b_f)
    new_ltm = remember_gate(learn_out, forget_out)
    new_stm = use_gate(forget_out, stm, event, p.W_u, p.b_u, p.W_v, p.b_v)
    return new_stm, new_ltm


def cell_remember_product(stm, ltm, event, params, variant="lesson"):
    p = params
    learn_out = learn_gate(stm, event, p.W_n, p.b_n, p.W_i, p.b_i)
    forget_out = forget_gate(ltm, stm, event, p.W_f, p.b_f)
    new_ltm = learn_out * forget_out
    new_stm = use_gate(forget_out, stm, event, p.W_u, p.b_u, p.W_v, p.b_v)
    return new_stm, new_ltm


# ----------------------------------------------------------------------------- lstm_forward


def forward_zeros_of_T(events, params, stm0=None, ltm0=None, variant="lesson"):
    from lstm_course import lstm_cell

    B, T, D = events.shape
    H = params.hidden_size
    stm = np.zeros((B, H)) if stm0 is None else stm0
    ltm = np.zeros((B, H)) if ltm0 is None else ltm0
    stms = np.zeros((B, T, H))
    for t in range(T):
        stm, ltm = lstm_cell(stm, ltm, events[:, t], params, variant)
        stms[:, t] = ltm
    return stms, (stm, ltm)


CASES = [
    ("learn_gate", learn_both_biases_out, ["b_n", "b_i"]),
    ("learn_gate", learn_copy_paste, ["W_n", "b_n"]),
    ("learn_gate", learn_W_n_transposed, ["W_n"]),
    ("learn_gate", learn_star_for_matmul, ["@"]),
    ("learn_gate", learn_axis0, ["axis"]),
    ("learn_gate", learn_sigmoid_both, ["sigmoid", "tanh"]),
    ("learn_gate", learn_bias_times, ["b_n"]),
    ("learn_gate", learn_event_only, ["event"]),
    ("learn_gate", learn_swap_and_bias, ["[E_t, STM_{t-1}]", "b_n"]),
    ("learn_gate", learn_W_first, ["x @ W_n"]),
    ("forget_gate", forget_plus, ["added"]),
    ("forget_gate", forget_from_ltm, ["ltm"]),
    ("forget_gate", forget_one_minus_no_bias, ["(1 - f_t)", "b_f"]),
    ("forget_gate", forget_bias_minus, ["b_f"]),
    ("forget_gate", forget_W_T, ["W_f"]),
    ("remember_gate", remember_mean, ["0.5 times the answer"]),
    ("remember_gate", remember_forget_twice, ["learn_out"]),
    ("use_gate", use_W_u_T, ["W_u.T"]),
    ("use_gate", use_both_biases_out, ["b_u", "b_v"]),
    ("use_gate", use_W_u_T_and_no_b_v, ["W_u", "b_v"]),
    ("use_gate", use_U_from_stm_star, ["@"]),
    ("use_gate", use_sigmoid_on_U, ["sigmoid", "tanh"]),
    ("use_gate", use_plus, ["added"]),
    ("lstm_cell", cell_forget_args_swapped, ["stm", "ltm"]),
    ("lstm_cell", cell_learn_uses_W_f, ["W_f"]),
    ("lstm_cell", cell_remember_product, ["remember_gate"]),
    ("lstm_forward", forward_zeros_of_T, ["stms[:, t]"]),
]


def _diagnosis(name, fn):
    result = run_check(name, fn)
    assert not result.passed, f"{fn.__name__} passed"
    return result.message


@pytest.mark.parametrize("name,fn,words", CASES, ids=[c[1].__name__ for c in CASES])
def test_uncatalogued_mistake_is_named(name, fn, words):
    text = _diagnosis(name, fn)
    assert not any(g in text for g in GENERIC), text
    for word in words:
        assert word in text, (word, text)
    assert "Traceback" not in text and "lstm_course/" not in text


def test_at_least_nine_in_ten_realistic_mistakes_are_named():
    named = sum(not any(g in _diagnosis(n, fn) for g in GENERIC) for n, fn, _ in CASES)
    assert named / len(CASES) >= 0.9


def test_an_input_the_output_ignores_is_named():
    def learn(stm, event, W_n, b_n, W_i, b_i):
        x = concat(stm, event)
        return tanh(x @ W_n + b_n) * sigmoid(x @ W_i + 0.5 * b_n)

    text = _diagnosis("learn_gate", learn)
    assert "does not change when `b_i` changes" in text


def test_a_hand_written_sigmoid_passes_with_a_note_on_the_overflow():
    def learn(stm, event, W_n, b_n, W_i, b_i):
        x = concat(stm, event)
        return np.tanh(x @ W_n + b_n) * naive_sigmoid(x @ W_i + b_i)

    result = run_check("learn_gate", learn)
    assert result.passed
    assert "overflowed in case 4" in result.message


def test_a_nan_making_sigmoid_fails_and_says_why():
    def learn(stm, event, W_n, b_n, W_i, b_i):
        x = concat(stm, event)
        a = x @ W_i + b_i
        return np.tanh(x @ W_n + b_n) * (np.exp(a) / (1 + np.exp(a)))

    text = _diagnosis("learn_gate", learn)
    assert "NaN" in text and "overflow" in text
