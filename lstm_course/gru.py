"""The GRU (Cho et al. 2014), batch first and in row vectors like the rest of the course.

A GRU has one memory, h (the STM), and no separate LTM. Two gates read [h_{t-1}, x_t]:

    r_t = sigmoid([h_{t-1}, x_t] W_r + b_r)       reset gate: how much of h_{t-1} the candidate sees
    z_t = sigmoid([h_{t-1}, x_t] W_z + b_z)       update gate: keep the old h (z near 1) or take n
    n_t = tanh(x_t W_xn + b_xn + r_t * (h_{t-1} W_hn + b_hn))     the candidate
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

In the lesson's words: z_t plays the Forget gate (z_t * h_{t-1}, what is kept) and the Learn gate
((1 - z_t) * n_t, what is learnt) at once, tied so that the two factors add up to 1; there is no
Use gate, the memory itself is the output.

The reset gate multiplies the hidden state's projection INCLUDING its bias b_hn, as PyTorch's
``nn.GRU`` does (Cho et al.'s paper applies r_t to h_{t-1} before the projection). Shapes:
h (B, H), x (B, D); W_r, W_z (H+D, H) with the h rows first; W_xn (D, H); W_hn (H, H); biases (H,).

``gru_params_from_pytorch`` maps ``nn.GRU``'s weights (gate rows r, z, n) to these names.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .activations import sigmoid, tanh
from .gates import concat

__all__ = [
    "GRUParams",
    "init_gru_params",
    "gru_cell",
    "gru_forward",
    "gru_params_from_pytorch",
    "GRU_PYTORCH_GATE_ORDER",
]

GRU_PYTORCH_GATE_ORDER = ("r", "z", "n")  # nn.GRU's row blocks of weight_ih_l0 / weight_hh_l0


@dataclass
class GRUParams:
    """All weights and biases of one GRU layer (see the module docstring for shapes)."""

    W_r: np.ndarray
    b_r: np.ndarray
    W_z: np.ndarray
    b_z: np.ndarray
    W_xn: np.ndarray
    b_xn: np.ndarray
    W_hn: np.ndarray
    b_hn: np.ndarray

    @property
    def hidden_size(self) -> int:
        return self.W_hn.shape[1]

    @property
    def input_size(self) -> int:
        return self.W_xn.shape[0]

    @property
    def dtype(self):
        return self.W_r.dtype

    def names(self) -> list[str]:
        return [f.name for f in fields(self)]

    def items(self):
        return [(name, getattr(self, name)) for name in self.names()]

    def as_dict(self) -> dict:
        return dict(self.items())

    def map(self, fn) -> GRUParams:
        """A new GRUParams with fn applied to every array."""
        return GRUParams(**{name: fn(a) for name, a in self.items()})

    def copy(self) -> GRUParams:
        return self.map(np.array)


def init_gru_params(input_size: int, hidden_size: int, seed=None, dtype=np.float64) -> GRUParams:
    """Random parameters, PyTorch's default init: every entry ~ U(-1/sqrt(H), 1/sqrt(H))."""
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    H, D = int(hidden_size), int(input_size)
    k = 1.0 / np.sqrt(H)

    def u(*shape):
        return rng.uniform(-k, k, size=shape).astype(dtype)

    return GRUParams(
        W_r=u(H + D, H),
        b_r=u(H),
        W_z=u(H + D, H),
        b_z=u(H),
        W_xn=u(D, H),
        b_xn=u(H),
        W_hn=u(H, H),
        b_hn=u(H),
    )


# The equations are laid out by hand (aligned comments): keep the formatter off.
# fmt: off
def gru_cell(h, x, params):
    """One GRU step: (h_{t-1} (B, H), x_t (B, D)) -> h_t (B, H).

    r_t = sigmoid([h, x] W_r + b_r),  z_t = sigmoid([h, x] W_z + b_z),
    n_t = tanh(x W_xn + b_xn + r_t * (h W_hn + b_hn)),  h_t = (1 - z_t) * n_t + z_t * h_{t-1}.
    """
    # BEGIN SOLUTION
    p = params
    hx = concat(h, x)                      # [h_{t-1}, x_t]: (B, H+D), h first
    r = sigmoid(hx @ p.W_r + p.b_r)        # reset gate, in (0, 1)
    z = sigmoid(hx @ p.W_z + p.b_z)        # update gate, in (0, 1)
    n = tanh(x @ p.W_xn + p.b_xn + r * (h @ p.W_hn + p.b_hn))   # candidate, in (-1, 1)
    return (1 - z) * n + z * h
    # END SOLUTION
# fmt: on


def gru_forward(events, params: GRUParams, h0=None):
    """Run the GRU over T steps: events (B, T, D) -> (hs (B, T, H), h_T (B, H)).

    h0 (B, H) is the initial state (zeros when None); hs[:, t] is h_t, the state after step t.
    """
    events = np.asarray(events)
    if events.ndim != 3:
        raise ValueError(f"events must be (B, T, D), got shape {events.shape}")
    B, T, D = events.shape
    H = params.hidden_size
    if D != params.input_size:
        raise ValueError(f"events have D={D} features; the parameters expect {params.input_size}")
    dtype = np.result_type(events.dtype, params.dtype)
    if h0 is None:
        h = np.zeros((B, H), dtype)
    else:
        h = np.asarray(h0)
        if h.shape != (B, H):
            raise ValueError(f"h0 must be (B, H) = ({B}, {H}), got shape {h.shape}")
    hs = np.empty((B, T, H), dtype)
    for t in range(T):
        h = gru_cell(h, events[:, t], params)
        hs[:, t] = h
    return hs, h


