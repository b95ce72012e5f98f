"""Widgets for the gate notebooks (01-05): sliders in, the gate's numbers and a bar chart out.

All maths is in `lstm_course.gate_views`; each factory returns an `ipywidgets.interactive`
whose `.result` is a dict of the numbers shown (rounded floats are only used for display).
The one-unit widgets use a cell with H = 1 and a one-number Event (D = 1), so every weight
matrix is (2, 1): a weight on the STM and a weight on the Event.
"""

from __future__ import annotations

import numpy as np

from ..gate_views import (
    cell_trace,
    describe_step,
    erase_ltm,
    learn_gate_readout,
    remember_readout,
    remembering_params,
    remembering_sequence,
    scalar_weights,
    step_view,
    use_gate_readout,
)
from ..plotting import GATE_COLOURS, plot_values
from ._common import fslider, interactive, islider, show, subplots

__all__ = [
    "learn_gate_widget",
    "forget_gate_widget",
    "remember_gate_widget",
    "use_gate_widget",
    "cell_stepper_widget",
    "example_ltm",
]


def _f(a) -> float:
    return float(np.asarray(a).reshape(-1)[0])


def learn_gate_widget(w_stm: float = 0.5, plot: bool = True):
    """Sliders: STM, Event, the Event weights and biases of N_t and i_t (the STM weights are
    fixed at ``w_stm``). Shows N_t, i_t and N_t * i_t. result: dict(N_t, i_t, learn_out)."""

    def update(stm, event, w_n, b_n, w_i, b_i):
        r = learn_gate_readout(
            stm,
            event,
            scalar_weights(w_stm, w_n),
            np.array([b_n]),
            scalar_weights(w_stm, w_i),
            np.array([b_i]),
        )
        out = dict(N_t=_f(r["N_t"]), i_t=_f(r["i_t"]), learn_out=_f(r["learn_out"]))
        print(
            f"N_t = tanh({w_stm:.2f}*STM + {w_n:.2f}*E + {b_n:.2f}) = {out['N_t']:+.3f}   "
            f"i_t = sigmoid({w_stm:.2f}*STM + {w_i:.2f}*E + {b_i:.2f}) = {out['i_t']:.3f}"
        )
        print(f"Learn gate output N_t * i_t = {out['learn_out']:+.3f}")
        if plot:
            fig, ax = subplots(figsize=(5.5, 3))
            plot_values(
                ax,
                {r"$N_t$": out["N_t"], r"$i_t$": out["i_t"], r"$N_t \cdot i_t$": out["learn_out"]},
                {r"$N_t$": "learn", r"$i_t$": "learn", r"$N_t \cdot i_t$": "learn"},
                title="Learn gate: new information, how much of it, and the product",
            )
            show(fig)
        return out

    return interactive(
        update,
        stm=fslider("STM (h)", 0.5, -1, 1),
        event=fslider("Event (x)", 1.0, -2, 2),
        w_n=fslider("w_n (Event -> N_t)", 1.0, -3, 3),
        b_n=fslider("b_n", 0.0, -2, 2),
        w_i=fslider("w_i (Event -> i_t)", 1.0, -3, 3),
        b_i=fslider("b_i", 0.0, -3, 3),
    )


def example_ltm(size: int = 8, seed: int = 0):
    """A fixed long-term memory to erase in the Forget widget: `size` values in [-1, 1]."""
    return np.round(np.random.default_rng(seed).uniform(-1, 1, size), 2)


def forget_gate_widget(ltm=None, plot: bool = True):
    """Sliders: the forget factor f_t and for how many steps it is held. Shows the LTM
    before and after: LTM * f_t**steps. result: dict(f, steps, left (= f**steps), ltm)."""
    ltm = example_ltm() if ltm is None else np.asarray(ltm, dtype=float)

    def update(f, steps):
        after = erase_ltm(ltm, f, steps)
        left = float(f) ** int(steps)
        print(
            f"f_t = {f:.2f} held for {steps} step(s): each memory is multiplied by "
            f"f_t^{steps} = {left:.3f}"
        )
        print("LTM after: [" + ", ".join(f"{v:+.2f}" for v in after) + "]")
        if plot:
            fig, ax = subplots(figsize=(6.5, 3))
            x = np.arange(len(ltm))
            ax.bar(
                x,
                ltm,
                color="none",
                edgecolor=GATE_COLOURS["event"],
                ls="--",
                label=r"$LTM_{t-1}$ (before)",
            )
            ax.bar(
                x,
                after,
                color=GATE_COLOURS["ltm"],
                alpha=0.85,
                label=rf"$LTM \cdot f_t^{{{steps}}}$ (after)",
            )
            ax.axhline(0, color="#333333", lw=0.8)
            ax.set_ylim(-1.05, 1.05)
            ax.set_xlabel("memory slot (unit)")
            ax.set_ylabel("LTM value")
            ax.set_title(
                f"Forget gate: f_t = {f:.2f} keeps {100 * left:.1f}% of the memory",
                color=GATE_COLOURS["forget"],
            )
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
            show(fig)
        return dict(f=float(f), steps=int(steps), left=left, ltm=after)

    return interactive(
        update,
        f=fslider("forget factor f_t", 0.9, 0, 1, 0.01),
        steps=islider("steps held", 1, 1, 30),
    )


