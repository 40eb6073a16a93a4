"""The public checkpoint API of one flavour, with upstream's signatures.

``mminit`` exposes mmengine 0.10.7's ``mmengine.runner.checkpoint`` names and
``mminit.mmcv1`` mmcv 1.7.2's ``mmcv.runner`` names: ``load_checkpoint``,
``_load_checkpoint``, ``_load_checkpoint_with_prefix``, ``load_state_dict``
and ``CheckpointLoader``.  Each function takes upstream's arguments, in
upstream's order, plus mminit's keyword-only ``weights_only`` where a file is
read (see :func:`mminit._checkpoint.loading.use_weights_only`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from torch import nn

from .._flavour import Flavour
from . import api
from .loading import MapLocation
from .messages import LoggerLike
from .sources import CheckpointLoader, checkpoint_loader
from .state_dict import load_state_dict as _load_state_dict

__all__ = ["CheckpointAPI", "make_checkpoint_api"]


@dataclass(frozen=True)
class CheckpointAPI:
    """One flavour's public checkpoint functions and its ``CheckpointLoader``."""

    load_checkpoint: Any
    load_checkpoint_raw: Any  # ``_load_checkpoint``
    load_checkpoint_with_prefix: Any  # ``_load_checkpoint_with_prefix``
    load_state_dict: Any
    CheckpointLoader: type[CheckpointLoader]


def make_checkpoint_api(flavour: Flavour, module_name: str) -> CheckpointAPI:
    """The five public checkpoint names of ``flavour``, as ``module_name`` shows them."""
    functions = (*_loaders(flavour), *_prefix_and_state_dict(flavour))
    for fn in functions:
        fn.__module__ = module_name
        fn.__qualname__ = fn.__name__
    return CheckpointAPI(*functions, checkpoint_loader(flavour))


def _loaders(flavour: Flavour) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``load_checkpoint`` and ``_load_checkpoint`` of ``flavour``."""

    def load_checkpoint(
        model: nn.Module,
        filename: str,
        map_location: MapLocation = None,
        strict: bool = False,
        logger: LoggerLike = None,
        revise_keys: Sequence[tuple[str, str]] = [(r"^module\.", "")],
        *,
        weights_only: bool | None = None,
    ) -> Any:
        """Load a checkpoint from a file or URI into ``model``; return the whole checkpoint.

        Args:
            model: receives the weights (DataParallel/DDP wrappers are looked through).
            filename: local path (``~`` expanded), ``http(s)://`` URL,
                ``torchvision://``, ``open-mmlab://``, ``mmcls://`` name, or a
                prefix registered with ``CheckpointLoader.register_scheme``.
            map_location: as for :func:`torch.load`.
            strict: raise ``RuntimeError`` on missing, unexpected or
                shape-mismatched keys instead of reporting them.
            logger: where the loading line and the mismatch report go (a
                ``logging.Logger``, ``'current'``, ``'silent'``, None: stdout).
            revise_keys: ``(pattern, replacement)`` regex pairs applied to
                every key in order; the default strips DataParallel's ``module.``.
            weights_only: None: safe loading unless
                ``MMINIT_ALLOW_UNSAFE_PICKLE`` is set; False: allow arbitrary
                unpickling for this call; True: always safe.

        Examples:
            >>> ckpt = load_checkpoint(model, "work_dirs/epoch_12.pth", map_location="cpu")
            >>> ckpt = load_checkpoint(model, "open-mmlab://resnet50_caffe", strict=True)
        """
        return api.load_checkpoint(
            model,
            filename,
            map_location,
            strict,
            logger,
            revise_keys,
            flavour=flavour,
            weights_only=weights_only,
            model_key=False,
        )

    def _load_checkpoint(
        filename: str,
        map_location: MapLocation = None,
        logger: LoggerLike = None,
        *,
        weights_only: bool | None = None,
    ) -> Any:
        """Read a checkpoint from a path, URL or model-zoo name (see ``load_checkpoint``).

        Examples:
            >>> ckpt = _load_checkpoint("~/ckpt/resnet50.pth", map_location="cpu")
        """
        return api._load_checkpoint(
            filename, map_location, logger, flavour=flavour, weights_only=weights_only
        )

    return load_checkpoint, _load_checkpoint


def _prefix_and_state_dict(flavour: Flavour) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``_load_checkpoint_with_prefix`` and ``load_state_dict`` of ``flavour``."""

    def _load_checkpoint_with_prefix(
        prefix: str,
        filename: str,
        map_location: MapLocation = None,
        *,
        weights_only: bool | None = None,
    ) -> dict[str, Any]:
        """The weights under ``prefix`` (trailing dot optional), with the prefix removed.

        Raises ``PrefixNotFoundError`` (an ``AssertionError``, upstream's type)
        listing the checkpoint's top-level prefixes when nothing matches.

        Examples:
            >>> backbone = _load_checkpoint_with_prefix("backbone", "detector.pth")
        """
        return api._load_checkpoint_with_prefix(
            prefix,
            filename,
            map_location,
            flavour=flavour,
            weights_only=weights_only,
            model_key=False,
        )

    def load_state_dict(
        module: nn.Module,
        state_dict: Mapping[str, Any],
        strict: bool = False,
        logger: logging.Logger | str | None = None,
    ) -> None:
        """Load ``state_dict`` into ``module``, reporting mismatches even when not strict.

        Examples:
            >>> load_state_dict(nn.Linear(2, 2), {"weight": torch.zeros(2, 2)})
        """
        _load_state_dict(module, state_dict, strict, logger, flavour=flavour)

    return _load_checkpoint_with_prefix, load_state_dict
