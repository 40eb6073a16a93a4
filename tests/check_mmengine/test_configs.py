"""``mminit check`` and ``mminit explain`` on mmengine-era configs without ``default_scope``:
mmpretrain 1.2.0's ``_base_/models/*.py`` (``.venv``).

Before: "ImageClassifier is not in the mmengine::model registry" (no scope was set).
Now the scope is the package the config lives in (``mmpretrain/.mim/configs``), or
``--scope``.  Commands run in subprocesses with ``tests/check/shim`` first on
``PYTHONPATH`` (its ``sitecustomize`` installs the stand-ins mmpretrain needs here, see
``compat_tests/real_models/stubs.py``); ``check`` compares the installed mmpretrain
(upstream side) with a copy migrated by ``mminit migrate --mmcv 2`` (the mminit side).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SHIM = Path(__file__).resolve().parents[1] / "check" / "shim"


def _mmpretrain() -> Path:
    spec = importlib.util.find_spec("mmpretrain")
    if spec is None or not spec.submodule_search_locations:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("mmpretrain is not installed [CI=true]")
        pytest.skip("mmpretrain is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _config(name: str) -> Path:
    return _mmpretrain() / ".mim" / "configs" / "_base_" / "models" / name


def _mminit(*args: str, cwd: Path, first: Path | None = None) -> subprocess.CompletedProcess[str]:
    path = [str(SHIM), *([str(first)] if first else []), os.environ.get("PYTHONPATH", "")]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in path if p),
        "CHECK_STUBS": "mmpretrain",
        "OMP_NUM_THREADS": "1",
        "PYTHONWARNINGS": "ignore",
    }
    return subprocess.run(
        [sys.executable, "-m", "mminit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def test_check_base_model_config_infers_the_scope(tmp_path: Path) -> None:
    root = tmp_path / "migrated"
    shutil.copytree(
        _mmpretrain(), root / "mmpretrain", ignore=shutil.ignore_patterns("__pycache__", ".mim")
    )
    migrate = subprocess.run(
        [
            sys.executable,
            "-m",
            "mminit",
            "migrate",
            str(root / "mmpretrain"),
            "--mmcv",
            "2",
            "--jobs",
            "2",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    proc = _mminit(
        "check", str(_config("resnet50.py")), "--json", "report.json", cwd=tmp_path, first=root
    )
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["differing"] == [] and report["identical"] == report["compared"] > 300, text
    assert report["info_compared"] == report["info_identical"] == len(set(report["params"])) > 150
    assert "mminit.BaseModule" in report["base_classes"]["mminit"]


@pytest.mark.parametrize("name", ["resnet50.py", "vit-base-p16.py"])
def test_explain_base_model_config_infers_the_scope(name: str, tmp_path: Path) -> None:
    proc = _mminit("explain", str(_config(name)), "--json", "plan.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["model"] == "ImageClassifier" and plan["flavours"] == ["mmengine (upstream)"]


def test_config_outside_the_package_needs_scope(tmp_path: Path) -> None:
    """A copy of the config elsewhere: no scope to infer; ``--scope`` names it."""
    config = tmp_path / "resnet50.py"
    shutil.copy(_config("resnet50.py"), config)
    proc = _mminit("explain", str(config), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "ImageClassifier is not in the mmengine::model registry" in proc.stderr
    assert "pass --scope PKG (e.g. --scope mmpretrain) or --builder" in proc.stderr
    proc = _mminit("explain", str(config), "--scope", "mmpretrain", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "backbone.conv1.weight: KaimingInit" in proc.stdout, proc.stdout
