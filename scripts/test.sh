#!/usr/bin/env bash
# Runs the whole test suite: sets up .venv if needed (and, when run as root, Debian's
# bubblewrap for the grader's sandbox (setup.sh) and chromium for the browser tests), then unit tests, nbval on the solutions (strict output comparison),
# nbval on the student notebooks (lax: they must run without errors), and the browser tests.
# Extra arguments go to every pytest run (e.g. -x). Every step runs; the failures are listed at
# the end, after a table of each step's wall time.
#
# Run cache (lstm_course/run_cache.py): the notebooks' expensive training runs are computed once.
# The strict nbval run on solutions/ computes them for real and WRITES them (it never reads: it
# is the run whose outputs are compared); the lax nbval run and the browser tests REUSE them (a
# miss computes for real). The folder is a fresh temporary one, removed at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
times=()  # "seconds|cpu seconds|step"
cpu_now=0
children_cpu() {  # sets cpu_now: CPU seconds (user + system) of the finished child processes
    local f  # (not in $(...): a subshell would see only its own children)
    f="$(mktemp)"
    times >"$f"  # bash's builtin; its second line is the children's
    cpu_now="$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
                              printf "%d", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$f")"
    rm -f "$f"
}
timed() {  # timed NAME COMMAND...: run it, record its wall and CPU time; returns its status
    local name="$1" t0=$SECONDS c0 rc=0
    shift
    children_cpu
    c0=$cpu_now
    "$@" || rc=$?
    children_cpu
    times+=("$((SECONDS - t0))|$((cpu_now - c0))|$name")
    return $rc
}
# Debian's packages (bubblewrap for the grader's sandbox, chromium for the browser tests) install
# in the background while setup.sh builds .venv: apt downloads while pip compiles.
apt_install() {  # apt_install PKG...: apt-get install, updating the package lists if needed
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 \
           && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }; }
}
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
apt_pid=""
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's ${missing[*]} (in the background)"
    apt_log="$(mktemp)"
    apt_t0=$SECONDS
    apt_install "${missing[@]}" >"$apt_log" 2>&1 &
    apt_pid=$!
    export LSTM_COURSE_SETUP_APT=0  # setup.sh leaves bubblewrap to this
fi
timed "setup (.venv)" bash scripts/setup.sh || exit 1
unset LSTM_COURSE_SETUP_APT
if [ -n "$apt_pid" ]; then
    wait "$apt_pid" || echo "setup: apt-get install ${missing[*]} failed:" >&2
    cat "$apt_log" >&2
    rm -f "$apt_log"
    times+=("$((SECONDS - apt_t0))|-|setup (apt-get install ${missing[*]}, alongside .venv)")
fi
command -v bwrap >/dev/null 2>&1 \
    || echo "setup: bubblewrap (bwrap) is not installed: the grader needs it and its tests will" \
            "fail (install it with: sudo apt-get install bubblewrap)" >&2
command -v chromium >/dev/null 2>&1 \
    || echo "setup: chromium is not installed: the browser tests will be SKIPPED, or fail under" \
            "CI (install it with: sudo apt-get install chromium)" >&2
# One BLAS/OpenMP thread per process: the suite runs two processes on two cores, and
# oversubscribed torch threads slow training 10-50x (measured: 140 s vs 3 s).
export PATH="$PWD/.venv/bin:$PATH" MPLBACKEND=Agg PYTHONHASHSEED=0 OMP_NUM_THREADS=1
# Bytecode is written, whatever the caller set (the CI machine sets PYTHONDONTWRITEBYTECODE=1):
# otherwise every pytest worker rewrites and compiles the test files again (collecting the unit
# tests took 16.5 s without their bytecode and 9.4 s with it, here), and every process compiles
# again whatever setup's compile_imported.py did not.
unset PYTHONDONTWRITEBYTECODE

unset LSTM_COURSE_RUN_CACHE LSTM_COURSE_RUN_CACHE_MODE  # the unit tests run without it
run_cache="$(mktemp -d "${TMPDIR:-/tmp}/lstm-course-run-cache.XXXXXX")"
trap 'rm -rf "$run_cache"' EXIT

failed=()
run() {  # run NAME PYTEST-ARGS...
    local name="$1"; shift
    echo; echo "=== $name"
    timed "$name" python -m pytest "$@" || failed+=("$name")
}
nbval_opts=(--nbval-current-env --nbval-cell-timeout=300 -n 2 --dist loadscope -p no:cacheprovider
            --no-loadscope-reorder)
# The notebooks go to nbval in this order: the three that train for real first (in the strict
# run, 08's training cell takes 45 s here, 09's 20 s and 10's 17 s), then the others. In
# xdist's own order (most cells first) 08 started when most of the others were done, and one
# worker waited for the other; --no-loadscope-reorder keeps this order.
TRAIN_FIRST=(08_long_term_dependencies 09_text_generation 10_lstm_variants)
in_order() {  # in_order DIR: every notebook in DIR, those named in TRAIN_FIRST first
    local first=() f n
    for n in "${TRAIN_FIRST[@]}"; do
        if [ -f "$1/$n.ipynb" ]; then first+=("$1/$n.ipynb"); fi
    done
    if [ ${#first[@]} -gt 0 ]; then printf '%s\n' "${first[@]}"; fi  # never an empty path
    for f in "$1"/*.ipynb; do
        case " ${first[*]} " in *" $f "*) ;; *) echo "$f" ;; esac
    done
}
mapfile -t solution_notebooks < <(in_order solutions)
mapfile -t student_notebooks < <(in_order notebooks)
run "unit tests" tests -n 2 -m "not browser" -p no:cacheprovider "$@"
export LSTM_COURSE_RUN_CACHE="$run_cache"
LSTM_COURSE_RUN_CACHE_MODE=write run "solution notebooks (nbval, strict)" \
    --nbval "${solution_notebooks[@]}" \
    --nbval-sanitize-with tests/nbval_sanitize.cfg "${nbval_opts[@]}" "$@"
LSTM_COURSE_RUN_CACHE_MODE=reuse run "student notebooks (nbval, lax)" \
    --nbval-lax "${student_notebooks[@]}" \
    "${nbval_opts[@]}" "$@"
# Two workers, each with its own JupyterLab server, Chromium and ports (tests/browser/conftest.py).
LSTM_COURSE_RUN_CACHE_MODE=reuse run "browser tests" tests/browser -m browser -n 2 -rs \
    -p no:cacheprovider "$@"

echo
echo "test.sh: run cache (lstm_course/run_cache.py; write: computed by the strict run, hit: replayed)"
if [ -s "$run_cache/log.tsv" ]; then
    mkdir -p test-artifacts && cp "$run_cache/log.tsv" test-artifacts/run-cache-log.tsv
    cut -f1,2 "$run_cache/log.tsv" | sort | uniq -c | sed 's/^/    /'
else
    echo "    (no cached function was called)"
fi
echo "test.sh: time per step, wall and CPU (s; CPU = the step's processes, all cores: 2x wall"
echo "         would be two cores busy throughout)"
printf '    %6s  %6s  %s\n' wall CPU step
for t in "${times[@]}"; do
    IFS='|' read -r wall cpu name <<<"$t"
    printf '    %6s  %6s  %s\n' "$wall" "$cpu" "$name"
done
children_cpu
printf '    %6d  %6d  %s\n' "$SECONDS" "$cpu_now" "total (test.sh from start to end)"
echo
if [ ${#failed[@]} -eq 0 ]; then
    echo "test.sh: all suites passed"
else
    echo "test.sh: FAILED: ${failed[*]}"
    exit 1
fi
