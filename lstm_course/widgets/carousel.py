"""Widgets for notebooks 07 and 08: the constant error carousel and the adding problem's gates.

Thin shells: the maths lives in lstm_course.carousel and lstm_course.adding (plots there too).
Each factory returns an ipywidgets.interactive whose .result is a dict of what was shown.
"""

from __future__ import annotations

from ..carousel import forget_factor, gradient_vs_lag, memory_length, plot_carousel
from ._common import fslider, interactive, islider, show, subplots

__all__ = ["carousel_widget", "forget_activity_widget"]


def carousel_widget(
    T: int = 100, hidden_size: int = 32, seed: int = 0, plot: bool = True, forget_bias: float = 1.0
):
    """Slider: the forget-gate bias b_f (and the plain RNN's weight scale, for comparison).

    Plots the gradient reaching the LTM k steps back (the product of forget factors) beside the
    plain tanh RNN's, and prints the memory's half-life. result: dict(forget_bias, half_life,
    lstm_at_T (the carousel gradient at the largest lag), rnn_at_T)."""

    def update(forget_bias, rnn_scale):
        data = gradient_vs_lag(T, forget_bias, hidden_size, seed=seed, weight_scale=rnn_scale)
        half = float(memory_length(forget_bias, 0.5))
        out = dict(
            forget_bias=float(forget_bias),
            half_life=half,
            lstm_at_T=float(data["lstm"][-1]),
            rnn_at_T=float(data["rnn"][-1]),
        )
        print(
            f"forget bias b_f = {forget_bias:+.1f}: forget factor about "
            f"sigmoid(b_f) = {float(forget_factor(forget_bias)):.3f}, half-life about "
            f"{half:.1f} steps"
        )
        print(
            f"gradient reaching {T - 1} steps back: LSTM carousel {out['lstm_at_T']:.1e}, "
            f"plain RNN {out['rnn_at_T']:.1e}"
        )
        if plot:
            fig, ax = subplots(figsize=(7.5, 3.8))
            plot_carousel(data, ax=ax, forget_bias=forget_bias)
            show(fig)
        return out

    return interactive(
        update,
        forget_bias=fslider("forget-gate bias b_f", forget_bias, -2.0, 6.0, 0.5),
        rnn_scale=fslider("RNN weight scale", 1.0, 0.5, 2.0, 0.25),
    )


def forget_activity_widget(model, events, targets, plot: bool = True):
    """Slider: which test sequence of the adding problem. Shows the trained LSTM's forget gates,
    its memory (LTM) and the two marked values. result: dict(example, target, prediction)."""
    from ..adding import gate_activity, plot_gate_activity  # noqa: PLC0415

    def update(example):
        act = gate_activity(model, events[example])
        target = float(targets[example])
        print(
            f"test sequence {example}: marked values sum to {target:.3f}, "
            f"the LSTM predicts {act['prediction']:.3f}"
        )
        if plot:
            fig = plot_gate_activity(act, events[example], target, subplots=subplots)
            show(fig)
        return dict(example=int(example), target=target, prediction=act["prediction"])

    return interactive(update, example=islider("test sequence", 0, 0, len(events) - 1))
