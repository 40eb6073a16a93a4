"""Run many generated cases for one flavour and report the failures.

Used by ``test_generated.py``; also runnable by hand to replay one case::

    python -m compat_tests.suite --flavour mmengine --seed 123 --index 45
    python -m compat_tests.suite --flavour mmengine --case '{"seed": 1, ...}'
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from compat_tests.differential import run_case
from compat_tests.generator import generate_case
from compat_tests.libs import MMINIT_OF, UPSTREAM_OF, LogCapture, load_lib
from compat_tests.shrink import shrink

__all__ = [
    "RESULTS",
    "FlavourResult",
    "default_seed",
    "diff_kinds",
    "format_failure",
    "run_flavour",
]

#: flavour -> result of the last run in this process (read by conftest's summary hook)
RESULTS: dict[str, FlavourResult] = {}


@dataclass
class FlavourResult:
    flavour: str
    seed: int
    cases: int = 0
    failures: list[tuple[int, dict[str, Any], list[str]]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"compat {self.flavour}: {self.cases} cases, {len(self.failures)} mismatches"


def default_seed() -> int:
    env = os.environ.get("MMINIT_COMPAT_SEED")
    return int(env) if env else random.SystemRandom().randrange(2**31)


def diff_kinds(diffs: Sequence[str]) -> set[str]:
    """Coarse kind of each difference ("call 1 logs", "tensors", ...)."""
    return {m.group(1) for d in diffs if (m := re.match(r"(call \d+ \S+|\S+)", d))}


def run_flavour(
    flavour: str,
    cases: int,
    seed: int,
    *,
    ref_name: str | None = None,
    test_name: str | None = None,
    shrink_first: int = 3,
) -> FlavourResult:
    """Run ``cases`` generated cases: upstream of ``flavour`` vs mminit's flavour."""
    ref = load_lib(ref_name or UPSTREAM_OF[flavour])
    test = load_lib(test_name or MMINIT_OF[flavour])
    capture = LogCapture()
    result = FlavourResult(flavour, seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: parallel regions only cost time
    try:
        with tempfile.TemporaryDirectory(prefix="mminit-compat-") as ckpt_dir:
            for index in range(cases):
                case = generate_case(seed, index)
                diffs = run_case(case, ref, test, capture, ckpt_dir, f"c{index}")
                result.cases += 1
                if diffs:
                    result.failures.append((index, case, diffs))
            for n, (index, case, diffs) in enumerate(result.failures[:shrink_first]):
                kinds = diff_kinds(diffs)

                def still_fails(candidate: dict[str, Any], kinds: set[str] = kinds) -> bool:
                    got = run_case(candidate, ref, test, capture, ckpt_dir, "shrink")
                    return bool(kinds & diff_kinds(got))

                small = shrink(case, still_fails)
                result.failures[n] = (
                    index,
                    small,
                    run_case(small, ref, test, capture, ckpt_dir, "s"),
                )
    finally:
        torch.set_num_threads(threads)
    RESULTS[flavour] = result
    return result


def format_failure(
    flavour: str, seed: int, index: int, case: dict[str, Any], diffs: Sequence[str]
) -> str:
    return (
        f"seed={seed} index={index} (replay: python -m compat_tests.suite --flavour {flavour} "
        f"--seed {seed} --index {index})\n  case: {json.dumps(case)}\n  " + "\n  ".join(diffs)
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flavour", choices=sorted(UPSTREAM_OF), default="mmengine")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--case", help="a case description (JSON text), e.g. a shrunk one")
    parser.add_argument("--ref", help="reference lib (default: the flavour's upstream)")
    parser.add_argument("--test", help="tested lib (default: mminit's flavour)")
    args = parser.parse_args(argv)
    ref = load_lib(args.ref or UPSTREAM_OF[args.flavour])
    test = load_lib(args.test or MMINIT_OF[args.flavour])
    case = json.loads(args.case) if args.case else generate_case(args.seed, args.index)
    with tempfile.TemporaryDirectory() as ckpt_dir:
        diffs = run_case(case, ref, test, LogCapture(), ckpt_dir)
    print(format_failure(args.flavour, args.seed, args.index, case, diffs or ["(no difference)"]))
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
