"""Read one checkpoint file: ``torch.load`` (safe by default) or safetensors.

Upstream calls ``torch.load`` with torch's default for ``weights_only`` on
local files and ``weights_only=False`` on downloads.  mminit always loads with
``weights_only=True`` unless the caller opts in, either with the keyword
``weights_only=False`` or with ``MMINIT_ALLOW_UNSAFE_PICKLE=1``.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import pickle
import sys
import zipfile
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, Union

import torch

from .._compat import add_note
from . import restricted, safe_globals, sniff
from .env import env_flag
from .errors import NotACheckpointError, UnsafeCheckpointError, UnsupportedSourceError

__all__ = [
    "ENV_ALLOW_UNSAFE",
    "MapLocation",
    "check_local_file",
    "check_map_location",
    "load_pickle",
    "mmap_reads",
    "read_file",
    "use_weights_only",
]

ENV_ALLOW_UNSAFE = "MMINIT_ALLOW_UNSAFE_PICKLE"
MapLocation = Union[str, torch.device, "dict[str, str]", Any, None]
# torch.load's failures on a damaged file; re-raised with the file's path.
_LOAD_ERRORS = (
    RuntimeError,
    EOFError,
    ValueError,
    IndexError,
    KeyError,
    OSError,
    pickle.UnpicklingError,
)
_MMAP: ContextVar[bool] = ContextVar("mminit_mmap_reads", default=False)


@contextlib.contextmanager
def mmap_reads() -> Iterator[None]:
    """Inside the block, zip-format checkpoints are read with ``torch.load(mmap=True)``.

    Their tensors then map the file instead of being read into memory: a
    sharded model's ranks copy only the slices their shards cover
    (:func:`mminit.sharded_init`).  Legacy (non-zip) files are read whole.
    """
    token = _MMAP.set(True)
    try:
        yield
    finally:
        _MMAP.reset(token)


def _mmap_kwargs(path: str) -> dict[str, Any]:
    if _MMAP.get() and zipfile.is_zipfile(path):
        return {"mmap": True}
    return {}


def use_weights_only(weights_only: bool | None) -> bool:
    """The effective ``weights_only``: the keyword wins, then the env var."""
    if weights_only is not None:
        return bool(weights_only)
    return not env_flag(ENV_ALLOW_UNSAFE, False)


def check_local_file(path: str) -> None:
    """Raise ``FileNotFoundError`` (upstream's type) unless ``path`` is a file."""
    if os.path.isdir(path):
        inside = sorted(
            n
            for n in os.listdir(path)
            if n.endswith((".pth", ".pt", ".ckpt", ".bin", ".safetensors"))
        )
        hint = (
            (
                f"; checkpoint-like files in it: {', '.join(inside[:5])}"
                + (" ..." if len(inside) > 5 else "")
            )
            if inside
            else ""
        )
        raise FileNotFoundError(
            f"checkpoint path {path} is a directory, not a file: pass the checkpoint file "
            f"itself{hint}"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint file {path} can not be found")


def _torch_has_weights_only() -> bool:
    return "weights_only" in inspect.signature(torch.load).parameters


def _refusal(path: str, detail: str) -> str:
    return (
        f"refusing to load {path}: {detail}. Unpickling such a file can run arbitrary "
        "code, so mminit loads checkpoints with torch.load(weights_only=True) and a "
        "small allow-list of safe globals. If you trust the file's source, opt in with "
        f"weights_only=False (load_checkpoint(..., weights_only=False)) or set "
        f"{ENV_ALLOW_UNSAFE}=1."
    )


def _torch_reason(message: str) -> str:
    """The unpickler's own complaint out of torch's long weights_only message."""
    _, found, rest = message.partition("WeightsUnpickler error:")
    if not found:
        return "torch's weights_only unpickler refused it"
    lines = [line.strip() for line in rest.splitlines() if line.strip()]
    kept = [line for line in lines if not line.startswith("Check the documentation")]
    return " ".join(kept[:2]).rstrip(".") or "torch's weights_only unpickler refused it"


def _needed_globals(path: str) -> list[str] | None:
    """Globals the file needs beyond torch's own allow-list; None if unknown."""
    finder = getattr(torch.serialization, "get_unsafe_globals_in_checkpoint", None)
    if finder is None:
        return None
    try:
        return sorted(finder(path))
    except (ValueError, RuntimeError, OSError, pickle.UnpicklingError, EOFError):
        return None  # not a zip checkpoint; torch.load decides


def _legacy_unsafe_globals(path: str) -> list[str] | None:
    """Globals of a legacy-format file beyond torch's allow-list; None if unknown."""
    try:
        from torch._weights_only_unpickler import _get_allowed_globals
    except ImportError:  # pragma: no cover - older torch
        return None
    try:
        found = sniff.pickle_globals(path)
    except OSError:
        return None
    allowed = set(_get_allowed_globals())
    user: list[Any] = getattr(torch.serialization, "get_safe_globals", list)()
    allowed.update(
        f"{getattr(g, '__module__', '')}.{getattr(g, '__qualname__', '')}"
        if not isinstance(g, tuple)
        else g[1]
        for g in user
    )
    return sorted(name for name in found if name not in allowed)


@contextlib.contextmanager
def _extra_safe_globals(pairs: list[tuple[Any, str]]) -> Iterator[None]:
    ctx = getattr(torch.serialization, "safe_globals", None)
    if ctx is None or not pairs:
        yield
        return
    with ctx(pairs):
        yield


def load_pickle(path: str, map_location: MapLocation, weights_only: bool) -> Any:
    """``torch.load`` of a local file, restricted as mminit restricts checkpoints unless
    ``weights_only`` is False (on torch < 2.5 through :mod:`.restricted`: no
    ``TypedStorage`` warning, numpy values allowed); :func:`mmap_reads` applies."""
    return _torch_load(path, map_location, weights_only)


def _torch_load(path: str, map_location: MapLocation, weights_only: bool) -> Any:
    if not weights_only:
        extra = {"weights_only": False} if _torch_has_weights_only() else {}
        return torch.load(path, map_location=map_location, **extra, **_mmap_kwargs(path))
    if not _torch_has_weights_only():
        raise UnsafeCheckpointError(
            _refusal(path, f"torch {torch.__version__} has no weights_only loading")
        )
    if restricted.needs_own_unpickler():
        return _restricted_load(path, map_location)
    needed = _needed_globals(path)
    if needed is None:  # a legacy-format file: read its globals with pickletools
        needed = _legacy_unsafe_globals(path)
    if needed is None:  # no way to ask in advance: offer the cheap names only
        needed = [n for n in safe_globals.ALLOWED_NAMES if n.startswith("numpy.")]
        needed += [n for n in safe_globals.ALLOWED_NAMES if n.rpartition(".")[0] in sys.modules]
    else:
        refused = [name for name in needed if not safe_globals.allowed(name)]
        if refused:
            raise UnsafeCheckpointError(
                _refusal(
                    path, "it needs pickle globals outside the allow-list: " + ", ".join(refused)
                )
            )
    try:
        with _extra_safe_globals(safe_globals.resolve(needed)):
            return torch.load(
                path, map_location=map_location, weights_only=True, **_mmap_kwargs(path)
            )
    except pickle.UnpicklingError as exc:
        if isinstance(exc, UnsafeCheckpointError) or "eights only load failed" not in str(exc):
            raise
        raise UnsafeCheckpointError(_refusal(path, _torch_reason(str(exc)))) from exc


def _outside(path: str, names: list[str]) -> UnsafeCheckpointError:
    return UnsafeCheckpointError(
        _refusal(path, "it needs pickle globals outside the allow-list: " + ", ".join(names))
    )


def _split(dotted: str) -> tuple[str, str]:
    module, _, name = dotted.rpartition(".")
    return module, name


def _restricted_load(path: str, map_location: MapLocation) -> Any:
    """``weights_only`` on torch < 2.5: mminit's restricted unpickler (:mod:`.restricted`)."""
    try:
        found = [restricted.python3_name(*_split(name)) for name in sniff.pickle_globals(path)]
    except (OSError, zipfile.BadZipFile, RuntimeError):
        found = []  # unreadable here: torch.load names the damage, find_class still guards
    torch_names = restricted.torch_allowed_names()
    needed = [name for name in found if name not in torch_names]
    refused = [name for name in needed if not safe_globals.allowed(name)]
    if refused:
        raise _outside(path, refused)
    module = restricted.restricted_pickle_module(needed, lambda names: _outside(path, names))
    return torch.load(
        path,
        map_location=map_location,
        pickle_module=module,
        weights_only=False,
        **_mmap_kwargs(path),
    )


def _safetensors_load(path: str, map_location: MapLocation) -> dict[str, torch.Tensor]:
    try:
        from safetensors.torch import load_file
    except ImportError as exc:
        raise UnsupportedSourceError(
            f"{path} is a .safetensors file; reading it needs the optional dependency "
            "'safetensors' (pip install safetensors, or pip install 'mminit[safetensors]')"
        ) from exc
    if isinstance(map_location, (str, torch.device)):
        device = str(map_location)
    else:  # None, dict or callable: read to the CPU as torch.load would
        device = "cpu"
    try:
        return load_file(path, device=device)
    except Exception as exc:  # safetensors' own error types (SafetensorError ...) name no file
        if path in str(exc):
            raise
        _raise_naming(exc, f"reading the safetensors file {path} failed: {exc}", path)
        raise  # pragma: no cover - _raise_naming always raises


def _raise_naming(exc: BaseException, message: str, path: str) -> None:
    """Raise ``exc``'s type with ``message``, or ``exc`` with a note naming ``path``."""
    try:
        renamed = type(exc)(message)
    except Exception:  # noqa: BLE001 - an exception type with another signature
        add_note(exc, f"while loading {path}")
        raise exc from None
    raise renamed from exc


def check_map_location(path: str, map_location: MapLocation) -> None:
    """Raise ``TypeError`` (what ``torch.load`` ends in, upstream) for a ``map_location``
    that is none of the forms ``torch.load`` takes, naming the file and the value."""
    if map_location is None or callable(map_location):
        return
    if isinstance(map_location, (str, torch.device, dict)):
        return
    raise TypeError(
        f"cannot load {path}: map_location={map_location!r} ({type(map_location).__name__}) is "
        "not one torch.load takes; use None, a device string ('cpu', 'cuda:0'), a torch.device, "
        "a dict mapping saved locations to new ones ({'cuda:1': 'cuda:0'}), or a callable "
        "(storage, location) -> storage"
    )


def read_file(
    path: str, map_location: MapLocation, weights_only: bool | None, *, cached: bool = False
) -> Any:
    """Deserialise the checkpoint at ``path`` (already local).

    A file that is not a checkpoint at all is a :class:`NotACheckpointError`
    saying what it is; any other failure names ``path`` (and, for a file from
    the download cache, that deleting it makes the next run download again).
    """
    where = f"the cached download {path}" if cached else path
    advice = " (delete it to download it again)" if cached else ""
    check_map_location(where, map_location)
    if path.endswith(".safetensors"):
        return _safetensors_load(path, map_location)
    problem = sniff.not_a_checkpoint(path)
    if problem is not None:
        raise NotACheckpointError(
            f"{where} is not a checkpoint: it is {problem}; torch.save writes a zip archive "
            f"or a pickle{advice}"
        )
    try:
        return _torch_load(path, map_location, use_weights_only(weights_only))
    except (UnsafeCheckpointError, NotACheckpointError) as exc:
        if cached and path in str(exc):
            raise type(exc)(f"{exc}{advice}") from exc
        raise
    except _LOAD_ERRORS as exc:
        if path in str(exc):
            raise
        try:
            renamed = type(exc)(f"loading {where} failed: {exc}{advice}")
        except Exception:  # noqa: BLE001 - an exception type with another signature
            add_note(exc, f"while loading {where}{advice}")
            raise exc from None
        raise renamed from exc
