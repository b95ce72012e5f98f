"""A run cache for the test suite: each expensive training run is computed once, then replayed.

The notebooks train small networks for real (notebook 08's adding problem, 09's char-LSTM,
10's ablation); the test suite executes them three times (strict nbval on solutions/, lax nbval
on notebooks/, the browser tests). With the cache on, the strict run computes every training
for real and WRITES its outcome; the lax run and the browser tests REUSE it. What a replay
leaves behind is bit-identical to what the real run left:

- the function's return value (a history: plain lists, dicts, numbers, arrays);
- every ``torch.nn.Module`` argument's state: ``state_dict()``, each parameter's ``.grad``,
  each submodule's ``training`` flag;
- every ``np.random.Generator`` argument's state;
- the global random generators the run advanced (torch's, NumPy's legacy one, ``random``):
  set to where the run left them, so later cells draw the same numbers. A generator the run did
  not advance is left alone; one it did advance must be, before the call, where it was before
  the recorded run (else it is a miss).

The key (a file name) hashes the function's name, every argument (arrays and tensors by their
bytes; a module by its class, ``repr``, training flags, parameters, gradients and buffers), the
source of the whole ``lstm_course`` package, the torch/NumPy/Python versions and torch's thread
count, deterministic-algorithms flag and default dtype. An argument the key cannot describe (a
function, a learner's own ``nn.Module`` subclass, a hook that is not the package's), a run given a
wall-clock limit (``volatile`` arguments), or a result that is not plain data: the function runs
for real and nothing is stored. So a learner's own code is never replaced by a replay.

OFF unless ``$LSTM_COURSE_RUN_CACHE`` names a folder (a learner always trains for real). Then
``$LSTM_COURSE_RUN_CACHE_MODE`` says what to do:

- ``write``: always compute for real, then store (never reads: this is the run whose outputs
  are checked, ``scripts/test.sh`` uses it for the strict nbval run);
- ``reuse`` (the default): replay a stored run when there is one, else compute it and store it.

Entries are pickles: point the variable only at a folder this test run owns (test.sh makes one
under its temporary artifacts folder). Every lookup appends one line to ``log.tsv`` there
(``write``/``hit``/``miss``/``skip``, the function, the key, why), which test.sh summarises.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import pickle
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = ["ENV_DIR", "ENV_MODE", "cached", "cache_dir", "source_hash"]

ENV_DIR = "LSTM_COURSE_RUN_CACHE"
ENV_MODE = "LSTM_COURSE_RUN_CACHE_MODE"
MODES = ("write", "reuse")
PACKAGE = Path(__file__).resolve().parent


class _Uncacheable(Exception):
    """This call cannot be described by a key (or replayed): run it for real, store nothing."""


def cache_dir() -> Path | None:
    """The cache folder ($LSTM_COURSE_RUN_CACHE), or None when the cache is off."""
    d = os.environ.get(ENV_DIR, "").strip()
    return Path(d) if d else None


def _mode() -> str:
    mode = os.environ.get(ENV_MODE, "").strip().lower() or "reuse"
    if mode not in MODES:
        raise ValueError(f"${ENV_MODE} must be one of {', '.join(MODES)}, got {mode!r}")
    return mode


@functools.lru_cache(maxsize=1)
def source_hash() -> str:
    """sha256 of every .py file of the lstm_course package (paths and contents)."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


# ----------------------------------------------------------------------------- fingerprints


def _ours(obj) -> bool:
    """Defined in this package (its code is covered by source_hash) or in torch itself."""
    module = getattr(obj, "__module__", None) or ""
    return module in ("lstm_course", "torch") or module.startswith(("lstm_course.", "torch."))


def _tensor_bytes(t) -> bytes:
    import torch  # noqa: PLC0415  (only reached with a tensor: torch is there)

    t = t.detach().cpu().contiguous()
    return f"{t.dtype}{tuple(t.shape)}".encode() + t.reshape(-1).view(torch.uint8).numpy().tobytes()


def _hooks_of(obj) -> list:
    hooks = []
    for name in (
        "_backward_hooks",
        "_backward_pre_hooks",
        "_forward_hooks",
        "_forward_hooks_with_kwargs",
        "_forward_pre_hooks",
        "_forward_pre_hooks_with_kwargs",
        "_state_dict_hooks",
        "_state_dict_pre_hooks",
        "_load_state_dict_pre_hooks",
        "_load_state_dict_post_hooks",
        "_post_accumulate_grad_hooks",
    ):
        d = getattr(obj, name, None)
        if isinstance(d, dict):
            hooks += [v for v in d.values() if callable(v)]
    return hooks


