"""The plain functions behind the gate widgets agree with the package's gates and cell."""

import numpy as np
import pytest

from lstm_course import forget_gate, init_params, learn_gate, lstm_forward, sigmoid, use_gate
from lstm_course.gate_views import (
    TRACE_KEYS,
    cell_trace,
    describe_step,
    erase_ltm,
    forget_gate_readout,
    learn_gate_readout,
    remember_readout,
    remembering_params,
    remembering_sequence,
    scalar_weights,
    step_view,
    use_gate_readout,
)


@pytest.fixture
def setup():
    rng = np.random.default_rng(0)
    p = init_params(3, 4, seed=rng)
    return p, rng.normal(size=(2, 4)), rng.normal(size=(2, 4)), rng.normal(size=(2, 3))


def test_learn_readout(setup):
    p, stm, ltm, event = setup
    r = learn_gate_readout(stm, event, p.W_n, p.b_n, p.W_i, p.b_i)
    np.testing.assert_allclose(r["learn_out"], learn_gate(stm, event, p.W_n, p.b_n, p.W_i, p.b_i))
    np.testing.assert_allclose(r["N_t"] * r["i_t"], r["learn_out"])
    assert np.all((r["i_t"] > 0) & (r["i_t"] < 1)) and np.all(np.abs(r["N_t"]) < 1)


def test_learn_readout_takes_scalars():
    r = learn_gate_readout(
        0.5,
        1.0,
        scalar_weights(0.5, 2.0),
        np.array([0.1]),
        scalar_weights(0.0, 1.0),
        np.array([-1.0]),
    )
    assert r["N_t"].shape == (1, 1)
    assert r["N_t"][0, 0] == pytest.approx(np.tanh(0.25 + 2.0 + 0.1))
    assert r["i_t"][0, 0] == pytest.approx(sigmoid(np.array(0.0))[()])


def test_forget_readout_and_erase(setup):
    p, stm, ltm, event = setup
    r = forget_gate_readout(ltm, stm, event, p.W_f, p.b_f)
    np.testing.assert_allclose(r["forget_out"], forget_gate(ltm, stm, event, p.W_f, p.b_f))
    np.testing.assert_allclose(r["forget_out"], ltm * r["f_t"])
    v = np.array([0.5, -1.0])
    np.testing.assert_allclose(erase_ltm(v, 1.0, 10), v)
    np.testing.assert_allclose(erase_ltm(v, 0.0, 1), 0 * v)
    np.testing.assert_allclose(erase_ltm(v, 0.5, 3), v / 8)


def test_remember_readout():
    r = remember_readout(0.8, 0.5, -0.6, 0.5)
    assert float(r["kept"]) == pytest.approx(0.4)
    assert float(r["learned"]) == pytest.approx(-0.3)
    assert float(r["ltm"]) == pytest.approx(0.1)


def test_use_readout(setup):
    p, stm, ltm, event = setup
    kept = forget_gate(ltm, stm, event, p.W_f, p.b_f)
    r = use_gate_readout(kept, stm, event, p.W_u, p.b_u, p.W_v, p.b_v)
    np.testing.assert_allclose(r["stm"], use_gate(kept, stm, event, p.W_u, p.b_u, p.W_v, p.b_v))
    np.testing.assert_allclose(r["U_t"] * r["V_t"], r["stm"])


@pytest.mark.parametrize("variant", ["lesson", "standard"])
def test_cell_trace_matches_lstm_forward(variant):
    rng = np.random.default_rng(5)
    p = init_params(2, 3, variant=variant, seed=rng)
    events = rng.normal(size=(6, 2))
    trace = cell_trace(events, p, variant=variant)
    stms, (stm_T, ltm_T) = lstm_forward(events[None], p, variant=variant)
    np.testing.assert_allclose(trace["stm"], stms[0])
    np.testing.assert_allclose(trace["ltm"][-1], ltm_T[0])
    for key in TRACE_KEYS:
        assert trace[key].shape == (6, 3)
    np.testing.assert_allclose(trace["ltm"], trace["kept"] + trace["learned"])
    np.testing.assert_allclose(trace["kept"], trace["ltm_prev"] * trace["f"])
    np.testing.assert_allclose(trace["ltm_prev"][1:], trace["ltm"][:-1])
    np.testing.assert_array_equal(trace["event"], events)
    np.testing.assert_allclose(cell_trace(events[None], p, variant=variant)["stm"], trace["stm"])


def test_cell_trace_rejects_batches():
    p = init_params(2, 3, seed=0)
    with pytest.raises(ValueError):
        cell_trace(np.zeros((2, 4, 2)), p)


def test_step_view_and_description():
    trace = cell_trace(remembering_sequence(), remembering_params())
    view = step_view(trace, 8)
    assert view["t"] == 8 and view["ltm"].shape == (4,)
    with pytest.raises(IndexError):
        step_view(trace, 30)
    text = describe_step(trace, 8, unit=0)
    for word in ("Learn", "Forget", "Remember", "Use", "step 8"):
        assert word in text


def test_remembering_cell_remembers_the_stored_value():
    events = remembering_sequence(T=30, seed=0, store_at=(2, 14), recall_at=(8, 20, 27))
    trace = cell_trace(events, remembering_params())
    stored = np.tanh(1.5 * events[2, 0])
    # unit 0 (forget bias 6) still holds the value stored at step 2 when recalled at step 8
    assert trace["ltm"][8, 0] == pytest.approx(stored, abs=0.06)
    assert trace["stm"][8, 0] == pytest.approx(np.tanh(2 * trace["kept"][8, 0]) * trace["V"][8, 0])
    assert abs(trace["stm"][8, 0]) > 0.5 and abs(trace["stm"][7, 0]) < 0.05  # shown only on recall
    # unit 3 (forget bias 0, f = 0.5) has forgotten it by then
    assert abs(trace["ltm"][8, 3]) < 0.05
    # the second store replaces the memory
    assert trace["ltm"][14, 0] == pytest.approx(np.tanh(1.5 * events[14, 0]), abs=0.05)
    # the gates are readable: i opens only on store, V only on recall
    assert set(np.flatnonzero(trace["i"][:, 0] > 0.5)) == {2, 14}
    assert set(np.flatnonzero(trace["V"][:, 0] > 0.5)) == {8, 20, 27}
