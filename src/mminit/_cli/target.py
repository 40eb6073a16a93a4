"""What ``mminit check`` and ``mminit explain`` build: a factory, or a config's ``model``.

``TARGET`` is ``pkg.module:factory`` (a callable returning an ``nn.Module``) or a
Python config file with a ``model`` dict.  Configs of both OpenMMLab eras:

* **mmengine era** (mmdet 3.x, mmseg 1.x, mmpretrain): read with mmengine's
  ``Config`` and built by mmengine's root ``MODELS`` registry under a default scope:
  ``--scope``, else the config's ``default_scope``, else the package the config
  belongs to (see below) when that package has a ``registry`` module.
* **mmcv 1.x era** (mmdet 2.x, mmseg 0.x, mmcls 0.x): read with mmcv 1.x's
  ``Config`` and built by the package's own ``MODELS`` registry
  (``<pkg>.models.builder.MODELS``); the package is ``--scope``, else the one the
  config belongs to, else the first ``custom_imports`` package that has such a
  registry.  mmengine is never imported for such a config.
* ``--builder pkg.module:build_fn``: ``build_fn(cfg.model)`` builds the model; its
  package decides the era (which ``Config`` reads the file).

The package a config belongs to is read from where it lives, without importing
anything: ``.../site-packages/<pkg>/.mim/configs/...`` (a pip-installed
OpenMMLab package) or ``<root>/configs/...`` beside a package ``<root>/<pkg>/``
(a checkout); for a config elsewhere, from where its ``_base_`` files live (a
user's config inheriting ``.../mmdet/.mim/configs/...`` is mmdet's).  Its era is read from its files: a ``registry`` module means
mmengine, a ``models/builder.py`` mmcv 1.x.  ``custom_imports`` are imported by
either ``Config`` as it reads the file.

:func:`load_target` is the import stage (module, config, ``custom_imports``,
registry); what it returns is the build stage.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "Era",
    "TargetError",
    "add_target_arguments",
    "config_package",
    "is_config",
    "load_target",
    "package_era",
    "target_error",
]

Era = Literal["mmengine", "mmcv1"]
# directories beside configs/ in a checkout that are not the package the configs are for
_NOT_PACKAGES = frozenset(
    {
        "tests",
        "test",
        "tools",
        "docs",
        "demo",
        "projects",
        "configs",
        "scripts",
        "examples",
        "benchmarks",
        "build",
        "dist",
    }
)
# where an mmcv-1.x-era package keeps its ``MODELS`` registry, searched in order
_MMCV1_REGISTRIES = ("{}.models.builder", "{}.models", "{}.builder")
_INSTALL = {"mmengine": "pip install mmengine", "mmcv1": "pip install 'mmcv<2' (or 'mmcv-full<2')"}


class TargetError(ValueError):
    """The target cannot be what it says (bad form, unknown package, no ``model``):
    an input error (exit status 2), not a difference between upstream and mminit."""


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """The target arguments ``check`` and ``explain`` share."""
    parser.add_argument(
        "target",
        help="pkg.module:factory, or a config .py with a `model` dict "
        "(mmengine era or mmcv 1.x era)",
    )
    parser.add_argument(
        "--scope",
        metavar="PKG",
        help="the package whose registry builds the config's model (e.g. mmdet, "
        "mmpretrain); default: the config's default_scope, else the package the "
        "config lives in (<pkg>/.mim/configs or a checkout's configs/) or "
        "inherits from (_base_)",
    )
    parser.add_argument(
        "--builder",
        metavar="PKG.MODULE:FUNC",
        help="build the config's model with FUNC(cfg.model) instead of a registry "
        "(e.g. mmdet.models:build_detector)",
    )


def is_config(target: str) -> bool:
    return ":" not in target and target.endswith(".py")


def _split(target: str, what: str) -> tuple[str, str]:
    module, _, attr = target.partition(":")
    if (
        not module
        or not attr
        or not all(p.isidentifier() for p in module.split("."))
        or not attr.isidentifier()
    ):
        raise TargetError(f"{what} must be 'pkg.module:function', got {target!r}")
    return module, attr


def target_error(
    target: str, scope: str | None = None, builder: str | None = None, base: str = "."
) -> str | None:
    """Cheap checks before anything is imported: what is wrong with the arguments, or None
    (``base``: the directory the target is imported from)."""
    try:
        if builder is not None:
            _split(builder, "--builder")
        if scope is not None and not all(p.isidentifier() for p in scope.split(".")):
            raise TargetError(f"--scope must be a package name such as mmdet, got {scope!r}")
        if is_config(target):
            return (
                None
                if os.path.isfile(os.path.join(base, target))
                else f"config file {target!r} does not exist"
            )
        if ":" not in target:
            raise TargetError(
                f"TARGET must be 'pkg.module:factory' or a config .py file, got {target!r}"
            )
        if scope is not None or builder is not None:
            raise TargetError(
                "--scope and --builder apply to a config TARGET, not to "
                f"'pkg.module:factory' ({target!r})"
            )
        module, _ = _split(target, "TARGET")
    except TargetError as exc:
        return str(exc)
    top = module.split(".")[0]
    if (
        os.path.isdir(os.path.join(base, top))
        or os.path.isfile(os.path.join(base, f"{top}.py"))
        or _find(top)
    ):
        return None
    return f"cannot import {module!r} (no module {top!r} in the current directory or installed)"


def _find(name: str) -> Path | None:
    """Where a top-level module or package is, without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin) if spec.origin else None