def _module_fingerprint(module, h) -> None:
    import torch  # noqa: PLC0415  (only reached when a module is passed: torch is there)

    for name, sub in module.named_modules():
        if not _ours(type(sub)):
            raise _Uncacheable(
                f"module {name or '(root)'} is a {type(sub).__qualname__} "
                "defined outside lstm_course and torch"
            )
        for hook in _hooks_of(sub):
            if not _ours(hook):
                raise _Uncacheable(f"module {name or '(root)'} has a hook from outside lstm_course")
        h.update(f"M{name}:{type(sub).__module__}.{type(sub).__qualname__}:{sub.training}".encode())
    h.update(repr(module).encode())
    for name, p in module.named_parameters():
        for hook in _hooks_of(p):
            if not _ours(hook):
                raise _Uncacheable(f"parameter {name} has a hook from outside lstm_course")
        h.update(f"P{name}:{p.requires_grad}".encode() + _tensor_bytes(p))
        h.update(b"G-" if p.grad is None else b"G" + _tensor_bytes(p.grad))
    for name, b in module.named_buffers():
        h.update(f"B{name}".encode() + _tensor_bytes(b))
    if (
        torch.nn.modules.module._global_forward_hooks
        or torch.nn.modules.module._global_backward_hooks
    ):
        raise _Uncacheable("a global module hook is registered")


def _fingerprint(obj, h) -> None:
    """Feed a description of ``obj`` to the hash ``h``; _Uncacheable when it has none."""
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    elif isinstance(obj, (list, tuple)):
        h.update(f"{type(obj).__name__}[{len(obj)}](".encode())
        for x in obj:
            _fingerprint(x, h)
        h.update(b")")
    elif isinstance(obj, dict):
        h.update(f"dict[{len(obj)}](".encode())
        for k, v in obj.items():  # insertion order: it can matter to the function
            _fingerprint(k, h)
            _fingerprint(v, h)
        h.update(b")")
    elif isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise _Uncacheable("an object array")
        h.update(f"nd:{obj.dtype.str}{obj.shape};".encode() + np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, np.generic):
        h.update(f"np:{obj.dtype.str}:{obj!r};".encode())
    elif isinstance(obj, np.random.Generator):
        h.update(
            b"gen:" + json.dumps(obj.bit_generator.state, sort_keys=True, default=str).encode()
        )
    else:
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(obj, torch.Tensor):
            h.update(f"T{obj.requires_grad}".encode() + _tensor_bytes(obj))
        elif torch is not None and isinstance(obj, torch.nn.Module):
            _module_fingerprint(obj, h)
        else:
            raise _Uncacheable(f"an argument of type {type(obj).__qualname__}")


def _digest(obj) -> str:
    h = hashlib.sha256()
    _fingerprint(obj, h)
    return h.hexdigest()


def _plain(obj) -> bool:
    """Plain data that pickles to an equal copy (no module, tensor or object of the caller's)."""
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes, np.generic)):
        return True
    if isinstance(obj, (list, tuple)):
        return all(_plain(x) for x in obj)
    if isinstance(obj, dict):
        return all(_plain(k) and _plain(v) for k, v in obj.items())
    return isinstance(obj, np.ndarray) and obj.dtype != object


# ----------------------------------------------------------------------------- global RNGs


