"""The constant error carousel: why the LSTM's long-term memory keeps its gradient (NumPy only).

Along the LTM (c) the backward pass only multiplies by forget factors:

    LTM_t = LTM_{t-1} * f_t + N_t * i_t   =>   dLTM_t / dLTM_{t-k} = f_t * f_{t-1} * ... * f_{t-k+1}

(the carousel path; elementwise, one product per unit). With forget factors near 1 this product
stays near 1 for many steps: the error "circulates" unchanged (Hochreiter & Schmidhuber 1997 had
f = 1 exactly; Gers et al. 2000 added the forget gate). This is the path along the LTM alone: the
gradient that reaches LTM_{t-1} is dkept * f_t, and dkept also carries what the Use gate sends
back (notebook 07). A plain tanh RNN instead multiplies by a full matrix and a tanh derivative at
every step; with h_t = tanh(h_{t-1} @ W_hh + x_t @ W_xh + b) (row vectors), its one-step Jacobian
in the column convention of lstm_course.rnn and notebooks 00 and 07
(J[a, b] = d h_t[a] / d h_{t-1}[b]) is

    J_t = d h_t / d h_{t-1} = diag(1 - h_t^2) W_hh^T    (row-vector gradients: dh_{t-1} = dh_t J_t)

so with weights of the usual scale its gradient shrinks (or, with large weights, grows)
geometrically with the lag k.

The LSTM's carousel gradient is reported as the root mean square of the per-unit products
(1 at k = 0); the plain RNN's curve (lstm_course.rnn, notebook 00) is divided by its k = 0 value,
so both start at 1.
With an all-zero input and state, f_t = sigmoid(b_f) exactly, so the product is sigmoid(b_f)^k and
the "memory length" (lag at which the product falls to a fraction q) is log(q) / log(sigmoid(b_f)).
"""

from __future__ import annotations

import numpy as np

from . import rnn
from .activations import sigmoid
from .params import init_params
from .sequence import lstm_forward

__all__ = [
    "forget_products",
    "forget_factor",
    "carousel_gradient_constant",
    "memory_length",
    "lstm_carousel_gradient",
    "rnn_gradient",
    "gradient_vs_lag",
]


def forget_products(forget) -> np.ndarray:
    """Products of the last k forget factors, k = 0..T.

    forget: (T,) or (T, ...) forget-gate activations f_1..f_T of one sequence (time first).
    Returns (T+1, ...): out[k] = f_T * f_{T-1} * ... * f_{T-k+1}  (out[0] = 1), i.e.
    dLTM_T / dLTM_{T-k} along the carousel.
    """
    f = np.asarray(forget, dtype=np.float64)
    ones = np.ones((1,) + f.shape[1:])
    return np.concatenate([ones, np.cumprod(f[::-1], axis=0)], axis=0)


def forget_factor(forget_bias) -> np.ndarray:
    """The forget factor when the gate's input is zero: sigmoid(b_f)."""
    return sigmoid(np.asarray(forget_bias, dtype=np.float64))


def carousel_gradient_constant(lags, forget_bias) -> np.ndarray:
    """sigmoid(b_f) ** k for each lag k: the carousel gradient with a constant forget factor."""
    return forget_factor(forget_bias) ** np.asarray(lags, dtype=np.float64)


