"""The learner-side half of a check: call the learner's function once and describe what happened.

Self-contained on purpose: this module imports only the standard library and NumPy at module
level, so the batch grader can ship its source into a learner's kernel and run ``run_function``
there, then rebuild an ``lstm_course.checks.core.Outcome`` from the plain dict it returns.

Normalized values are plain data, never the learner's own objects:

    np.ndarray         a base-class ndarray, its own copy, dtype kind in "biufc" (bool, ints,
                       floats, complex); ndarray subclasses are viewed as plain ndarrays first
    tuple / list       of normalized values (at most MAX_ITEMS items)
    dict               str -> normalized value (dataclasses such as LSTMParams become dicts)
    None
    str                anything else, described by its type: "torch.Tensor", "float",
                       "list of 12 items", "ndarray of dtype object", ...

Nothing the learner returned is ever compared with ``==`` or converted through its own
``__array__``: an object whose ``__eq__`` is always True is just a foreign "type name" here.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import linecache
import os
import re
import textwrap
import traceback
import types
import warnings

import numpy as np

__all__ = [
    "normalize",
    "type_name",
    "changed_paths",
    "learner_frame",
    "local_shapes",
    "function_source",
    "run_function",
    "MAX_ITEMS",
    "STATUSES",
]

MAX_ITEMS = 16  # longer lists/tuples/dicts are described, not copied
MAX_DEPTH = 6
MAX_LOCALS = 20  # error_shapes names at most this many of the learner's variables
MAX_SOURCE = 200  # lines of the learner's function kept as plain text (for a static look)
STATUSES = ("returned", "not_implemented", "raised")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")


def type_name(obj) -> str:
    """A short, deterministic name for obj's type: 'list', 'numpy.ndarray', 'torch.Tensor'."""
    try:
        t = type(obj)
        module = type.__getattribute__(t, "__module__")
        module = module if isinstance(module, str) else ""
        name = type.__getattribute__(t, "__qualname__")
        name = name if isinstance(name, str) else "object"
    except Exception:  # noqa: BLE001 - a hostile metaclass
        return "object"
    name = _ADDRESS.sub("0x...", name)
    if module in ("builtins", "__main__", ""):
        return name
    return f"{module.split('.')[0]}.{name}"


def normalize(value, _depth: int = 0):
    """The learner's return value as plain data (see the module docstring)."""
    if value is None:
        return None
    if issubclass(type(value), np.ndarray):
        base = np.ndarray.view(value, np.ndarray)
        if base.dtype.fields is not None or base.dtype.kind not in "biufc":
            return f"ndarray of dtype {base.dtype.name if base.dtype.fields is None else 'struct'}"
        return np.array(base, dtype=base.dtype, copy=True, subok=False)
    tname = type_name(value)
    if tname.startswith("torch."):
        return "torch.Tensor" if tname.endswith("Tensor") or "Parameter" in tname else tname
    if _depth >= MAX_DEPTH:
        return tname
    if type(value) is tuple or type(value) is list:
        if len(value) > MAX_ITEMS:
            return f"{tname} of {len(value)} items"
        items = [normalize(v, _depth + 1) for v in value]
        return tuple(items) if type(value) is tuple else items
    if type(value) is dict:
        if len(value) > MAX_ITEMS or not all(type(k) is str for k in value):
            return (
                f"dict of {len(value)} items"
                if len(value) > MAX_ITEMS
                else "dict with non-string keys"
            )
        return {str(k): normalize(v, _depth + 1) for k, v in value.items()}
    if dataclasses.is_dataclass(type(value)) and not issubclass(type(value), type):
        return {
            f.name: normalize(getattr(value, f.name), _depth + 1)
            for f in dataclasses.fields(type(value))
        }
    if issubclass(type(value), tuple):  # namedtuple and other tuple subclasses
        if tuple.__len__(value) > MAX_ITEMS:
            return f"{tname} of {tuple.__len__(value)} items"
        return tuple(
            normalize(tuple.__getitem__(value, k), _depth + 1) for k in range(tuple.__len__(value))
        )
    return tname


def _safe_equal(a, b) -> bool:
    """a (pristine copy, trusted) equals b (after the call, untrusted), never using b's __eq__."""
    if isinstance(a, np.ndarray):
        if not issubclass(type(b), np.ndarray):
            return False
        b = np.ndarray.view(b, np.ndarray)
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind in "fc":
            return bool(np.array_equal(a, b, equal_nan=True))
        return bool(np.array_equal(a, b))
    if a is None or isinstance(a, (bool, int, float, str, bytes)):
        return type(a) is type(b) and a == b
    return True  # other objects: compared through their parts by changed_paths


