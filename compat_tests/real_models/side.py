"""One side of a real-model comparison, run in its own interpreter.

    python side.py PACKAGE OUT.pt CKPT_DIR CONFIG... [--root DIR] [--engine mminit] [--seed N]

``--root DIR`` puts ``DIR`` first on ``sys.path`` (the migrated copy of PACKAGE);
without it the installed PACKAGE is imported.  Each CONFIG (a path into the
installed package's own ``.mim/configs``) is built with the package's builder,
seeded, and initialised with ``model.init_weights()`` (``--engine mminit``:
``mminit.init_weights(model)`` instead; ``--engine mminit-replay``: the same after a first
``mminit.init_weights`` of another model of the config, so that this one replays its plan;
``--engine mminit-fast`` / ``mminit-fast-replay``: the same in fast mode).  A ``Pretrained`` ``init_cfg`` (or mmseg's
``pretrained=``) pointing at a download is pointed at a local checkpoint made from
the built model itself (values drawn from a fixed seed, so both sides write the same
bytes).

Saved per config: a fingerprint of every tensor of ``state_dict()`` (dtype, shape
and a SHA-256 of its bytes, so two sides compare bit for bit without writing
gigabytes of weights to disk), the init-info strings, every
log record (logger, level, message) and every warning (category, message)
emitted while building and initialising, the ``BaseModule`` classes in the tree, the
classes of its modules that mminit defines (``ConvModule`` after ``--bricks``...),
and the exception if one was raised.  Paths of the migrated copy are rewritten to
the installed package's in all text, so the two sides compare as strings.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import logging
import os
import random
import re
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self is Python 3.11+

HERE = Path(__file__).resolve().parent
_DUMP = re.compile(r"^\n(?P<name>\S+) - torch\.Size\(\[[\d, ]*\]\): \n(?P<info>.*) \n $", re.DOTALL)


class _Records:
    """Every record any logger hands to its handlers (propagation and handler levels aside)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, int, str]] = []
        self._orig = logging.Logger.handle

    def __enter__(self) -> Self:
        records = self.items
        orig = self._orig

        def handle(logger: logging.Logger, record: logging.LogRecord) -> Any:
            records.append((record.name, record.levelno, record.getMessage()))
            return orig(logger, record)

        logging.Logger.handle = handle  # type: ignore[method-assign, assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        logging.Logger.handle = self._orig  # type: ignore[method-assign]


def fingerprint(tensor: Any) -> tuple[str, tuple[int, ...], str]:
    """``(dtype, shape, sha256 of the bytes)``: equal exactly when the tensors are bit-identical."""
    import torch

    flat = tensor.detach().cpu().contiguous().reshape(-1)
    return (
        str(tensor.dtype),
        tuple(tensor.shape),
        hashlib.sha256(flat.view(torch.uint8).numpy().tobytes()).hexdigest(),
    )


def _seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


#: every package this compares: ``mmdet``/``mmseg`` are the mmcv 1.x-era releases (mmdet
#: 2.28.2, mmseg 0.30.0), ``mmdet3``/``mmseg1`` the mmengine-era ones (mmdet 3.3.0,
#: mmsegmentation 1.2.2), which import under the same names
PACKAGES = ("mmpretrain", "mmdet3", "mmseg1", "mmcls", "mmdet", "mmseg")
#: the packages of the mmengine era: mmengine configs, models built by their own registry
MMENGINE_ERA = frozenset({"mmpretrain", "mmdet3", "mmseg1"})
#: the name a package imports as, where it differs from its name here
MODULE = {"mmdet3": "mmdet", "mmseg1": "mmseg"}


def module(package: str) -> str:
    """The name *package* (one of :data:`PACKAGES`) is imported as."""
    return MODULE.get(package, package)


def _read_config(package: str, path: str) -> Any:
    if package in MMENGINE_ERA:
        from mmengine.config import Config
    else:
        from mmcv import Config
    return Config.fromfile(path)


