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

from .run_cache import cached

__all__ = [
    "BASELINE_MSE",
    "adding_data",
    "baseline_mse",
    "AddingModel",
    "make_model",
    "train_adding",
    "evaluate",
    "gate_activity",
    "DEFAULT_CONFIG",
    "smooth",
    "plot_learning_curves",
    "plot_gate_activity",
    "carrying_units",
]

BASELINE_MSE = 1.0 / 6.0  # Var(u1 + u2) with u1, u2 ~ U[0, 1] independent: the MSE of predicting 1

# Both models get the same optimizer (Adam), batch size, clipping and step budget (notebook 08).
# Measured on a 2-core CPU, T=100, seeds 0-7 (model seed = batch seed): with these settings the
# LSTM's test MSE fell below 0.01 between steps 300 and 650 for all eight seeds (0.0009-0.0020
# at step 700); forget bias 1 or 3 or lr 3e-2 failed for some seeds within 700 steps. The RNN
# stayed at ~0.155 with lr 1e-4, 1e-3 and 1e-2.
DEFAULT_CONFIG = dict(
    T=100,
    batch_size=128,
    steps=700,
    clip=1.0,
    lstm=dict(hidden_size=32, lr=2e-2, forget_bias=2.0),
    rnn=dict(hidden_size=64, lr=1e-3),
)


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
    first = rng.integers(0, half, size=n)  # a position in the first half
    second = rng.integers(half, T, size=n)  # a position in the second half
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
                with torch.no_grad():  # PyTorch row blocks (i, f, g, o): f is the second
                    self.rnn.bias_ih_l0[hidden_size : 2 * hidden_size] += forget_bias
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


@cached(volatile=("time_limit",))  # off unless the test suite turns it on (run_cache.py)
def train_adding(
    model,
    steps: int = 500,
    T: int = 100,
    batch_size: int = 128,
    lr: float = 1e-2,
    clip: float | None = 1.0,
    seed: int = 0,
    progress: bool = False,
    desc: str | None = None,
    time_limit: float | None = None,
    eval_data=None,
    eval_every: int = 50,
) -> dict:
    """Train ``model`` with Adam on fresh adding-problem batches (seeded: same seed, same batches).

    Every step draws a new batch of ``batch_size`` sequences of length T. Gradients are clipped
    to norm ``clip``. Returns {"loss": per-step training MSE (list), "seconds": wall time,
    "steps": steps done}. ``progress`` shows a tqdm.auto bar; ``time_limit`` (seconds) stops early.
    With ``eval_data`` = (events, targets), the history also has "eval": [(step, test MSE), ...]
    every ``eval_every`` steps and after the last one.
    """
    torch = _torch()
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses, evals = [], []
    bar = None
    if progress:
        from tqdm.auto import tqdm  # noqa: PLC0415

        bar = tqdm(
            total=steps, desc=desc or f"{getattr(model, 'kind', 'model')} T={T}", mininterval=0.5
        )
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
        done = step + 1
        out_of_time = time_limit is not None and time.perf_counter() - start > time_limit
        if eval_data is not None and (done % eval_every == 0 or done == steps or out_of_time):
            evals.append((done, evaluate(model, *eval_data)))
            model.train()
        if bar is not None:
            bar.update(1)
            if step % 20 == 0:
                bar.set_postfix(mse=f"{losses[-1]:.3f}", refresh=False)
        if out_of_time:
            break
    if bar is not None:
        bar.close()
    model.eval()
    hist = {"loss": losses, "seconds": time.perf_counter() - start, "steps": len(losses)}
    if eval_data is not None:
        hist["eval"] = evals
    return hist


def _lstm_params(model):
    from .pytorch_layout import params_from_pytorch  # noqa: PLC0415

    lstm = model.rnn
    return params_from_pytorch(
        *(
            getattr(lstm, n).detach().double().numpy()
            for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
        )
    )


def gate_activity(model, events) -> dict:
    """The LSTM's gates on one sequence, computed by the course's own NumPy cell.

    events: (T, 2) (one sequence). The nn.LSTM's weights are mapped to the lesson's names with
    lstm_course.pytorch_layout.params_from_pytorch and run through lstm_course.lstm_forward
    (variant 'standard', which is what nn.LSTM computes). Returns arrays of shape (T, H):
    'forget' (f_t), 'learn' (i_t), 'use' (V_t = o_t), 'ltm' (c_t), 'stm' (h_t); 'prediction';
    'marks' (the marked steps) and 'contribution' (len(marks), T, H): for each marked step, how
    much its value changed the LTM (LTM minus the LTM of the same sequence with that value 0).
    """
    from .sequence import lstm_forward  # noqa: PLC0415

    params = _lstm_params(model)
    x = np.asarray(events, dtype=np.float64)

    def run(seq):
        stms, _, cache = lstm_forward(seq[None], params, variant="standard", return_cache=True)
        return stms[0], cache["steps"]

    stms, steps = run(x)
    out = {
        name: np.stack([c[key][0] for c in steps])
        for name, key in (("forget", "f"), ("learn", "i"), ("use", "V"))
    }
    out["ltm"] = np.stack([c["kept"][0] + c["N"][0] * c["i"][0] for c in steps])
    out["stm"] = stms
    w = model.out.weight.detach().double().numpy()[0]
    out["prediction"] = float(stms[-1] @ w + float(model.out.bias.detach()))
    out["marks"] = np.flatnonzero(x[:, 1] > 0.5)
    contributions = []
    for m in out["marks"]:
        probe = x.copy()
        probe[m, 0] = 0.0
        _, probe_steps = run(probe)
        probe_ltm = np.stack([c["kept"][0] + c["N"][0] * c["i"][0] for c in probe_steps])
        contributions.append(out["ltm"] - probe_ltm)
    out["contribution"] = np.array(contributions).reshape(len(out["marks"]), *out["ltm"].shape)
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
    ax.axhline(
        BASELINE_MSE,
        color="#7f7f7f",  # grey, so the black RNN curve on top of it stays visible
        ls="--",
        lw=1.2,
        label="baseline: always predict 1 (MSE 0.167)",
    )
    ax.set_xlabel("training step (one batch each)")
    ax.set_ylabel("training MSE (log scale)")
    ax.set_title(title or "The adding problem, T=100: learning curves")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left")
    return ax


