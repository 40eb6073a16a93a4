"""Migrate a copy of examples/sample_repo: the expected files change, all still parse,
a second run is a no-op, and the models initialise bit-identically before and after."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from codemod_checks import MMCV_PYTHON, ROOT, require_environment

from mminit.codemods.cli import main

SAMPLE = ROOT / "examples" / "sample_repo"
EXPECTED_CHANGED = {
    "configs/tiny_vit_pretrained.py",
    "sample_repo/mmcv_bricks/convnet.py",  # BaseModule and load_checkpoint move by default
    "sample_repo/mmcv_style/heads.py",
    "sample_repo/mmcv_style/models.py",
    "sample_repo/mmengine_style/models.py",
}


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.py")}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("sample") / "sample_repo"
    shutil.copytree(SAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert main([str(copy), "--jobs", "2", "--quiet"]) == 0
    return copy


def test_expected_files_change_and_others_stay(migrated: Path) -> None:
    before, after = _snapshot(SAMPLE), _snapshot(migrated)
    assert before.keys() == after.keys()
    assert {k for k in before if before[k] != after[k]} == EXPECTED_CHANGED
    for text in after.values():
        ast.parse(text)


def test_no_upstream_init_import_is_left(migrated: Path) -> None:
    heads = (migrated / "sample_repo/mmcv_style/heads.py").read_text()
    assert "class Neck(mminit.mmcv1.BaseModule):" in heads
    assert "import mmcv\n" in heads  # still used for mmcv.__version__
    models = (migrated / "sample_repo/mmengine_style/models.py").read_text()
    assert "import mminit as mmodel\n" in models
    assert "from mmengine.model import BaseModel\n" in models


def test_second_run_is_a_no_op(migrated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = _snapshot(migrated)
    assert main([str(migrated), "--check"]) == 0
    assert _snapshot(migrated) == snapshot
    assert "0 would change" in capsys.readouterr().err


_INIT_SCRIPT = """
import importlib, logging, sys, warnings
warnings.simplefilter('ignore')
logging.disable(logging.CRITICAL)
module, factory, out = sys.argv[1:4]
import torch
states = []
for root in sys.argv[4:]:
    for name in [n for n in sys.modules if n.split('.')[0] == 'sample_repo']:
        del sys.modules[name]
    sys.path.insert(0, root)
    torch.manual_seed(1234)
    model = getattr(importlib.import_module(module), factory)()
    model.init_weights()
    states.append(model.state_dict())
    sys.path.remove(root)
torch.save(states, out)
"""


@pytest.mark.parametrize(
    ("part", "factory", "python"),
    [
        pytest.param("mmengine_style", "build_model", Path(sys.executable), id="mmengine-style"),
        # mmengine's BaseModel (not an init name, so it stays) around mminit modules.
        pytest.param(
            "mmengine_style",
            "build_classifier",
            Path(sys.executable),
            id="mmengine-basemodel-around-mminit",
        ),
        pytest.param("mmcv_style", "build_model", MMCV_PYTHON, id="mmcv-style"),
    ],
)
def test_init_is_bit_identical_after_migration(
    migrated: Path, tmp_path: Path, part: str, factory: str, python: Path
) -> None:
    import torch

    require_environment(python, f"needs {python}")
    out = tmp_path / "states.pt"
    proc = subprocess.run(
        [
            str(python),
            "-B",
            "-c",
            _INIT_SCRIPT,
            f"sample_repo.{part}.models",
            factory,
            str(out),
            str(SAMPLE),
            str(migrated),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    before, after = torch.load(out)
    assert before.keys() == after.keys()
    assert [k for k in before if not torch.equal(before[k], after[k])] == []
    # The migrated model really runs on mminit, not on the upstream it came from.
    assert "mminit" in (migrated / "sample_repo" / part / "models.py").read_text()
