"""The autograder: every check passes the reference, names every known mistake, explains every
kind of bad answer, never raises, and its output is deterministic."""

from __future__ import annotations

import copy
import pickle
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lstm_course
from lstm_course import checks
from lstm_course.checks import CHECKS, CheckResult, Outcome, judge, make_cases, run_learner
from lstm_course.checks.outcome import normalize, run_function
from lstm_course.exercises import EXERCISES
from lstm_course.release import STUB_MESSAGE

NAMES = list(EXERCISES)
EX_VARIANTS = [(name, v) for name in NAMES for v in EXERCISES[name].options.get("variant", (None,))]
MISTAKES = [
    (name, m.name, v) for name, v in EX_VARIANTS for m in EXERCISES[name].mistakes if m.applies(v)
]


def opts(variant):
    return {} if variant is None else {"variant": variant}


def check(name, fn, variant=None):
    return CHECKS[name](fn, **opts(variant))


def test_check_functions_are_exported():
    for name in (
        "check_learn_gate",
        "check_forget_gate",
        "check_remember_gate",
        "check_use_gate",
        "check_lstm_cell",
        "check_lstm_forward",
        "check_params_from_pytorch",
        "check_ltm_path_backward",
        "check_use_gate_backward",
        "check_lstm_cell_backward",
    ):
        assert callable(getattr(checks, name))
    assert set(CHECKS) == set(EXERCISES)


@pytest.mark.parametrize("name,variant", EX_VARIANTS)
def test_reference_passes(name, variant):
    r = check(name, EXERCISES[name].reference, variant)
    assert isinstance(r, CheckResult)
    assert r.passed and bool(r) and r.status == "passed", r.message
    assert r.score == r.max_score == EXERCISES[name].max_score
    assert "match the reference" in r.message


@pytest.mark.parametrize("name,variant", EX_VARIANTS)
def test_package_implementation_passes(name, variant):
    from lstm_course import cell, clipping, gates, gru, pytorch_layout, sequence

    fn = {
        "learn_gate": gates.learn_gate,
        "forget_gate": gates.forget_gate,
        "remember_gate": gates.remember_gate,
        "use_gate": gates.use_gate,
        "lstm_cell": cell.lstm_cell,
        "lstm_forward": sequence.lstm_forward,
        "params_from_pytorch": pytorch_layout.params_from_pytorch,
        "ltm_path_backward": cell.ltm_path_backward,
        "use_gate_backward": cell.use_gate_backward,
        "lstm_cell_backward": cell.lstm_cell_backward,
        "gru_cell": gru.gru_cell,
        "clip_by_global_norm": clipping.clip_by_global_norm,
    }[name]
    assert check(name, fn, variant).passed


@pytest.mark.parametrize("name,mistake,variant", MISTAKES)
def test_every_mistake_is_named(name, mistake, variant):
    ex = EXERCISES[name]
    m = ex.get_mistake(mistake)
    r = check(name, m.fn, variant)
    assert not r.passed and r.score == 0 and r.status == "failed"
    assert r.message == f'Known mistake: {m.diagnosis}\nStuck? Run hints("{name}").'


@pytest.mark.parametrize("name,mistake,variant", MISTAKES)
def test_mistake_pasted_from_its_source_is_named(name, mistake, variant):
    ex = EXERCISES[name]
    m = ex.get_mistake(mistake)
    ns = {
        "np": np,
        "sigmoid": lstm_course.sigmoid,
        "tanh": lstm_course.tanh,
        **{k: getattr(lstm_course, k) for k in lstm_course.__all__},
    }
    exec(compile(ex.mistake_source(m), "<cell>", "exec"), ns)
    assert check(name, ns[name], variant).message.startswith(f"Known mistake: {m.diagnosis}\n")


@pytest.mark.parametrize("name,variant", EX_VARIANTS)
def test_not_attempted(name, variant):
    def stub(*args, **kwargs):
        raise NotImplementedError(STUB_MESSAGE)

    r = check(name, stub, variant)
    assert r.status == "not-attempted" and not r.passed and r.score == 0
    assert "not attempted yet" in str(r) and "not attempted yet" in r._repr_html_()


def test_not_attempted_names_the_unfinished_helper():
    def learn_gate(stm, event, W_n, b_n, W_i, b_i):
        raise NotImplementedError(STUB_MESSAGE)

    def lstm_cell(stm, ltm, event, params, variant="lesson"):
        return learn_gate(stm, event, params.W_n, params.b_n, params.W_i, params.b_i), ltm

    r = checks.check_lstm_cell(lstm_cell)
    assert r.status == "not-attempted"
    assert "calls learn_gate, which is not written yet" in r.message


