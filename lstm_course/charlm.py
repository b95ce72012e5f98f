"""A character-level LSTM language model (PyTorch): vocabulary, batches, training, sampling.

The model reads one character at a time (an Event = the character's embedding), keeps its
STM/LTM across the text, and predicts a probability for every possible next character:

    chars -> Embedding -> nn.LSTM -> Linear -> logits over the vocabulary

It is a sequence-to-sequence model: a prediction (and a loss) at EVERY step, unlike the adding
problem's sequence-to-one model (one output after the last step, `lstm_course.adding`).

What is here:

* the text: `load_text`, `Vocab`, `train_val_split` (the last 10% held out, contiguous);
* two ways to cut training batches: `batches` (random windows, each read from a zero state)
  and `stream_batch` (truncated backpropagation through time: B contiguous streams read in
  order, the state carried from one window to the next);
* `train_charlm` (either batching), `compare_batching` (both, same steps, scored on held-out
  text), `text_loss` (mean cross-entropy per character of a whole text) and `perplexity`;
* `sample`, `next_char_probs`; checkpoints;
* looking inside: `cell_states` / `cell_activations` (per-character LTM of every unit),
  `text_features` (in quotes, position in the line, ...) and `find_cells` (the units whose
  activation follows a feature best).

Everything is seeded: batches come from a NumPy Generator, sampling from a torch.Generator,
so the same seed gives the same text. The shipped corpus is the opening chapters of
*Pride and Prejudice* (public domain; see lstm_course/data/README.md).

Train the shipped checkpoint (lstm_course/data/charlm_austen.pt) with

    python -m lstm_course.charlm --out lstm_course/data/charlm_austen.pt
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .run_cache import cached

__all__ = [
    "Vocab",
    "load_text",
    "CORPUS",
    "CHECKPOINT",
    "VAL_FRACTION",
    "BATCHINGS",
    "train_val_split",
    "batches",
    "stream_batch",
    "CharLSTM",
    "train_charlm",
    "compare_batching",
    "model_from_run",
    "evaluate_loss",
    "text_loss",
    "perplexity",
    "cell_states",
    "cell_activations",
    "text_features",
    "feature_correlations",
    "find_cells",
    "activation_html",
    "sample",
    "next_char_probs",
    "save_checkpoint",
    "load_checkpoint",
    "main",
    "plot_loss",
    "plot_next_char_probs",
    "plot_batching_comparison",
    "show_char",
]

CORPUS = "pride_and_prejudice.txt"
CHECKPOINT = "charlm_austen.pt"
VAL_FRACTION = 0.1  # the last 10% of the text is held out
BATCHINGS = ("random", "carried")


def _data_path(name: str) -> Path:
    return Path(str(resources.files("lstm_course") / "data" / name))


def load_text(name: str = CORPUS) -> str:
    """A text shipped in lstm_course/data (default: the opening chapters of Pride and Prejudice)."""
    return _data_path(name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Vocab:
    """The characters a model knows, in a fixed order: index <-> character."""

    chars: str

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        """Every distinct character of the text, sorted (deterministic)."""
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    @property
    def index(self) -> dict:
        return {c: k for k, c in enumerate(self.chars)}

    def encode(self, text: str, errors: str = "strict") -> np.ndarray:
        """Characters -> int64 indices. errors='ignore' drops unknown characters;
        'strict' raises ValueError naming them."""
        index = self.index
        unknown = sorted({c for c in text if c not in index})
        if unknown and errors == "strict":
            raise ValueError(f"characters not in the vocabulary: {unknown!r}")
        return np.array([index[c] for c in text if c in index], dtype=np.int64)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(k)] for k in np.asarray(ids).ravel())


def train_val_split(seq, val_fraction: float = VAL_FRACTION):
    """Split a text (str) or its encoding ((N,) array) into (train, val), both contiguous:
    train = the first N - n_val items, val = the LAST n_val = round(val_fraction * N).

    Contiguous, not a random set of windows: neighbouring windows share characters, so windows
    drawn at random for validation would overlap the training windows (text the model has read).
    The split is at one point of the text; the model never trains on anything after it.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    n_val = int(round(val_fraction * len(seq)))
    if n_val < 2 or len(seq) - n_val < 2:
        raise ValueError(f"a text of {len(seq)} items is too short to split at {val_fraction}")
    cut = len(seq) - n_val
    return seq[:cut], seq[cut:]


