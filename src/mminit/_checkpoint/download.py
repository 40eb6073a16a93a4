"""Download a URL once into torch.hub's checkpoint cache.

The cache is torch.hub's: ``<torch.hub.get_dir()>/checkpoints``, that is
``$TORCH_HOME/hub/checkpoints`` (``TORCH_HOME`` defaults to
``$XDG_CACHE_HOME/torch``, then ``~/.cache/torch``), so files fetched by
upstream are reused and the other way round.  A file is written to a temporary
name in the cache directory and moved into place only when it is complete (the
announced ``Content-Length`` arrived) and, for OpenMMLab/torchvision style
names ``<name>-<8+ hex digits>.<ext>``, its sha256 starts with those digits.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import sys
import tempfile
import urllib.error
import urllib.request
from urllib.parse import urlparse

import torch

from .errors import ChecksumError, DownloadError, OfflineError

__all__ = [
    "ENV_OFFLINE",
    "ENV_TIMEOUT",
    "ENV_VERIFY_HASH",
    "cache_dir",
    "cached_path",
    "expected_hash_prefix",
    "fetch",
]

ENV_OFFLINE = "MMINIT_OFFLINE"
ENV_TIMEOUT = "MMINIT_DOWNLOAD_TIMEOUT"
ENV_VERIFY_HASH = "MMINIT_VERIFY_HASH"
_HASH_IN_NAME = re.compile(r"-([0-9a-f]{8,64})\.[A-Za-z0-9]+$")
_CHUNK = 1 << 16


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def cache_dir() -> str:
    """torch.hub's checkpoint directory (honours ``TORCH_HOME`` and ``set_dir``)."""
    return os.path.join(torch.hub.get_dir(), "checkpoints")


def cached_path(url: str) -> str:
    """Where ``url`` is (or would be) cached."""
    name = os.path.basename(urlparse(url).path)
    if not name:
        raise ValueError(f"cannot derive a file name from the URL {url!r}")
    return os.path.join(cache_dir(), name)


def expected_hash_prefix(url: str) -> str | None:
    """The sha256 prefix a file name like ``resnet50-0676ba61.pth`` promises."""
    match = _HASH_IN_NAME.search(os.path.basename(urlparse(url).path))
    return match.group(1) if match else None


def _timeout() -> float:
    raw = os.environ.get(ENV_TIMEOUT, "").strip()
    if not raw:
        return 60.0
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{ENV_TIMEOUT} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{ENV_TIMEOUT} must be positive, got {raw!r}")
    return value


def _stream(url: str, out_path: str) -> str:
    """Write the body of ``url`` to ``out_path``; return its sha256 hex digest."""
    digest = hashlib.sha256()
    received = 0
    request = urllib.request.Request(url, headers={"User-Agent": "mminit"})
    try:
        with urllib.request.urlopen(request, timeout=_timeout()) as response, open(
            out_path, "wb"
        ) as out:
            announced = response.headers.get("Content-Length")
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"downloading {url} failed: HTTP {exc.code} {exc.reason}") from exc
    except http.client.IncompleteRead as exc:
        raise DownloadError(
            f"downloading {url} was cut short after {received + len(exc.partial)} bytes "
            f"({exc.expected} more expected); nothing was cached"
        ) from exc
    except (socket.timeout, TimeoutError) as exc:
        raise DownloadError(
            f"downloading {url} timed out after {received} bytes (no data for {_timeout()} s; "
            f"set {ENV_TIMEOUT} to wait longer); nothing was cached"
        ) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"downloading {url} failed: {exc}") from exc
    if announced is not None and announced.isdigit() and received != int(announced):
        raise DownloadError(
            f"downloading {url} was cut short: got {received} of {announced} bytes; "
            "nothing was cached"
        )
    return digest.hexdigest()


def _download(url: str, target: str) -> None:
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=os.path.basename(target) + ".", suffix=".partial", dir=directory)
    os.close(fd)
    try:
        sha256 = _stream(url, partial)
        prefix = expected_hash_prefix(url)
        if prefix is not None and _env_flag(ENV_VERIFY_HASH, True) and not sha256.startswith(prefix):
            raise ChecksumError(
                f"sha256 of {url} is {sha256}, but its file name promises a hash starting "
                f"with {prefix}; the download was deleted (set {ENV_VERIFY_HASH}=0 to skip "
                "this check)"
            )
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def fetch(url: str) -> str:
    """Return the local path of ``url``, downloading it on first use.

    With ``MMINIT_OFFLINE=1`` nothing is downloaded: a cached copy is used or
    :class:`OfflineError` names the file that was looked for.
    """
    target = cached_path(url)
    if os.path.isfile(target):
        return target
    if _env_flag(ENV_OFFLINE, False):
        raise OfflineError(
            f"{ENV_OFFLINE}=1: not downloading {url}; looked for the cached file {target}, "
            "which does not exist (copy the file there or unset the variable)"
        )
    # torch.hub announces downloads on stdout with this line; upstream goes through it.
    sys.stdout.write(f'Downloading: "{url}" to {target}\n')
    _download(url, target)
    return target
