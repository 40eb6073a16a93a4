"""Exceptions raised while finding, fetching and reading checkpoints.

Each one subclasses the exception type upstream raises in the same situation,
so ``except`` clauses written against mmengine / mmcv keep working.
"""

from __future__ import annotations

import pickle
import re
import urllib.error

__all__ = [
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
]


class PrefixNotFoundError(ValueError, AssertionError):
    """No key of the checkpoint starts with the requested prefix.

    Upstream asserts here, hence ``AssertionError``; ``ValueError`` keeps the
    check meaningful under ``python -O``.
    """


class UnknownSchemeError(FileNotFoundError):
    """A ``scheme://`` that mminit does not know.

    Upstream hands unknown schemes to its local-file loader, which raises
    ``FileNotFoundError``.
    """


class UnsupportedSourceError(ImportError):
    """A source upstream reads through an optional client mminit does not ship
    (``pavi://``, ``s3://``, ``petrel://``) or a missing optional dependency."""


class UnknownModelNameError(KeyError):
    """A model-zoo name that is not in the table (upstream: ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class DownloadError(urllib.error.URLError):
    """A download failed or was cut short; nothing was written to the cache."""

    def __str__(self) -> str:  # URLError's "<urlopen error ...>" wrapping
        return str(self.reason)


class ChecksumError(RuntimeError):
    """Downloaded bytes do not match the sha256 prefix in the file name
    (torch.hub raises ``RuntimeError`` for this)."""


class OfflineError(FileNotFoundError):
    """``MMINIT_OFFLINE=1`` and the file is not in the cache."""


class UnsafeCheckpointError(pickle.UnpicklingError):
    """The checkpoint needs unpickling that could run arbitrary code."""


class NotACheckpointError(pickle.UnpicklingError):
    """The file is not a checkpoint at all (an HTML page, text, an empty file ...).

    Upstream's ``torch.load`` fails on such files with an ``UnpicklingError``
    (``invalid load key``); this one says what the file is instead.
    """


class InvalidSchemeArg(TypeError, AssertionError):
    """``register_scheme`` got prefixes that are neither a str nor a list/tuple
    (upstream asserts; ``TypeError`` keeps the check under ``python -O``)."""


class InvalidSchemePrefix(re.error, ValueError):
    """A ``register_scheme`` prefix is not a valid regular expression.

    Upstream accepts it and then fails every later load with this ``re.error``
    (naming no scheme); mminit refuses it when it is registered.
    """