def _is_package(path: Path) -> bool:
    return path.is_dir() and (path / "__init__.py").is_file()


def config_package(config: str, _depth: int = 0) -> tuple[str, Path] | None:
    """The package ``config`` belongs to, and the directory that holds that package, read
    from where it lives: ``<root>/<pkg>/.mim/configs/...`` or ``<root>/configs/...`` beside
    a package ``<root>/<pkg>/`` (the only one there, or the only one with a ``models``
    subpackage); else from where its ``_base_`` files live (``pkg::path`` names ``pkg``)."""
    seen: set[Path] = set()
    for path in (Path(os.path.abspath(config)), Path(os.path.realpath(config))):
        for parent in path.parents:
            if parent.name != "configs" or parent in seen:
                continue
            seen.add(parent)
            above = parent.parent
            if above.name == ".mim" and _is_package(above.parent):
                return above.parent.name, above.parent.parent
            candidates = sorted(
                d.name
                for d in above.iterdir()
                if d.name.isidentifier() and d.name not in _NOT_PACKAGES and _is_package(d)
            )
            with_models = [n for n in candidates if (above / n / "models").is_dir()]
            for found in (candidates, with_models):
                if len(found) == 1:
                    return found[0], above
            break  # the nearest configs/ decides
    if _depth < 4:
        for base in _bases(config):
            scope, sep, _ = base.partition("::")
            if sep:
                where = _find(scope) if scope.isidentifier() else None
                if where is not None:
                    return scope, where.parent
                continue
            inherited = config_package(os.path.join(os.path.dirname(config), base), _depth + 1)
            if inherited is not None:
                return inherited
    return None


def _bases(config: str) -> list[str]:
    """The ``_base_`` files a config names (a string or a list of strings), read without
    running it."""
    try:
        with open(config, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), config)
    except (OSError, SyntaxError, ValueError):
        return []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "_base_" for t in node.targets
        ):
            values = (
                node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            )
            return [
                v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
            ]
    return []


def package_era(package: str, root: Path | None = None) -> Era | None:
    """``"mmengine"`` for a package with a ``registry`` module, ``"mmcv1"`` for one with
    ``models/builder.py`` (and no registry), else None; read from its files."""
    where = root / package if root is not None and _is_package(root / package) else _find(package)
    if where is None or not where.is_dir():
        return None
    if (where / "registry.py").is_file() or _is_package(where / "registry"):
        return "mmengine"
    if (where / "models" / "builder.py").is_file() or _is_package(where / "models" / "builder"):
        return "mmcv1"
    return None


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _reader(era: Era | None) -> Era:
    """Which ``Config`` reads a config of ``era`` (None: unknown) here."""
    if era is None:
        if _importable("mmengine"):
            return "mmengine"
        if _mmcv1_installed():
            return "mmcv1"
        raise TargetError(
            "reading a config file needs mmengine (pip install mmengine) or "
            "mmcv 1.x (pip install 'mmcv<2'); neither is installed"
        )
    if era == "mmcv1" and not _mmcv1_installed():
        raise TargetError(
            f"this is an mmcv 1.x era config; reading it needs mmcv 1.x ({_INSTALL['mmcv1']})"
        )
    if era == "mmengine" and not _importable("mmengine"):
        raise TargetError(
            f"this is an mmengine era config; reading it needs mmengine ({_INSTALL['mmengine']})"
        )
    return era


