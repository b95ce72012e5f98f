"""Plotting helpers shared by every notebook: one colour per gate, the same in every figure."""

from __future__ import annotations

# One colour per gate / memory, used by every plot and diagram in the course.
GATE_COLOURS = {
    "learn": "#2ca02c",  # green: N_t, i_t, N_t * i_t
    "forget": "#d62728",  # red: f_t, LTM_{t-1} * f_t
    "remember": "#1f77b4",  # blue: LTM_t
    "use": "#9467bd",  # purple: U_t, V_t, STM_t
    "stm": "#ff7f0e",  # orange: short-term memory (h)
    "ltm": "#1f77b4",  # blue: long-term memory (c)
    "event": "#7f7f7f",  # grey: the Event (x)
    "rnn": "#000000",  # black: a plain RNN, for comparison (brown was too close to red)
    "lstm": "#1f77b4",  # the LSTM, for comparison
}


# --- Plot helpers for the gate notebooks (00-05) ------------------------------------------------
# matplotlib is imported inside the helpers (a core dependency). Every helper draws into a
# given Axes (or makes a figure), sets a title, axis labels and, for several lines, a legend.

#: What each key of a cell trace (lstm_course.gate_views.cell_trace) is called, and its colour.
TRACE_LABELS = {
    "N": (r"$N_t$ (Learn: new information)", "learn"),
    "i": (r"$i_t$ (Learn: how much to learn)", "learn"),
    "learned": (r"$N_t \cdot i_t$ (learned)", "learn"),
    "f": (r"$f_t$ (Forget factor)", "forget"),
    "kept": (r"$LTM_{t-1} \cdot f_t$ (kept)", "forget"),
    "ltm": (r"$LTM_t$ (Remember: long-term memory)", "remember"),
    "U": (r"$U_t$ (Use: what the memory says)", "use"),
    "V": (r"$V_t$ (Use: how much to show)", "use"),
    "stm": (r"$STM_t$ (short-term memory, the output)", "stm"),
}
SIGNED_KEYS = ("N", "learned", "kept", "ltm", "U", "stm")

#: What each GATE_COLOURS key stands for, for legends.
COLOUR_NAMES = {
    "learn": "Learn gate",
    "forget": "Forget gate",
    "remember": "Remember gate",
    "use": "Use gate",
    "stm": "short-term memory",
    "ltm": "long-term memory",
    "event": "Event",
    "rnn": "plain RNN",
    "lstm": "LSTM",
}


def gate_cmap(key: str, signed: bool = False):
    """A colormap in a gate's colour: white -> colour (values in [0, 1]), or, when ``signed``,
    grey (negative) -> white (0) -> colour (positive)."""
    from matplotlib.colors import LinearSegmentedColormap

    colour = GATE_COLOURS[key]
    if signed:
        return LinearSegmentedColormap.from_list(f"{key}_signed", ["#404040", "white", colour])
    return LinearSegmentedColormap.from_list(key, ["white", colour])


def plot_gradient_vs_lag(lags, norms, ax=None, label="tanh RNN", colour=None, title=None):
    """The vanishing-gradient plot: || d h_T / d x_{T-k} || against k, log scale."""
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.6))
    ax.semilogy(
        lags, np.maximum(norms, 1e-300), color=colour or GATE_COLOURS["rnn"], lw=2, label=label
    )
    ax.set_xlabel("k: how many steps before the last one the input came")
    ax.set_ylabel(r"$\| \partial h_T / \partial x_{T-k} \|$ (log scale)")
    ax.set_title(title or "Gradient of the last output w.r.t. an earlier input")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best")
    return ax


def plot_values(ax, values: dict, keys_colours: dict, ylim=(-1.05, 1.05), title="", ylabel="value"):
    """Bars of named scalar values (e.g. a gate readout), each in its gate colour, with the
    rounded value written on the bar. values: {label: float}; keys_colours: {label: colour key}."""
    labels = list(values)
    heights = [float(values[k]) for k in labels]
    colours = [GATE_COLOURS[keys_colours[k]] for k in labels]
    bars = ax.bar(range(len(labels)), heights, color=colours, edgecolor="#333333")
    for bar, h in zip(bars, heights, strict=True):
        ax.annotate(
            f"{h:.2f}",
            (bar.get_x() + bar.get_width() / 2, h),
            ha="center",
            va="bottom" if h >= 0 else "top",
            fontsize=10,
            xytext=(0, 2 if h >= 0 else -2),
            textcoords="offset points",
        )
    ax.axhline(0, color="#333333", lw=0.8)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylim(*ylim)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    from matplotlib.patches import Patch

    keys = list(dict.fromkeys(keys_colours[k] for k in labels))  # distinct, in order
    ax.legend(
        handles=[
            Patch(facecolor=GATE_COLOURS[k], edgecolor="#333333", label=COLOUR_NAMES.get(k, k))
            for k in keys
        ],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
    )
    return ax


def plot_gate_heatmaps(trace: dict, keys=("i", "f", "V", "ltm"), mark_t=None, fig=None):
    """Heatmaps over time of a cell trace (lstm_course.gate_views.cell_trace): one row per key
    (units on the y axis, steps on the x axis) under a strip showing the Event."""
    import matplotlib.pyplot as plt
    import numpy as np

    events = trace["event"]
    T, H = trace[keys[0]].shape
    if fig is None:
        fig = plt.figure(figsize=(9, 1.3 + 1.25 * len(keys)))
    grid = fig.subplots(
        len(keys) + 1,
        2,
        sharex="col",
        gridspec_kw={
            "height_ratios": [1.2] + [1] * len(keys),
            "width_ratios": [40, 1],
            "wspace": 0.03,
        },
    )
    axes, colourbar_axes = grid[:, 0], grid[:, 1]
    colourbar_axes[0].axis("off")
    ev_ax = axes[0]
    names = (
        ["value", "store", "recall"]
        if events.shape[1] == 3
        else [f"E[{d}]" for d in range(events.shape[1])]
    )
    for d in range(events.shape[1]):
        ev_ax.step(
            np.arange(T),
            events[:, d],
            where="mid",
            label=names[d],
            color=[GATE_COLOURS["event"], GATE_COLOURS["learn"], GATE_COLOURS["use"]][d % 3],
        )
    ev_ax.set_ylabel("Event")
    ev_ax.set_title("The Event sequence and what each gate did at every step")
    ev_ax.legend(loc="upper left", fontsize=7, ncol=events.shape[1], framealpha=0.9)
    for ax, cax, key in zip(axes[1:], colourbar_axes[1:], keys, strict=True):
        label, colour = TRACE_LABELS[key]
        signed = key in SIGNED_KEYS
        data = trace[key].T
        im = ax.imshow(
            data,
            aspect="auto",
            interpolation="nearest",
            cmap=gate_cmap(colour, signed),
            vmin=-1 if signed else 0,
            vmax=1,
            extent=(-0.5, T - 0.5, H - 0.5, -0.5),
        )
        ax.set_ylabel("unit")
        ax.set_yticks(range(H))
        ax.set_title(label, fontsize=10, loc="left")
        fig.colorbar(im, cax=cax)
    if mark_t is not None:
        for ax in axes:
            ax.axvline(mark_t, color="black", lw=1.2, ls="--", label=f"step {mark_t}")
    axes[-1].set_xlabel("step t")
    fig.subplots_adjust(hspace=0.45)
    return fig
