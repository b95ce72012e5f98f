"""Wrong answers that raise or return the wrong shape, named in the lesson's terms.

Each answer is source text compiled like a notebook cell (registered in linecache, so the
check can quote the learner's line), with what the notebooks' exercise cells have in scope.
The classes: a course function given another quantity than its parameter's (stm as ltm, W_v
as W_u); a gradient sent back through W without .T; an object used as another kind (an
LSTMParams indexed like a dict, an array called, a dict read with a dot); an argument of the
wrong shape that fails inside the called function; an output of a recognisable wrong shape.
"""

from __future__ import annotations

import linecache
import textwrap

import numpy as np
import pytest

import lstm_course
from lstm_course import (
    LSTMParams,
    concat,
    forget_gate,
    learn_gate,
    lstm_cell,
    ltm_path_backward,
    remember_gate,
    sigmoid,
    standard_use_gate,
    tanh,
    use_gate,
    use_gate_backward,
)
from lstm_course.checks import run_check
from lstm_course.checks.explain import argument_slips, course_signature, explain, wrong_shape
from lstm_course.exercises import EXERCISES

NAMESPACE = dict(
    np=np,
    lstm_course=lstm_course,
    concat=concat,
    sigmoid=sigmoid,
    tanh=tanh,
    learn_gate=learn_gate,
    forget_gate=forget_gate,
    remember_gate=remember_gate,
    use_gate=use_gate,
    standard_use_gate=standard_use_gate,
    LSTMParams=LSTMParams,
    ltm_path_backward=ltm_path_backward,
    use_gate_backward=use_gate_backward,
    lstm_cell=lstm_cell,
)
_CELLS = [0]


def cell(src: str, name: str):
    """The function `name` defined by `src`, compiled like a notebook cell."""
    _CELLS[0] += 1
    src = textwrap.dedent(src).strip() + "\n"
    filename = f"<ipython-input-explain-{_CELLS[0]}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    ns = dict(NAMESPACE)
    exec(compile(src, filename, "exec"), ns)  # noqa: S102 - the test's own text
    return ns[name]


def check(name, src, **options):
    # (the time a failing check takes is measured in benchmarks/bench_checks.py, not here)
    result = run_check(name, cell(src, name), **options)
    assert not result.passed
    assert "Traceback" not in result.message and "lstm_course/" not in result.message
    return result.message


# a full lstm_cell_backward in the lesson's words; tests replace one line of it
BACKWARD = """
def lstm_cell_backward(dstm, dltm, cache):
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
    da = {"n": path["N"] * (1 - N**2), "i": path["i"] * i * (1 - i),
          "f": path["f"] * f * (1 - f), "v": use["V"] * V * (1 - V)}
    dx = np.zeros_like(x)
    for k, da_k in da.items():
        grads["W_" + k] = x.T @ da_k
        grads["b_" + k] = da_k.sum(axis=0)
        dx += da_k @ getattr(p, "W_" + k).T
    grads["ltm"] = path["ltm"]
    grads["stm"], grads["event"] = dx[:, :H], dx[:, H:]
    return grads
"""

CELL = """
def lstm_cell(stm, ltm, event, params, variant="lesson"):
    p = params
    learn_out = learn_gate(stm, event, p.W_n, p.b_n, p.W_i, p.b_i)
    forget_out = forget_gate(ltm, stm, event, p.W_f, p.b_f)
    new_ltm = remember_gate(learn_out, forget_out)
    if variant == "lesson":
        new_stm = use_gate(forget_out, stm, event, p.W_u, p.b_u, p.W_v, p.b_v)
    else:
        new_stm = standard_use_gate(new_ltm, stm, event, p.W_v, p.b_v)
    return new_stm, new_ltm
"""

FORWARD = """
def lstm_forward(events, params, stm0=None, ltm0=None, variant="lesson"):
    B, T, D = events.shape
    H = params.hidden_size
    stm = np.zeros((B, H)) if stm0 is None else stm0
    ltm = np.zeros((B, H)) if ltm0 is None else ltm0
    stms = np.zeros((B, T, H))
    for t in range(T):
        stm, ltm = lstm_cell(stm, ltm, events[:, t], params, variant)
        stms[:, t] = stm
    return stms, (stm, ltm)
"""


def edit(src, old, new):
    assert old in src
    return src.replace(old, new)


def test_the_templates_pass():
    assert run_check("lstm_cell_backward", cell(BACKWARD, "lstm_cell_backward")).passed
    assert run_check("lstm_cell", cell(CELL, "lstm_cell")).passed
    assert run_check("lstm_forward", cell(FORWARD, "lstm_forward")).passed


