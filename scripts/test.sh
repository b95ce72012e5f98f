#!/usr/bin/env bash
# Runs the whole test suite: sets up .venv if needed (and, when run as root, Debian's
# bubblewrap for the grader's sandbox (setup.sh) and chromium for the browser tests), then unit tests, nbval on the solutions (strict output comparison),
# nbval on the student notebooks (lax: they must run without errors), and the browser tests.
# Extra arguments go to every pytest run (e.g. -x).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
# One BLAS/OpenMP thread per process: the suite runs two processes on two cores, and
# oversubscribed torch threads slow training 10-50x (measured: 140 s vs 3 s).
export PATH="$PWD/.venv/bin:$PATH" MPLBACKEND=Agg PYTHONHASHSEED=0 OMP_NUM_THREADS=1

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing Debian's chromium for the browser tests"
        { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
          || { apt-get update -q >/dev/null 2>&1 \
               && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; } \
          || echo "setup: could not install chromium; the browser tests will say so" >&2
    else
        echo "setup: chromium is not installed and this is not root: the browser tests will be" \
             "SKIPPED (install it with: sudo apt-get install chromium)" >&2
    fi
fi

failed=()
run() {  # run NAME PYTEST-ARGS...
    local name="$1"; shift
    echo; echo "=== $name"
    python -m pytest "$@" || failed+=("$name")
}
nbval_opts=(--nbval-current-env --nbval-cell-timeout=300 -n 2 --dist loadscope -p no:cacheprovider)
run "unit tests" tests -n 2 -m "not browser" -p no:cacheprovider "$@"
run "solution notebooks (nbval, strict)" --nbval solutions \
    --nbval-sanitize-with tests/nbval_sanitize.cfg "${nbval_opts[@]}" "$@"
run "student notebooks (nbval, lax)" --nbval-lax notebooks "${nbval_opts[@]}" "$@"
run "browser tests" tests -m browser -rs -p no:cacheprovider "$@"

echo
if [ ${#failed[@]} -eq 0 ]; then
    echo "test.sh: all suites passed"
else
    echo "test.sh: FAILED: ${failed[*]}"
    exit 1
fi
