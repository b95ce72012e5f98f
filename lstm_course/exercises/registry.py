"""EXERCISES: every exercise of the course, keyed by the function the learner writes."""

from __future__ import annotations

from .backward import LSTM_CELL_BACKWARD
from .base import Exercise
from .cell import LSTM_CELL, LSTM_FORWARD
from .gates import FORGET_GATE, LEARN_GATE, REMEMBER_GATE, USE_GATE
from .pytorch_mapping import PARAMS_FROM_PYTORCH

__all__ = ["EXERCISES", "get_exercise"]

EXERCISES: dict[str, Exercise] = {
    ex.name: ex
    for ex in (
        LEARN_GATE,
        FORGET_GATE,
        REMEMBER_GATE,
        USE_GATE,
        LSTM_CELL,
        LSTM_FORWARD,
        PARAMS_FROM_PYTORCH,
        LSTM_CELL_BACKWARD,
    )
}


def get_exercise(name) -> Exercise:
    """EXERCISES[name], with a clear error naming the known exercises."""
    if isinstance(name, Exercise):
        return name
    try:
        return EXERCISES[name]
    except (KeyError, TypeError):
        raise KeyError(
            f"no exercise named {name!r}; the exercises are: " + ", ".join(EXERCISES)
        ) from None