def changed_paths(pristine, after, path: str = "") -> list[str]:
    """Where `after` differs from `pristine` (a deep copy taken before the call).

    Paths look like 'ltm', 'params.W_f', "cache['x']"; arrays are compared entry by entry
    (NaN equal to NaN), containers and dataclasses part by part.
    """
    out: list[str] = []
    if isinstance(pristine, dict):
        if type(after) is not type(pristine):
            return [path]
        for k, v in pristine.items():
            sub = f"{path}[{k!r}]" if path else str(k)
            if k not in after:
                out.append(sub)
            else:
                out += changed_paths(v, dict.__getitem__(after, k), sub)
        if len(after) != len(pristine):
            out.append(path)
        return out
    if dataclasses.is_dataclass(pristine) and not isinstance(pristine, type):
        if type(after) is not type(pristine):
            return [path]
        for f in dataclasses.fields(pristine):
            try:
                object.__getattribute__(after, f.name)
            except AttributeError:
                out.append(f"{path}.{f.name}")
                continue
            out += changed_paths(
                getattr(pristine, f.name),
                object.__getattribute__(after, f.name),
                f"{path}.{f.name}",
            )
        return out
    if isinstance(pristine, (list, tuple)):
        if type(after) is not type(pristine) or len(after) != len(pristine):
            return [path]
        for k, v in enumerate(pristine):
            out += changed_paths(v, after[k], f"{path}[{k}]")
        return out
    return [] if _safe_equal(pristine, after) else [path]


def _default_skip_dirs() -> tuple[str, ...]:
    dirs = [os.path.dirname(np.__file__), os.path.dirname(contextlib.__file__)]
    try:
        import lstm_course  # noqa: PLC0415 (import at call time: this file must stay standalone)

        dirs.append(os.path.dirname(lstm_course.__file__))
    except Exception:  # noqa: BLE001
        pass
    here = globals().get("__file__")
    if here:
        dirs.append(os.path.dirname(os.path.abspath(here)))
    return tuple(os.path.abspath(d) for d in dirs)


def _learner_entry(exc: BaseException, skip_dirs=None):
    """(FrameSummary, frame, name of the function it called into or '') of the deepest
    traceback entry in the learner's own code, or None."""
    skip = tuple(skip_dirs) if skip_dirs is not None else _default_skip_dirs()
    found = None
    try:
        frames = traceback.extract_tb(exc.__traceback__)
        tbs = []
        tb = exc.__traceback__
        while tb is not None and len(tbs) < len(frames):
            tbs.append(tb.tb_frame)
            tb = tb.tb_next
    except Exception:  # noqa: BLE001
        return None
    for k, (fr, frame) in enumerate(
        zip(frames, tbs + [None] * (len(frames) - len(tbs)), strict=False)
    ):
        fname = fr.filename or ""
        absf = os.path.abspath(fname) if not fname.startswith("<") else fname
        if (
            any(absf.startswith(d + os.sep) for d in skip)
            or "site-packages" in absf
            or fname.startswith("<lstm_course")
            or fname == _THIS_FILE
        ):
            continue
        found = (fr, frame, frames[k + 1].name if k + 1 < len(frames) else "")
    return found


def error_callee(exc: BaseException, skip_dirs=None) -> str:
    """The function that the learner's deepest line called into when the exception came from
    deeper down (e.g. 'use_gate' for a wrong argument that fails inside the package's
    use_gate), '' when it was raised on the learner's line itself."""
    entry = _learner_entry(exc, skip_dirs)
    name = entry[2] if entry is not None else ""
    return name if isinstance(name, str) and name.isidentifier() else ""


def learner_frame(exc: BaseException, skip_dirs=None):
    """(function name, 'line N: source') of the deepest traceback frame in the learner's own code.

    Frames in lstm_course, NumPy and the standard library are skipped. Returns ('', '') when
    the exception did not pass through the learner's code (e.g. a call with wrong arguments).
    """
    entry = _learner_entry(exc, skip_dirs)
    if entry is None:
        return ("", "")
    fr = entry[0]
    line = (fr.line or "").strip()
    return (fr.name, f"line {fr.lineno}: {line}" if line else f"line {fr.lineno}")


