"""The adding problem: a long-lag benchmark where a plain RNN fails and an LSTM succeeds.

Hochreiter & Schmidhuber (1997), experiment 4, in its modern form (Le et al. 2015,
Arjovsky et al. 2016): every step t = 0..T-1 carries an Event of two numbers,

    value_t  ~ U[0, 1]
    marker_t in {0, 1}, exactly two 1s: one in the first half, one in the second half

and the target is the sum of the two marked values. Always predicting 1 (the mean of the sum)
gives MSE = Var(u1 + u2) = 2/12 = 0.167: the baseline a model must beat to have remembered
anything. The first marker may sit ~T steps before the end, so the model must carry a value
across a lag of up to T steps.

The data generator is NumPy only; the models and the training loop need torch (imported lazily).
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["BASELINE_MSE", "adding_data", "baseline_mse", "AddingModel", "make_model",
           "train_adding", "evaluate", "gate_activity", "DEFAULT_CONFIG", "smooth",
           "plot_learning_curves", "plot_gate_activity"]

BASELINE_MSE = 1.0 / 6.0  # Var(u1 + u2) with u1, u2 ~ U[0, 1] independent: the MSE of predicting 1

# A configuration measured to solve T=100 quickly and reliably on a 2-core CPU (see the tests and
# notebook 08): both models get the same optimizer (Adam), batch size, clipping and step budget.
DEFAULT_CONFIG = dict(T=100, batch_size=128, steps=500, clip=1.0,
                      lstm=dict(hidden_size=32, lr=1e-2, forget_bias=1.0),
                      rnn=dict(hidden_size=64, lr=1e-3))


def adding_data(n: int, T: int = 100, seed=None, dtype=np.float32):
    """n sequences of the adding problem.

    Returns (events (n, T, 2), targets (n,)): events[..., 0] the values, events[..., 1] the
    markers. ``seed`` is an int or a np.random.Generator (same seed -> same data).
    """
    if T < 2:
        raise ValueError(f"T must be at least 2 (one marker in each half), got {T}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, T))
    half = T // 2
    first = rng.integers(0, half, size=n)          # a position in the first half
    second = rng.integers(half, T, size=n)         # a position in the second half
    markers = np.zeros((n, T))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    targets = values[rows, first] + values[rows, second]
    events = np.stack([values, markers], axis=-1)
    return events.astype(dtype), targets.astype(dtype)


def baseline_mse(targets) -> float:
    """The MSE of always predicting 1 (about 0.167 on a large sample)."""
    targets = np.asarray(targets, dtype=np.float64)
    return float(np.mean((targets - 1.0) ** 2))


# ----------------------------------------------------------------------------- torch part

def _torch():
    import torch  # noqa: PLC0415  (lazy: the data generator must work without torch)
    return torch


def AddingModel(kind: str = "lstm", hidden_size: int = 32, forget_bias: float = 0.0):
    """A recurrent layer (nn.LSTM or a tanh nn.RNN, batch first) and a linear read-out of the
    last STM: (B, T, 2) -> (B,). ``forget_bias`` is added to the LSTM's forget-gate bias."""
    torch = _torch()
    from torch import nn  # noqa: PLC0415

    class _AddingModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.kind = kind
            if kind == "lstm":
                self.rnn = nn.LSTM(2, hidden_size, batch_first=True)
                with torch.no_grad():   # PyTorch row blocks (i, f, g, o): f is the second
                    self.rnn.bias_ih_l0[hidden_size:2 * hidden_size] += forget_bias
            elif kind == "rnn":
                self.rnn = nn.RNN(2, hidden_size, nonlinearity="tanh", batch_first=True)
            else:
                raise ValueError(f"kind must be 'lstm' or 'rnn', got {kind!r}")
            self.out = nn.Linear(hidden_size, 1)

        def forward(self, events):
            stms, _ = self.rnn(events)
            return self.out(stms[:, -1]).squeeze(-1)

    return _AddingModel()