def _global_rngs() -> dict:
    """{name: (get_state, set_state)} for the global generators a run may advance."""
    rngs = {
        "numpy": (np.random.get_state, np.random.set_state),
        "random": (random.getstate, random.setstate),
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        rngs["torch"] = (torch.get_rng_state, torch.set_rng_state)
    return rngs


def _state_digest(state) -> str:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(state, torch.Tensor):
        return hashlib.sha256(_tensor_bytes(state)).hexdigest()
    return _digest(state)


# ----------------------------------------------------------------------------- the cache


def _environment() -> dict:
    env = {
        "python": sys.version_info[:2],
        "numpy": np.__version__,
        "source": source_hash(),
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        if torch.cuda.is_initialized():
            raise _Uncacheable("CUDA is initialised (its generators are not recorded)")
        env.update(
            torch=torch.__version__,
            threads=torch.get_num_threads(),
            deterministic=torch.are_deterministic_algorithms_enabled(),
            dtype=str(torch.get_default_dtype()),
        )
    return env


def _log(folder: Path, what: str, fn_name: str, key: str, why: str = "") -> None:
    try:
        with open(folder / "log.tsv", "a", encoding="utf-8") as f:
            f.write(f"{what}\t{fn_name}\t{key[:16]}\t{os.getpid()}\t{why}\n")
    except OSError:
        pass


def _write(path: Path, entry: dict) -> None:
    """Atomically: a reader (another pytest worker) sees the whole entry or none."""
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(entry, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _module_state(module) -> dict:
    return {
        "state_dict": {k: v.detach().clone() for k, v in module.state_dict().items()},
        "grads": {
            n: None if p.grad is None else p.grad.detach().clone()
            for n, p in module.named_parameters()
        },
        "training": {n: m.training for n, m in module.named_modules()},
    }


def _restore_module(module, state: dict) -> None:
    import torch  # noqa: PLC0415

    module.load_state_dict(state["state_dict"])
    with torch.no_grad():
        for n, p in module.named_parameters():
            g = state["grads"][n]
            p.grad = None if g is None else g.clone()
    for n, m in module.named_modules():
        m.training = state["training"][n]


def cached(fn=None, *, volatile: tuple[str, ...] = ()):
    """Decorate a deterministic, expensive function so that, with the cache on, its outcome is
    stored and replayed (see the module's docstring). Off, it is the function, untouched.

    volatile: argument names whose value (when not None) makes the outcome depend on more than
    the arguments (a wall-clock ``time_limit``): such a call always runs for real.
    """
    if fn is None:
        return functools.partial(cached, volatile=volatile)
    signature = inspect.signature(fn)
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        folder = cache_dir()
        if folder is None:
            return fn(*args, **kwargs)
        mode = _mode()
        folder.mkdir(parents=True, exist_ok=True)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        try:
            for v in volatile:
                if arguments.get(v) is not None:
                    raise _Uncacheable(f"{v}={arguments[v]!r}")
            h = hashlib.sha256(name.encode())
            _fingerprint(_environment(), h)
            _fingerprint(sorted(arguments), h)
            for v in arguments.values():
                _fingerprint(v, h)
            key = h.hexdigest()
        except _Uncacheable as e:
            _log(folder, "skip", name, "-", str(e))
            return fn(*args, **kwargs)
        path = folder / f"{name}-{key[:32]}.pkl"
        torch = sys.modules.get("torch")
        modules = {
            k: v
            for k, v in arguments.items()
            if torch is not None and isinstance(v, torch.nn.Module)
        }
        generators = {k: v for k, v in arguments.items() if isinstance(v, np.random.Generator)}
        rngs = _global_rngs()
        before = {g: get() for g, (get, _) in rngs.items()}

        if mode == "reuse" and path.exists():
            with open(path, "rb") as f:
                entry = pickle.load(f)
            stale = [
                g
                for g, rec in entry["rngs"].items()
                if g not in before or _state_digest(before[g]) != rec["before"]
            ]
            if not stale:
                for k, state in entry["modules"].items():
                    _restore_module(modules[k], state)
                for k, state in entry["generators"].items():
                    generators[k].bit_generator.state = state
                for g, rec in entry["rngs"].items():
                    rngs[g][1](rec["after"])
                _log(folder, "hit", name, key)
                return pickle.loads(entry["result"])
            _log(folder, "miss", name, key, f"global RNG not where it was: {', '.join(stale)}")
        elif mode == "reuse":
            _log(folder, "miss", name, key, "not stored")

        others = {
            k: _digest(v) for k, v in arguments.items() if k not in modules and k not in generators
        }
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = time.perf_counter() - t0
        why = None
        if not _plain(result):
            why = f"the result ({type(result).__qualname__}) is not plain data"
        elif any(_digest(arguments[k]) != d for k, d in others.items()):
            why = "the function changed an argument in place"
        if why is not None:
            _log(folder, "skip", name, key, why)
            return result
        after = {g: get() for g, (get, _) in rngs.items()}
        entry = {
            "function": name,
            "seconds": seconds,
            "result": pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL),
            "modules": {k: _module_state(m) for k, m in modules.items()},
            "generators": {k: g.bit_generator.state for k, g in generators.items()},
            "rngs": {
                g: {"before": _state_digest(before[g]), "after": after[g]}
                for g in rngs
                if _state_digest(before[g]) != _state_digest(after[g])
            },
        }
        _write(path, entry)
        _log(folder, "write", name, key, f"{seconds:.1f} s")
        return result

    wrapper.__wrapped_uncached__ = fn
    return wrapper
