"""Exceptions explained in the learner's terms: their line, their variables and shapes, the
lesson's dims (B, H, D) - never NumPy's gufunc jargon or a package traceback."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest

from lstm_course import concat, forget_gate, sigmoid, tanh, use_gate
from lstm_course.checks import (
    Outcome,
    check_learn_gate,
    check_lstm_cell,
    check_lstm_forward,
    check_use_gate,
    judge,
    make_cases,
)
from lstm_course.checks.explain import explain, headline, shape_text
from lstm_course.checks.outcome import local_shapes, run_function
from lstm_course.grading import transport

DIMS = {"B": 4, "H": 5, "D": 3}
MATMUL = (
    "ValueError: matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
    "signature (n?,k),(k,m?)->(n?,m?) (size 5 is different from 8)"
)
SHAPES = {
    "stm": [4, 5],
    "event": [4, 3],
    "W_n": [8, 5],
    "b_n": [5],
    "x": [4, 8],
    "N_t": "None",
    "params.W_n": [8, 5],
    "params.W_u": "None",
    "cache['x']": [4, 8],
    "pair": "tuple of 3 items",
}


# --------------------------------------------------------------------------- pure: explain()


def test_shape_text_labels_only_unambiguous_sizes():
    assert shape_text((4, 8), DIMS) == "(4, 8) = (B, H+D)"
    assert shape_text((5,), DIMS) == "(5,) = (H,)"
    assert shape_text((4, 8), {"B": 4, "H": 4, "D": 4}) == "(4, 8)"  # B = H: no labels
    assert shape_text((2, 7), {}) == "(2, 7)"


def test_headline_drops_the_gufunc_signature():
    text = headline(MATMUL)
    assert text.startswith("ValueError: ") and "gufunc" not in text and "operand 1" not in text
    assert headline("TypeError: bad") == "TypeError: bad"
    assert "gufunc" not in headline("ValueError: foo: bar, with gufunc signature (n),(n)->() x")


def test_transposed_weight():
    text = explain(MATMUL, "line 3: N_t = tanh(x @ W_n.T + b_n)", SHAPES, DIMS)
    assert "`x @ W_n.T`" in text
    assert "x has shape (4, 8) = (B, H+D)" in text
    assert "W_n.T has shape (5, 8) = (H, H+D)" in text
    assert "drop the .T" in text and "`x @ W_n`" in text
    assert "gufunc" not in text


def test_weight_on_the_left():
    err = MATMUL.replace("size 5 is different from 8", "size 4 is different from 5")
    text = explain(err, "return np.tanh(W_n @ x + b_n)", SHAPES, DIMS)
    assert "`W_n @ x`" in text and "`x @ W_n`" in text and "(B, H+D) @ (H+D, H)" in text


def test_event_alone_instead_of_the_concatenation():
    err = MATMUL.replace("size 5 is different from 8", "size 8 is different from 3")
    text = explain(err, "N_t = tanh(event @ W_n + b_n)", SHAPES, DIMS)
    assert "event has shape (4, 3) = (B, D)" in text
    assert "concatenation [STM, E]" in text and "axis=-1" in text


def test_star_for_matmul():
    err = "ValueError: operands could not be broadcast together with shapes (4,8) (8,5) "
    text = explain(err, "N_t = tanh(x * W_n + b_n)", SHAPES, DIMS)
    assert "`x * W_n`" in text and "entry by entry" in text
    assert "Did you mean `@`" in text and "(4, 5) = (B, H)" in text


def test_concatenate_along_the_batch_axis():
    err = (
        "ValueError: all the input array dimensions except for the concatenation axis must "
        "match exactly, but along dimension 1, the array at index 0 has size 5 and the array "
        "at index 1 has size 3"
    )
    for line in (
        "x = np.concatenate([stm, event], axis=0)",
        "x = np.concatenate((stm, event))",
        "x = np.vstack([stm, event])",
    ):
        text = explain(err, line, SHAPES, DIMS)
        assert "axis 0" in text and "the batch" in text and "axis=-1" in text, line
        assert "stm (4, 5) = (B, H)" in text and "event (4, 3) = (B, D)" in text
    assert "default" in explain(err, "x = np.concatenate((stm, event))", SHAPES, DIMS)
    text = explain(
        "AxisError: axis 2 is out of bounds for array of dimension 2",
        "x = np.concatenate([stm, event], axis=2)",
        SHAPES,
        DIMS,
    )
    assert "axis=2 does not exist" in text and "axis=-1" in text
    text = explain(
        "ValueError: all input arrays must have the same shape",
        "x = np.stack([stm, event], axis=-1)",
        SHAPES,
        DIMS,
    )
    assert "NEW axis" in text and "np.concatenate" in text


def test_package_concat_and_attributes_and_dict_keys_are_understood():
    text = explain(MATMUL, "return sigmoid(concat(stm, event) @ params.W_n.T)", SHAPES, DIMS)
    assert "concat(stm, event) has shape (4, 8)" in text and "drop the .T" in text
    text = explain(MATMUL, "z = cache['x'] @ W_n.T", SHAPES, DIMS)
    assert "cache['x'] has shape (4, 8)" in text


def test_a_continuation_line_still_parses():
    err = MATMUL.replace("size 5 is different from 8", "size 8 is different from 5")
    text = explain(err, "line 9:  + stm @ W_n)", SHAPES, DIMS)
    assert "`stm @ W_n`" in text and "stm has shape (4, 5) = (B, H)" in text


def test_unpacking():
    text = explain(
        "ValueError: too many values to unpack (expected 2)",
        "stm, ltm = lstm_cell(stm, ltm, event, params)",
        SHAPES,
        DIMS,
    )
    assert "`stm, ltm` has 2 names" in text and "lstm_cell returns (STM_t, LTM_t)" in text
    text = explain(
        "ValueError: too many values to unpack (expected 2)", "a, b = pair", SHAPES, DIMS
    )
    assert "tuple of 3 items" in text
    text = explain("ValueError: too many values to unpack (expected 2)", "a, b = x", SHAPES, DIMS)
    assert "axis 0 (the batch)" in text and "into 4 rows" in text
    text = explain(
        "TypeError: cannot unpack non-iterable NoneType object", "a, b = f(x)", SHAPES, DIMS
    )
    assert "`f(x)` is None" in text and "`return`" in text


def test_none():
    text = explain(
        "TypeError: unsupported operand type(s) for *: 'NoneType' and 'float'",
        "return N_t * i_t",
        SHAPES,
        DIMS,
    )
    assert "`N_t` is None" in text
    text = explain(
        "TypeError: unsupported operand type(s) for @: 'float' and 'NoneType'",
        "u = tanh(ltm @ params.W_u)",
        SHAPES,
        DIMS,
    )
    assert "`params.W_u` is None" in text and "standard variant" in text
    text = explain(
        "AttributeError: 'NoneType' object has no attribute 'T'", "return helper(x).T", SHAPES, DIMS
    )
    assert "helper(...)" in text and "return" in text


def test_arguments_and_names():
    text = explain(
        "TypeError: concat() takes 2 positional arguments but 3 were given",
        "x = concat(stm, event, W_n)",
        SHAPES,
        DIMS,
    )
    assert "`def` line" in text
    # the learner's own function called wrongly: core's message says it; nothing to add
    assert explain("TypeError: f() missing 1 required positional argument: 'b'", "", {}, DIMS) == ""
    text = explain("NameError: name 'sigmoid' is not defined", "return sigmoid(x)", {}, DIMS)
    assert "from lstm_course import sigmoid" in text


@pytest.mark.parametrize(
    "line",
    ["", "line 3", "line 3: )))", "x = [", "def f(:", "lambda: ((", "x = y @ @ z", "é = 1 @ 2"],
)
def test_explain_never_raises(line):
    for err in (
        MATMUL,
        "ValueError: operands could not be broadcast together with shapes",
        "ValueError: too many values to unpack (expected 2)",
        "TypeError: 'NoneType'",
        "",
        "X",
    ):
        assert isinstance(explain(err, line, {"x": [1, 2], "y": "weird"}, {"B": 1}), str)
        assert isinstance(explain(err, line, None, None), str)


# --------------------------------------------------------------------------- error_shapes


def _transposed(stm, event, W_n, b_n, W_i, b_i):
    x = np.concatenate([stm, event], axis=1)
    N_t = tanh(x @ W_n.T + b_n)
    return N_t * sigmoid(x @ W_i + b_i)


def test_run_function_records_the_learners_variables():
    case = make_cases("learn_gate")[1]  # B=4, H=5, D=3
    out = run_function(_transposed, case)
    shapes = out["error_shapes"]
    assert shapes["x"] == [4, 8] and shapes["W_n"] == [8, 5] and shapes["b_n"] == [5]
    assert list(shapes)[:3] == ["x", "W_n", "b_n"]  # the line's names first
    assert all(type(k) is str for k in shapes)
    assert all(isinstance(v, str) or all(type(n) is int for n in v) for v in shapes.values())
    assert run_function(lambda stm, event, W_n, b_n, W_i, b_i: stm, case)["error_shapes"] == {}


def test_error_shapes_never_call_the_learners_objects():
    calls = []

    class Hostile:
        def __len__(self):
            calls.append("__len__")
            return 2

        def __getattribute__(self, name):
            calls.append(name)
            return object.__getattribute__(self, name)

        def __eq__(self, other):
            calls.append("__eq__")
            return True

        __hash__ = object.__hash__

    class Sub(np.ndarray):
        @property
        def shape(self):
            calls.append("shape")
            return (99,)

    class Rows(list):
        def __len__(self):
            calls.append("Rows.__len__")
            return 7

    def remember_gate(learn_out, forget_out):
        h = Hostile()
        s = np.ndarray.view(np.zeros((2, 3)), Sub)
        rows = Rows([1])
        pad = {f"v{k}": k for k in range(40)}
        v0, v1, v2, v3, v4, v5, v6, v7, v8, v9 = range(10)
        w0, w1, w2, w3, w4, w5, w6, w7, w8, w9 = range(10)
        return learn_out @ s + (h, rows, pad)

    out = run_function(remember_gate, make_cases("remember_gate")[0])
    assert out["status"] == "raised" and calls == []
    shapes = out["error_shapes"]
    assert shapes["s"] == [2, 3] and shapes["h"].endswith("Hostile")
    assert shapes["rows"].endswith("Rows") and shapes["pad"] == "dict of 40 items"
    assert len(shapes) == 20 and list(shapes)[:3] == ["learn_out", "s", "h"]


def test_local_shapes_reads_fields_and_keys_used_on_the_line():
    import sys

    from lstm_course.params import LSTMParams

    p = LSTMParams(
        **{
            k: np.zeros((2, 2))
            for k in ("W_n", "b_n", "W_i", "b_i", "W_f", "b_f", "W_u", "b_u", "W_v", "b_v")
        }
    )
    cache = {"x": np.zeros((3, 7))}
    assert p.W_n is not None and cache
    shapes = local_shapes(sys._getframe(), "y = cache['x'] @ p.W_n + p.nope")
    assert shapes["p.W_n"] == [2, 2] and shapes["cache['x']"] == [3, 7]
    assert "p.nope" not in shapes


def test_error_shapes_survive_transport_and_the_outcome():
    case = make_cases("learn_gate")[1]
    out = run_function(_transposed, case)
    back = transport.unpack(transport.pack(out, "n0"), "n0")
    o = Outcome.from_dict(back)
    assert o.error_shapes == out["error_shapes"]
    assert Outcome.from_dict(o.to_dict()).error_shapes == o.error_shapes
    r = judge("learn_gate", [case], [o])
    assert "drop the .T" in r.message and "(B, H+D)" in r.message


def test_shipped_outcome_source_records_error_shapes():
    from lstm_course.checks import outcome

    ns = {"__name__": "_shipped"}
    exec(compile(inspect.getsource(outcome), "<lstm_course grader outcome>", "exec"), ns)
    out = ns["run_function"](_transposed, make_cases("learn_gate")[1])
    assert out["error_shapes"]["x"] == [4, 8]


# --------------------------------------------------------------------------- in the checks


def test_check_messages_use_the_learners_terms():
    r = check_learn_gate(_transposed)
    assert "raised ValueError" in r.message and "N_t = tanh(x @ W_n.T + b_n)" in r.message
    assert "gufunc" not in r.message and "Input operand" not in r.message
    assert "drop the .T" in r.message and "= (B, H+D)" in r.message
    assert "lstm_course" not in r.message.replace("from lstm_course import", "")

    def learn_gate(stm, event, W_n, b_n, W_i, b_i):
        x = concat(stm, event)
        return tanh(x * W_n + b_n) * sigmoid(x @ W_i + b_i)

    assert "Did you mean `@`" in check_learn_gate(learn_gate).message

    def use_gate(forget_out, stm, event, W_u, b_u, W_v, b_v):
        x = np.concatenate([stm, event], axis=0)
        return tanh(forget_out @ W_u + b_u) * sigmoid(x @ W_v + b_v)

    msg = check_use_gate(use_gate).message
    assert "axis 0" in msg and "axis=-1" in msg and "stm (1, 3) = (B, H)" in msg


def test_unpacking_and_none_in_cell_checks():
    def lstm_forward(events, params, stm0, ltm0, variant="lesson"):
        stm, ltm = stm0, ltm0
        for _t in range(events.shape[1]):
            stm, ltm = _three(stm, ltm)
        return stm, (stm, ltm)

    msg = check_lstm_forward(lstm_forward).message
    assert "too many values to unpack" in msg and "`stm, ltm` has 2 names" in msg

    def lstm_cell(stm, ltm, event, params, variant="lesson"):
        f_t = _no_return(concat(stm, event) @ params.W_f + params.b_f)
        return f_t * ltm, ltm

    msg = check_lstm_cell(lstm_cell).message
    assert "`f_t` is None here" in msg


def _no_return(a):
    sigmoid(a)


def _three(stm, ltm):
    return stm, ltm, None


def test_messages_are_deterministic():
    assert check_learn_gate(_transposed).message == check_learn_gate(_transposed).message


# --------------------------------------------------------------------------- overflow


def _huge_cases(exercise="learn_gate"):
    """The exercise's cases with the saturated one's weights scaled to pre-activations of
    thousands (beyond exp's range, |a| > 709)."""
    cases = make_cases(exercise)
    big = cases[cases.n_base - 1]
    for key in list(big):
        if key.startswith(("W_", "b_")):
            big[key] = big[key] * 100.0
    return cases


def _judged(fn, cases, exercise="learn_gate"):
    from lstm_course.checks import run_learner

    outcomes = [run_learner(fn, c) for c in cases]
    return outcomes, judge(exercise, cases, outcomes)


def _naive_sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _nan_sigmoid(a):
    return np.exp(a) / (1 + np.exp(a))


def test_overflow_is_recorded_as_plain_data():
    cases = _huge_cases()
    case = cases[cases.n_base - 1]
    x = np.concatenate([case["stm"], case["event"]], axis=-1)
    assert np.abs(x @ case["W_n"]).max() > 800  # the case does reach beyond exp's range
    out = run_function(lambda stm, event, W_n, b_n, W_i, b_i: np.exp(stm), case)
    assert out["overflow"] is False  # nothing big here
    out = run_function(
        lambda stm, event, W_n, b_n, W_i, b_i: _naive_sigmoid(
            np.concatenate([stm, event], -1) @ W_n
        ),
        case,
    )
    assert out["overflow"] is True and out["status"] == "returned"
    back = Outcome.from_dict(transport.unpack(transport.pack(out, "n"), "n"))
    assert back.overflow is True and Outcome.from_dict(back.to_dict()).overflow is True
    assert Outcome.from_dict({"status": "returned", "overflow": "yes"}).overflow is False


def test_a_pass_that_overflowed_gets_a_note():
    def learn_gate(stm, event, W_n, b_n, W_i, b_i):
        x = np.concatenate([stm, event], axis=-1)
        return np.tanh(x @ W_n + b_n) * _naive_sigmoid(x @ W_i + b_i)

    cases = _huge_cases()
    outcomes, r = _judged(learn_gate, cases)
    assert r.passed
    assert [o.overflow for o in outcomes[: cases.n_base]] == [False, False, False, True]
    assert not any(o.overflow for o in outcomes[cases.n_base :])  # probes: copies of case 2
    assert r.message.startswith("All 4 cases match the reference:")
    assert "\nNote: your function overflowed in case 4 (large pre-activations): " in r.message
    assert "np.exp(-a) overflows for a < -709" in r.message

    def clean(stm, event, W_n, b_n, W_i, b_i):
        x = concat(stm, event)
        return tanh(x @ W_n + b_n) * sigmoid(x @ W_i + b_i)

    outcomes, r = _judged(clean, cases)
    assert r.passed and not any(o.overflow for o in outcomes) and "Note" not in r.message


def test_nan_from_an_overflow_says_so():
    def learn_gate(stm, event, W_n, b_n, W_i, b_i):
        x = np.concatenate([stm, event], axis=-1)
        return np.tanh(x @ W_n + b_n) * _nan_sigmoid(x @ W_i + b_i)

    _, r = _judged(learn_gate, _huge_cases())
    assert not r.passed
    assert "contains NaN" in r.message and "(case 4 of 4" in r.message
    assert "Your function overflowed in this case" in r.message


def test_dot_calls_and_python_lists():
    err = "ValueError: shapes (4,8) and (5,8) not aligned: 8 (dim 1) != 5 (dim 0)"
    for line in ("z = np.dot(x, W_n.T)", "z = x.dot(W_n.T)"):
        text = explain(err, line, SHAPES, DIMS)
        assert f"In `{line[4:]}`" in text and "drop the .T" in text
    err = (
        "ValueError: setting an array element with a sequence. The requested array has an "
        "inhomogeneous shape after 2 dimensions. The detected shape was (2, 4) + "
        "inhomogeneous part."
    )
    text = explain(err, "z = [stm, event] @ W_n", SHAPES, DIMS)
    assert "`[stm, event]` is a Python list" in text and "axis=-1" in text


# --------------------------------------------------------------------------- plain data for calls


def _cell_with_swapped_use_weights(stm, ltm, event, params, variant="lesson"):
    p = params
    kept = forget_gate(ltm, stm, event, p.W_f, p.b_f)
    return use_gate(kept, stm, event, p.W_v, p.b_v, p.W_u, p.b_u), kept


def _getattr_weights(stm, event, W_n, b_n, W_i, b_i):
    p = _Holder(W_n, W_i)
    return stm @ getattr(p, "W_" + "n")


def test_outcome_carries_the_source_and_the_callee_as_plain_data():
    case = make_cases("lstm_cell")[0]
    out = run_function(_cell_with_swapped_use_weights, case)
    assert out["status"] == "raised" and out["error_callee"] == "use_gate"
    assert out["source"].startswith("def _cell_with_swapped_use_weights(")
    assert "return use_gate(" in out["source"] and "def _getattr_weights" not in out["source"]
    back = Outcome.from_dict(transport.unpack(transport.pack(out, "n1"), "n1"))
    assert back.source == out["source"] and back.error_callee == "use_gate"
    assert Outcome.from_dict(back.to_dict()).source == back.source
    assert run_function(lambda stm, ltm, event, params, variant: 1, case)["source"] == ""
    msg = judge("lstm_cell", [case], [back]).message
    assert "p.W_v as use_gate's W_u" in msg


def test_getattr_on_a_dataclass_records_its_fields():
    case = make_cases("learn_gate")[0]
    out = run_function(_getattr_weights, case)
    assert out["error_shapes"]["p.W_n"] == list(case["W_n"].shape)
    assert out["error_shapes"]["p.W_i"] == list(case["W_i"].shape)


def test_shipped_outcome_source_records_the_callee():
    from lstm_course.checks import outcome

    ns = {"__name__": "_shipped"}
    exec(compile(inspect.getsource(outcome), "<lstm_course grader outcome>", "exec"), ns)
    out = ns["run_function"](_cell_with_swapped_use_weights, make_cases("lstm_cell")[0])
    assert out["error_callee"] == "use_gate" and out["source"].startswith("def ")


@dataclasses.dataclass
class _Holder:
    W_n: np.ndarray
    W_i: np.ndarray
