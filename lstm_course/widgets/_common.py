"""Shared bits of the widget factories: slider constructors and figure display."""

from __future__ import annotations

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


_RENDER_LOCK = threading.RLock()


class _OneAtATime(W.interactive):
    """`ipywidgets.interactive` whose whole update runs one at a time.

    ipykernel 7 dispatches a widget message on its shell-channel thread when the main thread is
    busy (e.g. with the previous slider message), so two updates can overlap. The update is the
    function call AND ipywidgets' flush of open pyplot figures afterwards; pyplot and
    matplotlib's mathtext parser are not thread-safe, and overlapping redraws failed with a
    mathtext ParseException in the browser tests. The lock makes updates queue.
    """

    def update(self, *args):
        with _RENDER_LOCK:
            return super().update(*args)


def _serialize_mathtext() -> None:
    """Make matplotlib's mathtext parser take one caller at a time (once per process).

    The parser is a process-wide singleton with mutable state, not thread-safe. A widget update
    can run on ipykernel 7's shell-channel thread while the main thread draws (a figure flushed
    after a cell, another update): in the browser tests such overlaps failed with a mathtext
    ParseException on a valid label. The update lock above cannot cover drawing it does not own.
    """
    from matplotlib import mathtext

    parse = mathtext.MathTextParser.parse
    if getattr(parse, "_lstm_course_locked", False):
        return
    lock = threading.RLock()

    def locked_parse(self, *args, **kwargs):
        with lock:
            return parse(self, *args, **kwargs)

    locked_parse._lstm_course_locked = True
    mathtext.MathTextParser.parse = locked_parse


def interactive(update, **controls):
    """A widget calling `update(**values)` whenever a control changes (see _OneAtATime)."""
    _serialize_mathtext()
    return _OneAtATime(update, **controls)
