"""``mminit check``: does a model initialise identically with upstream and mminit?

Usage::

    mminit check mypkg.models:build_model [--flavour auto|mmengine|mmcv1]
                 [--seed N] [--json OUT] [--migrated OTHER_TARGET]
    mminit check configs/my_model.py [--scope PKG | --builder PKG.MODULE:FUNC]
    mminit check configs/my_model.py --original ../repo-before --migrated ../repo-after

``TARGET`` is ``pkg.module:factory`` (a callable returning an ``nn.Module``) or
a Python config file with a ``model`` dict, of the mmengine era or the mmcv 1.x
era (see :mod:`mminit._cli.target`, shared with ``mminit explain``).

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
* ``--original DIR --migrated DIR``: two checkouts of one repository, before and
  after ``mminit migrate``.  Each side runs in its checkout (its working directory,
  and first on ``sys.path``), so the same package name imports the original code
  on the upstream side and the migrated code on the mminit side; a relative config
  ``TARGET`` is read from each checkout (its migrated copy on the mminit side).

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
``compare`` (collecting or reading a side's state).  A side that spends longer
than ``--timeout`` seconds (default 900) in one stage (``start-up`` included) is
ended and the stage named (exit 2).  The sides never outlive ``mminit check``:
they are ended when it fails, times out, is interrupted (exit 130) or terminated
(SIGTERM, exit 143; the temporary directory is removed), and the kernel ends them
if it is killed outright (``PR_SET_PDEATHSIG`` on Linux, a watcher thread elsewhere).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Sequence
from typing import Any

from .target import add_target_arguments, is_config, load_target, target_error

__all__ = ["DESCRIPTION", "INIT_INFO_DUMP", "add_arguments", "main", "run"]

#: one log record of the init-info dump (upstream's and mminit's, one record per
#: parameter): ``"\n{name} - torch.Size([...]): \n{info} \n "``
INIT_INFO_DUMP = re.compile(
    r"^\n(?P<name>\S+) - torch\.Size\(\[[\d, ]*\]\): \n(?P<info>.*) \n $", re.DOTALL
)
# where each flavour's public names live upstream, searched in order
_UPSTREAM = {
    "mmengine": (
        "mminit",
        (
            "mmengine.model",
            "mmengine.model.weight_init",
            "mmengine.registry",
            "mmengine.runner.checkpoint",
            "mmcv.cnn",
            "mmcv.cnn.bricks",
            "mmcv.cnn.bricks.drop",
            "mmcv.cnn.bricks.transformer",
            "mmcv.cnn.bricks.norm",
            "mmcv.cnn.bricks.upsample",
        ),
    ),
    "mmcv1": (
        "mminit.mmcv1",
        (
            "mmcv.cnn.utils.weight_init",
            "mmcv.runner",
            "mmcv.utils",
            "mmcv.cnn",
            "mmcv.cnn.bricks",
            "mmcv.cnn.bricks.registry",
            "mmcv.cnn.bricks.drop",
            "mmcv.cnn.bricks.transformer",
            "mmcv.cnn.bricks.norm",
            "mmcv.cnn.bricks.upsample",
        ),
    ),
}
# mminit name -> upstream's name for the same object (mmcv 2.x registers layers in MODELS)
_ALIASES = {
    "WEIGHT_INITIALIZERS": "INITIALIZERS",
    "INITIALIZERS": "WEIGHT_INITIALIZERS",
    "LAYERS": "MODELS",
}
_INSTALL = {
    "mmengine": "pip install mmengine==0.10.7 (and mmcv-lite==2.2.0 for the layer bricks)",
    "mmcv1": "pip install mmcv==1.7.2",
}


# ---------------------------------------------------------------- child side
def _alias_module(flavour: str, public: Sequence[str]) -> types.ModuleType:
    name, sources = _UPSTREAM[flavour]
    alias = types.ModuleType(name, f"upstream {flavour} names under {name!r} (mminit check)")

    def lookup(attr: str) -> Any:
        if attr not in public:
            raise AttributeError(
                f"module {name!r} (aliased to {flavour}) has no attribute {attr!r}"
            )
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
            raise ImportError(
                f"mminit check: the upstream side needs {flavour} "
                f"({_INSTALL[flavour]}) for {name}.{attr}: {failed[0]}"
            ) from failed[0]
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
_STAGES = {
    "start-up": "starting the side process for",
    "import": "importing",
    "build": "building",
    "init": "initialising",
    "compare": "collecting the state of",
}


def _bind_to_parent() -> None:
    """End this side when ``mminit check`` ends, however it ends (even ``kill -9``).

    On Linux the kernel sends SIGKILL at the parent's death (``PR_SET_PDEATHSIG``);
    everywhere a daemon thread also watches the parent's pid.
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    if os.getppid() != parent:  # pragma: no cover - the parent died before prctl
        os._exit(1)
    threading.Thread(target=watch, daemon=True, name="mminit-check-parent").start()


