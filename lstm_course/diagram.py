"""The LSTM cell as the lesson draws it: four gates, two memories, one Event.

`draw_cell()` draws the same picture in every notebook; `draw_cell("forget")` highlights the gate
of the lesson at hand (in its colour from GATE_COLOURS) and greys out the others.

    LTM_{t-1} --> [Forget] --------> [Remember] --> LTM_t
                     ^   \\            ^
    STM_{t-1} --.    |    `--------.  |
                +--> [Learn] ------+--'
    Event E_t --'    |              \\
                     `---------> [Use] ----------> STM_t
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .plotting import GATE_COLOURS

__all__ = ["draw_cell", "GATES", "GATE_TITLES", "GATE_FORMULAS"]

GATES = ("learn", "forget", "remember", "use")
GATE_TITLES = {
    "learn": "Learn gate",
    "forget": "Forget gate",
    "remember": "Remember gate",
    "use": "Use gate",
}
GATE_FORMULAS = {
    "learn": r"$N_t \cdot i_t$",
    "forget": r"$LTM_{t-1} \cdot f_t$",
    "remember": r"$+$",
    "use": r"$U_t \cdot V_t$",
}

# Box centres (x, y) on a 12 x 7 canvas.
_BOX = {"forget": (4.2, 5.6), "remember": (8.0, 5.6), "learn": (5.6, 3.2), "use": (8.0, 1.2)}
_BOX_W, _BOX_H = 2.6, 1.1
_PALE = "#e6e6e6"
_INK = "#333333"


def _edge(ax, start, end, colour, width, style="-|>", rad=0.0, dashed=False):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=12,
            lw=width,
            color=colour,
            connectionstyle=f"arc3,rad={rad}",
            linestyle="--" if dashed else "-",
            shrinkA=0,
            shrinkB=0,
            zorder=1,
        )
    )


def _side(gate, where):
    (x, y), w, h = _BOX[gate], _BOX_W / 2, _BOX_H / 2
    return {"left": (x - w, y), "right": (x + w, y), "top": (x, y + h), "bottom": (x, y - h)}[where]


def draw_cell(highlight=None, ax=None, title=None):
    """Draw the LSTM cell; ``highlight`` is None or one of "learn", "forget", "remember", "use".

    Draws into ``ax`` (a new 8 x 4.2 inch figure when None) and returns the Axes.
    """
    if highlight is not None and highlight not in GATES:
        raise ValueError(f"highlight must be None or one of {GATES}, got {highlight!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.2))
    ax.set_xlim(0, 12)
    ax.set_ylim(0.4, 6.6)
    ax.set_aspect("equal")
    ax.axis("off")

    def gate_colour(gate):
        return GATE_COLOURS[gate] if highlight in (None, gate) else "#b0b0b0"

    def edge_style(*gates):
        """Arrows touching the highlighted gate are drawn in its colour, thicker."""
        if highlight is not None and highlight in gates:
            return GATE_COLOURS[highlight], 2.6
        return _INK if highlight is None else "#9a9a9a", 1.3

    # Memories and the Event: inputs on the left, outputs on the right.
    labels = [
        ((0.2, 5.6), r"$LTM_{t-1}$", "ltm", "left"),
        ((0.2, 3.2), r"$STM_{t-1}$", "stm", "left"),
        ((0.2, 1.2), r"Event $E_t$", "event", "left"),
        ((11.8, 5.6), r"$LTM_t$", "ltm", "right"),
        ((11.8, 1.2), r"$STM_t$", "stm", "right"),
    ]
    for (x, y), text, key, ha in labels:
        ax.text(x, y + 0.35, text, ha=ha, va="bottom", fontsize=11, color=GATE_COLOURS[key])

    hub = (2.4, 2.3)  # where STM_{t-1} and E_t are joined into [STM_{t-1}, E_t]
    ax.plot(*hub, "o", color=_INK, ms=5, zorder=3)
    ax.text(
        hub[0] - 0.15, hub[1] + 0.05, r"$[STM, E]$", ha="right", va="bottom", fontsize=9, color=_INK
    )
    c, w = edge_style()
    ax.plot([0.2, 1.6, hub[0]], [3.2, 3.2, hub[1]], color=GATE_COLOURS["stm"], lw=1.6, zorder=1)
    ax.plot([0.2, 1.6, hub[0]], [1.2, 1.2, hub[1]], color=GATE_COLOURS["event"], lw=1.6, zorder=1)

    # The long-term memory line along the top.
    _edge(ax, (0.2, 5.6), _side("forget", "left"), *edge_style("forget"))
    _edge(
        ax, _side("forget", "right"), _side("remember", "left"), *edge_style("forget", "remember")
    )
    _edge(ax, _side("remember", "right"), (11.8, 5.6), *edge_style("remember"))
    # [STM, E] feeds the Forget, Learn and Use gates.
    _edge(ax, hub, _side("forget", "bottom"), *edge_style("forget"), rad=-0.25)
    _edge(ax, hub, _side("learn", "left"), *edge_style("learn"))
    _edge(ax, hub, _side("use", "left"), *edge_style("use"), rad=0.15)
    # Learn -> Remember; the Forget gate's output also feeds the (lesson's) Use gate.
    _edge(
        ax,
        _side("learn", "right"),
        (7.4, _side("remember", "bottom")[1]),
        *edge_style("learn", "remember"),
        rad=0.3,
    )
    _edge(
        ax,
        (6.0, 5.6),
        (_BOX["use"][0] + 0.5, _side("use", "top")[1]),
        *edge_style("use"),
        rad=-0.35,
        dashed=True,
    )
    _edge(ax, _side("use", "right"), (11.8, 1.2), *edge_style("use"))

    for gate in GATES:
        (x, y), colour = _BOX[gate], gate_colour(gate)
        strong = highlight == gate
        face = colour if strong else (_PALE if highlight is not None else "white")
        ax.add_patch(
            FancyBboxPatch(
                (x - _BOX_W / 2, y - _BOX_H / 2),
                _BOX_W,
                _BOX_H,
                boxstyle="round,pad=0.02,rounding_size=0.2",
                fc=face,
                ec=colour,
                lw=3.0 if strong else 1.8,
                zorder=2,
            )
        )
        text_colour = "white" if strong else (colour if highlight is None else "#707070")
        ax.text(
            x,
            y + 0.17,
            GATE_TITLES[gate],
            ha="center",
            va="center",
            fontsize=10,
            fontweight="bold",
            color=text_colour,
            zorder=3,
        )
        ax.text(
            x,
            y - 0.25,
            GATE_FORMULAS[gate],
            ha="center",
            va="center",
            fontsize=9,
            color=text_colour,
            zorder=3,
        )

    if title is None:
        title = "The LSTM cell" + ("" if highlight is None else f": the {GATE_TITLES[highlight]}")
    ax.set_title(title)
    return ax
