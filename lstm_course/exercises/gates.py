"""Exercises 01-04: the four gates (lstm_course.gates), with their cases, known mistakes, hints."""

from __future__ import annotations

import numpy as np

from .. import gates
from ..activations import sigmoid
from .base import Exercise, Mistake
from .cases import DEFAULT_SHAPES, bias, states, weight

__all__ = ["LEARN_GATE", "FORGET_GATE", "REMEMBER_GATE", "USE_GATE"]


# --------------------------------------------------------------------------- cases


def _gate_cases(rng, shapes=None, n_weights=2):
    cases = []
    for B, H, D, scale in shapes or DEFAULT_SHAPES:
        stm, ltm, event = states(rng, B, H, D)
        Ws = [(weight(rng, H + D, H, scale), bias(rng, H, scale)) for _ in range(n_weights)]
        cases.append((stm, ltm, event, Ws, scale))
    return cases


def learn_cases(rng, shapes=None):
    return [
        dict(stm=stm, event=event, W_n=Ws[0][0], b_n=Ws[0][1], W_i=Ws[1][0], b_i=Ws[1][1])
        for stm, _, event, Ws, _ in _gate_cases(rng, shapes)
    ]


def forget_cases(rng, shapes=None):
    return [
        dict(ltm=ltm, stm=stm, event=event, W_f=Ws[0][0], b_f=Ws[0][1])
        for stm, ltm, event, Ws, _ in _gate_cases(rng, shapes, 1)
    ]


def remember_cases(rng, shapes=None):
    cases = []
    for B, H, _D, scale in shapes or DEFAULT_SHAPES:
        learn_out = np.tanh(rng.standard_normal((B, H)) * 2) * rng.uniform(0.05, 1, (B, H))
        forget_out = rng.standard_normal((B, H)) * (1.5 if scale == 1.0 else 2 * scale)
        cases.append(dict(learn_out=learn_out, forget_out=forget_out))
    return cases


def use_cases(rng, shapes=None):
    cases = []
    for stm, ltm, event, Ws, scale in _gate_cases(rng, shapes, 1):
        H = stm.shape[1]
        f = sigmoid(rng.standard_normal(ltm.shape))
        forget_out = ltm * f * (1.0 if scale == 1.0 else scale / 5)
        W_u, b_u = weight(rng, H, H, scale), bias(rng, H, scale)
        cases.append(
            dict(
                forget_out=forget_out,
                stm=stm,
                event=event,
                W_u=W_u,
                b_u=b_u,
                W_v=Ws[0][0],
                b_v=Ws[0][1],
            )
        )
    return cases


# --------------------------------------------------------------------------- mistakes


def _m(name, diagnosis, *edits, variants=None):
    return Mistake(name, diagnosis, tuple(edits), variants)


LEARN_MISTAKES = ()
# BEGIN SOLUTION
LEARN_MISTAKES = (
    _m(
        "sigmoid_tanh_swapped",
        "you swapped the two squashing functions: the new information N_t uses tanh "
        "(values in (-1, 1)) and the ignore factor i_t uses sigmoid (values in (0, 1)).",
        ("tanh(x @ W_n + b_n)", "sigmoid(x @ W_n + b_n)"),
        ("sigmoid(x @ W_i + b_i)", "tanh(x @ W_i + b_i)"),
    ),
    _m(
        "event_stm_order",
        "you joined the inputs as [E_t, STM_{t-1}]; the lesson's order is [STM_{t-1}, E_t] "
        "(the STM first: rows 0..H-1 of each weight matrix multiply the STM).",
        ("concat(stm, event)", "concat(event, stm)"),
    ),
    _m(
        "b_n_left_out",
        "you left out the bias b_n of the new information: N_t = tanh([STM_{t-1}, E_t] W_n + b_n).",
        ("tanh(x @ W_n + b_n)", "tanh(x @ W_n)"),
    ),
    _m(
        "b_i_left_out",
        "you left out the bias b_i of the ignore factor: "
        "i_t = sigmoid([STM_{t-1}, E_t] W_i + b_i).",
        ("sigmoid(x @ W_i + b_i)", "sigmoid(x @ W_i)"),
    ),
    _m(
        "N_alone",
        "you returned the new information N_t alone; the Learn gate multiplies it by the "
        "ignore factor: N_t * i_t.",
        ("return N_t * i_t", "return N_t"),
    ),
    _m(
        "i_alone",
        "you returned the ignore factor i_t alone; the Learn gate returns the new information "
        "times it: N_t * i_t.",
        ("return N_t * i_t", "return i_t"),
    ),
    _m(
        "sum_not_product",
        "you added N_t and i_t; the Learn gate multiplies them "
        "(i_t says how much of N_t to learn): N_t * i_t.",
        ("return N_t * i_t", "return N_t + i_t"),
    ),
)
# END SOLUTION

