"""Fast mode: every parameter filled once, with its final initializer.

``init_weights(mode="fast")`` (or ``with mminit.init_mode("fast")``) records
each fill an ``init_cfg`` asks for and, for each parameter, applies only the
last one, when the parameter's fate is sealed (the end of init, or before code
mminit does not control reads it).  Distributions and init-info strings are
the compat mode's (a random fill is taken to change a parameter's mean, which
compat mode checks; they differ only if a random draw reproduces the previous
mean exactly); the random stream is not (fewer numbers are drawn), so the
values differ from upstream's.  Truncated normals are drawn in fp32 and cast,
so low-precision parameters get the intended distribution.  Parameters a
``Pretrained`` entry will load are not filled first.  A model on the ``meta``
device is materialised on the CPU first, and whatever no initializer wrote is
reported with a :class:`UncoveredWarning`.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional, Sequence

import torch
from torch import Tensor, nn

from ._engine import InitEngine
from ._fills import FillSpec, apply_fill

__all__ = ["FastInitEngine", "UncoveredWarning", "materialise_meta"]

_LOW_PRECISION = (torch.float16, torch.bfloat16)


class UncoveredWarning(UserWarning):
    """Fast mode materialised a meta-device model and some tensors were never written."""


def materialise_meta(root: nn.Module) -> Optional[dict[str, int]]:
    """Move a model with meta tensors to the CPU (uninitialised storage).

    Returns the version counter of each parameter and buffer right after, so
    :meth:`FastInitEngine.report_uncovered` can tell which ones were written.
    """
    tensors = list(root.parameters()) + list(root.buffers())
    if not any(t.is_meta for t in tensors):
        return None
    root.to_empty(device="cpu")
    return {name: t._version for name, t in _named_tensors(root)}


def _named_tensors(root: nn.Module) -> list[tuple[str, Tensor]]:
    return list(root.named_parameters()) + list(root.named_buffers())


def _apply_once(p: Tensor, spec: FillSpec) -> None:
    if spec.kind == "trunc_normal" and p.dtype in _LOW_PRECISION:
        scratch = torch.empty(p.shape, dtype=torch.float32, device=p.device)
        apply_fill(scratch, spec)
        with torch.no_grad():
            p.copy_(scratch)
    else:
        apply_fill(p, spec)


class FastInitEngine(InitEngine):
    """An :class:`InitEngine` that defers every fill and runs only the last per parameter."""

    def __init__(self, table: Any, meta_versions: Optional[dict[str, int]] = None) -> None:
        super().__init__(table)
        self._pending: dict[int, tuple[FillSpec, str]] = {}
        self._written: set[int] = set()
        self._meta_versions = meta_versions

    def write(self, p: Tensor, spec: FillSpec, info: str) -> None:
        st = self._state(p)
        self._pending[id(p)] = (spec, info)
        st.observed = []
        st.dirty = True

    def check(self, module: nn.Module, info: str) -> None:
        rest = []
        for name, p in module.named_parameters():
            pending = self._pending.get(id(p))
            if pending is None:
                rest.append((name, p))
            elif self._states[id(p)].dirty:
                self._pending[id(p)] = (pending[0], info)  # the info this value was checked with
                self._states[id(p)].dirty = False
        self._check_params(module, rest, info)

    def _settle(self, params: Sequence[Tensor]) -> None:
        due = [p for p in params if id(p) in self._pending]
        # A constant may leave the mean where it was (BatchNorm's ones filled with 1):
        # measure before.  A random fill is taken to change it, saving a pass.
        self._ensure_baseline([p for p in due if self._pending[id(p)][0].kind == "constant"])
        for p in due:
            spec, _ = self._pending[id(p)]
            _apply_once(p, spec)
            self._written.add(id(p))
        for p, mean in zip(due, self._means(due)):
            _, info = self._pending.pop(id(p))
            entry = self.table[p]
            if "tmp_mean_value" not in entry or mean != entry["tmp_mean_value"]:
                entry["init_info"], entry["tmp_mean_value"] = info, mean
            self._states[id(p)].dirty = False
        super()._settle([p for p in params if id(p) not in self._pending])

    def drop(self, params: Sequence[Tensor]) -> None:
        """Forget the pending fills of ``params`` (a checkpoint is about to load them)."""
        for p in params:
            if self._pending.pop(id(p), None) is not None:
                self._written.add(id(p))

    def report_uncovered(self, root: nn.Module) -> None:
        """Warn about meta-materialised tensors that nothing wrote."""
        if self._meta_versions is None:
            return
        untouched = [name for name, t in _named_tensors(root)
                     if t._version == self._meta_versions.get(name) and id(t) not in self._written]
        if untouched:
            warnings.warn(
                f"fast init materialised {type(root).__name__} from the meta device; "
                f"{len(untouched)} tensor(s) were written by no initializer and hold "
                f"uninitialised memory: {', '.join(untouched)}",
                UncoveredWarning,
                stacklevel=3,
            )