# --------------------------------------------------------------------------- 1. misplaced


def test_weights_by_keyword_into_the_wrong_parameters_raise_and_are_named():
    src = edit(
        CELL,
        "use_gate(forget_out, stm, event, p.W_u, p.b_u, p.W_v, p.b_v)",
        "use_gate(forget_out, stm, event, W_u=p.W_v, b_u=p.b_u, W_v=p.W_u, b_v=p.b_v)",
    )
    msg = check("lstm_cell", src)
    assert "you passed p.W_v as use_gate's W_u and p.W_u as its W_v" in msg
    assert "use_gate takes (forget_out, stm, event, W_u, b_u, W_v, b_v)" in msg


def test_memories_swapped_in_a_call_are_named_without_an_error():
    src = edit(
        BACKWARD,
        'use_gate_backward(dstm, cache["kept"], U, V, p.W_u)',
        'use_gate_backward(dstm, U, cache["kept"], V, p.W_u)',
    )
    msg = check("lstm_cell_backward", src)
    assert "U" in msg and "kept" in msg and "use_gate_backward" in msg


def test_standard_branch_given_the_forget_weights_is_named():
    src = edit(
        CELL,
        "standard_use_gate(new_ltm, stm, event, p.W_v, p.b_v)",
        "standard_use_gate(new_ltm, stm, event, p.W_f, p.b_f)",
    )
    msg = check("lstm_cell", src, variant="standard")
    assert "p.W_f as standard_use_gate's W_v and p.b_f as its b_v" in msg


def test_argument_slips_leave_renamed_locals_alone():
    ok = """
    def step(h, c, x, prm):
        a = learn_gate(h, x, prm.W_n, prm.b_n, prm.W_i, prm.b_i)
        kept = forget_gate(c, h, x, W_f=prm.W_f, b_f=prm.b_f)
        return use_gate(kept, h, x, prm.W_u, prm.b_u, prm.W_v, prm.b_v), remember_gate(a, kept)
    """
    assert argument_slips(ok) == ""
    assert argument_slips("def f(:") == "" and argument_slips("") == ""
    bad = "def f(ltm, stm, event, W_f, b_f):\n    return forget_gate(stm, ltm, event, W_f, b_f)\n"
    assert "you passed stm as forget_gate's ltm and ltm as its stm" in argument_slips(bad)
    # every answer of the package reads clean
    for ex in EXERCISES.values():
        assert argument_slips(ex.solution_source()) == "", ex.name


# --------------------------------------------------------------------------- 2. @ and .T


def test_a_gradient_sent_back_through_a_weight_without_transpose():
    src = edit(BACKWARD, 'dx += da_k @ getattr(p, "W_" + k).T', 'dx += da_k @ getattr(p, f"W_{k}")')
    msg = check("lstm_cell_backward", src)
    assert ".T` is (B, H) @ (H, H+D) = (B, H+D)" in msg and "da @ W.T" in msg
    text = explain(
        "ValueError: matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
        "signature (n?,k),(k,m?)->(n?,m?) (size 8 is different from 5)",
        "line 4: dstm_x = da_f @ W_f",
        {"da_f": [4, 5], "W_f": [8, 5]},
        {"B": 4, "H": 5, "D": 3},
        function="forget_backward",
    )
    assert "`da_f @ W_f.T`" in text and "(H, H+D)" in text and "da @ W.T" in text


# --------------------------------------------------------------------------- 3. objects


def test_gru_params_indexed_like_a_dict():
    src = """
    def gru_cell(h, x, params):
        hx = concat(h, x)
        r = sigmoid(hx @ params["W_r"] + params["b_r"])
        z = sigmoid(hx @ params.W_z + params.b_z)
        n = tanh(x @ params.W_xn + params.b_xn + r * (h @ params.W_hn + params.b_hn))
        return (1 - z) * n + z * h
    """
    msg = check("gru_cell", src)
    assert "`params` is a GRUParams, not a dict" in msg
    assert "params.W_r, not params['W_r']" in msg


def test_an_array_called_and_a_dict_read_with_a_dot():
    src = """
    def learn_gate(stm, event, W_n, b_n, W_i, b_i):
        x = concat(stm, event)
        return tanh(W_n(x) + b_n) * sigmoid(x @ W_i + b_i)
    """
    msg = check("learn_gate", src)
    assert "`W_n` is a NumPy array of shape (5, 3), not a function" in msg
    assert "x @ W_n" in msg
    src = edit(
        BACKWARD,
        'p, x, H = cache["params"], cache["x"], cache["H"]',
        'p, x, H = cache["params"], cache.x, cache["H"]',
    )
    msg = check("lstm_cell_backward", src)
    assert "`cache` is a dict" in msg and "cache['x']" in msg


