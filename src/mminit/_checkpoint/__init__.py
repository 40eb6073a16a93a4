"""Checkpoint loading behind ``PretrainedInit`` (see ``README_SECTION.md``).

Public front door of the subpackage: the four functions the core calls, in
both flavours, plus the exceptions they raise.
"""

from __future__ import annotations

from .api import _load_checkpoint, _load_checkpoint_with_prefix, load_checkpoint
from .errors import (
    ChecksumError,
    DownloadError,
    OfflineError,
    PrefixNotFoundError,
    UnknownModelNameError,
    UnknownSchemeError,
    UnsafeCheckpointError,
    UnsupportedSourceError,
)
from .state_dict import load_state_dict

__all__ = [
    "ChecksumError",
    "DownloadError",
    "OfflineError",
    "PrefixNotFoundError",
    "UnknownModelNameError",
    "UnknownSchemeError",
    "UnsafeCheckpointError",
    "UnsupportedSourceError",
    "_load_checkpoint",
    "_load_checkpoint_with_prefix",
    "load_checkpoint",
    "load_state_dict",
]
