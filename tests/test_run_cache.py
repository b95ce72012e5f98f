"""lstm_course.run_cache: a replayed training run is bit-identical to a real one.

Small runs of the real cached functions (train_adding, train_charlm) compared field by field
with a real run from the same starting point: the model's state_dict, gradients and mode, the
history, and the next numbers every global random generator draws.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_course import run_cache  # noqa: E402
from lstm_course.adding import adding_data, make_model, train_adding  # noqa: E402
from lstm_course.charlm import CharLSTM, Vocab, train_charlm  # noqa: E402

SMALL = dict(T=12, batch_size=16, lr=1e-2, steps=25, seed=3)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """Turn the cache on in `mode` (write | reuse) over one folder; returns a setter."""
    folder = tmp_path / "run-cache"

    def use(mode: str | None):
        if mode is None:
            monkeypatch.delenv(run_cache.ENV_DIR, raising=False)
            monkeypatch.delenv(run_cache.ENV_MODE, raising=False)
        else:
            monkeypatch.setenv(run_cache.ENV_DIR, str(folder))
            monkeypatch.setenv(run_cache.ENV_MODE, mode)
        return folder

    yield use


def log(folder) -> list[str]:
    path = folder / "log.tsv"
    return [line.split("\t")[0] for line in path.read_text().splitlines()] if path.exists() else []


def seed_everything(k: int = 0) -> None:
    torch.manual_seed(k)
    np.random.seed(k)
    random.seed(k)


def next_draws():
    return torch.rand(4).tolist(), np.random.random(4).tolist(), [random.random() for _ in range(4)]


def same_state(a, b) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k
    for (n, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert (p.grad is None) == (q.grad is None), n
        if p.grad is not None:
            assert torch.equal(p.grad, q.grad), n
    assert [m.training for m in a.modules()] == [m.training for m in b.modules()]


def adding_run():
    """The same starting point every time: fresh model, seeded global generators."""
    seed_everything(0)
    model = make_model("lstm", seed=1, config={"lstm": dict(hidden_size=6, forget_bias=2.0)})
    seed_everything(0)
    hist = train_adding(model, **SMALL, eval_data=adding_data(20, SMALL["T"], 9), eval_every=10)
    return model, hist, next_draws()


def test_off_by_default_trains_for_real(cache, tmp_path):
    folder = cache(None)
    adding_run()
    assert not folder.exists()


def test_train_adding_replayed_bit_identical(cache):
    folder = cache("write")
    m_write, h_write, d_write = adding_run()
    cache(None)
    m_real, h_real, d_real = adding_run()
    cache("reuse")
    m_hit, h_hit, d_hit = adding_run()
    assert log(folder) == ["write", "hit"]
    same_state(m_hit, m_real)
    same_state(m_hit, m_write)
    assert h_hit == h_write  # everything, the recorded wall time included
    assert {k: v for k, v in h_hit.items() if k != "seconds"} == {
        k: v for k, v in h_real.items() if k != "seconds"
    }
    assert d_hit == d_real == d_write
    assert not m_hit.training


def test_train_charlm_replayed_bit_identical(cache):
    text = "It is a truth universally acknowledged, that a single man " * 4
    vocab = Vocab.from_text(text)
    ids = vocab.encode(text)

    def run():
        seed_everything(0)
        model = CharLSTM(len(vocab), hidden_size=8, embed_size=4)
        hist = train_charlm(model, ids, steps=6, batch_size=4, seq_len=10, seed=2)
        return model, hist, next_draws()

    folder = cache("write")
    run()
    cache(None)
    m_real, h_real, d_real = run()
    cache("reuse")
    m_hit, h_hit, d_hit = run()
    assert log(folder) == ["write", "hit"]
    same_state(m_hit, m_real)
    assert h_hit["loss"] == h_real["loss"] and h_hit["steps"] == h_real["steps"]
    assert d_hit == d_real


def _draws_everywhere(model, gen: np.random.Generator, k: int = 3):
    """A cached function that advances every global generator and its Generator argument."""
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape))
    return {
        "torch": torch.rand(k).tolist(),
        "numpy": np.random.random(k).tolist(),
        "random": [random.random() for _ in range(k)],
        "gen": gen.random(k),
    }


draws_everywhere = run_cache.cached(_draws_everywhere)


def test_global_and_argument_generators_replayed(cache):
    def run():
        seed_everything(5)
        model = torch.nn.Linear(3, 2)
        gen = np.random.default_rng(7)
        out = draws_everywhere(model, gen)
        return model, out, gen.random(3).tolist(), next_draws()

    folder = cache("write")
    m_write, out_write, gen_write, d_write = run()
    cache(None)
    m_real, out_real, gen_real, d_real = run()
    cache("reuse")
    m_hit, out_hit, gen_hit, d_hit = run()
    assert log(folder) == ["write", "hit"]
    same_state(m_hit, m_real)
    assert out_hit["torch"] == out_real["torch"] and np.array_equal(out_hit["gen"], out_real["gen"])
    assert gen_hit == gen_real
    assert d_hit == d_real

    # A global generator the run drew from, somewhere else now: a miss, computed for real.
    seed_everything(5)
    model, gen = torch.nn.Linear(3, 2), np.random.default_rng(7)
    np.random.seed(6)
    out = draws_everywhere(model, gen)
    assert log(folder)[-2:] == ["miss", "write"]
    np.random.seed(6)
    assert out["numpy"] == np.random.random(3).tolist()


def test_unused_global_generator_still_hits(cache):
    """train_adding draws from none of the global generators: their state is not in the key
    (NumPy's and random's differ in every fresh kernel), and a replay leaves them alone."""
    folder = cache("write")
    adding_run()
    cache("reuse")
    seed_everything(0)
    model = make_model("lstm", seed=1, config={"lstm": dict(hidden_size=6, forget_bias=2.0)})
    np.random.seed(123)
    random.seed(123)
    train_adding(model, **SMALL, eval_data=adding_data(20, SMALL["T"], 9), eval_every=10)
    assert log(folder) == ["write", "hit"]
    assert np.random.random() == np.random.RandomState(123).random_sample()


def test_key_changes_with_arguments_and_initial_weights(cache):
    folder = cache("write")
    adding_run()
    cache("reuse")
    seed_everything(0)
    other = make_model("lstm", seed=2, config={"lstm": dict(hidden_size=6, forget_bias=2.0)})
    train_adding(other, **SMALL, eval_data=adding_data(20, SMALL["T"], 9), eval_every=10)
    seed_everything(0)
    same = make_model("lstm", seed=1, config={"lstm": dict(hidden_size=6, forget_bias=2.0)})
    train_adding(same, **{**SMALL, "lr": 2e-2}, eval_data=adding_data(20, SMALL["T"], 9))
    assert log(folder) == ["write", "miss", "write", "miss", "write"]


def test_write_mode_never_reads(cache):
    folder = cache("write")
    calls = []

    @run_cache.cached
    def f(x):
        calls.append(x)
        return x * 2

    assert f(2) == 4 and f(2) == 4
    assert calls == [2, 2]
    assert log(folder) == ["write", "write"]
    cache("reuse")
    assert f(2) == 4 and calls == [2, 2]


def test_what_it_cannot_describe_runs_for_real(cache):
    folder = cache("reuse")

    class Mine(torch.nn.Module):  # a learner's own module: its code is not in the key
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 1)

    calls = []

    @run_cache.cached(volatile=("limit",))
    def f(model=None, fn=None, limit=None):
        calls.append(1)
        return 1

    f(Mine())
    f(fn=len)
    f(limit=3.0)
    lin = torch.nn.Linear(2, 1)
    lin.weight.register_hook(lambda g: g * 0)  # a hook from outside the package
    f(lin)
    assert len(calls) == 4
    assert log(folder) == ["skip"] * 4
    assert not list(folder.glob("*.pkl"))


def test_a_result_or_argument_it_cannot_replay_is_not_stored(cache):
    folder = cache("reuse")

    @run_cache.cached
    def returns_model(n):
        return torch.nn.Linear(n, 1)

    @run_cache.cached
    def appends(xs):
        xs.append(1)
        return len(xs)

    returns_model(2)
    appends([])
    assert log(folder) == ["miss", "skip", "miss", "skip"]
    assert not list(folder.glob("*.pkl"))