def test_a_field_the_params_do_not_have():
    src = edit(CELL, "p.W_f, p.b_f)", "p.W_o, p.b_f)")
    msg = check("lstm_cell", src)
    assert "it has no `W_o`" in msg and "W_f" in msg


# --------------------------------------------------------------------------- 4. argument shapes


def test_a_transposed_event_into_the_learn_gate():
    src = edit(CELL, "learn_gate(stm, event,", "learn_gate(stm, event.T,")
    msg = check("lstm_cell", src)
    assert "`event.T` has shape (2, 1) = (D, B), but learn_gate's `event` is (B, D)" in msg
    assert "transposed" in msg


def test_the_wrong_slice_of_the_sequence_into_the_cell():
    src = edit(FORWARD, "events[:, t]", "events[:, :, t]")
    msg = check("lstm_forward", src)
    assert "`events[:, :, t]` has shape" in msg and "lstm_cell's `event` is (B, D)" in msg
    src = edit(FORWARD, "events[:, t]", "events[t, :]")
    msg = check("lstm_forward", src)
    assert "lstm_cell's `event` is (B, D)" in msg


# --------------------------------------------------------------------------- 5. output shapes


def test_use_gate_joins_u_and_v():
    src = """
    def use_gate(forget_out, stm, event, W_u, b_u, W_v, b_v):
        U = tanh(forget_out @ W_u + b_u)
        V = sigmoid(concat(stm, event) @ W_v + b_v)
        return np.hstack([U, V])
    """
    msg = check("use_gate", src)
    assert "(B, 2H) where the lesson has (B, H)" in msg and "joined side by side" in msg


def test_a_transposed_stm():
    src = edit(CELL, "return new_stm, new_ltm", "return new_stm.T, new_ltm")
    msg = check("lstm_cell", src)
    assert "transposed: its axes are (H, B) where the lesson has (B, H)" in msg


def test_a_bias_gradient_that_keeps_a_dimension():
    src = edit(
        BACKWARD,
        'grads["b_" + k] = da_k.sum(axis=0)',
        'grads["b_" + k] = da_k.sum(axis=0, keepdims=True)',
    )
    msg = check("lstm_cell_backward", src)
    assert "an extra axis of size 1 (keepdims=True" in msg


def test_slices_of_the_gradient_swapped_and_off_by_one():
    src = edit(
        BACKWARD,
        'grads["stm"], grads["event"] = dx[:, :H], dx[:, H:]',
        "event_part, stm_part = dx[:, :H], dx[:, H:]\n"
        '    grads["stm"], grads["event"] = stm_part, event_part',
    )
    msg = check("lstm_cell_backward", src)
    assert "(B, D) where the lesson has (B, H)" in msg
    assert "'event' has the shape of 'stm': the two are swapped" in msg
    assert "[:, :H]" in msg
    src = edit(BACKWARD, "dx[:, :H], dx[:, H:]", "dx[:, :H - 1], dx[:, H - 1:]")
    msg = check("lstm_cell_backward", src)
    assert "(B, H-1) where the lesson has (B, H): one too few columns" in msg


def test_wrong_shape_says_nothing_when_no_reading_fits_every_case():
    dims = [{"B": 1, "H": 3}, {"B": 4, "H": 5}]
    assert wrong_shape("your output", [(1, 7), (4, 2)], [(1, 3), (4, 5)], dims) == ""
    assert wrong_shape("your output", [(1, 6), (4, 5)], [(1, 3), (4, 5)], dims) == ""
    text = wrong_shape("your output", [(1, 6), (4, 10)], [(1, 3), (4, 5)], dims)
    assert "twice as many columns" in text


def test_course_signatures_know_the_lesson_shapes():
    sig = dict(course_signature("use_gate"))
    assert sig["W_u"] == ("H", "H") and sig["W_v"] == ("H+D", "H") and sig["event"] == ("B", "D")
    assert course_signature("no_such_function") is None
    assert course_signature("np") is None


@pytest.mark.parametrize("line", ["", "x = f(", "y = learn_gate(*a)", "z = use_gate(**kw)"])
def test_the_new_readings_never_raise(line):
    for err in (
        "TypeError: 'LSTMParams' object is not subscriptable",
        "AttributeError: 'dict' object has no attribute 'x'",
        "TypeError: 'numpy.ndarray' object is not callable",
        "ValueError: all the input array dimensions except for the concatenation axis",
    ):
        assert isinstance(explain(err, line, {"a": "weird"}, {"B": 1}, "f", "learn_gate"), str)