def batches(ids, batch_size: int, seq_len: int, rng):
    """One random batch of windows of the encoded text: (inputs, targets), each (B, L) int64.

    targets are the inputs shifted by one character (the next character at every position).
    ``rng``: an int seed or a np.random.Generator (draw many batches from one Generator).
    Each window starts anywhere in the text; a model reads it from a zero state, so the first
    characters of every window are predicted with almost no context (`train_charlm`'s
    batching="random"). Compare `stream_batch`.
    """
    ids = np.asarray(ids)
    if len(ids) < seq_len + 1:
        raise ValueError(f"text of {len(ids)} characters is shorter than seq_len + 1")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    starts = rng.integers(0, len(ids) - seq_len, size=batch_size)
    window = starts[:, None] + np.arange(seq_len + 1)[None]
    chunk = ids[window]
    return chunk[:, :-1].copy(), chunk[:, 1:].copy()


def stream_batch(ids, batch_size: int, seq_len: int, step: int):
    """Batch ``step`` of truncated backpropagation through time: (inputs, targets, reset).

    The encoded text ids (N,) is cut into B = ``batch_size`` contiguous streams of
    n = (N - 1) // B characters: stream b starts at character b * n. The batch at step k holds,
    for every stream, its k-th window of L = ``seq_len`` characters:

        inputs[b]  = ids[b*n + k*L     : b*n + (k+1)*L]       (B, L) int64
        targets[b] = ids[b*n + k*L + 1 : b*n + (k+1)*L + 1]   (B, L): the next characters

    so window k + 1 of stream b continues window k of stream b exactly: the (STM, LTM) an LSTM
    ends window k with is the right state to start window k + 1 with (carry it over). After
    n // L windows (one pass over the text, an epoch) the streams start again from their
    beginnings, and ``reset`` is True: start that batch from a zero state. ``step`` counts
    from 0 (reset is True at step 0). The last n % L characters of every stream and the last
    (N - 1) % B characters of the text are not used.
    """
    ids = np.asarray(ids)
    n = (len(ids) - 1) // batch_size
    windows = n // seq_len
    if windows < 1:
        raise ValueError(
            f"text of {len(ids)} characters is too short for {batch_size} streams of at least "
            f"seq_len + 1 = {seq_len + 1} characters"
        )
    k = step % windows
    starts = np.arange(batch_size)[:, None] * n + k * seq_len
    window = starts + np.arange(seq_len)[None]  # (B, L)
    return ids[window], ids[window + 1], k == 0


class CharLSTM(nn.Module):
    """Embedding -> single-layer nn.LSTM (batch first) -> Linear to the vocabulary's logits."""

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int = 128,
        embed_size: int = 32,
        forget_bias: float = 1.0,
    ):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, hidden_size=hidden_size, embed_size=embed_size)
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)
        with torch.no_grad():  # row blocks (i, f, g, o): "remember by default"
            self.lstm.bias_ih_l0[hidden_size : 2 * hidden_size] += forget_bias

    def forward(self, ids, state=None):
        """ids (B, L) -> (logits (B, L, V), (stm, ltm))."""
        stms, state = self.lstm(self.embed(ids), state)
        return self.out(stms), state


def _loss(model, x, y, state=None):
    """Mean cross-entropy of (B, L) inputs x and targets y -> (loss, final state)."""
    logits, state = model(torch.from_numpy(x), state)
    loss = nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), torch.from_numpy(y).reshape(-1)
    )
    return loss, state


