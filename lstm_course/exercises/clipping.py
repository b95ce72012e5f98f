"""Exercise 11: clipping by the global norm (lstm_course.clipping.clip_by_global_norm)."""

from __future__ import annotations

import numpy as np

from .. import clipping
from .base import Exercise, Mistake

__all__ = ["CLIP_BY_GLOBAL_NORM"]


# --------------------------------------------------------------------------- cases


def _grads(rng, shapes, norms):
    """Gradient arrays named like the course's parameters, each with a chosen L2 norm."""
    out = {}
    for (name, shape), norm in zip(shapes, norms, strict=True):
        g = rng.standard_normal(shape)
        out[name] = g * (norm / np.linalg.norm(g))
    return out


LSTM_SHAPES = (("W_f", (5, 3)), ("b_f", (3,)), ("W_n", (5, 3)), ("b_n", (3,)))


def clip_cases(rng):
    """Every global norm is at least 2, so the 1e-6 of clip_grad_norm_ is below the tolerance.

    1. clipped, and one array alone is under max_norm (per-array clipping shows);
    2. under max_norm: nothing to clip;
    3. exploding: one array of norm 1000, the others small;
    4. a single array.
    """
    return [
        dict(grads=_grads(rng, LSTM_SHAPES, (8.0, 1.5, 9.0, 0.5)), max_norm=5.0),
        dict(grads=_grads(rng, LSTM_SHAPES, (1.5, 0.4, 2.0, 0.3)), max_norm=5.0),
        dict(grads=_grads(rng, LSTM_SHAPES, (1000.0, 3.0, 0.8, 0.2)), max_norm=1.0),
        dict(grads=_grads(rng, (("W_hh", (4, 4)),), (30.0,)), max_norm=10.0),
    ]


# --------------------------------------------------------------------------- mistakes


def _m(name, diagnosis, *edits):
    return Mistake(name, diagnosis, tuple(edits))


CLIP_MISTAKES = ()
# BEGIN SOLUTION
CLIP_MISTAKES = (
    _m(
        "per_array",
        "you clipped every array by its own norm; clipping by the GLOBAL norm scales all the "
        "arrays by one factor, min(1, max_norm / ||g||_2), with ||g||_2 taken over all of them "
        "together (so the direction of the whole step is kept).",
        (
            "return {name: g * scale for name, g in grads.items()}",
            "return {name: g * min(1.0, max_norm / (np.sqrt(np.sum(g**2)) + 1e-6))\n"
            "        for name, g in grads.items()}",
        ),
    ),
    _m(
        "max_not_min",
        "you used max where min belongs: scale = min(1, max_norm / ||g||_2) never makes a "
        "gradient longer; with max, a long gradient is left as it is and a short one is "
        "blown up to max_norm.",
        ("min(1.0,", "max(1.0,"),
    ),
    _m(
        "no_sqrt",
        "your norm is the sum of squares without the square root: ||g||_2 = "
        "sqrt(sum of every squared entry of every array).",
        ("norm = np.sqrt(total)", "norm = total"),
    ),
    _m(
        "always_clip",
        "you scaled the gradients even when their norm is below max_norm (they came out longer "
        "than they were); clipping only ever shrinks: scale = min(1, max_norm / ||g||_2).",
        ("min(1.0, max_norm / (norm + 1e-6))", "max_norm / (norm + 1e-6)"),
    ),
    _m(
        "ratio_inverted",
        "your factor is upside down: scale = min(1, max_norm / ||g||_2), the threshold over the "
        "norm (a norm twice max_norm halves the gradients).",
        ("max_norm / (norm + 1e-6)", "norm / max_norm"),
    ),
)
# END SOLUTION


# --------------------------------------------------------------------------- exercises

CLIP_BY_GLOBAL_NORM = Exercise(
    fn=clipping.clip_by_global_norm,
    notebook="11_exploding_gradients",
    title="Clipping by the global norm",
    cases=clip_cases,
    mistakes=CLIP_MISTAKES,
    hints=(
        "First one number for all the arrays together: the length of the whole gradient, as if "
        "every array were flattened into one long vector. Then one factor, never above 1, and "
        "a NEW dict with every array times that factor.",
        "||g||_2 = sqrt(sum over arrays of np.sum(g**2)),  scale = min(1, max_norm / (||g||_2 "
        "+ 1e-6)),  return {name: g * scale for name, g in grads.items()}  (the 1e-6, as in "
        "torch.nn.utils.clip_grad_norm_, only avoids dividing by zero).",
    ),
)
