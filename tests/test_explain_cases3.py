"""Advice only where it is the lesson's form, the def line, hand-written activations, and
shape errors with their fix.

New answers of each class the third outside report left unnamed or advised wrongly (none of
its cases): a matrix product of two quantities of one shape (the lesson multiplies them entry
by entry: never a .T), a weight on the left of its input, a gradient sent back with the weight
on the left, a weight's gradient without the input's .T, a weight given another input than
its own (named from the package's answer), a sum that takes a gate's entries together, an
array used as a condition, np.split along an axis that does not divide, a size read off the
wrong axis, the def line's parameters in another order or another count, and a sigmoid or
tanh written out by hand that computes something else.
"""

from __future__ import annotations

import pytest

from lstm_course.checks import reading
from lstm_course.checks.explain import explain
from tests.test_explain_cases import check

WRONG_ADVICE = ("would fit", "stored the other way round", "Use the transpose")


def _no_transpose_advice(msg):
    assert not any(bad in msg for bad in WRONG_ADVICE), msg


# --------------------------------------------------------------------------- entry by entry


def test_remember_gate_matmul_of_two_memories_is_entry_by_entry():
    msg = check(
        "remember_gate",
        """
        def remember_gate(learn_out, forget_out):
            return np.matmul(forget_out, learn_out) + learn_out
        """,
    )
    assert "entry by entry" in msg and "`forget_out * learn_out`" in msg
    _no_transpose_advice(msg)


def test_learn_gate_product_of_the_two_factors_with_dot():
    msg = check(
        "learn_gate",
        """
        def learn_gate(stm, event, W_n, b_n, W_i, b_i):
            hx = np.concatenate([stm, event], axis=1)
            new_info = np.tanh(hx @ W_n + b_n)
            keep = sigmoid(hx @ W_i + b_i)
            return new_info.dot(keep)
        """,
    )
    assert "the same shape" in msg and "`new_info * keep`" in msg
    _no_transpose_advice(msg)


def test_ltm_path_gradient_times_a_gate_value_is_entry_by_entry():
    msg = check(
        "ltm_path_backward",
        """
        def ltm_path_backward(dltm, dkept_use, ltm, f, N, i):
            dkept = dltm + dkept_use
            dN = dltm @ i
            return {"ltm": dkept * f, "f": dkept * ltm, "N": dN, "i": dltm * N}
        """,
    )
    assert "`dltm * i`" in msg and "entry by entry" in msg
    _no_transpose_advice(msg)


# --------------------------------------------------------------------------- weights and inputs


def test_use_gate_weight_on_the_left_of_the_transposed_input():
    msg = check(
        "use_gate",
        """
        def use_gate(forget_out, stm, event, W_u, b_u, W_v, b_v):
            U = np.tanh(forget_out @ W_u + b_u)
            V = sigmoid(W_v @ concat(stm, event).T + b_v)
            return U * V
        """,
    )
    assert "input is on the left and the weight on the right" in msg
    assert "`concat(stm, event) @ W_v`" in msg and "(B, H+D) @ (H+D, H) = (B, H)" in msg
    _no_transpose_advice(msg)


def test_gradient_sent_back_with_the_weight_on_the_left():
    msg = check(
        "use_gate_backward",
        """
        def use_gate_backward(dstm, kept, U, V, W_u):
            da_u = dstm * V * (1 - U ** 2)
            return {"V": dstm * U, "W_u": kept.T @ da_u, "b_u": da_u.sum(axis=0),
                    "kept": W_u.T @ da_u}
        """,
    )
    assert "`da_u @ W_u.T`" in msg and "(B, H) @ (H, H) = (B, H)" in msg
    assert "W_u.T @ da_u.T" not in msg


def test_weight_gradient_without_the_inputs_transpose():
    msg = check(
        "use_gate_backward",
        """
        def use_gate_backward(dstm, kept, U, V, W_u):
            da_u = dstm * V * (1 - U ** 2)
            dW_u = kept @ da_u
            return {"V": dstm * U, "W_u": dW_u, "b_u": da_u.sum(axis=0), "kept": da_u @ W_u.T}
        """,
    )
    assert "`kept.T @ da_u`" in msg and "(H, B) @ (B, H) = (H, H)" in msg
    assert "entry by entry" not in msg


def test_lstm_cell_use_weight_given_the_concatenation():
    msg = check(
        "lstm_cell",
        """
        def lstm_cell(stm, ltm, event, params, variant="lesson"):
            p = params
            x = np.concatenate([stm, event], axis=1)
            f = sigmoid(x @ p.W_f + p.b_f)
            kept = ltm * f
            new_ltm = kept + np.tanh(x @ p.W_n + p.b_n) * sigmoid(x @ p.W_i + p.b_i)
            U = np.tanh(x @ p.W_u + p.b_u)
            return U * sigmoid(x @ p.W_v + p.b_v), new_ltm
        """,
    )
    assert "p.W_u has H = 3 rows" in msg and "`forget_out @ W_u`" in msg
    _no_transpose_advice(msg)


