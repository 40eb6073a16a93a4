"""The MOVES table agrees with what the upstream modules really expose."""

from __future__ import annotations

import importlib
import json
import subprocess
from collections import defaultdict

import pytest
from codemod_checks import MMCV_PYTHON, require_environment

from mminit.codemods._table import BRICK_MOVES, MMCV1, MMCV1_ONLY_NAMES, MMENGINE, MOVES

# mmcv-lite cannot import these (no compiled ops); they are checked from their source text.
_NEEDS_OPS = ("mmcv.ops.",)


# Checked by test_checkpoint_rows.py against upstream's checkpoint modules.
_CHECKPOINT_NAMES = frozenset(
    {
        "CheckpointLoader",
        "_load_checkpoint",
        "_load_checkpoint_with_prefix",
        "load_checkpoint",
        "load_state_dict",
    }
)


def _rows(prefix: str) -> dict[str, list[str]]:
    """The init-system rows of MOVES under ``prefix``."""
    rows: dict[str, list[str]] = defaultdict(list)
    for module, name in MOVES:
        if name in _CHECKPOINT_NAMES:
            continue
        if module == prefix or module.startswith(prefix + "."):
            rows[module].append(name)
    return rows


def test_targets_follow_the_source_package() -> None:
    for (module, name), target in {**MOVES, **BRICK_MOVES}.items():
        expected = MMCV1 if module.split(".")[0] == "mmcv" else MMENGINE
        assert target == expected, (module, name)


@pytest.mark.parametrize("module", sorted(_rows("mmengine")))
def test_mmengine_rows_are_real(module: str) -> None:
    pytest.importorskip("mmengine")
    weight_init = importlib.import_module("mmengine.model.weight_init")
    base_module = importlib.import_module("mmengine.model.base_module")
    registry = importlib.import_module("mmengine.registry")
    mod = importlib.import_module(module)
    for name in _rows("mmengine")[module]:
        obj = getattr(mod, name)
        origin = next(m for m in (weight_init, base_module, registry) if hasattr(m, name))
        assert obj is getattr(origin, name), f"{module}.{name} is not the init-system object"


def test_mmengine_model_does_not_expose_trunc_normal_() -> None:
    mmengine_model = pytest.importorskip("mmengine.model")
    assert not hasattr(mmengine_model, "trunc_normal_")
    assert ("mmengine.model", "trunc_normal_") not in MOVES


_CHECK_MMCV = """
import importlib, json, sys, warnings
warnings.simplefilter('ignore')
rows = json.loads(sys.argv[1])
wi = importlib.import_module('mmcv.cnn.utils.weight_init')
bm = importlib.import_module('mmcv.runner.base_module')
reg = importlib.import_module('mmcv.utils.registry')
bad = []
for module, names in rows.items():
    mod = importlib.import_module(module)
    for name in names:
        origin = next((m for m in (wi, bm, reg) if hasattr(m, name)), None)
        if origin is None or getattr(mod, name, None) is not getattr(origin, name):
            bad.append(module + '.' + name)
print(json.dumps(bad))
"""


def test_mmcv_rows_are_real() -> None:
    require_environment(MMCV_PYTHON, f"needs the mmcv 1.7.2 environment at {MMCV_PYTHON}")
    rows = {m: n for m, n in _rows("mmcv").items() if not m.startswith(_NEEDS_OPS)}
    proc = subprocess.run(
        [str(MMCV_PYTHON), "-c", _CHECK_MMCV, json.dumps(rows)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_mmcv_ops_rows_match_their_source() -> None:
    require_environment(MMCV_PYTHON, f"needs the mmcv 1.7.2 environment at {MMCV_PYTHON}")
    site = next((MMCV_PYTHON.parents[1] / "lib").glob("python3*/site-packages"))
    for module, names in _rows("mmcv").items():
        if not module.startswith(_NEEDS_OPS):
            continue
        text = (site / (module.replace(".", "/") + ".py")).read_text()
        for name in names:
            assert name in text, f"{module} does not import {name}"


def test_every_target_name_exists_in_mminit() -> None:
    missing = []
    for (_, name), target in {**MOVES, **BRICK_MOVES}.items():
        try:
            mod = importlib.import_module(target)
        except ImportError as exc:
            pytest.fail(f"cannot import {target}: {exc}")
        if not hasattr(mod, name):
            missing.append(f"{target}.{name}")
    assert sorted(set(missing)) == []


def test_brick_rows_are_not_default_rows() -> None:
    assert set(MOVES).isdisjoint(BRICK_MOVES)


def test_mmcv1_only_names_are_those_the_mmengine_flavour_lacks() -> None:
    # ``--mmcv 2`` sends every other mmcv.* name to ``mminit``: it must exist there.
    mminit = importlib.import_module("mminit")
    names = {name for (module, name) in {**MOVES, **BRICK_MOVES} if module.split(".")[0] == "mmcv"}
    assert {n for n in names if not hasattr(mminit, n)} == set(MMCV1_ONLY_NAMES)
