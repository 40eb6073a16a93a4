"""Python function calls per ``init_weights``: a load-independent measure of overhead.

Usage: ``python -m benchmarks.calls [--models vit-l-overhead,vit-b-overwritten] [--size full]``.

Each contender of :mod:`benchmarks.variants` runs once untimed (warm-up), then
once under :mod:`cProfile`; the printed figure is the profile's total number of
function calls (primitive and recursive, Python and builtin), which does not
depend on the machine's load.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
from collections.abc import Sequence

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

import torch

from .measure import quiet_logs
from .models import FAMILIES
from .variants import ModelBench

__all__ = ["count_calls", "main"]

CONTENDERS = (
    "mmengine",
    "mminit",
    "mminit-seen",
    "mminit-cold",
    "mminit-fast",
    "mminit-fast-cold",
)


def count_calls(family: str, size: str, contenders: Sequence[str] = CONTENDERS) -> dict[str, int]:
    """Function calls of one init per contender (after one warm-up init each)."""
    bench = ModelBench(family, size, torch.device("cpu"), tuple(contenders))
    out: dict[str, int] = {}
    for v in bench.variants:
        run = bench.runner(v)
        torch.manual_seed(0)
        run()
        prof = cProfile.Profile()
        torch.manual_seed(0)
        prof.enable()
        run()
        prof.disable()
        out[v] = pstats.Stats(prof).total_calls  # type: ignore[attr-defined]
    bench.release()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.calls", description=__doc__.splitlines()[0]
    )
    p.add_argument(
        "--models",
        default="vit-l-overhead,vit-b-overwritten,deep-narrow",
        help=f"comma-separated from {list(FAMILIES)}",
    )
    p.add_argument("--size", default="full", choices=("full", "small"))
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    quiet_logs()
    print("| model | " + " | ".join(CONTENDERS) + " |")
    print("|---|" + "---|" * len(CONTENDERS))
    for family in args.models.split(","):
        calls = count_calls(family, args.size)
        cells = [f"{calls[v]:,}" if v in calls else "-" for v in CONTENDERS]
        print(f"| {FAMILIES[family][args.size].label} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
