#!/usr/bin/env bash
# Opens the course: sets up .venv if needed, then JupyterLab on notebooks/.
# Extra arguments go to JupyterLab (e.g. --no-browser --port 8890).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
extra=()
if [ "$(id -u)" = 0 ]; then
    extra+=(--allow-root)  # containers often run as root; JupyterLab refuses without this
fi
exec .venv/bin/jupyter lab --notebook-dir=notebooks "${extra[@]}" "$@"
