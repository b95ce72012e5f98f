"""Classes of wrong answers with the right shape and wrong values, each named by a general
mechanism (none of these answers is catalogued, and none is an outside tester's case):

1. edits of the answer of new kinds (mutants): a term moved out of an activation, an extra
   activation, a derivative in the other activation's form, skipped at one use, or folded into
   a gate value's gradient, a slice's bound off by one, two slices swapped;
2. a slip made everywhere at once in an answer written inline: the reference run on changed
   inputs ([E, STM] in every gate, two inputs exchanged);
3. the output read against the reference's: its negative, right except the last slice of one
   axis, equal to a slice of another part;
4. the output read against its input: one common factor and the norm it implies, a factor per
   array, entries clipped one by one;
5. the wording of an inner gate's known mistake, and the GRU's r and z mixed up.
"""

from __future__ import annotations

import numpy as np
import pytest

from lstm_course import concat, learn_gate, lstm_cell, remember_gate, sigmoid, tanh
from lstm_course.checks import run_check
from lstm_course.exercises import EXERCISES

# ----------------------------------------------------------------------------- 1. new edits


def forget_bias_after_sigmoid(ltm, stm, event, W_f, b_f):
    f = sigmoid(concat(stm, event) @ W_f) + b_f
    return ltm * f


def gru_bias_after_sigmoid(h, x, params):
    p = params
    hx = concat(h, x)
    r = sigmoid(hx @ p.W_r + p.b_r)
    z = sigmoid(hx @ p.W_z) + p.b_z
    n = tanh(x @ p.W_xn + p.b_xn + r * (h @ p.W_hn + p.b_hn))
    return (1 - z) * n + z * h


def use_squashed_twice(forget_out, stm, event, W_u, b_u, W_v, b_v):
    U = tanh(forget_out @ W_u + b_u)
    V = sigmoid(concat(stm, event) @ W_v + b_v)
    return tanh(U * V)


def learn_sigmoid_of_product(stm, event, W_n, b_n, W_i, b_i):
    x = concat(stm, event)
    return sigmoid(tanh(x @ W_n + b_n) * sigmoid(x @ W_i + b_i))


def path_di_through_sigmoid(dltm, dkept_use, ltm, f, N, i):
    dkept = dltm + dkept_use
    return {"ltm": dkept * f, "f": dkept * ltm, "N": dltm * i, "i": dltm * N * i * (1 - i)}


def path_dN_through_tanh(dltm, dkept_use, ltm, f, N, i):
    dkept = dltm + dkept_use
    dN = dltm * i * (1 - N**2)
    return {"ltm": dkept * f, "f": dkept * ltm, "N": dN, "i": dltm * N}


def use_backward_dW_without_tanh_prime(dstm, kept, U, V, W_u):
    da_u = dstm * V * (1 - U**2)
    return {
        "V": dstm * U,
        "W_u": kept.T @ (dstm * V),
        "b_u": da_u.sum(axis=0),
        "kept": da_u @ W_u.T,
    }


def _cell_backward(da_of, split=None):
    """lstm_cell_backward as a learner writes it, with the four pre-activation gradients from
    da_of(path, use, N, i, f, V) and stm/event from split(dx, H)."""

    def lstm_cell_backward(dstm, dltm, cache):
        from lstm_course import ltm_path_backward, use_gate_backward

        p, x, H = cache["params"], cache["x"], cache["H"]
        N, i, f, V, U = (cache[k] for k in ("N", "i", "f", "V", "U"))
        if cache["variant"] == "lesson":
            use = use_gate_backward(dstm, cache["kept"], U, V, p.W_u)
            grads = {"W_u": use["W_u"], "b_u": use["b_u"]}
            dltm_total, dkept_use = dltm, use["kept"]
        else:
            use = {"V": dstm * U}
            grads = {}
            dltm_total, dkept_use = dltm + dstm * V * (1 - U**2), np.zeros_like(dltm)
        path = ltm_path_backward(dltm_total, dkept_use, cache["ltm"], f, N, i)
        da = da_of(path, use, N, i, f, V)
        dx = np.zeros_like(x)
        for k, da_k in da.items():
            grads["W_" + k] = x.T @ da_k
            grads["b_" + k] = da_k.sum(axis=0)
            dx += da_k @ getattr(p, "W_" + k).T
        grads["ltm"] = path["ltm"]
        grads["stm"], grads["event"] = (split or (lambda d, h: (d[:, :h], d[:, h:])))(dx, H)
        return grads

    return lstm_cell_backward


cell_backward_tanh_prime_for_i = _cell_backward(
    lambda path, use, N, i, f, V: {
        "n": path["N"] * (1 - N**2),
        "i": path["i"] * (1 - i**2),
        "f": path["f"] * f * (1 - f),
        "v": use["V"] * V * (1 - V),
    }
)
cell_backward_split_short = _cell_backward(
    lambda path, use, N, i, f, V: {
        "n": path["N"] * (1 - N**2),
        "i": path["i"] * i * (1 - i),
        "f": path["f"] * f * (1 - f),
        "v": use["V"] * V * (1 - V),
    },
    split=lambda dx, H: (dx[:, : H - 1], dx[:, H - 1 :]),
)


