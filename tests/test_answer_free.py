"""The answer-free build: every marked answer of the package is a stub, everything else works."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from lstm_course.answer_free import PACKAGE_DIR, build_answer_free, marked_functions
from lstm_course.exercises import EXERCISES
from lstm_course.release import BEGIN, END


def _code(line: str) -> str:
    return " ".join(line.split("#", 1)[0].split())


def _lines(root, inside: bool) -> set[str]:
    """The code lines (comments and spacing dropped) inside / outside marked regions."""
    out = set()
    for path in root.rglob("*.py"):
        marked = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if BEGIN.match(line):
                marked = True
            elif END.match(line):
                marked = False
            elif marked == inside and _code(line):
                out.add(_code(line))
    return out


def test_every_exercise_is_a_marked_function():
    marked = set(marked_functions())
    for ex in EXERCISES.values():
        assert (ex.fn.__module__, ex.name) in marked


def test_the_build_holds_no_line_of_any_marked_body(tmp_path):
    answers = _lines(PACKAGE_DIR, inside=True) - _lines(PACKAGE_DIR, inside=False)
    assert len(answers) > 50  # the bodies of the gates, the cell, backward, the mapping...
    assert "return forget_out + learn_out" in answers  # the Remember gate, whole
    assert any("sigmoid(x @ W_i + b_i)" in line for line in answers)  # a mistake's edit
    target = build_answer_free(tmp_path)
    built = set()
    for path in target.rglob("*.py"):
        built |= {_code(line) for line in path.read_text(encoding="utf-8").splitlines()}
    leaked = sorted(answers & built)
    assert not leaked, leaked
    assert not list(target.rglob("__pycache__"))


def test_the_build_imports_and_every_answer_is_a_stub(tmp_path):
    build_answer_free(tmp_path)
    script = """
import inspect, json
import lstm_course
from lstm_course.exercises import EXERCISES
from lstm_course.checks import run_check
out = {"file": lstm_course.__file__, "stubs": {}, "checks": {}}
for name, ex in EXERCISES.items():
    out["stubs"][name] = "raise NotImplementedError" in inspect.getsource(ex.fn)
    out["checks"][name] = run_check(name, ex.fn).status
print(json.dumps(out))
"""
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["file"].startswith(str(tmp_path))
    assert all(out["stubs"].values()), out["stubs"]
    # no answer to compare with: the check says the grader checks it, never "passes"
    assert set(out["checks"].values()) == {"not-checked"}, out["checks"]


_HUNT = r"""
import importlib, inspect, json, pickle, pkgutil, sys, warnings
import numpy as np
import lstm_course

cases = pickle.load(open(sys.argv[1], "rb"))  # [(exercise, kwargs, expected)]


def arrays(obj, depth=0):  # every float array inside a returned value (tuples, dicts, objects)
    if depth > 4:
        return
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc" and obj.size:
            yield obj
    elif isinstance(obj, (tuple, list)):
        for x in obj[:50]:
            yield from arrays(x, depth + 1)
    elif isinstance(obj, dict):
        for x in list(obj.values())[:50]:
            yield from arrays(x, depth + 1)
    elif hasattr(obj, "__dict__") and not inspect.ismodule(obj):
        for x in list(vars(obj).values())[:50]:
            yield from arrays(x, depth + 1)


def close(a, b):
    a, b = np.squeeze(a), np.squeeze(b)
    return a.shape == b.shape and np.allclose(a, b, atol=1e-9)


def leaks(got, expected):
    # every array of the answer is in what the function returned (a readout's dict holding
    # it, a forward returning it with a cache), or is the product or sum of two arrays there
    # (the gates' parts: N_t and i_t, U_t and V_t, LTM and f_t)
    wanted = list(arrays(expected))
    found = list(arrays(got))[:24]
    made = [a * b for a in found for b in found if np.shape(a) == np.shape(b)]
    made += [a + b for a in found for b in found if np.shape(a) == np.shape(b)]
    return bool(wanted) and all(any(close(w, g) for g in found + made) for w in wanted)


