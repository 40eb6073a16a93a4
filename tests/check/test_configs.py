"""``mminit check`` and ``mminit explain`` on mmcv-1.x-era configs of real packages
(mmdet 2.28.2, mmseg 0.30.0, mmcls 0.25.0, in ``.venv-mmcv``) with mmengine unimportable.

Every command runs in a subprocess whose ``PYTHONPATH`` starts with ``tests/check/shim``:
its ``sitecustomize`` makes ``import mmengine`` fail (``CHECK_BLOCK=mmengine``) and logs
each attempt to ``CHECK_BLOCK_LOG``, which must stay empty; it also installs the stand-ins
the package needs here (``CHECK_STUBS``, see ``compat_tests/real_models/stubs.py``).
``check`` compares the installed package (upstream side) with a copy migrated by
``mminit migrate`` (first on ``PYTHONPATH``, the mminit side); the configs are the
installed package's own (``<pkg>/.mim/configs``), so the package is found from where
the config lives.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .test_check import _require

SHIM = Path(__file__).resolve().parent / "shim"
ROOT = Path(__file__).resolve().parents[2]
MASK_RCNN_SCRATCH = "scratch/mask_rcnn_r50_fpn_gn-all_scratch_6x_coco.py"
MASK_RCNN = "mask_rcnn/mask_rcnn_r50_fpn_1x_coco.py"
UNET = "unet/fcn_unet_s5-d16_64x64_40k_drive.py"


def _package_dir(package: str) -> Path:
    _require("mmcv1")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{package} is not installed [CI=true]")
        pytest.skip(f"{package} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _config(package: str, name: str) -> Path:
    return _package_dir(package) / ".mim" / "configs" / name


def _mminit(
    *args: str, stubs: str, tmp: Path, first: Path | None = None, cwd: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run ``mminit ARGS`` with mmengine blocked; returns the process and the blocked-import log."""
    log = tmp / "blocked.log"
    path = [str(SHIM), *([str(first)] if first else []), os.environ.get("PYTHONPATH", "")]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in path if p),
        "CHECK_BLOCK": "mmengine",
        "CHECK_BLOCK_LOG": str(log),
        "CHECK_STUBS": stubs,
        "OMP_NUM_THREADS": "1",
        "PYTHONWARNINGS": "ignore",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "mminit", *args],
        cwd=cwd or tmp,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    return proc, log.read_text() if log.exists() else ""


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``migrated(package)``: a copy of the installed package migrated by ``mminit migrate``
    (the directory to put first on ``sys.path``), made once per session."""
    made: dict[str, Path] = {}

    def copy(package: str) -> Path:
        if package not in made:
            root = tmp_path_factory.mktemp(f"migrated-{package}")
            shutil.copytree(
                _package_dir(package),
                root / package,
                ignore=shutil.ignore_patterns("__pycache__", ".mim"),
            )
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "mminit",
                    "migrate",
                    str(root / package),
                    "--jobs",
                    "2",
                    "--quiet",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            assert proc.returncode == 0, proc.stdout + proc.stderr
            made[package] = root
        return made[package]

    return copy


def test_shim_really_blocks_mmengine(tmp_path: Path) -> None:
    """The checks below are only worth something if the shim is what the interpreter runs."""
    log = tmp_path / "blocked.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SHIM), os.environ.get("PYTHONPATH", "")]),
        "CHECK_BLOCK": "mmengine",
        "CHECK_BLOCK_LOG": str(log),
    }
    proc = subprocess.run(
        [sys.executable, "-c", "import mmengine.config"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and "blocked by tests/check/shim" in proc.stderr, proc.stderr
    assert log.read_text() == "CHECK-BLOCKED-IMPORT: mmengine\n"


def _check_passes(report: dict[str, Any], text: str, *, tensors: int) -> None:
    assert report["differing"] == [], text
    assert report["identical"] == report["compared"] > tensors, text
    assert report["info_compared"] == report["info_identical"] == len(set(report["params"])), text
    assert report["base_classes"] == {
        "upstream": ["mmcv.runner.base_module.BaseModule"],
        "mminit": ["mminit.mmcv1.BaseModule"],
    }, text


@pytest.mark.parametrize(
    ("package", "config", "tensors"),
    [
        ("mmdet", MASK_RCNN_SCRATCH, 200),  # Mask R-CNN R50-FPN, GN, no pretrained backbone
        ("mmseg", UNET, 140),  # UNet + FCN head, no pretrained
    ],
)
def test_check_mmcv1_config_without_mmengine(
    package: str, config: str, tensors: int, migrated: Any, tmp_path: Path
) -> None:
    """Before: "importing ... failed: ModuleNotFoundError: No module named 'mmengine'"
    (and, with mmengine importable, "MaskRCNN is not in the mmengine::model registry")."""
    proc, blocked = _mminit(
        "check",
        str(_config(package, config)),
        "--json",
        "report.json",
        stubs=package,
        tmp=tmp_path,
        first=migrated(package),
    )
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text
    assert blocked == "", blocked
    _check_passes(json.loads((tmp_path / "report.json").read_text()), text, tensors=tensors)


def _user_config(tmp_path: Path) -> Path:
    """A user's config outside any package's configs/: mmdet's Mask R-CNN without the
    torchvision download (its ResNet then has its default Kaiming/Constant init_cfg)."""
    config = tmp_path / "my_mask_rcnn.py"
    config.write_text(
        f"_base_ = {str(_config('mmdet', MASK_RCNN))!r}\n"
        "model = dict(backbone=dict(init_cfg=None))\n"
    )
    return config


@pytest.mark.parametrize(
    "how", [[], ["--scope", "mmdet"], ["--builder", "mmdet.models:build_detector"]]
)
def test_explain_mmcv1_user_config(how: list[str], tmp_path: Path) -> None:
    """A user's config inheriting mmdet's Mask R-CNN: mmdet is found from its ``_base_``, or
    named by ``--scope``, or its builder is named by ``--builder``."""
    proc, blocked = _mminit(
        "explain",
        str(_user_config(tmp_path)),
        *how,
        "--json",
        "plan.json",
        "--flavour",
        "mmcv1",
        stubs="mmdet",
        tmp=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert blocked == "", blocked
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["flavours"] == ["mmcv1 (upstream)"]
    assert "backbone.conv1.weight: KaimingInit" in proc.stdout, proc.stdout
    assert "roi_head.mask_head.conv_logits.weight" in proc.stdout


def test_mmcv1_config_of_no_package_says_what_to_pass(tmp_path: Path) -> None:
    """No package to be found (not in a configs/ directory, no ``_base_``): the error names
    ``--scope`` and ``--builder``.  mmengine is blocked; the probe for whether it is
    installed is the one attempt seen."""
    _require("mmcv1")  # (mmcv 2.x imports mmengine, which the shim blocks)
    config = tmp_path / "bare.py"
    config.write_text("model = dict(type='MaskRCNN')\n")
    proc, blocked = _mminit("explain", str(config), stubs="mmdet", tmp=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "pass --scope PKG" in proc.stderr and "--builder" in proc.stderr, proc.stderr
    assert set(blocked.splitlines()) <= {"CHECK-BLOCKED-IMPORT: mmengine"}, blocked


def test_explain_mmcls_base_model_config_without_mmengine(tmp_path: Path) -> None:
    config = _config("mmcls", "_base_/models/resnet18.py")
    proc, blocked = _mminit(
        "explain", str(config), "--json", "plan.json", stubs="mmcls", tmp=tmp_path
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert blocked == "", blocked
    assert "head.fc.weight: NormalInit: mean=0, std=0.01, bias=0" in proc.stdout, proc.stdout
