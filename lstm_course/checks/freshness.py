"""Stale answers: the cell that defines an exercise function failed, so the kernel still holds
the OLD function, and a check would judge (and maybe pass) that old version.

Inside IPython, `register()` adds two event callbacks (once per shell): before a cell runs,
they note what its top-level `def NAME(` lines are bound to; after it, whether the run failed
and whether those names were rebound. `stale_reason(name, fn)` then says, in the learner's
words, when `fn` is the old version left behind by a failed run, or an older definition than
the one the notebook holds now. Outside IPython nothing is registered and nothing is reported.

The batch grader never consults this: it judges what a fresh kernel defines.
"""

from __future__ import annotations

import re
import sys
import weakref

__all__ = ["register", "stale_reason", "defined_names", "reset"]

_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(", re.M)
_LAMBDA = re.compile(r"^([A-Za-z_]\w*)[ \t]*=[ \t]*lambda\b", re.M)
_KEEP = 8  # older definitions remembered per name

# name -> {"defined": [refs to the objects cells bound it to], "failed": None | (text, ref)}
_RECORDS: dict = {}
_PENDING: dict = {}  # name -> ref to what it was bound to when the current cell started


def defined_names(source) -> list:
    """The top-level functions a cell's source defines (`def NAME(`, `NAME = lambda`), in
    order; a regex, so a cell that does not parse still counts."""
    if not isinstance(source, str):
        return []
    names = []
    for m in list(_DEF.finditer(source)) + list(_LAMBDA.finditer(source)):
        if m.group(1) not in names:
            names.append(m.group(1))
    return names


def _ref(obj):
    """A weak reference when obj allows one (a function does), else a strong one."""
    if obj is None:
        return lambda: None
    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj


def _user_ns():
    shell = _shell()
    try:
        return shell.user_ns if shell is not None else None
    except Exception:  # noqa: BLE001
        return None


def _shell():
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        return ipython.get_ipython()
    except Exception:  # noqa: BLE001
        return None


def _error_text(result) -> str:
    """'SyntaxError at line 4: invalid syntax' for a failed run (deterministic, no paths)."""
    exc = result.error_before_exec or result.error_in_exec
    name = type(exc).__name__
    if isinstance(exc, SyntaxError):
        where = f" at line {exc.lineno}" if isinstance(exc.lineno, int) else ""
        msg = exc.msg if isinstance(exc.msg, str) else ""
        return f"{name}{where}: {msg}" if msg else f"{name}{where}"
    line = None
    tb = getattr(exc, "__traceback__", None)
    cell = None
    while tb is not None:  # the first frame of the cell's own code
        code = tb.tb_frame.f_code
        if code.co_name == "<module>" and cell is None:
            cell = code.co_filename
            line = tb.tb_lineno
        tb = tb.tb_next
    try:
        msg = str(exc)
    except Exception:  # noqa: BLE001
        msg = ""
    msg = re.sub(r"0x[0-9a-fA-F]{4,}", "0x...", msg)[:200]
    where = f" at line {line}" if line else ""
    return f"{name}{where}: {msg}" if msg else f"{name}{where}"


def _pre_run_cell(info=None):
    try:
        _PENDING.clear()
        ns = _user_ns()
        if ns is None:
            return
        for name in defined_names(getattr(info, "raw_cell", None)):
            _PENDING[name] = _ref(ns.get(name))
    except Exception:  # noqa: BLE001 - a callback must never disturb the notebook
        pass


def _post_run_cell(result=None):
    try:
        names = defined_names(getattr(getattr(result, "info", None), "raw_cell", None))
        ns = _user_ns()
        if not names or ns is None:
            return
        failed = not getattr(result, "success", True)
        for name in names:
            rec = _RECORDS.setdefault(name, {"defined": [], "failed": None})
            now = ns.get(name)
            before = _PENDING.get(name, lambda: None)()
            rebound = now is not None and now is not before
            if rebound:
                rec["defined"] = [r for r in rec["defined"] if r() is not None][-_KEEP:]
                rec["defined"].append(_ref(now))
            if failed and not rebound and now is not None:
                rec["failed"] = (_error_text(result), _ref(now))
            else:
                rec["failed"] = None
        _PENDING.clear()
    except Exception:  # noqa: BLE001
        pass


def register(shell=None) -> bool:
    """Add the callbacks to the running IPython shell (once). False outside IPython."""
    shell = shell if shell is not None else _shell()
    if shell is None:
        return False
    try:
        events = shell.events
        for event, callback in (("pre_run_cell", _pre_run_cell), ("post_run_cell", _post_run_cell)):
            for cb in list(events.callbacks.get(event, [])):
                if (
                    getattr(cb, "__qualname__", "") == callback.__qualname__
                    and getattr(cb, "__module__", "") == callback.__module__
                ):
                    events.unregister(event, cb)  # a reloaded module replaces its old callback
            events.register(event, callback)
    except Exception:  # noqa: BLE001
        return False
    return True


def reset() -> None:
    """Forget everything recorded (tests)."""
    _RECORDS.clear()
    _PENDING.clear()


def stale_reason(name: str, fn) -> str:
    """Why `fn` is not what the notebook now defines as `name` ('' when it is, or unknown)."""
    try:
        rec = _RECORDS.get(name)
        if rec is None or fn is None:
            return ""
        if rec["failed"] is not None and rec["failed"][1]() is fn:
            return (
                f"The last run of the cell that defines {name} failed ({rec['failed'][0]}); "
                f"the {name} being checked is an older version. Fix that cell and run it "
                "again, then run this check."
            )
        defined = [r() for r in rec["defined"]]
        ns = _user_ns()
        current = ns.get(name) if ns is not None else None
        if (
            defined
            and current is defined[-1]
            and fn is not current
            and any(fn is d for d in defined[:-1])
        ):
            return (
                f"The function being checked is an older definition of {name}: the notebook "
                f"has defined {name} again since. Check the new one: check_{name}({name})."
            )
    except Exception:  # noqa: BLE001
        return ""
    return ""