def _describe_local(value):
    """A variable as plain data: an ndarray's shape (a list of ints), else a short type text.

    Only the type is consulted and an ndarray's shape read through NumPy's own descriptor:
    none of the learner's methods (__len__, __getattr__, __repr__, ...) is ever called.
    """
    t = type(value)
    if value is None:
        return "None"
    if issubclass(t, np.ndarray):
        try:
            return [int(n) for n in np.ndarray.shape.__get__(value, np.ndarray)]
        except Exception:  # noqa: BLE001
            return "numpy.ndarray"
    if t is tuple or t is list:
        return f"{t.__name__} of {len(value)} items"
    if t is dict:
        return f"dict of {len(value)} items"
    return type_name(value)


_DOTTED = re.compile(r"\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)")
_KEYED = re.compile(r"""\b([A-Za-z_]\w*)\[\s*(['"])(\w+)\2\s*\]""")
_GETATTR = re.compile(r"\bgetattr\(\s*([A-Za-z_]\w*)\s*,")
_WORD = re.compile(r"\b[A-Za-z_]\w*")


def local_shapes(frame, line: str = "", limit: int = MAX_LOCALS) -> dict:
    """{name: shape list | type text} for a frame's local variables (at most `limit` names).

    Names used on `line` (the line that raised) come first, with the fields of dataclasses
    ('params.W_n') and the str keys of plain dicts ("cache['x']") that the line uses.
    """
    out: dict = {}
    try:
        local = frame.f_locals
        names = [k for k in local if type(k) is str and not k.startswith("__")]
    except Exception:  # noqa: BLE001
        return out
    used = []
    for w in _WORD.findall(line or ""):
        if w in names and w not in used:
            used.append(w)
    for m in _DOTTED.finditer(line or ""):
        base, attr = m.group(1), m.group(2)
        key = f"{base}.{attr}"
        v = local.get(base) if base in names else None
        if key in out or v is None or len(out) >= limit:
            continue
        try:
            if dataclasses.is_dataclass(type(v)) and attr in {
                f.name for f in dataclasses.fields(type(v))
            }:
                out[key] = _describe_local(object.__getattribute__(v, attr))
        except Exception:  # noqa: BLE001
            pass
    for m in _GETATTR.finditer(line or ""):  # getattr(p, "W_" + k): every field p has
        base = m.group(1)
        v = local.get(base) if base in names else None
        try:
            if v is not None and dataclasses.is_dataclass(type(v)):
                for f in dataclasses.fields(type(v)):
                    if f"{base}.{f.name}" not in out and len(out) < limit:
                        out[f"{base}.{f.name}"] = _describe_local(
                            object.__getattribute__(v, f.name)
                        )
        except Exception:  # noqa: BLE001
            pass
    for m in _KEYED.finditer(line or ""):
        base, key = m.group(1), m.group(3)
        v = local.get(base) if base in names else None
        if type(v) is dict and key in v and len(out) < limit:
            out[f"{base}[{key!r}]"] = _describe_local(dict.__getitem__(v, key))
    for name in used + [n for n in names if n not in used]:
        if len(out) >= limit:
            break
        try:
            out[name] = _describe_local(local[name])
        except Exception:  # noqa: BLE001
            continue
    return out


_THIS_FILE = learner_frame.__code__.co_filename  # also right when this source is exec'd


def function_source(fn, limit: int = MAX_SOURCE) -> str:
    """The def block of a plain Python function as text, read from linecache ('' for anything
    else: a lambda's line, a builtin, a callable object). Nothing of fn is called: its code
    object is read through the function type's own descriptor."""
    try:
        if type(fn) is not types.FunctionType:
            return ""
        code = types.FunctionType.__code__.__get__(fn, types.FunctionType)
        lines = linecache.getlines(code.co_filename)
        start = code.co_firstlineno - 1
        if not lines or not 0 <= start < len(lines):
            return ""
        first = lines[start]
        indent = len(first) - len(first.lstrip())
        block = [first]
        for line in lines[start + 1 : start + limit]:
            text = line.strip()
            if text and len(line) - len(line.lstrip()) <= indent and not text.startswith(")"):
                break
            block.append(line)
        return "".join(block) if block[0].lstrip().startswith(("def ", "@", "async ")) else ""
    except Exception:  # noqa: BLE001 - a source that cannot be read is just not there
        return ""


MAX_HELPERS = 4  # the learner's own helper functions shipped after the function's source


def _global_names(code) -> list:
    """The global names a code object (and the lambdas, comprehensions and defs inside it)
    reads, in order."""
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names += _global_names(const)
    return list(dict.fromkeys(names))