def _builder(package: str) -> Any:
    if package in MMENGINE_ERA:
        import importlib

        registry = importlib.import_module(f"{module(package)}.registry")
        importlib.import_module(f"{module(package)}.utils").register_all_modules(
            init_default_scope=True
        )
        return lambda cfg: registry.MODELS.build(cfg.model)
    if package == "mmcls":
        from mmcls.models import build_classifier

        return lambda cfg: build_classifier(cfg.model)
    if package == "mmseg":
        from mmseg.models import build_segmentor

        return lambda cfg: build_segmentor(
            cfg.model, train_cfg=cfg.get("train_cfg"), test_cfg=cfg.get("test_cfg")
        )
    from mmdet.models import build_detector

    return lambda cfg: build_detector(
        cfg.model, train_cfg=cfg.get("train_cfg"), test_cfg=cfg.get("test_cfg")
    )


class _Download(NamedTuple):
    """A checkpoint the config would download: ``holder[key]`` names it, and it loads
    into the module at attribute ``path`` of the built model."""

    path: tuple[str, ...]
    holder: Any
    key: str


def _downloads(node: Any, path: tuple[str, ...] = ()) -> list[_Download]:
    """Every downloading ``Pretrained`` init_cfg, and mmseg 0.x's ``pretrained=URL`` (a
    segmentor hands it to its backbone, which turns it into that init_cfg)."""
    found = []
    if isinstance(node, dict):
        init = node.get("init_cfg")
        if (
            isinstance(init, dict)
            and init.get("type") == "Pretrained"
            and "://" in str(init.get("checkpoint", ""))
        ):
            found.append(_Download(path, init, "checkpoint"))
        if "://" in str(node.get("pretrained") or "") and isinstance(node.get("backbone"), dict):
            found.append(_Download((*path, "backbone"), node, "pretrained"))
        for key, value in node.items():
            if key != "init_cfg":
                found += _downloads(value, (*path, key))
    return found


def _local_checkpoints(cfg: Any, build: Any, ckpt_dir: Path, name: str) -> None:
    """Point every download of ``cfg`` at a local checkpoint of the module it loads into,
    with values drawn from a fixed seed (built once without the loads: the donor)."""
    import torch

    found = _downloads(cfg.model)
    if not found:
        return
    saved = [dict(d.holder) for d in found]
    for d in found:  # no load while building the donor
        if d.key == "pretrained":
            d.holder["pretrained"] = None
        else:
            d.holder.clear()
            d.holder.update(type="Constant", val=0, layer="__none__")  # a no-op
    donor = build(copy.deepcopy(cfg))  # a copy: some builders edit their cfg (mmdet 3.x DINO)
    for d, before in zip(found, saved):
        if d.key == "checkpoint":
            d.holder.clear()
            d.holder.update(before)
        loads_into = donor
        for attr in d.path:
            loads_into = getattr(loads_into, attr)
        torch.manual_seed(4321)
        # a ``prefix`` (RTMDet's ``backbone.``: a classifier's checkpoint) selects the keys
        # under it and strips it while loading: the file holds them under it
        prefix = d.holder.get("prefix", "") if d.key == "checkpoint" else ""
        state = {
            prefix + k: torch.randn_like(v) if v.is_floating_point() else v
            for k, v in loads_into.state_dict().items()
        }
        target = ckpt_dir / f"{name}.{'.'.join(d.path) or 'model'}.pth"
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        torch.save(state, tmp)
        os.replace(tmp, target)  # both sides write identical bytes; readers never see half a file
        d.holder[d.key] = str(target)


def _record_plan(build: Any, cfg: Any, seed: int, mode: str = "compat") -> None:
    """A first ``mminit.init_weights`` of the architecture on a model of its own: it
    records the plan that the compared init replays.  The random state is seeded again
    before that one.  (Not under ``logging.disable``: loggers made outside logging's
    manager, as mmengine's ``MMLogger`` is, would keep "disabled" in their cache.)"""
    import mminit

    _seed(seed)
    model = build(copy.deepcopy(cfg))  # build edits cfg
    mminit.init_weights(model, mode=mode)  # type: ignore[attr-defined]


