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

import contextlib
import functools
import hashlib
import http.client
import inspect
import os
import re
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import unquote, urlparse

import torch

from . import sniff
from .env import env_flag, env_seconds
from .errors import ChecksumError, DownloadError, OfflineError

__all__ = [
    "ENV_DEADLINE",
    "ENV_OFFLINE",
    "ENV_TIMEOUT",
    "ENV_VERIFY_HASH",
    "cache_dir",
    "cached_path",
    "clean_stale_partials",
    "expected_hash_prefix",
    "fetch",
]

ENV_OFFLINE = "MMINIT_OFFLINE"
ENV_TIMEOUT = "MMINIT_DOWNLOAD_TIMEOUT"
ENV_DEADLINE = "MMINIT_DOWNLOAD_DEADLINE"
ENV_VERIFY_HASH = "MMINIT_VERIFY_HASH"
DEFAULT_TIMEOUT = 60.0
DEFAULT_DEADLINE = 3600.0
_HASH_IN_NAME = re.compile(r"-([0-9a-f]{8,64})\.[A-Za-z0-9]+$")
_CHUNK = 1 << 16
# A partial download is named <file>.<host>-<pid>.<random>.partial, so a later
# run can tell one whose writer is dead (SIGKILL, SIGTERM, power loss) from
# one that another process is still writing; <file> is shortened (a prefix and
# a hash) where the whole name would exceed the file system's limit.
_PARTIAL = re.compile(r"^(?P<name>.+)\.(?P<host>[^.]+)-(?P<pid>\d+)\.[^.]+\.partial$")
_OLD_PARTIAL_AGE = 24 * 3600.0


def cache_dir() -> str:
    """torch.hub's checkpoint directory (honours ``TORCH_HOME`` and ``set_dir``)."""
    return os.path.join(torch.hub.get_dir(), "checkpoints")


def cached_path(url: str) -> str:
    """Where ``url`` is (or would be) cached."""
    name = os.path.basename(unquote(urlparse(url).path))
    if not name or name in {".", ".."} or "\x00" in name:
        raise ValueError(
            f"cannot derive a file name from the URL {url!r}: its path must end in a file "
            f"name such as model.pth, got {name!r}"
        )
    return os.path.join(cache_dir(), name)


def expected_hash_prefix(url: str) -> str | None:
    """The sha256 prefix a file name like ``resnet50-0676ba61.pth`` promises."""
    match = _HASH_IN_NAME.search(os.path.basename(urlparse(url).path))
    return match.group(1) if match else None


@functools.cache
def _announce_stream_name() -> str:
    """Where torch.hub writes its ``Downloading:`` line: stdout, or stderr on older torch
    (2.1 does); read from ``load_state_dict_from_url``'s source."""
    import torch.hub

    try:
        source = inspect.getsource(torch.hub.load_state_dict_from_url)
    except (OSError, TypeError):
        return "stdout"
    return "stderr" if "sys.stderr.write(f'Downloading" in source else "stdout"


def _announce_stream() -> Any:
    return sys.stderr if _announce_stream_name() == "stderr" else sys.stdout


def _timeout() -> float:
    return env_seconds(ENV_TIMEOUT, DEFAULT_TIMEOUT)


def _deadline() -> float:
    return env_seconds(ENV_DEADLINE, DEFAULT_DEADLINE)


def _set_read_timeout(response: http.client.HTTPResponse, seconds: float) -> None:
    raw = getattr(response.fp, "raw", None)
    sock = getattr(raw, "_sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def _stream(url: str, out_path: str) -> str:
    """Write the body of ``url`` to ``out_path``; return its sha256 hex digest."""
    digest = hashlib.sha256()
    received = 0
    timeout, total = _timeout(), _deadline()
    started = time.monotonic()
    ends = started + total
    request = urllib.request.Request(url, headers={"User-Agent": "mminit"})

    def too_slow() -> DownloadError:
        return DownloadError(
            f"downloading {url} took longer than {total:g} s in total and was stopped after "
            f"{received} bytes (set {ENV_DEADLINE} to allow longer); nothing was cached"
        )

    try:
        with (
            urllib.request.urlopen(request, timeout=min(timeout, total)) as response,
            open(out_path, "wb") as out,
        ):
            announced = response.headers.get("Content-Length")
            while True:
                left = ends - time.monotonic()
                if left <= 0:
                    raise too_slow()
                _set_read_timeout(response, min(timeout, left))
                # read1: return what has arrived, so the byte count and the
                # deadline are checked however slowly the server trickles.
                chunk = response.read1(_CHUNK)
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
    except TimeoutError as exc:
        if time.monotonic() >= ends - 0.01:
            raise too_slow() from exc
        raise DownloadError(
            f"downloading {url} timed out after {received} bytes (no data for {timeout:g} s; "
            f"set {ENV_TIMEOUT} to wait longer); nothing was cached"
        ) from exc
    except DownloadError:
        raise
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"downloading {url} failed: {exc}") from exc
    if announced is not None and announced.isdigit() and received != int(announced):
        raise DownloadError(
            f"downloading {url} was cut short: got {received} of {announced} bytes; "
            "nothing was cached"
        )
    return digest.hexdigest()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return True
    return True


