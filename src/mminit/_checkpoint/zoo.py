"""Model-zoo names: ``open-mmlab://``, ``mmcls://`` and ``torchvision://``.

The name->URL tables in ``mminit/zoo/*.json`` carry the same facts as the
tables mmengine 0.10.7 (``mmengine/hub``) and mmcv 1.7.2 (``mmcv/model_zoo``)
ship; the two upstreams' tables are identical.  A user's
``<home>/open_mmlab.json`` extends and overrides the OpenMMLab table, where
``<home>`` is ``$MMENGINE_HOME`` (mmengine) or ``$MMCV_HOME`` (mmcv 1.x),
defaulting to ``$XDG_CACHE_HOME/<mmengine|mmcv>`` or ``~/.cache/<...>``.
An entry that is not a URL is a path joined to ``<home>`` as upstream joins
it (``os.path.join``): relative paths are files under the home, an absolute
path is used as it is, and ``../`` leads out of the home.
"""

from __future__ import annotations

import difflib
import importlib.resources
import json
import os
from typing import Any

from .._flavour import Flavour
from .errors import UnknownModelNameError, UnsupportedSourceError

__all__ = [
    "deprecated_names",
    "local_entry",
    "lookup",
    "mmcls_urls",
    "openmmlab_urls",
    "torchvision_urls",
    "zoo_home",
]


def _table(name: str) -> dict[str, str]:
    text = importlib.resources.files("mminit").joinpath("zoo").joinpath(name).read_text("utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"mminit/zoo/{name} must hold a JSON object")  # noqa: TRY004
    return data


def zoo_home(flavour: Flavour) -> str:
    """The directory holding the user's ``open_mmlab.json`` and local zoo files."""
    default = os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), flavour.zoo_home_dir)
    return os.path.expanduser(os.getenv(flavour.zoo_home_env, default))


def openmmlab_urls(flavour: Flavour) -> dict[str, str]:
    """mminit's OpenMMLab table updated with the user's override file."""
    urls = _table("openmmlab.json")
    override = os.path.join(zoo_home(flavour), "open_mmlab.json")
    if os.path.exists(override):
        urls.update(_user_table(override))
    return urls


def _user_table(path: str) -> dict[str, str]:
    """The user's ``open_mmlab.json``, checked: every error names the file."""
    what = "a JSON object mapping model names to URLs or paths under its directory"
    try:
        with open(path, encoding="utf-8") as fh:
            extra: Any = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); it must hold {what}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"cannot read {path} ({type(exc).__name__}: {exc}); it must hold {what}"
        ) from exc
    if not isinstance(extra, dict):
        raise ValueError(f"{path} must hold {what}, got a JSON {type(extra).__name__}")  # noqa: TRY004
    bad = [
        f"{key!r}: {value!r}"
        for key, value in extra.items()
        if not isinstance(value, str) or not value
    ]
    if bad:
        raise ValueError(
            f"{path}: every value must be a non-empty string (a URL or a path), "
            f"got {', '.join(bad[:5])}"
        )
    return extra


def local_entry(flavour: Flavour, label: str, entry: str) -> str:
    """The file a non-URL zoo entry names: ``entry`` joined to the zoo home."""
    from .loading import check_local_file  # loading imports nothing from here

    path = os.path.join(zoo_home(flavour), entry)
    try:
        check_local_file(path)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{exc} (zoo entry {label} -> {entry!r})") from None
    return path


def deprecated_names() -> dict[str, str]:
    """Old OpenMMLab names and the names that replace them."""
    return _table("deprecated.json")


def mmcls_urls() -> dict[str, str]:
    """The ``mmcls://`` table."""
    return _table("mmcls.json")


def torchvision_urls() -> dict[str, str]:
    """torchvision 0.12's names plus every weight enum of the installed torchvision.

    Enum names map as ``ResNet50_Weights.IMAGENET1K_V1`` ->
    ``resnet50.imagenet1k_v1`` and ``ResNet50_Weights.DEFAULT`` ->
    ``resnet50.default``.
    """
    try:
        import torchvision.models as tv_models
    except ImportError as exc:
        raise UnsupportedSourceError(
            "torchvision:// and modelzoo:// checkpoints are resolved through torchvision's "
            "model registry, and torchvision is not installed (pip install torchvision)"
        ) from exc
    urls = _table("torchvision_0.12.json")
    if hasattr(tv_models, "list_models"):  # torchvision >= 0.14
        weight_classes = [tv_models.get_model_weights(m) for m in tv_models.list_models(tv_models)]
    else:  # torchvision 0.13 keeps the enums in the namespace
        weight_classes = [cls for name, cls in vars(tv_models).items() if name.endswith("_Weights")]
    for cls in weight_classes:
        if not hasattr(cls, "DEFAULT"):  # enums without any weights
            continue
        key = cls.__name__.replace("_Weights", "").lower()
        urls[f"{key}.default"] = cls.DEFAULT.url
        for member in cls:
            urls[f"{key}.{member.name.lower()}"] = member.url
    return urls


def lookup(table: dict[str, str], name: str, source: str) -> str:
    """``table[name]``, or :class:`UnknownModelNameError` naming the known ones."""
    try:
        return table[name]
    except KeyError:
        pass
    close = difflib.get_close_matches(name, list(table), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise UnknownModelNameError(
        f"unknown {source} model name {name!r}{hint}. Known names ({len(table)}): "
        + ", ".join(sorted(table))
    )
