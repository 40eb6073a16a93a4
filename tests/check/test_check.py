"""``mminit check`` on two realistic models, a config file and a planted difference.

The upstream side needs the flavour's upstream installed: without it these tests
skip, except under ``CI=true`` for mmengine (installed in every CI venv) or for a
flavour listed in ``MMINIT_COMPAT_FLAVOURS``, where they fail.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
import torch

from mminit._cli.check import main

HERE = Path(__file__).parent
UPSTREAM = {"mmengine": "mmengine.model", "mmcv1": "mmcv.runner"}
BASES = {
    "mmengine": ("mmengine.model.base_module.BaseModule", "mminit.BaseModule"),
    "mmcv1": ("mmcv.runner.base_module.BaseModule", "mminit.mmcv1.BaseModule"),
}


def _require(flavour: str) -> None:
    try:
        importlib.import_module(UPSTREAM[flavour])
    except ImportError as exc:
        requested = os.environ.get("MMINIT_COMPAT_FLAVOURS", "").split(",")
        msg = f"mminit check's upstream side needs {flavour} ({exc})"
        if os.environ.get("CI", "").lower() == "true" and (
            flavour == "mmengine" or flavour in requested
        ):
            pytest.fail(msg + " [CI=true]")
        pytest.skip(msg)


@pytest.fixture
def in_models_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """cwd = this directory (the side processes import the models from it) + a ViT checkpoint."""
    monkeypatch.chdir(HERE)
    monkeypatch.syspath_prepend(str(HERE))
    from check_zoo import make_models

    import mminit

    torch.manual_seed(123)
    donor = make_models(mminit).ViTClassifier()
    state = {
        k: torch.randn_like(v) if v.is_floating_point() else v
        for k, v in donor.state_dict().items()
    }
    ckpt = tmp_path / "vit.pth"
    torch.save({"meta": {}, "state_dict": state}, ckpt)
    monkeypatch.setenv("CHECK_VIT_CKPT", str(ckpt))
    return tmp_path


def _run(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "report.json"
    code = main([*args, "--json", str(out)])
    text = capsys.readouterr().out
    return code, json.loads(out.read_text()), text


@pytest.mark.parametrize("flavour", ["mmengine", "mmcv1"])
def test_resnet_like_is_identical(flavour: str, in_models_dir: Path, capsys: Any) -> None:
    _require(flavour)
    code, report, text = _run(
        [f"models_{flavour}:build_resnet", "--flavour", flavour, "--seed", "3"],
        in_models_dir,
        capsys,
    )
    assert code == 0, text
    assert report["differing"] == [] and report["identical"] == report["compared"] > 60
    up_base, mm_base = BASES[flavour]
    assert report["base_classes"] == {"upstream": [up_base], "mminit": [mm_base]}
    info = report["init_info"]["upstream"]
    assert info == report["init_info"]["mminit"]
    assert info["stem.0.weight"].startswith("KaimingInit: a=0, mode=fan_out")
    assert info["stages.0.0.bn2.weight"].startswith("ConstantInit: val=0")
    assert "differing        : 0" in text


@pytest.mark.parametrize("flavour", ["mmengine", "mmcv1"])
def test_vit_like_with_pretrained_prefix_is_identical(
    flavour: str, in_models_dir: Path, capsys: Any
) -> None:
    _require(flavour)
    code, report, text = _run(
        [f"models_{flavour}:build_vit", "--flavour", flavour], in_models_dir, capsys
    )
    assert code == 0, text
    assert report["differing"] == [] and report["compared"] > 40
    info = report["init_info"]["upstream"]
    assert info == report["init_info"]["mminit"]
    assert info["backbone.pos_embed"] == f"PretrainedInit: load from {os.environ['CHECK_VIT_CKPT']}"
    assert info["head.1.weight"].startswith("TruncNormalInit: a=-2, b=2, mean=0, std=0.02")


def test_config_file_target(in_models_dir: Path, capsys: Any) -> None:
    _require("mmengine")
    config = in_models_dir / "vit_config.py"
    config.write_text(
        "custom_imports = dict(imports=['models_mmengine'], allow_failed_imports=False)\n"
        f"model = dict(type='CheckViTClassifier', backbone_init=dict(type='Pretrained', "
        f"checkpoint={os.environ['CHECK_VIT_CKPT']!r}, prefix='backbone.'))\n"
    )
    code, report, text = _run([str(config), "--flavour", "mmengine"], in_models_dir, capsys)
    assert code == 0, text
    assert report["base_classes"]["upstream"] == [BASES["mmengine"][0]]
    assert report["identical"] == report["compared"] > 40


def test_planted_difference_is_reported(in_models_dir: Path, capsys: Any) -> None:
    _require("mmengine")
    code, report, text = _run(
        [
            "models_mmengine:build_vit",
            "--migrated",
            "models_planted:build_vit",
            "--flavour",
            "mmengine",
        ],
        in_models_dir,
        capsys,
    )
    assert code == 1
    rows = report["differing"]
    # the weight differs in value; the bias (constant 0) only in its init-info string
    assert [(r["name"], r["kind"]) for r in rows] == [
        ("head.1.weight", "param"),
        ("head.1.bias", "init-info"),
    ]
    assert all(r["upstream_info"].endswith("std=0.02, bias=0") for r in rows)
    assert all(r["mminit_info"].endswith("std=0.03, bias=0") for r in rows)
    assert rows[0]["max_abs_diff"] > 0 and rows[1]["max_abs_diff"] == 0
    assert "head.1.weight" in text and "differing        : 2" in text


def test_unimportable_target_exits_2(in_models_dir: Path, capsys: Any) -> None:
    assert main(["no_such_module_for_check:build", "--flavour", "mmengine"]) == 2
    assert "no_such_module_for_check" in capsys.readouterr().err


def test_target_without_factory_exits_2(in_models_dir: Path, capsys: Any) -> None:
    assert main(["models_mmengine", "--flavour", "mmengine"]) == 2
    assert "pkg.module:factory" in capsys.readouterr().err


def test_unmigrated_source_is_refused_without_migrated(in_models_dir: Path, capsys: Any) -> None:
    _require("mmengine")
    assert main(["models_unmigrated:build_resnet", "--flavour", "mmengine"]) == 2
    assert "mminit migrate" in capsys.readouterr().err


def test_unmigrated_source_against_its_migrated_copy(in_models_dir: Path, capsys: Any) -> None:
    _require("mmengine")
    code, report, text = _run(
        [
            "models_unmigrated:build_resnet",
            "--migrated",
            "models_mmengine:build_resnet",
            "--flavour",
            "mmengine",
        ],
        in_models_dir,
        capsys,
    )
    assert code == 0, text
    assert report["base_classes"] == {
        "upstream": [BASES["mmengine"][0]],
        "mminit": [BASES["mmengine"][1]],
    }
    assert report["identical"] == report["compared"] > 60


# ------------------------------------------------ stages, init-info count, lazy configs
@pytest.mark.parametrize(
    ("env", "factory", "stage", "what"),
    [
        ({"CHECK_FAIL_IMPORT": "1"}, "build_fails", "import", "planted failure while importing"),
        ({}, "build_fails", "build", "planted failure in the factory"),
    ],
)
def test_failure_names_its_stage(
    env: dict[str, str],
    factory: str,
    stage: str,
    what: str,
    in_models_dir: Path,
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _require("mmengine")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main([f"models_stages:{factory}", "--flavour", "mmengine"]) == 2
    err = capsys.readouterr().err
    assert f"upstream side failed at the {stage} stage" in err and what in err, err
    if stage != "build":
        assert "building" not in err, err


def test_init_exception_is_compared_not_fatal(in_models_dir: Path, capsys: Any) -> None:
    _require("mmengine")
    code, report, text = _run(
        ["models_stages:build_init_fails", "--flavour", "mmengine"], in_models_dir, capsys
    )
    assert code == 0, text  # both sides raise the same exception: parity
    assert (
        report["errors"]["upstream"]
        == report["errors"]["mminit"]
        == "init_weights raised RuntimeError: planted failure in init_weights"
    )
    assert "mminit side (init stage): init_weights raised" in text


def test_table_counts_init_info_strings(in_models_dir: Path, capsys: Any) -> None:
    _require("mmengine")
    code, report, text = _run(
        ["models_mmengine:build_resnet", "--flavour", "mmengine"], in_models_dir, capsys
    )
    assert code == 0, text
    n_info = len(report["init_info"]["upstream"])
    assert n_info == len(set(report["params"])) > 40
    assert report["info_compared"] == report["info_identical"] == n_info
    assert f"init-info strings: {n_info} compared, {n_info} identical" in text


def test_planted_info_only_difference_is_counted(in_models_dir: Path, capsys: Any) -> None:
    _require("mmengine")
    code, report, text = _run(
        [
            "models_mmengine:build_vit",
            "--migrated",
            "models_planted:build_vit",
            "--flavour",
            "mmengine",
        ],
        in_models_dir,
        capsys,
    )
    assert code == 1
    assert report["info_compared"] - report["info_identical"] == 2  # head.1.weight and .bias
    assert f"{report['info_compared']} compared, {report['info_identical']} identical" in text


def test_no_upstream_logger_on_the_mminit_side(in_models_dir: Path, capsys: Any) -> None:
    """The mminit side imports neither mmengine nor mmcv (the factory asserts it)."""
    _require("mmengine")
    code, report, text = _run(
        ["models_stages:build_plain_resnet", "--flavour", "mmengine"], in_models_dir, capsys
    )
    assert code == 0, text
    assert report["info_compared"] == report["info_identical"] == len(set(report["params"])) > 40


LAZY_CONFIG = """\
from mminit import TruncNormalInit
from models_mmengine import MODELS as ZOO