def make_model(kind: str, seed: int = 0, config: dict | None = None):
    """The model of ``kind`` ('lstm' or 'rnn') with the sizes of ``config`` (DEFAULT_CONFIG),
    its weights drawn after torch.manual_seed(seed)."""
    torch = _torch()
    cfg = (config or DEFAULT_CONFIG)[kind]
    torch.manual_seed(seed)
    return AddingModel(kind, cfg["hidden_size"], cfg.get("forget_bias", 0.0))


def evaluate(model, events, targets) -> float:
    """MSE of the model on NumPy arrays (events (n, T, 2), targets (n,))."""
    torch = _torch()
    model.eval()
    with torch.no_grad():
        pred = model(torch.as_tensor(events, dtype=torch.float32))
        return float(torch.mean((pred - torch.as_tensor(targets, dtype=torch.float32)) ** 2))


def train_adding(model, steps: int = 500, T: int = 100, batch_size: int = 128, lr: float = 1e-2,
                 clip: float | None = 1.0, seed: int = 0, progress: bool = False,
                 desc: str | None = None, time_limit: float | None = None) -> dict:
    """Train ``model`` with Adam on fresh adding-problem batches (seeded: same seed, same batches).

    Every step draws a new batch of ``batch_size`` sequences of length T. Gradients are clipped
    to norm ``clip``. Returns {"loss": per-step training MSE (list), "seconds": wall time,
    "steps": steps done}. ``progress`` shows a tqdm.auto bar; ``time_limit`` (seconds) stops early.
    """
    torch = _torch()
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    bar = None
    if progress:
        from tqdm.auto import tqdm  # noqa: PLC0415
        bar = tqdm(total=steps, desc=desc or f"{getattr(model, 'kind', 'model')} T={T}")
    start = time.perf_counter()
    model.train()
    for step in range(steps):
        x, y = adding_data(batch_size, T, rng)
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        loss = torch.mean((model(x) - y) ** 2)
        opt.zero_grad()
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        losses.append(float(loss.detach()))
        if bar is not None:
            bar.update(1)
            if step % 20 == 0:
                bar.set_postfix(mse=f"{losses[-1]:.3f}")
        if time_limit is not None and time.perf_counter() - start > time_limit:
            break
    if bar is not None:
        bar.close()
    model.eval()
    return {"loss": losses, "seconds": time.perf_counter() - start, "steps": len(losses)}