def memory_length(forget_bias, fraction: float = 0.5) -> np.ndarray:
    """Lag k at which sigmoid(b_f) ** k falls to ``fraction``: log(fraction) / log(sigmoid(b_f)).

    fraction=0.5 gives the memory's half-life in steps. It grows without bound with the bias:
    for large b_f, log(sigmoid(b_f)) is about -e^{-b_f}, so the lag is about
    log(1 / fraction) * e^{b_f} (positive, since fraction < 1).
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    b = np.asarray(forget_bias, dtype=np.float64)
    log_f = -np.logaddexp(0.0, -b)  # log(sigmoid(b)), stable for large |b|
    return np.log(fraction) / log_f


def _random_events(batch, T, D, rng, scale):
    return scale * rng.standard_normal((batch, T, D))


def lstm_carousel_gradient(
    T: int = 100,
    forget_bias: float = 1.0,
    hidden_size: int = 32,
    input_size: int = 4,
    batch: int = 8,
    seed: int = 0,
    input_scale: float = 1.0,
) -> np.ndarray:
    """dLTM_T / dLTM_{T-k} along the carousel for a random standard LSTM, k = 0..T.

    Runs lstm_forward (init_params with ``forget_bias`` added to b_f, PyTorch's default init
    otherwise) on random N(0, input_scale^2) events, takes the forget factors f_t from the
    cache and returns the per-unit RMS of their products over batch and units: shape (T+1,).
    """
    rng = np.random.default_rng(seed)
    params = init_params(input_size, hidden_size, "standard", seed=rng, forget_bias=forget_bias)
    events = _random_events(batch, T, input_size, rng, input_scale)
    _, _, cache = lstm_forward(events, params, variant="standard", return_cache=True)
    f = np.stack([c["f"] for c in cache["steps"]])  # (T, B, H)
    prods = forget_products(f)  # (T+1, B, H)
    return np.sqrt(np.mean(prods**2, axis=(1, 2)))


def rnn_gradient(
    T: int = 100, hidden_size: int = 32, seed: int = 0, weight_scale: float = 1.0
) -> np.ndarray:
    """The plain tanh RNN's curve, from lstm_course.rnn (notebook 00): ||dSTM_T / dE_{T-k}||
    for k = 0..T-1, divided by its k = 0 value so it starts at 1 like the carousel's."""
    _, norms = rnn.gradient_vs_lag(weight_scale, T, hidden_size=hidden_size, seed=seed)
    return norms / norms[0]


def gradient_vs_lag(
    T: int = 100,
    forget_bias: float = 1.0,
    hidden_size: int = 32,
    seed: int = 0,
    weight_scale: float = 1.0,
) -> dict:
    """Both curves for one plot, k = 0..T-1: {'lag', 'lstm' (carousel: products of the LSTM's
    forget factors), 'rnn' (plain tanh RNN, relative to k = 0), 'constant' (sigmoid(b_f)^k)}."""
    lags = np.arange(T)
    return {
        "lag": lags,
        "lstm": lstm_carousel_gradient(T, forget_bias, hidden_size, seed=seed)[:T],
        "rnn": rnn_gradient(T, hidden_size, seed=seed, weight_scale=weight_scale),
        "constant": carousel_gradient_constant(lags, forget_bias),
    }


def plot_carousel(data: dict, ax=None, forget_bias: float | None = None, title: str | None = None):
    """Plot gradient_vs_lag's curves on a log scale: the LSTM carousel, sigmoid(b_f)^k, the RNN."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    from .plotting import GATE_COLOURS  # noqa: PLC0415

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.8))
    tiny = 1e-30
    bias = "" if forget_bias is None else f", $b_f$ = {forget_bias:+.1f}"
    ax.semilogy(
        data["lag"],
        np.maximum(data["lstm"], tiny),
        color=GATE_COLOURS["forget"],
        lw=2.5,
        label=r"LSTM, along the LTM alone: $\partial LTM_T / \partial LTM_{T-k}$"
        + " = product of forget factors"
        + bias,
    )
    ax.semilogy(
        data["lag"],
        np.maximum(data["constant"], tiny),
        color=GATE_COLOURS["forget"],
        lw=1,
        ls="--",
        label=r"$\sigma(b_f)^k$ (forget factor with zero input)",
    )
    ax.semilogy(
        data["lag"],
        np.maximum(data["rnn"], tiny),
        color=GATE_COLOURS["rnn"],
        lw=2,
        label=r"plain tanh RNN: $\|\partial h_T / \partial x_{T-k}\|$ (relative)",
    )
    ax.set_ylim(1e-12, 2.0)
    ax.set_xlabel("k: steps back in time")
    ax.set_ylabel("gradient size (log scale, 1 at k = 0)")
    ax.set_title(title or "The constant error carousel: gradient reaching k steps back")
    ax.grid(True, which="major", alpha=0.3)
    # Below the axes, so that it never covers a curve (inline figures are saved with a tight
    # bounding box, which keeps it in the picture).
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), fontsize=8, frameon=False)
    return ax
