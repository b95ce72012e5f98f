"""lstm_course.charlm: vocabulary, split, batches (random and carried), training, held-out loss,
seeded sampling, checkpoints, cell activations and the cells that track something."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_course.charlm import (  # noqa: E402
    CharLSTM,
    Vocab,
    activation_html,
    batches,
    cell_activations,
    cell_states,
    compare_batching,
    find_cells,
    load_checkpoint,
    load_text,
    model_from_run,
    next_char_probs,
    perplexity,
    sample,
    save_checkpoint,
    stream_batch,
    text_features,
    text_loss,
    train_charlm,
    train_val_split,
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
    text = load_text()
    assert vocab == Vocab.from_text(text)
    assert meta["eval_loss"] < 1.8
    assert _data_path(CHECKPOINT).stat().st_size < 2_000_000
    # trained on the first 90% only: its held-out score is a real one, and the one recorded
    assert meta["val_fraction"] == 0.1 and meta["batching"] == "carried"
    _, val = train_val_split(vocab.encode(text), meta["val_fraction"])
    held_out = text_loss(model, val, meta["seq_len"])
    assert held_out == pytest.approx(meta["val_loss"], abs=2e-3)  # float16 weights when saved
    assert held_out < 1.6


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


# ----------------------------------------------------------------------------- held-out text


def test_train_val_split_is_contiguous_and_holds_out_the_end():
    text = "".join(chr(ord("a") + k % 26) for k in range(1000))
    train, val = train_val_split(text)
    assert len(val) == 100 and train + val == text  # the last 10%, nothing lost or shared
    ids = np.arange(1000)
    tr, va = train_val_split(ids, 0.25)
    np.testing.assert_array_equal(tr, np.arange(750))
    np.testing.assert_array_equal(va, np.arange(750, 1000))
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError):
            train_val_split(ids, bad)
    with pytest.raises(ValueError, match="too short"):
        train_val_split("abc", 0.1)


def _uniform_model(vocab):
    model = small_model(vocab)
    with torch.no_grad():
        model.out.weight.zero_()
        model.out.bias.zero_()
    return model


def test_perplexity_of_a_uniform_guess_is_the_vocabulary_size():
    v = Vocab.from_text(TEXT)
    ids = v.encode(TEXT)
    model = _uniform_model(v)
    for carry in (True, False):
        loss = text_loss(model, ids, seq_len=16, carry_state=carry)
        assert loss == pytest.approx(np.log(len(v)), rel=1e-6)
        assert perplexity(loss) == pytest.approx(len(v), rel=1e-5)
    assert perplexity(0.0) == 1.0


def test_text_loss_scores_every_window_once_carried_or_from_zero_state():
    v = Vocab.from_text(TEXT)
    ids = v.encode(TEXT)
    model = small_model(v)
    L = 10
    m = (len(ids) - 1) // L
    x, y = ids[: m * L], ids[1 : m * L + 1]
    ce = torch.nn.functional.cross_entropy
    with torch.no_grad():
        logits, _ = model(torch.from_numpy(x)[None])  # one pass: the state carried throughout
        carried = float(ce(logits[0], torch.from_numpy(y)))
        per_window = [  # every window on its own, from a zero state
            float(
                ce(
                    model(torch.from_numpy(x[k * L : (k + 1) * L])[None])[0][0],
                    torch.from_numpy(y[k * L : (k + 1) * L]),
                )
            )
            for k in range(m)
        ]
    assert text_loss(model, ids, L, carry_state=True) == pytest.approx(carried, rel=1e-5)
    assert text_loss(model, ids, L, carry_state=False) == pytest.approx(
        np.mean(per_window), rel=1e-5
    )
    with pytest.raises(ValueError):
        text_loss(model, ids[:5], 10)


# ----------------------------------------------------------------------------- carried state


def test_stream_batch_streams_are_contiguous_and_continue_window_to_window():
    ids = np.arange(101)  # 100 predictions: B = 4 streams of n = 25, L = 6: 4 windows an epoch
    B, L = 4, 6
    x0, y0, reset0 = stream_batch(ids, B, L, 0)
    assert x0.shape == y0.shape == (B, L) and x0.dtype == ids.dtype and reset0
    np.testing.assert_array_equal(x0[:, 0], [0, 25, 50, 75])  # stream b starts at b * n
    np.testing.assert_array_equal(y0, x0 + 1)  # targets: the next character
    windows = [stream_batch(ids, B, L, k) for k in range(4)]
    assert [w[2] for w in windows] == [True, False, False, False]
    stream = np.concatenate([w[0] for w in windows], axis=1)  # (B, 4L): each row contiguous
    np.testing.assert_array_equal(stream, stream[:, :1] + np.arange(4 * L))
    x4, _, reset4 = stream_batch(ids, B, L, 4)  # a new epoch: from the start, state reset
    np.testing.assert_array_equal(x4, x0)
    assert reset4
    with pytest.raises(ValueError, match="too short"):
        stream_batch(ids[:20], 4, 6, 0)


def test_carried_state_equals_one_long_forward_pass():
    """Carrying (STM, LTM) from window k to window k+1 of each stream computes exactly what
    one forward pass over the stream's concatenated windows does; a zero state does not."""
    v = Vocab.from_text(TEXT)
    ids = v.encode(TEXT)
    model = small_model(v)
    B, L, K = 3, 8, 4
    xs = [stream_batch(ids, B, L, k)[0] for k in range(K)]
    state, carried, fresh = None, [], []
    with torch.no_grad():
        for x in xs:
            logits, state = model(torch.from_numpy(x), state)
            carried.append(logits)
            fresh.append(model(torch.from_numpy(x))[0])
        long, _ = model(torch.from_numpy(np.concatenate(xs, axis=1)))  # (B, K*L, V)
    torch.testing.assert_close(torch.cat(carried, dim=1), long, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(torch.cat(fresh, dim=1)[:, L:], long[:, L:], atol=1e-3)


def test_training_with_carried_state_and_validation_curve():
    v = Vocab.from_text(TEXT)
    ids = v.encode(TEXT)
    train, val = train_val_split(ids, 0.25)
    model = small_model(v)
    hist = train_charlm(
        model,
        train,
        steps=40,
        batch_size=4,
        seq_len=16,
        lr=1e-2,
        batching="carried",
        val_ids=val,
        val_every=10,
    )
    assert hist["steps"] == 40 and hist["chars"] == 40 * 4 * 16
    assert hist["batching"] == "carried"
    assert hist["val_steps"] == [0, 10, 20, 30, 40]
    assert hist["val_loss"][-1] < hist["val_loss"][0] - 0.5
    assert hist["val_loss"][-1] == pytest.approx(text_loss(model, val, 16))
    assert np.mean(hist["loss"][-5:]) < np.mean(hist["loss"][:5]) - 0.5
    with pytest.raises(ValueError, match="batching"):
        train_charlm(model, train, steps=1, batching="streams")


def test_compare_batching_same_start_same_budget_plain_results():
    v = Vocab.from_text(TEXT)
    train, val = train_val_split(v.encode(TEXT), 0.25)
    runs = compare_batching(
        train,
        val,
        len(v),
        steps=6,
        batch_size=4,
        seq_len=8,
        hidden_size=8,
        embed_size=4,
        val_every=3,
    )
    assert set(runs) == {"random", "carried"}
    r, c = runs["random"], runs["carried"]
    assert r["val_loss"][0] == c["val_loss"][0]  # the same initial weights
    assert r["chars"] == c["chars"] == 6 * 4 * 8
    assert r["loss"] != c["loss"]
    for run in (r, c):
        model = model_from_run(run)  # the weights travel as plain data
        assert text_loss(model, val, 8, carry_state=True) == pytest.approx(run["val_carried"])
        assert text_loss(model, val, 8, carry_state=False) == pytest.approx(run["val_windows"])
        assert run["val_carried"] == pytest.approx(run["val_loss"][-1])


# ----------------------------------------------------------------------------- inside the LSTM


def test_cell_states_match_nn_lstm_step_by_step():
    v = Vocab.from_text(TEXT)
    model = small_model(v)
    ids = v.encode(TEXT[:60])
    st = cell_states(model, ids)
    H = model.lstm.hidden_size
    assert {k: a.shape for k, a in st.items()} == {k: (60, H) for k in "chigfo"}
    state, cs, hs = None, [], []
    with torch.no_grad():
        for k in ids:
            _, state = model(torch.tensor([[k]]), state)
            hs.append(state[0][0, 0].numpy().copy())
            cs.append(state[1][0, 0].numpy().copy())
    np.testing.assert_allclose(st["c"], cs, atol=1e-5)
    np.testing.assert_allclose(st["h"], hs, atol=1e-6)
    np.testing.assert_allclose(st["h"], st["o"] * np.tanh(st["c"]), atol=1e-6)
    assert np.all((st["f"] > 0) & (st["f"] < 1))
    # continuing from a state = reading the text in two parts
    with torch.no_grad():
        _, mid = model(torch.from_numpy(ids[:25])[None])
    rest = cell_states(model, ids[25:], state=mid)
    np.testing.assert_allclose(rest["c"], st["c"][25:], atol=1e-5)
    acts = cell_activations(model, v, TEXT[:60])
    np.testing.assert_allclose(acts, np.tanh(st["c"]), atol=1e-6)
    assert np.all(np.abs(acts) < 1)


def test_text_features_by_hand():
    text = 'He said "no." Then\nshe\n\n"An open'
    f = text_features(text)
    assert all(a.shape == (len(text),) for a in f.values())
    q = "".join(str(int(a)) for a in f["inside quotes"])
    assert q == "00000000" + "1111" + "0" * 12 + "1" * 8  # from an opening " to its closing "
    text2 = '"one\n\n"two"'  # a quotation left open at a blank line: closed there, and
    quotes2 = text_features(text2)["inside quotes"]  # the next paragraph opens it again
    assert "".join(str(int(a)) for a in quotes2) == "11111" + "0" + "1111" + "0"
    line = f["position in line"]
    assert line[text.index("\n")] == 0 and line[text.index("\n") + 1] == 1
    assert line[2] == 3  # 'H' 'e' ' ': the third character of the line
    word = f["position in word"]
    assert list(word[:4]) == [1, 2, 0, 1] and list(f["inside a word"][:3]) == [1, 1, 0]
    end = f["since sentence end"]
    assert end[text.index(".")] == 0 and end[text.index(".") + 1] == 1


def test_find_cells_finds_the_unit_that_tracks_a_feature():
    rng = np.random.default_rng(0)
    text = ('"Yes," said he. "It is so."\nAnd then she left the room.\n\n') * 5
    feats = text_features(text)
    acts = rng.normal(0, 0.3, size=(len(text), 6))
    acts[:, 4] = -np.tanh(feats["inside quotes"] * 2 - 1 + rng.normal(0, 0.1, len(text)))
    best = find_cells(acts, feats, top=3)
    assert len(best) == 3
    assert best[0]["feature"] == "inside quotes" and best[0]["unit"] == 4
    assert best[0]["r"] < -0.9
    assert abs(best[0]["r"]) >= abs(best[1]["r"]) >= abs(best[2]["r"])
    flat = dict(feats, flat=np.ones(len(text)))  # a constant feature correlates 0
    assert all(d["feature"] != "flat" for d in find_cells(acts, flat, top=len(flat) * 6 - 6))


def test_activation_html_colours_escapes_and_marks_newlines():
    html = activation_html('a<b\n"c', np.array([1.0, -0.5, 0.0, 0.04, -1.0, -1.0]))
    assert "rgba(214,39,40,1.00)" in html and "rgba(31,119,180,0.50)" in html
    assert "&lt;" in html and "<b" not in html and "&quot;" in html
    assert "↵\n" in html
    assert html.count("<span") == 3  # 'a', '<', '"c' coloured; 'b' and the newline (0.04) not
    with pytest.raises(ValueError):
        activation_html("ab", np.zeros(3))


def test_cell_viewer_widget_slider_picks_the_unit():
    pytest.importorskip("ipywidgets")
    from lstm_course.widgets.text import cell_viewer_widget

    text = '"Yes," said he.\nNo.'
    acts = np.zeros((len(text), 3))
    acts[:, 1] = text_features(text)["inside quotes"] * 1.6 - 0.8
    acts[:, 2] = np.linspace(-1, 1, len(text))
    w = cell_viewer_widget(text, acts, unit=0, features=text_features(text))
    assert type(w.children[0]).__name__ == "IntSlider"  # the first control: the browser moves it
    first = w.result
    assert first["unit"] == 0 and "<span" not in first["html"]  # all zero: nothing coloured
    view = w.children[-1]  # the coloured text: an HTML widget, drawn on creation
    assert type(view).__name__ == "HTML" and first["html"] in view.value
    w.children[0].value = 1
    assert w.result["unit"] == 1 and w.result["html"] != first["html"]
    assert w.result["html"] in view.value and "unit 1:" in view.value
    assert w.result["feature"] == "inside quotes" and w.result["r"] == pytest.approx(1.0)
    plain = cell_viewer_widget(text, acts, unit=2)
    assert plain.result["r"] is None and plain.children[0].max == 2