def test_gru_input_weight_given_the_state():
    msg = check(
        "gru_cell",
        """
        def gru_cell(h, x, params):
            p = params
            hx = concat(h, x)
            r = sigmoid(hx @ p.W_r + p.b_r)
            z = sigmoid(hx @ p.W_z + p.b_z)
            n = tanh(h @ p.W_xn + p.b_xn + r * (h @ p.W_hn + p.b_hn))
            return (1 - z) * n + z * h
        """,
    )
    assert "p.W_xn has D = 2 rows" in msg and "`x @ p.W_xn`" in msg
    _no_transpose_advice(msg)


def test_event_alone_names_the_lessons_concatenation():
    text = explain(
        "ValueError: shapes (4,3) and (8,5) not aligned: 3 (dim 1) != 8 (dim 0)",
        "line 2: f = sigmoid(np.dot(event, W_f) + b_f)",
        {"event": [4, 3], "W_f": [8, 5], "b_f": [5]},
        {"B": 4, "H": 5, "D": 3},
        function="forget_gate",
    )
    assert "W_f has H+D = 8 rows" in text and "x = concat(stm, event)" in text
    _no_transpose_advice(text)


def test_pytorch_layout_weight_may_be_stored_the_other_way_round():
    text = explain(
        "ValueError: shapes (4,3) and (20,3) not aligned: 3 (dim 1) != 20 (dim 0)",
        "line 3: gates = event @ weight_ih",
        {"event": [4, 3], "weight_ih": [20, 3]},
        {"B": 4, "H": 5, "D": 3},
    )
    assert "`event @ weight_ih.T` would fit" in text


# --------------------------------------------------------------------------- shape errors


def test_input_factor_averaged_over_its_units():
    msg = check(
        "learn_gate",
        """
        def learn_gate(stm, event, W_n, b_n, W_i, b_i):
            x = concat(stm, event)
            i_t = sigmoid(x @ W_i + b_i).mean(axis=-1)
            return tanh(x @ W_n + b_n) * i_t
        """,
    )
    assert "i_t has shape" in msg and "mean(...)" in msg
    assert "Without it, `sigmoid(x @ W_i + b_i)` is that shape" in msg


@pytest.mark.parametrize(
    "line",
    [
        "stm = stm0 or np.zeros((B, H))",
        "stm = stm0 if stm0 else np.zeros((B, H))",
    ],
)
def test_an_array_as_a_condition_says_is_none(line):
    msg = check(
        "lstm_forward",
        f"""
        def lstm_forward(events, params, stm0=None, ltm0=None, variant="lesson"):
            B, T, D = events.shape
            H = params.hidden_size
            {line}
            ltm = np.zeros((B, H)) if ltm0 is None else ltm0
            stms = []
            for t in range(T):
                stm, ltm = lstm_cell(stm, ltm, events[:, t], params, variant)
                stms.append(stm)
            return np.stack(stms, axis=1), (stm, ltm)
        """,
    )
    assert "`stm0 is None`" in msg


def test_equals_none_on_an_array():
    text = explain(
        "ValueError: The truth value of an array with more than one element is ambiguous. "
        "Use a.any() or a.all()",
        "line 4: if ltm0 == None:",
        {"ltm0": [2, 3]},
        {"B": 2, "H": 3},
    )
    assert "`ltm0 is None`" in text


def test_split_of_the_transposed_input_weight_along_the_wrong_axis():
    msg = check(
        "params_from_pytorch",
        """
        def params_from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh):
            b = bias_ih + bias_hh
            W = np.vstack([weight_hh.T, weight_ih.T])
            W_i, W_f, W_n, W_v = np.split(weight_ih.T, 4)
            H = weight_hh.shape[1]
            return LSTMParams(W_n=W_n, b_n=b[2*H:3*H], W_i=W_i, b_i=b[:H], W_f=W_f,
                              b_f=b[H:2*H], W_u=None, b_u=None, W_v=W_v, b_v=b[3*H:])
        """,
    )
    assert "cuts axis 0" in msg and "axis=1)`" in msg


def test_size_read_off_the_wrong_axis():
    src = """
    def lstm_forward(events, params, stm0=None, ltm0=None, variant="lesson"):
        B, D, T = events.shape
        return events
    """
    text = reading.size_axes(src, "lstm_forward")
    assert "reads T, not D" in text and "D is events.shape[2]" in text
    assert "reads D, not T" in text
    assert reading.size_axes("def f(stm):\n    B, H = stm.shape\n", "forget_gate") == ""


# --------------------------------------------------------------------------- the def line