EDITS = [
    ("forget_gate", forget_bias_after_sigmoid, ["b_f after the sigmoid", "inside"]),
    ("gru_cell", gru_bias_after_sigmoid, ["p.b_z after the sigmoid"]),
    ("use_gate", use_squashed_twice, ["applied tanh", "U_t * V_t"]),
    ("learn_gate", learn_sigmoid_of_product, ["applied sigmoid", "N_t * i_t"]),
    ("ltm_path_backward", path_di_through_sigmoid, ["di = dltm * N", "i * (1 - i)"]),
    ("ltm_path_backward", path_dN_through_tanh, ["dN = dltm * i", "(1 - N**2)"]),
    ("use_gate_backward", use_backward_dW_without_tanh_prime, ["dW_u = kept.T @ da_u", "missing"]),
    ("lstm_cell_backward", cell_backward_tanh_prime_for_i, ["1 - i**2", "which is a sigmoid"]),
]


def test_a_split_off_by_one_is_read_from_the_shapes():
    """A wrong output shape is read before any edit is searched (checks.explain.wrong_shape):
    the off-by-one split is named from the shapes alone, fast."""
    r = run_check("lstm_cell_backward", cell_backward_split_short)
    assert r.status == "failed"
    assert "'stm' has shape (B, H-1)" in r.message and "off by one" in r.message, r.message


@pytest.mark.parametrize("name, fn, words", EDITS, ids=[e[1].__name__ for e in EDITS])
def test_a_new_kind_of_edit_is_named(name, fn, words):
    r = run_check(name, fn)
    assert r.status == "failed"
    assert "one slip" in r.message, r.message
    for w in words:
        assert w in r.message, r.message


# ----------------------------------------------------------------------------- 2. everywhere


def forward_inline_event_first(events, params, stm0=None, ltm0=None, variant="lesson"):
    B, T, D = events.shape
    p = params
    stm = np.zeros((B, p.hidden_size)) if stm0 is None else stm0
    ltm = np.zeros((B, p.hidden_size)) if ltm0 is None else ltm0
    stms = np.zeros((B, T, p.hidden_size))
    for t in range(T):
        xe = np.hstack([events[:, t], stm])
        f = sigmoid(xe @ p.W_f + p.b_f)
        kept = ltm * f
        ltm = kept + tanh(xe @ p.W_n + p.b_n) * sigmoid(xe @ p.W_i + p.b_i)
        V = sigmoid(xe @ p.W_v + p.b_v)
        stm = tanh(kept @ p.W_u + p.b_u) * V if variant == "lesson" else V * tanh(ltm)
        stms[:, t] = stm
    return stms, (stm, ltm)


def cell_inline_memories_exchanged(stm, ltm, event, params, variant="lesson"):
    p = params
    x = np.concatenate([ltm, event], axis=-1)
    kept = stm * sigmoid(x @ p.W_f + p.b_f)
    new_ltm = kept + tanh(x @ p.W_n + p.b_n) * sigmoid(x @ p.W_i + p.b_i)
    new_stm = tanh(kept @ p.W_u + p.b_u) * sigmoid(x @ p.W_v + p.b_v)
    return new_stm, new_ltm


def test_inputs_joined_event_first_everywhere_is_named_by_value():
    r = run_check("lstm_forward", forward_inline_event_first)
    assert "other way round" in r.message and "[E_t, STM_{t-1}]" in r.message, r.message


def test_two_memories_exchanged_everywhere_is_named_by_value():
    r = run_check("lstm_cell", cell_inline_memories_exchanged)
    assert "exchanged everywhere" in r.message, r.message
    assert "`stm`" in r.message and "`ltm`" in r.message


def test_a_swap_that_changes_nothing_explains_nothing():
    """forget_out + learn_out is symmetric: exchanging them is no explanation of a wrong
    dtype (the dtype is said)."""
    r = run_check("remember_gate", lambda learn_out, forget_out: (learn_out + forget_out) * 1.5)
    assert "exchanged" not in r.message


# ----------------------------------------------------------------------------- 3. relations


def forward_last_step_not_stored(events, params, stm0=None, ltm0=None, variant="lesson"):
    B, T, D = events.shape
    H = params.hidden_size
    stm = np.zeros((B, H)) if stm0 is None else stm0
    ltm = np.zeros((B, H)) if ltm0 is None else ltm0
    stms = np.zeros((B, T, H))
    for t in range(T):
        stm, ltm = lstm_cell(stm, ltm, events[:, t], params, variant)
        if t < T - 1:
            stms[:, t] = stm
    return stms, (stm, ltm)


