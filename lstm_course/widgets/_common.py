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


def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """`plt.subplots` for a widget: a figure of its own, OUTSIDE pyplot. Returns (fig, axes).

    A widget update can run on any of ipykernel 7's threads (the main thread, or the subshell
    that JupyterLab 4 sends widget messages to), and pyplot's state is global. The `comm`
    package fires IPython's ``post_execute`` hooks after EVERY widget message, on the thread
    that handled it: pyplot's ``draw_all`` and the inline backend's ``flush_figures`` (which
    shows and closes every pyplot figure). On the first slider move of notebook 07's carousel
    (run on the main thread) a message handled on the subshell meanwhile drew the update's
    pyplot figure on the same Agg renderer (``canvas.draw`` clears it first), and the update's
    PNG came out blank, every time. A figure that pyplot does not know about is drawn by nobody
    else. Keyword arguments: ``figsize`` and ``layout`` go to the
    Figure, the rest to `Figure.subplots` (``sharex``, ``gridspec_kw``, ...)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig_kw = {k: kwargs.pop(k) for k in ("figsize", "layout", "dpi") if k in kwargs}
    fig = Figure(**fig_kw)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def show(fig):
    """Display a figure in the widget's output area, drawn completely in this thread.

    A figure from pyplot (a package plot function may return one) is first removed from pyplot,
    so that no other thread's pyplot hook draws, shows or closes it meanwhile (see `subplots`)."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    plt.close(fig)  # out of pyplot's list (nothing for one from `subplots`); still drawable
    with _RENDER_LOCK:
        display(fig)


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
        """ipywidgets' `interactive.update` without its flush of pyplot's figures.

        ipywidgets shows (and closes) every open pyplot figure before and after the call: from a
        widget update on one thread that would steal a figure a cell is drawing on another one.
        The widgets display their own figures (`show`), so nothing is lost without it."""
        from IPython import get_ipython
        from IPython.display import clear_output

        with _RENDER_LOCK:
            self.kwargs = {}
            if not getattr(self, "_drawn", False):
                # The first draw, in the constructor: while the cell that makes the widget runs.
                self._drawn = True
                for widget in self.kwargs_widgets:
                    self.kwargs[widget._kwarg] = widget.get_interact_value()
                self.out.outputs = _captured_outputs(
                    lambda: setattr(self, "result", self.f(**self.kwargs))
                )
                return
            try:
                with self.out:
                    if self.clear_output:
                        clear_output(wait=True)
                    for widget in self.kwargs_widgets:
                        self.kwargs[widget._kwarg] = widget.get_interact_value()
                    self.result = self.f(**self.kwargs)
            except Exception as e:
                ip = get_ipython()
                if ip is None:
                    self.log.warning("Exception in interact callback: %s", e, exc_info=True)
                else:
                    ip.showtraceback()


def _captured_outputs(call) -> tuple:
    """Run `call()`; return what it printed and displayed as Output-widget outputs.

    The widget's first draw puts its outputs into the Output widget from the kernel (its
    ``outputs`` state) instead of capturing them with ``with self.out:``. Under that capture a
    headless client's stand-in for the Output widget (nbclient's, used by ``jupyter execute``,
    papermill, ``NotebookClient``) sends a ``comm_msg`` on the shell channel for every output
    while it waits on that channel for the cell's ``execute_reply``; jupyter_client sends it
    raw on the asyncio socket, which can swallow the socket's wake-up for the reply (jupyter/
    nbclient#312): the reply then sits unread and the client waits forever, or until its cell
    timeout. See "Notebook execution hangs" in README.md. Later draws (a slider
    moved in a live frontend, no headless client) keep ``with self.out:``, which is safe
    across ipykernel's threads; this capture swaps ``sys.stdout`` for the whole process, so
    it is used only on the thread that runs the cell, under the render lock.
    """
    import traceback

    from IPython.utils.capture import capture_output

    error = ""
    with capture_output(stdout=True, stderr=True, display=True) as cap:
        try:
            call()
        except Exception:  # noqa: BLE001 - shown in the widget, as interactive does
            error = traceback.format_exc()
    outputs = [
        {"output_type": "stream", "name": name, "text": text}
        for name, text in (("stdout", cap.stdout), ("stderr", cap.stderr + error))
        if text
    ]
    outputs += [
        {"output_type": "display_data", "data": o.data, "metadata": o.metadata} for o in cap.outputs
    ]
    return tuple(outputs)


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
