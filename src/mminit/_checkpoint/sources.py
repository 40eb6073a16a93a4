"""Turn a checkpoint name (path, URL or zoo name) into a loaded object.

Schemes, as upstream registers them:

================================  ==============  =================================
name                              backend (log)   read from
================================  ==============  =================================
``/path``, ``~/path``, ``rel``    local           the file (``~`` expanded)
``http://``, ``https://``         http            torch.hub's cache, downloaded once
``torchvision://NAME``            torchvision     torchvision's registry -> URL
``modelzoo://NAME``               torchvision     deprecated alias of torchvision://
``open-mmlab://``/``openmmlab://``  openmmlab     mminit/zoo/openmmlab.json + user file
``mmcls://NAME``                  mmcls           mminit/zoo/mmcls.json, ``backbone.`` keys
================================  ==============  =================================

``pavi://``, ``s3://`` and ``petrel://`` need OpenMMLab's internal clients and
are refused by name; any other ``scheme://`` is an error naming the known ones
(upstream would look for a local file of that name).
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from typing import Any, Callable, Optional

import torch

from .._flavour import Flavour
from . import zoo
from .download import fetch
from .errors import UnknownSchemeError, UnsupportedSourceError
from .loading import MapLocation, read_file
from .messages import LoggerLike, deprecation, dist_info, emit, load_message

__all__ = ["KNOWN_SCHEMES", "read_checkpoint", "resolve"]

Reader = Callable[[str, MapLocation, Optional[bool], Flavour], Any]

_UNSUPPORTED = (
    (re.compile(r"pavi://"), "pavi://", "pavi"),
    (re.compile(r"(\S+:)?s3://"), "s3://", "petrel_client"),
    (re.compile(r"(\S+:)?petrel://"), "petrel://", "petrel_client"),
)
_ANY_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")


def _read_local(filename: str, map_location: MapLocation, weights_only: bool | None,
                flavour: Flavour) -> Any:
    path = os.path.expanduser(filename)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint file {path} can not be found")
    return read_file(path, map_location, weights_only)


def _read_http(url: str, map_location: MapLocation, weights_only: bool | None,
               flavour: Flavour) -> Any:
    # Like upstream: rank 0 downloads first, the other ranks then use its copy.
    rank, world_size = dist_info()
    path = fetch(url) if rank == 0 else ""
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            path = fetch(url)
    return read_file(path, map_location, weights_only)


def _read_torchvision(filename: str, map_location: MapLocation,
                      weights_only: bool | None, flavour: Flavour) -> Any:
    urls = zoo.torchvision_urls()
    if filename.startswith("modelzoo://"):
        deprecation(
            'The URL scheme of "modelzoo://" is deprecated, please use "torchvision://" instead',
            flavour=flavour,
        )
        name = filename[len("modelzoo://"):]
    else:
        name = filename[len("torchvision://"):]
    if flavour.name == "mmcv1":  # mmcv 1.x also accepts 'ResNet50_Weights.IMAGENET1K_V1'
        name = name.lower().replace("_weights", "")
    url = zoo.lookup(urls, name, "torchvision")
    return _read_http(url, map_location, weights_only, flavour)


def _read_openmmlab(filename: str, map_location: MapLocation,
                    weights_only: bool | None, flavour: Flavour) -> Any:
    urls = zoo.openmmlab_urls(flavour)
    scheme = "open-mmlab://" if filename.startswith("open-mmlab://") else "openmmlab://"
    name = filename[len(scheme):]
    renamed = zoo.deprecated_names()
    if name in renamed:
        deprecation(f"{scheme}{name} is deprecated in favor of {scheme}{renamed[name]}",
                    flavour=flavour)
        name = renamed[name]
    url = zoo.lookup(urls, name, "open-mmlab")
    if url.startswith(("http://", "https://")):
        return _read_http(url, map_location, weights_only, flavour)
    # A relative entry (from the user's table) names a file under the zoo home.
    path = os.path.join(zoo.zoo_home(flavour), url)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint file {path} (zoo entry {scheme}{name}) can not be found")
    return read_file(path, map_location, weights_only)


def _read_mmcls(filename: str, map_location: MapLocation, weights_only: bool | None,
                flavour: Flavour) -> Any:
    url = zoo.lookup(zoo.mmcls_urls(), filename[len("mmcls://"):], "mmcls")
    checkpoint = _read_http(url, map_location, weights_only, flavour)
    weights = checkpoint.get("state_dict", checkpoint)
    # mmcls classifiers keep the backbone under 'backbone.'; only that part is kept.
    backbone = OrderedDict(
        (key[len("backbone."):], value) for key, value in weights.items()
        if key.startswith("backbone.")
    )
    return {"state_dict": backbone}


_SCHEMES: tuple[tuple[str, str, Reader], ...] = (
    ("http://", "http", _read_http),
    ("https://", "http", _read_http),
    ("torchvision://", "torchvision", _read_torchvision),
    ("modelzoo://", "torchvision", _read_torchvision),
    ("open-mmlab://", "openmmlab", _read_openmmlab),
    ("openmmlab://", "openmmlab", _read_openmmlab),
    ("mmcls://", "mmcls", _read_mmcls),
)
KNOWN_SCHEMES: tuple[str, ...] = tuple(prefix for prefix, _, _ in _SCHEMES)


def resolve(filename: str) -> tuple[str, Reader]:
    """``(backend name, reader)`` for ``filename``; raises for unusable schemes."""
    if not isinstance(filename, str):
        raise TypeError(f"checkpoint must be a str path or URL, got {type(filename).__name__}")
    for prefix, backend, reader in _SCHEMES:
        if filename.startswith(prefix):
            return backend, reader
    for pattern, scheme, client in _UNSUPPORTED:
        if pattern.match(filename):
            raise UnsupportedSourceError(
                f"{filename}: {scheme} checkpoints need OpenMMLab's internal {client} client, "
                "which mminit does not use; download the file and pass its local path"
            )
    unknown = _ANY_SCHEME.match(filename)
    if unknown:
        raise UnknownSchemeError(
            f"unknown checkpoint scheme {unknown.group(1)}:// in {filename!r}; known schemes: "
            + ", ".join(KNOWN_SCHEMES) + " (anything else is a local path)"
        )
    return "local", _read_local


def read_checkpoint(filename: str, map_location: MapLocation, logger: LoggerLike, *,
                    flavour: Flavour, weights_only: bool | None) -> Any:
    """Log upstream's loading line, then read ``filename`` from its source."""
    backend, reader = resolve(filename)
    emit(load_message(flavour, backend, filename), logger, flavour=flavour)
    return reader(filename, map_location, weights_only, flavour)
