"""The exercise registry: references agree with the package, cases, mistakes and their sources."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import numpy as np
import pytest

import lstm_course
from lstm_course import cell, gates
from lstm_course.checks import yours_or_reference
from lstm_course.exercises import EXERCISES, NOTEBOOKS, Exercise, Mistake, get_exercise
from lstm_course.exercises.cases import describe

NAMES = list(EXERCISES)


ROOT = Path(__file__).resolve().parents[1]


def variants_of(ex):
    return ex.options.get("variant", (None,))


def opts(variant):
    return {} if variant is None else {"variant": variant}


EX_VARIANTS = [(name, v) for name in NAMES for v in variants_of(EXERCISES[name])]


def test_registry_is_discovered_from_the_exercise_modules():
    import importlib
    import pkgutil

    import lstm_course.exercises as package

    found = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"lstm_course.exercises.{info.name}")
        found |= {v.name for v in vars(module).values() if isinstance(v, Exercise)}
    assert found == set(EXERCISES)
    assert [ex.notebook for ex in EXERCISES.values()] == sorted(
        ex.notebook for ex in EXERCISES.values()
    )
    assert sum(len(names) for names in NOTEBOOKS.values()) == len(EXERCISES)


def test_registry_names_and_notebooks():
    for name, ex in EXERCISES.items():
        assert isinstance(ex, Exercise) and ex.name == name
        assert (ROOT / "solutions" / f"{ex.notebook}.ipynb").exists()
        assert ex.title and ex.max_score > 0
        assert len(ex.hints) >= 2 and all(isinstance(h, str) and h for h in ex.hints)
        assert ex.mistakes and all(isinstance(m, Mistake) for m in ex.mistakes)
        assert len({m.name for m in ex.mistakes}) == len(ex.mistakes)
        assert get_exercise(name) is ex


def test_get_exercise_unknown_name_is_clear():
    with pytest.raises(KeyError, match="no exercise named 'lern_gate'.*learn_gate"):
        get_exercise("lern_gate")


def test_unknown_option_and_value_are_clear():
    with pytest.raises(ValueError, match="variant must be one of"):
        EXERCISES["lstm_cell"].make_cases(variant="fancy")
    with pytest.raises(ValueError, match="has no option"):
        EXERCISES["learn_gate"].make_cases(variant="standard")


@pytest.mark.parametrize("name,variant", EX_VARIANTS)
def test_cases_are_deterministic_and_varied(name, variant):
    ex = EXERCISES[name]
    a = ex.make_cases(np.random.default_rng(5), **opts(variant))
    b = ex.make_cases(np.random.default_rng(5), **opts(variant))
    assert len(a) >= 4
    for ca, cb in zip(a, b, strict=True):
        assert ca.keys() == cb.keys()
        assert describe(ca) == describe(cb)
        ra, rb = ex.reference(**ca), ex.reference(**cb)
        np.testing.assert_array_equal(_flat(ra), _flat(rb))
    labels = [describe(c) for c in a]
    if name == "clip_by_global_norm":  # no gates: arrays, their global norm and max_norm
        assert all("global norm" in lab and "max_norm" in lab for lab in labels)
    else:
        assert any("B=1," in lab for lab in labels) or name == "params_from_pytorch"
        assert any("saturated" in lab for lab in labels) or name == "params_from_pytorch"
        assert all("H=" in lab for lab in labels)
    # default rng: the exercise's fixed seed
    c1, c2 = ex.make_cases(**opts(variant)), ex.make_cases(**opts(variant))
    np.testing.assert_array_equal(_flat(ex.reference(**c1[0])), _flat(ex.reference(**c2[0])))


def _tree(value):
    """The structure of a value with its arrays' shapes (containers kept, values dropped)."""
    if isinstance(value, np.ndarray):
        return value.shape
    if isinstance(value, (tuple, list)):
        return tuple(_tree(v) for v in value)
    if isinstance(value, dict):
        return {k: _tree(v) for k, v in value.items()}
    if isinstance(value, lstm_course.LSTMParams):
        return {k: _tree(a) for k, a in value.items()}
    return type(value).__name__


def _flat(value):
    if isinstance(value, np.ndarray):
        return value.ravel()
    if isinstance(value, (tuple, list)):
        return np.concatenate([_flat(v) for v in value])
    if isinstance(value, dict):
        return np.concatenate([_flat(value[k]) for k in sorted(value)])
    if isinstance(value, lstm_course.LSTMParams):
        return np.concatenate([a.ravel() for _, a in value.items()])
    raise TypeError(type(value))