@cached(volatile=("time_limit",))  # off unless the test suite turns it on (run_cache.py)
def train_charlm(
    model,
    ids,
    steps: int = 300,
    batch_size: int = 32,
    seq_len: int = 64,
    lr: float = 3e-3,
    clip: float | None = 1.0,
    seed: int = 0,
    progress: bool = False,
    time_limit: float | None = None,
    desc: str = "char-LSTM",
    batching: str = "random",
    val_ids=None,
    val_every: int | None = None,
):
    """Adam on batches of B = ``batch_size`` windows of L = ``seq_len`` characters of ``ids``
    (the encoded training text, (N,)); the model is trained in place.

    batching="random": every step B windows drawn anywhere (`batches`, NumPy seed ``seed``),
    each read from a zero state. batching="carried": truncated backpropagation through time
    (`stream_batch`): B contiguous streams read in order, and the state each window ends with
    starts the next one, detached (the gradient stops at the window's start, the information
    does not); zero state again at the start of each pass over the text. Both read
    steps * B * L characters.

    Returns plain data: {"loss": per-step training cross-entropy (nats per character), "steps",
    "seconds", "chars" (characters read), "batching"}; with ``val_ids`` (the encoded held-out
    text) also "val_steps" and "val_loss": `text_loss(model, val_ids, seq_len)` (one pass,
    state carried) before training, every ``val_every`` steps and after the last step.
    ``progress`` shows a tqdm.auto bar; ``time_limit`` (seconds) stops early.
    """
    if batching not in BATCHINGS:
        raise ValueError(f"batching must be one of {BATCHINGS}, got {batching!r}")
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses, val_steps, val_losses = [], [], []

    def validate(step):
        if val_ids is not None:
            val_steps.append(step)
            val_losses.append(text_loss(model, val_ids, seq_len))
            model.train()

    validate(0)
    state = None
    bar = None
    if progress:
        from tqdm.auto import tqdm  # noqa: PLC0415

        bar = tqdm(total=steps, desc=desc, mininterval=0.5)
    start = time.perf_counter()
    model.train()
    for step in range(steps):
        if batching == "random":
            x, y = batches(ids, batch_size, seq_len, rng)
            state = None  # every window from a zero state
        else:
            x, y, reset = stream_batch(ids, batch_size, seq_len, step)
            if reset:
                state = None
        loss, state = _loss(model, x, y, state)
        state = tuple(s.detach() for s in state)  # truncate: no gradient into the last window
        opt.zero_grad()
        loss.backward()
        if clip:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        losses.append(float(loss.detach()))
        if bar is not None:
            bar.update(1)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{losses[-1]:.2f}", refresh=False)
        if val_every and (step + 1) % val_every == 0 and step + 1 < steps:
            validate(step + 1)
        if time_limit is not None and time.perf_counter() - start > time_limit:
            break
    if val_ids is not None:
        validate(len(losses))
    seconds = time.perf_counter() - start
    if bar is not None:
        bar.close()
    model.eval()
    hist = {
        "loss": losses,
        "seconds": seconds,
        "steps": len(losses),
        "chars": len(losses) * batch_size * seq_len,
        "batching": batching,
    }
    if val_ids is not None:
        hist.update(val_steps=val_steps, val_loss=val_losses)
    return hist


