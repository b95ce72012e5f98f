"""The vanishing/exploding-gradient widget of notebook 00 (a thin shell over lstm_course.rnn)."""

from __future__ import annotations

from ..plotting import plot_gradient_vs_lag
from ..rnn import gradient_vs_lag, growth_per_step
from ._common import fslider, interactive, islider, show, subplots

__all__ = ["vanishing_gradient_widget"]


def vanishing_gradient_widget(hidden_size: int = 32, seed: int = 0, plot: bool = True):
    """Sliders: the recurrent weight scale and the sequence length of a random tanh RNN.
    Plots || d h_T / d x_{T-k} || against k (log scale).
    result: dict(scale, seq_len, growth (factor per step back), first, last, norms)."""

    def update(scale, seq_len):
        lags, norms = gradient_vs_lag(scale, seq_len, hidden_size=hidden_size, seed=seed)
        growth = growth_per_step(norms)
        verdict = "vanishes" if growth < 0.95 else "explodes" if growth > 1.05 else "roughly holds"
        print(
            f"recurrent weight scale {scale:.2f}, {seq_len} steps: each step back multiplies "
            f"the gradient by about {growth:.2f}, so it {verdict}"
        )
        print(
            f"gradient from the last input: {norms[0]:.2e}   from the first input: {norms[-1]:.2e}"
        )
        if plot:
            fig, ax = subplots(figsize=(7, 3.6))
            plot_gradient_vs_lag(
                lags,
                norms,
                ax=ax,
                label=f"tanh RNN, weight scale {scale:.2f}",
                title=f"The gradient {verdict} with the distance k (x{growth:.2f} per step)",
            )
            show(fig)
        return dict(
            scale=float(scale),
            seq_len=int(seq_len),
            growth=growth,
            first=float(norms[0]),
            last=float(norms[-1]),
            norms=norms,
        )

    return interactive(
        update,
        scale=fslider("recurrent weight scale", 1.0, 0.25, 4.0),
        seq_len=islider("sequence length T", 50, 10, 200, 10),
    )
