"""environment.yml (the conda route) and binder/ stay in step with pyproject.toml.

pyproject.toml is the source of truth. environment.yml must list the same dependencies (the
runtime ones plus the `torch` extra), under their conda-forge names, with the same version
floors, from conda-forge only, with a CPU-only PyTorch. binder/ (which repo2docker reads instead
of the repository root) must have the same environment and install the package in postBuild.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[1]

# pip (PyPI) name -> conda-forge name, where they differ.
PIP_TO_CONDA = {
    "torch": "pytorch",
    # matplotlib-base is matplotlib without a GUI toolkit (no Qt): what a notebook needs.
    "matplotlib": "matplotlib-base",
}
# In environment.yml but not a Python dependency of the package.
CONDA_ONLY = {"python", "pip"}
# Extras of pyproject.toml that the conda environment also carries (test tools are not needed
# to take the course; they install with pip: pip install -e '.[test]').
EXTRAS_IN_CONDA = ("torch",)

REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*?)\s*(?:;.*)?$")
CONDA_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject() -> dict:
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def pip_requirements() -> dict[str, str]:
    """{normalized pip name: version specifier} for the runtime deps and EXTRAS_IN_CONDA."""
    project = pyproject()["project"]
    reqs = list(project["dependencies"])
    for extra in EXTRAS_IN_CONDA:
        reqs += project.get("optional-dependencies", {}).get(extra, [])
    out = {}
    for r in reqs:
        m = REQ.match(r)
        assert m, f"cannot parse requirement {r!r}"
        out[normalize(m[1])] = m[2].replace(" ", "")
    return out


def load_env(path: Path) -> dict:
    with open(path) as f:
        return yaml.safe_load(f)


def conda_specs(env: dict) -> dict[str, str]:
    """{conda name: rest of the spec} for the conda (non-pip) dependencies."""
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # the pip: section
            continue
        m = CONDA_SPEC.match(str(dep))
        assert m, f"cannot parse conda dependency {dep!r}"
        out[normalize(m[1])] = m[2].replace(" ", "")
    return out


def pip_section(env: dict) -> list[str]:
    for dep in env["dependencies"]:
        if isinstance(dep, dict) and "pip" in dep:
            return list(dep["pip"] or [])
    return []


ROOT_ENV = REPO / "environment.yml"
BINDER_ENV = REPO / "binder" / "environment.yml"
POSTBUILD = REPO / "binder" / "postBuild"


def test_environment_yml_has_the_dependencies_of_pyproject():
    pip = pip_requirements()
    conda = conda_specs(load_env(ROOT_ENV))
    expected = {normalize(PIP_TO_CONDA.get(name, name)) for name in pip}
    names = set(conda) - CONDA_ONLY
    assert names == expected, (
        f"environment.yml and pyproject.toml disagree: only in environment.yml: "
        f"{sorted(names - expected)}; missing from environment.yml: {sorted(expected - names)}"
        f" (pip -> conda names: {PIP_TO_CONDA})"
    )


def test_environment_yml_has_the_same_version_floors():
    pip = pip_requirements()
    conda = conda_specs(load_env(ROOT_ENV))
    for name, spec in pip.items():
        if name == "torch":
            continue  # conda-forge's CPU build is selected by its build string (next test)
        cname = normalize(PIP_TO_CONDA.get(name, name))
        assert conda[cname] == spec, (
            f"{name}: pyproject.toml says {spec!r}, environment.yml says {conda[cname]!r} "
            f"(for {cname})"
        )


def test_environment_yml_is_conda_forge_only_with_cpu_pytorch():
    env = load_env(ROOT_ENV)
    assert env.get("name") == "lstm_course"
    channels = env.get("channels", [])
    assert channels[0] == "conda-forge"
    assert set(channels) <= {"conda-forge", "nodefaults"}, channels
    conda = conda_specs(env)
    # "=*=cpu*": any version, a CPU build string (conda-forge names them cpu_...).
    assert re.fullmatch(r"=[^=]*=\*?cpu\*?", conda["pytorch"]), conda["pytorch"]
    assert "python" in conda and "pip" in conda


def test_python_version_is_allowed_by_pyproject():
    requires = pyproject()["project"]["requires-python"]  # ">=3.10"
    floor = tuple(int(x) for x in re.fullmatch(r">=\s*(\d+)\.(\d+)", requires).groups())
    for path in (ROOT_ENV, BINDER_ENV):
        spec = conda_specs(load_env(path))["python"]
        m = re.fullmatch(r"=(\d+)\.(\d+)(\.\*)?", spec)
        assert m, f"{path.name}: pin python to a minor version, e.g. python=3.11 (got {spec!r})"
        assert (int(m[1]), int(m[2])) >= floor, f"{path}: python{spec} but {requires}"


def test_no_editable_install_in_the_conda_environments():
    # `-e .` in the pip: section disables Binder's build cache; postBuild installs the package.
    for path in (ROOT_ENV, BINDER_ENV):
        for line in pip_section(load_env(path)):
            assert not re.match(r"^\s*(-e|--editable)\b|^\s*\.\s*$", line), (path, line)


def test_binder_environment_matches_environment_yml():
    root, binder = load_env(ROOT_ENV), load_env(BINDER_ENV)
    assert binder["channels"] == root["channels"]
    assert conda_specs(binder) == conda_specs(root)
    assert pip_section(binder) == pip_section(root)


def test_binder_folder_holds_only_what_repo2docker_should_read():
    # repo2docker reads binder/ instead of the root; a stray requirements.txt there would be
    # installed on top of the conda environment.
    allowed = {"environment.yml", "postBuild", "README.md", "start"}
    present = {p.name for p in (REPO / "binder").iterdir()}
    assert present <= allowed, f"unexpected files in binder/: {sorted(present - allowed)}"


def test_binder_postbuild_installs_the_package():
    text = POSTBUILD.read_text()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    assert text.startswith("#!/bin/bash") or text.startswith("#!/usr/bin/env bash")
    assert lines[0] == "set -e", (
        "postBuild must start with `set -e` (a failed step fails the build)"
    )
    assert any(re.search(r"pip install (.* )?--no-deps (.* )?(-e )?\.$", ln) for ln in lines), (
        "postBuild must install the course package without touching the conda dependencies "
        "(pip install --no-deps -e .)"
    )
    if os.name == "posix":
        assert POSTBUILD.stat().st_mode & stat.S_IXUSR, "binder/postBuild must be executable"