# --------------------------------------------------------------------------- bad answers


def ref(name):
    return EXERCISES[name].reference


def test_returns_none():
    def learn_gate(stm, event, W_n, b_n, W_i, b_i):
        ref("learn_gate")(stm, event, W_n, b_n, W_i, b_i)

    r = checks.check_learn_gate(learn_gate)
    assert r.message.startswith("Your learn_gate returned None — did you forget a `return`?")


def test_none_inside_a_tuple():
    r = checks.check_lstm_cell(lambda stm, ltm, event, params, variant="lesson": (None, ltm))
    assert "STM_t (the first return value) is None" in r.message


@pytest.mark.parametrize("kind", [list, tuple])
def test_list_or_tuple_instead_of_array(kind):
    r = checks.check_forget_gate(lambda *a: kind(ref("forget_gate")(*a)))
    assert not r.passed
    word = kind.__name__
    assert f"is a {word} of " in r.message and "expected one NumPy array of shape" in r.message


def test_tolist_is_a_list():
    r = checks.check_forget_gate(lambda *a: ref("forget_gate")(*a).tolist())
    assert "is a list of" in r.message


def test_torch_tensor_is_recognised_without_torch():
    Tensor = type("Tensor", (), {"__module__": "torch"})
    r = checks.check_remember_gate(lambda a, b: Tensor())
    assert "torch.Tensor" in r.message and ".detach().numpy()" in r.message


def test_real_torch_tensor():
    torch = pytest.importorskip("torch")
    r = checks.check_remember_gate(lambda a, b: torch.from_numpy(a + b))
    assert "is a torch.Tensor" in r.message and ".detach().numpy()" in r.message


def test_wrong_shape_transposed():
    r = checks.check_learn_gate(lambda *a: ref("learn_gate")(*a).T)
    assert "has shape (3, 1); expected (1, 3)" in r.message
    assert "case 1 of 4: B=1, H=3, D=2" in r.message


def test_scalar_instead_of_array():
    r = checks.check_learn_gate(lambda *a: float(ref("learn_gate")(*a).sum()))
    assert "is a single number (float)" in r.message
    r = checks.check_learn_gate(lambda *a: ref("learn_gate")(*a).sum())
    assert "is a single number (numpy.float64)" in r.message


@pytest.mark.parametrize(
    "dtype,words",
    [
        (np.int64, "dtype int64; expected float64"),
        (np.float32, "dtype float32; expected float64"),
        (bool, "dtype bool; expected float64"),
    ],
)
def test_wrong_dtype(dtype, words):
    r = checks.check_remember_gate(lambda a, b: (a + b).astype(dtype))
    assert words in r.message


def test_object_dtype():
    def remember_gate(learn_out, forget_out):
        out = np.empty(learn_out.shape, dtype=object)
        out[...] = learn_out + forget_out
        return out

    r = checks.check_remember_gate(remember_gate)
    assert "ndarray of dtype object" in r.message


def test_float32_params_expected():
    def params_from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh):
        return ref("params_from_pytorch")(weight_ih, weight_hh, bias_ih, bias_hh).astype(np.float64)

    r = checks.check_params_from_pytorch(params_from_pytorch)
    assert "dtype float64; expected float32" in r.message


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf(bad):
    def learn_gate(*a):
        out = ref("learn_gate")(*a)
        out[0, 1] = bad
        return out

    r = checks.check_learn_gate(learn_gate)
    assert ("contains NaN" if np.isnan(bad) else "contains inf") in r.message
    assert "index (0, 1)" in r.message


def test_overflowing_naive_tanh_gives_nan_on_saturated_case():
    def learn_gate(stm, event, W_n, b_n, W_i, b_i):
        x = np.concatenate([stm, event], axis=1)
        a = x @ W_n + b_n
        N = (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a))
        return N / (1 + np.exp(-(x @ W_i + b_i)))

    r = checks.check_learn_gate(learn_gate)
    # exp overflows only with large pre-activations; at 40x scale it does not reach 710,
    # so this formula is right - and it must pass quietly, warnings suppressed
    assert r.passed or "contains NaN" in r.message


