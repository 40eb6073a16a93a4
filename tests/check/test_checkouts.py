"""``mminit check TARGET --original DIR --migrated DIR``: two checkouts of the bundled sample
repository, before and after ``mminit migrate``, each side importing its own tree.

The checkouts both hold the package ``sample_repo`` (so the side processes must not mix
them up) and the config ``configs/tiny_vit_pretrained.py`` (the original imports its init
classes from mmengine, the migrated one from mminit); each side runs in its checkout and
loads that checkout's ``checkpoints/tiny_vit.pth``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mminit._cli.check import main

from .test_check import _require
from .test_sample_config import SAMPLE, _checkpoint

CONFIG = "configs/tiny_vit_pretrained.py"


@pytest.fixture(scope="module")
def checkouts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(original, migrated): copies of examples/sample_repo, the second migrated; the
    config's checkpoint (values unlike any init) in both."""
    base = tmp_path_factory.mktemp("checkouts")
    original, migrated = base / "original", base / "migrated"
    for tree in (original, migrated):
        shutil.copytree(SAMPLE, tree, ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run(
        [sys.executable, "-m", "mminit", "migrate", str(migrated), "--quiet", "--jobs", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ckpt = _checkpoint(original)
    (migrated / "checkpoints").mkdir()
    shutil.copy(ckpt, migrated / "checkpoints" / ckpt.name)
    return original, migrated


def _check(*args: str, cwd: Path) -> tuple[int, dict[str, Any], str]:
    """``mminit check ARGS`` in a fresh interpreter whose path holds neither checkout."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    report = cwd / "report.json"
    report.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "mminit", "check", *args, "--json", str(report)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    text = proc.stdout + proc.stderr
    return proc.returncode, json.loads(report.read_text()) if report.exists() else {}, text


def test_config_of_two_checkouts_is_identical(checkouts: tuple[Path, Path], tmp_path: Path) -> None:
    _require("mmengine")
    original, migrated = checkouts
    assert "from mmengine.model import" in (original / CONFIG).read_text()
    assert "from mminit import" in (migrated / CONFIG).read_text()
    code, report, text = _check(
        CONFIG, "--original", str(original), "--migrated", str(migrated), cwd=tmp_path
    )
    assert code == 0, text
    assert report["identical"] == report["compared"] == 32
    assert report["info_compared"] == report["info_identical"] == 32
    assert report["base_classes"] == {
        "upstream": ["mmengine.model.base_module.BaseModule"],
        "mminit": ["mminit.BaseModule"],
    }
    info = report["init_info"]["mminit"]
    assert info["pos_embed"] == "PretrainedInit: load from checkpoints/tiny_vit.pth", info


@pytest.mark.parametrize(
    ("style", "flavour", "base"),
    [
        ("mmcv_style", "mmcv1", "mminit.mmcv1.BaseModule"),
        ("mmengine_style", "mmengine", "mminit.BaseModule"),
    ],
)
def test_factory_of_two_checkouts_is_identical(
    style: str, flavour: str, base: str, checkouts: tuple[Path, Path], tmp_path: Path
) -> None:
    _require(flavour)
    original, migrated = checkouts
    code, report, text = _check(
        f"sample_repo.{style}.models:build_model",
        "--flavour",
        flavour,
        "--original",
        str(original),
        "--migrated",
        str(migrated),
        cwd=tmp_path,
    )
    assert code == 0, text
    assert report["identical"] == report["compared"] > 20
    assert report["base_classes"]["mminit"] == [base]


def test_each_side_imports_its_own_checkout(checkouts: tuple[Path, Path], tmp_path: Path) -> None:
    """A difference planted in the *original* checkout only is found: the upstream side
    imported it (not the migrated package of the same name)."""
    _require("mmengine")
    original = tmp_path / "original"
    shutil.copytree(checkouts[0], original, ignore=shutil.ignore_patterns("__pycache__"))
    models = original / "sample_repo" / "mmengine_style" / "models.py"
    text = models.read_text()
    assert "layer='Linear', std=0.02, bias=0.)" in text
    models.write_text(
        text.replace("layer='Linear', std=0.02, bias=0.)", "layer='Linear', std=0.03, bias=0.)")
    )
    code, report, out = _check(
        "sample_repo.mmengine_style.models:build_model",
        "--flavour",
        "mmengine",
        "--original",
        str(original),
        "--migrated",
        str(checkouts[1]),
        cwd=tmp_path,
    )
    assert code == 1, out
    rows = report["differing"]
    assert rows and all(
        "std=0.03" in r["upstream_info"] and "std=0.02" in r["mminit_info"] for r in rows
    ), rows


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--original", "{o}"], "--original DIR needs --migrated DIR"),
        (
            ["--migrated", "{m}"],
            "to compare two checkouts, pass the one before migration with --original",
        ),
        (
            ["--original", "{o}", "--migrated", "{o}/nosuch"],
            "--migrated '{o}/nosuch' is not a directory",
        ),
        (
            ["--original", "{o}", "--migrated", "{m}", "--scope", "x:y"],
            "--scope must be a package name",
        ),
    ],
)
def test_checkout_usage_errors_exit_2(
    args: list[str], message: str, checkouts: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    o, m = (str(p) for p in checkouts)
    assert main([CONFIG, *(a.format(o=o, m=m) for a in args)]) == 2
    assert message.format(o=o, m=m) in capsys.readouterr().err


def test_config_in_neither_checkout_exits_2(
    checkouts: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    o, m = (str(p) for p in checkouts)
    assert main(["configs/nosuch.py", "--original", o, "--migrated", m]) == 2
    assert (
        f"config file 'configs/nosuch.py' is neither in {o} nor in the current directory"
        in capsys.readouterr().err
    )