def _mark(out: str, stage: str) -> str:
    """Tell the parent which stage this side is in (for ``--timeout``)."""
    with open(out + ".stage", "w", encoding="utf-8") as fh:
        fh.write(stage)
    return stage


def _run_side(
    target: str,
    seed: int,
    out: str,
    alias: str | None,
    scope: str | None = None,
    builder: str | None = None,
    tree: str | None = None,
) -> int:
    _bind_to_parent()
    _mark(out, "start-up")
    import torch

    result: dict[str, Any] = {
        "error": None,
        "stage": None,
        "info": {},
        "tensors": {},
        "params": [],
        "bases": [],
    }
    stage = _mark(out, "import")
    try:
        if tree:  # this side's checkout comes first (the side also runs in it)
            sys.path.insert(0, tree)
        if alias:
            _install_aliases(alias)
        build = load_target(target, scope, builder)
        stage = _mark(out, "build")
        torch.manual_seed(seed)
        model = build()
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"it returned {type(model).__name__}, not a torch.nn.Module")
        stage = _mark(out, "init")
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
                model.init_weights()  # type: ignore[operator]  # (nn.Module's __getattr__)
            except Exception as exc:  # noqa: BLE001 - reported; the state is still compared
                result["error"] = f"init_weights raised {type(exc).__name__}: {exc}"
                result["stage"] = "init"
        stage = _mark(out, "compare")
        result["info"] = collect.info
        result["tensors"] = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        result["params"] = [n for n, _ in model.named_parameters(remove_duplicate=False)]
        result["bases"] = sorted(
            {
                f"{c.__module__}.{c.__qualname__}"
                for m in model.modules()
                for c in type(m).__mro__
                if c.__name__ == "BaseModule"
            }
        )
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure of user code is reported
        result.update(
            tensors={},
            params=[],
            bases=[],
            info={},
            stage=stage,
            fatal=True,
            error=f"{_STAGES[stage]} {target!r} failed: {type(exc).__name__}: {exc}",
        )
    torch.save(result, out)
    return 0


# --------------------------------------------------------------- parent side
def _spawn(side: _Side, args: argparse.Namespace, out: str) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "mminit._cli.check",
        side.target,
        "--side",
        "--seed",
        str(args.seed),
        "--out",
        out,
    ]
    for flag, value in (
        ("--alias", side.alias),
        ("--scope", args.scope),
        ("--builder", args.builder),
        ("--tree", side.tree),
    ):
        if value:
            cmd += [flag, value]
    with open(out + ".log", "wb") as log:  # a file, not a pipe: a chatty model cannot block
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=side.tree)


class _Side(types.SimpleNamespace):
    """One side: its name, what it builds, the checkout it runs in, the flavour it aliases."""

    name: str
    target: str
    tree: str | None
    alias: str | None


