"""Stand-ins for modules that the real packages import but weight init never uses.

* ``mmcv._ext``: mmcv 1.7.2's compiled ops (the reference environment installs mmcv
  without them), and mmcv-lite 2.2.0's (which has none); ``mmcv.ops`` only looks its
  functions up at import time, and mmdet's detectors call them in ``forward`` (NMS,
  RoIAlign, ...), never in ``init_weights``.
* ``torchvision`` (``.venv``, where it is not installed): mmpretrain imports its
  transforms and box ops for datasets and evaluation.
* ``matplotlib`` (``.venv-mmcv``): mmcls imports ``pyplot`` for its visualiser.
* ``prettytable``: mmseg's datasets import it for evaluation tables.
* ``scipy``, ``pycocotools``, ``terminaltables``, ``six``, and for mmdet 3.3.0 ``shapely``:
  mmdet's assigners, COCO API wrappers, evaluation tables, ``multi_apply`` and mask
  structures (``six.moves.map`` stands in for ``map`` there: a call would raise).
* ``ftfy`` (mmsegmentation 1.2.2): its CLIP tokenizer cleans text with it (``regex``,
  which the tokenizer compiles a pattern with at import, is installed for real:
  ``tools/setup_envs.sh``).

A stand-in module answers any attribute with a placeholder class; calling one of
its functions or instantiating one of its classes raises ``RuntimeError`` naming
it, so a test that reached real use of a stub would fail loudly, not silently.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence
from typing import Any

__all__ = ["STUBS", "install"]

# which stand-ins each package set needs (only those not importable for real are installed)
STUBS: dict[str, tuple[str, ...]] = {
    "mmpretrain": ("torchvision",),
    "mmcls": ("matplotlib",),
    "mmdet": ("mmcv._ext", "matplotlib", "scipy", "pycocotools", "terminaltables", "six"),
    "mmseg": ("mmcv._ext", "matplotlib", "scipy", "prettytable"),
    "mmdet3": ("mmcv._ext", "scipy", "pycocotools", "terminaltables", "six", "shapely"),
    # mmseg 1.x's Mask2Former head subclasses mmdet's: mmdet 3.x's stand-ins too (where mmdet
    # does not import, mmseg quietly swaps the base for BaseModule)
    "mmseg1": (
        "mmcv._ext",
        "scipy",
        "prettytable",
        "ftfy",
        "pycocotools",
        "terminaltables",
        "six",
        "shapely",
    ),
}


class _PlaceholderMeta(type):
    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _placeholder(f"{cls.__qualname__}.{name}")

    def __iter__(cls) -> Any:
        return iter(())


def _placeholder(qualname: str) -> type:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            f"{qualname} is a stand-in (compat_tests/real_models/stubs.py): "
            "weight init was not expected to call it"
        )

    return _PlaceholderMeta(
        qualname.rpartition(".")[2],
        (),
        {"__qualname__": qualname, "__new__": refuse, "__call__": refuse},
    )


class _StubModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = _placeholder(f"{self.__name__}.{name}")
        setattr(self, name, value)
        return value


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _StubModule(spec.name, "stand-in: compat_tests/real_models/stubs.py")
        module.__version__ = "0.0.0+stub"  # type: ignore[attr-defined]
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__path__ = []  # a package: any submodule is a stand-in too


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, roots: Sequence[str]) -> None:
        self.roots = tuple(roots)

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if any(fullname == r or fullname.startswith(r + ".") for r in self.roots):
            return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)
        return None


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def install(package: str) -> list[str]:
    """Install the stand-ins *package* needs and that are not importable; returns their names."""
    missing = [name for name in STUBS[package] if not _importable(name)]
    if missing:
        sys.meta_path.insert(0, _Finder(missing))
    return missing


def bind_late_imports() -> None:
    """Bind what a module shared by the packages looked up once, before the stand-ins were there.

    mmcv 2.x's ``bricks/transformer.py`` binds ``MultiScaleDeformableAttention`` from
    ``mmcv.ops`` at its first import only (in a try block). When an earlier test in the same
    process imported it before the ``mmcv._ext`` stand-in was installed (the bricks suites
    do), the name is missing and mmdet 3.x / mmseg 1.x fail to import it from there. This
    binds it as that first import would have with the stand-in in place; where the module
    was not imported yet, or has the name, nothing changes.
    """
    transformer = sys.modules.get("mmcv.cnn.bricks.transformer")
    if transformer is None or hasattr(transformer, "MultiScaleDeformableAttention"):
        return
    try:
        from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttention
    except ImportError:
        return
    transformer.MultiScaleDeformableAttention = MultiScaleDeformableAttention  # type: ignore[attr-defined]