def compare_batching(
    train_ids,
    val_ids,
    vocab_size: int,
    steps: int = 250,
    batch_size: int = 32,
    seq_len: int = 64,
    lr: float = 3e-3,
    hidden_size: int = 128,
    embed_size: int = 32,
    seed: int = 0,
    val_every: int | None = 50,
    progress: bool = False,
) -> dict:
    """Train the same CharLSTM twice, once per batching, and score both on held-out text.

    Both runs start from the same weights (``torch.manual_seed(seed)``), take the same number
    of Adam steps on batches of the same size (so read the same number of characters of
    ``train_ids``), and are scored on ``val_ids`` (encoded, (N_val,)) two ways:
    "val_windows" = `text_loss(..., carry_state=False)` (consecutive windows of ``seq_len``,
    each from a zero state) and "val_carried" = `text_loss(..., carry_state=True)` (one pass,
    the state carried). Returns plain data, {"random": run, "carried": run}, where run is
    `train_charlm`'s history plus those two numbers, "config" (CharLSTM's arguments) and
    "weights" (the trained state_dict, CPU tensors; `model_from_run` rebuilds the model).
    """
    runs = {}
    for batching in BATCHINGS:
        torch.manual_seed(seed)
        model = CharLSTM(vocab_size, hidden_size, embed_size)
        hist = train_charlm(
            model,
            train_ids,
            steps=steps,
            batch_size=batch_size,
            seq_len=seq_len,
            lr=lr,
            seed=seed,
            progress=progress,
            desc=f"{batching} batches",
            batching=batching,
            val_ids=val_ids,
            val_every=val_every,
        )
        hist["val_windows"] = text_loss(model, val_ids, seq_len, carry_state=False)
        hist["val_carried"] = text_loss(model, val_ids, seq_len, carry_state=True)
        hist["config"] = dict(model.config)
        hist["weights"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        runs[batching] = hist
    return runs


def model_from_run(run: dict) -> CharLSTM:
    """The trained CharLSTM of one `compare_batching` run (its "config" and "weights"), in eval
    mode."""
    model = CharLSTM(**run["config"], forget_bias=0.0)
    model.load_state_dict(run["weights"])
    model.eval()
    return model


def evaluate_loss(model, ids, batch_size: int = 64, seq_len: int = 64, seed: int = 1) -> float:
    """Mean cross-entropy (nats per character) on one fixed random batch of windows: a quick
    estimate. For a score of a whole (held-out) text use `text_loss`."""
    x, y = batches(ids, batch_size, seq_len, np.random.default_rng(seed))
    model.eval()
    with torch.no_grad():
        return float(_loss(model, x, y)[0])


def text_loss(model, ids, seq_len: int = 64, carry_state: bool = True) -> float:
    """Mean cross-entropy (nats per character) of predicting every character of ``ids`` (N,)
    from the characters before it.

    The text is cut into m = (N - 1) // L consecutive windows of L = ``seq_len`` predictions
    (the last (N - 1) % L characters are not scored); both modes score the same m * L
    predictions:

    * carry_state=True: the windows in order with the state carried from each to the next,
      which is one forward pass over the whole text from a zero state (computed as that);
    * carry_state=False: every window from a zero state, as the random windows of training:
      the first characters of every window are predicted with little context.

    The perplexity is exp(this) (`perplexity`).
    """
    ids = np.asarray(ids)
    m = (len(ids) - 1) // seq_len
    if m < 1:
        raise ValueError(f"text of {len(ids)} characters is shorter than seq_len + 1")
    x = ids[: m * seq_len].reshape(m, seq_len)
    y = ids[1 : m * seq_len + 1].reshape(m, seq_len)
    if carry_state:
        x, y = x.reshape(1, -1), y.reshape(1, -1)
    model.eval()
    with torch.no_grad():
        return float(_loss(model, x, y)[0])


def perplexity(loss) -> float:
    """exp(mean cross-entropy in nats per character): the number of equally likely characters
    that would be as hard to guess between (uniform over V characters: perplexity V)."""
    return float(np.exp(loss))


def _generator(seed):
    g = torch.Generator()
    g.manual_seed(int(seed))
    return g


def _logits_after(model, vocab, prompt):
    ids = vocab.encode(prompt, errors="ignore")
    if not len(ids):
        raise ValueError("the prompt has no character the model knows")
    with torch.no_grad():
        logits, state = model(torch.from_numpy(ids)[None])
    return logits[0, -1], state


def sample(
    model,
    vocab: Vocab,
    prompt: str = "\n",
    length: int = 200,
    temperature: float = 1.0,
    seed: int = 0,
) -> str:
    """Generate ``length`` characters after ``prompt`` (returned without the prompt).

    Each next character is drawn from softmax(logits / temperature) with a seeded
    torch.Generator (same seed -> same text); temperature 0 picks the most likely character.
    Low temperatures repeat safe choices, high ones invent spellings.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    model.eval()
    gen = _generator(seed)
    logits, state = _logits_after(model, vocab, prompt)
    out = []
    with torch.no_grad():
        for _ in range(length):
            if temperature == 0:
                k = int(torch.argmax(logits))
            else:
                probs = torch.softmax(logits.double() / temperature, dim=-1)
                k = int(torch.multinomial(probs, 1, generator=gen))
            out.append(vocab.chars[k])
            step, state = model(torch.tensor([[k]]), state)
            logits = step[0, -1]
    return "".join(out)


def next_char_probs(
    model, vocab: Vocab, prompt: str, temperature: float = 1.0, top: int | None = 10
):
    """The model's distribution over the next character after ``prompt``.

    Returns (chars, probs), most likely first (the ``top`` best; None for all).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    model.eval()
    logits, _ = _logits_after(model, vocab, prompt)
    probs = torch.softmax(logits.double() / temperature, dim=-1).numpy()
    order = np.argsort(-probs, kind="stable")[: top or len(probs)]
    return [vocab.chars[k] for k in order], probs[order]


# ----------------------------------------------------------------------------- inside the LSTM


def cell_states(model: CharLSTM, ids, state=None) -> dict:
    """What the model's LSTM layer holds after each character of ``ids`` (T,), read in order.

    Returns NumPy float32 arrays, row t = after reading character t:
    "c" (T, H) the LTM (cell state) c_t, "h" (T, H) the STM h_t, and the gates "i", "f", "g",
    "o" (T, H) (PyTorch's order: input, forget, cell candidate, output; see the field notes).
    ``state``: (h0, c0), each (1, 1, H), to continue from (default: zero state).

    nn.LSTM returns h_t for every step but c_t only for the last one. So the h_t come from
    nn.LSTM (one call), the gates are recomputed from them for all steps at once,
    gates_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, and c_t = f_t * c_{t-1} + i_t * g_t is
    unrolled (element-wise only). h_t = o_t * tanh(c_t) holds to float32 round-off.
    """
    ids = np.asarray(ids, dtype=np.int64).ravel()
    lstm = model.lstm
    H = lstm.hidden_size
    model.eval()
    with torch.no_grad():
        x = model.embed(torch.from_numpy(ids)[None])  # (1, T, E)
        hs, _ = lstm(x, state)  # (1, T, H)
        h0 = torch.zeros(1, H) if state is None else state[0][0]
        c0 = torch.zeros(1, H) if state is None else state[1][0]
        h_prev = torch.cat([h0, hs[0, :-1]])  # (T, H)
        gates = (
            x[0] @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + h_prev @ lstm.weight_hh_l0.T
        ) + lstm.bias_hh_l0  # (T, 4H), row blocks (i, f, g, o)
        i, f, o = (torch.sigmoid(gates[:, k * H : (k + 1) * H]) for k in (0, 1, 3))
        g = torch.tanh(gates[:, 2 * H : 3 * H])
    i, f, g, o = (a.numpy() for a in (i, f, g, o))
    learn = i * g
    c = np.empty_like(learn)
    prev = c0.numpy()[0]
    for t in range(len(ids)):  # the Remember gate, one step at a time (in place: fast)
        np.multiply(f[t], prev, out=c[t])
        c[t] += learn[t]
        prev = c[t]
    return {"c": c, "h": hs[0].numpy(), "i": i, "f": f, "g": g, "o": o}


def cell_activations(model: CharLSTM, vocab: Vocab, text: str) -> np.ndarray:
    """tanh(c_t) of every unit after each character of ``text``: (T, H), in (-1, 1).

    tanh(c_t) is what the Use gate scales (h_t = o_t * tanh(c_t)); it is the "cell activation"
    Karpathy, Johnson & Fei-Fei (2015) coloured text with. Characters not in the vocabulary
    raise ValueError (T = len(text) always)."""
    return np.tanh(cell_states(model, vocab.encode(text))["c"])


def text_features(text: str) -> dict:
    """Properties of every character of ``text`` that a unit might track, each (T,) float64,
    the value after reading character t:

    * "inside quotes": 1 from an opening " up to (not including) its closing ", else 0; reset
      to 0 at a blank line (a quotation that runs over paragraphs opens again in the next one);
    * "position in line": characters since the last newline (0 on the newline itself);
    * "inside a word": 1 on letters, else 0;
    * "position in word": letters since the last non-letter (0 on a non-letter);
    * "since sentence end": characters since the last '.', '!' or '?' (0 on it).
    """
    T = len(text)
    quotes = np.zeros(T)
    line = np.zeros(T)
    word_pos = np.zeros(T)
    since_end = np.zeros(T)
    inside = False
    n_line = n_word = n_end = 0
    for t, ch in enumerate(text):
        if ch == '"':
            inside = not inside
        elif ch == "\n" and t > 0 and text[t - 1] == "\n":
            inside = False
        quotes[t] = inside
        n_line = 0 if ch == "\n" else n_line + 1
        n_word = n_word + 1 if ch.isalpha() else 0
        n_end = 0 if ch in ".!?" else n_end + 1
        line[t], word_pos[t], since_end[t] = n_line, n_word, n_end
    letters = np.array([ch.isalpha() for ch in text], dtype=np.float64)
    return {
        "inside quotes": quotes,
        "position in line": line,
        "inside a word": letters,
        "position in word": word_pos,
        "since sentence end": since_end,
    }


def feature_correlations(activations, features: dict) -> dict:
    """{feature name: (H,) Pearson correlation of every unit's activation with the feature}
    over the T characters; ``activations`` (T, H), ``features`` {name: (T,)}. A feature or a
    unit that is constant over the text correlates 0."""
    a = np.asarray(activations, dtype=np.float64)
    a = a - a.mean(axis=0)
    a_norm = np.sqrt((a * a).sum(axis=0))
    out = {}
    for name, values in features.items():
        v = np.asarray(values, dtype=np.float64)
        if v.shape != a.shape[:1]:
            raise ValueError(f"feature {name!r} has shape {v.shape}, expected ({a.shape[0]},)")
        v = v - v.mean()
        denom = np.sqrt(v @ v) * a_norm
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = np.where(denom > 0, (v @ a) / np.where(denom > 0, denom, 1.0), 0.0)
    return out


def find_cells(activations, features: dict, top: int = 5) -> list:
    """The (feature, unit) pairs whose activation follows the feature best.

    ``activations`` (T, H) (e.g. `cell_activations`), ``features`` {name: (T,)} (e.g.
    `text_features`). For every unit and feature: the Pearson correlation r over the T
    characters (`feature_correlations`). Returns the ``top`` pairs by |r|, best first, as plain
    dicts {"feature", "unit", "r"} (ties: the order of ``features``, then the lower unit).
    Selecting the best of H * F pairs flatters the winner: check its r on other text.
    """
    found = [
        {"feature": name, "unit": int(k), "r": float(r[k])}
        for name, r in feature_correlations(activations, features).items()
        for k in range(len(r))
    ]
    found.sort(key=lambda d: -abs(d["r"]))  # stable: ties keep feature then unit order
    return found[:top]


def save_checkpoint(
    model: CharLSTM, vocab: Vocab, path, meta: dict | None = None, half: bool = True
) -> Path:
    """Save weights (float16 when ``half``, to stay small), vocabulary, sizes and ``meta``."""
    state = {
        k: (v.half() if half and v.is_floating_point() else v).clone()
        for k, v in model.state_dict().items()
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "state_dict": state,
            "chars": vocab.chars,
            "config": model.config,
            "meta": dict(meta or {}),
        },
        path,
    )
    return path


