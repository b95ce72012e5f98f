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
stamp=.venv/.lstm_course-installed
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing lstm_course and its dependencies into .venv"
    .venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
    .venv/bin/python -m pip install --quiet -e ".[torch,test,browser]" 2>&1 | grep -v "^WARNING: Location" || true
    .venv/bin/python -c "import lstm_course, torch, nbval, ipywidgets, jupyterlab" \
        || { echo "setup: the install failed (see above)" >&2; exit 1; }
    echo "$want" > "$stamp"
fi
