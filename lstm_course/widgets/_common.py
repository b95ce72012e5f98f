"""Shared bits of the widget factories: slider constructors and figure display."""

from __future__ import annotations

import ipywidgets as W

STYLE = {"description_width": "170px"}
LAYOUT = W.Layout(width="480px")


def fslider(description, value, lo, hi, step=0.05):
    """A FloatSlider that redraws on release (not on every pixel)."""
    return W.FloatSlider(
        value=value,
        min=lo,
        max=hi,
        step=step,
        description=description,
        continuous_update=False,
        readout_format=".2f",
        style=STYLE,
        layout=LAYOUT,
    )


def islider(description, value, lo, hi, step=1):
    return W.IntSlider(
        value=value,
        min=lo,
        max=hi,
        step=step,
        description=description,
        continuous_update=False,
        style=STYLE,
        layout=LAYOUT,
    )


def show(fig):
    """Display a figure in the widget's output area, then close it (no duplicate, no leak)."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    display(fig)
    plt.close(fig)