def gru_params_from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh) -> GRUParams:
    """``nn.GRU``'s weight_ih_l0 (3H, D), weight_hh_l0 (3H, H), bias_ih_l0, bias_hh_l0 (3H,)
    -> GRUParams. Row blocks (r, z, n); PyTorch multiplies column vectors (W @ x).

    r and z: the two weights are joined ([h rows; x rows], transposed) and the two biases added.
    n: kept apart, because the reset gate multiplies only the hidden part, bias_hh's n block
    included: W_xn = W_in.T, b_xn = b_in, W_hn = W_hn.T, b_hn = b_hn.
    """
    weight_ih, weight_hh = np.asarray(weight_ih), np.asarray(weight_hh)
    bias_ih, bias_hh = np.asarray(bias_ih), np.asarray(bias_hh)
    H, D = weight_hh.shape[-1], weight_ih.shape[-1]
    if (
        weight_ih.shape != (3 * H, D)
        or weight_hh.shape != (3 * H, H)
        or bias_ih.shape != (3 * H,)
        or bias_hh.shape != (3 * H,)
    ):
        raise ValueError(
            "expected weight_ih (3H, D), weight_hh (3H, H), biases (3H,); got "
            f"{weight_ih.shape}, {weight_hh.shape}, {bias_ih.shape}, {bias_hh.shape}"
        )

    def block(a, k):
        return a[k * H : (k + 1) * H]

    def joined(k):
        return np.ascontiguousarray(np.concatenate([block(weight_hh, k), block(weight_ih, k)], 1).T)

    return GRUParams(
        W_r=joined(0),
        b_r=block(bias_ih, 0) + block(bias_hh, 0),
        W_z=joined(1),
        b_z=block(bias_ih, 1) + block(bias_hh, 1),
        W_xn=np.ascontiguousarray(block(weight_ih, 2).T),
        b_xn=block(bias_ih, 2).copy(),
        W_hn=np.ascontiguousarray(block(weight_hh, 2).T),
        b_hn=block(bias_hh, 2).copy(),
    )


# ----------------------------------------------------------------------------- torch part:
# which gate matters? A small ablation on the adding problem (lstm_course.adding).

ABLATION_KINDS = {
    "lstm": "LSTM",
    "lstm_no_forget": "LSTM without a forget gate (f_t = 1)",
    "gru": "GRU",
}

# Notebook 10's run (one seed, CPU, 1 thread): small enough for CI, see the notebook's caveats.
ABLATION_CONFIG = dict(T=50, batch_size=64, steps=300, hidden_size=32, lr=2e-2, forget_bias=2.0)


def AblationModel(kind: str = "lstm", hidden_size: int = 32, forget_bias: float = 2.0):
    """An nn.LSTM, an nn.LSTM whose forget gate is fixed at 1, or an nn.GRU (batch first), and
    a linear read-out of the last state: (B, T, 2) -> (B,).

    'lstm_no_forget': the forget rows of the weights are zeroed, their bias set to 30
    (sigmoid(30) is 1.0 in float32) and their gradients masked to zero, so f_t = 1 throughout
    training: the LTM only ever adds (LTM_t = LTM_{t-1} + N_t * i_t, the 1997 LSTM's cell).
    """
    import torch  # noqa: PLC0415
    from torch import nn  # noqa: PLC0415

    if kind not in ABLATION_KINDS:
        raise ValueError(f"kind must be one of {', '.join(ABLATION_KINDS)}, got {kind!r}")
    H = hidden_size

    class _AblationModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.kind = kind
            if kind == "gru":
                self.rnn = nn.GRU(2, H, batch_first=True)
            else:
                self.rnn = nn.LSTM(2, H, batch_first=True)
                f = slice(H, 2 * H)  # PyTorch's row blocks (i, f, g, o): f is the second
                with torch.no_grad():
                    self.rnn.bias_ih_l0[f] += forget_bias
                if kind == "lstm_no_forget":
                    with torch.no_grad():
                        for name in ("weight_ih_l0", "weight_hh_l0", "bias_hh_l0"):
                            getattr(self.rnn, name)[f] = 0.0
                        self.rnn.bias_ih_l0[f] = 30.0
                    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
                        mask = torch.ones_like(getattr(self.rnn, name))
                        mask[f] = 0.0
                        getattr(self.rnn, name).register_hook(lambda g, m=mask: g * m)
            self.out = nn.Linear(H, 1)

        def forward(self, events):
            states, _ = self.rnn(events)
            return self.out(states[:, -1]).squeeze(-1)

    return _AblationModel()


def run_ablation(kinds=tuple(ABLATION_KINDS), seed: int = 0, config: dict | None = None) -> dict:
    """Train each kind with the same seed, batches, optimizer (Adam) and clipping (norm 1) on the
    adding problem; -> {kind: history} (lstm_course.adding.train_adding's, with 'eval': the
    test MSE on 512 fixed sequences every 50 steps)."""
    import torch  # noqa: PLC0415

    from .adding import adding_data, train_adding  # noqa: PLC0415

    cfg = {**ABLATION_CONFIG, **(config or {})}
    test = adding_data(512, cfg["T"], seed=10_000 + seed)
    out = {}
    for kind in kinds:
        torch.manual_seed(seed)
        model = AblationModel(kind, cfg["hidden_size"], cfg["forget_bias"])
        out[kind] = train_adding(
            model,
            steps=cfg["steps"],
            T=cfg["T"],
            batch_size=cfg["batch_size"],
            lr=cfg["lr"],
            clip=1.0,
            seed=seed,
            eval_data=test,
        )
    return out