def test_exception_shows_the_learners_line():
    def learn_gate(stm, event, W_n, b_n, W_i, b_i):
        x = np.concatenate([stm, event], axis=1)
        return np.tanh(W_n @ x + b_n)

    r = checks.check_learn_gate(learn_gate)
    assert "raised ValueError" in r.message and "gufunc" not in r.message
    assert "return np.tanh(W_n @ x + b_n)" in r.message
    assert "lstm_course" not in r.message and "outcome.py" not in r.message
    assert "case 1 of 4 (B=1, H=3, D=2)" in r.message


def test_exception_inside_a_helper_names_it():
    def helper(x):
        return x["nope"]

    def remember_gate(learn_out, forget_out):
        return helper(learn_out)

    r = checks.check_remember_gate(remember_gate)
    assert "IndexError" in r.message and 'return x["nope"]' in r.message
    assert "(in helper)" in r.message


def test_wrong_signature_shows_the_expected_one():
    r = checks.check_remember_gate(lambda learn_out: learn_out)
    assert "raised TypeError" in r.message
    assert "remember_gate(learn_out, forget_out)" in r.message


def test_parameters_may_be_renamed():
    def remember_gate(a, b):
        return a + b

    assert checks.check_remember_gate(remember_gate).passed


def test_sys_exit_does_not_kill_the_check():
    def learn_gate(*a):
        sys.exit(3)

    r = checks.check_learn_gate(learn_gate)
    assert not r.passed and "SystemExit: 3" in r.message and "sys.exit()" in r.message


def test_keyboard_interrupt_gets_through():
    """Decision: a KeyboardInterrupt is the person pressing stop; the check lets it through."""

    def learn_gate(*a):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        checks.check_learn_gate(learn_gate)


def test_not_callable():
    r = checks.check_learn_gate(None)
    assert "needs your function itself, got None" in r.message
    r = checks.check_learn_gate(np.zeros(3))
    assert "got a ndarray" in r.message


def test_bad_variant_is_a_message_not_an_exception():
    r = checks.check_lstm_cell(lstm_course.lstm_cell, variant="Standard")
    assert not r.passed and "variant must be one of" in r.message


def test_in_place_modification_is_detected_and_not_fooling():
    def forget_gate(ltm, stm, event, W_f, b_f):
        f = lstm_course.sigmoid(np.concatenate([stm, event], axis=1) @ W_f + b_f)
        ltm *= f
        return ltm

    r = checks.check_forget_gate(forget_gate)
    assert not r.passed
    assert "Your values are right, but" in r.message and "`ltm`" in r.message


def test_in_place_modification_of_params_and_cache():
    def lstm_cell(stm, ltm, event, params, variant="lesson"):
        out = lstm_course.lstm_cell(stm, ltm, event, params, variant)
        params.W_f[...] = 0
        return out

    r = checks.check_lstm_cell(lstm_cell)
    assert "`params.W_f`" in r.message

    def lstm_cell_backward(dstm, dltm, cache):
        g = lstm_course.lstm_cell_backward(dstm, dltm, cache)
        cache["x"] *= 2
        return g

    r = checks.check_lstm_cell_backward(lstm_cell_backward)
    assert "`cache['x']`" in r.message


def test_wrong_values_and_mutation_both_reported():
    def forget_gate(ltm, stm, event, W_f, b_f):
        ltm += 1
        return ltm

    r = checks.check_forget_gate(forget_gate)
    assert "differs from the reference" in r.message and "`ltm`" in r.message


def test_always_equal_object_is_rejected():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

        __hash__ = object.__hash__

        def __array__(self, *a, **k):
            raise RuntimeError("do not call me")

    r = checks.check_learn_gate(lambda *a: AlwaysEqual())
    assert not r.passed and "AlwaysEqual" in r.message


def test_ndarray_subclass_with_lying_methods_is_compared_as_plain_array():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return np.ones(np.shape(other), bool)

        def __array__(self, *a, **k):
            return np.zeros(self.shape)

        def view(self, *a, **k):
            raise RuntimeError

        def astype(self, *a, **k):
            raise RuntimeError

    wrong = lambda *a: np.zeros((np.shape(a[0])[0], np.shape(a[1])[1])).view(Liar)  # noqa: E731
    assert not checks.check_learn_gate(wrong).passed
    right = lambda *a: ref("learn_gate")(*a).view(Liar)  # noqa: E731
    assert checks.check_learn_gate(right).passed


def test_prints_and_warnings_are_silent(capsys):
    def learn_gate(*a):
        print("debug!")
        import warnings

        warnings.warn("careful", stacklevel=1)
        np.log(-np.ones(1))
        return ref("learn_gate")(*a)

    assert checks.check_learn_gate(learn_gate).passed
    assert capsys.readouterr() == ("", "")