def test_float64_and_shapes_of_gate_cases():
    for case in EXERCISES["learn_gate"].make_cases():
        assert all(a.dtype == np.float64 for a in case.values())
        B, H = case["stm"].shape
        assert case["event"].shape[0] == B and case["W_n"].shape == (H + case["event"].shape[1], H)
    for case in EXERCISES["params_from_pytorch"].make_cases():
        H4, D = case["weight_ih"].shape
        assert case["weight_hh"].shape == (H4, H4 // 4) and case["bias_hh"].shape == (H4,)
        assert all(a.dtype == np.float32 for a in case.values())


def test_saturated_case_saturates():
    case = [c for c in EXERCISES["learn_gate"].make_cases() if "saturated" in describe(c)][0]
    x = lstm_course.concat(case["stm"], case["event"])
    assert np.mean(np.abs(x @ case["W_i"] + case["b_i"]) > 5) >= 0.75


def _max_preactivation(case):
    """The largest |pre-activation| of any gate in a case (the Use gate's W_u part included)."""
    if "h" in case and "x" in case:  # the GRU: r, z from [h, x]; the candidate's x part
        p, hx = case["params"], lstm_course.concat(case["h"], case["x"])
        pre = (hx @ p.W_r + p.b_r, hx @ p.W_z + p.b_z, case["x"] @ p.W_xn + p.b_xn)
        return max(float(np.abs(a).max()) for a in pre)
    if "cache" in case:
        case = {"x": case["cache"]["x"], "params": case["cache"]["params"]}
    if "events" in case:
        stm0 = case["stm0"] if case["stm0"] is not None else np.zeros((len(case["events"]), 3))
        case = {"stm": stm0, "event": case["events"][:, 0], "params": case["params"]}
    if "params" in case:
        p = case["params"]
        x = case.get("x")
        x = lstm_course.concat(case["stm"], case["event"]) if x is None else x
        return max(
            float(np.abs(x @ getattr(p, "W_" + k) + getattr(p, "b_" + k)).max()) for k in "nifv"
        )
    x = lstm_course.concat(case["stm"], case["event"])
    pairs = [(k[2:], case[k]) for k in case if k.startswith("W_")]
    out = 0.0
    for k, W in pairs:
        a = (case["forget_out"] if k == "u" else x) @ W + case["b_" + k]
        out = max(out, float(np.abs(a).max()))
    return out


@pytest.mark.parametrize("name,variant", EX_VARIANTS)
def test_saturated_case_overflows_a_naive_exp(name, variant):
    """Beyond +-709, np.exp overflows: a hand-written sigmoid's overflow must show."""
    ex = EXERCISES[name]
    if name in ("remember_gate", "params_from_pytorch", "clip_by_global_norm"):
        return  # no pre-activations
    if name in ("ltm_path_backward", "use_gate_backward"):
        # no pre-activations either: the inputs are gate outputs, in the last case those of a
        # forward pass beyond +-709, where sigmoid gates are exactly 0 or 1 somewhere
        for seed in (None, 1, 2, 3):
            cases = ex.make_cases(seed, **opts(variant))
            labels = [describe(c) for c in cases[: cases.n_base]]
            assert ["saturated" in label for label in labels] == [False, False, False, True]
            gates = [cases[3][k] for k in ("f", "i", "V") if k in cases[3]]
            assert all(((g == 0) | (g == 1)).any() for g in gates), (name, seed)
        return
    for seed in (None, 1, 2, 3):
        cases = ex.make_cases(seed, **opts(variant))
        big = [c for c in cases[: cases.n_base] if "saturated" in describe(c)]
        assert big and _max_preactivation(big[0]) > 709, (name, seed)


# --------------------------------------------------------------------------- references


def test_each_exercise_is_the_public_package_function():
    for name, ex in EXERCISES.items():
        public = getattr(lstm_course, name, None)
        home = importlib.import_module(ex.fn.__module__)
        assert getattr(home, name) is ex.fn and ex.reference is ex.fn
        assert public is None or public is ex.fn, name


def test_every_graded_function_is_defined_once_in_the_package():
    package = ROOT / "lstm_course"
    defs = []
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text())
        defs += [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    for name in EXERCISES:
        assert defs.count(name) == 1, name


def test_solution_is_the_marked_body_under_the_learners_def_line():
    ex = EXERCISES["lstm_forward"]
    sol = ex.solution_source()
    assert sol.startswith(
        'def lstm_forward(events, params, stm0=None, ltm0=None, variant="lesson"):'
    )
    assert "return_cache" not in sol and "BEGIN SOLUTION" not in sol
    assert "    for t in range(T):\n" in sol


def test_backward_reference_matches_numerical_gradient():
    ex = EXERCISES["lstm_cell_backward"]
    for variant in ("lesson", "standard"):
        case = ex.make_cases(variant=variant)[1]
        grads = ex.reference(**case)
        c = case["cache"]
        p = c["params"]
        H = c["H"]
        stm, event, ltm = c["x"][:, :H].copy(), c["x"][:, H:].copy(), c["ltm"].copy()
        arrays = {**p.as_dict(), "stm": stm, "event": event, "ltm": ltm}

        def loss():
            s, l = cell.lstm_cell(stm, ltm, event, p, variant)
            return np.array(np.sum(s * case["dstm"]) + np.sum(l * case["dltm"]))

        for key, arr in arrays.items():
            num = lstm_course.numerical_gradient(loss, arr, np.ones(()))
            assert lstm_course.rel_error(num, grads[key]) < 1e-7, (variant, key)


# --------------------------------------------------------------------------- mistakes

MISTAKES = [
    (name, m.name, v)
    for name in NAMES
    for m in EXERCISES[name].mistakes
    for v in variants_of(EXERCISES[name])
    if m.applies(v)
]


@pytest.mark.parametrize("name,mistake,variant", MISTAKES)
def test_each_mistake_differs_from_the_reference(name, mistake, variant):
    ex = EXERCISES[name]
    m = ex.get_mistake(mistake)
    differs = False
    for case in ex.make_cases(**opts(variant)):
        ref = ex.reference(**case)
        with np.errstate(all="ignore"):
            got = ex.mistake_fn(m)(**case)
        if _tree(got) != _tree(ref):  # another structure or other shapes
            differs = True
        else:
            differs |= not np.allclose(_flat(got), _flat(ref), rtol=1e-6, atol=1e-9)
    assert differs


@pytest.mark.parametrize("name,mistake,variant", MISTAKES)
def test_mistake_source_reproduces_the_mistake(name, mistake, variant):
    ex = EXERCISES[name]
    m = ex.get_mistake(mistake)
    src = ex.mistake_source(m)
    assert src.startswith(f"def {name}(")
    ns = {
        "np": np,
        "sigmoid": lstm_course.sigmoid,
        "tanh": lstm_course.tanh,
        **{k: getattr(lstm_course, k) for k in lstm_course.__all__},
    }
    exec(compile(src, "<notebook cell>", "exec"), ns)
    fn = ns[name]
    for case in ex.make_cases(**opts(variant)):
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(_flat(fn(**case)), _flat(ex.mistake_fn(m)(**case)))


def test_mistake_source_by_name_and_unknown_name():
    ex = EXERCISES["forget_gate"]
    assert "(1 - f_t)" in ex.mistake_source("one_minus_f")
    with pytest.raises(KeyError, match="no mistake"):
        ex.mistake_source("nope")


def test_catalogue_covers_the_issue():
    want = {
        "learn_gate": {
            "sigmoid_tanh_swapped",
            "event_stm_order",
            "b_n_left_out",
            "b_i_left_out",
            "N_alone",
            "i_alone",
            "sum_not_product",
        },
        "forget_gate": {
            "one_minus_f",
            "event_stm_order",
            "f_without_ltm",
            "tanh_not_sigmoid",
            "bias_left_out",
        },
        "remember_gate": {"product_not_sum", "only_forget", "only_learn", "difference"},
        "use_gate": {
            "standard_use_gate",
            "sigmoid_tanh_swapped",
            "W_u_on_stm",
            "U_alone",
            "V_alone",
        },
        "lstm_cell": {
            "returns_swapped",
            "standard_old_ltm",
            "lesson_use_gate_when_standard",
            "standard_use_gate_when_lesson",
        },
        "lstm_forward": {"returns_only_final_state", "state_not_carried", "time_major_stms"},
        "params_from_pytorch": {
            "g_o_swapped",
            "i_f_swapped",
            "bias_hh_dropped",
            "missing_transpose",
            "event_rows_first",
        },
        "ltm_path_backward": {
            "use_path_into_kept_left_out",
            "forget_path_left_out",
            "crossing_without_use_term",
            "f_and_ltm_swapped",
            "no_gradient_through_f",
            "learn_gate_from_dkept",
        },
        "use_gate_backward": {
            "tanh_derivative_left_out",
            "tanh_derivative",
            "weight_gradient_transposed",
            "W_u_not_transposed",
            "bias_not_summed",
        },
        "lstm_cell_backward": {
            "use_path_into_kept_left_out",
            "stm_path_into_ltm_left_out",
            "tanh_derivative",
            "sigmoid_derivative",
            "bias_not_summed",
        },
    }
    for name, names in want.items():
        assert names <= {m.name for m in EXERCISES[name].mistakes}, name


# --------------------------------------------------------------------------- fallback


def test_yours_or_reference(capsys):
    ex = EXERCISES["learn_gate"]

    def stub(stm, event, W_n, b_n, W_i, b_i):
        raise NotImplementedError("not attempted yet: replace this line with your code")

    assert yours_or_reference("learn_gate", stub) is ex.reference
    assert capsys.readouterr().out == (
        "Using the package's reference learn_gate: yours is not finished yet (not attempted yet).\n"
    )
    mine = gates.learn_gate
    assert yours_or_reference("learn_gate", mine) is mine
    assert capsys.readouterr().out == "Using your learn_gate (it passes its check).\n"
    wrong = ex.mistake_fn(ex.mistakes[0])
    assert yours_or_reference("learn_gate", wrong) is ex.reference
    out = capsys.readouterr().out
    assert out.startswith("Using the package's reference learn_gate: yours does not pass")
    assert out.count("\n") == 1
    assert yours_or_reference("lstm_cell", cell.lstm_cell, variant="standard") is cell.lstm_cell
