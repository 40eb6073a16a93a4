"""Checkpoint loading behind ``PretrainedInit`` (README.md: "Loading checkpoints").

Front door of the subpackage: the functions the core calls (with a
``flavour=`` keyword), the exceptions they raise, and
:func:`make_checkpoint_api`, which builds each flavour's public names.
"""

from __future__ import annotations

from .api import _load_checkpoint, _load_checkpoint_with_prefix, load_checkpoint
from .errors import (
    ChecksumError,
    DownloadError,
    InvalidSchemeArg,
    InvalidSchemePrefix,
    NotACheckpointError,
    OfflineError,
    PrefixNotFoundError,
    UnknownModelNameError,
    UnknownSchemeError,
    UnsafeCheckpointError,
    UnsupportedSourceError,
)
from .public import CheckpointAPI, make_checkpoint_api
from .sources import CheckpointLoader, checkpoint_loader
from .state_dict import load_state_dict

__all__ = [
    "CheckpointAPI",
    "CheckpointLoader",
    "ChecksumError",
    "DownloadError",
    "InvalidSchemeArg",
    "InvalidSchemePrefix",
    "NotACheckpointError",
    "OfflineError",
    "PrefixNotFoundError",
    "UnknownModelNameError",
    "UnknownSchemeError",
    "UnsafeCheckpointError",
    "UnsupportedSourceError",
    "_load_checkpoint",
    "_load_checkpoint_with_prefix",
    "checkpoint_loader",
    "load_checkpoint",
    "load_state_dict",
    "make_checkpoint_api",
]
