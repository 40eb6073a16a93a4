"""Meta-device models: materialise them so that compat init equals the CPU-built model.

A model built under ``torch.device("meta")`` has no values and its construction
drew no random numbers: every ``nn.Linear``/``nn.Conv*``/``nn.Embedding`` built
on the CPU draws its default initialisation (``reset_parameters``) in its
``__init__``, and those draws move the global generator before ``init_weights``
runs.  :func:`materialize` allocates the tensors (``to_empty``) and replays that
default initialisation in construction order, so a later ``init_weights()`` in
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


def _resetters(module: nn.Module) -> list:
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


def materialize(
    model: nn.Module, device: str | torch.device | None = "cpu", *, warn: bool = True,
) -> tuple[str, ...]:
    """Allocate ``model``'s meta tensors on ``device`` and replay construction-time init.

    After ``torch.manual_seed(s)`` and building the model under
    ``torch.device("meta")``, ``materialize(model)`` followed by
    ``model.init_weights()`` (or ``mminit.init_weights(model)``) gives exactly
    the weights of the same model built on the CPU after ``torch.manual_seed(s)``
    and initialised the same way.  ``Pretrained`` entries then load straight
    into the materialised tensors.

    Args:
        model: the model; tensors already off the meta device are kept and their
            modules' default initialisation is replayed too (as construction
            would have drawn it).
        device: where meta tensors are allocated (``"cpu"``, ``"cuda:0"``);
            ``None`` replays on the tensors where they are, meta ones included.
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
    was_meta = {name for name, t in _named_tensors(model).items() if t.is_meta}
    if was_meta and device is not None:
        model.to_empty(device=device)
    tensors = _named_tensors(model)
    before = {name: tensors[name]._version for name in was_meta}
    with torch.no_grad():
        for _, module in construction_order(model):
            for reset in _resetters(module):
                reset()
    tensors = _named_tensors(model)
    unwritten = tuple(name for name in tensors if name in before and tensors[name]._version == before[name])
    if unwritten and warn:
        shown = ", ".join(unwritten[:8]) + (f" and {len(unwritten) - 8} more" if len(unwritten) > 8 else "")
        warnings.warn(
            f"materialize({type(model).__name__}): {len(unwritten)} tensor(s) built on the meta device have "
            f"no default initialisation (reset_parameters) and hold uninitialised memory until "
            f"init_weights or a checkpoint writes them: {shown}",
            MaterializeWarning, stacklevel=2,
        )
    return unwritten


