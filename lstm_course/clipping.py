"""Exploding gradients and clipping by the global norm.

The gradients of every parameter, taken together, form one long vector g. Its length is the
global L2 norm ||g||_2 = sqrt(sum over all arrays of the sum of their squared entries). Clipping
by the global norm shrinks ALL the arrays by the same factor when that length is too large:

    scale = min(1, max_norm / ||g||_2)        g <- scale * g

so the direction of the step is kept and only its size is capped (Pascanu et al. 2013;
``torch.nn.utils.clip_grad_norm_``, which adds 1e-6 to the norm so that a zero gradient does
not divide by zero; so does ``clip_by_global_norm``).

``exploding_run`` (torch, imported lazily) trains a tanh RNN with large recurrent weights on the
adding problem, with or without clipping, and records the global norm of every step's gradient.
"""

from __future__ import annotations

import numpy as np

__all__ = ["clip_by_global_norm", "exploding_run", "EXPLODING_CONFIG"]


# The answer is laid out by hand (aligned comments): keep the formatter off.
# fmt: off
def clip_by_global_norm(grads, max_norm):
    """{name: gradient array} -> a new dict, every array scaled by min(1, max_norm / ||g||_2).

    ||g||_2 is the global L2 norm over all the arrays together. The arrays passed in are left
    as they were.
    """
    # BEGIN SOLUTION
    total = sum(np.sum(g**2) for g in grads.values())   # every squared entry of every array
    norm = np.sqrt(total)                               # the global L2 norm ||g||_2
    scale = min(1.0, max_norm / (norm + 1e-6))          # shrink only when it is too long
    return {name: g * scale for name, g in grads.items()}
    # END SOLUTION
# fmt: on


# Measured on a 2-core CPU (torch 2.13, 1 thread): with these settings the run without clipping
# has gradient norms in the hundreds to thousands and its loss jumps far above the baseline,
# the clipped run's loss stays near it; about 1 s per run.
EXPLODING_CONFIG = dict(T=30, hidden_size=32, gain=2.0, lr=0.05, batch_size=32, steps=150)


def exploding_run(
    max_norm=None, clip_fn=None, seed: int = 0, stop_above: float = 1e6, **config
) -> dict:
    """Train a tanh RNN whose recurrent weights are scaled by ``gain`` (an exploding one) with
    plain SGD on the adding problem, clipping each step's gradients with ``clip_fn(grads,
    max_norm)`` (clip_by_global_norm by default) when ``max_norm`` is given.

    Returns {"norm": the global gradient norm of each step BEFORE clipping, "loss": the
    training MSE of each step, "diverged": the step whose loss passed ``stop_above`` (the run
    stops there) or None}. Same seed, same weights and batches.
    """
    import torch  # noqa: PLC0415  (lazy: the NumPy part must work without torch)

    from .adding import adding_data  # noqa: PLC0415

    cfg = {**EXPLODING_CONFIG, **config}
    clip_fn = clip_by_global_norm if clip_fn is None else clip_fn
    torch.manual_seed(seed)
    H = cfg["hidden_size"]
    rnn = torch.nn.RNN(2, H, nonlinearity="tanh", batch_first=True).double()
    out = torch.nn.Linear(H, 1).double()
    with torch.no_grad():  # W_hh ~ N(0, gain^2 / H): each step stretches the gradient
        rnn.weight_hh_l0.normal_(0.0, cfg["gain"] / np.sqrt(H))
    params = dict(
        [(f"rnn.{n}", p) for n, p in rnn.named_parameters()]
        + [(f"out.{n}", p) for n, p in out.named_parameters()]
    )
    rng = np.random.default_rng(seed)
    norms, losses = [], []
    for _ in range(cfg["steps"]):
        x, y = adding_data(cfg["batch_size"], cfg["T"], rng, dtype=np.float64)
        hs, _ = rnn(torch.from_numpy(x))
        loss = torch.mean((out(hs[:, -1]).squeeze(-1) - torch.from_numpy(y)) ** 2)
        for p in params.values():
            p.grad = None
        loss.backward()
        grads = {n: p.grad.numpy().copy() for n, p in params.items()}
        with np.errstate(all="ignore"):
            norms.append(float(np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()]))))
        losses.append(float(loss.detach()))
        if not np.isfinite(losses[-1]) or losses[-1] > stop_above:
            return {"norm": norms, "loss": losses, "diverged": len(losses) - 1}
        if max_norm is not None:
            grads = clip_fn(grads, max_norm)
        with torch.no_grad():
            for n, p in params.items():
                p -= cfg["lr"] * torch.as_tensor(np.asarray(grads[n]), dtype=p.dtype)
    return {"norm": norms, "loss": losses, "diverged": None}