def test_missing_gradient_key_and_unsummed_bias():
    def lstm_cell_backward(dstm, dltm, cache):
        g = lstm_course.lstm_cell_backward(dstm, dltm, cache)
        del g["event"]
        return g

    r = checks.check_lstm_cell_backward(lstm_cell_backward)
    assert "has no 'event'" in r.message


def test_backward_reports_relative_errors_per_gradient():
    def lstm_cell_backward(dstm, dltm, cache):
        g = lstm_course.lstm_cell_backward(dstm, dltm, cache)
        g["W_f"] = g["W_f"] * 1.01
        return g

    r = checks.check_lstm_cell_backward(lstm_cell_backward)
    assert "relative error" in r.message and "'W_f': 5.0e-03" in r.message
    assert "'W_n'" not in r.message


def test_value_difference_says_where():
    def learn_gate(*a):
        out = ref("learn_gate")(*a).copy()
        out[..., -1] += 0.5
        return out

    r = checks.check_learn_gate(learn_gate)
    assert "In case 1 of 4 (B=1, H=3, D=2), your output differs" in r.message
    assert "largest absolute error 0.5 at index (0, 2)" in r.message
    assert "First wrong entry, index (0, 2)" in r.message


def test_params_must_be_lstmparams():
    r = checks.check_params_from_pytorch(lambda *a: ref("params_from_pytorch")(*a).as_dict())
    assert "Return an LSTMParams(...)" in r.message


def test_params_lesson_variant_rejected():
    def params_from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh):
        p = ref("params_from_pytorch")(weight_ih, weight_hh, bias_ih, bias_hh)
        H = p.hidden_size
        return lstm_course.LSTMParams(
            **{**p.as_dict(), "W_u": np.zeros((H, H), np.float32), "b_u": np.zeros(H, np.float32)}
        )

    r = checks.check_params_from_pytorch(params_from_pytorch)
    assert "'W_u' should be None (the standard LSTM has no W_u, b_u)" in r.message


def test_lstm_cell_list_instead_of_tuple_is_fine():
    r = checks.check_lstm_cell(lambda *a, **k: list(lstm_course.lstm_cell(*a, **k)))
    assert r.passed


# --------------------------------------------------------------------------- representations


def test_text_and_html_are_deterministic_and_tidy():
    def learn_gate(*a):
        return 1 / 0

    fns = [ref("learn_gate"), EXERCISES["learn_gate"].mistakes[0].fn, learn_gate]
    results = [checks.check_learn_gate(f) for f in fns]
    again = [checks.check_learn_gate(f) for f in fns]
    for a, b in zip(results, again, strict=True):
        assert repr(a) == str(a) == str(b)
        assert a._repr_html_() == b._repr_html_()
        for text in (str(a), a._repr_html_()):
            assert "0x" not in text and " at 0x" not in text and "/tmp" not in text
    assert str(results[0]).startswith("\u2714 learn_gate passes its check (score 1/1)")
    assert str(results[1]).startswith("\u2718 learn_gate does not pass its check yet (score 0/1)")
    assert "#1e8e3e" in results[0]._repr_html_() and "#d93025" in results[1]._repr_html_()
    assert "<script" not in results[2]._repr_html_()


def test_html_escapes_the_learners_text():
    def learn_gate(*a):
        raise ValueError("<b>bold</b> & co")

    html = checks.check_learn_gate(learn_gate)._repr_html_()
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html


# --------------------------------------------------------------------------- the split API


def test_split_api_matches_run_check():
    ex = EXERCISES["lstm_cell"]
    m = ex.get_mistake("returns_swapped")
    cases = make_cases("lstm_cell", variant="standard")
    outcomes = [run_learner(m.fn, c) for c in cases]
    r = judge("lstm_cell", cases, outcomes, variant="standard")
    assert r == checks.check_lstm_cell(m.fn, variant="standard")
    # plain data: survives a round trip through dicts and pickle
    rebuilt = [Outcome.from_dict(pickle.loads(pickle.dumps(o.to_dict()))) for o in outcomes]
    assert judge("lstm_cell", cases, rebuilt, variant="standard") == r


def test_judge_recomputes_the_reference_from_pristine_cases():
    cases = make_cases("remember_gate")
    outcomes = [run_learner(ref("remember_gate"), c) for c in cases]
    tampered = copy.deepcopy(outcomes)
    tampered[0].value = tampered[0].value + 1
    assert judge("remember_gate", cases, outcomes).passed
    assert not judge("remember_gate", cases, tampered).passed


