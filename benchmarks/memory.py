"""Peak memory of one contender, measured in a fresh process.

Run as ``python -m benchmarks.memory --model vit-b --variant floor``; prints
one JSON line.  On CPU, torch tensors live outside Python's allocator
(``tracemalloc`` does not see them), so we read the kernel's figures for the
process: after building the model we reset the resident-set high-water mark
(``echo 5 > /proc/self/clear_refs``), run the contender once, and report
``VmHWM`` (peak resident set) minus the resident set before the call: the
extra memory the init needed at its peak, above the model itself.  Where
resetting is impossible, ``ru_maxrss`` before and after is used instead
(a lower bound when the build peaked higher).  On CUDA the figure is
``torch.cuda.max_memory_allocated`` minus the memory allocated before.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
from collections.abc import Sequence

import torch

from .measure import quiet_logs
from .models import FAMILIES
from .procmem import reset_hwm as _reset_hwm, status_kib as _status_kib
from .variants import VARIANTS, ModelBench

__all__ = ["main", "measure_peak"]

MiB = 1024 * 1024


def measure_peak(family: str, size: str, variant: str, device: torch.device) -> dict[str, object]:
    """Build ``family`` for ``variant`` alone, run it once, report its peak memory."""
    bench = ModelBench(family, size, device, (variant,))
    if variant not in bench.variants:
        return {"variant": variant, "skipped": "; ".join(bench.notes)}
    run = bench.runner(variant)
    torch.manual_seed(0)
    gc.collect()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        run()
        torch.cuda.synchronize(device)
        peak = torch.cuda.max_memory_allocated(device)
        return {
            "variant": variant,
            "method": "cuda.max_memory_allocated",
            "before_mib": before / MiB,
            "peak_mib": peak / MiB,
            "extra_mib": (peak - before) / MiB,
        }
    rss_before = _status_kib("VmRSS")
    if _reset_hwm():
        method = "VmHWM after clear_refs"
        run()
        peak = _status_kib("VmHWM")
    else:
        method = "ru_maxrss"
        run()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "variant": variant,
        "method": method,
        "before_mib": rss_before / 1024,
        "peak_mib": peak / 1024,
        "extra_mib": (peak - rss_before) / 1024,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, choices=sorted(FAMILIES))
    parser.add_argument("--size", default="full", choices=("full", "small"))
    parser.add_argument("--variant", required=True, choices=VARIANTS)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    quiet_logs()
    result = measure_peak(args.model, args.size, args.variant, torch.device(args.device))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
