"""Widgets for notebook 09: sampling temperature and next-character probabilities.

Thin shells over lstm_course.charlm (needs torch). Each factory returns an
ipywidgets.interactive whose .result is a dict of what was shown.
"""

from __future__ import annotations

import ipywidgets as W

from ..charlm import next_char_probs, plot_next_char_probs, sample
from ._common import LAYOUT, STYLE, fslider, interactive, show, subplots

__all__ = ["temperature_widget", "next_char_widget"]


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
