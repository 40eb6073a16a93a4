"""``mminit check`` and ``mminit explain`` given a *config path* of an mmengine-era package
(mmdet 3.3.0, mmsegmentation 1.2.2; ``.venv``): the config's ``default_scope`` names the
package, whose migrated copy is first on ``PYTHONPATH``.

The stand-ins of :mod:`stubs` reach the command's subprocesses through a
``sitecustomize`` on ``PYTHONPATH`` (the packages import scipy, pycocotools, mmcv's
compiled ops ... at import time, which the environment does not install).  The configs
are ones whose models download nothing (a ``Pretrained`` URL would need the network).
Explain's plan is held against the init-info strings upstream logged on check's
upstream side: one per parameter, equal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from compat_tests.real_models import harness

HERE = Path(__file__).resolve().parent

#: package -> a config (under its .mim/configs) whose model downloads nothing
CONFIGS = {
    "mmdet3": "yolox/yolox_s_8xb8-300e_coco.py",
    "mmseg1": "unet/unet-s5-d16_fcn_4xb4-40k_drive-64x64.py",
}
#: fewer tensors than this compared would mean the run did not build what it should
MIN_TENSORS = {"mmdet3": 400, "mmseg1": 140}
_SITECUSTOMIZE = """\
import sys
sys.path.insert(0, {here!r})
import stubs
stubs.install({package!r})
sys.path.remove({here!r})
"""


def _run(real_models: Any, package: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(here=str(HERE), package=package))
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(real_models.root(package)), str(site)]),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "mminit", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def _check_and_explain(package: str, real_models: Any, tmp_path: Path) -> None:
    """Both commands on the config path: check passes, explain predicts upstream's strings."""
    source = harness.package_dir(package)
    assert source is not None, package
    config = str(source / ".mim" / "configs" / CONFIGS[package])
    code, text = _run(real_models, package, tmp_path, "check", config, "--json", "check.json")
    assert code == 0, text
    report = json.loads((tmp_path / "check.json").read_text())
    assert report["identical"] == report["compared"] > MIN_TENSORS[package], text
    assert report["info_identical"] == report["info_compared"] == len(report["params"])
    # the migrated copy ran on the mminit side (mmcv's bricks stay upstream's: a mixed tree)
    assert "mminit.BaseModule" in report["base_classes"]["mminit"]
    assert not any(b.startswith("mminit.") for b in report["base_classes"]["upstream"])

    code, text = _run(real_models, package, tmp_path, "explain", config, "--json", "plan.json")
    assert code == 0, text
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["error"] is None, plan["error"]
    predicted = {t["name"]: t["info"].strip() for t in plan["tensors"] if t["kind"] == "parameter"}
    recorded = {k: v.strip() for k, v in report["init_info"]["upstream"].items()}
    assert sorted(predicted) == sorted(report["params"])
    bad = [(k, predicted[k], recorded.get(k)) for k in predicted if predicted[k] != recorded.get(k)]
    assert not bad, bad[:3]


# defined only where the requested flavour selects their package: never a skip in CI
if harness.selected("mmdet3"):

    def test_mmdet3_yolox_config(real_models: Any, tmp_path: Path) -> None:
        _check_and_explain("mmdet3", real_models, tmp_path)


if harness.selected("mmseg1"):

    def test_mmseg1_unet_config(real_models: Any, tmp_path: Path) -> None:
        _check_and_explain("mmseg1", real_models, tmp_path)
