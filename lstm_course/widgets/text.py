"""Widgets for notebook 09: sampling temperature, next-character probabilities, and a
cell-activation viewer (text coloured by one unit's LTM).

Thin shells over lstm_course.charlm (needs torch). Each factory returns an
ipywidgets.interactive whose .result is a dict of what was shown.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..charlm import (
    activation_html,
    feature_correlations,
    next_char_probs,
    plot_next_char_probs,
    sample,
)
from ._common import LAYOUT, STYLE, fslider, interactive, islider, show, subplots

__all__ = ["temperature_widget", "next_char_widget", "cell_viewer_widget"]


def temperature_widget(
    model,
    vocab,
    prompt: str = "It is a truth",
    length: int = 200,
    seed: int = 0,
    temperature: float = 0.8,
):
    """Slider: the sampling temperature. Prints a seeded sample (same seed for every temperature,
    so only the temperature changes). result: dict(temperature, text)."""

    def update(temperature):
        text = sample(model, vocab, prompt, length, temperature=temperature, seed=seed)
        print(f"temperature {temperature:.2f}, seed {seed}:\n")
        print(prompt + text)
        return dict(temperature=float(temperature), text=text)

    return interactive(update, temperature=fslider("temperature", temperature, 0.0, 2.0, 0.1))


def next_char_widget(
    model,
    vocab,
    prompt: str = "It is a truth universally acknowle",
    top: int = 10,
    plot: bool = True,
):
    """A text box (the prompt) and a temperature slider; bar chart of the next character's
    probabilities. result: dict(prompt, temperature, chars, probs)."""

    def update(prompt, temperature):
        if not vocab.encode(prompt, errors="ignore").size:
            print("type a prompt (characters from the text)")
            return dict(prompt=prompt, temperature=float(temperature), chars=[], probs=[])
        chars, probs = next_char_probs(model, vocab, prompt, temperature, top=top)
        best = ", ".join(f"{c!r}: {p:.2f}" for c, p in zip(chars[:5], probs[:5], strict=True))
        print(f"most likely next characters: {best}")
        if plot:
            fig, ax = subplots(figsize=(7.5, 3.4))
            plot_next_char_probs(chars, probs, ax=ax, prompt=prompt)
            show(fig)
        return dict(
            prompt=prompt,
            temperature=float(temperature),
            chars=chars,
            probs=[float(p) for p in probs],
        )

    box = W.Text(
        value=prompt, description="prompt", continuous_update=False, style=STYLE, layout=LAYOUT
    )
    return interactive(update, prompt=box, temperature=fslider("temperature", 1.0, 0.1, 2.0, 0.1))


def cell_viewer_widget(text: str, activations, unit: int = 0, features: dict | None = None):
    """Slider: a unit of the LSTM. Shows ``text`` coloured by that unit's activation
    (``activations`` (T, H), e.g. `charlm.cell_activations`: red positive, blue negative), and,
    with ``features`` ({name: (T,)}, e.g. `charlm.text_features(text)`), the feature the unit's
    activation correlates with most strongly on this text.
    result: dict(unit, r (None without features), feature, line, html).

    The coloured text is the value of an `ipywidgets.HTML` below the slider, not output
    displayed in the interactive's Output widget: a notebook executed by nbclient (`lstm-course
    execute`, nbval) sent every output captured by an Output widget back to the kernel as a
    comm message, and with this view's large HTML the cell's execution then hung (3 runs in 5
    here; nbclient issue #312). Nothing is printed or displayed in the Output widget."""
    import html as html_lib

    acts = np.asarray(activations)
    if acts.ndim != 2 or acts.shape[0] != len(text):
        raise ValueError(f"activations has shape {acts.shape}, expected ({len(text)}, H)")
    corr = feature_correlations(acts, features) if features else {}
    view = W.HTML()

    def update(unit):
        best, r = None, None
        if corr:
            best = max(corr, key=lambda name: abs(corr[name][unit]))
            r = float(corr[best][unit])
        values = acts[:, unit]
        line = f"unit {unit}: tanh(c) from {values.min():+.2f} to {values.max():+.2f}"
        if best is not None:
            line += f"; strongest correlation on this text: {best!r}, r = {r:+.2f}"
        html = activation_html(text, values)
        view.value = (
            f'<div style="font-family:monospace;margin-bottom:0.5em">{html_lib.escape(line)}'
            "</div>" + html
        )
        return dict(unit=int(unit), r=r, feature=best, line=line, html=html)

    w = interactive(update, unit=islider("unit", unit, 0, acts.shape[1] - 1))
    w.children = (*w.children, view)
    return w
