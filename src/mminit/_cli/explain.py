"""``mminit explain TARGET``: print the init plan of a model, with lints.

Usage::

    mminit explain pkg.module:factory [--flavour auto|mmengine|mmcv1] [--json OUT] [--strict] [--buffers]
    mminit explain configs/my_model.py [--scope PKG | --builder PKG.MODULE:FUNC]
                                            # a config (either era), as ``mminit check``

The model is built as it is (no alias swap) and explained by
:func:`mminit.explain`; nothing is initialised.  Exit status: 0, or 1 with
``--strict`` when any lint fires or ``init_weights`` would raise; 2 when the
target cannot be imported or built, or the tree is not of ``--flavour``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .target import add_target_arguments, load_target, target_error

__all__ = ["DESCRIPTION", "add_arguments", "main", "run"]


DESCRIPTION = "Show what init_weights will do to every parameter, and why."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``mminit explain``'s arguments (the ``mminit`` command table adds them to its parser)."""
    add_target_arguments(parser)
    parser.add_argument(
        "--flavour",
        choices=("auto", "mmengine", "mmcv1"),
        default="auto",
        help="require the tree's BaseModules to follow this flavour (default: any)",
    )
    parser.add_argument("--json", metavar="OUT", help="also write the plan as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any lint fires")
    parser.add_argument("--buffers", action="store_true", help="list buffers too")
    parser.add_argument(
        "--run-fills",
        action="store_true",
        help="run every fill on the copy (default: evaluate those no code can read)",
    )


def _fail(message: str) -> int:
    print(f"mminit explain: {message}", file=sys.stderr)
    return 2


def _copy_hint(model: object) -> str:
    """Why explain could not work on ``model``, when the reason is that it copies it."""
    import copy

    try:
        copy.deepcopy(model)
    except Exception as exc:  # noqa: BLE001 - the reason is the message
        return (
            f" (explain plans on a deep copy of the model, and this model cannot be "
            f"deep-copied: {type(exc).__name__}: {exc})"
        )
    return ""


def run(args: argparse.Namespace) -> int:
    """``mminit explain`` with parsed arguments; returns the exit status."""
    problem = target_error(args.target, args.scope, args.builder)
    if problem is not None:
        return _fail(problem)
    from .._explain import explain
    from .._explain.format import format_plan

    try:
        model = load_target(args.target, args.scope, args.builder)()
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - reported with the stage
        # SystemExit too: a target that calls sys.exit(0) must not read as success in CI
        return _fail(f"could not import/build {args.target!r}: {type(exc).__name__}: {exc}")
    import torch

    if not isinstance(model, torch.nn.Module):
        return _fail(f"building {args.target!r} gave {type(model).__name__}, not a torch.nn.Module")
    try:
        plan = explain(model, run_fills=args.run_fills)
    except Exception as exc:  # noqa: BLE001 - reported, with what explain needs
        return _fail(
            f"explaining {args.target!r} failed: {type(exc).__name__}: {exc}{_copy_hint(model)}"
        )
    if args.flavour != "auto" and any(not f.startswith(args.flavour) for f in plan.flavours):
        return _fail(
            f"--flavour {args.flavour} but the tree's BaseModules follow "
            f"{', '.join(plan.flavours) or 'nothing'}"
        )
    print(format_plan(plan, buffers=args.buffers))
    if args.json:
        try:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(plan.to_dict(), fh, indent=1)
        except OSError as exc:
            return _fail(f"cannot write --json {args.json}: {exc.strerror or exc}")
    if args.strict and (plan.lints or plan.error):
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mminit explain`` (``argv`` excludes the ``explain`` word)."""
    parser = argparse.ArgumentParser(prog="mminit explain", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv))