def _mmcv1_installed() -> bool:
    if not _importable("mmcv"):
        return False
    import mmcv

    return str(getattr(mmcv, "__version__", "2")).split(".")[0] == "1"


def _mmcv1_registry(package: str) -> Any | None:
    """``MODELS`` of an mmcv-1.x-era package (importing its models registers them)."""
    for template in _MMCV1_REGISTRIES:
        name = template.format(package)
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
                continue  # this location does not exist; anything else is a real failure
            raise
        registry = getattr(module, "MODELS", None)
        if registry is not None and callable(getattr(registry, "build", None)):
            return registry
    return None


def _custom_packages(cfg: Any) -> list[str]:
    imports = (cfg.get("custom_imports") or {}).get("imports") or []
    if isinstance(imports, str):
        imports = [imports]
    return list(dict.fromkeys(str(name).split(".")[0] for name in imports))


def load_target(
    target: str, scope: str | None = None, builder: str | None = None
) -> Callable[[], Any]:
    """Stage "import": import the target's module, or read its config (which runs its
    ``custom_imports``) and find what builds its model; returns the build stage."""
    problem = target_error(target, scope, builder)
    if problem is not None and not problem.startswith("cannot import"):
        raise TargetError(problem)
    if not is_config(target):
        module_name, attr = _split(target, "TARGET")
        factory: Callable[[], Any] = getattr(importlib.import_module(module_name), attr)
        return factory
    build_fn: Callable[[Any], Any] | None = None
    if builder is not None:
        module_name, attr = _split(builder, "--builder")
        build_fn = getattr(importlib.import_module(module_name), attr)
    located = config_package(target)
    package = scope or (builder.split(".")[0] if builder else None) or (located and located[0])
    root = located[1] if located and package == located[0] else None
    era = _reader(package_era(package, root) if package else None)
    if era == "mmcv1":
        return _load_mmcv1(target, scope or (located[0] if located else None), build_fn)
    mmengine_scope = scope
    if mmengine_scope is None and located and package_era(*located) == "mmengine":
        mmengine_scope = located[0]
    return _load_mmengine(target, mmengine_scope, build_fn)


def _model(cfg: Any, target: str) -> Any:
    model = cfg.get("model")
    if not isinstance(model, dict):
        raise TargetError(
            f"config {target!r} has no `model` dict (found "
            f"{type(model).__name__ if model is not None else 'nothing'})"
        )
    return model


def _load_mmengine(
    target: str, scope: str | None, build_fn: Callable[[Any], Any] | None
) -> Callable[[], Any]:
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope

    cfg = Config.fromfile(target)
    model_cfg = _model(cfg, target)
    scope = scope or cfg.get("default_scope")

    def build() -> Any:
        if scope:
            init_default_scope(scope)
        if build_fn is not None:
            return build_fn(model_cfg)
        try:
            return MODELS.build(model_cfg)
        except KeyError as exc:
            if scope or not isinstance(model_cfg.get("type"), str):
                raise
            raise TargetError(
                f"{exc.args[0] if exc.args else exc}; the config sets no "
                "default_scope and does not live in a package's configs/: pass "
                "--scope PKG (e.g. --scope mmpretrain) or --builder"
            ) from exc

    return build


def _load_mmcv1(
    target: str, package: str | None, build_fn: Callable[[Any], Any] | None
) -> Callable[[], Any]:
    from mmcv import Config

    cfg = Config.fromfile(target)
    model_cfg = _model(cfg, target)
    if build_fn is not None:
        return lambda: build_fn(model_cfg)
    tried = list(dict.fromkeys(([package] if package else []) + _custom_packages(cfg)))
    for name in tried:
        registry = _mmcv1_registry(name)
        if registry is not None:
            return lambda: registry.build(model_cfg)
    looked = ", ".join(t.format(n) for n in tried for t in _MMCV1_REGISTRIES) or "nowhere"
    raise TargetError(
        f"cannot tell which registry builds {target!r}'s model (an mmcv 1.x era "
        f"config; looked for MODELS in {looked}): pass --scope PKG (the package "
        "whose registry holds its type, e.g. --scope mmdet) or --builder "
        "pkg.module:build_fn"
    )
