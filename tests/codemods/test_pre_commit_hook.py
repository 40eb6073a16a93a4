"""The ``mminit-migrate-check`` pre-commit hook (issue 23 item 6), run as a downstream
repository would run it: ``pre-commit try-repo`` builds the hook's own environment from a
git clone of this repository (from PyPI: LibCST, tqdm, and no torch)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

from codemod_checks import AFTER, BEFORE, ROOT

#: What a clone of the repository needs for ``pip install .`` and the hook manifest.
SHIPPED = (".pre-commit-hooks.yaml", "pyproject.toml", "LICENSE", "NOTICE", "README.pypi.md")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
        timeout=120,
    )


def _hook_repo(where: Path) -> Path:
    """A git repository holding this checkout's package and hook manifest, committed."""
    where.mkdir()
    for name in SHIPPED:
        shutil.copy2(ROOT / name, where / name)
    shutil.copytree(
        ROOT / "src",
        where / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"),
    )
    _git(where, "init", "-q")
    _git(where, "add", ".")
    _git(where, "commit", "-q", "-m", "hook")
    return where


def test_hook_flags_an_unmigrated_file_and_passes_a_migrated_one(tmp_path: Path) -> None:
    hooks = _hook_repo(tmp_path / "mminit")
    sample = tmp_path / "sample"
    sample.mkdir()
    (sample / "model.py").write_text(BEFORE)
    (sample / "done.py").write_text(AFTER)
    _git(sample, "init", "-q")
    _git(sample, "add", ".")
    cache = tmp_path / "pre-commit-home"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PRE_COMMIT_HOME"] = str(cache)

    def try_repo(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pre_commit",
                "try-repo",
                str(hooks),
                "mminit-migrate-check",
                "--files",
                name,
            ],
            cwd=sample,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    flagged = try_repo("model.py")
    assert flagged.returncode == 1, flagged.stdout + flagged.stderr
    assert "mminit migrate --check" in flagged.stdout and "Failed" in flagged.stdout
    assert "would rewrite model.py (1 name moved)" in flagged.stdout
    assert (sample / "model.py").read_text() == BEFORE  # a check changes nothing
    passed = try_repo("done.py")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
    # try-repo builds the hook's environment in a temporary store it removes afterwards: ask
    # pip what that `pip install . <additional_dependencies>` installs.  Small: LibCST and
    # tqdm, never torch (with torch declared, 31 packages: torch and 18 CUDA ones, GBs).
    manifest = yaml_hook(hooks)
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
            "-",
            str(hooks),
            *manifest["additional_dependencies"],
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    installed = {item["metadata"]["name"].lower() for item in json.loads(report.stdout)["install"]}
    assert {"mminit", "libcst", "tqdm"} <= installed
    assert "torch" not in installed and not any(n.startswith("nvidia") for n in installed)
    assert len(installed) <= 6, installed  # mminit, libcst, pyyaml, tqdm (+ their few deps)


def yaml_hook(repo: Path) -> dict[str, Any]:
    """The ``mminit-migrate-check`` entry of the manifest (pre-commit brings PyYAML)."""
    import yaml

    (hook,) = [
        h
        for h in yaml.safe_load((repo / ".pre-commit-hooks.yaml").read_text())
        if h["id"] == "mminit-migrate-check"
    ]
    return cast(dict[str, Any], hook)