def helper_sources(fn, limit: int = MAX_HELPERS) -> str:
    """The def blocks of the learner's own functions that fn calls by a global name (a
    hand-written sigmoid in an earlier cell): plain functions defined in fn's namespace,
    never a package's (theirs live in their module's namespace). Nothing is called."""
    try:
        if type(fn) is not types.FunctionType:
            return ""
        code = types.FunctionType.__code__.__get__(fn, types.FunctionType)
        space = types.FunctionType.__globals__.__get__(fn, types.FunctionType)
        if type(space) is not dict:
            return ""
        blocks = []
        for name in _global_names(code):
            helper = dict.get(space, name)
            if type(helper) is not types.FunctionType or helper is fn:
                continue
            if types.FunctionType.__globals__.__get__(helper, types.FunctionType) is not space:
                continue
            text = function_source(helper)
            if text:
                blocks.append(text)
            if len(blocks) >= limit:
                break
        return "".join("\n" + textwrap.dedent(b) for b in blocks)
    except Exception:  # noqa: BLE001 - a helper that cannot be read is just not there
        return ""


def _source_with_helpers(fn) -> str:
    """fn's def block, then the def blocks of the learner's helpers it calls (if any)."""
    main = function_source(fn)
    helpers = helper_sources(fn) if main else ""
    return textwrap.dedent(main) + helpers if helpers else main


def _exception_text(exc: BaseException) -> str:
    try:
        msg = str(exc)
        msg = msg if isinstance(msg, str) else "<unprintable message>"
    except Exception:  # noqa: BLE001
        msg = "<unprintable message>"
    msg = _ADDRESS.sub("0x...", msg)
    if len(msg) > 400:
        msg = msg[:400] + " ..."
    name = type_name(exc).rsplit(".", 1)[-1]
    return f"{name}: {msg}" if msg else name


def run_function(fn, kwargs: dict, keyword_only=("variant",), skip_dirs=None) -> dict:
    """Call fn once on a deep copy of kwargs and describe the outcome as a plain dict.

    Arguments are passed positionally in kwargs' order (so renamed parameters still work),
    except those named in `keyword_only`. NumPy floating-point warnings, Python warnings and
    anything the function prints are suppressed. Every exception is caught, SystemExit
    included, except KeyboardInterrupt (the person pressed stop: that is theirs to see).

    Keys: status ('returned' | 'not_implemented' | 'raised'), value (normalized), type_name,
    error, error_line, error_function, mutated (list of argument paths changed in place),
    error_shapes (when it raised: the learner's variables in the frame of error_line, name ->
    shape as a list of ints for an ndarray, else a type text such as 'None' or 'float'),
    error_callee (the function error_line called into, when the error came from inside it),
    source (fn's def block as text, for a static look at its calls; '' when unreadable),
    overflow (True when a NumPy floating-point overflow or invalid operation, e.g. np.exp(710)
    or inf/inf, happened during the call; still silent).
    """
    pristine = copy.deepcopy(kwargs)
    given = copy.deepcopy(kwargs)
    args = [v for k, v in given.items() if k not in keyword_only]
    kw = {k: v for k, v in given.items() if k in keyword_only}
    out = dict(
        status="returned",
        value=None,
        type_name="",
        error="",
        error_line="",
        error_function="",
        mutated=[],
        error_shapes={},
        error_callee="",
        overflow=False,
        source=_source_with_helpers(fn),
    )
    fp_errors = []

    def on_fp_error(kind, flag):  # NumPy calls this instead of warning (over= / invalid=)
        fp_errors.append(1)

    sink = io.StringIO()
    try:
        with (
            warnings.catch_warnings(),
            np.errstate(all="ignore", over="call", invalid="call", call=on_fp_error),
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
        ):
            warnings.simplefilter("ignore")
            try:
                result = fn(*args, **kw)
            finally:
                out["overflow"] = bool(fp_errors)
            out["type_name"] = type_name(result)
            try:
                out["value"] = normalize(result)
            except Exception:  # noqa: BLE001 - an object that defends itself
                out["value"] = out["type_name"] or "object"
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - SystemExit, GeneratorExit, anything at all
        out["status"] = "not_implemented" if isinstance(exc, NotImplementedError) else "raised"
        out["value"] = None
        try:
            out["error"] = _exception_text(exc)
            out["error_function"], out["error_line"] = learner_frame(exc, skip_dirs)
            entry = _learner_entry(exc, skip_dirs)
            if entry is not None and entry[1] is not None:
                out["error_shapes"] = local_shapes(entry[1], entry[0].line or "")
            out["error_callee"] = error_callee(exc, skip_dirs)
        except Exception:  # noqa: BLE001 - an exception that cannot even be described
            out["error"] = out["error"] or "an exception that cannot be printed"
    try:
        out["mutated"] = [p for p in changed_paths(pristine, given) if p]
    except Exception:  # noqa: BLE001
        out["mutated"] = []
    return out
