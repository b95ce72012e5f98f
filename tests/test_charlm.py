"""lstm_course.charlm: vocabulary, batches, a short training run, seeded sampling, checkpoints."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_course.charlm import (  # noqa: E402
    CharLSTM,
    Vocab,
    batches,
    load_checkpoint,
    load_text,
    next_char_probs,
    sample,
    save_checkpoint,
    train_charlm,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # see tests/conftest.py


TEXT = "the cat sat on the mat.\nthe dog sat on the log.\n" * 4


def small_model(vocab, seed=0):
    torch.manual_seed(seed)
    return CharLSTM(len(vocab), hidden_size=16, embed_size=8)


def test_vocab_roundtrip_sorted_and_unknown_chars():
    v = Vocab.from_text(TEXT)
    assert v.chars == "".join(sorted(set(TEXT)))
    ids = v.encode("the dog")
    assert ids.dtype == np.int64
    assert v.decode(ids) == "the dog"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        v.encode("the zebra")
    assert v.decode(v.encode("the zebra", errors="ignore")) == "the ea"


def test_shipped_text():
    text = load_text()
    assert 100_000 < len(text) < 400_000
    assert text.startswith("PRIDE AND PREJUDICE")
    assert "It is a truth universally acknowledged" in text


def test_batches_are_shifted_windows_and_seeded():
    v = Vocab.from_text(TEXT)
    ids = v.encode(TEXT)
    x, y = batches(ids, 5, 12, 0)
    assert x.shape == y.shape == (5, 12)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])  # targets = inputs shifted by one
    for row_x, row_y in zip(x, y, strict=True):
        s = v.decode(row_x)
        assert s in TEXT and (s + v.decode(row_y)[-1]) in TEXT
    x2, _ = batches(ids, 5, 12, 0)
    np.testing.assert_array_equal(x, x2)
    with pytest.raises(ValueError):
        batches(ids[:5], 2, 10, 0)


def test_training_smoke_loss_decreases():
    v = Vocab.from_text(TEXT)
    model = small_model(v)
    hist = train_charlm(model, v.encode(TEXT), steps=40, batch_size=8, seq_len=16, lr=1e-2, seed=0)
    assert hist["steps"] == 40
    assert np.mean(hist["loss"][-5:]) < np.mean(hist["loss"][:5]) - 0.5


def test_sampling_is_seeded_and_temperature_zero_is_greedy():
    v = Vocab.from_text(TEXT)
    model = small_model(v)
    a = sample(model, v, "the ", 40, temperature=1.0, seed=3)
    b = sample(model, v, "the ", 40, temperature=1.0, seed=3)
    c = sample(model, v, "the ", 40, temperature=1.0, seed=4)
    assert a == b and a != c and len(a) == 40 and set(a) <= set(v.chars)
    g1 = sample(model, v, "the ", 10, temperature=0.0, seed=1)
    g2 = sample(model, v, "the ", 10, temperature=0.0, seed=2)
    assert g1 == g2
    chars, probs = next_char_probs(model, v, "the ", top=None)
    assert g1[0] == chars[0]
    assert probs.sum() == pytest.approx(1.0) and np.all(np.diff(probs) <= 0)
    assert sorted(chars) == sorted(v.chars)
    # a lower temperature sharpens the distribution
    _, cold = next_char_probs(model, v, "the ", temperature=0.5, top=1)
    assert cold[0] > probs[0]


def test_checkpoint_roundtrip(tmp_path):
    v = Vocab.from_text(TEXT)
    model = small_model(v)
    path = save_checkpoint(model, v, tmp_path / "m.pt", meta={"steps": 0}, half=False)
    loaded, v2, meta = load_checkpoint(path)
    assert v2 == v and meta == {"steps": 0}
    assert sample(loaded, v2, "the ", 20, seed=1) == sample(model, v, "the ", 20, seed=1)


def test_shipped_checkpoint_if_present():
    from lstm_course.charlm import CHECKPOINT, _data_path

    if not _data_path(CHECKPOINT).exists():
        pytest.skip("no shipped checkpoint")
    model, vocab, meta = load_checkpoint()
    assert vocab == Vocab.from_text(load_text())
    assert meta["eval_loss"] < 1.8
    assert _data_path(CHECKPOINT).stat().st_size < 2_000_000


def test_text_widgets_slider_changes_output():
    pytest.importorskip("ipywidgets")
    from lstm_course.widgets.text import next_char_widget, temperature_widget

    v = Vocab.from_text(TEXT)
    model = small_model(v)
    w = temperature_widget(model, v, prompt="the ", length=30, seed=0, temperature=0.0)
    greedy = w.result["text"]
    w.children[0].value = 1.5
    assert w.result["temperature"] == 1.5 and w.result["text"] != greedy
    n = next_char_widget(model, v, prompt="the ", plot=False)
    top = n.result["probs"][0]
    n.children[1].value = 0.3
    assert n.result["probs"][0] > top