def test_def_line_with_the_inputs_in_another_order():
    msg = check(
        "learn_gate",
        """
        def learn_gate(event, stm, W_n, b_n, W_i, b_i):
            x = concat(stm, event)
            return tanh(x @ W_n + b_n) * sigmoid(x @ W_i + b_i)
        """,
    )
    assert "Your def line takes (event, stm, W_n, b_n, W_i, b_i)" in msg
    assert "learn_gate(stm, event, W_n, b_n, W_i, b_i)" in msg
    assert "your event receives the check's stm" in msg


def test_def_line_with_the_use_gates_weights_swapped():
    msg = check(
        "use_gate",
        """
        def use_gate(forget_out, stm, event, W_v, b_v, W_u, b_u):
            U_t = tanh(forget_out @ W_u + b_u)
            V_t = sigmoid(concat(stm, event) @ W_v + b_v)
            return U_t * V_t
        """,
    )
    assert "your W_v receives the check's W_u" in msg


def test_renamed_parameters_are_fine():
    src = "def forget_gate(c_prev, h_prev, x_t, W, b):\n    return c_prev\n"
    assert reading.def_line(src, "forget_gate") == ""
    src = "def forget_gate(ltm, stm, event, W_f, b_f, scale=1.0):\n    return ltm\n"
    assert reading.def_line(src, "forget_gate") == ""


def test_def_line_missing_a_parameter():
    msg = check(
        "remember_gate",
        """
        def remember_gate(learn_out):
            return learn_out
        """,
    )
    assert "Your def line takes 1 parameter (learn_out)" in msg
    assert "remember_gate(learn_out, forget_out)" in msg


# --------------------------------------------------------------------------- activations by hand


def test_hand_written_sigmoid_helper_without_the_minus():
    msg = check(
        "forget_gate",
        """
        def forget_gate(ltm, stm, event, W_f, b_f):
            def squash(z):
                return 1.0 / (1.0 + np.exp(z))
            return ltm * squash(concat(stm, event) @ W_f + b_f)
        """,
    )
    assert "`1.0 / (1.0 + np.exp(z))` is missing the minus" in msg
    assert "1 - sigmoid(a)" in msg


def test_hand_written_sigmoid_as_one_minus():
    msg = check(
        "use_gate",
        """
        def use_gate(forget_out, stm, event, W_u, b_u, W_v, b_v):
            a = concat(stm, event) @ W_v + b_v
            V = np.exp(-a) / (1 + np.exp(-a))
            return np.tanh(forget_out @ W_u + b_u) * V
        """,
    )
    assert "= 1 - sigmoid(a)" in msg and "np.exp(-a) / (1 + np.exp(-a))" in msg


def test_hand_written_sigmoid_without_parentheses():
    src = """
    def learn_gate(stm, event, W_n, b_n, W_i, b_i):
        x = concat(stm, event)
        i = 1 / 1 + np.exp(-(x @ W_i + b_i))
        return np.tanh(x @ W_n + b_n) * i
    """
    msg = check("learn_gate", src)
    assert "divides 1 by 1" in msg and "1 / (1 + np.exp(-a))" in msg


def test_hand_written_tanh_reversed():
    src = """
    def use_gate(forget_out, stm, event, W_u, b_u, W_v, b_v):
        a = forget_out @ W_u + b_u
        U = (np.exp(-a) - np.exp(a)) / (np.exp(a) + np.exp(-a))
        return U * sigmoid(concat(stm, event) @ W_v + b_v)
    """
    msg = check("use_gate", src)
    assert "-tanh(a)" in msg


def test_correct_hand_written_activations_are_left_alone():
    src = """
    def f(x, W, b):
        a = -(x @ W + b)
        s1 = 1 / (1 + np.exp(a))
        s2 = np.exp(x @ W) / (1 + np.exp(x @ W))
        s3 = 1 / (1 + np.exp(-x))
        t = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
        u = 1 / (1 + np.exp(b - x))
        return s1, s2, s3, t, u
    """
    assert reading.hand_activations(src) == ""


def test_hand_written_helper_outside_the_function_is_read():
    msg = check(
        "forget_gate",
        """
        def my_sigmoid(a):
            return np.exp(-a) / (1 + np.exp(-a))

        def forget_gate(ltm, stm, event, W_f, b_f):
            return ltm * my_sigmoid(concat(stm, event) @ W_f + b_f)
        """,
    )
    assert "`np.exp(-a) / (1 + np.exp(-a))`" in msg and "1 - sigmoid(a)" in msg


def test_an_extra_batch_axis_on_a_forward_output_is_not_called_a_gradient():
    from lstm_course.checks.explain import wrong_shape

    dims = [{"B": 2, "H": 5, "D": 3}]
    text = wrong_shape("your output", [(2, 2, 5)], [(2, 5)], dims)
    assert "gradient" not in text
    text = wrong_shape("your 'b_u'", [(2, 5)], [(5,)], [{"B": 2, "H": 5}])
    assert "one row per example" in text and ".sum(axis=0)" in text
