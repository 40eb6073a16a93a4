"""``mminit.explain`` on the real upstream models of ``compat_tests/real_models`` (its ``harness.CONFIGS``:
mmpretrain 1.2.0, mmdet 3.3.0 and mmsegmentation 1.2.2 in ``.venv``; mmcls 0.25.0, mmdet 2.28.2 and mmseg
0.30.0 in ``.venv-mmcv``; selected by ``MMINIT_COMPAT_FLAVOURS`` as there).

Each model is built from the package's own config (upstream classes throughout),
explained, and then initialised by its own upstream ``init_weights()`` on a second
build with the same seed; per parameter the plan's init-info string must equal the
one upstream's dump logs, and the plan's uncovered set the parameters upstream
leaves unchanged.  Figures are printed (``-s``).
"""

from __future__ import annotations

import copy
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

from compat_tests.libs import INSTALL_HINT, missing_upstream
from compat_tests.real_models import harness
from mminit._cli.check import INIT_INFO_DUMP

HERE = Path(__file__).resolve().parent / "real_models"


def _cases() -> list[tuple[str, str]]:
    return [
        (package, config)
        for package in harness.CONFIGS
        if harness.selected(package)
        for config in harness.CONFIGS[package]
    ]


def _dump_of(model: Any) -> dict[str, str]:
    seen: list[str] = []
    orig = logging.Logger.handle

    def handle(logger: logging.Logger, record: logging.LogRecord) -> Any:
        seen.append(record.getMessage())
        return orig(logger, record)

    logging.Logger.handle = handle  # type: ignore[method-assign, assignment]
    try:
        model.init_weights()
    finally:
        logging.Logger.handle = orig  # type: ignore[method-assign]
    return {m["name"]: m["info"].strip() for m in (INIT_INFO_DUMP.match(x) for x in seen) if m}


@pytest.mark.parametrize(("package", "config"), _cases())
def test_plan_matches_upstream_on_real_model(package, config, tmp_path):
    sys.path[:0] = [str(HERE)]
    try:
        import side
        import stubs

        # one process imports every selected package: each stand-in must be in place before
        # the first of them imports a module they share (mmpretrain imports mmdet 3.x when it
        # can, and mmcv 2.x's bricks/transformer.py looks for the compiled ops only once)
        for each in harness.CONFIGS:
            if harness.selected(each):
                stubs.install(each)
        stubs.bind_late_imports()
        try:
            build = side._builder(package)
        except ImportError as exc:
            missing_upstream(
                f"{package} not importable ({exc}): {INSTALL_HINT[harness.FLAVOUR[package]]}"
            )
        site = Path(__import__(harness.module(package)).__file__).parent / ".mim" / "configs"
        cfg = side._read_config(package, str(site / config))
        side._local_checkpoints(cfg, build, tmp_path, Path(config).stem)
        from mminit._explain.api import explain

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.manual_seed(0)
            model = build(copy.deepcopy(cfg))
            before = {k: v.clone() for k, v in model.named_parameters()}
            plan = explain(model, lints=True)
            recorded = _dump_of(model)
    finally:
        del sys.path[:1]
    assert plan.error is None, plan.error
    predicted = {k: v.strip() for k, v in plan.infos().items()}
    info_bad = [k for k in predicted if predicted[k] != recorded.get(k)]
    unchanged = {k for k, p in model.named_parameters() if torch.equal(before[k], p.detach())}
    uncovered = {t.name for t in plan.tensors if t.kind == "parameter" and t.uncovered}
    print(
        f"\nexplain {package} {config}: {len(predicted)} parameters compared, {len(info_bad)} info mismatches, "
        f"{len(unchanged ^ uncovered)} uncovered mismatches, {len(uncovered)} uncovered, "
        f"lints {[str(x) for x in plan.lints][:5]}"
    )
    assert len(recorded) == len(predicted) > 0
    assert not info_bad, [(k, predicted[k], recorded.get(k)) for k in info_bad[:3]]
    assert unchanged == uncovered, sorted(unchanged ^ uncovered)[:5]
