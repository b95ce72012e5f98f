#!/usr/bin/env bash
# Opens the course: sets up .venv if needed, then JupyterLab on notebooks/.
# Extra arguments go to JupyterLab (e.g. --no-browser --port 8890).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# JupyterLab 4's announcements plugin asks "Would you like to get notified about official Jupyter
# news?" in a toast that stays until answered and covers the check output in the bottom right. It
# asks while the setting @jupyterlab/apputils-extension:notification / fetchNews is "none" (the
# schema's default); "false" ("Never") switches the question and the news off, and the update
# check too (checkForUpdates needs fetchNews "true"). Set that default for this environment only:
# an overrides.d file in the app settings folder of .venv's JupyterLab (a learner's own choice in
# the Settings editor still wins).
app_dir="$(.venv/bin/python -c 'from jupyterlab.commands import get_app_dir; print(get_app_dir())')"
mkdir -p "$app_dir/settings/overrides.d"
cat > "$app_dir/settings/overrides.d/lstm_course.json" <<'JSON'
{
  "@jupyterlab/apputils-extension:notification": {
    "fetchNews": "false",
    "checkForUpdates": false
  }
}
JSON
extra=()
if [ "$(id -u)" = 0 ]; then
    extra+=(--allow-root)  # containers often run as root; JupyterLab refuses without this
fi
# news_url=None: the server does not fetch the news feed either.
exec .venv/bin/jupyter lab --notebook-dir=notebooks --LabApp.news_url=None "${extra[@]}" "$@"