def pool(kwargs):
    # the case's arguments, under their standard names too (h, c, x), and as an LSTMParams
    # when the case passes the gate weights one by one
    out = dict(kwargs)
    for lesson, std in (("stm", "h"), ("ltm", "c"), ("event", "x")):
        if lesson in out:
            out.setdefault(std, out[lesson])
    from lstm_course.params import LSTMParams, init_params
    fields = [f for f in LSTMParams.__dataclass_fields__ if f in out]
    if fields and "params" not in out and "stm" in out and "event" in out:
        B, H = np.shape(out["stm"])
        D = np.shape(out["event"])[1]
        p = init_params(D, H, seed=0)
        for f in fields:
            setattr(p, f, out[f])
        out["params"] = p
    return out


functions = {}
for info in pkgutil.walk_packages(lstm_course.__path__, "lstm_course."):
    if info.name.endswith("__main__"):
        continue
    mod = importlib.import_module(info.name)
    for name, obj in vars(mod).items():
        if inspect.isfunction(obj) and obj.__module__ == info.name:
            functions[f"{info.name}.{name}"] = obj
tried, found = set(), []
for exercise, kwargs, expected in cases:
    kwargs = pool(kwargs)
    for qual, fn in functions.items():
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            continue
        required = {p.name for p in params if p.default is p.empty
                    and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        names = {p.name for p in params}
        if not required or not required <= kwargs.keys():
            continue
        tried.add(qual)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                got = fn(**{k: v for k, v in kwargs.items() if k in names})
        except BaseException:
            continue
        if leaks(got, expected):
            found.append(f"{qual} computes {exercise}")
print(json.dumps(dict(functions=len(functions), tried=sorted(tried), leaks=sorted(set(found)))))
"""


def test_no_function_of_the_build_computes_a_graded_answer(tmp_path):
    """Behaviour, not a list: every function of the answer-free build whose required parameters
    are among an exercise case's arguments (or their standard names, or an LSTMParams holding
    the case's weights) is called with them, and nothing it returns may hold the answer. A
    new helper that computes a graded answer outside the markers (and is not marked
    `# ANSWER-FREE STUB`) fails here: with fused_forward's mark removed, it names
    `lstm_course.fused.fused_forward computes lstm_forward`. (What it cannot see: a function
    that raises before returning but whose source shows the formulas, as the gate readouts
    would; their marks cover those, and the marked bodies' lines are checked above.)"""
    import pickle

    from lstm_course.checks.core import make_cases

    cases = []
    for name, ex in EXERCISES.items():
        for opts in [{"variant": v} for v in ex.options.get("variant", ())] or [{}]:
            for kw in make_cases(ex, **opts):
                expected = ex.fn(**kw)
                cases.append((name, kw, expected))
    (tmp_path / "cases.pkl").write_bytes(pickle.dumps(cases))
    build_answer_free(tmp_path / "build")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "build"), "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-c", _HUNT, str(tmp_path / "cases.pkl")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["functions"] > 100
    # the hunt reaches the stubs and the functions beside them (it is not vacuous)
    assert {"lstm_course.gates.learn_gate", "lstm_course.cell.lstm_cell"} <= set(out["tried"])
    assert not out["leaks"], out["leaks"]


def test_stub_marks_are_found_and_stubbed(tmp_path):
    """The functions marked `# ANSWER-FREE STUB` (the list is read from the source, methods
    included) are stubs in the build, and an unmarked neighbour is not."""
    from lstm_course.answer_free import STUB_MARK, stubbed_functions

    found = set(stubbed_functions())
    assert ("lstm_course.fused", "fused_forward") in found
    assert ("lstm_course.torch.gate_lstm", "GateLSTM.forward") in found
    assert ("lstm_course.gate_views", "learn_gate_readout") in found
    marks = sum(p.read_text(encoding="utf-8").count(STUB_MARK) for p in PACKAGE_DIR.rglob("*.py"))
    marks -= (PACKAGE_DIR / "answer_free.py").read_text(encoding="utf-8").count(STUB_MARK)
    assert len(found) == marks  # every mark sits above a def
    target = build_answer_free(tmp_path)
    text = (target / "gate_views.py").read_text(encoding="utf-8")
    start = text.index("def learn_gate_readout(")
    assert "raise NotImplementedError" in text[start : text.index("\ndef ", start + 1)]
    start = text.index("def erase_ltm(")
    assert "raise NotImplementedError" not in text[start : text.index("\ndef ", start + 1)]
