"""Init time and per-rank peak memory of a sharded model (FSDP2 ``fully_shard``, gloo, CPU).

    python -m benchmarks.sharded --size full --ranks 1,2,4 --repeat 1

For each world size the ranks are spawned on 127.0.0.1; every rank seeds,
builds the model on the meta device (mminit's classes), shards each encoder
layer and the root with ``fully_shard``, allocates its shards (``to_empty``)
and then times ``mminit.materialize`` + ``init_weights`` inside
``mminit.sharded_init(model)`` (compat mode: upstream's values; ``--keyed``:
name-keyed streams).  Peak memory is the rank's ``VmHWM`` (high-water mark of
the resident set, reset just before init through ``/proc/self/clear_refs``)
minus its resident set before init: the extra memory init needed above the
shards.  The bound to compare with is the largest parameter (each random fill
draws one full parameter, keeps the shard, frees the rest).

Each rank draws every parameter's full value (bit-identity with one process
needs the single-process generator's sequence), so the time does not fall with
more ranks on the CPU; the memory does.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from benchmarks.procmem import reset_hwm as _reset_hwm, status_kib as _status_kib

__all__ = ["main", "run_world"]

MiB = 1024 * 1024


def _local(p: torch.Tensor) -> torch.Tensor:
    to_local = getattr(p, "to_local", None)
    return to_local() if callable(to_local) else p


def _rank(rank: int, world: int, port: int, out: str, size: str, keyed: bool, shard: bool) -> None:
    import torch.distributed as dist
    from torch.distributed.fsdp import fully_shard

    import mminit

    from .models import build_model, load_lib

    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", rank=rank, world_size=world, init_method=f"tcp://127.0.0.1:{port}"
    )
    try:
        torch.manual_seed(0)
        with torch.device("meta"):
            model: Any = build_model("tx-1b", load_lib("mminit"), size)
        if shard:
            for layer in model.encoder.layers:
                fully_shard(layer)
            fully_shard(model)
        model.to_empty(device="cpu")
        params = list(model.parameters())
        local_bytes = sum(_local(p).numel() * p.element_size() for p in params)
        largest = max(p.numel() * p.element_size() for p in params)
        total = sum(p.numel() * p.element_size() for p in params)
        dist.barrier()
        rss_before = _status_kib("VmRSS")
        exact = _reset_hwm()
        start = time.perf_counter()
        with mminit.sharded_init(model) if shard else contextlib.nullcontext():
            if keyed:
                with mminit.name_keyed(model, seed=0):
                    mminit.materialize(model, device=None, warn=False)
                    model.init_weights()
            else:
                mminit.materialize(model, device=None, warn=False)
                model.init_weights()
        seconds = time.perf_counter() - start
        peak = _status_kib("VmHWM")
        result = {
            "rank": rank,
            "seconds": seconds,
            "extra_peak_mib": (peak - rss_before) / 1024,
            "hwm_exact": exact,
            "local_mib": local_bytes / MiB,
            "largest_param_mib": largest / MiB,
            "model_mib": total / MiB,
            "params": sum(p.numel() for p in params),
        }
        Path(out, f"rank{rank}.json").write_text(json.dumps(result))
    finally:
        dist.destroy_process_group()


def run_world(world: int, size: str, keyed: bool, timeout: float) -> list[dict[str, Any]]:
    """One init on ``world`` spawned ranks; each rank's figures.  ``world=0``: one process, unsharded."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from compat_tests.sharded_support import free_port, spawn_ranks

    with tempfile.TemporaryDirectory() as out:
        spawn_ranks(
            _rank, (max(world, 1), free_port(), out, size, keyed, world > 0), max(world, 1), timeout
        )
        return [json.loads(Path(out, f"rank{r}.json").read_text()) for r in range(max(world, 1))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size",
        choices=["full", "small"],
        default="full",
        help="tx-1b at full size (1.02 B parameters) or small",
    )
    parser.add_argument(
        "--ranks",
        default="0,1,2,4",
        help="comma list of world sizes; 0 = one process, no sharding (the baseline: "
        "meta build, materialize, init_weights)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="launches per world size (median reported)"
    )
    parser.add_argument("--keyed", action="store_true", help="name-keyed streams instead of compat")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per launch")
    parser.add_argument("--json", metavar="OUT", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    worlds = [int(w) for w in args.ranks.split(",") if w.strip()]
    rows = []
    print(
        f"tx-1b ({args.size}), {'name-keyed' if args.keyed else 'compat'} mode, gloo on CPU, "
        f"1 torch thread per rank, medians of {args.repeat}"
    )
    print(
        "peak: the rank's resident-set high-water mark during init minus its resident set before "
        "(shards are first touched during init, so it includes them); bound: shard + largest parameter"
    )
    print(
        f"{'ranks':>13} {'init s (slowest rank)':>22} {'peak MiB/rank (max)':>20} "
        f"{'bound MiB':>10} {'shard MiB/rank':>15} {'largest param MiB':>18} {'model MiB':>10}"
    )
    for world in worlds:
        runs = [run_world(world, args.size, args.keyed, args.timeout) for _ in range(args.repeat)]
        secs = statistics.median(max(r["seconds"] for r in run) for run in runs)
        peak = statistics.median(max(r["extra_peak_mib"] for r in run) for run in runs)
        first = runs[0]
        row = {
            "ranks": world,
            "seconds": secs,
            "extra_peak_mib": peak,
            "local_mib": max(r["local_mib"] for r in first),
            "largest_param_mib": first[0]["largest_param_mib"],
            "model_mib": first[0]["model_mib"],
            "params": first[0]["params"],
            "hwm_exact": all(r["hwm_exact"] for run in runs for r in run),
            "per_rank": runs,
        }
        rows.append(row)
        bound = row["local_mib"] + row["largest_param_mib"]
        print(
            f"{world if world else '1 (unsharded)':>13} {secs:>22.2f} {peak:>20.1f} {bound:>10.1f} "
            f"{row['local_mib']:>15.1f} {row['largest_param_mib']:>18.1f} {row['model_mib']:>10.1f}",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