def _tree_target(target: str, tree: str) -> str:
    """``target`` as the side running in checkout ``tree`` sees it."""
    if not is_config(target) or os.path.isabs(target):
        return target
    if os.path.isfile(os.path.join(tree, target)):
        return target  # the side runs in its tree: each side reads its own copy
    if os.path.isfile(target):
        return os.path.abspath(target)
    raise FileNotFoundError(
        f"config file {target!r} is neither in {tree} nor in the current directory"
    )


def _sides(args: argparse.Namespace) -> list[_Side] | str:
    """The two sides, or what is wrong with the arguments (checked before any process starts)."""
    if args.original is not None:
        trees = {"--original": args.original, "--migrated": args.migrated}
        for flag, tree in trees.items():
            if tree is None or not os.path.isdir(tree):
                return (
                    f"--original and --migrated name two checkouts (directories); {flag} "
                    f"{tree!r} is not a directory"
                    if tree
                    else "--original DIR needs --migrated DIR: the checkout after migration"
                )
        sides = []
        for name, tree, alias in (
            ("upstream", args.original, args.flavour),
            ("mminit", args.migrated, None),
        ):
            tree = os.path.abspath(tree)
            try:
                target = _tree_target(args.target, tree)
            except FileNotFoundError as exc:
                return str(exc)
            error = target_error(target, args.scope, args.builder, base=tree)
            if error:
                return f"{error} (in {tree})"
            sides.append(_Side(name=name, target=target, tree=tree, alias=alias))
        return sides
    if args.migrated is not None and os.path.isdir(args.migrated):
        return (
            f"--migrated {args.migrated!r} is a directory: to compare two checkouts, pass "
            "the one before migration with --original DIR too"
        )
    for target in (args.target, args.migrated):
        error = target and target_error(target, args.scope, args.builder)
        if error:
            return error
    return [
        _Side(name="upstream", target=args.target, tree=None, alias=args.flavour),
        _Side(name="mminit", target=args.migrated or args.target, tree=None, alias=None),
    ]


def _compare(up: dict[str, Any], mm: dict[str, Any]) -> dict[str, Any]:
    import torch

    rows, identical, compared = [], 0, 0
    kinds = {n: "param" for n in up["params"]}
    names = list(up["tensors"]) + [n for n in mm["tensors"] if n not in up["tensors"]]
    for name in names:
        a, b = up["tensors"].get(name), mm["tensors"].get(name)
        compared += 1
        if (
            a is not None
            and b is not None
            and a.dtype == b.dtype
            and a.shape == b.shape
            and torch.equal(a, b)
        ):
            identical += 1
            continue
        if a is None or b is None or a.shape != b.shape:
            diff: float | str = "missing" if a is None or b is None else "shape"
        else:
            diff = float((a.double() - b.double()).abs().max()) if a.numel() else 0.0
        rows.append(
            {
                "name": name,
                "kind": kinds.get(name, "buffer"),
                "max_abs_diff": diff,
                "upstream_info": up["info"].get(name),
                "mminit_info": mm["info"].get(name),
            }
        )
    info_names = list(up["info"]) + [n for n in mm["info"] if n not in up["info"]]
    info_differing = [n for n in info_names if up["info"].get(n) != mm["info"].get(n)]
    tensor_rows = {r["name"] for r in rows}
    for name in info_differing:
        if name not in tensor_rows:
            rows.append(
                {
                    "name": name,
                    "kind": "init-info",
                    "max_abs_diff": 0.0,
                    "upstream_info": up["info"].get(name),
                    "mminit_info": mm["info"].get(name),
                }
            )
    return {
        "compared": compared,
        "identical": identical,
        "differing": rows,
        "info_compared": len(info_names),
        "info_identical": len(info_names) - len(info_differing),
        "errors": {"upstream": up["error"], "mminit": mm["error"]},
    }