def gate_activity(model, events) -> dict:
    """The LSTM's gates on one sequence, computed by the course's own NumPy cell.

    events: (T, 2) (one sequence). The nn.LSTM's weights are mapped to the lesson's names with
    lstm_course.pytorch_layout.params_from_pytorch and run through lstm_course.lstm_forward
    (variant 'standard', which is what nn.LSTM computes). Returns arrays of shape (T, H):
    'forget' (f_t), 'learn' (i_t), 'use' (V_t = o_t), 'ltm' (c_t), 'stm' (h_t), and 'prediction'.
    """
    from .pytorch_layout import params_from_pytorch  # noqa: PLC0415
    from .sequence import lstm_forward  # noqa: PLC0415

    lstm = model.rnn
    params = params_from_pytorch(*(getattr(lstm, n).detach().double().numpy() for n in
                                   ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")))
    x = np.asarray(events, dtype=np.float64)[None]            # (1, T, 2)
    stms, _, cache = lstm_forward(x, params, variant="standard", return_cache=True)
    steps = cache["steps"]
    out = {name: np.stack([c[key][0] for c in steps]) for name, key in
           (("forget", "f"), ("learn", "i"), ("use", "V"))}
    out["ltm"] = np.stack([c["kept"][0] + c["N"][0] * c["i"][0] for c in steps])
    out["stm"] = stms[0]
    w = model.out.weight.detach().double().numpy()[0]
    out["prediction"] = float(stms[0, -1] @ w + float(model.out.bias.detach()))
    return out


# ----------------------------------------------------------------------------- plots

def smooth(values, window: int = 20) -> np.ndarray:
    """Running mean over ``window`` steps (shorter at the start), for noisy training curves."""
    v = np.asarray(values, dtype=np.float64)
    c = np.concatenate([[0.0], np.cumsum(v)])
    idx = np.arange(1, len(v) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def plot_learning_curves(histories: dict, ax=None, window: int = 20, title: str | None = None):
    """Training MSE per step for {'LSTM': history, 'RNN': history}, with the 0.167 baseline."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    from .plotting import GATE_COLOURS  # noqa: PLC0415

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    for name, hist in histories.items():
        colour = GATE_COLOURS["lstm" if "lstm" in name.lower() else "rnn"]
        loss = np.asarray(hist["loss"])
        ax.semilogy(loss, color=colour, alpha=0.25, lw=0.8)
        ax.semilogy(smooth(loss, window), color=colour, lw=2, label=f"{name} (running mean)")
    ax.axhline(BASELINE_MSE, color="#333333", ls="--", lw=1.2,
               label="baseline: always predict 1 (MSE 0.167)")
    ax.set_xlabel("training step (one batch each)")
    ax.set_ylabel("training MSE (log scale)")
    ax.set_title(title or "The adding problem, T=100: learning curves")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left")
    return ax


def plot_gate_activity(activity: dict, events, target: float | None = None, units: int = 3):
    """Three panels for one sequence: the Event (values and the two markers), the forget gate f_t
    of every unit (heat map), and the LTM of the ``units`` units that change most at the markers.
    Returns the figure."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    from .plotting import GATE_COLOURS, gate_cmap  # noqa: PLC0415

    events = np.asarray(events)
    T = len(events)
    marks = np.flatnonzero(events[:, 1] > 0.5)
    f, ltm = activity["forget"], activity["ltm"]
    fig, axes = plt.subplots(3, 1, figsize=(9, 7), sharex=True,
                             gridspec_kw=dict(height_ratios=[1, 1.6, 1.4]))
    ax = axes[0]
    ax.bar(np.arange(T), events[:, 0], color=GATE_COLOURS["event"], width=0.8, label="value")
    ax.bar(marks, events[marks, 0], color=GATE_COLOURS["learn"], width=1.5, label="marked value")
    what = ("" if target is None
            else f": target {target:.2f}, prediction {activity['prediction']:.2f}")
    ax.set_title("The Event: values in U[0, 1], two of them marked" + what)
    ax.set_ylabel("value")
    ax.legend(loc="upper right", fontsize=8)
    ax = axes[1]
    order = np.argsort(f.mean(axis=0))
    im = ax.imshow(f[:, order].T, aspect="auto", cmap=gate_cmap("forget"), vmin=0, vmax=1,
                   interpolation="nearest", extent=(-0.5, T - 0.5, f.shape[1] - 0.5, -0.5))
    for m in marks:
        ax.axvline(m, color=GATE_COLOURS["learn"], lw=1, ls="--")
    ax.set_ylabel("unit (sorted)")
    ax.set_title(r"Forget factor $f_t$ of every unit (1 = keep the LTM, 0 = erase it)")
    fig.colorbar(im, ax=ax, label="$f_t$", pad=0.01)
    ax = axes[2]
    jump = np.abs(np.diff(np.vstack([np.zeros((1, ltm.shape[1])), ltm]), axis=0))[marks].sum(axis=0)
    for rank, u in enumerate(np.argsort(-jump)[:units]):
        ax.plot(ltm[:, u], color=GATE_COLOURS["ltm"], lw=2 - 0.5 * rank, alpha=1 - 0.25 * rank,
                label=f"LTM of unit {u}")
    for m in marks:
        ax.axvline(m, color=GATE_COLOURS["learn"], lw=1, ls="--")
    ax.set_xlabel("time step t")
    ax.set_ylabel("$LTM_t$")
    ax.set_title("Long-term memory: set at the markers, held in between (f close to 1)")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig
