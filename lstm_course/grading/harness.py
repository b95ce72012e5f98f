"""The code the grader sends into a learner's kernel (built here, as text).

Three requests, all generated per submission with fresh random tokens:

* `warmup_code(token)`: before any learner code: a few imports and an (obscurely named)
  dict that keeps each exercise function as it was right after the cell that defined it, so a
  later cell rebinding the name does not change what is graded.
* `capture_expression(token, names)`: a *user expression* evaluated right after a defining
  cell (only if that cell ran without error).
* `exercise_code(...)`: unpacks the cases (sent as a base64 .npz, read with
  allow_pickle=False), calls the learner's function on each through
  lstm_course.checks.outcome.run_function (its source is shipped, so a learner patching the
  installed module changes nothing), with the package's own reference functions turned into
  tripwires for the duration, and leaves the packed results (NONCE:BASE64:NONCE) in the
  private dict; the grader fetches them with another user expression.

Nothing here is trusted by the grader: outputs are plain arrays that the grader judges against
its own reference, on inputs drawn at grading time.
"""

from __future__ import annotations

import inspect
import json

__all__ = [
    "warmup_code",
    "capture_expression",
    "exercise_code",
    "result_expression",
    "WARMUP_IMPORTS",
]

WARMUP_IMPORTS = "import numpy, lstm_course"


def _slot(token: str) -> str:
    return f"_lc_grader_{token}"


def warmup_code(token: str) -> str:
    return f"{WARMUP_IMPORTS}\n{_slot(token)} = {{}}\n"


def capture_expression(token: str, names) -> str:
    pairs = ", ".join(f"{n!r}: globals().get({n!r})" for n in names)
    return f"{_slot(token)}.update({{{pairs}}}) or 1"


def result_expression(token: str) -> str:
    return f"{_slot(token)}.get('__out__', '')"


_SHIPPED_CACHE: dict[str, str] = {}


def _shipped(module) -> str:
    name = module.__name__
    if name not in _SHIPPED_CACHE:
        _SHIPPED_CACHE[name] = inspect.getsource(module)
    return _SHIPPED_CACHE[name]


_TEMPLATE = """
def _lc_run_{nonce}():
    import importlib, types
    slot = globals()[{slot!r}]
    slot.pop("__out__", None)
    tns, ons = {{"__name__": "_lc_transport"}}, {{"__name__": "_lc_outcome"}}
    exec(compile({transport_src!r}, "<lstm_course grader transport>", "exec"), tns)
    exec(compile({outcome_src!r}, "<lstm_course grader outcome>", "exec"), ons)
    make_params = {{}}
    try:
        from lstm_course.params import LSTMParams
        make_params["LSTMParams"] = LSTMParams
    except Exception:
        pass
    try:
        from lstm_course.gru import GRUParams
        make_params["GRUParams"] = GRUParams
    except Exception:
        pass
    report = {{"found": False, "callable": False, "reference": "", "tripped": [], "runs": []}}
    name = {name!r}
    fn = slot[name] if slot.get(name) is not None else globals().get(name)
    if fn is not None:
        report["found"] = True
        report["callable"] = callable(fn)
        report["type_name"] = type(fn).__name__
    refs = []
    for mod, attr in {refs!r}:
        try:
            refs.append((mod + "." + attr, getattr(importlib.import_module(mod), attr)))
        except Exception:
            pass
    if report["callable"]:
        for label, ref in refs:
            inner = getattr(fn, "func", fn)
            if fn is ref or inner is ref or getattr(fn, "__wrapped__", None) is ref or \\
                    getattr(fn, "__code__", None) is getattr(ref, "__code__", 0):
                report["reference"] = label
        trips, saved = [], []
        for label, ref in refs:
            if any(ref is r for r, _, _ in saved):
                continue
            if isinstance(ref, types.FunctionType) and not ref.__code__.co_freevars:
                orig = types.FunctionType(ref.__code__, ref.__globals__, ref.__name__,
                                          ref.__defaults__, ref.__closure__)
                orig.__kwdefaults__ = ref.__kwdefaults__
                key = "_lc_trip_{nonce}_" + str(len(saved))
                ref.__globals__[key] = (orig, trips, label)
                src = ("def _trip(*args, **kwargs):\\n"
                       "    t = " + key + "\\n"
                       "    t[1].append(t[2])\\n"
                       "    return t[0](*args, **kwargs)\\n")
                tmp = {{}}
                exec(compile(src, "<lstm_course tripwire>", "exec"), ref.__globals__, tmp)
                saved.append((ref, ref.__code__, key))
                ref.__code__ = tmp["_trip"].__code__
        try:
            cases = tns["unpack"]({cases_payload!r}, {cases_nonce!r}, make_params=make_params)
            for kwargs in cases:
                report["runs"].append(ons["run_function"](fn, kwargs,
                                                          keyword_only={keyword_only!r}))
                last = report["runs"][-1]
                if last.get("status") == "not_implemented" or (
                        last.get("status") == "raised" and
                        str(last.get("error", "")).split(":")[0].endswith("MemoryError")):
                    break
        finally:
            for ref, code, key in reversed(saved):
                ref.__code__ = code
                ref.__globals__.pop(key, None)
        report["tripped"] = sorted(set(trips))
    slot["__out__"] = tns["pack"](report, {out_nonce!r})

try:
    _lc_run_{nonce}()
finally:
    del _lc_run_{nonce}
"""


def exercise_code(
    *,
    token: str,
    nonce: str,
    name: str,
    refs,
    cases_payload: str,
    cases_nonce: str,
    out_nonce: str,
    keyword_only=("variant",),
) -> str:
    """The request that runs one exercise's cases in the kernel."""
    from ..checks import outcome
    from . import transport

    return _TEMPLATE.format(
        nonce=nonce,
        slot=_slot(token),
        transport_src=_shipped(transport),
        outcome_src=_shipped(outcome),
        name=name,
        refs=[tuple(r) for r in refs],
        cases_payload=cases_payload,
        cases_nonce=cases_nonce,
        out_nonce=out_nonce,
        keyword_only=tuple(keyword_only),
    )


def parse_user_expression(reply: dict) -> str:
    """The text/plain of a user expression holding a str -> that str ('' when absent)."""
    if not isinstance(reply, dict) or reply.get("status") != "ok":
        return ""
    text = reply.get("data", {}).get("text/plain", "")
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        body = text[1:-1]
        if all(c.isalnum() or c in "+/=:" for c in body):  # base64, hex nonce and ':' only
            return body
    return ""


if __name__ == "__main__":
    print(json.dumps(warmup_code("x")))