def _one(
    package: str, build: Any, config: str, seed: int, engine: str, ckpt_dir: Path, root: str | None
) -> dict[str, Any]:
    name = Path(config).stem
    cfg = _read_config(package, config)
    result: dict[str, Any] = {"error": None, "stage": None}
    with _Records() as records, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stage = "build"
        try:
            _local_checkpoints(cfg, build, ckpt_dir, name)
            plan_cfg = copy.deepcopy(cfg)  # (build edits cfg)
            _seed(seed)
            model = build(cfg)
            if engine.endswith("-replay"):  # its records and warnings are not this run's
                # after the compared model is built, as the other sides build it before any
                # init ran: a parameter left uninitialised (mmdet 2.x SSD's L2Norm weight,
                # torch.Tensor(n)) must not reuse the memory of a freed tensor the recording
                # init filled, or its "value before" equals the fill and its string differs
                seen = len(records.items), len(caught)
                _record_plan(build, plan_cfg, seed, "fast" if "fast" in engine else "compat")
                del records.items[seen[0] :], caught[seen[1] :]
            stage = "init"
            _seed(seed)
            if engine.startswith("mminit"):
                import mminit
                from mminit._engine import stats

                replayed = stats.replayed
                mode = "fast" if "fast" in engine else "compat"
                mminit.init_weights(model, mode=mode)  # type: ignore[attr-defined]
                result["replayed"] = stats.replayed > replayed
            else:
                model.init_weights()
        except Exception as exc:  # noqa: BLE001 - compared: both sides must raise alike
            result.update(error=f"{type(exc).__name__}: {exc}", stage=stage)
            if stage == "build":
                return {
                    **result,
                    "tensors": {},
                    "info": {},
                    "records": [],
                    "warnings": [],
                    "bases": [],
                    "mminit_classes": [],
                }
    text = (lambda s: s.replace(root, "<pkg>")) if root else (lambda s: s)
    site = str(Path(sys.modules[module(package)].__file__).parent.parent)  # type: ignore[arg-type]
    norm = lambda s: text(s).replace(site, "<pkg>")
    info = {}
    for _, _, message in records.items:
        match = _DUMP.match(message)
        if match:
            info[match["name"]] = match["info"]
    result.update(
        tensors={k: fingerprint(v) for k, v in model.state_dict().items()},
        info=info,
        records=[(n, lv, norm(m)) for n, lv, m in records.items if not _DUMP.match(m)],
        warnings=[(w.category.__name__, norm(str(w.message))) for w in caught],
        mminit_classes=sorted(
            {
                type(m).__qualname__
                for m in model.modules()
                if type(m).__module__.split(".")[0] == "mminit"
            }
        ),
        bases=sorted(
            {
                f"{c.__module__}.{c.__qualname__}"
                for m in model.modules()
                for c in type(m).__mro__
                if c.__name__ == "BaseModule"
            }
        ),
        error=result["error"] and norm(result["error"]),
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("package", choices=PACKAGES)
    parser.add_argument("out")
    parser.add_argument("ckpt_dir")
    parser.add_argument("configs", nargs="+")
    parser.add_argument("--root")
    parser.add_argument(
        "--engine",
        choices=("upstream", "mminit", "mminit-replay", "mminit-fast", "mminit-fast-replay"),
        default="upstream",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.root:
        sys.path.insert(0, args.root)
    sys.path.insert(0, str(HERE))
    import stubs

    stubs.install(args.package)
    sys.path.remove(str(HERE))
    import torch

    torch.set_num_threads(1)
    build = _builder(args.package)
    if args.root:  # the import really came from the copy
        origin = Path(sys.modules[module(args.package)].__file__).resolve()  # type: ignore[arg-type]
        assert Path(args.root).resolve() in origin.parents, origin
    results = {
        Path(c).stem: _one(
            args.package, build, c, args.seed, args.engine, Path(args.ckpt_dir), args.root
        )
        for c in args.configs
    }
    torch.save(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
