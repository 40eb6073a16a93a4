"""Copy a state dict into a module and report what did not match.

Unlike :meth:`torch.nn.Module.load_state_dict`, a mismatch is reported (as a
WARNING) even when ``strict`` is false, in upstream's wording:

    The model and loaded state dict do not match exactly
    <one line per shape mismatch, from torch>
    unexpected key in source state_dict: a, b
    missing keys in source state_dict: c

Missing ``num_batches_tracked`` buffers are never reported.  Only rank 0
reports or raises.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn
from torch.nn.modules.module import _IncompatibleKeys

from .._flavour import MMENGINE, Flavour
from .._parallel import dist_info, is_model_wrapper
from .messages import LoggerLike, emit

__all__ = ["load_state_dict", "mismatch_report"]


def mismatch_report(unexpected: list[str], missing: list[str], errors: list[str]) -> str | None:
    """Upstream's multi-line mismatch message, or None when everything matched."""
    lines = list(errors)
    missing = [key for key in missing if "num_batches_tracked" not in key]
    if unexpected:
        lines.append(f"unexpected key in source state_dict: {', '.join(unexpected)}\n")
    if missing:
        lines.append(f"missing keys in source state_dict: {', '.join(missing)}\n")
    if not lines:
        return None
    return "\n".join(["The model and loaded state dict do not match exactly\n", *lines])


def load_state_dict(
    module: nn.Module,
    state_dict: Mapping[str, Any],
    strict: bool = False,
    logger: LoggerLike = None,
    *,
    flavour: Flavour = MMENGINE,
) -> None:
    """Load ``state_dict`` into ``module`` and report mismatches.

    Args:
        module: the module receiving the weights (DataParallel/DDP wrappers are
            looked through at every level).
        state_dict: parameter and buffer tensors by name; its ``_metadata``
            (version information) is honoured.
        strict: raise ``RuntimeError`` with the report instead of logging it.
        logger: where the report goes: a ``logging.Logger``, ``'current'``,
            ``'silent'``, or None for stdout.
        flavour: mmengine hands each child only its own keys and runs the
            module's load-state-dict post hooks; mmcv 1.x does neither.

    Examples:
        >>> load_state_dict(nn.Linear(2, 2), {"weight": torch.zeros(2, 2)}, logger="silent")
    """
    metadata = getattr(state_dict, "_metadata", None)
    state_dict = state_dict.copy()  # type: ignore[attr-defined]
    if metadata is not None:
        state_dict._metadata = metadata  # type: ignore[attr-defined]
    walk = _Walk(flavour, metadata)
    walk.visit(module, state_dict, "")
    report = mismatch_report(walk.unexpected, walk.missing, walk.errors)
    if report is None or dist_info()[0] != 0:
        return
    if strict:
        raise RuntimeError(report)
    _log_report(report, logger, flavour)


@dataclass
class _Walk:
    """One pass over the module tree, collecting what did not load."""

    flavour: Flavour
    metadata: Any
    unexpected: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def visit(self, mod: nn.Module, local: Mapping[str, Any], prefix: str) -> None:
        """Load ``local`` into ``mod`` (keys under ``prefix``), then into its children."""
        per_child = self.flavour.state_dict_per_child
        if is_model_wrapper(mod, self.flavour, tta=True):
            mod = mod.module  # type: ignore[assignment]
        local_metadata = {} if self.metadata is None else self.metadata.get(prefix[:-1], {})
        mod._load_from_state_dict(
            local, prefix, local_metadata, True, self.missing, self.unexpected, self.errors
        )
        for name, child in mod._modules.items():
            if child is None:
                continue
            child_prefix = f"{prefix}{name}."
            if per_child:
                child_local = {k: v for k, v in local.items() if k.startswith(child_prefix)}
                self.visit(child, child_local, child_prefix)
            else:
                self.visit(child, local, child_prefix)
        if per_child:
            incompatible = _IncompatibleKeys(self.missing, self.unexpected)
            for hook in getattr(mod, "_load_state_dict_post_hooks", {}).values():
                if hook(mod, incompatible) is not None:
                    # upstream asserts here
                    raise AssertionError(
                        "load_state_dict post hooks must return None; change "
                        "incompatible_keys in place instead"
                    )


def _log_report(report: str, logger: LoggerLike, flavour: Flavour) -> None:
    """Write a non-strict mismatch report where the flavour's upstream writes it."""
    if flavour.mismatch_via_print_log or logger is None:
        emit(report, logger, logging.WARNING, flavour=flavour)
        return
    # mmcv 1.x calls logger.warning() itself: a str logger such as 'silent' fails there
    warning = getattr(logger, "warning", None)
    if warning is None:
        raise AttributeError(
            f"mmcv 1.x's load_state_dict reports mismatches with logger.warning(), and "
            f"logger={logger!r} ({type(logger).__name__}) has no warning method; pass a "
            "logging.Logger or None (upstream fails the same way)"
        )
    warning(report)