FORGET_MISTAKES = ()
# BEGIN SOLUTION
FORGET_MISTAKES = (
    _m(
        "one_minus_f",
        "your forget gate scales the LTM by (1 - f_t); it should be LTM_{t-1} * f_t "
        "(f_t near 1 means keep).",
        ("return ltm * f_t", "return ltm * (1 - f_t)"),
    ),
    _m(
        "event_stm_order",
        "you joined the inputs as [E_t, STM_{t-1}]; the lesson's order is [STM_{t-1}, E_t] "
        "(the STM first).",
        ("concat(stm, event)", "concat(event, stm)"),
    ),
    _m(
        "f_without_ltm",
        "you returned the forget factor f_t itself; the Forget gate applies it to the long-term "
        "memory: LTM_{t-1} * f_t.",
        ("return ltm * f_t", "return f_t"),
    ),
    _m(
        "tanh_not_sigmoid",
        "your forget factor uses tanh; it must be a sigmoid, a factor between 0 (forget) and "
        "1 (keep): f_t = sigmoid([STM_{t-1}, E_t] W_f + b_f).",
        ("sigmoid(x @ W_f + b_f)", "tanh(x @ W_f + b_f)"),
    ),
    _m(
        "bias_left_out",
        "you left out the bias b_f: f_t = sigmoid([STM_{t-1}, E_t] W_f + b_f).",
        ("sigmoid(x @ W_f + b_f)", "sigmoid(x @ W_f)"),
    ),
    _m(
        "stm_not_ltm",
        "your Forget gate scales the short-term memory; it acts on the long-term memory: "
        "LTM_{t-1} * f_t.",
        ("return ltm * f_t", "return stm * f_t"),
    ),
)
# END SOLUTION

REMEMBER_MISTAKES = ()
# BEGIN SOLUTION
REMEMBER_MISTAKES = (
    _m(
        "product_not_sum",
        "you multiplied the two; the Remember gate adds what the LTM kept and what was learnt: "
        "LTM_t = LTM_{t-1} * f_t + N_t * i_t.",
        ("return forget_out + learn_out", "return forget_out * learn_out"),
    ),
    _m(
        "only_forget",
        "you returned only the Forget gate's output; the Remember gate adds the Learn gate's: "
        "LTM_t = LTM_{t-1} * f_t + N_t * i_t.",
        ("return forget_out + learn_out", "return forget_out"),
    ),
    _m(
        "only_learn",
        "you returned only the Learn gate's output; the Remember gate adds the Forget gate's: "
        "LTM_t = LTM_{t-1} * f_t + N_t * i_t.",
        ("return forget_out + learn_out", "return learn_out"),
    ),
    _m(
        "difference",
        "you subtracted; the Remember gate adds the two: LTM_t = LTM_{t-1} * f_t + N_t * i_t.",
        ("return forget_out + learn_out", "return forget_out - learn_out"),
    ),
    _m(
        "difference_reversed",
        "you subtracted the kept memory from the new one; the Remember gate adds the two: "
        "LTM_t = LTM_{t-1} * f_t + N_t * i_t.",
        ("return forget_out + learn_out", "return learn_out - forget_out"),
    ),
)
# END SOLUTION

