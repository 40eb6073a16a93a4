"""Benchmark ``init_weights``: mmengine vs mminit (default and fast) vs floor and replay.

Usage: ``python -m benchmarks.run [--models resnet50,vit-b] [--repeats 5] ...``
(or ``python benchmarks/run.py``).  See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

import torch

from .measure import (
    Restorer,
    available_libs,
    busy_neighbour,
    import_costs,
    quiet_logs,
    time_call,
)
from .models import FAMILIES
from .plan import plan_stats
from .report import format_seconds, print_goals, print_model, print_summary
from .variants import VARIANTS, ModelBench

__all__ = ["bench_model", "main"]

# mminit runs right after mmengine so the two can be compared at the same seed;
# replay is compared with mmengine too.  The work model's state before mminit's
# run is then random (floor's, from the previous repetition), as the upstream
# model's is.
ORDER = (
    "mmengine",
    "mminit",
    "mminit-seen",
    "mminit-cold",
    "mminit-seen-cold",
    "replay",
    "ceiling",
    "mminit-fast",
    "mminit-fast-cold",
    "floor",
)
CHECKED = ("mminit", "mminit-seen", "mminit-cold", "mminit-seen-cold", "replay", "ceiling")
RATIOS = {
    "mmengine/mminit": ("mmengine", "mminit"),
    "mmengine/seen": ("mmengine", "mminit-seen"),
    "mmengine/cold": ("mmengine", "mminit-cold"),
    "mmengine/seen-cold": ("mmengine", "mminit-seen-cold"),
    "mminit/floor": ("mminit", "floor"),
    "fast/floor": ("mminit-fast", "floor"),
    "mmengine/fast": ("mmengine", "mminit-fast"),
    "mmengine/fast-cold": ("mmengine", "mminit-fast-cold"),
    "mmengine/floor": ("mmengine", "floor"),
    "mmengine/replay": ("mmengine", "replay"),
    "mmengine/ceiling": ("mmengine", "ceiling"),
}


def _parse_list(text: str, allowed: Sequence[str], what: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if items == ["all"]:
        return list(allowed)
    bad = [t for t in items if t not in allowed]
    if bad:
        raise argparse.ArgumentTypeError(
            f"unknown {what} {bad}; choose from {list(allowed)} or 'all'"
        )
    return items


def bench_model(
    family: str, size: str, device: torch.device, variants: Sequence[str], repeats: int
) -> dict[str, Any]:
    """Time each contender ``repeats`` times in this process; check bit-identity each time."""
    bench = ModelBench(family, size, device, tuple(variants))
    for note in bench.notes:
        print(f"  note: {note}")
    model = bench.work if bench.work is not None else bench.upstream
    assert model is not None
    times: dict[str, list[float]] = {v: [] for v in bench.variants}
    restore = {
        upstream: Restorer(m) if m is not None else (lambda: None)
        for upstream, m in ((True, bench.upstream), (False, bench.work))
    }
    bench.warm()
    mismatches: list[dict[str, Any]] = []
    compare = bench.upstream is not None and bench.work is not None
    for k in range(repeats):
        for v in ORDER:
            if v not in bench.variants:
                continue
            restore[v == "mmengine"]()  # each init starts from the values as built (untimed)
            torch.manual_seed(k)
            times[v].append(time_call(bench.runner(v), device))
            if compare and v in CHECKED:
                bad = bench.work_matches_upstream()
                if bad:
                    mismatches.append(
                        {"repeat": k, "variant": v, "entries": bad[:10], "count": len(bad)}
                    )
                    print(
                        f"  !!! MISMATCH !!! {family}: {v} differs from mmengine at seed {k} "
                        f"in {len(bad)} entries, e.g. {bad[:3]}"
                    )
        done = ", ".join(f"{v} {format_seconds(t[-1])}" for v, t in times.items())
        print(f"  repetition {k + 1}/{repeats}: {done}", flush=True)
    ratios = {}
    for name, (num, den) in RATIOS.items():
        if num in times and den in times:
            ratios[name] = statistics.median(a / b for a, b in zip(times[num], times[den]))
    result = {
        "model": family,
        "label": FAMILIES[family][size].label,
        "size": size,
        "params": sum(p.numel() for p in model.parameters()),
        "plan": plan_stats(model, bench.plan).__dict__ if bench.plan else None,
        "times_s": times,
        "median_s": {v: statistics.median(t) for v, t in times.items()},
        "min_s": {v: min(t) for v, t in times.items()},
        "ratios": ratios,
        "bit_identical_checks": len([v for v in CHECKED if v in times]) * repeats if compare else 0,
        "mismatches": mismatches,
        "notes": bench.notes,
    }
    bench.release()
    return result


def memory_peaks(
    family: str, size: str, device: str, threads: int, variants: Sequence[str]
) -> dict[str, Any]:
    """Peak extra memory of each contender, each in its own process (``memory.py``)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out: dict[str, Any] = {}
    for v in variants:
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.memory",
            "--model",
            family,
            "--size",
            size,
            "--variant",
            v,
            "--device",
            device,
            "--threads",
            str(threads),
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=root, check=False)
        if res.returncode != 0:
            out[v] = {"error": (res.stderr.strip().splitlines() or ["?"])[-1]}
        else:
            out[v] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


