"""Initialising models whose parameters are sharded DTensors (FSDP2 ``fully_shard``).

Inside ``with mminit.sharded_init():`` (entered on every rank) a random fill of
a ``DTensor`` (``uniform_``, ``normal_``... every ``torch.nn.init`` function and
mminit initializer ends in one) draws the parameter's *full* value on every
rank from the generator it would have used in one process, keeps this rank's
shard and frees the rest; deterministic transforms (``erfinv_``, ``mul_``,
``fill_``, ``clamp_``) run on the shards as they are.  The generator advances
exactly as in one process, so the gathered state is bit-identical to
single-process init under the same seed (compat mode: upstream's values) and
peak extra memory is one full parameter.  ``Tensor.mean`` of a DTensor (the
init-info bookkeeping) is computed on the shards and all-reduced by DTensor:
no parameter is gathered.  Non-zero ranks drop the ``mminit`` logger's records
for the block, so the init-info dump happens on rank 0 only (mmengine's
``MMLogger`` already logs only on rank 0).  ``fully_shard`` swaps each sharded
module's class for ``FSDP<Name>``; inside the block those classes carry their
original names, so init-info strings and warnings name ``Net``, as in one
process.  ``Pretrained`` entries: zip-format checkpoints are read memory-mapped
(``torch.load(mmap=True)``) and copying a checkpoint's full tensor into a
DTensor copies only the slice this rank's shard covers, so no rank reads the
whole model's weights.  Only ``torch.distributed`` is used.

Inside a :func:`mminit.name_keyed` block the full value is drawn from the
parameter's keyed stream instead.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor, nn
from torch.overrides import TorchFunctionMode

from .._checkpoint.loading import mmap_reads
from .keyed import RandomCall, _is_dtensor, active_name_keyed, random_call

__all__ = ["sharded_init"]

_MEANS = frozenset({Tensor.mean, torch.mean})
_COPIES = frozenset({Tensor.copy_})


class _DropRecords(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


class _Scratch:
    """One flat buffer per (dtype, device), grown to the largest parameter drawn, reused.

    A fresh full-size tensor per parameter would leave the allocator holding
    freed blocks (glibc keeps them in its heap), so per-rank memory would grow
    past the shard plus one parameter; one reused buffer keeps it there.
    """

    def __init__(self) -> None:
        self._buffers: dict[tuple[torch.dtype, torch.device], Tensor] = {}

    def full(self, shape: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> Tensor:
        numel = 1
        for n in shape:
            numel *= n
        buf = self._buffers.get((dtype, device))
        if buf is None or buf.numel() < numel:
            self._buffers.pop((dtype, device), None)
            del buf
            buf = torch.empty(numel, dtype=dtype, device=device)
            self._buffers[(dtype, device)] = buf
        return buf[:numel].view(shape)

    def clear(self) -> None:
        self._buffers.clear()


def _full_draw(call: RandomCall, scratch: _Scratch) -> None:
    target: Any = call.target
    gen = call.generator
    keyed = active_name_keyed()
    if gen is None and keyed is not None:
        gen = keyed.keyed_generator(call)
    full = scratch.full(tuple(target.shape), target.dtype, target.to_local().device)
    call.run(full, gen)  # the draw one process makes, into the whole parameter
    shard = _local_piece(target, full)
    with torch.no_grad():
        target.copy_(shard)  # local copy through the DTensor, so its version counts the write


def _local_piece(target: Any, full: Tensor) -> Any:
    """The part of ``full`` (a whole parameter's value) that ``target``'s local shard covers, as a DTensor."""
    from torch.distributed.tensor import DTensor
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

    shape = tuple(target.shape)
    local = target.to_local()
    local_shape, offset = compute_local_shape_and_global_offset(
        shape, target.device_mesh, target.placements
    )
    if tuple(local_shape) != tuple(local.shape):
        raise RuntimeError(
            f"sharded_init: the local shard of a {shape} parameter is {tuple(local.shape)} "
            f"but placements {target.placements} give {tuple(local_shape)}; "
            f"only shardings that DTensor describes by its placements are supported"
        )
    piece = full[tuple(slice(o, o + n) for o, n in zip(offset, local_shape))]
    if piece.device != local.device:
        piece = piece.to(local.device)  # only the slice moves
    return DTensor.from_local(
        piece,
        target.device_mesh,
        target.placements,
        run_check=False,
        shape=target.shape,
        stride=target.stride(),
    )


def _copy_into_shard(target: Any, src: Tensor) -> None:
    """``target.copy_(src)`` for a whole-parameter plain ``src`` (a checkpoint's tensor).

    Only the slice of ``src`` this rank's shard covers is read: with the
    checkpoint memory-mapped (``torch.load(mmap=True)``), no rank reads the
    full parameter.
    """
    if tuple(src.shape) != tuple(target.shape):
        src = src.expand(target.shape)  # copy_'s broadcasting, as a view
    target.copy_(_local_piece(target, src))


class _ShardedMode(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.scratch = _Scratch()

    def __torch_function__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = dict(kwargs or {})
        call = random_call(func, args, kwargs)
        if call is not None and _is_dtensor(call.target):
            _full_draw(call, self.scratch)
            return call.target
        if (
            func in _COPIES
            and len(args) >= 2
            and _is_dtensor(args[0])
            and isinstance(args[1], Tensor)
            and not _is_dtensor(args[1])
        ):
            _copy_into_shard(args[0], args[1])  # a checkpoint's full tensor into a shard
            return args[0]
        out = func(*args, **kwargs)
        if func in _MEANS and args and _is_dtensor(args[0]) and _is_dtensor(out):
            return out.full_tensor()  # a replicated scalar: no gather of the parameter
        return out


def _rank() -> int:
    import torch.distributed as dist

    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def _fsdp_classes(model: nn.Module) -> dict[type, str]:
    """``fully_shard``'s ``FSDP<Name>`` classes in ``model`` and the names of the classes they wrap."""
    try:
        from torch.distributed.fsdp import FSDPModule
    except ImportError:  # pragma: no cover - torch without FSDP2
        return {}
    found: dict[type, str] = {}
    for module in model.modules():
        cls = type(module)
        if cls in found or not isinstance(module, FSDPModule):
            continue
        wrapped = [b for b in cls.__bases__ if b is not FSDPModule]
        if len(wrapped) == 1 and cls.__name__ == f"FSDP{wrapped[0].__name__}":
            found[cls] = wrapped[0].__name__
    return found


@contextlib.contextmanager
def sharded_init(model: nn.Module) -> Iterator[None]:
    """Initialise DTensor-sharded parameters as one process would (enter on every rank).

    Example (every rank, after ``dist.init_process_group``)::

        torch.manual_seed(0)
        with torch.device("meta"):
            model = build()
        for layer in model.layers:
            fully_shard(layer)
        fully_shard(model)
        model.to_empty(device="cpu")
        with mminit.sharded_init(model):
            mminit.materialize(model, device=None)  # torch layers' default init
            model.init_weights()                     # compat mode: upstream's values

    Args:
        model: the model being initialised (its ``FSDP<Name>`` classes are
            named ``Name`` inside the block).

    Raises:
        TypeError: ``model`` is not an ``nn.Module``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(
            f"sharded_init() expects the model (an nn.Module), got {type(model).__name__}"
        )
    renamed = _fsdp_classes(model)
    originals = {cls: (cls.__name__, cls.__qualname__) for cls in renamed}
    logger = logging.getLogger("mminit")
    drop = _DropRecords() if _rank() != 0 else None
    if drop is not None:
        logger.addFilter(drop)
    try:
        for cls, name in renamed.items():
            cls.__name__ = cls.__qualname__ = name
        mode = _ShardedMode()
        try:
            with mode, mmap_reads():
                yield
        finally:
            mode.scratch.clear()
    finally:
        for cls, (name, qualname) in originals.items():
            cls.__name__, cls.__qualname__ = name, qualname
        if drop is not None:
            logger.removeFilter(drop)
