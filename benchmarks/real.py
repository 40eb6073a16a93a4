"""Benchmark ``init_weights`` on real OpenMMLab models built from their packages' own configs.

Usage (each package in the environment that has it)::

    .venv/bin/python -m benchmarks.real --models vit-b,swin-t          # mmpretrain 1.2.0
    .venv-mmcv/bin/python -m benchmarks.real --models mask-rcnn         # mmdet 2.28.2
    .venv-mmcv/bin/python -m benchmarks.real --models pspnet,segformer-b0   # mmseg 0.30.0

Contenders, per model, all in one process, ``--repeats`` times each (repetition *k*
of every contender starts from ``torch.manual_seed(k)``), 1 torch thread:

* ``upstream``: ``model.init_weights()`` of the installed (unmigrated) package.
* ``mminit``: ``mminit.init_weights(model)`` on a second copy of the same model:
  mminit's compat engine driving the upstream tree (its upstream ``BaseModule``s
  without their own ``init_weights``; modules with their own run their code).
  Checked bit-identical to ``upstream`` after every repetition.
  One untimed ``mminit.init_weights`` first records the model's plan, so every timed
  one replays it (the plan cache).
* ``mminit-cold``: the same with the plan cache emptied first (the first init of the
  architecture: the walk, recording its plan).  Checked bit-identical too.
* ``mminit-fast``: ``mminit.init_weights(model, mode="fast")``; its warnings are counted.
* with ``--migrated``: ``migrated`` (``model.init_weights()``: the upstream root runs
  upstream's code, the migrated modules inside run mminit's) and ``migrated-mminit``
  (``mminit.init_weights(model)``) on the model built from a migrated copy of the
  package, imported into the same process after the original (:func:`reimport_from`);
  both checked bit-identical to ``upstream``.
* ``replay`` / ``ceiling`` / ``floor``: :mod:`benchmarks.trace` references recorded
  from upstream's own run on this model; ``replay`` and ``ceiling`` are checked
  bit-identical too.

Printed: the medians, the median per-repetition ratios to upstream, and the
performance goals (compat within 10% of the ceiling and never slower than
upstream; fast within 1.2x of the floor).  Exit status 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

import torch
from torch import nn

from .measure import Restorer, _sync, reset_init_flags
from .trace import record

__all__ = ["MODELS", "bench_real_model", "main"]

ROOT = Path(__file__).resolve().parents[1]
#: name -> (package, config under the package's .mim/configs)
MODELS: dict[str, tuple[str, str]] = {
    "vit-b": ("mmpretrain", "vision_transformer/vit-base-p16_64xb64_in1k.py"),
    "swin-t": ("mmpretrain", "swin_transformer/swin-tiny_16xb64_in1k.py"),
    "resnet50": ("mmpretrain", "resnet/resnet50_8xb32_in1k.py"),
    "deit-t": ("mmpretrain", "deit/deit-tiny_4xb256_in1k.py"),
    "mask-rcnn": ("mmdet", "mask_rcnn/mask_rcnn_r50_fpn_1x_coco.py"),
    "retinanet": ("mmdet", "retinanet/retinanet_r50_fpn_1x_coco.py"),
    "pspnet": ("mmseg", "pspnet/pspnet_r50-d8_512x1024_40k_cityscapes.py"),
    "segformer-b0": ("mmseg", "segformer/segformer_mit-b0_512x512_160k_ade20k.py"),
}
ORDER = ("upstream", "mminit", "mminit-cold", "replay", "ceiling", "mminit-fast", "floor")
CHECKED = ("mminit", "mminit-cold", "replay", "ceiling")
MIGRATED = ("migrated", "migrated-mminit")  # with --migrated


def _side() -> Any:
    sys.path.insert(0, str(ROOT / "compat_tests" / "real_models"))
    try:
        import side
        import stubs
    finally:
        sys.path.pop(0)
    return side, stubs


def build_real(name: str) -> nn.Module:
    """The model *name* of :data:`MODELS`, built from its package's own config.  A
    ``Pretrained`` backbone ``init_cfg`` (mmdet's ``torchvision://resnet50``; mmseg's
    ``pretrained=``) is removed:
    no download; the backbone then runs its default init (more fills, not fewer)."""
    import importlib.util

    package, config = MODELS[name]
    side, stubs = _side()
    stubs.install(package)
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"benchmarks.real: {name} needs {package} installed in this environment")
    path = Path(next(iter(spec.submodule_search_locations))) / ".mim" / "configs" / config
    cfg = side._read_config(package, str(path))
    for download in side._downloads(cfg.model):
        if download.key == "pretrained":
            download.holder["pretrained"] = None
        else:
            download.holder.clear()  # the init_cfg, dropped below
    _strip_empty_init(cfg.model)
    return side._builder(package)(cfg)  # type: ignore[no-any-return]


def reimport_from(package: str, root: Path) -> None:
    """Import *package* again, from *root* (its migrated copy), in this process.

    Its modules are dropped from ``sys.modules``; its child registries are unhooked
    from mmengine's (or mmcv 1.x's) parent registries, and while it imports, its
    registrations into the parents' registries replace the originals' (``force``).
    Models already built from the original keep their classes.
    """
    import gc

    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]
    registries = [
        o for o in gc.get_objects() if type(o).__name__ == "Registry" and hasattr(o, "_children")
    ]
    for reg in registries:
        reg._children.pop(package, None)
        if getattr(reg, "scope", None) == package:
            reg._children.clear()
    classes = {type(r) for r in registries}
    saved = {cls: cls._register_module for cls in classes}

    def forced(original: Callable[..., Any]) -> Callable[..., Any]:
        def register(self: Any, module: Any, module_name: Any = None, force: bool = False) -> Any:
            return original(self, module, module_name, True)

        return register

    sys.path.insert(0, str(root))
    try:
        for cls, original in saved.items():
            cls._register_module = forced(original)
        _side()[0]._builder(package)
        origin = Path(sys.modules[package].__file__ or "").resolve()
        assert root.resolve() in origin.parents, f"{package} was imported from {origin}"
    finally:
        for cls, original in saved.items():
            cls._register_module = original
        sys.path.remove(str(root))


def _strip_empty_init(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("init_cfg") == {}:
            node["init_cfg"] = None
        for value in node.values():
            _strip_empty_init(value)


def _same(a: dict[str, torch.Tensor], model: nn.Module) -> bool:
    b = model.state_dict()
    return list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


def bench_real_model(
    name: str, repeats: int, migrated: Path | None = None, device: str = "cpu"
) -> dict[str, Any]:
    """Time the contenders on model *name*; with *migrated* (the directory holding the
    package's migrated copy) also ``init_weights()`` and ``mminit.init_weights`` of the
    model built from the migrated copy (``migrated`` / ``migrated-mminit``).  The models
    are moved to *device* before init; with CUDA every timing is bracketed by a
    synchronize."""
    import mminit

    where = torch.device(device)

    torch.manual_seed(0)
    upstream = build_real(name)
    torch.manual_seed(0)
    work = build_real(name)  # same build seed: tensors no init touches agree too
    moved: nn.Module | None = None
    if migrated is not None:
        package = MODELS[name][0]
        installed = Path(sys.modules[package].__file__ or "").resolve().parent.parent
        reimport_from(package, migrated)
        torch.manual_seed(0)
        moved = build_real(name)
        reimport_from(package, installed)  # the next model's upstream is the original again
        moved.to(where)
    upstream.to(where)
    work.to(where)

    def run_upstream() -> None:
        reset_init_flags(upstream)
        upstream.init_weights()  # type: ignore[operator]

    def run_mminit() -> None:
        reset_init_flags(work)
        mminit.init_weights(work)  # type: ignore[attr-defined]

    engine = importlib.import_module("mminit._engine")
    isolated = getattr(getattr(engine, "plan_cache", None), "isolated", None)

    def run_mminit_cold() -> None:  # the first init of the architecture; other plans kept
        if isolated is None:
            run_mminit()
            return
        with isolated():
            run_mminit()

    torch.manual_seed(0)
    trace = record(upstream, run_upstream)

    fast_warnings: list[str] = []

    def run_fast() -> None:
        reset_init_flags(work)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mminit.init_weights(work, mode="fast")  # type: ignore[attr-defined]
        fast_warnings.extend(f"{w.category.__name__}: {w.message}" for w in caught)

    def run_migrated() -> None:
        assert moved is not None
        reset_init_flags(moved)
        moved.init_weights()  # type: ignore[operator]

    def run_migrated_mminit() -> None:
        assert moved is not None
        reset_init_flags(moved)
        mminit.init_weights(moved)  # type: ignore[attr-defined]

    order = ORDER if moved is None else (*ORDER[:2], *MIGRATED, *ORDER[2:])
    checked = CHECKED if moved is None else (*CHECKED, *MIGRATED)
    runners: dict[str, Callable[[], None]] = {
        "upstream": run_upstream,
        "mminit": run_mminit,
        "mminit-cold": run_mminit_cold,
        "migrated": run_migrated,
        "migrated-mminit": run_migrated_mminit,
        "mminit-fast": run_fast,
        "replay": trace.replay,
        "ceiling": trace.ceiling,
        "floor": trace.floor,
    }
    targets = {
        "mminit": work,
        "mminit-cold": work,
        "replay": upstream,
        "ceiling": upstream,
        "migrated": moved,
        "migrated-mminit": moved,
    }
    times: dict[str, list[float]] = {v: [] for v in order}
    mismatches: dict[str, int] = {v: 0 for v in checked}
    restore = {id(m): Restorer(m) for m in (upstream, work, moved) if m is not None}
    runs_on = {v: work if v.startswith("mminit") else upstream for v in order}
    runs_on.update({v: moved for v in MIGRATED})
    run_mminit()  # untimed: records the plans the timed mminit and fast inits replay
    if "mminit-fast" in order:
        run_fast()
        fast_warnings.clear()
    for k in range(repeats):
        reference: dict[str, torch.Tensor] = {}
        for variant in order:
            restore[id(runs_on[variant])]()  # the values as built (untimed)
            torch.manual_seed(k)
            _sync(where)
            start = time.perf_counter()
            runners[variant]()
            _sync(where)
            times[variant].append(time.perf_counter() - start)
            if variant == "upstream":
                reference = {n: t.clone() for n, t in upstream.state_dict().items()}
            elif variant in checked and not _same(reference, targets[variant]):  # type: ignore[arg-type]
                mismatches[variant] += 1
    medians = {v: statistics.median(t) for v, t in times.items()}
    ratios = {
        f"upstream/{v}": statistics.median(u / t for u, t in zip(times["upstream"], times[v]))
        for v in order[1:]
    }
    ratios["mminit/ceiling"] = statistics.median(
        m / c for m, c in zip(times["mminit"], times["ceiling"])
    )
    ratios["fast/floor"] = statistics.median(
        f / fl for f, fl in zip(times["mminit-fast"], times["floor"])
    )
    params = sum(p.numel() for p in upstream.parameters())
    return {
        "model": name,
        "config": MODELS[name][1],
        "params": params,
        "repeats": repeats,
        "trace": trace.stats,
        "times": times,
        "medians": medians,
        "ratios": ratios,
        "mismatches": mismatches,
        "fast_warnings": sorted(set(fast_warnings)),
    }


def _print(result: dict[str, Any]) -> None:
    med, r = result["medians"], result["ratios"]
    print(
        f"\n{result['model']} ({result['config']}, {result['params'] / 1e6:.2f} M params, "
        f"{result['repeats']} repeats): recorded {result['trace']}"
    )
    for v in result["medians"]:
        extra = f"  upstream/{v} {r[f'upstream/{v}']:.2f}x" if v != "upstream" else ""
        checked = ""
        if v in result["mismatches"]:
            bad = result["mismatches"][v]
            checked = "  bit-identical" if not bad else f"  !!! MISMATCH in {bad} repeats !!!"
        print(f"  {v:<16} {med[v] * 1e3:9.1f} ms{extra}{checked}")
    print(f"  mminit/ceiling {r['mminit/ceiling']:.2f}x   fast/floor {r['fast/floor']:.2f}x")
    for w in result["fast_warnings"]:
        print(f"  fast-mode warning: {w[:300]}")
    goals = [
        ("compat bit-identical", result["mismatches"]["mminit"] == 0),
        ("compat never slower than upstream", r["upstream/mminit"] >= 1.0),
        ("compat within 10% of the ceiling", r["mminit/ceiling"] <= 1.10),
        ("fast within 1.2x of the floor", r["fast/floor"] <= 1.2),
    ]
    for goal, ok in goals:
        print(f"  {'PASS' if ok else 'MISS'} {goal}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.real", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--models",
        default="vit-b,swin-t",
        help=f"comma list of {sorted(MODELS)} (default: vit-b,swin-t)",
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", metavar="OUT")
    parser.add_argument(
        "--device", default="cpu", help="cpu or cuda[:N]: the models are moved there before init"
    )
    parser.add_argument(
        "--migrated",
        action="store_true",
        help="also time the models built from a migrated copy of their package "
        "(made with `mminit migrate` in a temporary directory)",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"unknown models {unknown}; choose from {sorted(MODELS)}")
    torch.set_num_threads(args.threads)
    logging.disable(logging.INFO)  # the init-info dumps and build chatter stay off the console
    warnings.filterwarnings("ignore", module="mm(cv|det|engine|pretrain)")
    print(f"torch {torch.__version__}, {args.threads} thread(s), device {args.device}")
    results = []
    with tempfile.TemporaryDirectory(prefix="mminit-bench-real-") as tmp:
        copies: dict[str, Path] = {}
        for n in names:
            package = MODELS[n][0]
            if args.migrated and package not in copies:
                from compat_tests.real_models.harness import migrated_copy

                build_real(n)  # install the stubs the package needs before migrating
                copies[package] = migrated_copy(package, Path(tmp))
            results.append(bench_real_model(n, args.repeats, copies.get(package), args.device))
    for result in results:
        _print(result)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2, default=str)
    return 1 if any(any(r["mismatches"].values()) for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
