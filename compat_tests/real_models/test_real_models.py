"""Real OpenMMLab packages, original vs migrated, on models built from their own configs.

``MMINIT_COMPAT_FLAVOURS`` selects the packages: ``mmengine`` -> mmpretrain 1.2.0, mmdet
3.3.0 and mmsegmentation 1.2.2 (``.venv``), ``mmcv1`` -> mmcls 0.25.0, mmdet 2.28.2 and mmseg
0.30.0 (``.venv-mmcv``).  For each
model, on the copy migrated by default (initialised by ``init_weights()`` and by
``mminit.init_weights``) and on the copy migrated with ``--bricks``: every tensor
(bit for bit), every init-info string, every log record (mmengine's registry
look-up chatter aside, see :func:`harness.differences`), every warning and any
exception must be the same.  See :mod:`compat_tests.real_models.harness`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compat_tests.real_models import harness

CASES = [
    (package, Path(config).stem)
    for package in harness.CONFIGS
    if harness.selected(package)
    for config in harness.CONFIGS[package]
]
MMINIT_BASE = {
    p: "mminit.BaseModule" if flavour == "mmengine" else "mminit.mmcv1.BaseModule"
    for p, flavour in harness.FLAVOUR.items()
}


def _check(result: dict[str, Any], package: str) -> None:
    assert result["error"] is None, result["error"]
    assert result["differences"] == []
    # not vacuous: the tree was initialised, the dump was captured, the copy was migrated
    assert result["tensors"] > 50 and result["info"] > 50
    assert MMINIT_BASE[package] in result["migrated_bases"]
    assert not any(b.startswith("mminit.") for b in result["original_bases"])


@pytest.mark.parametrize(("package", "model"), CASES)
def test_original_vs_migrated(package: str, model: str, real_models: Any) -> None:
    _check(real_models.results(package)[model], package)


@pytest.mark.parametrize(("package", "model"), CASES)
def test_original_vs_mminit_init_weights(package: str, model: str, real_models: Any) -> None:
    """The migrated model initialised by ``mminit.init_weights(model)`` (mminit's engine
    driving the upstream root) against the original's own ``init_weights()``."""
    _check(real_models.results(package, "mminit")[model], package)


@pytest.mark.parametrize(("package", "model"), CASES)
def test_original_vs_mminit_init_weights_replayed(
    package: str, model: str, real_models: Any
) -> None:
    """As above, on the second ``mminit.init_weights`` of the architecture in the process:
    the replay of the plan the first one recorded (where the model's init is one a plan can
    stand for; a ``Pretrained`` entry, say, walks every time)."""
    _check(real_models.results(package, "replay")[model], package)


def test_real_models_replay_their_plans(real_models: Any) -> None:
    """The replay side is not vacuous: models whose init a plan can stand for replayed
    (a model with a ``Pretrained`` entry, which these configs load from a local file,
    walks every time, as do the detectors whose backbones load one)."""
    replayed, walked = [], []
    for package in sorted({p for p, _ in CASES}):
        for model, result in real_models.results(package, "replay").items():
            (replayed if result["replayed"] else walked).append(f"{package}/{model}")
    print(f"\nreplayed {len(replayed)}: {replayed}\nwalked {len(walked)}: {walked}")
    assert len(replayed) * 3 >= len(replayed) + len(walked), f"only {replayed} replayed"


@pytest.mark.parametrize(("package", "model"), CASES)
def test_fast_replay_vs_fast_walk(package: str, model: str, real_models: Any) -> None:
    """Fast mode on the migrated model: a second ``mminit.init_weights(model, mode="fast")``
    of the architecture (the replay of the fast plan the first one recorded) against a
    fast walk, every tensor, string, record, warning and exception the same (fast mode's
    values are not upstream's, so the two are compared with each other)."""
    result = real_models.results(package, "fast-replay")[model]
    assert result["differences"] == []
    assert result["tensors"] > 50 and result["info"] > 50


def test_real_models_replay_their_fast_plans(real_models: Any) -> None:
    """The fast replay side is not vacuous: some models replayed a fast plan (fast mode
    also walks where a child's init_weights does not start with super(), or where an
    upstream subtree ran eagerly)."""
    replayed, walked = [], []
    for package in sorted({p for p, _ in CASES}):
        for model, result in real_models.results(package, "fast-replay").items():
            (replayed if result["replayed"] else walked).append(f"{package}/{model}")
    print(f"\nfast replayed {len(replayed)}: {replayed}\nwalked {len(walked)}: {walked}")
    assert len(replayed) * 4 >= len(replayed) + len(walked), f"only {replayed} replayed"


@pytest.mark.parametrize(("package", "model"), CASES)
def test_original_vs_bricks_migrated(package: str, model: str, real_models: Any) -> None:
    """The copy migrated with ``--bricks`` (mminit's ConvModule, FFN, PatchEmbed... in place
    of mmcv's) initialised by its own ``init_weights()`` against the original."""
    _check(real_models.results(package, "bricks")[model], package)


@pytest.mark.parametrize("package", sorted({p for p, _ in CASES}))
def test_bricks_side_really_uses_mminit_bricks(package: str, real_models: Any) -> None:
    """Not vacuous: the ``--bricks`` copy builds mminit's layer bricks, the default copy none."""

    def classes(engine: str) -> set[str]:
        return {
            c for r in real_models.results(package, engine).values() for c in r["mminit_classes"]
        }

    bricks, default = classes("bricks"), classes("upstream")
    assert "ConvModule" in bricks, sorted(bricks)
    assert bricks - default, (sorted(bricks), sorted(default))
    assert not default & {"ConvModule", "FFN", "PatchEmbed", "DropPath"}, sorted(default)


def test_cases_cover_the_brief() -> None:
    """At least 8 models per selected package of the first set (4 for mmdet 3.x and mmseg
    1.x): classifiers with a ViT, a Swin and a ResNet; detectors (two-stage, one-stage, a
    DETR-like one for mmdet 3.x); segmentors with ResNet-50 and transformer backbones."""
    for package in {p for p, _ in CASES}:
        names = [m for p, m in CASES if p == package]
        assert len(names) >= (4 if package in ("mmdet3", "mmseg1") else 8), (package, names)
        if package == "mmdet3":
            assert sum("rcnn" in m for m in names) >= 2 and any(
                m.startswith("retinanet") for m in names
            )
            assert any(m.startswith(("dino", "detr", "deformable")) for m in names)
        elif package == "mmseg1":
            assert sum("_r50-" in m for m in names) >= 2
            assert any(m.startswith("segformer") for m in names)
        elif package in ("mmpretrain", "mmcls"):
            assert any(m.startswith(("vit-", "deit")) for m in names)
            assert any(m.startswith("swin") for m in names) and any(
                m.startswith("resnet") for m in names
            )
        elif package == "mmdet":
            assert sum("rcnn" in m or "retinanet" in m for m in names) >= 2
        else:
            assert sum("_r50-" in m for m in names) >= 2
            assert sum(m.startswith(("segformer", "upernet_swin", "twins")) for m in names) >= 2
    # every run has a flavour (compat_tests.libs.requested_flavours): it must bring its packages
    assert CASES, "the requested flavours selected no real package"
