"""The mminit side of the bricks suite, run where mmcv and mmengine cannot be imported."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from compat_tests.bricks.block_upstream import block_upstream


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flavour", required=True, choices=("mmengine", "mmcv1"))
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--suite", choices=("bricks", "extras"), default="bricks")
    args = parser.parse_args(argv)
    block_upstream()
    import torch

    from compat_tests.bricks.runner import run_case
    from compat_tests.bricks.suite import SUITES

    torch.set_num_threads(1)
    generate, load, build = SUITES[args.suite]
    lib = load("mminit" if args.flavour == "mmengine" else "mminit.mmcv1")
    results = [
        run_case(generate(args.flavour, args.seed, i), lib, build=build)
        for i in range(args.first, args.first + args.cases)
    ]
    torch.save(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
