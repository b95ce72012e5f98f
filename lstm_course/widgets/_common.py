"""Shared bits of the widget factories: slider constructors and figure display."""

from __future__ import annotations

import functools
import threading

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


_RENDER_LOCK = threading.Lock()


def interactive(update, **controls):
    """`ipywidgets.interactive` whose callback runs one call at a time.

    ipykernel 7 may dispatch two widget messages at once (a slider dragged, then released);
    pyplot and matplotlib's mathtext parser are not thread-safe, and two overlapping redraws
    failed with a mathtext ParseException in the browser tests. The lock makes redraws queue.
    """

    @functools.wraps(update)
    def one_at_a_time(*args, **kwargs):
        with _RENDER_LOCK:
            return update(*args, **kwargs)

    return W.interactive(one_at_a_time, **controls)
