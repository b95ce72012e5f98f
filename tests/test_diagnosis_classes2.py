"""Round 2's classes of wrong answers, each named by a general mechanism (none of these answers
is catalogued, and none is an outside tester's case):

1. edits of new kinds: an input replaced by another of the same shape (an argument, a cache
   item), a derivative built from another gate's value or from a re-activated value, an
   activation applied to the input before the product, a bias added before the product;
2. two slips in an output of several parts, found one at a time (or one named, with the parts
   that still differ);
3. one part of the output read as a constant multiple of the reference's.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_diagnosis_classes import _cell_backward

from lstm_course import concat, sigmoid, tanh
from lstm_course.checks import run_check

# ----------------------------------------------------------------------------- 1. new edits


def use_tanh_on_input(forget_out, stm, event, W_u, b_u, W_v, b_v):
    U = tanh(forget_out) @ W_u + b_u
    V = sigmoid(concat(stm, event) @ W_v + b_v)
    return U * V


def path_di_from_ltm(dltm, dkept_use, ltm, f, N, i):
    dkept = dltm + dkept_use
    return {"ltm": dkept * f, "f": dkept * ltm, "N": dltm * i, "i": dltm * ltm}


cell_backward_n_from_U = _cell_backward(
    lambda path, use, N, i, f, V: {
        "n": path["N"] * (1 - V**2),
        "i": path["i"] * i * (1 - i),
        "f": path["f"] * f * (1 - f),
        "v": use["V"] * V * (1 - V),
    }
)
cell_backward_f_resquashed = _cell_backward(
    lambda path, use, N, i, f, V: {
        "n": path["N"] * (1 - N**2),
        "i": path["i"] * i * (1 - i),
        "f": path["f"] * sigmoid(f) * (1 - sigmoid(f)),
        "v": use["V"] * V * (1 - V),
    }
)


def use_backward_tanh_again_in_dkept(dstm, kept, U, V, W_u):
    da_u = dstm * V * (1 - np.tanh(U) ** 2)
    return {"V": dstm * U, "W_u": kept.T @ da_u, "b_u": da_u.sum(axis=0), "kept": da_u @ W_u.T}


EDITS = [
    ("use_gate", use_tanh_on_input, ["applied tanh to forget_out before the product"]),
    ("ltm_path_backward", path_di_from_ltm, ["you used ltm where it has N", "same shape"]),
    ("lstm_cell_backward", cell_backward_n_from_U, ["you used V where it has N"]),
    ("lstm_cell_backward", cell_backward_f_resquashed, ["applied sigmoid again to f"]),
    ("use_gate_backward", use_backward_tanh_again_in_dkept, ["applied tanh again to U"]),
]


@pytest.mark.parametrize("name, fn, words", EDITS, ids=[e[1].__name__ for e in EDITS])
def test_a_round2_edit_is_named(name, fn, words):
    r = run_check(name, fn)
    assert r.status == "failed"
    assert "one slip" in r.message, r.message
    for w in words:
        assert w in r.message, r.message


def test_a_cache_item_of_the_same_shape_is_named():
    """The cell's backward given the cache's kept where LTM_{t-1} belongs."""
    cell = _cell_backward(
        lambda path, use, N, i, f, V: {
            "n": path["N"] * (1 - N**2),
            "i": path["i"] * i * (1 - i),
            "f": path["f"] * f * (1 - f),
            "v": use["V"] * V * (1 - V),
        }
    )

    def lstm_cell_backward(dstm, dltm, cache):
        return cell(dstm, dltm, {**cache, "ltm": cache["kept"]})

    r = run_check("lstm_cell_backward", lstm_cell_backward)
    assert r.status == "failed"
    assert 'cache["kept"] where it has cache["ltm"]' in r.message, r.message


# ----------------------------------------------------------------------------- 2. two slips

cell_backward_two_derivatives = _cell_backward(
    lambda path, use, N, i, f, V: {
        "n": path["N"] * (1 - N),
        "i": path["i"] * i * (1 - i),
        "f": path["f"] * i * (1 - i),
        "v": use["V"] * V * (1 - V),
    }
)


def test_two_slips_in_the_cell_backward_are_named_one_at_a_time():
    r = run_check("lstm_cell_backward", cell_backward_two_derivatives)
    assert r.status == "failed"
    assert "2 slips" in r.message or "One of your slips" in r.message, r.message
    assert "(1 - N)" in r.message or "built from i where it has f" in r.message, r.message


def use_backward_no_V_and_mean(dstm, kept, U, V, W_u):
    da_u = dstm * (1 - U**2)
    return {"V": dstm * U, "W_u": kept.T @ da_u, "b_u": 2 * da_u.sum(axis=0), "kept": da_u @ W_u.T}


def test_one_slip_named_with_the_parts_that_still_differ():
    r = run_check("use_gate_backward", use_backward_no_V_and_mean)
    assert r.status == "failed"
    assert "left out the factor V" in r.message, r.message
    assert "'b_u'" in r.message, r.message


# ----------------------------------------------------------------------------- 3. one part scaled


def path_dN_halved(dltm, dkept_use, ltm, f, N, i):
    dkept = dltm + dkept_use
    return {"ltm": dkept * f, "f": dkept * ltm, "N": 0.5 * dltm * i, "i": dltm * N}


def test_a_part_that_is_a_multiple_of_the_reference_is_named():
    r = run_check("ltm_path_backward", path_dN_halved)
    assert r.status == "failed"
    assert "'N' is exactly 0.5 times the reference's" in r.message, r.message
