"""``load_checkpoint`` and its helpers, as mmengine / mmcv 1.x expose them."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

from .._flavour import MMENGINE, Flavour
from .errors import PrefixNotFoundError
from .loading import MapLocation
from .messages import LoggerLike
from .sources import read_checkpoint
from .state_dict import load_state_dict

__all__ = [
    "_load_checkpoint",
    "_load_checkpoint_with_prefix",
    "load_checkpoint",
    "weights_of",
]


def weights_of(checkpoint: Any, model_key: bool = True) -> Any:
    """The weights inside a checkpoint.

    ``checkpoint['state_dict']`` as upstream does; with ``model_key`` (what
    ``Pretrained`` does) mminit also unwraps ``checkpoint['model']`` (DeiT /
    detectron2 / timm training files) when there is no ``state_dict``, where
    upstream (and the public ``load_checkpoint``) treats ``'model'`` as a key.
    """
    if not isinstance(checkpoint, Mapping):
        return checkpoint
    if "state_dict" in checkpoint:
        return checkpoint["state_dict"]
    if model_key and isinstance(checkpoint.get("model"), Mapping):
        return checkpoint["model"]
    return checkpoint


def _load_checkpoint(
    filename: str,
    map_location: MapLocation = None,
    logger: LoggerLike = None,
    *,
    flavour: Flavour = MMENGINE,
    weights_only: bool | None = None,
) -> Any:
    """Read a checkpoint from a path, URL or model-zoo name.

    Args:
        filename: local path (``~`` expanded), ``http(s)://`` URL,
            ``torchvision://``, ``open-mmlab://``, ``openmmlab://``,
            ``mmcls://`` or (deprecated) ``modelzoo://`` name; ``.safetensors``
            files are read with safetensors.
        map_location: as for :func:`torch.load`.
        logger: where the ``Loads checkpoint ...`` line goes (None: stdout).
        flavour: whose messages to write.
        weights_only: None loads with ``torch.load(weights_only=True)`` unless
            ``MMINIT_ALLOW_UNSAFE_PICKLE=1``; False allows arbitrary unpickling.

    Examples:
        >>> ckpt = _load_checkpoint("~/ckpt/resnet50.pth", map_location="cpu")
    """
    return read_checkpoint(
        filename, map_location, logger, flavour=flavour, weights_only=weights_only
    )


def _load_checkpoint_with_prefix(
    prefix: str,
    filename: str,
    map_location: MapLocation = None,
    *,
    flavour: Flavour = MMENGINE,
    weights_only: bool | None = None,
    model_key: bool = True,
) -> dict[str, Any]:
    """The weights under ``prefix`` (trailing dot optional), with it removed.

    The loading line goes to stdout, as upstream's does here.

    Raises:
        PrefixNotFoundError: no key starts with ``prefix``; the message lists
            the top-level prefixes the checkpoint has.

    Examples:
        >>> backbone = _load_checkpoint_with_prefix("backbone", "detector.pth")
    """
    checkpoint = _load_checkpoint(
        filename, map_location=map_location, flavour=flavour, weights_only=weights_only
    )
    weights = weights_of(checkpoint, model_key)
    if not prefix.endswith("."):
        prefix += "."
    selected = {
        key[len(prefix) :]: value for key, value in weights.items() if key.startswith(prefix)
    }
    if not selected:
        tops = list(dict.fromkeys(str(key).split(".", 1)[0] for key in weights))
        raise PrefixNotFoundError(
            f"{prefix} is not in the pretrained model {filename}: no key starts with "
            f"{prefix!r}; its top-level prefixes are: {', '.join(tops) or '(none, it is empty)'}"
        )
    return selected


def load_checkpoint(
    model: nn.Module,
    filename: str,
    map_location: MapLocation = None,
    strict: bool = False,
    logger: LoggerLike = None,
    revise_keys: Sequence[tuple[str, str]] = [(r"^module\.", "")],
    *,
    flavour: Flavour = MMENGINE,
    weights_only: bool | None = None,
    model_key: bool = True,
) -> Any:
    """Load a checkpoint into ``model`` and return the whole checkpoint.

    Args:
        model: receives the weights.
        filename: see :func:`_load_checkpoint`.
        map_location: as for :func:`torch.load`.
        strict: raise on any mismatch instead of logging it.
        logger: where the loading line and the mismatch report go.
        revise_keys: ``(pattern, replacement)`` regex pairs applied to every
            key in order; the default strips a DataParallel ``module.`` prefix.
        flavour: whose messages and loading rules to follow.
        weights_only: see :func:`_load_checkpoint`.
        model_key: also take the weights from ``checkpoint['model']`` when
            there is no ``state_dict`` (``Pretrained``; not upstream's).

    Examples:
        >>> ckpt = load_checkpoint(model, "https://download.openmmlab.com/x-0123abcd.pth")
    """
    checkpoint = _load_checkpoint(
        filename, map_location, logger, flavour=flavour, weights_only=weights_only
    )
    if not isinstance(checkpoint, dict):
        raise RuntimeError(f"No state_dict found in checkpoint file {filename}")  # noqa: TRY004 (upstream's type)
    weights = weights_of(checkpoint, model_key)
    metadata = getattr(weights, "_metadata", OrderedDict())
    revised: Any = weights
    for pattern, replacement in revise_keys:
        revised = OrderedDict(
            (re.sub(pattern, replacement, key), value) for key, value in revised.items()
        )
    try:  # upstream keeps the metadata on the (revised) weights
        revised._metadata = metadata
    except AttributeError as exc:
        # Upstream oddity, kept: with revise_keys=[] the weights are not copied
        # into an OrderedDict, and a plain dict cannot carry _metadata. Python's own
        # message first (3.13 words it differently), as upstream's is that message.
        raise AttributeError(
            f"{exc}: with "
            "revise_keys=[] the checkpoint's weights must be an OrderedDict (as "
            "model.state_dict() returns), as upstream requires; got a "
            f"{type(revised).__name__} from {filename} (pass revise_keys=[(r'^module\\.', '')] "
            "or save an OrderedDict)"
        ) from None
    load_state_dict(model, revised, strict, logger, flavour=flavour)
    return checkpoint
