"""How long a learner waits for a check: passing, a known mistake, and the worst case.

    python benchmarks/bench_checks.py            # every exercise, median of 5 runs each

For every exercise (and variant) it times ``run_check`` in this process, as a notebook's
check cell does, on:

* the answer itself (a pass: cases, probes, the reference, no diagnosis);
* its first catalogued mistake (a failure named by the catalogue);
* an answer nobody can explain (every entry off by a small irregular amount): the whole
  diagnosis runs (catalogue, compositions, inner gates, every single edit of the answer and
  up to MutantSearch's cap of pairs, the probes) before "differs" is said. This is the worst
  case a learner can meet.

The targets (issue 9): a passing check under 0.3 s, a failing one under 1 s, on a 2-core CI
machine. The first check of an exercise in a kernel also builds its mutants once; that cold
run is reported separately. Not a test: nothing is asserted.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from lstm_course.checks import run_check  # noqa: E402
from lstm_course.exercises import EXERCISES  # noqa: E402

REPEATS = 5


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def unexplainable(ex):
    """The answer with every output entry nudged by a fixed irregular amount."""

    def nudged(*args, **kwargs):
        return _nudge(ex.fn(*args, **kwargs))

    return nudged


def _nudge(value):
    if isinstance(value, np.ndarray):
        return value + np.sin(np.arange(value.size).reshape(value.shape) * 1.7) * 1e-3
    if isinstance(value, tuple):
        return tuple(_nudge(v) for v in value)
    if isinstance(value, dict):
        return {k: _nudge(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        fields = {f.name: _nudge(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return type(value)(**fields)
    return value


def timed(fn, name, options, repeats=REPEATS):
    """Wall and CPU seconds of each run (CPU time is the steadier figure on a busy machine)."""
    out = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = run_check(name, fn, **options)
        out.append((time.perf_counter() - t0, time.process_time() - c0))
    return out, result


def median(runs, k):
    return statistics.median(r[k] for r in runs)


def main() -> None:
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    print(f"Python {platform.python_version()}, NumPy {np.__version__}; seconds per check\n")
    print("median wall / CPU seconds")
    head = ("pass", "known", "worst", "cold worst")
    print(f"{'exercise':30s} " + " ".join(f"{h:>13s}" for h in head))
    worst = {"pass": [0.0, 0.0], "fail": [0.0, 0.0]}
    for name, ex in EXERCISES.items():
        variants = ex.options.get("variant", (None,))
        for variant in variants:
            options = {} if variant is None else {"variant": variant}
            label = name + (f" ({variant})" if variant else "")
            nudged = unexplainable(ex)
            cold, r_worst = timed(nudged, name, options, repeats=1)
            assert not r_worst.passed
            t_pass, r_pass = timed(ex.fn, name, options)
            assert r_pass.passed, r_pass
            mistakes = ex.mistakes_for(**options)
            t_known, r_known = timed(mistakes[0].fn, name, options)
            assert "Known mistake" in r_known.message, r_known
            t_worst, _ = timed(nudged, name, options)
            cells = []
            for runs, kind in ((t_pass, "pass"), (t_known, "fail"), (t_worst, "fail"), (cold, "")):
                wall, cpu = median(runs, 0), median(runs, 1)
                cells.append(f"{wall:6.3f}/{cpu:6.3f}")
                if kind:
                    worst[kind] = [max(worst[kind][0], wall), max(worst[kind][1], cpu)]
            print(f"{label:30s} " + " ".join(f"{c:>13s}" for c in cells))
    print(
        f"\nslowest median, wall/CPU: passing {worst['pass'][0]:.3f}/{worst['pass'][1]:.3f} s "
        f"(target < 0.3), failing {worst['fail'][0]:.3f}/{worst['fail'][1]:.3f} s (target < 1.0)"
    )


if __name__ == "__main__":
    main()