model = dict(type=ZOO.TinyViT,
             init_cfg=[dict(type=TruncNormalInit, layer='Linear', std=0.02, bias=0.5)])
"""


def test_migrated_lazy_import_config(in_models_dir: Path, capsys: Any) -> None:
    """Issue 13.5: the upstream side's ``mminit`` alias needs a ``__spec__`` (lazy configs
    call ``importlib.util.find_spec`` on it)."""
    _require("mmengine")
    config = in_models_dir / "lazy_vit.py"
    config.write_text(LAZY_CONFIG)
    code, report, text = _run([str(config), "--flavour", "mmengine"], in_models_dir, capsys)
    assert code == 0, text
    assert report["identical"] == report["compared"] > 40
    assert report["base_classes"] == {
        "upstream": [BASES["mmengine"][0]],
        "mminit": [BASES["mmengine"][1]],
    }
    assert (
        report["init_info"]["upstream"]["layers.0.attn.qkv.bias"]
        == "TruncNormalInit: a=-2, b=2, mean=0, std=0.02, bias=0.5"
    )


def test_upstream_alias_resolves_checkpoint_and_brick_names() -> None:
    """Migrated real code imports ``load_checkpoint`` (and, with ``--bricks``, ``ConvModule``)
    from mminit; the upstream side must find upstream's objects for them."""
    _require("mmcv1")
    import mmcv.cnn
    import mmcv.runner

    import mminit.mmcv1
    from mminit._cli.check import _alias_module

    alias = _alias_module("mmcv1", list(mminit.mmcv1.__all__))
    assert alias.load_checkpoint is mmcv.runner.load_checkpoint
    assert alias.ConvModule is mmcv.cnn.ConvModule
    assert alias.BaseModule is mmcv.runner.BaseModule
    _require("mmengine")
    import mmengine.runner.checkpoint

    import mminit

    alias = _alias_module("mmengine", list(mminit.__all__))
    assert alias.load_checkpoint is mmengine.runner.checkpoint.load_checkpoint
    with pytest.raises(AttributeError, match="no counterpart of mminit.init_weights"):
        alias.init_weights  # noqa: B018 - mminit-only names have no upstream object


def test_help_names_the_real_defaults() -> None:
    import contextlib
    import io

    from mminit._cli.check import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main(["--help"])
    text = " ".join(out.getvalue().split())
    assert "(default: auto)" in text and "default: both" not in text
    assert "(default: 0)" in text  # --seed has help
