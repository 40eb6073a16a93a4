"""The ``--bricks`` codemod rows match the installed mmcv: complete and pointing at the real objects."""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from typing import Any

import pytest

from compat_tests.bricks.suite import upstream_reason
from compat_tests.libs import INSTALL_HINT, MMINIT_OF, missing_upstream, requested_flavours


def _canonical(names: set[str]) -> dict[str, Any]:
    sources = [
        importlib.import_module(m)
        for m in (
            "mmcv.cnn",
            "mmcv.cnn.bricks",
            "mmcv.cnn.bricks.norm",
            "mmcv.cnn.bricks.upsample",
            "mmcv.cnn.bricks.drop",
            "mmcv.cnn.bricks.transformer",
        )
    ]
    return {n: getattr(src, n) for n in names for src in reversed(sources) if hasattr(src, n)}


def _modules() -> list[Any]:
    cnn = importlib.import_module("mmcv.cnn")
    mods = [cnn]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for info in pkgutil.walk_packages(cnn.__path__, "mmcv.cnn."):
            try:
                mods.append(importlib.import_module(info.name))
            except Exception:  # noqa: BLE001, S112 - modules needing compiled ops
                continue
    return mods


@pytest.mark.parametrize("flavour", requested_flavours())
def test_brick_rows_cover_every_module_and_point_at_the_real_objects(flavour: str) -> None:
    assert flavour in MMINIT_OF
    why = upstream_reason(flavour)
    if why is not None:
        missing_upstream(f"needs the mmcv of flavour {flavour!r} ({why}): {INSTALL_HINT[flavour]}")
    from mminit.codemods._table import BRICK_MOVES

    canonical = _canonical({name for _, name in BRICK_MOVES})
    missing, wrong = [], []
    for mod in _modules():
        for name, obj in canonical.items():
            bound = getattr(mod, name, None)
            if bound is obj and (mod.__name__, name) not in BRICK_MOVES:
                missing.append(f"{mod.__name__}.{name}")
            if (mod.__name__, name) in BRICK_MOVES and bound is not None and bound is not obj:
                wrong.append(f"{mod.__name__}.{name}")
    assert missing == [] and wrong == []
    # every moved name exists in the target flavour
    for (_, name), target in BRICK_MOVES.items():
        assert hasattr(importlib.import_module(target), name), f"{target}.{name}"