def carrying_units(activity: dict, marker: int = 0, units: int = 2) -> np.ndarray:
    """The units whose LTM the ``marker``-th marked value changed most by the last step."""
    contrib = activity["contribution"]
    if len(contrib) <= marker:
        return np.array([], dtype=int)
    return np.argsort(-np.abs(contrib[marker][-1]))[:units]


def plot_gate_activity(
    activity: dict, events, target: float | None = None, units: int = 2, subplots=None
):
    """Three panels for one sequence: the Event (values and the two markers), the forget gate f_t
    of every unit (heat map), and, for the ``units`` units each marked value changed most, what
    that value added to their LTM over time. Returns the figure.

    subplots: what makes the figure (default plt.subplots; a widget passes its own, which
    makes a figure outside pyplot, see lstm_course.widgets._common.subplots)."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    from .plotting import GATE_COLOURS, gate_cmap  # noqa: PLC0415

    events = np.asarray(events)
    T = len(events)
    marks = activity["marks"]
    f = activity["forget"]
    fig, axes = (subplots or plt.subplots)(
        3,
        1,
        figsize=(9, 7.5),
        sharex=True,
        layout="constrained",
        gridspec_kw=dict(height_ratios=[1, 1.6, 1.5]),
    )
    ax = axes[0]
    ax.bar(np.arange(T), events[:, 0], color=GATE_COLOURS["event"], width=0.8, label="value")
    ax.bar(marks, events[marks, 0], color=GATE_COLOURS["learn"], width=1.5, label="marked value")
    # A marked value can be close to 0 (an invisible bar): a triangle and the value mark each one.
    ax.plot(marks, np.full(len(marks), 1.1), "v", color=GATE_COLOURS["learn"], ms=8, label="marker")
    for m in marks:
        ax.annotate(
            f"{events[m, 0]:.2f}",
            (m, 1.1),
            xytext=(7, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color=GATE_COLOURS["learn"],
        )
        ax.axvline(m, color=GATE_COLOURS["learn"], lw=1, ls="--")
    ax.set_ylim(0, 1.22)
    what = (
        "" if target is None else f": target {target:.2f}, prediction {activity['prediction']:.2f}"
    )
    ax.set_title("The Event: values in U[0, 1], two of them marked" + what)
    ax.set_ylabel("value")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax = axes[1]
    order = np.argsort(f.mean(axis=0))
    im = ax.imshow(
        f[:, order].T,
        aspect="auto",
        cmap=gate_cmap("forget"),
        vmin=0,
        vmax=1,
        interpolation="nearest",
        extent=(-0.5, T - 0.5, f.shape[1] - 0.5, -0.5),
    )
    for m in marks:
        ax.axvline(m, color=GATE_COLOURS["learn"], lw=1, ls="--")
    ax.set_ylabel("unit (sorted by mean $f_t$)")
    ax.set_title(r"Forget factor $f_t$ of every unit (1 = keep the LTM, 0 = erase it)")
    # The colour bar sits just right of this panel, in the margin the legends already take.
    fig.colorbar(im, cax=ax.inset_axes([1.02, 0.0, 0.025, 1.0]), label="$f_t$")
    ax = axes[2]
    contrib = activity["contribution"]
    styles = ((GATE_COLOURS["ltm"], "-", "first"), (GATE_COLOURS["learn"], "--", "second"))
    for k, (colour, ls, which) in enumerate(styles[: len(contrib)]):
        for rank, u in enumerate(carrying_units(activity, k, units)):
            ax.plot(
                contrib[k][:, u],
                color=colour,
                ls=ls,
                lw=2.2 - 0.7 * rank,
                alpha=1 - 0.3 * rank,
                label=f"unit {u}: from the {which} marked value",
            )
    for m in marks:
        ax.axvline(m, color=GATE_COLOURS["learn"], lw=1, ls="--")
    ax.axhline(0, color="#333333", lw=0.8)
    ax.set_xlabel("time step t")
    ax.set_ylabel("change of $LTM_t$")
    ax.set_title(
        "What each marked value changed in the LTM\n"
        "(the LTM minus the LTM with that value set to 0)",
        fontsize=10,
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    return fig
