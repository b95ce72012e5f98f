"""EXERCISES: every exercise of the course, keyed by the function the learner writes.

Discovered, not listed: every module of this package that defines module-level ``Exercise``
objects contributes them, ordered by notebook and then by their order in the module. A new
exercise is one ``Exercise(fn=...)`` in a module here (see docs/contributing.md).
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import Exercise

__all__ = ["EXERCISES", "get_exercise", "NOTEBOOKS"]

_NOT_EXERCISES = {"base", "cases", "registry", "mutants"}


def _discover() -> dict[str, Exercise]:
    found: list[tuple[str, int, Exercise]] = []
    package = importlib.import_module(__package__)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in _NOT_EXERCISES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        for order, value in enumerate(vars(module).values()):
            if isinstance(value, Exercise):
                found.append((value.notebook, order, value))
    found.sort(key=lambda item: (item[0], item[1]))
    out: dict[str, Exercise] = {}
    for _, _, ex in found:
        if ex.name in out and out[ex.name] is not ex:
            raise ValueError(f"two exercises are named {ex.name!r}")
        out[ex.name] = ex
    return out


EXERCISES: dict[str, Exercise] = _discover()

# notebook -> the names of its exercises, in order
NOTEBOOKS: dict[str, tuple[str, ...]] = {}
for _ex in EXERCISES.values():
    NOTEBOOKS[_ex.notebook] = NOTEBOOKS.get(_ex.notebook, ()) + (_ex.name,)


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
