"""The checkpoint loaders move by default: table rows, checked against the installed
upstreams (real and complete), and the rewrite they give."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from codemod_checks import (
    MMCV_PYTHON,
    check_full_path,
    check_noop,
    check_transformed,
    require_environment,
)

from mminit.codemods._table import BRICK_MOVES, MMCV1, MMENGINE, MOVES

NAMES = (
    "CheckpointLoader",
    "_load_checkpoint",
    "_load_checkpoint_with_prefix",
    "load_checkpoint",
    "load_state_dict",
)
REFERENCE = {"mmcv": "mmcv.runner.checkpoint", "mmengine": "mmengine.runner.checkpoint"}
PYTHON = {"mmcv": MMCV_PYTHON, "mmengine": Path(sys.executable)}


def checkpoint_rows(root: str) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for module, name in MOVES:
        if name in NAMES and module.split(".")[0] == root:
            rows.setdefault(module, []).append(name)
    return rows


# Imports every module of the package and lists those binding a checkpoint object.
_SCAN = """
import importlib, json, pkgutil, sys, warnings
warnings.simplefilter('ignore')
root, reference, names = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
ref = importlib.import_module(reference)
objs = {n: getattr(ref, n) for n in names}
pkg = importlib.import_module(root)
found = {}
for info in [None, *pkgutil.walk_packages(pkg.__path__, root + '.')]:
    name = root if info is None else info.name
    if name.startswith('mmcv.ops'):
        continue  # needs compiled ops; none of them binds a checkpoint name (source-checked)
    try:
        mod = importlib.import_module(name)
    except Exception:
        continue
    hit = sorted(n for n in names if getattr(mod, n, None) is objs[n])
    if hit:
        found[name] = hit
print(json.dumps(found))
"""


@pytest.mark.parametrize("root", ["mmengine", "mmcv"])
def test_rows_are_exactly_the_modules_binding_the_loaders(root: str) -> None:
    python = PYTHON[root]
    require_environment(python, f"needs the upstream environment at {python}")
    probe = subprocess.run(
        [str(python), "-c", f"import {REFERENCE[root]}"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{REFERENCE[root]} is not importable with {python}")
        pytest.skip(f"{REFERENCE[root]} is not importable with {python}")
    proc = subprocess.run(
        [str(python), "-c", _SCAN, root, REFERENCE[root], json.dumps(NAMES)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found == {module: sorted(names) for module, names in checkpoint_rows(root).items()}


def test_checkpoint_rows_move_by_default_to_the_flavour() -> None:
    rows = [(m, n) for (m, n) in MOVES if n in NAMES]
    assert len(rows) == 23
    for module, name in rows:
        assert MOVES[(module, name)] == (MMCV1 if module.startswith("mmcv") else MMENGINE)
        assert (module, name) not in BRICK_MOVES
    assert ("mmengine.runner", "_load_checkpoint") not in MOVES  # mmengine.runner lacks it


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "from mmcv.runner import load_checkpoint\n",
            "from mminit.mmcv1 import load_checkpoint\n",
            id="mmcv.runner",
        ),
        pytest.param(
            "from mmcv.runner import BaseModule, CheckpointLoader, _load_checkpoint, load_state_dict\n",
            "from mminit.mmcv1 import BaseModule, CheckpointLoader, _load_checkpoint, load_state_dict\n",
            id="mmcv.runner-with-init-names",
        ),
        pytest.param(
            "from mmcv.runner import get_dist_info, load_checkpoint\n",
            "from mmcv.runner import get_dist_info\nfrom mminit.mmcv1 import load_checkpoint\n",
            id="mmcv.runner-mixed",
        ),
        pytest.param(
            "from mmcv.runner.checkpoint import _load_checkpoint_with_prefix as load_prefixed\n",
            "from mminit.mmcv1 import _load_checkpoint_with_prefix as load_prefixed\n",
            id="mmcv.runner.checkpoint-alias",
        ),
        pytest.param(
            "from mmengine.runner import Runner, load_checkpoint\n",
            "from mmengine.runner import Runner\nfrom mminit import load_checkpoint\n",
            id="mmengine.runner-mixed",
        ),
        pytest.param(
            "from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint\n",
            "from mminit import CheckpointLoader, _load_checkpoint\n",
            id="mmengine.runner.checkpoint",
        ),
    ],
)
def test_checkpoint_imports_are_rewritten(before: str, after: str) -> None:
    check_transformed(before, after)
    check_full_path(before, after)


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("from mmengine.runner import _load_checkpoint\n", id="not-in-mmengine.runner"),
        pytest.param("from mmcv.runner import save_checkpoint\n", id="save-stays"),
        pytest.param("from mmengine.runner.checkpoint import weights_to_cpu\n", id="helper-stays"),
        pytest.param("from mydet.runner import load_checkpoint\n", id="other-package"),
    ],
)
def test_other_runner_names_stay(src: str) -> None:
    check_noop(src)
