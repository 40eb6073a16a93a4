"""Issue 13.5: ``mminit check`` on the sample repo's migrated lazy-import config.

The config (``examples/sample_repo/configs/tiny_vit_pretrained.py``) imports its
init classes from mmengine and its model class from the sample package; after
``mminit migrate`` it imports ``from mminit import PretrainedInit, ...``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from .test_check import _require

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample_repo"
CONFIG = "configs/tiny_vit_pretrained.py"


def _mminit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "mminit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    copy = tmp_path / "sample_repo"
    shutil.copytree(SAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _checkpoint(root: Path) -> Path:
    """checkpoints/tiny_vit.pth (the path the config names) with values unlike any init."""
    sys.path.insert(0, str(root))
    try:
        from sample_repo.mmengine_style.models import TinyViT  # the unmigrated module: mmengine

        torch.manual_seed(7)
        state = {k: torch.randn_like(v) for k, v in TinyViT().state_dict().items()}
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n.split(".")[0] == "sample_repo"]:
            del sys.modules[name]
    path = root / "checkpoints" / "tiny_vit.pth"
    path.parent.mkdir()
    torch.save({"state_dict": state}, path)
    return path


def test_migrated_sample_config_checks_identical(sample: Path) -> None:
    _require("mmengine")
    migrate = _mminit("migrate", str(sample), "--quiet", cwd=sample)
    assert migrate.returncode == 0, migrate.stderr
    assert "from mminit import PretrainedInit, TruncNormalInit" in (sample / CONFIG).read_text()
    _checkpoint(sample)
    proc = _mminit("check", CONFIG, "--json", "report.json", cwd=sample)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((sample / "report.json").read_text())
    assert report["identical"] == report["compared"] == 32
    assert report["info_compared"] == report["info_identical"] == 32
    info = report["init_info"]["mminit"]
    loaded = [
        n for n, v in info.items() if v == "PretrainedInit: load from checkpoints/tiny_vit.pth"
    ]
    assert {"pos_embed", "patch_embed.weight", "blocks.0.norm1.weight"} <= set(loaded), info


def test_unmigrated_sample_config_builds_but_is_refused(sample: Path) -> None:
    """Before migration the config builds (its model type is an importable class) and
    check refuses it for using no mminit BaseModule, rather than failing to build."""
    _require("mmengine")
    _checkpoint(sample)
    proc = _mminit("check", CONFIG, cwd=sample)
    assert proc.returncode == 2
    assert "used no mminit BaseModule" in proc.stderr and "failed" not in proc.stderr, proc.stderr
