"""What ``mminit.explain`` costs, and the ``init_weights`` after it.

Usage: ``python -m benchmarks.explain [--models vit-b,resnet50,vit-l-overhead]
[--real vit-b,resnet50] [--repeats 3] [--size full]``.

For each model of :data:`benchmarks.models.FAMILIES` (mminit's classes), per round: the
plan cache emptied, ``mminit.explain(model, lints=False, run_fills=True)`` timed (every
fill run), then, the cache emptied again, ``mminit.explain(model, lints=False)`` (fills
evaluated where no code can read them) timed, then the model's own
``init_weights()`` (a replay of the plan explain recorded), then, the cache emptied
again, a first ``init_weights()`` of a fresh model for comparison.  For each model of
:data:`benchmarks.real.MODELS` (built from its package's config, upstream's classes):
``explain`` alone, with and without ``run_fills``.  Medians of ``--repeats`` rounds, one
thread.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Sequence

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

import torch

from .measure import quiet_logs
from .models import build_model, load_lib

__all__ = ["explain_times", "main"]


def _ms(xs: list[float]) -> float:
    return statistics.median(xs) * 1e3


def explain_times(family: str, repeats: int, size: str = "full") -> dict[str, float]:
    """Median ms of ``explain``, the init after it and a first init without it."""
    import mminit
    from mminit._engine import plan_cache

    lib = load_lib("mminit")
    explain, run_fills, after, cold = [], [], [], []
    for _ in range(repeats):
        if _takes_run_fills():
            with plan_cache.isolated():
                torch.manual_seed(0)
                model = build_model(family, lib, size)
                t = time.perf_counter()
                mminit.explain(model, lints=False, run_fills=True)
                run_fills.append(time.perf_counter() - t)
        with plan_cache.isolated():
            torch.manual_seed(0)
            model = build_model(family, lib, size)
            t = time.perf_counter()
            plan = mminit.explain(model, lints=False)
            explain.append(time.perf_counter() - t)
            t = time.perf_counter()
            model.init_weights()
            after.append(time.perf_counter() - t)
        with plan_cache.isolated():
            torch.manual_seed(0)
            model = build_model(family, lib, size)
            t = time.perf_counter()
            model.init_weights()
            cold.append(time.perf_counter() - t)
    return {
        "explain": _ms(explain),
        "explain_run_fills": _ms(run_fills) if run_fills else float("nan"),
        "fills_evaluated": float(getattr(plan, "fills_evaluated", 0)),
        "init_after_explain": _ms(after),
        "first_init": _ms(cold),
        "cached": float(getattr(plan, "cached", False)),  # (older trees: no such field)
    }


def _takes_run_fills() -> bool:
    """Whether this tree's ``explain`` has ``run_fills`` (older trees measured: no)."""
    import inspect

    import mminit

    return "run_fills" in inspect.signature(mminit.explain).parameters


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.explain", description=__doc__)
    parser.add_argument("--models", default="vit-b,resnet50,vit-l-overhead")
    parser.add_argument("--real", default="", help="models of benchmarks.real: explain only")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", default="full", choices=("full", "small"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    quiet_logs()
    for family in [m for m in args.models.split(",") if m]:
        r = explain_times(family, args.repeats, args.size)
        print(
            f"{family}: explain {r['explain']:.1f} ms ({r['fills_evaluated']:.0f} fills "
            f"evaluated; run_fills=True {r['explain_run_fills']:.1f} ms), init after explain "
            f"{r['init_after_explain']:.1f} ms, first init {r['first_init']:.1f} ms, "
            f"plan cached by explain: {bool(r['cached'])}"
        )
    for name in [m for m in args.real.split(",") if m]:
        import mminit

        from .real import build_real

        torch.manual_seed(0)
        model = build_real(name)
        times: list[float] = []
        filled: list[float] = []
        for _ in range(args.repeats):
            if _takes_run_fills():
                t = time.perf_counter()
                mminit.explain(model, lints=False, run_fills=True)
                filled.append(time.perf_counter() - t)
            t = time.perf_counter()
            plan = mminit.explain(model, lints=False)
            times.append(time.perf_counter() - t)
        evaluated = getattr(plan, "fills_evaluated", 0)
        also = f"; run_fills=True {_ms(filled):.0f} ms" if filled else ""
        print(f"real {name}: explain {_ms(times):.0f} ms ({evaluated} fills evaluated{also})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