def remember_gate_widget(plot: bool = True):
    """Sliders: LTM_{t-1}, f_t, N_t, i_t. Shows kept + learned = LTM_t.
    result: dict(kept, learned, ltm)."""

    def update(ltm_prev, f, N, i):
        r = remember_readout(ltm_prev, f, N, i)
        out = {k: _f(v) for k, v in r.items()}
        print(f"kept = LTM_(t-1) * f_t = {ltm_prev:+.2f} * {f:.2f} = {out['kept']:+.3f}")
        print(f"learned = N_t * i_t = {N:+.2f} * {i:.2f} = {out['learned']:+.3f}")
        print(f"LTM_t = kept + learned = {out['ltm']:+.3f}")
        if plot:
            fig, ax = subplots(figsize=(5.5, 3))
            plot_values(
                ax,
                {"kept": out["kept"], "learned": out["learned"], r"$LTM_t$": out["ltm"]},
                {"kept": "forget", "learned": "learn", r"$LTM_t$": "remember"},
                ylim=(-2.1, 2.1),
                title="Remember gate: what was kept + what was learned",
            )
            show(fig)
        return out

    return interactive(
        update,
        ltm_prev=fslider("LTM_{t-1} (c)", 0.8, -1, 1),
        f=fslider("f_t (forget factor)", 0.5, 0, 1, 0.01),
        N=fslider("N_t (new information)", -0.6, -1, 1),
        i=fslider("i_t (how much to learn)", 0.5, 0, 1, 0.01),
    )


def use_gate_widget(w_stm: float = 0.5, plot: bool = True):
    """Sliders: the Forget gate's output LTM_{t-1} * f_t, STM, Event, and the Use gate's weights.
    Shows U_t, V_t and the new STM = U_t * V_t. result: dict(U_t, V_t, stm)."""

    def update(forget_out, stm, event, w_u, b_u, w_v, b_v):
        r = use_gate_readout(
            forget_out,
            stm,
            event,
            np.array([[w_u]]),
            np.array([b_u]),
            scalar_weights(w_stm, w_v),
            np.array([b_v]),
        )
        out = dict(U_t=_f(r["U_t"]), V_t=_f(r["V_t"]), stm=_f(r["stm"]))
        print(
            f"U_t = tanh({w_u:.2f} * (LTM_(t-1) * f_t) + {b_u:.2f}) = {out['U_t']:+.3f}   "
            f"V_t = sigmoid({w_stm:.2f}*STM + {w_v:.2f}*E + {b_v:.2f}) = {out['V_t']:.3f}"
        )
        print(f"new STM = U_t * V_t = {out['stm']:+.3f}")
        if plot:
            fig, ax = subplots(figsize=(5.5, 3))
            plot_values(
                ax,
                {r"$U_t$": out["U_t"], r"$V_t$": out["V_t"], r"$STM_t$": out["stm"]},
                {r"$U_t$": "use", r"$V_t$": "use", r"$STM_t$": "stm"},
                title="Use gate: what the memory says, how much to show, the new STM",
            )
            show(fig)
        return out

    return interactive(
        update,
        forget_out=fslider("LTM_{t-1} * f_t", 0.8, -2, 2),
        stm=fslider("STM (h)", 0.0, -1, 1),
        event=fslider("Event (x)", 1.0, -2, 2),
        w_u=fslider("w_u", 1.5, -3, 3),
        b_u=fslider("b_u", 0.0, -2, 2),
        w_v=fslider("w_v (Event -> V_t)", 2.0, -3, 3),
        b_v=fslider("b_v", 0.0, -3, 3),
    )


def cell_stepper_widget(trace=None, plot: bool = True):
    """A time slider over a cell trace (default: the hand-wired remembering cell on its toy
    sequence). Shows, at step t, every unit's i_t, f_t, V_t and LTM_t, and what unit `unit`'s
    gates did in words. result: `step_view(trace, t)` (a dict of arrays)."""
    if trace is None:
        trace = cell_trace(remembering_sequence(), remembering_params())
    T, H = trace["ltm"].shape

    def update(t, unit):
        view = step_view(trace, t)
        print(describe_step(trace, t, unit))
        if plot:
            fig, axes = subplots(1, 4, figsize=(10, 2.6), sharey=True)
            panels = (
                ("i", r"$i_t$ (learn)", "learn"),
                ("f", r"$f_t$ (forget factor)", "forget"),
                ("V", r"$V_t$ (use)", "use"),
                ("ltm", r"$LTM_t$", "remember"),
            )
            for ax, (key, name, colour) in zip(axes, panels, strict=True):
                ax.bar(range(H), view[key], color=GATE_COLOURS[colour], label=name)
                if key == "ltm":
                    ax.bar(
                        range(H),
                        view["ltm_prev"],
                        color="none",
                        edgecolor="#333333",
                        ls="--",
                        label=r"$LTM_{t-1}$",
                    )
                ax.axhline(0, color="#333333", lw=0.8)
                ax.set_ylim(-1.05, 1.05)
                ax.set_xticks(range(H))
                ax.set_xlabel("unit")
                ax.set_title(name, fontsize=10)
                ax.legend(loc="best", fontsize=7)
            axes[0].set_ylabel("value")
            fig.suptitle(f"What each gate did at step {t}", y=1.04)
            show(fig)
        return view

    return interactive(update, t=islider("step t", 8, 0, T - 1), unit=islider("unit", 0, 0, H - 1))