def clean_stale_partials(directory: str) -> list[str]:
    """Delete partial downloads left by dead writers; return the removed paths.

    A partial is stale when it was written on this host by a process that no
    longer exists, or when nothing touched it for a day (another host, or a
    name from an older mminit).
    """
    removed: list[str] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    host, now = socket.gethostname().replace(".", "_"), time.time()
    for name in names:
        if not name.endswith(".partial"):
            continue
        path = os.path.join(directory, name)
        match = _PARTIAL.match(name)
        try:
            stale = (
                match is not None and match["host"] == host and not _pid_alive(int(match["pid"]))
            )
            stale = stale or now - os.path.getmtime(path) > _OLD_PARTIAL_AGE
            if stale:
                os.remove(path)
                removed.append(path)
        except OSError:
            continue
    return removed


def _cache_error(directory: str, exc: OSError) -> DownloadError:
    return DownloadError(
        f"cannot write to the download cache {directory} ({type(exc).__name__}: {exc}); set "
        "TORCH_HOME to a writable directory, or put the file there yourself"
    )


def _name_max(directory: str) -> int:
    """The longest file name (in bytes) the file system of ``directory`` takes."""
    try:
        return int(os.pathconf(directory, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows), or no limit known
        return 255


def _fit(name: str, limit: int) -> str:
    """``name`` itself if it is at most ``limit`` bytes, else a prefix of it plus a hash of
    the whole (so that two long names sharing a prefix stay apart)."""
    if len(os.fsencode(name)) <= limit:
        return name
    tag = "~" + hashlib.sha256(os.fsencode(name)).hexdigest()[:12]
    keep = max(limit - len(tag), 1)
    head = name
    while len(os.fsencode(head)) > keep:
        head = head[:-1]
    return head + tag


_RANDOM_PART = 8  # tempfile.mkstemp's random characters


def _partial_prefix(directory: str, target: str) -> str:
    """``<file>.<host>-<pid>.`` for the temporary name, the file part shortened (hashed)
    where the whole would exceed the file system's name limit."""
    host = socket.gethostname().replace(".", "_")
    tail = f".{host}-{os.getpid()}."
    room = _name_max(directory) - len(os.fsencode(tail)) - _RANDOM_PART - len(".partial")
    return _fit(os.path.basename(target), room) + tail


def _check_name_length(url: str, target: str) -> None:
    directory, name = os.path.split(target)
    limit = _name_max(directory)
    if len(os.fsencode(name)) > limit:
        raise DownloadError(
            f"cannot cache {url}: its file name is {len(os.fsencode(name))} bytes long and the "
            f"file system of {directory} takes names of at most {limit} bytes; download it "
            "yourself under a shorter name and load that file"
        )


def _download(url: str, target: str, verify_hash: bool) -> None:
    directory = os.path.dirname(target)
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise _cache_error(directory, exc) from exc
    _check_name_length(url, target)
    try:
        clean_stale_partials(directory)
        fd, partial = tempfile.mkstemp(
            prefix=_partial_prefix(directory, target),
            suffix=".partial",
            dir=directory,
        )
        os.close(fd)
    except OSError as exc:
        raise _cache_error(directory, exc) from exc
    try:
        sha256 = _stream(url, partial)
        prefix = expected_hash_prefix(url)
        if prefix is not None and verify_hash and not sha256.startswith(prefix):
            raise ChecksumError(
                f"sha256 of {url} is {sha256}, but its file name promises a hash starting "
                f"with {prefix}; the download was deleted (set {ENV_VERIFY_HASH}=0 to skip "
                "this check)"
            )
        if not target.endswith(".safetensors"):
            problem = sniff.is_complete(partial)
            if problem is not None:
                raise DownloadError(
                    f"downloading {url} did not give a checkpoint: {problem.replace(partial, target)}; "
                    "nothing was cached"
                )
        try:
            os.replace(partial, target)
        except OSError as exc:
            raise _cache_error(directory, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            os.remove(partial)


def fetch(url: str) -> str:
    """Return the local path of ``url``, downloading it on first use.

    With ``MMINIT_OFFLINE=1`` nothing is downloaded: a cached copy is used or
    :class:`OfflineError` names the file that was looked for.
    """
    target = cached_path(url)
    if os.path.isfile(target):
        return target
    verify_hash = env_flag(ENV_VERIFY_HASH, True)  # every setting is checked before any request
    _timeout(), _deadline()
    if env_flag(ENV_OFFLINE, False):
        raise OfflineError(
            f"{ENV_OFFLINE} is set: not downloading {url}; looked for the cached file {target}, "
            "which does not exist (copy the file there or unset the variable)"
        )
    # torch.hub announces downloads with this line; upstream goes through it.
    _announce_stream().write(f'Downloading: "{url}" to {target}\n')
    _download(url, target, verify_hash)
    return target