USE_MISTAKES = ()
# BEGIN SOLUTION
USE_MISTAKES = (
    _m(
        "standard_use_gate",
        "your U_t is tanh of the kept memory with no weights, tanh(LTM_{t-1} * f_t). That looks "
        "like the standard LSTM's output V_t * tanh(LTM_t), but the standard one reads the NEW "
        "long-term memory LTM_t; the lesson's Use gate gives the kept LTM its own small network: "
        "U_t = tanh((LTM_{t-1} * f_t) W_u + b_u).",
        ("tanh(forget_out @ W_u + b_u)", "tanh(forget_out)"),
    ),
    _m(
        "sigmoid_tanh_swapped",
        "you swapped the two squashing functions: U_t uses tanh (values in (-1, 1)) and "
        "V_t uses sigmoid (a factor in (0, 1)).",
        ("tanh(forget_out @ W_u + b_u)", "sigmoid(forget_out @ W_u + b_u)"),
        ("sigmoid(concat(stm, event) @ W_v + b_v)", "tanh(concat(stm, event) @ W_v + b_v)"),
    ),
    _m(
        "W_u_on_stm",
        "you applied W_u to the short-term memory; in the lesson's Use gate W_u acts on what the "
        "long-term memory kept: U_t = tanh((LTM_{t-1} * f_t) W_u + b_u).",
        ("tanh(forget_out @ W_u + b_u)", "tanh(stm @ W_u + b_u)"),
    ),
    _m(
        "U_alone",
        "you returned U_t alone; the Use gate multiplies it by V_t: STM_t = U_t * V_t.",
        ("return U_t * V_t", "return U_t"),
    ),
    _m(
        "V_alone",
        "you returned V_t alone; the Use gate multiplies it by U_t: STM_t = U_t * V_t.",
        ("return U_t * V_t", "return V_t"),
    ),
    _m(
        "sum_not_product",
        "you added U_t and V_t; the Use gate multiplies them: STM_t = U_t * V_t.",
        ("return U_t * V_t", "return U_t + V_t"),
    ),
    _m(
        "event_stm_order",
        "you joined the inputs of V_t as [E_t, STM_{t-1}]; the lesson's order is [STM_{t-1}, E_t].",
        ("concat(stm, event)", "concat(event, stm)"),
    ),
    _m(
        "b_u_left_out",
        "you left out the bias b_u: U_t = tanh((LTM_{t-1} * f_t) W_u + b_u).",
        ("tanh(forget_out @ W_u + b_u)", "tanh(forget_out @ W_u)"),
    ),
    _m(
        "b_v_left_out",
        "you left out the bias b_v: V_t = sigmoid([STM_{t-1}, E_t] W_v + b_v).",
        ("@ W_v + b_v)", "@ W_v)"),
    ),
)
# END SOLUTION


# --------------------------------------------------------------------------- exercises

LEARN_GATE = Exercise(
    fn=gates.learn_gate,
    notebook="01_learn_gate",
    title="The Learn gate",
    cases=learn_cases,
    mistakes=LEARN_MISTAKES,
    hints=(
        "Join the short-term memory and the event into one array first (the STM first, along "
        "the last axis: `concat(stm, event)`), then build two things from it with two different "
        "squashing functions, and combine them.",
        "N_t = tanh([STM_{t-1}, E_t] W_n + b_n),  i_t = sigmoid([STM_{t-1}, E_t] W_i + b_i),  "
        "Learn gate = N_t * i_t  (row vectors: `x @ W_n + b_n`).",
    ),
)

FORGET_GATE = Exercise(
    fn=gates.forget_gate,
    notebook="02_forget_gate",
    title="The Forget gate",
    cases=forget_cases,
    mistakes=FORGET_MISTAKES,
    hints=(
        "The forget factor is built from the STM and the event like the Learn gate's i_t; "
        "then it decides, entry by entry, how much of the long-term memory survives.",
        "f_t = sigmoid([STM_{t-1}, E_t] W_f + b_f),  Forget gate = LTM_{t-1} * f_t.",
    ),
)

REMEMBER_GATE = Exercise(
    fn=gates.remember_gate,
    notebook="03_remember_gate",
    title="The Remember gate",
    cases=remember_cases,
    mistakes=REMEMBER_MISTAKES,
    hints=(
        "The new long-term memory is what the Forget gate kept plus what the Learn gate learnt.",
        "LTM_t = LTM_{t-1} * f_t + N_t * i_t = forget_out + learn_out.",
    ),
)

USE_GATE = Exercise(
    fn=gates.use_gate,
    notebook="04_use_gate",
    title="The Use gate",
    cases=use_cases,
    mistakes=USE_MISTAKES,
    hints=(
        "Two factors again: one built from what the long-term memory kept (with its own weights "
        "W_u), one built from the STM and the event (W_v); the new STM is their product.",
        "U_t = tanh((LTM_{t-1} * f_t) W_u + b_u),  V_t = sigmoid([STM_{t-1}, E_t] W_v + b_v),  "
        "STM_t = U_t * V_t.",
    ),
)
