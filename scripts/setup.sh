#!/usr/bin/env bash
# Creates or refreshes the local environment .venv (idempotent; fast when nothing changed).
# Python >= 3.10 is needed; PyTorch is pinned to the CPU build torch==2.13.0.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($PY --version)"
    "$PY" -m venv .venv
fi
torch_wheel() {  # prints the CPU wheel of torch 2.13.0 for .venv's Python in pip's find-links
    local tag d f
    tag="$(.venv/bin/python -c 'import sys; print("cp%d%d" % sys.version_info[:2])')"
    # shellcheck disable=SC2086  # find-links: a space-separated list
    for d in ${PIP_FIND_LINKS:-} $(.venv/bin/python -m pip config get global.find-links 2>/dev/null); do
        for f in "${d#file://}/torch-2.13.0+cpu-$tag-$tag-"*"_$(uname -m).whl"; do
            if [ -f "$f" ]; then echo "$f"; return; fi
        done
    done
}
install_with_uv() {  # install_with_uv TORCH_WHEEL: uv (pinned, from PyPI) installs everything
    local log
    log="$(mktemp)"
    if .venv/bin/python -m pip install --quiet --no-compile "uv==0.13.9" >"$log" 2>&1 \
        && .venv/bin/uv pip install --quiet --python .venv/bin/python "$1" \
            -e ".[torch,test,browser]" >>"$log" 2>&1; then
        rm -f "$log"
        return 0
    fi
    grep -v "^WARNING: Location" "$log" >&2
    echo "setup: uv could not install (above); pip installs instead" >&2
    rm -f "$log"
    return 1
}
stamp=.venv/.lstm_course-installed
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing lstm_course and its dependencies into .venv"
    # uv installs what pip resolves (the same 131 packages and versions, compared here) in 8 s
    # where pip takes 67 s. uv reads no pip configuration, so torch's CPU wheel is named by its
    # file in pip's local store (find-links); without that file, or if uv fails, pip installs.
    # Neither byte-compiles the ~10,400 files; compile_imported.py compiles the ~4,000 that the
    # course and its tests import (and checks that they import).
    wheel="$(torch_wheel)"
    if [ -z "$wheel" ] || ! install_with_uv "$wheel"; then
        .venv/bin/python -m pip install --quiet --no-compile -e ".[torch,test,browser]" 2>&1 \
            | grep -v "^WARNING: Location" || true
    fi
    # rfc3987-syntax (jupyter-events asks for jsonschema[format-nongpl]) compiles 39 lark
    # grammars whenever jsonschema is imported, i.e. in every process that reads a notebook
    # (nbformat validates): 2.5-3.5 s each, measured here; nothing in the course validates IRIs,
    # and jsonschema skips that format without it.
    .venv/bin/python -m pip uninstall --quiet --yes rfc3987-syntax >/dev/null 2>&1 || true
    .venv/bin/python scripts/compile_imported.py \
        || { echo "setup: the install failed (see above)" >&2; exit 1; }
    echo "$want" > "$stamp"
fi
# The batch grader runs every learner's kernel in a bubblewrap sandbox (lstm-course grade and
# check refuse to run without one unless given --unsafe-no-sandbox): Debian's bubblewrap.
# (LSTM_COURSE_SETUP_APT=0: the caller installs it, as test.sh does alongside this script.)
if [ "${LSTM_COURSE_SETUP_APT:-1}" != 0 ] && ! command -v bwrap >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing Debian's bubblewrap (the grader's sandbox)"
        { DEBIAN_FRONTEND=noninteractive apt-get install -y -q bubblewrap >/dev/null 2>&1 \
          || { apt-get update -q >/dev/null 2>&1 \
               && DEBIAN_FRONTEND=noninteractive apt-get install -y -q bubblewrap >/dev/null; }; } \
          || echo "setup: could not install bubblewrap; the grader will refuse to run" >&2
    else
        echo "setup: bubblewrap (bwrap) is not installed: the grader needs it" \
             "(sudo apt-get install bubblewrap)" >&2
    fi
fi