def load_checkpoint(path=None):
    """-> (model, vocab, meta) from ``path`` (default: the shipped checkpoint), in eval mode."""
    path = _data_path(CHECKPOINT) if path is None else Path(path)
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    vocab = Vocab(ckpt["chars"])
    model = CharLSTM(**ckpt["config"], forget_bias=0.0)
    model.load_state_dict(
        {k: v.float() if v.is_floating_point() else v for k, v in ckpt["state_dict"].items()}
    )
    model.eval()
    return model, vocab, ckpt.get("meta", {})


def main(argv=None):
    """Train a char-LSTM on the shipped text and save a checkpoint (reproducible: seeded)."""
    ap = argparse.ArgumentParser(prog="python -m lstm_course.charlm", description=main.__doc__)
    ap.add_argument("--out", default=str(_data_path(CHECKPOINT)))
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--embed", type=int, default=32)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq-len", type=int, default=100)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batching", choices=BATCHINGS, default="random")
    ap.add_argument(
        "--val-fraction",
        type=float,
        default=VAL_FRACTION,
        help="the last part of the text, held out (never trained on)",
    )
    ap.add_argument("--time-limit", type=float, default=None, help="seconds; stop early")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    text = load_text()
    vocab = Vocab.from_text(text)
    train_ids, val_ids = train_val_split(vocab.encode(text), args.val_fraction)
    torch.manual_seed(args.seed)
    model = CharLSTM(len(vocab), args.hidden, args.embed)
    hist = train_charlm(
        model,
        train_ids,
        steps=args.steps,
        batch_size=args.batch,
        seq_len=args.seq_len,
        lr=args.lr,
        seed=args.seed,
        progress=True,
        time_limit=args.time_limit,
        batching=args.batching,
    )
    meta = {
        "steps": hist["steps"],
        "seconds": round(hist["seconds"], 1),
        "eval_loss": round(evaluate_loss(model, train_ids), 4),  # a batch of training windows
        "val_loss": round(text_loss(model, val_ids, args.seq_len), 4),  # held out, one pass
        "val_fraction": args.val_fraction,
        "batching": args.batching,
        "batch": args.batch,
        "seq_len": args.seq_len,
        "lr": args.lr,
        "seed": args.seed,
        "corpus": CORPUS,
        "torch": str(torch.__version__),
    }
    path = save_checkpoint(model, vocab, args.out, meta)
    print(f"saved {path} ({path.stat().st_size / 1e6:.2f} MB): {meta}")
    print(sample(model, vocab, "It is a truth", 300, temperature=0.7, seed=0))
    return 0