IMPORT_TARGETS = {
    "torch": "pass",
    "mminit": "import mminit",
    "mmengine.model": "import mmengine.model",
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.splitlines()[0]
    )
    p.add_argument(
        "--models",
        type=lambda s: _parse_list(s, list(FAMILIES), "models"),
        default=list(FAMILIES),
        help=f"comma-separated from {list(FAMILIES)} or 'all' (default all)",
    )
    p.add_argument(
        "--variants",
        type=lambda s: _parse_list(s, VARIANTS, "variants"),
        default=list(VARIANTS),
        help=f"comma-separated from {list(VARIANTS)} (default all)",
    )
    p.add_argument(
        "--repeats", type=int, default=5, help="timed repetitions per contender (default 5)"
    )
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument(
        "--device", default="cpu", help="cpu or cuda[:N]: models are moved there before init"
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="small configs of every family, 3 repeats, 2 import runs (seconds, for CI)",
    )
    p.add_argument(
        "--busy-neighbour",
        action="store_true",
        help="run a CPU-burning Python process for the duration",
    )
    p.add_argument(
        "--no-import-time",
        dest="import_time",
        action="store_false",
        help="skip the import-time measurement",
    )
    p.add_argument(
        "--no-memory",
        dest="memory",
        action="store_false",
        help="skip the peak-memory measurement (one subprocess per model and contender)",
    )
    p.add_argument(
        "--import-runs", type=int, default=5, help="fresh interpreters per import measurement"
    )
    p.add_argument("--json", metavar="OUT", help="also write all results to this JSON file")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    size = "small" if args.quick else "full"
    repeats = 3 if args.quick and args.repeats == 5 else args.repeats
    import_runs = 2 if args.quick and args.import_runs == 5 else args.import_runs
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda given but torch sees no CUDA device", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    quiet_logs()
    libs = available_libs()
    meta = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": args.threads,
        "device": str(device),
        "cpus": os.cpu_count(),
        "repeats": repeats,
        "size": size,
        "busy_neighbour": args.busy_neighbour,
        "libs": {k: v or "ok" for k, v in libs.items()},
    }
    print(
        f"torch {torch.__version__}, {args.threads} thread(s), device {device}, {repeats} repeats, "
        f"{size} configs" + (", busy neighbour" if args.busy_neighbour else "")
    )
    for why in libs.values():
        if why:
            print(f"note: {why}")
    results: dict[str, Any] = {"meta": meta, "models": [], "imports": None}
    with busy_neighbour(args.busy_neighbour):
        for family in args.models:
            print(f"\n== {FAMILIES[family][size].label} ==")
            res = bench_model(family, size, device, args.variants, repeats)
            if args.memory:
                res["memory"] = memory_peaks(
                    family, size, args.device, args.threads, res["median_s"].keys()
                )
            print_model(res)
            results["models"].append(res)
        if args.import_time:
            targets = {
                k: v
                for k, v in IMPORT_TARGETS.items()
                if k == "torch" or libs.get(k.split(".")[0]) is None
            }
            results["imports"] = import_costs(targets, runs=import_runs)
    print_summary(results)
    print_goals(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
        print(f"\nresults written to {args.json}")
    return 1 if any(m["mismatches"] for m in results["models"]) else 0


if __name__ == "__main__":
    sys.exit(main())
