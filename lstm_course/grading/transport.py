"""Safe serialization between the grader and a learner's kernel (no pickle, ever).

A value (nested tuples, lists, str-keyed dicts, NumPy arrays, LSTMParams or GRUParams, plain
scalars, None)
travels as ONE ``.npz`` archive: its arrays under keys ``a0, a1, ...`` and a JSON skeleton
(under ``__skeleton__``, as uint8 bytes) that says where each array goes. The archive is
base64-encoded and framed by a random nonce: ``NONCE:BASE64:NONCE``.

Reading uses ``np.load(..., allow_pickle=False)``: an object array (which could carry a pickle)
is refused, never unpickled. Anything that is not plain data (an object whose ``__eq__`` always
says True, a generator, ...) is sent as ``{"__other__": "<type name>"}`` and judged as such.

This module is shipped INTO the learner's kernel by the grader (its source is exec'd there), so
it imports nothing but the standard library and NumPy.
"""

import base64
import io
import json
import math

import numpy as np

MAX_ARRAY_BYTES = 64 * 1024 * 1024  # a single output larger than this is not sent
MAX_PAYLOAD_BYTES = 96 * 1024 * 1024  # what the grader decodes at most (all arrays together)

PARAM_FIELDS = ("W_n", "b_n", "W_i", "b_i", "W_f", "b_f", "W_u", "b_u", "W_v", "b_v")
GRU_PARAM_FIELDS = ("W_r", "b_r", "W_z", "b_z", "W_xn", "b_xn", "W_hn", "b_hn")
# parameter dataclasses that travel by their fields: type name -> (skeleton tag, fields)
PARAM_TYPES = {
    "LSTMParams": ("__params__", PARAM_FIELDS),
    "GRUParams": ("__gru_params__", GRU_PARAM_FIELDS),
}


class TransportError(ValueError):
    """The payload is not a well-formed archive of plain data."""


def _params_type(obj):
    """The PARAM_TYPES name of a parameters object (None for anything else)."""
    name = type(obj).__name__
    if name in PARAM_TYPES and all(hasattr(obj, f) for f in PARAM_TYPES[name][1]):
        return name
    return None


def _is_params(obj):
    return _params_type(obj) == "LSTMParams"


def _skeleton(obj, arrays, depth=0):
    if depth > 20:
        return {"__other__": "nesting too deep"}
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int) and type(obj) in (int, bool):
        return obj
    if type(obj) is float:
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, (np.ndarray, np.generic)) and type(obj).__module__ == "numpy":
        arr = np.asarray(obj)
        if arr.dtype.hasobject or arr.dtype.kind not in "biufc":
            return {"__other__": f"numpy array of dtype {arr.dtype}"}
        if arr.nbytes > MAX_ARRAY_BYTES:
            return {"__other__": f"array too large ({arr.nbytes} bytes)"}
        key = f"a{len(arrays)}"
        arrays[key] = np.array(arr, copy=True)
        return {"__nd__": key}
    kind = _params_type(obj)
    if kind is not None:
        tag, names = PARAM_TYPES[kind]
        return {tag: {f: _skeleton(getattr(obj, f), arrays, depth + 1) for f in names}}
    if type(obj) is tuple:
        return {"__tuple__": [_skeleton(x, arrays, depth + 1) for x in obj]}
    if type(obj) is list:
        return [_skeleton(x, arrays, depth + 1) for x in obj]
    if type(obj) is dict and all(type(k) is str for k in obj):
        return {"__dict__": {k: _skeleton(v, arrays, depth + 1) for k, v in obj.items()}}
    return {"__other__": type(obj).__name__}


def pack(obj, nonce):
    """obj -> 'NONCE:BASE64(npz):NONCE'."""
    arrays = {}
    skeleton = json.dumps(_skeleton(obj, arrays), allow_nan=False)
    arrays["__skeleton__"] = np.frombuffer(skeleton.encode("utf-8"), dtype=np.uint8)
    arrays["__nonce__"] = np.frombuffer(str(nonce).encode("ascii"), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return f"{nonce}:{base64.b64encode(buf.getvalue()).decode('ascii')}:{nonce}"


class Other:
    """Stands for a value that was not plain data (only its type name came through)."""

    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return f"<{self.what}>"

    def __eq__(self, other):
        return isinstance(other, Other) and other.what == self.what

    __hash__ = None


def _build(node, arrays, make_params):
    if isinstance(node, list):
        return [_build(x, arrays, make_params) for x in node]
    if not isinstance(node, dict):
        return node
    if len(node) != 1:
        raise TransportError("malformed skeleton node")
    ((tag, value),) = node.items()
    if tag == "__nd__":
        if value not in arrays:
            raise TransportError(f"missing array {value!r}")
        return arrays[value]
    if tag == "__tuple__":
        return tuple(_build(x, arrays, make_params) for x in value)
    if tag == "__dict__":
        return {str(k): _build(v, arrays, make_params) for k, v in value.items()}
    for kind, (params_tag, names) in PARAM_TYPES.items():
        if tag == params_tag:
            fields = {f: _build(value.get(f), arrays, make_params) for f in names}
            ctor = (
                make_params.get(kind)
                if isinstance(make_params, dict)
                else (make_params if kind == "LSTMParams" else None)
            )
            return ctor(**fields) if ctor is not None else fields
    if tag == "__float__":
        return float(value)
    if tag == "__other__":
        return Other(str(value))
    raise TransportError(f"unknown skeleton tag {tag!r}")


def _check_stored(raw: bytes):
    """Refuse an archive that would grow when read: `pack` writes np.savez's stored (never
    compressed) members, so a deflated member (a zip bomb) or members that claim more bytes
    than the archive holds are not ours."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile:
        raise TransportError("payload is not a zip archive") from None
    if len(infos) > 10_000:
        raise TransportError("archive has too many members")
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED or info.file_size > len(raw):
            raise TransportError("archive has a compressed or oversized member")


def unpack(text, nonce, make_params=None):
    """'NONCE:BASE64:NONCE' -> the value. Raises TransportError on anything unexpected.

    make_params: the LSTMParams class, or a dict {type name: class} for every PARAM_TYPES
    name to rebuild (parameters of a type without a class come back as a dict of fields)."""
    if not isinstance(text, str):
        raise TransportError("payload is not text")
    head, sep, rest = text.partition(":")
    body, sep2, tail = rest.rpartition(":")
    if not (sep and sep2) or head != str(nonce) or tail != str(nonce):
        raise TransportError("payload is not framed by this run's nonce")
    if len(body) > MAX_PAYLOAD_BYTES * 4 // 3 + 4:
        raise TransportError(f"payload is larger than {MAX_PAYLOAD_BYTES // 2**20} MB")
    try:
        raw = base64.b64decode(body.encode("ascii"), validate=True)
        _check_stored(raw)
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:  # noqa: BLE001 - any failure means "not a safe archive"
        if isinstance(exc, TransportError):
            raise
        raise TransportError(
            f"payload is not a plain .npz archive ({type(exc).__name__})"
        ) from None
    if bytes(arrays.pop("__nonce__", b"")).decode("ascii", "replace") != str(nonce):
        raise TransportError("archive nonce does not match")
    try:
        skeleton = json.loads(bytes(arrays.pop("__skeleton__")).decode("utf-8"))
    except Exception:  # noqa: BLE001
        raise TransportError("archive has no readable skeleton") from None
    return _build(skeleton, arrays, make_params)
