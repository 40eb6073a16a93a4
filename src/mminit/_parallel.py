"""The process's rank, and the model wrappers upstream looks through.

Both are read without importing anything new: the default process group of
``torch.distributed``, and upstream's own wrapper test only when the program
has already imported it (see :attr:`~mminit._flavour.Flavour.model_wrapper_check`).
"""

from __future__ import annotations

import sys

from torch import distributed as dist, nn

from ._flavour import Flavour

__all__ = ["dist_info", "is_model_wrapper", "is_rank_zero"]

_TORCH_WRAPPERS = (nn.DataParallel, nn.parallel.DistributedDataParallel)


def dist_info() -> tuple[int, int]:
    """``(rank, world_size)`` of the default process group, ``(0, 1)`` without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_rank_zero() -> bool:
    """Whether this process is rank 0 (always, without a process group)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0  # the rank only: the world size is not needed
    return True


def _upstream_attr(where: tuple[str, str]) -> object | None:
    """``module.attribute`` if the program has imported ``module``, else None."""
    module = sys.modules.get(where[0])
    return None if module is None else getattr(module, where[1], None)


def is_model_wrapper(module: nn.Module, flavour: Flavour, *, tta: bool = False) -> bool:
    """Whether ``module`` is a wrapper whose ``.module`` holds the model.

    torch's DataParallel/DDP always are; upstream's wrapper registry can only
    hold more when upstream is imported, so it is consulted only then.  With
    ``tta`` the flavour's test-time-augmentation wrapper class counts too (as
    in upstream's ``load_state_dict``).
    """
    if isinstance(module, _TORCH_WRAPPERS):
        return True
    check = _upstream_attr(flavour.model_wrapper_check)
    if callable(check) and check(module):
        return True
    if not tta or flavour.tta_wrapper_class is None:
        return False
    tta_class = _upstream_attr(flavour.tta_wrapper_class)
    return isinstance(tta_class, type) and isinstance(module, tta_class)
