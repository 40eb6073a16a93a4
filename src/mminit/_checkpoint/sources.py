"""``CheckpointLoader``: the scheme registry that turns a name into a checkpoint.

Each flavour has its own :class:`CheckpointLoader` subclass (``mminit`` /
``mminit.mmcv1``), with the loaders upstream registers, under upstream's
function names (the loading line prints ``__name__[10:]`` as the backend):

================================  ==============  =================================
name                              backend (log)   read from
================================  ==============  =================================
``/path``, ``~/path``, ``rel``    local           the file (``~`` expanded)
``http://``, ``https://``         http            torch.hub's cache, downloaded once
``torchvision://NAME``            torchvision     torchvision's registry -> URL
``modelzoo://NAME``               torchvision     deprecated alias of torchvision://
``open-mmlab://``/``openmmlab://``  openmmlab     mminit/zoo/openmmlab.json + user file
``mmcls://NAME``                  mmcls           mminit/zoo/mmcls.json, ``backbone.`` keys
``pavi://``, ``s3://``, ...       pavi, ceph      refused by name (OpenMMLab-internal)
================================  ==============  =================================

``register_scheme`` adds loaders ``loader(filename, map_location)`` as upstream's
does: prefixes are regular expressions matched at the start of the name,
longer (reverse-sorted) prefixes first, ``''`` (local) last.  Any other
``scheme://`` reaching the local loader is an error naming the registered
schemes (upstream would look for a local file of that name).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, ClassVar, Union

import torch

from .._flavour import MMCV1, MMENGINE, Flavour
from .._parallel import dist_info
from . import zoo
from .download import fetch
from .errors import (
    InvalidSchemeArg,
    InvalidSchemePrefix,
    UnknownSchemeError,
    UnsupportedSourceError,
)
from .loading import MapLocation, check_local_file, read_file, use_weights_only
from .messages import LoggerLike, deprecation, emit, load_message

__all__ = [
    "CheckpointLoader",
    "checkpoint_loader",
    "read_checkpoint",
    "weights_only_for_call",
]

Loader = Callable[..., Any]
Prefixes = Union[str, "list[str]", "tuple[str, ...]"]

_ANY_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")
# ``weights_only`` of the current ``_load_checkpoint`` call: upstream's loaders
# take ``(filename, map_location)`` only, so the built-in ones read it here.
_WEIGHTS_ONLY: ContextVar[bool | None] = ContextVar("mminit_weights_only", default=None)


@contextlib.contextmanager
def weights_only_for_call(weights_only: bool | None) -> Iterator[None]:
    """Make ``weights_only`` the choice of the built-in loaders in this block."""
    token = _WEIGHTS_ONLY.set(weights_only)
    try:
        yield
    finally:
        _WEIGHTS_ONLY.reset(token)


class CheckpointLoader:
    """A general checkpoint loader that manages all schemes (as upstream's).

    Use a flavour's subclass (``mminit.CheckpointLoader`` or
    ``mminit.mmcv1.CheckpointLoader``); each has its own scheme table.

    Examples:
        >>> @CheckpointLoader.register_scheme(prefixes="mystore://")
        ... def load_from_mystore(filename, map_location=None):
        ...     return torch.load(filename[len("mystore://"):], map_location=map_location)
    """

    _schemes: ClassVar[dict[str, Loader]] = {}
    _flavour: ClassVar[Flavour] = MMENGINE

    @classmethod
    def _register_scheme(cls, prefixes: Prefixes, loader: Loader, force: bool = False) -> None:
        checked = _checked_prefixes(cls, prefixes, force)  # all of them, before any is registered
        for prefix in checked:
            cls._schemes[prefix] = loader
        # upstream's order: reverse-sorted, so longer prefixes win and '' is last
        cls._schemes = OrderedDict(sorted(cls._schemes.items(), key=lambda t: t[0], reverse=True))

    @classmethod
    def register_scheme(
        cls, prefixes: Prefixes, loader: Loader | None = None, force: bool = False
    ) -> Any:
        """Register ``loader(filename, map_location)`` for names matching ``prefixes``.

        Usable as a call or, without ``loader``, as a decorator.

        Args:
            prefixes: one prefix or several; each is a regular expression
                matched at the start of the name (``'mystore://'``).
            loader: the function; the loading line names its backend as
                ``loader.__name__[10:]`` (``load_from_mystore`` -> ``mystore``).
            force: replace a loader already registered for a prefix instead
                of raising ``KeyError``.
        """
        if loader is not None:
            cls._register_scheme(prefixes, loader, force=force)
            return None

        def _register(loader_fn: Loader) -> Loader:
            cls._register_scheme(prefixes, loader_fn, force=force)
            return loader_fn

        return _register

    @classmethod
    def _get_checkpoint_loader(cls, path: str) -> Loader | None:
        """The loader of the first (longest) prefix matching ``path``."""
        for prefix in cls._schemes:
            if re.match(prefix, path) is not None:
                return cls._schemes[prefix]
        return None

    @classmethod
    def load_checkpoint(
        cls, filename: str, map_location: MapLocation = None, logger: LoggerLike = "current"
    ) -> Any:
        """Write the loading line to ``logger``, then load ``filename`` with its loader."""
        return _load_with(cls, filename, map_location, logger)


def _checked_prefixes(cls: type[CheckpointLoader], prefixes: Prefixes, force: bool) -> list[str]:
    """``prefixes`` as a list, each checked, or the error naming the first bad one.

    Upstream registers prefix by prefix and fails part-way (``KeyError`` for a
    duplicate, ``TypeError`` from its sort for a non-str, leaving that entry
    behind so every later registration fails too) or never (a prefix that is no
    valid regular expression, which then breaks every load).  Here nothing is
    registered unless every prefix is fine; the exception types stay upstream's.
    """
    if isinstance(prefixes, str):
        prefixes = [prefixes]
    elif not isinstance(prefixes, (list, tuple)):
        raise InvalidSchemeArg(
            "prefixes must be a str or a list/tuple of str, "
            f"got {type(prefixes).__name__}: {prefixes!r}"
        )
    seen: set[str] = set()
    for prefix in prefixes:
        if not isinstance(prefix, str):
            raise InvalidSchemeArg(
                f"each prefix must be a str (a regular expression matched at the start of a "
                f"checkpoint name), got {type(prefix).__name__}: {prefix!r} in {prefixes!r}; "
                "nothing was registered"
            )
        try:
            re.compile(prefix)
        except re.error as exc:
            raise InvalidSchemePrefix(
                f"prefix {prefix!r} is not a valid regular expression ({exc}); prefixes are "
                f"matched with re.match, so escape special characters (re.escape({prefix!r}) "
                f"gives {re.escape(prefix)!r}); nothing was registered",
                pattern=prefix,
            ) from None
        if (prefix in cls._schemes or prefix in seen) and not force:
            raise KeyError(
                f"{prefix} is already registered as a loader backend, "
                'add "force=True" if you want to override it'
            )
        seen.add(prefix)
    return list(prefixes)


def _load_with(
    cls: type[CheckpointLoader], filename: str, map_location: MapLocation, logger: LoggerLike
) -> Any:
    if not isinstance(filename, str):
        raise TypeError(
            f"checkpoint must be a str path or URL, got {type(filename).__name__}: {filename!r}"
        )
    loader = cls._get_checkpoint_loader(filename)
    if loader is None:  # only when someone removed the '' (local) scheme
        raise UnknownSchemeError(
            f"no checkpoint loader is registered for {filename!r}; "
            f"registered prefixes: {', '.join(map(repr, cls._schemes))}"
        )
    use_weights_only(_WEIGHTS_ONLY.get())  # a bad MMINIT_ALLOW_UNSAFE_PICKLE fails before any I/O
    backend = getattr(loader, "__name__", type(loader).__name__)[10:]
    emit(load_message(cls._flavour, backend, filename), logger, flavour=cls._flavour)
    return loader(filename, map_location)


def _known_prefixes(cls: type[CheckpointLoader]) -> str:
    return ", ".join(p for p in cls._schemes if p) + " (anything else is a local path)"


# -- the built-in loaders, under upstream's names (the loading line shows ``__name__[10:]``)
def load_from_http(filename: str, map_location: MapLocation = None) -> Any:
    # Like upstream: rank 0 downloads first, the other ranks then use its copy.
    rank, world_size = dist_info()
    path = fetch(filename) if rank == 0 else ""
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            path = fetch(filename)
    return read_file(path, map_location, _WEIGHTS_ONLY.get(), cached=True)


def load_from_pavi(filename: str, map_location: MapLocation = None) -> Any:
    raise UnsupportedSourceError(
        f"{filename}: pavi:// checkpoints need OpenMMLab's internal pavi client, which "
        "mminit does not use; download the file and pass its local path"
    )


def load_from_ceph(filename: str, map_location: MapLocation = None) -> Any:
    scheme = "petrel://" if "petrel://" in filename else "s3://"
    raise UnsupportedSourceError(
        f"{filename}: {scheme} checkpoints need OpenMMLab's internal petrel_client, "
        "which mminit does not use; download the file and pass its local path"
    )


def load_from_mmcls(filename: str, map_location: MapLocation = None) -> Any:
    url = zoo.lookup(zoo.mmcls_urls(), filename[len("mmcls://") :], "mmcls")
    checkpoint = load_from_http(url, map_location)
    weights = checkpoint.get("state_dict", checkpoint)
    # mmcls classifiers keep the backbone under 'backbone.'; only that part is kept.
    backbone = OrderedDict(
        (key[len("backbone.") :], value)
        for key, value in weights.items()
        if key.startswith("backbone.")
    )
    return {"state_dict": backbone}


# -- what the flavoured loaders do (each loader class binds them, see _flavoured_loaders)
def _read_local(cls: type[CheckpointLoader], filename: str, map_location: MapLocation) -> Any:
    unknown = _ANY_SCHEME.match(filename)
    if unknown:
        raise UnknownSchemeError(
            f"unknown checkpoint scheme {unknown.group(1)}:// in {filename!r}; known "
            f"schemes: {_known_prefixes(cls)}; register one with "
            "CheckpointLoader.register_scheme"
        )
    path = os.path.expanduser(filename)
    check_local_file(path)
    return read_file(path, map_location, _WEIGHTS_ONLY.get())


def _read_torchvision(flavour: Flavour, filename: str, map_location: MapLocation) -> Any:
    urls = zoo.torchvision_urls()
    if filename.startswith("modelzoo://"):
        deprecation(
            'The URL scheme of "modelzoo://" is deprecated, please use "torchvision://" instead',
            flavour=flavour,
        )
        name = filename[len("modelzoo://") :]
    else:
        name = filename[len("torchvision://") :]
    if flavour.torchvision_enum_names:  # e.g. 'ResNet50_Weights.IMAGENET1K_V1'
        name = name.lower().replace("_weights", "")
    return load_from_http(zoo.lookup(urls, name, "torchvision"), map_location)


def _read_openmmlab(flavour: Flavour, filename: str, map_location: MapLocation) -> Any:
    urls = zoo.openmmlab_urls(flavour)
    scheme = "open-mmlab://" if filename.startswith("open-mmlab://") else "openmmlab://"
    name = filename[len(scheme) :]
    renamed = zoo.deprecated_names()
    if name in renamed:
        deprecation(
            f"{scheme}{name} is deprecated in favor of {scheme}{renamed[name]}", flavour=flavour
        )
        name = renamed[name]
    url = zoo.lookup(urls, name, "open-mmlab")
    if url.startswith(("http://", "https://")):
        return load_from_http(url, map_location)
    path = zoo.local_entry(flavour, f"{scheme}{name}", url)
    return read_file(path, map_location, _WEIGHTS_ONLY.get())


def _flavoured_loaders(cls: type[CheckpointLoader]) -> tuple[Loader, Loader, Loader]:
    """``load_from_local``, ``load_from_torchvision`` and ``load_from_openmmlab`` of ``cls``:
    they read its scheme table or its flavour."""
    flavour = cls._flavour

    def load_from_local(filename: str, map_location: MapLocation = None) -> Any:
        return _read_local(cls, filename, map_location)

    def load_from_torchvision(filename: str, map_location: MapLocation = None) -> Any:
        return _read_torchvision(flavour, filename, map_location)

    def load_from_openmmlab(filename: str, map_location: MapLocation = None) -> Any:
        return _read_openmmlab(flavour, filename, map_location)

    return load_from_local, load_from_torchvision, load_from_openmmlab


def _register_builtins(cls: type[CheckpointLoader]) -> None:
    load_from_local, load_from_torchvision, load_from_openmmlab = _flavoured_loaders(cls)
    for prefixes, loader in (
        ("", load_from_local),
        (("http://", "https://"), load_from_http),
        ("pavi://", load_from_pavi),
        ([r"(\S+\:)?s3://", r"(\S+\:)?petrel://"], load_from_ceph),
        (("modelzoo://", "torchvision://"), load_from_torchvision),
        (("open-mmlab://", "openmmlab://"), load_from_openmmlab),
        ("mmcls://", load_from_mmcls),
    ):
        cls._register_scheme(prefixes, loader)


def _make_loader(flavour: Flavour, module_name: str) -> type[CheckpointLoader]:
    default_logger: LoggerLike = flavour.checkpoint_default_logger

    def load_checkpoint(
        cls: type[CheckpointLoader],
        filename: str,
        map_location: MapLocation = None,
        logger: LoggerLike = default_logger,
    ) -> Any:
        """Write the loading line to ``logger``, then load ``filename`` with its loader.

        Args:
            filename: a name with a registered prefix, or a local path.
            map_location: as for :func:`torch.load`.
            logger: where the loading line goes (a ``logging.Logger``, a
                logger name, ``'current'``, ``'silent'``, or None: stdout).
        """
        return _load_with(cls, filename, map_location, logger)

    loader_cls: type[CheckpointLoader] = type(
        "CheckpointLoader",
        (CheckpointLoader,),
        {
            "__module__": module_name,
            "__doc__": CheckpointLoader.__doc__,
            "_schemes": OrderedDict(),
            "_flavour": flavour,
            "load_checkpoint": classmethod(load_checkpoint),
        },
    )
    _register_builtins(loader_cls)
    return loader_cls


_LOADERS: dict[Flavour, type[CheckpointLoader]] = {
    MMENGINE: _make_loader(MMENGINE, "mminit"),
    MMCV1: _make_loader(MMCV1, "mminit.mmcv1"),
}


def checkpoint_loader(flavour: Flavour) -> type[CheckpointLoader]:
    """The flavour's :class:`CheckpointLoader` (the one its public name exposes)."""
    return _LOADERS[flavour]


def read_checkpoint(
    filename: str,
    map_location: MapLocation,
    logger: LoggerLike,
    *,
    flavour: Flavour,
    weights_only: bool | None,
) -> Any:
    """Log upstream's loading line, then read ``filename`` through the flavour's loader."""
    with weights_only_for_call(weights_only):
        return _load_with(checkpoint_loader(flavour), filename, map_location, logger)
