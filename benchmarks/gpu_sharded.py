"""Sharded init on NCCL, on every GPU this machine has (a device-machine check, not a CI test).

Usage::

    python -m benchmarks.gpu_sharded [--mode compat] [--flavour mmengine|mmcv1]

Each rank binds to its own GPU, builds :mod:`compat_tests.sharded_models`' net on
the meta device, shards every child and the root with FSDP2's ``fully_shard`` on
an NCCL mesh, allocates on CUDA and initialises inside ``mminit.sharded_init()``
(``materialize`` first, so the construction draws are replayed).  The gathered
state must equal upstream's single-process init of the same net built directly
on ``cuda:0`` from the same seed (CUDA's generator on both sides).  Prints one
``PASS``/``FAIL`` line per tensor group and exits 1 on any difference.  Needs
mmengine 0.10.7 (or mmcv 1.7.2 with ``--flavour mmcv1``) for the reference.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _rank(rank: int, world: int, port: int, out: str, seed: int, mode: str, device: str) -> None:
    import torch.distributed as dist
    from compat_tests.sharded_models import mminit_net
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    import mminit

    if device == "cuda":
        torch.cuda.set_device(rank)
    dist.init_process_group(
        "nccl" if device == "cuda" else "gloo",
        rank=rank,
        world_size=world,
        init_method=f"tcp://127.0.0.1:{port}",
    )
    try:
        mesh = init_device_mesh(device, (world,))
        torch.manual_seed(seed)
        with torch.device("meta"):
            model = mminit_net()
        for child in model.children():
            if any(True for _ in child.parameters()):
                fully_shard(child, mesh=mesh)
        fully_shard(model, mesh=mesh)
        model.to_empty(device=device)
        with mminit.sharded_init(model), mminit.init_mode(mode):
            mminit.materialize(model, device=None, warn=False)
            model.init_weights()
        state = {
            k: (t.full_tensor() if hasattr(t, "full_tensor") else t).detach().cpu()
            for k, t in model.state_dict().items()
        }
        if rank == 0:
            torch.save(state, Path(out) / "state.pt")
    finally:
        dist.destroy_process_group()


def _reference(seed: int, device: str) -> dict[str, torch.Tensor]:
    from compat_tests.sharded_models import upstream_net

    torch.manual_seed(seed)
    with torch.device("cuda:0" if device == "cuda" else "cpu"):
        model = upstream_net()
    model.init_weights()
    return {k: t.detach().cpu() for k, t in model.state_dict().items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.gpu_sharded", description=__doc__.splitlines()[0]
    )
    p.add_argument("--mode", default="compat", choices=("compat", "eager"))
    p.add_argument("--flavour", default="mmengine", choices=("mmengine", "mmcv1"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--cpu-ranks",
        type=int,
        default=0,
        help="check the script itself on N gloo ranks on the CPU instead (no GPU needed)",
    )
    args = p.parse_args(argv)
    device = "cpu" if args.cpu_ranks else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        print("error: no CUDA device", file=sys.stderr)
        return 2
    os.environ["MMINIT_SHARDED_FLAVOUR"] = args.flavour
    import logging

    logging.disable(logging.INFO)
    world = args.cpu_ranks or torch.cuda.device_count()
    import torch.multiprocessing as mp
    from compat_tests.sharded_support import free_port

    with tempfile.TemporaryDirectory() as out:
        mp.start_processes(
            _rank,
            args=(world, free_port(), out, args.seed, args.mode, device),
            nprocs=world,
            join=True,
            start_method="spawn",
        )
        got = torch.load(Path(out) / "state.pt")
    want = _reference(args.seed, device)
    where = torch.cuda.get_device_name(0) if device == "cuda" else "the CPU (gloo)"
    bad = [k for k in want if k not in got or not torch.equal(got[k], want[k])]
    print(
        f"torch {torch.__version__}, {world} rank(s) on {where}, "
        f"flavour {args.flavour}, mode {args.mode}: {len(want) - len(bad)}/{len(want)} tensors "
        f"bit-identical to upstream's single-process init"
    )
    for k in bad:
        print(f"  MISMATCH {k}")
    print("PASS" if not bad and list(got) == list(want) else "FAIL")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
