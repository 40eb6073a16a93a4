"""Original vs migrated real OpenMMLab packages, built from their own configs.

For each package: a copy of the installed package is migrated with the
``mminit migrate`` command line, once per session.  Then interpreters run
:mod:`side` at once (import isolation: they import the same package name), one on
the installed package and two with the migrated copy first on ``sys.path``; each
builds the same configs from the installed package's ``.mim/configs`` with the
same seed and initialises them.  :func:`differences` compares what they saved.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from compat_tests.libs import requested_flavours
from compat_tests.real_models.side import MMENGINE_ERA, MODULE, PACKAGES, module

__all__ = [
    "CONFIGS",
    "ENGINES",
    "FLAVOUR",
    "MODULE",
    "differences",
    "migrated_copy",
    "module",
    "package_dir",
    "run_sides",
    "selected",
    "summary",
]

HERE = Path(__file__).resolve().parent
#: which MMINIT_COMPAT_FLAVOURS value selects each package (:data:`side.PACKAGES`): the
#: mmengine-era ones (``.venv``) ``mmengine``, the mmcv 1.x-era ones (``.venv-mmcv``) ``mmcv1``
FLAVOUR = {p: "mmengine" if p in MMENGINE_ERA else "mmcv1" for p in PACKAGES}
#: configs (relative to the package's .mim/configs): small variants where there is a choice,
#: but a ViT-B, a Swin, ResNets, and detectors (whose ResNet-50 backbones load a checkpoint).
#: mmdet 2.28.2's DETR is not here: with torch 2.14 building it fails (its class_weight check
#: sees a tensor), on the original as on the migrated side.  The mmengine-era packages have
#: fewer models (each brings another detector or segmentor family, or a backbone loading
#: another kind of checkpoint: RTMDet's ``prefix='backbone.'``, mmseg's ``pretrained=``,
#: SegFormer's URL, mmseg's Mask2Former built from mmdet's unmigrated classes).
CONFIGS: dict[str, tuple[str, ...]] = {
    "mmpretrain": (
        "resnet/resnet18_8xb32_in1k.py",
        "vision_transformer/vit-base-p16_64xb64_in1k.py",
        "swin_transformer/swin-tiny_16xb64_in1k.py",
        "convnext/convnext-tiny_32xb128_in1k.py",
        "efficientnet/efficientnet-b0_8xb32_in1k.py",
        "mobilenet_v2/mobilenet-v2_8xb32_in1k.py",
        "deit/deit-tiny_4xb256_in1k.py",
        "regnet/regnetx-400mf_8xb128_in1k.py",
        "hrnet/hrnet-w18_4xb32_in1k.py",
        "mae/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py",
    ),
    "mmcls": (
        "resnet/resnet18_8xb32_in1k.py",
        "vision_transformer/vit-base-p16_pt-64xb64_in1k-224.py",
        "swin_transformer/swin-tiny_16xb64_in1k.py",
        "convnext/convnext-tiny_32xb128_in1k.py",
        "efficientnet/efficientnet-b0_8xb32_in1k.py",
        "mobilenet_v2/mobilenet-v2_8xb32_in1k.py",
        "deit/deit-tiny_pt-4xb256_in1k.py",
        "regnet/regnetx-400mf_8xb128_in1k.py",
        "hrnet/hrnet-w18_4xb32_in1k.py",
    ),
    "mmdet": (
        "retinanet/retinanet_r50_fpn_1x_coco.py",
        "faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py",
        "mask_rcnn/mask_rcnn_r50_fpn_1x_coco.py",
        "cascade_rcnn/cascade_rcnn_r50_fpn_1x_coco.py",
        "fcos/fcos_r50_caffe_fpn_gn-head_1x_coco.py",
        "yolox/yolox_s_8x8_300e_coco.py",
        "deformable_detr/deformable_detr_r50_16x2_50e_coco.py",
        "ssd/ssd300_coco.py",
        "swin/mask_rcnn_swin-t-p4-w7_fpn_1x_coco.py",
    ),
    "mmseg": (
        "pspnet/pspnet_r50-d8_512x1024_40k_cityscapes.py",
        "deeplabv3plus/deeplabv3plus_r50-d8_512x1024_40k_cityscapes.py",
        "unet/fcn_unet_s5-d16_64x64_40k_drive.py",
        "segformer/segformer_mit-b0_512x512_160k_ade20k.py",
        "bisenetv2/bisenetv2_fcn_4x4_1024x1024_160k_cityscapes.py",
        "hrnet/fcn_hr18s_512x1024_40k_cityscapes.py",
        "mobilenet_v3/lraspp_m-v3-d8_512x1024_320k_cityscapes.py",
        "swin/upernet_swin_tiny_patch4_window7_512x512_160k_ade20k_pretrain_224x224_1K.py",
        "stdc/stdc1_512x1024_80k_cityscapes.py",
        "fastscnn/fast_scnn_lr0.12_8x4_160k_cityscapes.py",
        "twins/twins_pcpvt-s_uperhead_8x4_512x512_160k_ade20k.py",
        "ocrnet/ocrnet_hr18s_512x1024_40k_cityscapes.py",
    ),
    "mmdet3": (
        "mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py",
        "retinanet/retinanet_r50_fpn_1x_coco.py",
        "cascade_rcnn/cascade-rcnn_r50_fpn_1x_coco.py",
        "rtmdet/rtmdet_s_8xb32-300e_coco.py",
        "dino/dino-4scale_r50_8xb2-12e_coco.py",
    ),
    "mmseg1": (
        "pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py",
        "deeplabv3plus/deeplabv3plus_r50-d8_4xb2-40k_cityscapes-512x1024.py",
        "segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py",
        "mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py",
    ),
}


def selected(package: str) -> bool:
    """Whether this run compares *package*: its flavour is requested
    (:func:`compat_tests.libs.requested_flavours`)."""
    return FLAVOUR[package] in requested_flavours()


def package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(module(package))
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def migrated_copy(package: str, base: Path, *, bricks: bool = False) -> Path:
    """Copy the installed *package* under *base* and migrate the copy with the ``mminit
    migrate`` command line (``--bricks`` too when *bricks*); returns the directory to put
    first on ``sys.path``."""
    source = package_dir(package)
    assert source is not None, package
    root = base / f"migrated{'-bricks' if bricks else ''}-{package}"
    shutil.copytree(source, root / module(package), ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mminit",
            "migrate",
            str(root / module(package)),
            "--jobs",
            "2",
            "--quiet",
            *(["--bricks"] if bricks else []),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


#: the migrated sides: ``{name: (copy migrated with --bricks?, how side.py inits it)}``
ENGINES = {
    "upstream": (False, "upstream"),
    "mminit": (False, "mminit"),
    "replay": (False, "mminit-replay"),
    "bricks": (True, "upstream"),
}


#: fast mode's sides, compared with each other (fast mode's values are not upstream's):
#: a fast init of the migrated copy, and the same replaying the fast plan of a first one
FAST_SIDES = {"fast": "mminit-fast", "fast-replay": "mminit-fast-replay"}


def run_sides(
    package: str, roots: dict[bool, Path], work: Path, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """Summaries of original vs migrated for every config of *package*, per engine.

    Five interpreters run :mod:`side` at once: the installed package with upstream's
    ``init_weights()``, the migrated copy (``roots[False]``, from :func:`migrated_copy`)
    initialised by ``init_weights()`` (engine ``"upstream"``), by
    ``mminit.init_weights(model)`` (engine ``"mminit"``), and by a second
    ``mminit.init_weights`` of the architecture, which replays the plan the first one
    recorded (engine ``"replay"``), and the copy migrated with
    ``--bricks`` (``roots[True]``) initialised by ``init_weights()`` (engine
    ``"bricks"``: mminit's layer bricks in place of mmcv's).  Two more initialise the
    migrated copy in fast mode, by a walk and by a replay of the fast plan
    (:data:`FAST_SIDES`): ``"fast-replay"`` in the result compares those two with each
    other.  *work* holds outputs and
    checkpoints.  Returns ``{engine: {model: summary}}`` (see :func:`summary`); the sides
    save tensor fingerprints (``side.fingerprint``), not the tensors."""
    import torch

    source = package_dir(package)
    assert source is not None, package
    configs = [str(source / ".mim" / "configs" / c) for c in CONFIGS[package]]
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    sides = {
        "original": [],
        **{
            f"migrated-{name}": [
                "--root",
                str(roots[bricks]),
                "--engine",
                how,
            ]
            for name, (bricks, how) in ENGINES.items()
        },
        **{
            f"migrated-{name}": ["--root", str(roots[False]), "--engine", how]
            for name, how in FAST_SIDES.items()
        },
    }
    procs = {}
    for name, extra in sides.items():
        with open(work / f"{name}.log", "wb") as log:  # a file: chatty models cannot block
            procs[name] = subprocess.Popen(
                [
                    sys.executable,
                    str(HERE / "side.py"),
                    package,
                    str(work / f"{name}.pt"),
                    str(work),
                    *configs,
                    "--seed",
                    str(seed),
                    *extra,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
    for name, proc in procs.items():
        proc.wait()
        if proc.returncode != 0 or not (work / f"{name}.pt").exists():
            tail = (work / f"{name}.log").read_text(errors="replace")[-4000:]
            raise AssertionError(f"{package} {name} side failed ({proc.returncode}):\n{tail}")
    original = torch.load(work / "original.pt", weights_only=False)
    result = {}
    for engine in ENGINES:
        migrated = torch.load(work / f"migrated-{engine}.pt", weights_only=False)
        result[engine] = {m: summary(original[m], migrated[m]) for m in original}
        del migrated
    fast, replayed = (torch.load(work / f"migrated-{n}.pt", weights_only=False) for n in FAST_SIDES)
    result["fast-replay"] = {m: summary(fast[m], replayed[m]) for m in fast}
    return result


def summary(original: dict[str, Any], migrated: dict[str, Any]) -> dict[str, Any]:
    """What the tests look at: the differences and enough to see the run was not vacuous."""
    return {
        "differences": differences(original, migrated),
        "error": original["error"],
        "tensors": len(original["tensors"]),
        "info": len(original["info"]),
        "records": len(original["records"]),
        "original_bases": original["bases"],
        "migrated_bases": migrated["bases"],
        "mminit_classes": migrated["mminit_classes"],
        "replayed": migrated.get("replayed", False),
    }


def _chatter(record: tuple[str, int, str]) -> bool:
    from compat_tests.libs import REGISTRY_CHATTER

    return bool(REGISTRY_CHATTER.match(record[2]))


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Everything observable that differs between two results of one model ([] when none)."""
    found = []
    if a["error"] != b["error"]:
        found.append(f"exception: {a['error']!r} vs {b['error']!r}")
    if list(a["tensors"]) != list(b["tensors"]):
        found.append(f"state_dict keys differ: {sorted(set(a['tensors']) ^ set(b['tensors']))[:5]}")
    for name, x in a["tensors"].items():  # fingerprints (side.fingerprint): equal = bit-identical
        y = b["tensors"].get(name)
        if y is not None and x != y:
            found.append(f"tensor {name} differs")
    for name in sorted(set(a["info"]) | set(b["info"])):
        if a["info"].get(name) != b["info"].get(name):
            found.append(f"init-info {name}: {a['info'].get(name)!r} vs {b['info'].get(name)!r}")
    # mmengine's registry DEBUG chatter describes registry look-ups, not initialisation:
    # the migrated side builds initializers from mminit's registry, which does not log it
    rec_a = [r for r in a["records"] if not _chatter(r)]
    rec_b = [r for r in b["records"] if not _chatter(r)]
    if rec_a != rec_b:
        only_a = [r for r in rec_a if r not in rec_b][:3]
        only_b = [r for r in rec_b if r not in rec_a][:3]
        found.append(f"log records differ ({len(rec_a)} vs {len(rec_b)}): {only_a} | {only_b}")
    if a["warnings"] != b["warnings"]:
        found.append(f"warnings differ: {a['warnings']} vs {b['warnings']}")
    return found
