"""Meta-device models: materialise them so that compat init equals the CPU-built model.

A model built under ``torch.device("meta")`` has no values and its construction
drew no random numbers: every ``nn.Linear``/``nn.Conv*``/``nn.Embedding`` built
on the CPU draws its default initialisation (``reset_parameters``) in its
``__init__``, and those draws move the global generator before ``init_weights``
runs.  :func:`materialize` allocates the meta tensors (empty, as ``to_empty``
does, but a tied tensor once and tensors off the meta device left alone) and
replays that default initialisation in construction order, so a later ``init_weights()`` in
any mode starts from the same values and the same generator state as on a model
built on the CPU under the same seed: compat mode is then bit-identical to
upstream's init of the CPU-built model.

Construction order is taken to be the module tree in post-order (children
before their parent, siblings in registration order): a module's ``__init__``
builds its children before it resets its own parameters (``nn.MultiheadAttention``
builds ``out_proj``, then resets itself).  Replayed are ``reset_parameters``
of every module and ``_reset_parameters`` of ``torch.nn`` classes
(``MultiheadAttention``, ``Transformer``).  Values a constructor computes
otherwise (``nn.Parameter(torch.randn(...))``, buffers filled from
``torch.arange``) do not exist on the meta device; their names are returned
(and warned about) so an ``init_cfg`` or checkpoint can be checked to cover them.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["MaterializeWarning", "construction_order", "materialize"]


class MaterializeWarning(UserWarning):
    """:func:`materialize` left tensors that no default initialisation wrote."""


def construction_order(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``model``'s modules (each once) in the order their ``__init__`` reset them: post-order."""
    seen: set[int] = set()
    order: list[tuple[str, nn.Module]] = []

    def visit(prefix: str, module: nn.Module) -> None:
        if id(module) in seen:
            return
        seen.add(id(module))
        for name, child in module.named_children():
            visit(f"{prefix}.{name}" if prefix else name, child)
        order.append((prefix, module))

    visit("", model)
    return order


def _resetters(module: nn.Module) -> list[Any]:
    calls = []
    reset = getattr(module, "reset_parameters", None)
    if callable(reset):
        calls.append(reset)
    private = getattr(module, "_reset_parameters", None)
    if callable(private) and type(module).__module__.startswith("torch.nn"):
        calls.append(private)
    return calls


def _named_tensors(model: nn.Module) -> dict[str, Tensor]:
    out: dict[str, Tensor] = dict(model.named_parameters(remove_duplicate=True))
    out.update(model.named_buffers(remove_duplicate=True))
    return out


def _allocate(model: nn.Module, device: str | torch.device) -> None:
    """Give each meta tensor memory on ``device`` (``to_empty``'s empty tensors), leaving
    tensors off the meta device alone and a tensor held in several places one tensor."""
    new: dict[int, Tensor] = {}  # id of the meta tensor -> its replacement, for every holder
    with torch.no_grad():
        for module in model.modules():
            for key, p in module._parameters.items():
                if p is not None and p.is_meta:
                    if id(p) not in new:
                        new[id(p)] = nn.Parameter(
                            torch.empty_like(p, device=device), p.requires_grad
                        )
                    module._parameters[key] = new[id(p)]  # type: ignore[assignment]
            for key, b in module._buffers.items():
                if b is not None and b.is_meta:
                    if id(b) not in new:
                        new[id(b)] = torch.empty_like(b, device=device)
                    module._buffers[key] = new[id(b)]


def _direct_tensors(module: nn.Module) -> list[Tensor]:
    return [
        t
        for t in list(module._parameters.values()) + list(module._buffers.values())
        if t is not None
    ]


def _first_holders(model: nn.Module) -> dict[int, nn.Module]:
    """For each tensor, the module taken to have made it: the first holding it in the module
    tree (``named_modules`` order), so an ancestor before its descendants and, of two
    siblings, the one registered first (``self.dec.weight = self.embed.weight``)."""
    holder: dict[int, nn.Module] = {}
    for module in model.modules():
        for t in _direct_tensors(module):
            holder.setdefault(id(t), module)
    return holder


