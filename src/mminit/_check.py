"""``mminit check``: does a model initialise identically with upstream and mminit?

Usage::

    mminit check mypkg.models:build_model [--flavour auto|mmengine|mmcv1]
                 [--seed N] [--json OUT] [--migrated OTHER_TARGET]
    mminit check configs/my_model.py          # a config with a ``model`` dict

``TARGET`` is ``pkg.module:factory`` (a callable returning an ``nn.Module``) or
a Python config file whose ``model`` dict mmengine's ``MODELS`` registry builds
(``custom_imports`` and ``default_scope`` are honoured).

How the two sides are made (each in a fresh subprocess, so module caches never
mix): the model code is expected to be *migrated* (it imports ``mminit`` /
``mminit.mmcv1``, as ``mminit migrate`` leaves it).

* mminit side: the target is imported and built as it is.
* upstream side: before the target is imported, ``mminit`` is replaced in
  ``sys.modules`` by an alias whose names are upstream's objects
  (``mminit`` -> mmengine 0.10.7, ``mminit.mmcv1`` -> mmcv 1.7.2; ``--flavour``
  restricts the swap to one of them).  So the same source resolves its base
  classes, ``*_init`` helpers and initializer registry to upstream's.
* ``--migrated OTHER``: the mminit side builds ``OTHER`` instead of ``TARGET``
  (e.g. ``TARGET`` is the unmigrated source and ``OTHER`` its migrated copy;
  the upstream side still swaps ``mminit``, which unmigrated code never imports).

Each side seeds torch with ``--seed``, builds the model, seeds again, calls
``init_weights()`` (when the model has one) and saves every parameter and
buffer plus the init-info strings of the dump upstream logs.  The parent
compares them bit for bit, prints a table (tensors and init-info strings
compared) and exits 0 only when all are identical (1: differences, 2: a side
failed, or the mminit side used no mminit ``BaseModule``, i.e. the code was not
migrated and nothing was compared).  A failure names its stage: ``import`` (the
target's module or config, with its ``custom_imports`` and lazy imports),
``build`` (the factory or ``MODELS.build``), ``init`` (``init_weights``; an
exception there is compared, not fatal, since upstream raises too) or
``compare`` (collecting or reading a side's state).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["INIT_INFO_DUMP", "main"]

#: one log record of the init-info dump (upstream's and mminit's, one record per
#: parameter): ``"\n{name} - torch.Size([...]): \n{info} \n "``
INIT_INFO_DUMP = re.compile(r"^\n(?P<name>\S+) - torch\.Size\(\[[\d, ]*\]\): \n(?P<info>.*) \n $",
                            re.DOTALL)
# where each flavour's public names live upstream, searched in order
_UPSTREAM = {
    "mmengine": ("mminit", ("mmengine.model", "mmengine.model.weight_init", "mmengine.registry",
                            "mmengine.runner.checkpoint", "mmcv.cnn", "mmcv.cnn.bricks",
                            "mmcv.cnn.bricks.drop", "mmcv.cnn.bricks.transformer",
                            "mmcv.cnn.bricks.norm", "mmcv.cnn.bricks.upsample")),
    "mmcv1": ("mminit.mmcv1", ("mmcv.cnn.utils.weight_init", "mmcv.runner", "mmcv.utils",
                               "mmcv.cnn", "mmcv.cnn.bricks", "mmcv.cnn.bricks.registry",
                               "mmcv.cnn.bricks.drop", "mmcv.cnn.bricks.transformer",
                               "mmcv.cnn.bricks.norm", "mmcv.cnn.bricks.upsample")),
}
# mminit name -> upstream's name for the same object (mmcv 2.x registers layers in MODELS)
_ALIASES = {"WEIGHT_INITIALIZERS": "INITIALIZERS", "INITIALIZERS": "WEIGHT_INITIALIZERS",
            "LAYERS": "MODELS"}
_INSTALL = {"mmengine": "pip install mmengine==0.10.7 (and mmcv-lite==2.2.0 for the layer bricks)",
            "mmcv1": "pip install mmcv==1.7.2"}


# ---------------------------------------------------------------- child side
def _alias_module(flavour: str, public: Sequence[str]) -> types.ModuleType:
    name, sources = _UPSTREAM[flavour]
    alias = types.ModuleType(name, f"upstream {flavour} names under {name!r} (mminit check)")

    def lookup(attr: str) -> Any:
        if attr not in public:
            raise AttributeError(f"module {name!r} (aliased to {flavour}) has no attribute {attr!r}")
        failed: list[ImportError] = []
        for mod_name in sources:
            try:
                mod = importlib.import_module(mod_name)
            except ImportError as exc:  # e.g. the layer bricks' mmcv 2.x beside mmengine
                failed.append(exc)
                continue
            for candidate in (attr, _ALIASES.get(attr, attr)):
                if hasattr(mod, candidate):
                    return getattr(mod, candidate)
        if failed:
            raise ImportError(f"mminit check: the upstream side needs {flavour} "
                              f"({_INSTALL[flavour]}) for {name}.{attr}: {failed[0]}") from failed[0]
        raise AttributeError(f"{flavour} has no counterpart of {name}.{attr}")

    vars(alias).update(__getattr__=lookup, __all__=list(public))  # PEP 562 module __getattr__
    return alias


def _install_aliases(flavour: str) -> None:
    import mminit
    import mminit.mmcv1

    for fl in ("mmengine", "mmcv1") if flavour == "auto" else (flavour,):
        real = sys.modules[_UPSTREAM[fl][0]]
        alias = _alias_module(fl, list(vars(real)["__all__"]))
        # importlib.util.find_spec (mmengine's lazy-import configs call it on every
        # imported top-level module) raises ValueError on a module whose __spec__ is
        # None; the real module's spec makes the alias classify exactly as mminit does
        alias.__spec__ = real.__spec__
        sys.modules[_UPSTREAM[fl][0]] = alias
        if fl == "mmcv1":
            vars(sys.modules["mminit"])["mmcv1"] = alias  # `import mminit.mmcv1` binds this
    del mminit


def _load(target: str) -> Callable[[], Any]:
    """Stage "import": import the target's module or read its config (which runs its
    ``custom_imports`` and lazy imports); returns what builds the model."""
    if ":" not in target and target.endswith(".py"):
        from mmengine.config import Config
        from mmengine.registry import MODELS, init_default_scope

        cfg = Config.fromfile(target)

        def build() -> Any:
            if cfg.get("default_scope"):
                init_default_scope(cfg.default_scope)
            return MODELS.build(cfg.model)

        return build
    module_name, _, attr = target.partition(":")
    if not attr:
        raise ValueError(f"TARGET must be 'pkg.module:factory' or a config .py file, got {target!r}")
    factory: Callable[[], Any] = getattr(importlib.import_module(module_name), attr)
    return factory


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.info: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        match = INIT_INFO_DUMP.match(record.getMessage())
        if match:
            self.info[match["name"]] = match["info"]


def _loggers() -> list[logging.Logger]:
    found = [logging.getLogger("mminit")]
    if "mmengine" in sys.modules:
        from mmengine.logging import MMLogger

        found.append(MMLogger.get_current_instance())
    if "mmcv" in sys.modules:
        try:  # mmcv 1.x only: mmcv 2.x has no BaseModule and no mmcv.utils.get_logger
            from mmcv.utils import get_logger
            from mmcv.utils.logging import logger_initialized
        except ImportError:
            pass
        else:
            get_logger("mmcv")
            found += [logging.getLogger(n) for n in logger_initialized]
    return list({id(lg): lg for lg in found}.values())


# what each stage of a side does, as its failure is reported
_STAGES = {"import": "importing", "build": "building", "init": "initialising",
           "compare": "collecting the state of"}


def _run_side(target: str, seed: int, out: str, alias: str | None) -> int:
    import torch

    result: dict[str, Any] = {"error": None, "stage": None, "info": {}, "tensors": {},
                              "params": [], "bases": []}
    stage = "import"
    try:
        if alias:
            _install_aliases(alias)
        build = _load(target)
        stage = "build"
        torch.manual_seed(seed)
        model = build()
        stage = "init"
        torch.manual_seed(seed)
        collect = _Collect()
        for logger in _loggers():  # mute upstream's console handlers, keep the dump
            for handler in logger.handlers:
                handler.setLevel(logging.CRITICAL + 10)
            logger.propagate = False
            logger.setLevel(logging.INFO)  # the dump is INFO; "mminit" alone defaults to WARNING
            logger.addHandler(collect)
        if hasattr(model, "init_weights"):
            try:
                model.init_weights()
            except Exception as exc:  # noqa: BLE001 - reported; the state is still compared
                result["error"] = f"init_weights raised {type(exc).__name__}: {exc}"
                result["stage"] = "init"
        stage = "compare"
        result["info"] = collect.info
        result["tensors"] = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        result["params"] = [n for n, _ in model.named_parameters(remove_duplicate=False)]
        result["bases"] = sorted({f"{c.__module__}.{c.__qualname__}" for m in model.modules()
                                  for c in type(m).__mro__ if c.__name__ == "BaseModule"})
    except Exception as exc:  # noqa: BLE001 - any failure of user code is reported
        result.update(tensors={}, params=[], bases=[], info={}, stage=stage, fatal=True,
                      error=f"{_STAGES[stage]} {target!r} failed: {type(exc).__name__}: {exc}")
    torch.save(result, out)
    return 0


# --------------------------------------------------------------- parent side
def _spawn(target: str, seed: int, out: str, alias: str | None) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "mminit._check", target, "--side", "--seed", str(seed), "--out", out]
    if alias:
        cmd += ["--alias", alias]
    with open(out + ".log", "wb") as log:  # a file, not a pipe: a chatty model cannot block
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)


def _target_error(target: str) -> str | None:
    """Cheap checks in the parent, before two interpreters are started."""
    if ":" not in target:
        if target.endswith(".py"):
            return None if os.path.isfile(target) else f"config file {target!r} does not exist"
        return f"TARGET must be 'pkg.module:factory' or a config .py file, got {target!r}"
    module, _, attr = target.partition(":")
    if not module or not attr:
        return f"TARGET must be 'pkg.module:factory', got {target!r}"
    top = module.split(".")[0]
    if os.path.isdir(top) or os.path.isfile(f"{top}.py") or importlib.util.find_spec(top):
        return None
    return f"cannot import {module!r} (no module {top!r} in the current directory or installed)"


def _compare(up: dict[str, Any], mm: dict[str, Any]) -> dict[str, Any]:
    import torch

    rows, identical, compared = [], 0, 0
    kinds = {n: "param" for n in up["params"]}
    names = list(up["tensors"]) + [n for n in mm["tensors"] if n not in up["tensors"]]
    for name in names:
        a, b = up["tensors"].get(name), mm["tensors"].get(name)
        compared += 1
        if a is not None and b is not None and a.dtype == b.dtype and a.shape == b.shape \
                and torch.equal(a, b):
            identical += 1
            continue
        if a is None or b is None or a.shape != b.shape:
            diff: float | str = "missing" if a is None or b is None else "shape"
        else:
            diff = float((a.double() - b.double()).abs().max()) if a.numel() else 0.0
        rows.append({"name": name, "kind": kinds.get(name, "buffer"), "max_abs_diff": diff,
                     "upstream_info": up["info"].get(name), "mminit_info": mm["info"].get(name)})
    info_names = list(up["info"]) + [n for n in mm["info"] if n not in up["info"]]
    info_differing = [n for n in info_names if up["info"].get(n) != mm["info"].get(n)]
    tensor_rows = {r["name"] for r in rows}
    for name in info_differing:
        if name not in tensor_rows:
            rows.append({"name": name, "kind": "init-info", "max_abs_diff": 0.0,
                         "upstream_info": up["info"].get(name), "mminit_info": mm["info"].get(name)})
    return {"compared": compared, "identical": identical, "differing": rows,
            "info_compared": len(info_names), "info_identical": len(info_names) - len(info_differing),
            "errors": {"upstream": up["error"], "mminit": mm["error"]}}


def _print_table(report: dict[str, Any]) -> None:
    n_params = len(set(report["params"]))
    print(f"mminit check {report['target']} (flavour {report['flavour']}, seed {report['seed']})")
    print(f"  tensors compared : {report['compared']} ({n_params} parameters, "
          f"{report['compared'] - n_params} buffers)")
    print(f"  bit-identical    : {report['identical']}")
    print(f"  init-info strings: {report['info_compared']} compared, "
          f"{report['info_identical']} identical")
    print(f"  differing        : {len(report['differing'])}")
    for side, bases in report["base_classes"].items():
        print(f"  {side + ' side BaseModule':<17}: {', '.join(bases) or '(none)'}")
    for side, err in report["errors"].items():
        if err:
            print(f"  {side} side (init stage): {err}")
    if report["differing"]:
        print(f"\n  {'name':<40} {'kind':<9} {'max abs diff':>12}  upstream init-info | mminit init-info")
        for row in report["differing"]:
            diff = row["max_abs_diff"]
            shown = f"{diff:.3g}" if isinstance(diff, float) else diff
            print(f"  {row['name']:<40} {row['kind']:<9} {shown:>12}  "
                  f"{row['upstream_info']} | {row['mminit_info']}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mminit check", description="Build a model with upstream's init system and with "
        "mminit's, same seed, and compare every parameter, buffer and init-info string.")
    parser.add_argument("target", help="pkg.module:factory, or a config .py with a `model` dict")
    parser.add_argument("--flavour", choices=("auto", "mmengine", "mmcv1"), default="auto",
                        help="which mminit module to swap for upstream: mmengine (mminit), mmcv1 "
                        "(mminit.mmcv1), or auto to swap both (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="torch seed used on both sides before building and before "
                        "init_weights (default: %(default)s)")
    parser.add_argument("--json", metavar="OUT", help="also write the report as JSON")
    parser.add_argument("--migrated", metavar="TARGET",
                        help="build this (migrated) target on the mminit side; the upstream "
                        "side builds TARGET")
    parser.add_argument("--side", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--alias", help=argparse.SUPPRESS)
    return parser


def _fail(message: str) -> int:
    print(f"mminit check: {message}", file=sys.stderr)
    return 2


def _run_sides(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]] | int:
    """Run both sides at once; their results, or the exit status of a side that failed."""

    from ._checkpoint.loading import load_pickle

    with tempfile.TemporaryDirectory(prefix="mminit-check-") as tmp:
        up_out, mm_out = os.path.join(tmp, "upstream.pt"), os.path.join(tmp, "mminit.pt")
        procs = [_spawn(args.target, args.seed, up_out, args.flavour),  # the two sides run at once
                 _spawn(args.migrated or args.target, args.seed, mm_out, None)]
        for side, proc, out in zip(("upstream", "mminit"), procs, (up_out, mm_out)):
            proc.wait()
            if proc.returncode != 0 or not os.path.exists(out):
                with open(out + ".log", errors="replace") as log:
                    output = log.read()[-3000:]
                return _fail(f"{side} side process failed ({proc.returncode}):\n{output}")
        try:
            up, mm = (load_pickle(p, None, weights_only=True) for p in (up_out, mm_out))
        except Exception as exc:  # noqa: BLE001 - reported with its stage
            return _fail(f"failed at the compare stage: reading a side's result "
                         f"failed: {type(exc).__name__}: {exc}")
    for side, res in (("upstream", up), ("mminit", mm)):
        if res.get("fatal"):
            return _fail(f"{side} side failed at the {res['stage']} stage: {res['error']}")
    if mm["bases"] and not any(b.startswith("mminit.") for b in mm["bases"]):
        return _fail(f"the mminit side of {args.migrated or args.target!r} used no mminit "
                     f"BaseModule ({', '.join(mm['bases'])}), so both sides ran upstream. Run "
                     "`mminit migrate` on the model code first, or pass its migrated copy with "
                     "--migrated.")
    return up, mm


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mminit check``; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.side:
        return _run_side(args.target, args.seed, args.out, args.alias)
    for target in (args.target, args.migrated):
        error = target and _target_error(target)
        if error:
            return _fail(error)
    sides = _run_sides(args)
    if isinstance(sides, int):
        return sides
    up, mm = sides
    try:
        compared = _compare(up, mm)
    except Exception as exc:  # noqa: BLE001 - reported with its stage
        return _fail(f"failed at the compare stage: {type(exc).__name__}: {exc}")
    report = {"target": args.target, "migrated": args.migrated, "flavour": args.flavour,
              "seed": args.seed, "params": up["params"], **compared,
              "base_classes": {"upstream": up["bases"], "mminit": mm["bases"]},
              "init_info": {"upstream": up["info"], "mminit": mm["info"]}}
    _print_table(report)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)
    same_errors = (report["errors"]["upstream"] or "").split(":")[0] == \
        (report["errors"]["mminit"] or "").split(":")[0]
    return 0 if not report["differing"] and same_errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
