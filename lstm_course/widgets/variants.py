"""Widgets for notebooks 10 and 11: how long a GRU or an LSTM holds a value, and clipping.

Thin shells, like the other widgets: each factory returns an ipywidgets.interactive whose
.result is a dict of what was shown.
"""

from __future__ import annotations

import numpy as np

from ._common import fslider, interactive, show, subplots

__all__ = ["retention_widget", "clipping_widget"]


def retention_widget(T: int = 60, plot: bool = True):
    """Sliders: the GRU's update gate z_t and the LSTM's forget factor f_t, held constant.

    With nothing new coming in (the candidate is 0, nothing is learned), one unit keeps
    h_t = z * h_{t-1} in the GRU and LTM_t = f * LTM_{t-1} in the LSTM: after k steps a value
    keeps z**k (or f**k) of its size. result: dict(z, f, gru_half_life, lstm_half_life)."""

    def half_life(factor):
        return float(np.log(0.5) / np.log(factor)) if 0 < factor < 1 else float("inf")

    def update(z, f):
        k = np.arange(T + 1)
        gru, lstm = z**k, f**k
        out = dict(z=float(z), f=float(f), gru_half_life=half_life(z), lstm_half_life=half_life(f))
        print(
            f"GRU, z = {z:.2f}: half of the value left after {out['gru_half_life']:.1f} steps; "
            f"LSTM, f = {f:.2f}: after {out['lstm_half_life']:.1f} steps"
        )
        if plot:
            fig, ax = subplots(figsize=(7.5, 3.6), layout="constrained")
            ax.plot(k, gru, lw=2.5, color="#2ca02c", label=f"GRU: h kept, z = {z:.2f}")
            ax.plot(k, lstm, lw=2.5, ls="--", color="#1f77b4", label=f"LSTM: LTM kept, f = {f:.2f}")
            ax.set_xlabel("steps with nothing new")
            ax.set_ylabel("fraction of the value left")
            ax.set_ylim(0, 1.05)
            ax.legend(loc="upper right")
            show(fig)
        return out

    return interactive(
        update,
        z=fslider("GRU update gate z", 0.9, 0.5, 0.99, 0.01),
        f=fslider("LSTM forget factor f", 0.9, 0.5, 0.99, 0.01),
    )


def clipping_widget(norms, clip_fn, plot: bool = True):
    """Slider: max_norm. The gradient norms of a run (before clipping), and what clip_fn makes
    of each step's gradient at that threshold (a one-array gradient of that norm).

    result: dict(max_norm, clipped_steps, largest_after)."""
    norms = np.asarray(norms, dtype=float)
    norms = norms[np.isfinite(norms)]

    def update(log10_max_norm):
        max_norm = float(10.0**log10_max_norm)
        after = np.array(
            [float(np.abs(clip_fn({"g": np.array([n])}, max_norm)["g"][0])) for n in norms]
        )
        clipped = int(np.sum(after < norms * (1 - 1e-9)))
        out = dict(max_norm=max_norm, clipped_steps=clipped, largest_after=float(after.max()))
        print(
            f"max_norm = {max_norm:.3g}: {clipped} of {len(norms)} steps clipped; "
            f"the largest step is now {out['largest_after']:.3g} (was {norms.max():.3g})"
        )
        if plot:
            fig, ax = subplots(figsize=(7.5, 3.6), layout="constrained")
            steps = np.arange(len(norms))
            ax.semilogy(steps, norms, color="#d62728", lw=1.5, label="before clipping")
            ax.semilogy(steps, after, color="#1f77b4", lw=2.5, label="after clipping")
            ax.axhline(max_norm, color="grey", ls=":", lw=1.5, label="max_norm")
            ax.set_xlabel("training step")
            ax.set_ylabel("global gradient norm")
            ax.legend(loc="upper right")
            show(fig)
        return out

    return interactive(update, log10_max_norm=fslider("log10 max_norm", 0.0, -1.0, 4.0, 0.25))