def _replay(model: nn.Module, kept: set[int]) -> set[int]:
    """Run every module's default initialisation in construction order, drawing what
    construction drew, while writing only what construction's draws would have left.

    A module's resets write into its subtree, except into tensors in ``kept`` (which held
    real values before :func:`materialize`) and into tensors made by a module outside its
    subtree (``b.weight = a.weight``: on the CPU ``b``'s draw went into ``b``'s own weight,
    since replaced); those are put back after its resets.  Returns the ids of the
    tensors some reset wrote (and that were not put back).
    """
    order = construction_order(model)
    holder = _first_holders(model)
    written: set[int] = set()
    for _, module in order:
        resets = _resetters(module)
        if not resets:
            continue
        inside = {id(m) for m in module.modules()}
        seen: set[int] = set()
        saved: list[tuple[Tensor, Tensor]] = []
        watched: list[tuple[Tensor, int]] = []
        for sub in module.modules():
            for t in _direct_tensors(sub):
                if id(t) in seen:
                    continue
                seen.add(id(t))
                if id(t) in kept or id(holder[id(t)]) not in inside:
                    if not t.is_meta:
                        saved.append((t, t.detach().clone()))
                else:
                    watched.append((t, t._version))
        for reset in resets:
            reset()
        for t, value in saved:
            t.copy_(value)
        written.update(id(t) for t, version in watched if t._version != version)
    return written


def materialize(
    model: nn.Module,
    device: str | torch.device | None = "cpu",
    *,
    warn: bool = True,
) -> tuple[str, ...]:
    """Allocate ``model``'s meta tensors on ``device`` and replay construction-time init.

    After ``torch.manual_seed(s)`` and building the model under
    ``torch.device("meta")``, ``materialize(model)`` followed by
    ``model.init_weights()`` (or ``mminit.init_weights(model)``) gives exactly
    the weights of the same model built on the CPU after ``torch.manual_seed(s)``
    and initialised the same way.  ``Pretrained`` entries then load straight
    into the materialised tensors.

    Tied tensors stay tied: a tensor held by several modules (``b.weight =
    a.weight``) is allocated once and gets the values of the module that made
    it, as on the CPU (``b``'s draw went into the tensor it owned before the
    tie).  The maker is taken to be the first holder in ``named_modules`` order:
    an ancestor before its descendants, of two siblings the one registered first.

    Args:
        model: the model.  If some of its tensors are on the meta device, only
            those are allocated and written: tensors off the meta device (values
            assigned or loaded before ``materialize``) keep their values, while
            their modules' default initialisation still runs (its writes to them
            are undone), so that the random stream advances as construction
            advanced it.  If none is (a CPU model, or one already ``to_empty``-ed
            for sharding), every module's default initialisation is replayed
            into its tensors.
        device: where meta tensors are allocated (``"cpu"``, ``"cuda:0"``);
            ``None`` replays on the tensors where they are (meta ones stay meta,
            the others are written, as in the ``to_empty`` + ``sharded_init``
            flow).
        warn: emit a :class:`MaterializeWarning` naming the tensors that were on
            the meta device and that no default initialisation wrote.

    Returns:
        The qualified names of those unwritten tensors (their memory is
        uninitialised until ``init_weights`` or a checkpoint writes them).

    Raises:
        TypeError: ``model`` is not an ``nn.Module``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"materialize() expects an nn.Module, got {type(model).__name__}")
    tensors = _named_tensors(model)
    was_meta = {name for name, t in tensors.items() if t.is_meta}
    kept: set[int] = set()
    if was_meta and device is not None:
        kept = {id(t) for t in tensors.values() if not t.is_meta}  # real values: keep them
        _allocate(model, device)
    with torch.no_grad():
        written = _replay(model, kept)
    tensors = _named_tensors(model)
    unwritten = tuple(
        name for name, t in tensors.items() if name in was_meta and id(t) not in written
    )
    if unwritten and warn:
        shown = ", ".join(unwritten[:8]) + (
            f" and {len(unwritten) - 8} more" if len(unwritten) > 8 else ""
        )
        warnings.warn(
            f"materialize({type(model).__name__}): {len(unwritten)} tensor(s) built on the meta device have "
            f"no default initialisation (reset_parameters) and hold uninitialised memory until "
            f"init_weights or a checkpoint writes them: {shown}",
            MaterializeWarning,
            stacklevel=2,
        )
    return unwritten
