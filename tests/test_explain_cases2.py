"""Static readings of the learner's source, and wrong shapes read off their operands.

New answers of each class the second outside report left unnamed (none of its cases): a
notebook variable read where an argument belongs, a size hard-coded as a number, floor
division where a fraction flows, a printed result, a course function called with its
arguments out of place (that reading wins over a mistake inside the callee giving the same
output), an output shape made by the right operands combined another way (@ for *, .T on the
wrong side, a sum over the wrong axis), NumPy's ragged-array error and the batch-in-columns
product.
"""

from __future__ import annotations

import pytest

from lstm_course import init_params
from lstm_course.checks import reading
from lstm_course.checks.explain import explain
from tests.test_explain_cases import NAMESPACE, check

NOTEBOOK_PARAMS = init_params(input_size=2, hidden_size=3, seed=1)


@pytest.fixture(autouse=True)
def _notebook_globals():
    """The names a notebook has defined by then: a params object, a size H."""
    NAMESPACE.update(params=NOTEBOOK_PARAMS, weights=NOTEBOOK_PARAMS, H=4)
    yield
    for k in ("params", "weights", "H"):
        NAMESPACE.pop(k, None)


# --------------------------------------------------------------------------- notebook globals


def test_forget_gate_reading_the_notebooks_params():
    msg = check(
        "forget_gate",
        """
        def forget_gate(ltm, stm, event, W_f, b_f):
            f = sigmoid(concat(stm, event) @ params.W_f + params.b_f)
            return ltm * f
        """,
    )
    assert "`params` is a variable of your notebook" in msg
    assert "W_f" in msg and "b_f" in msg


def test_learn_gate_reading_a_notebook_dict():
    NAMESPACE["weights"] = {"W_i": NOTEBOOK_PARAMS.W_i}
    msg = check(
        "learn_gate",
        """
        def learn_gate(stm, event, W_n, b_n, W_i, b_i):
            x = concat(stm, event)
            return tanh(x @ W_n + b_n) * sigmoid(x @ weights["W_i"] + b_i)
        """,
    )
    assert "`weights` is a variable of your notebook" in msg and "argument W_i" in msg


def test_lstm_forward_reading_the_notebooks_size():
    msg = check(
        "lstm_forward",
        """
        def lstm_forward(events, params, stm0=None, ltm0=None, variant="lesson"):
            B, T, D = events.shape
            stm = np.zeros((B, H)) if stm0 is None else stm0
            ltm = np.zeros((B, H)) if ltm0 is None else ltm0
            stms = []
            for t in range(T):
                stm, ltm = lstm_cell(stm, ltm, events[:, t], params, variant)
                stms.append(stm)
            return np.stack(stms, axis=1), (stm, ltm)
        """,
    )
    assert "reads `H` from your notebook" in msg


def test_arguments_and_locals_are_not_globals():
    src = """
    def use_gate(forget_out, stm, event, W_u, b_u, W_v, b_v):
        p = W_u
        H = W_u.shape[0]
        return np.tanh(forget_out @ p + b_u) * sigmoid(concat(stm, event) @ W_v + b_v)
    """
    assert reading.notebook_globals(src.strip()) == ""


# --------------------------------------------------------------------------- hard-coded sizes


def test_hard_coded_hidden_size_named_by_the_quantity_it_makes():
    msg = check(
        "lstm_forward",
        """
        def lstm_forward(events, params, stm0=None, ltm0=None, variant="lesson"):
            B, T, D = events.shape
            ltm = np.zeros((B, 5)) if ltm0 is None else ltm0
            stm = np.zeros((B, params.hidden_size)) if stm0 is None else stm0
            out = []
            for t in range(T):
                stm, ltm = lstm_cell(stm, ltm, events[:, t], params, variant)
                out.append(stm)
            return np.stack(out, axis=1), (stm, ltm)
        """,
    )
    assert "`np.zeros((B, 5))` hard-codes 5 where ltm has H" in msg
    assert "(B, T)" not in msg and "= (B, D)" not in msg


def test_hard_coded_size_of_an_unnamed_array_gives_the_number_only():
    dims = [dict(B=1, T=4, H=3, D=2), dict(B=2, T=3, H=5, D=2)]
    src = "def f(events):\n    B, T, D = events.shape\n    out = np.empty((B, T, 3))\n"
    text = reading.hard_coded_sizes(src, dims)
    assert "hard-codes the size 3" in text and " H" not in text


# --------------------------------------------------------------------------- whole numbers


def test_floor_division_in_clipping():
    msg = check(
        "clip_by_global_norm",
        """
        def clip_by_global_norm(grads, max_norm):
            total = np.sqrt(sum((g * g).sum() for g in grads.values()))
            factor = min(1.0, max_norm // (total + 1e-6))
            return {k: g * factor for k, g in grads.items()}
        """,
    )
    assert "floor division" in msg and "max_norm / (total + 1e-06)" in msg


