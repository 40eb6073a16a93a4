"""``mminit explain TARGET``: print the init plan of a model, with lints.

Usage::

    mminit explain pkg.module:factory [--flavour auto|mmengine|mmcv1] [--json OUT] [--strict] [--buffers]
    mminit explain configs/my_model.py      # a config with a ``model`` dict, as ``mminit check``

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

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mminit explain",
                                     description="Show what init_weights will do to every parameter, and why.")
    parser.add_argument("target", help="pkg.module:factory, or a config .py with a `model` dict")
    parser.add_argument("--flavour", choices=("auto", "mmengine", "mmcv1"), default="auto",
                        help="require the tree's BaseModules to follow this flavour (default: any)")
    parser.add_argument("--json", metavar="OUT", help="also write the plan as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any lint fires")
    parser.add_argument("--buffers", action="store_true", help="list buffers too")
    args = parser.parse_args(argv)
    from ._check import _load
    from ._explain import explain
    from ._explain_format import format_plan

    try:
        model = _load(args.target)()
    except Exception as exc:  # noqa: BLE001 - reported with the stage
        print(f"mminit explain: could not import/build {args.target!r}: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 2
    plan = explain(model)
    if args.flavour != "auto" and any(not f.startswith(args.flavour) for f in plan.flavours):
        print(f"mminit explain: --flavour {args.flavour} but the tree's BaseModules follow "
              f"{', '.join(plan.flavours) or 'nothing'}", file=sys.stderr)
        return 2
    print(format_plan(plan, buffers=args.buffers))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(plan.to_dict(), fh, indent=1)
    if args.strict and (plan.lints or plan.error):
        return 1
    return 0