def test_run_function_is_plain_data():
    out = run_function(lambda a, b: (a + b, {"x": [a]}), {"a": np.ones(2), "b": np.ones(2)})
    assert out["status"] == "returned" and out["type_name"] == "tuple"
    assert isinstance(out["value"][0], np.ndarray)
    assert isinstance(out["value"][1], dict) and isinstance(out["value"][1]["x"], list)
    assert out["mutated"] == []


def test_normalize_shapes():
    assert normalize(None) is None
    assert normalize(3.0) == "float"
    assert normalize([1.0] * 40) == "list of 40 items"
    assert normalize({"a": np.ones(1)})["a"].dtype == np.float64
    p = normalize(lstm_course.init_params(2, 3, variant="standard", seed=0))
    assert p["W_u"] is None and p["W_n"].shape == (5, 3)
    arr = np.arange(3.0)
    assert normalize(arr) is not arr


# --------------------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    B=st.integers(1, 4),
    H=st.integers(1, 5),
    D=st.integers(1, 5),
    scale=st.sampled_from([1.0, 40.0]),
    seed=st.integers(0, 2**16),
    name=st.sampled_from(
        [
            "learn_gate",
            "forget_gate",
            "remember_gate",
            "use_gate",
            "lstm_cell",
            "ltm_path_backward",
            "use_gate_backward",
            "lstm_cell_backward",
        ]
    ),
    variant=st.sampled_from(["lesson", "standard"]),
)
def test_reference_passes_for_any_shape(B, H, D, scale, seed, name, variant):
    ex = EXERCISES[name]
    o = {"variant": variant} if "variant" in ex.options else {}
    cases = ex.cases(np.random.default_rng(seed), shapes=[(B, H, D, scale)], **o)
    outcomes = [run_learner(ex.reference, c) for c in cases]
    assert judge(ex, cases, outcomes, **o).passed


@settings(max_examples=15, deadline=None)
@given(
    B=st.integers(1, 3),
    T=st.integers(1, 4),
    H=st.integers(1, 4),
    D=st.integers(1, 4),
    given_state=st.booleans(),
    seed=st.integers(0, 2**16),
    variant=st.sampled_from(["lesson", "standard"]),
)
def test_forward_reference_passes_for_any_shape(B, T, H, D, given_state, seed, variant):
    ex = EXERCISES["lstm_forward"]
    cases = ex.cases(
        np.random.default_rng(seed), shapes=[(B, T, H, D, 1.0, given_state)], variant=variant
    )
    outcomes = [run_learner(ex.reference, c) for c in cases]
    assert judge(ex, cases, outcomes, variant=variant).passed


@settings(max_examples=15, deadline=None)
@given(H=st.integers(1, 6), D=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_pytorch_mapping_passes_for_any_shape(H, D, seed):
    ex = EXERCISES["params_from_pytorch"]
    cases = ex.cases(np.random.default_rng(seed), shapes=[(H, D)])
    outcomes = [run_learner(ex.reference, c) for c in cases]
    assert judge(ex, cases, outcomes).passed


# --------------------------------------------------------------------------- grader's use


@pytest.mark.parametrize("seed", [1, 2])
def test_every_mistake_is_named_with_any_rng(seed):
    """The grader draws fresh cases at grading time: diagnoses must not depend on our seed."""
    for name, mistake, variant in MISTAKES:
        ex = EXERCISES[name]
        m = ex.get_mistake(mistake)
        cases = make_cases(name, np.random.default_rng(seed), **opts(variant))
        assert judge(
            name, cases, [run_learner(ex.reference, c) for c in cases], **opts(variant)
        ).passed
        r = judge(name, cases, [run_learner(m.fn, c) for c in cases], **opts(variant))
        assert r.message.startswith(f"Known mistake: {m.diagnosis}\n"), (name, mistake, variant)


def test_outcome_source_works_when_shipped_into_a_kernel():
    """The grader execs outcome.py's source in a fresh namespace (no __file__)."""
    import inspect

    from lstm_course.checks import outcome

    ns = {"__name__": "_shipped"}
    exec(compile(inspect.getsource(outcome), "<lstm_course grader outcome>", "exec"), ns)
    case = make_cases("remember_gate")[0]
    out = ns["run_function"](lambda learn_out: learn_out, case)  # wrong signature
    assert out["status"] == "raised" and out["error"].startswith("TypeError")
    assert out["error_line"] == ""

    def remember_gate(learn_out, forget_out):
        return learn_out[99]

    out = ns["run_function"](remember_gate, case)
    assert out["error"].startswith("IndexError") and "learn_out[99]" in out["error_line"]
    r = judge("remember_gate", [case], [Outcome.from_dict(out)])
    assert "return learn_out[99]" in r.message


def test_objects_pretending_to_be_arrays():
    class Fake:
        __class__ = property(lambda self: np.ndarray)

    class Meta(type):
        def __getattribute__(cls, name):
            raise RuntimeError("no")

    class Hostile(metaclass=Meta):
        pass

    for obj in (Fake(), Hostile()):
        r = checks.check_remember_gate(lambda a, b, obj=obj: obj)
        assert not r.passed and r.status == "failed"


_leaf = st.one_of(
    st.none(),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.text(max_size=3),
    st.builds(
        lambda shape, kind: np.ones(shape, dtype=kind),
        st.lists(st.integers(0, 4), max_size=3).map(tuple),
        st.sampled_from([np.float64, np.float32, np.int64, bool, complex, object]),
    ),
    st.builds(lambda n: np.full((n,), np.nan), st.integers(0, 3)),
)
_values = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(st.sampled_from(["W_n", "stm", "event", "x"]), inner, max_size=3),
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_values, name=st.sampled_from(NAMES))
def test_checks_never_raise_whatever_is_returned(value, name):
    r = CHECKS[name](lambda *a, **k: value)
    assert isinstance(r, CheckResult) and not r.passed and r.message
    assert isinstance(str(r), str) and isinstance(r._repr_html_(), str)