def test_int_of_a_ratio_and_sizes_left_alone():
    src = """
    def f(weight_ih, weight_hh, max_norm, norm):
        H = weight_hh.shape[0] // 4
        half = len(weight_ih) // 2
        scale = int(max_norm / norm)
    """
    text = reading.floor_divisions(src.strip())
    assert "int(max_norm / norm)" in text and "shape" not in text and "len" not in text


def test_printed_instead_of_returned():
    msg = check(
        "remember_gate",
        """
        def remember_gate(learn_out, forget_out):
            new_ltm = learn_out + forget_out
            print("new LTM:", new_ltm)
        """,
    )
    assert "returns nothing" in msg and "print(" in msg


# --------------------------------------------------------------------------- argument slips first


def test_argument_slip_wins_over_a_mistake_inside_the_callee():
    # W_i/b_i given as W_n/b_n: output-identical to sigmoid and tanh swapped inside learn_gate
    msg = check(
        "lstm_cell",
        """
        def lstm_cell(stm, ltm, event, params, variant="lesson"):
            learn = learn_gate(stm, event, W_n=params.W_i, b_n=params.b_i,
                               W_i=params.W_n, b_i=params.b_n)
            kept = forget_gate(ltm, stm, event, params.W_f, params.b_f)
            new_ltm = remember_gate(learn, kept)
            if variant == "lesson":
                new_stm = use_gate(kept, stm, event, params.W_u, params.b_u, params.W_v, params.b_v)
            else:
                new_stm = standard_use_gate(new_ltm, stm, event, params.W_v, params.b_v)
            return new_stm, new_ltm
        """,
    )
    assert "squashing" not in msg
    assert "params.W_i as learn_gate's W_n" in msg


# --------------------------------------------------------------------------- shapes from operands


def test_matrix_product_where_entries_combine():
    msg = check(
        "learn_gate",
        """
        def learn_gate(stm, event, W_n, b_n, W_i, b_i):
            x = concat(stm, event)
            new_info = np.tanh(x @ W_n + b_n)
            ignore = sigmoid(x @ W_i + b_i)
            return new_info @ ignore.T
        """,
    )
    assert "`new_info @ ignore.T` is a matrix product, shape (B, B)" in msg
    assert "`new_info * ignore`" in msg


def test_remember_gate_product_is_not_claimed_a_multiplication():
    msg = check(
        "remember_gate",
        """
        def remember_gate(learn_out, forget_out):
            return np.dot(learn_out, forget_out.T)
        """,
    )
    assert "(B, H)" in msg  # shape named; nothing claims the lesson multiplies here
    assert "lesson multiplies" not in msg


def test_bias_gradient_averaged_over_the_wrong_axis():
    msg = check(
        "use_gate_backward",
        """
        def use_gate_backward(dstm, kept, U, V, W_u):
            dV = dstm * U
            da = dstm * V * (1 - U ** 2)
            return {"V": dV, "W_u": kept.T @ da, "b_u": da.sum(1), "kept": da @ W_u.T}
        """,
    )
    assert "`da.sum(1)` reduces over the wrong axis" in msg and "da.sum(axis=0)" in msg


def test_stacked_then_reduced_along_the_wrong_axis():
    msg = check(
        "remember_gate",
        """
        def remember_gate(learn_out, forget_out):
            parts = np.stack((learn_out, forget_out), axis=-1)
            return np.sum(parts, axis=0)
        """,
    )
    assert "reduces over the wrong axis" in msg and "axis=-1" in msg


def test_weight_gradient_with_the_gradient_on_the_left():
    msg = check(
        "use_gate_backward",
        """
        def use_gate_backward(dstm, kept, U, V, W_u):
            da_u = dstm * V * (1 - U * U)
            grad_w = da_u @ kept.T
            return {"V": dstm * U, "W_u": grad_w, "b_u": da_u.sum(axis=0),
                    "kept": da_u @ W_u.T}
        """,
    )
    assert "`kept.T @ da_u`" in msg and "input.T @ d(pre-activation)" in msg


# --------------------------------------------------------------------------- NumPy errors


def test_ragged_array_error_gets_a_fix():
    text = explain(
        "ValueError: setting an array element with a sequence. The requested array has an "
        "inhomogeneous shape after 1 dimensions.",
        "line 2: flat = np.array([g for g in grads.values()])",
        {"grads": "dict"},
    )
    assert "`np.array` got `[g for g in grads.values()]`" in text and "ravel" in text


def test_batch_in_the_columns_suggests_the_rows():
    msg = check(
        "forget_gate",
        """
        def forget_gate(ltm, stm, event, W_f, b_f):
            f = sigmoid(W_f.T @ concat(stm, event).T + b_f)
            return ltm * f
        """,
    )
    assert "the batch in the columns" in msg
    assert "write `concat(stm, event) @ W_f`" in msg


def test_readings_never_raise_on_odd_source():
    for src in ("", "x = 1", "def f(:", "def f(*a, **k):\n    return a[0] // k['b']"):
        reading.source_readings(src, [dict(B=1, H=3)])
        assert reading.shape_reading(src, [{}], (), [(1,)], [(2,)], [{}]) == ""