def _print_table(report: dict[str, Any]) -> None:
    n_params = len(set(report["params"]))
    print(f"mminit check {report['target']} (flavour {report['flavour']}, seed {report['seed']})")
    if report["original"]:
        print(
            f"  checkouts        : {report['original']} (upstream side) vs "
            f"{report['migrated']} (mminit side)"
        )
    print(
        f"  tensors compared : {report['compared']} ({n_params} parameters, "
        f"{report['compared'] - n_params} buffers)"
    )
    print(f"  bit-identical    : {report['identical']}")
    print(
        f"  init-info strings: {report['info_compared']} compared, "
        f"{report['info_identical']} identical"
    )
    print(f"  differing        : {len(report['differing'])}")
    for side, bases in report["base_classes"].items():
        print(f"  {side + ' side BaseModule':<17}: {', '.join(bases) or '(none)'}")
    for side, err in report["errors"].items():
        if err:
            print(f"  {side} side (init stage): {err}")
    if report["differing"]:
        print(
            f"\n  {'name':<40} {'kind':<9} {'max abs diff':>12}  upstream init-info | mminit init-info"
        )
        for row in report["differing"]:
            diff = row["max_abs_diff"]
            shown = f"{diff:.3g}" if isinstance(diff, float) else diff
            print(
                f"  {row['name']:<40} {row['kind']:<9} {shown:>12}  "
                f"{row['upstream_info']} | {row['mminit_info']}"
            )