# ----------------------------------------------------------------------------- plots


def plot_loss(
    losses, ax=None, window: int = 20, title: str | None = None, label: str = "char-LSTM"
):
    """Training cross-entropy per step (faint) and its running mean, with the uniform-guess line."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    from .adding import smooth  # noqa: PLC0415
    from .plotting import GATE_COLOURS  # noqa: PLC0415

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.6))
    losses = np.asarray(losses)
    ax.plot(losses, color=GATE_COLOURS["lstm"], alpha=0.3, lw=0.8)
    ax.plot(
        smooth(losses, window), color=GATE_COLOURS["lstm"], lw=2, label=f"{label} (running mean)"
    )
    ax.set_xlabel("training step (one batch each)")
    ax.set_ylabel("cross-entropy (nats per character)")
    ax.set_title(title or "Character-level LSTM: training loss")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right")
    return ax


BATCHING_LABELS = {
    "random": "random windows, zero state",
    "carried": "streams, state carried (TBPTT)",
}


def plot_batching_comparison(runs: dict, axes=None, window: int = 20, zoom_from: int = 50):
    """Two panels for the runs of `compare_batching` ({"random": run, "carried": run}):
    left, training loss (running mean, thin) and held-out loss (one pass over the validation
    text, dots) against the training step; right, the held-out loss alone from step
    ``zoom_from`` on, where the runs differ by hundredths. Returns the two Axes."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    from .adding import smooth  # noqa: PLC0415
    from .plotting import GATE_COLOURS  # noqa: PLC0415

    colours = {"random": GATE_COLOURS["stm"], "carried": GATE_COLOURS["lstm"]}
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
    ax, zoom = axes
    for name, run in runs.items():
        colour = colours.get(name, "#333333")
        label = BATCHING_LABELS.get(name, name)
        ax.plot(smooth(run["loss"], window), color=colour, lw=1, alpha=0.6,
                label=f"{label}: training (running mean)")  # fmt: skip
        if "val_loss" in run:
            steps, val = np.asarray(run["val_steps"]), np.asarray(run["val_loss"])
            ax.plot(steps, val, "o-", color=colour, lw=2, ms=5, label=f"{label}: held-out")
            keep = steps >= zoom_from
            zoom.plot(steps[keep], val[keep], "o-", color=colour, lw=2, ms=5, label=label)
    ax.set_xlabel("training step (one batch each)")
    ax.set_ylabel("cross-entropy (nats per character)")
    ax.set_title("Training and held-out loss")
    ax.legend(loc="upper right", fontsize=8)
    zoom.set_xlabel("training step")
    zoom.set_ylabel("held-out cross-entropy (one pass)")
    zoom.set_title(f"Held-out loss, from step {zoom_from} on")
    zoom.legend(loc="upper right", fontsize=8)
    for a in axes:
        a.grid(True, alpha=0.3)
    return axes


