"""Widget for notebook 06: the lesson's Use gate beside the standard one, on the same inputs.

A thin shell over lstm_course.lstm_forward (NumPy only; no torch needed).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..plotting import GATE_COLOURS
from ..sequence import lstm_forward
from ._common import fslider, interactive, islider, show, subplots

__all__ = ["compare_use_gates", "plot_use_gate_comparison", "use_gate_comparison_widget"]


def compare_use_gates(params, events) -> dict:
    """Run the same weights and Events through both cells (the standard one ignores W_u, b_u).

    events (B, T, D). Returns {'lesson': stms, 'standard': stms, 'difference': lesson - standard,
    'lesson_ltm', 'standard_ltm'}, each (B, T, H)."""
    out = {}
    for variant in ("lesson", "standard"):
        _, _, cache = lstm_forward(events, params, variant=variant, return_cache=True)
        stms = np.stack([c["U"] * c["V"] for c in cache["steps"]], axis=1)
        ltms = np.stack([c["kept"] + c["N"] * c["i"] for c in cache["steps"]], axis=1)
        out[variant], out[variant + "_ltm"] = stms, ltms
    out["difference"] = out["lesson"] - out["standard"]
    return out


def plot_use_gate_comparison(result: dict, unit: int = 0, seq: int = 0, axes=None):
    """Two panels: both cells' STM of one unit over time, and their difference."""
    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
    t = np.arange(result["lesson"].shape[1])
    ax = axes[0]
    ax.plot(
        t,
        result["lesson"][seq, :, unit],
        color=GATE_COLOURS["use"],
        lw=2,
        label="lesson:\n" + r"$STM_t = \tanh((LTM_{t-1} f_t)\, W_u + b_u) \cdot V_t$",
    )
    ax.plot(
        t,
        result["standard"][seq, :, unit],
        color=GATE_COLOURS["stm"],
        lw=2,
        ls="--",
        label="standard:\n" + r"$STM_t = V_t \cdot \tanh(LTM_t)$",
    )
    ax.set_ylabel(f"$STM_t$, unit {unit}")
    ax.set_title("The same weights and Events through the two Use gates")
    # Outside the axes, so that it never covers a curve (tight_layout makes room for it).
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax = axes[1]
    ax.plot(
        t,
        result["difference"][seq, :, unit],
        color=GATE_COLOURS["event"],
        lw=2,
    )
    ax.axhline(0, color="#333333", lw=0.8)
    ax.set_xlabel("time step t")
    ax.set_ylabel("lesson - standard")
    ax.set_title("Difference of the two short-term memories")
    return axes


def use_gate_comparison_widget(params, events, plot: bool = True):
    """Sliders: which STM unit to show, and a scale applied to the Events. Plots both cells'
    STM and their difference. result: dict(unit, scale, max_abs_difference)."""

    def update(unit, scale):
        result = compare_use_gates(params, events * scale)
        diff = float(np.abs(result["difference"][0, :, unit]).max())
        print(f"unit {unit}, Events x {scale:.1f}: largest |lesson - standard| = {diff:.3f}")
        if plot:
            fig, axes = subplots(2, 1, figsize=(8, 5), sharex=True)
            plot_use_gate_comparison(result, unit=unit, axes=axes)
            fig.tight_layout()
            show(fig)
        return dict(unit=int(unit), scale=float(scale), max_abs_difference=diff)

    H = params.hidden_size
    return interactive(
        update,
        unit=islider("STM unit", 0, 0, H - 1),
        scale=fslider("Event scale", 1.0, 0.0, 3.0, 0.1),
    )