DEFAULT_TIMEOUT = 900.0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"--timeout must be a positive number of seconds, got {text!r}"
        )
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``mminit check``'s arguments (the ``mminit`` command table adds them to its parser)."""
    add_target_arguments(parser)
    parser.add_argument(
        "--flavour",
        choices=("auto", "mmengine", "mmcv1"),
        default="auto",
        help="which mminit module to swap for upstream: mmengine (mminit), mmcv1 "
        "(mminit.mmcv1), or auto to swap both (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="torch seed used on both sides before building and before "
        "init_weights (default: %(default)s)",
    )
    parser.add_argument("--json", metavar="OUT", help="also write the report as JSON")
    parser.add_argument(
        "--migrated",
        metavar="TARGET|DIR",
        help="build this (migrated) target on the mminit side; the upstream "
        "side builds TARGET. With --original: the migrated checkout",
    )
    parser.add_argument(
        "--original",
        metavar="DIR",
        help="the checkout before migration: the upstream side runs in DIR (its "
        "tree first on sys.path) and the mminit side in --migrated DIR; a "
        "relative config TARGET is read from each checkout",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="end a side that spends longer than this in one stage (start-up, "
        "import, build, init, compare) and say which (default: %(default)g)",
    )
    parser.add_argument("--side", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--alias", help=argparse.SUPPRESS)
    parser.add_argument("--tree", help=argparse.SUPPRESS)


DESCRIPTION = (
    "Build a model with upstream's init system and with mminit's, same seed, and "
    "compare every parameter, buffer and init-info string."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mminit check", description=DESCRIPTION)
    add_arguments(parser)
    return parser


def _fail(message: str) -> int:
    print(f"mminit check: {message}", file=sys.stderr)
    return 2


class _Terminated(Exception):
    """SIGTERM reached ``mminit check``: unwind, so the sides end and the temp dir goes."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def _wait(
    sides: list[_Side], procs: list[subprocess.Popen[bytes]], outs: list[str], timeout: float
) -> str | None:
    """Wait for both sides; what went wrong, or None.  A side that spends more than
    ``timeout`` seconds in one stage is ended."""
    since = [("", time.monotonic()) for _ in procs]
    pending = set(range(len(procs)))
    while pending:
        for i in sorted(pending):
            if procs[i].poll() is not None:
                pending.discard(i)
                continue
            try:
                with open(outs[i] + ".stage", encoding="utf-8") as fh:
                    stage = fh.read()
            except OSError:
                stage = "start-up"
            now = time.monotonic()
            if stage != since[i][0]:
                since[i] = (stage, now)
            elif now - since[i][1] > timeout:
                return (
                    f"{sides[i].name} side timed out in the {stage} stage: "
                    f"{_STAGES.get(stage, stage)} {sides[i].target!r} took more than "
                    f"{timeout:g} s (--timeout SECONDS allows more)"
                )
        time.sleep(0.05)
    for side, proc, out in zip(sides, procs, outs):
        if proc.returncode != 0 or not os.path.exists(out):
            with open(out + ".log", errors="replace") as log:
                output = log.read()[-3000:]
            return f"{side.name} side process failed ({proc.returncode}):\n{output}"
    return None


def _run_sides(
    args: argparse.Namespace, sides: list[_Side]
) -> tuple[dict[str, Any], dict[str, Any]] | int:
    """Run both sides at once; their results, or the exit status of a side that failed.
    However this ends (a failure, ``--timeout``, SIGTERM, Ctrl-C), no side outlives it
    and the temporary directory is removed."""
    from .._checkpoint.loading import load_pickle

    with tempfile.TemporaryDirectory(prefix="mminit-check-") as tmp:
        outs = [os.path.join(tmp, f"{side.name}.pt") for side in sides]
        procs: list[subprocess.Popen[bytes]] = []
        try:
            for side, out in zip(sides, outs):  # the two sides run at once
                procs.append(_spawn(side, args, out))
            failure = _wait(sides, procs, outs, args.timeout)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
        if failure is not None:
            return _fail(failure)
        try:
            up, mm = (load_pickle(p, None, weights_only=True) for p in outs)
        except Exception as exc:  # noqa: BLE001 - reported with its stage
            return _fail(
                f"failed at the compare stage: reading a side's result "
                f"failed: {type(exc).__name__}: {exc}"
            )
    for side, res in zip(sides, (up, mm)):
        if res.get("fatal"):
            where = f" (in {side.tree})" if side.tree else ""
            return _fail(
                f"{side.name} side failed at the {res['stage']} stage{where}: {res['error']}"
            )
    if mm["bases"] and not any(b.startswith("mminit.") for b in mm["bases"]):
        what = f"{sides[1].target!r}" + (f" in {sides[1].tree}" if sides[1].tree else "")
        return _fail(
            f"the mminit side of {what} used no mminit BaseModule "
            f"({', '.join(mm['bases'])}), so both sides ran upstream. Run "
            "`mminit migrate` on the model code first, or pass its migrated copy with "
            "--migrated."
        )
    return up, mm


def run(args: argparse.Namespace) -> int:
    """``mminit check`` with parsed arguments; returns the exit status."""
    if args.side:
        return _run_side(
            args.target, args.seed, args.out, args.alias, args.scope, args.builder, args.tree
        )
    sides = _sides(args)
    if isinstance(sides, str):
        return _fail(sides)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
    try:
        results = _run_sides(args, sides)
    except _Terminated:
        print("mminit check: terminated; both sides were stopped", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("mminit check: interrupted; both sides were stopped", file=sys.stderr)
        return 130
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    if isinstance(results, int):
        return results
    up, mm = results
    try:
        compared = _compare(up, mm)
    except Exception as exc:  # noqa: BLE001 - reported with its stage
        return _fail(f"failed at the compare stage: {type(exc).__name__}: {exc}")
    report = {
        "target": args.target,
        "migrated": args.migrated,
        "original": args.original,
        "flavour": args.flavour,
        "seed": args.seed,
        "params": up["params"],
        **compared,
        "base_classes": {"upstream": up["bases"], "mminit": mm["bases"]},
        "init_info": {"upstream": up["info"], "mminit": mm["info"]},
    }
    _print_table(report)
    if args.json:
        try:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(report, fh, indent=2)
        except OSError as exc:
            return _fail(f"cannot write --json {args.json}: {exc.strerror or exc}")
    same_errors = (report["errors"]["upstream"] or "").split(":")[0] == (
        report["errors"]["mminit"] or ""
    ).split(":")[0]
    return 0 if not report["differing"] and same_errors else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mminit check`` (``argv`` excludes the ``check`` word)."""
    return run(_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