def test_the_last_time_step_left_at_zero_is_named():
    r = run_check("lstm_forward", forward_last_step_not_stored)
    assert "except at the last index along axis 1" in r.message, r.message
    assert "all zeros" in r.message


def test_the_negative_of_the_answer_is_named():
    r = run_check("remember_gate", lambda learn_out, forget_out: -forget_out - learn_out)
    assert "exactly the negative of the answer" in r.message, r.message


def test_the_negative_of_one_part_is_named():
    def cell_ltm_negated(stm, ltm, event, params, variant="lesson"):
        new_stm, new_ltm = lstm_cell(stm, ltm, event, params, variant)
        return new_stm, -new_ltm

    r = run_check("lstm_cell", cell_ltm_negated)
    assert "LTM_t (the second return value) is exactly the negative" in r.message, r.message


def test_an_output_right_up_to_the_sign_is_named():
    def learn_abs(stm, event, W_n, b_n, W_i, b_i):
        return np.abs(learn_gate(stm, event, W_n, b_n, W_i, b_i))

    r = run_check("learn_gate", learn_abs)
    assert "up to the sign" in r.message, r.message


# ----------------------------------------------------------------------------- 4. clipping


def clip_max_abs(grads, max_norm):
    norm = max(float(np.max(np.abs(g))) for g in grads.values())
    return {k: g * min(1.0, max_norm / norm) for k, g in grads.items()}


def clip_rms_all_entries(grads, max_norm):
    flat = np.concatenate([g.ravel() for g in grads.values()])
    scale = min(1.0, max_norm / (np.sqrt(np.mean(flat**2)) + 1e-6))
    return {k: g * scale for k, g in grads.items()}


def clip_mean_of_norms(grads, max_norm):
    norm = np.mean([np.linalg.norm(g) for g in grads.values()])
    return {k: g * min(1.0, max_norm / norm) for k, g in grads.items()}


def clip_each_by_l1(grads, max_norm):
    return {k: g * min(1.0, max_norm / np.abs(g).sum()) for k, g in grads.items()}


def clip_entries_by_min_max(grads, max_norm):
    return {k: np.minimum(np.maximum(g, -max_norm), max_norm) for k, g in grads.items()}


def clip_zero_large_entries(grads, max_norm):
    return {k: np.where(np.abs(g) > max_norm, 0.0, g) for k, g in grads.items()}


CLIPS = [
    (clip_max_abs, ["one common factor", "the max norm"]),
    (clip_rms_all_entries, ["one common factor", "mean square over every entry"]),
    (clip_mean_of_norms, ["one common factor", "mean of the arrays' own L2 norms"]),
    (clip_each_by_l1, ["OWN factor"]),
    (clip_entries_by_min_max, ["clipped on its own", "[-max_norm, max_norm]"]),
    (clip_zero_large_entries, ["left as they were"]),
]


@pytest.mark.parametrize("fn, words", CLIPS, ids=[c[0].__name__ for c in CLIPS])
def test_what_a_clipping_did_is_read_off_its_factor(fn, words):
    r = run_check("clip_by_global_norm", fn)
    assert r.status == "failed"
    for w in words:
        assert w in r.message, r.message


# ----------------------------------------------------------------------------- 5. wording


def cell_forget_factor_tanh(stm, ltm, event, params, variant="lesson"):
    from lstm_course import use_gate

    p = params
    learn_out = learn_gate(stm, event, p.W_n, p.b_n, p.W_i, p.b_i)
    forget_out = ltm * tanh(concat(stm, event) @ p.W_f + p.b_f)
    new_ltm = remember_gate(learn_out, forget_out)
    return use_gate(forget_out, stm, event, p.W_u, p.b_u, p.W_v, p.b_v), new_ltm


def test_an_inner_gates_mistake_reads_as_a_sentence():
    r = run_check("lstm_cell", cell_forget_factor_tanh)
    assert "Your The" not in r.message
    assert r.message.startswith("The forget_gate part of your answer (the Forget gate)"), r.message


def test_titles_read_inside_a_sentence():
    from lstm_course.checks.diagnose import _in_sentence

    for ex in EXERCISES.values():
        text = _in_sentence(ex.title)
        assert not text.startswith("The ")
    assert _in_sentence("PyTorch's weights as the lesson's gates").startswith("PyTorch")


def gru_reset_from_update(h, x, params):
    p = params
    hx = concat(h, x)
    z = sigmoid(hx @ p.W_z + p.b_z)
    n = tanh(x @ p.W_xn + p.b_xn + z * (h @ p.W_hn + p.b_hn))
    return (1 - z) * n + z * h


def test_two_gates_of_one_activation_mixed_up_name_both_lines():
    """z where r belongs in the candidate: one slip, and (r being used only there) the same
    output as computing r like z: both lines are named."""
    r = run_check("gru_cell", gru_reset_from_update)
    assert "one slip" in r.message and "used z where it has r" in r.message, r.message
    assert "check both lines" in r.message
