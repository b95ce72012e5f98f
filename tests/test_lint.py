"""Ruff (lint and format) is clean, and .pre-commit-config.yaml's hooks touch the right files.

Ruff's settings live in pyproject.toml ([tool.ruff]); notebooks are included. To fix:
    .venv/bin/ruff check --fix . && .venv/bin/ruff format .
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PRECOMMIT = REPO / ".pre-commit-config.yaml"


def ruff() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    if found:
        return [found]
    pytest.fail("ruff is not installed (it is a test dependency: pip install -e '.[test]')")


def run_ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ruff(), *args, "--no-cache", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def files_in(output: str) -> list[str]:
    """The file names ruff's output mentions (concise check lines, or format's "-->" lines)."""
    names = re.findall(
        r"^(?:Would reformat: |\s*--> )?([^\s:]+\.(?:py|pyi|ipynb))[:\s]", output, re.M
    )
    return sorted(set(names))


def test_ruff_check():
    r = run_ruff("check", "--output-format=concise")
    assert r.returncode == 0, (
        f"ruff check found problems in {files_in(r.stdout)}:\n{r.stdout[-8000:]}{r.stderr}"
    )


def test_ruff_format():
    r = run_ruff("format", "--check")
    files = files_in(r.stdout)
    assert r.returncode == 0, (
        f"ruff format would reformat {len(files)} file(s) (fix with: ruff format .):\n"
        + "\n".join(files)
        + f"\n{r.stdout[-3000:]}{r.stderr}"
    )


# --- .pre-commit-config.yaml ---------------------------------------------------------------


def load_precommit() -> dict:
    with open(PRECOMMIT) as f:
        return yaml.safe_load(f)


def hooks() -> dict[str, dict]:
    return {h["id"]: h for repo in load_precommit()["repos"] for h in repo["hooks"]}


def repo_files() -> list[str]:
    r = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        pytest.skip(f"not a git checkout: {r.stderr.strip()}")
    return r.stdout.split()


def hook_matches(hook: dict, path: str, config: dict) -> bool:
    """Whether pre-commit would pass `path` to `hook`: pre-commit applies the top-level and the
    hook's `files`/`exclude` as Python regexes with re.search (defaults '' and '^$'). The
    notebook hooks here only see .ipynb files (their `types: [jupyter]`)."""

    def ok(files, exclude):
        return re.search(files or "", path) and not re.search(exclude or "^$", path)

    return bool(
        ok(config.get("files"), config.get("exclude"))
        and ok(hook.get("files"), hook.get("exclude"))
    )


# Paths that must or must not be stripped, whatever is in the checkout right now.
SYNTHETIC = [
    "notebooks/00_why_lstm.ipynb",
    "notebooks/09_text_generation.ipynb",
    "solutions/00_why_lstm.ipynb",
    "solutions/notebooks/x.ipynb",
    "tests/browser/fixture.ipynb",
    "docs/notebooks/x.ipynb",
    "my_notebooks/x.ipynb",
]


def test_output_stripping_hook_only_touches_student_notebooks():
    config = load_precommit()
    strip = hooks()["nbstripout"]
    paths = [p for p in set(repo_files()) | set(SYNTHETIC) if p.endswith(".ipynb")]
    stripped = {p for p in paths if hook_matches(strip, p, config)}
    assert stripped, "the stripping hook matches no notebook at all"
    wrong = sorted(p for p in stripped if not p.startswith("notebooks/"))
    assert not wrong, f"outputs would be stripped from notebooks outside notebooks/: {wrong}"
    missed = sorted(p for p in paths if p.startswith("notebooks/") and p not in stripped)
    assert not missed, f"student notebooks the stripping hook does not cover: {missed}"
    assert not any(p.startswith("solutions/") for p in stripped), "solutions/ keep their outputs"


def test_output_stripping_hook_keeps_the_released_cell_ids():
    # `lstm-course release` writes ids "cell-0", "cell-1", ...; nbstripout renumbers them unless
    # --keep-id, which would make `release --check` fail after every commit.
    assert "--keep-id" in hooks()["nbstripout"].get("args", [])


def test_release_check_hook_watches_both_sides():
    config = load_precommit()
    hook = hooks()["release-check"]
    assert "release --check" in hook["entry"]
    assert hook.get("pass_filenames") is False
    for path in ("notebooks/01_learn_gate.ipynb", "solutions/01_learn_gate.ipynb"):
        assert hook_matches(hook, path, config), path
    assert not hook_matches(hook, "lstm_course/release.py", config)


def test_ruff_hooks_lint_and_format_but_leave_generated_notebooks_alone():
    config = load_precommit()
    h = hooks()
    lint = h.get("ruff") or h.get("ruff-check")
    assert lint is not None and "ruff-format" in h, sorted(h)
    for hook in (lint, h["ruff-format"]):
        assert hook_matches(hook, "lstm_course/cell.py", config)
        assert hook_matches(hook, "solutions/01_learn_gate.ipynb", config)
        # notebooks/ is `lstm-course release` output: editing it breaks `release --check`
        assert not hook_matches(hook, "notebooks/01_learn_gate.ipynb", config)
    for repo in load_precommit()["repos"]:
        if "ruff-pre-commit" in repo["repo"]:
            assert re.fullmatch(r"v\d+\.\d+\.\d+", repo["rev"]), "pin ruff-pre-commit to a tag"
