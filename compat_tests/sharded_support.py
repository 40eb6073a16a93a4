"""Launch a model init on N gloo ranks (127.0.0.1, spawned, bounded in time); no tests in here.

Each rank seeds, builds the model on the meta device, shards every child and
the root with FSDP2's ``fully_shard``, allocates (``to_empty``), initialises
inside ``mminit.sharded_init()`` and writes its result to ``out/rank{r}.pt``:
the gathered full state (``DTensor.full_tensor()``, test-side only), the
local shard shapes and the ``mminit`` logger's records.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from benchmarks.procmem import reset_hwm as _reset_hwm, status_kib as _status_kib

from compat_tests.libs import Records


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn_ranks(
    fn: Callable[..., None], args: tuple[Any, ...], nprocs: int, timeout: float, what: str = "ranks"
) -> None:
    """Run ``fn(rank, *args)`` in ``nprocs`` spawned processes and wait for all of them;
    after ``timeout`` seconds kill those still alive and raise ``TimeoutError``."""
    import torch.multiprocessing as mp

    ctx = mp.start_processes(fn, args=args, nprocs=nprocs, join=False, start_method="spawn")
    deadline = time.monotonic() + timeout
    while not ctx.join(timeout=1.0):
        if time.monotonic() > deadline:
            for p in ctx.processes:
                if p.is_alive():
                    p.kill()
            raise TimeoutError(f"{nprocs} {what} did not finish within {timeout:.0f} s")


def _flavour_logger() -> logging.Logger:
    """The logger mminit's dump goes to for the flavour the models use (``MMINIT_SHARDED_FLAVOUR``)."""
    from mminit._flavour import MMCV1, MMENGINE
    from mminit._logging import get_logger

    return get_logger(
        MMENGINE if os.environ.get("MMINIT_SHARDED_FLAVOUR", "mmengine") == "mmengine" else MMCV1
    )


def _worker(
    rank: int,
    world: int,
    port: int,
    out: str,
    builder: str,
    seed: int,
    keyed: bool,
    mode: str,
    file_log: bool = False,
) -> None:
    import torch.distributed as dist
    from torch.distributed.fsdp import fully_shard

    import mminit

    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group(
        "gloo", rank=rank, world_size=world, init_method=f"tcp://127.0.0.1:{port}"
    )
    try:
        mod, _, name = builder.rpartition(":")
        build: Callable[[], torch.nn.Module] = getattr(importlib.import_module(mod), name)
        logger = logging.getLogger("mminit")
        keep = Records()
        logger.addHandler(keep)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        file_handler = None
        if file_log:  # every rank logs to its own file: the dump is written to its stream
            file_handler = logging.FileHandler(Path(out) / f"rank{rank}.log")
            file_handler.setLevel(logging.INFO)
            _flavour_logger().addHandler(file_handler)
        torch.manual_seed(seed)
        with torch.device("meta"):
            model = build()
        for child in model.children():
            if any(True for _ in child.parameters()):
                fully_shard(child)
        fully_shard(model)
        model.to_empty(device="cpu")
        rss_before, hwm_reset = _status_kib("VmRSS"), _reset_hwm()
        with mminit.sharded_init(model), mminit.init_mode(mode):
            if keyed:
                with mminit.name_keyed(model, seed=seed):
                    mminit.materialize(model, device=None, warn=False)
                    model.init_weights()
            else:
                mminit.materialize(model, device=None, warn=False)
                model.init_weights()
        peak_kib = _status_kib("VmHWM") - rss_before if hwm_reset else None
        if file_handler is not None:
            _flavour_logger().removeHandler(file_handler)
            file_handler.close()
        next_draw = torch.rand(4)
        state: dict[str, Any] = {}
        local: dict[str, tuple[int, ...]] = {}
        for key, t in model.state_dict().items():
            full = t.full_tensor() if hasattr(t, "full_tensor") else t
            state[key] = full.detach().clone()
            local[key] = tuple((t.to_local() if hasattr(t, "to_local") else t).shape)
        torch.save(
            {
                "state": state,
                "local": local,
                "records": keep.records,
                "next_draw": next_draw,
                "peak_kib": peak_kib,
            },
            Path(out) / f"rank{rank}.pt",
        )
    finally:
        dist.destroy_process_group()


def run_sharded(
    world: int,
    out: Path,
    builder: str,
    seed: int,
    keyed: bool = False,
    mode: str = "compat",
    timeout: float = 180.0,
    file_log: bool = False,
) -> list[dict[str, Any]]:
    """Run :func:`_worker` on ``world`` spawned ranks; each rank's saved result, rank order.

    ``file_log``: each rank adds a ``FileHandler`` writing ``out/rank{r}.log``
    to the flavour's logger for the init.
    """
    spawn_ranks(
        _worker,
        (world, free_port(), str(out), builder, seed, keyed, mode, file_log),
        world,
        timeout,
        "gloo ranks",
    )
    return [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(world)]
