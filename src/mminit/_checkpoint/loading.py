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
from collections.abc import Iterator
from typing import Any, Union

import torch

from . import safe_globals
from .errors import UnsafeCheckpointError, UnsupportedSourceError

__all__ = ["ENV_ALLOW_UNSAFE", "MapLocation", "read_file", "use_weights_only"]

ENV_ALLOW_UNSAFE = "MMINIT_ALLOW_UNSAFE_PICKLE"
_TRUE = {"1", "true", "yes", "on"}
MapLocation = Union[str, torch.device, "dict[str, str]", Any, None]


def use_weights_only(weights_only: bool | None) -> bool:
    """The effective ``weights_only``: the keyword wins, then the env var."""
    if weights_only is not None:
        return bool(weights_only)
    return os.environ.get(ENV_ALLOW_UNSAFE, "").strip().lower() not in _TRUE


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


@contextlib.contextmanager
def _extra_safe_globals(pairs: list[tuple[Any, str]]) -> Iterator[None]:
    ctx = getattr(torch.serialization, "safe_globals", None)
    if ctx is None or not pairs:
        yield
        return
    with ctx(pairs):
        yield


def _torch_load(path: str, map_location: MapLocation, weights_only: bool) -> Any:
    if not weights_only:
        extra = {"weights_only": False} if _torch_has_weights_only() else {}
        return torch.load(path, map_location=map_location, **extra)
    if not _torch_has_weights_only():
        raise UnsafeCheckpointError(
            _refusal(path, f"torch {torch.__version__} has no weights_only loading")
        )
    needed = _needed_globals(path)
    if needed is None:  # no way to ask in advance: offer the cheap names only
        needed = [n for n in safe_globals.ALLOWED_NAMES if n.startswith("numpy.")]
        needed += [n for n in safe_globals.ALLOWED_NAMES if n.rpartition(".")[0] in sys.modules]
    else:
        refused = [name for name in needed if not safe_globals.allowed(name)]
        if refused:
            raise UnsafeCheckpointError(
                _refusal(path, "it needs pickle globals outside the allow-list: " + ", ".join(refused))
            )
    try:
        with _extra_safe_globals(safe_globals.resolve(needed)):
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if isinstance(exc, UnsafeCheckpointError) or "eights only load failed" not in str(exc):
            raise
        raise UnsafeCheckpointError(_refusal(path, _torch_reason(str(exc)))) from exc


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
    return load_file(path, device=device)


def read_file(path: str, map_location: MapLocation, weights_only: bool | None) -> Any:
    """Deserialise the checkpoint at ``path`` (already local)."""
    if path.endswith(".safetensors"):
        return _safetensors_load(path, map_location)
    return _torch_load(path, map_location, use_weights_only(weights_only))