def test_tips_from_which_cases_fail():
    def saturated_wrong(stm, event, W_n, b_n, W_i, b_i):
        out = ref("learn_gate")(stm, event, W_n, b_n, W_i, b_i)
        return out * 0.5 if np.abs(W_n).max() > 5 else out

    r = checks.check_learn_gate(saturated_wrong)
    assert "Only the case with large pre-activations differs" in r.message

    def batch_wrong(stm, event, W_n, b_n, W_i, b_i):
        out = ref("learn_gate")(stm, event, W_n, b_n, W_i, b_i)
        return out - out.mean(axis=0) + out[0] if len(out) > 1 else out

    r = checks.check_learn_gate(batch_wrong)
    assert "The case with B = 1 is right" in r.message
    assert "Cases that differ: 2, 3, 4 of 4." in r.message


def test_exception_that_cannot_be_printed():
    class Weird(Exception):
        def __str__(self):
            raise RuntimeError("no")

    def learn_gate(*a):
        raise Weird()

    r = checks.check_learn_gate(learn_gate)
    assert "raised Weird: <unprintable message>" in r.message


def test_outcome_module_imports_only_numpy_and_the_standard_library():
    import ast

    from lstm_course.checks import outcome

    tree = ast.parse(open(outcome.__file__, encoding="utf-8").read())
    top = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports: the source is shipped alone"
            top.add(node.module.split(".")[0])
    assert top - {"numpy"} <= set(sys.stdlib_module_names) | {"__future__"}


def test_a_learners_own_lstmparams_dataclass_is_accepted():
    from dataclasses import dataclass

    @dataclass
    class LSTMParams:
        W_n: object
        b_n: object
        W_i: object
        b_i: object
        W_f: object
        b_f: object
        W_u: object
        b_u: object
        W_v: object
        b_v: object

    def params_from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh):
        p = ref("params_from_pytorch")(weight_ih, weight_hh, bias_ih, bias_hh)
        return LSTMParams(**{k: getattr(p, k) for k in LSTMParams.__dataclass_fields__})

    assert checks.check_params_from_pytorch(params_from_pytorch).passed


def test_a_bug_in_judging_is_reported_not_raised(monkeypatch):
    from lstm_course.checks import core

    def broken(*a, **k):
        raise RuntimeError("oops")

    monkeypatch.setattr(core, "judge", broken)
    r = checks.check_learn_gate(ref("learn_gate"))
    assert not r.passed and "This is a bug in lstm_course" in r.message


def test_deleting_a_parameter_counts_as_changing_it():
    def lstm_cell(stm, ltm, event, params, variant="lesson"):
        out = lstm_course.lstm_cell(stm, ltm, event, params, variant)
        del params.W_f
        return out

    assert "`params.W_f`" in checks.check_lstm_cell(lstm_cell).message