def activation_html(text: str, values, levels: int = 10) -> str:
    """``text`` as HTML, every character's background coloured by its value in ``values``
    (T,), expected in [-1, 1] (tanh(c)): red for positive, blue for negative, the stronger
    the larger |value|. Intensities are rounded to ``levels`` steps (small HTML, and the same
    HTML for round-off-level differences); a newline shows as a coloured ↵ before the break."""
    import html  # noqa: PLC0415

    values = np.clip(np.asarray(values, dtype=np.float64), -1.0, 1.0)
    if values.shape != (len(text),):
        raise ValueError(f"values has shape {values.shape}, expected ({len(text)},)")
    steps = np.rint(values * levels).astype(int)  # -levels .. levels
    parts, k = [], 0
    while k < len(text):  # one span per run of equal colour
        j = k
        while j < len(text) and steps[j] == steps[k]:
            j += 1
        chunk = html.escape(text[k:j]).replace("\n", "↵\n")
        level = steps[k]
        if level == 0:
            parts.append(chunk)
        else:
            rgb = "214,39,40" if level > 0 else "31,119,180"  # GATE_COLOURS red / blue
            alpha = abs(level) / levels
            parts.append(f'<span style="background-color:rgba({rgb},{alpha:.2f})">{chunk}</span>')
        k = j
    return (
        '<div style="font-family:monospace;white-space:pre-wrap;line-height:1.6;'
        'max-width:48em">' + "".join(parts) + "</div>"
    )


def show_char(c: str) -> str:
    """A printable label for a character (space, newline and quotes made visible)."""
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(c, c)


def plot_next_char_probs(chars, probs, ax=None, prompt: str | None = None):
    """Bar chart of the most likely next characters."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    from .plotting import GATE_COLOURS  # noqa: PLC0415

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.4))
    x = np.arange(len(chars))
    ax.bar(x, probs, color=GATE_COLOURS["use"], edgecolor="#333333", label="P(next character)")
    ax.set_xticks(x, [show_char(c) for c in chars])
    ax.set_xlabel("next character (␣ = space, ↵ = new line)")
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1)
    shown = "" if prompt is None else f" after {prompt[-30:]!r}"
    ax.set_title("What the LSTM expects next" + shown)
    ax.legend(loc="upper right")
    return ax


if __name__ == "__main__":
    raise SystemExit(main())
