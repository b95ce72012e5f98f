"""A character-level LSTM language model (PyTorch): vocabulary, batches, training, sampling.

The model reads one character at a time (an Event = the character's embedding), keeps its
STM/LTM across the text, and predicts a probability for every possible next character:

    chars -> Embedding -> nn.LSTM -> Linear -> logits over the vocabulary

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
    "batches",
    "CharLSTM",
    "train_charlm",
    "evaluate_loss",
    "sample",
    "next_char_probs",
    "save_checkpoint",
    "load_checkpoint",
    "main",
    "plot_loss",
    "plot_next_char_probs",
    "show_char",
]

CORPUS = "pride_and_prejudice.txt"
CHECKPOINT = "charlm_austen.pt"


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


def batches(ids, batch_size: int, seq_len: int, rng):
    """One random batch of windows of the encoded text: (inputs, targets), each (B, L) int64.

    targets are the inputs shifted by one character (the next character at every position).
    ``rng``: an int seed or a np.random.Generator (draw many batches from one Generator).
    """
    ids = np.asarray(ids)
    if len(ids) < seq_len + 1:
        raise ValueError(f"text of {len(ids)} characters is shorter than seq_len + 1")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    starts = rng.integers(0, len(ids) - seq_len, size=batch_size)
    window = starts[:, None] + np.arange(seq_len + 1)[None]
    chunk = ids[window]
    return chunk[:, :-1].copy(), chunk[:, 1:].copy()


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


def _loss(model, x, y):
    logits, _ = model(torch.from_numpy(x))
    return nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), torch.from_numpy(y).reshape(-1)
    )


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
):
    """Adam on random windows of ``ids``; returns {"loss": per-step cross-entropy (nats/char),
    "seconds", "steps"}. ``progress`` shows a tqdm.auto bar; ``time_limit`` stops early."""
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    bar = None
    if progress:
        from tqdm.auto import tqdm  # noqa: PLC0415

        bar = tqdm(total=steps, desc=desc, mininterval=0.5)
    start = time.perf_counter()
    model.train()
    for step in range(steps):
        x, y = batches(ids, batch_size, seq_len, rng)
        loss = _loss(model, x, y)
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
        if time_limit is not None and time.perf_counter() - start > time_limit:
            break
    if bar is not None:
        bar.close()
    model.eval()
    return {"loss": losses, "seconds": time.perf_counter() - start, "steps": len(losses)}


def evaluate_loss(model, ids, batch_size: int = 64, seq_len: int = 64, seed: int = 1) -> float:
    """Mean cross-entropy (nats per character) on one fixed random batch of windows."""
    x, y = batches(ids, batch_size, seq_len, np.random.default_rng(seed))
    model.eval()
    with torch.no_grad():
        return float(_loss(model, x, y))


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
    ap.add_argument("--time-limit", type=float, default=None, help="seconds; stop early")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    text = load_text()
    vocab = Vocab.from_text(text)
    ids = vocab.encode(text)
    torch.manual_seed(args.seed)
    model = CharLSTM(len(vocab), args.hidden, args.embed)
    hist = train_charlm(
        model,
        ids,
        steps=args.steps,
        batch_size=args.batch,
        seq_len=args.seq_len,
        lr=args.lr,
        seed=args.seed,
        progress=True,
        time_limit=args.time_limit,
    )
    loss = evaluate_loss(model, ids)
    meta = {
        "steps": hist["steps"],
        "seconds": round(hist["seconds"], 1),
        "eval_loss": round(loss, 4),
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


if __name__ == "__main__":
    raise SystemExit(main())


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
