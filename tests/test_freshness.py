"""Stale answers: after the cell that defines an exercise function fails (a SyntaxError), the
kernel keeps the OLD function; the check must say so, never pass that old version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from lstm_course.checks import freshness

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
import numpy as np
from lstm_course import sigmoid, tanh, concat

def learn_gate(stm, event, W_n, b_n, W_i, b_i):
    x = concat(stm, event)
    return tanh(x @ W_n + b_n) * sigmoid(x @ W_i + b_i)
"""

BROKEN = """def learn_gate(stm, event, W_n, b_n, W_i, b_i):
    x = concat(stm, event)
    N_t = tanh(x @ W_n + b_n
    return N_t * sigmoid(x @ W_i + b_i)
"""

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    out = {}

    def run(label, src, check=True):
        sh.run_cell(src)
        if check:
            sh.run_cell("_r = check_learn_gate(learn_gate)")
            r = sh.user_ns["_r"]
            out[label] = [r.status, r.message]

    sh.run_cell("from lstm_course.checks import check_learn_gate")
    sh.run_cell("import lstm_course.checks")  # importing again registers nothing twice
    out["callbacks"] = [len(sh.events.callbacks["pre_run_cell"]),
                        len(sh.events.callbacks["post_run_cell"])]
    GOOD, BROKEN = json.loads(sys.argv[1])
    run("good", GOOD)
    run("syntax", BROKEN)
    run("other_cell", "y = 1")  # a cell without the def changes nothing
    run("fixed", GOOD)
    run("raises_after_def", GOOD + "\\nlearn_gate(1, 2, 3, 4, 5, 6)\\n")  # the new def did run
    run("decorator", "@no_such_decorator\\n" + GOOD.split("\\n", 3)[3])  # fails at definition
    run("fixed_again", GOOD)
    sh.run_cell("old = learn_gate")
    run("redefined", GOOD.replace("x @ W_n + b_n", "x @ W_n + b_n + 0.0"))
    sh.run_cell("_r = check_learn_gate(old)")
    out["older"] = [sh.user_ns["_r"].status, sh.user_ns["_r"].message]
    sh.run_cell("import lstm_course; _r = check_learn_gate(lstm_course.learn_gate)")
    out["package"] = sh.user_ns["_r"].status
    print("RESULT" + json.dumps(out))
    """
)


def _run_shell():
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps([GOOD, BROKEN])],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=str(ROOT),
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT")]
    assert line, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(line[-1][len("RESULT") :])


def test_a_failed_cell_is_reported_not_the_old_function_passed():
    out = _run_shell()
    assert out["callbacks"] == [1, 1]
    assert out["good"][0] == "passed"
    status, message = out["syntax"]
    assert status == "failed"
    assert message.startswith("The last run of the cell that defines learn_gate failed")
    assert "(SyntaxError at line 3: '(' was never closed)" in message
    assert "older version" in message and "run it again" in message
    assert out["other_cell"][0] == "failed"  # still the old one
    assert out["fixed"][0] == "passed"
    assert out["raises_after_def"][0] == "passed"
    status, message = out["decorator"]
    assert status == "failed" and "(NameError at line 1: name 'no_such_decorator'" in message
    assert out["fixed_again"][0] == "passed"
    assert out["redefined"][0] == "passed"
    status, message = out["older"]
    assert status == "failed" and "older definition of learn_gate" in message
    assert out["package"] == "passed"  # the package's own function is not "older"


def test_defined_names_tolerates_unparsable_cells():
    src = "def a(x):\n    return (\n\nasync def b():\n  pass\nc = lambda x: x\n  def inner(y):"
    assert freshness.defined_names(src) == ["a", "b", "c"]
    assert freshness.defined_names(None) == []


def test_outside_ipython_nothing_is_reported():
    assert freshness.register() is False or "IPython" in sys.modules
    assert freshness.stale_reason("learn_gate", lambda: 1) == ""
