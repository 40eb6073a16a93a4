"""``BaseModule`` and the ``Sequential``/``ModuleList``/``ModuleDict`` containers.

:func:`make_module_classes` builds the four classes for one flavour from one
class body, so each flavour's ``BaseModule`` derives directly from
``nn.Module`` (its ``__bases__`` names matter for layer matching) while the
behaviour differs only through the :class:`~mminit._flavour.Flavour` fields.
"""

from __future__ import annotations

import contextlib
import copy
import sys
import warnings
from abc import ABCMeta
from logging import FileHandler
from typing import Any, Callable, Iterable, Iterator, NamedTuple, Optional, Union

from torch import nn

from ._engine import InitEngine, active_engine, in_eager_block
from ._errors import FastModeWarning, check_cfg_entry, check_init_cfg_iterable
from ._fast import fast_engine_class, materialise_meta
from ._flavour import Flavour
from ._init_info import MminitInitInfo, new_params_init_info, update_init_info_for
from ._native import (
    NativeKind,
    discover_upstream,
    mminit_kind,
    native_bases,
    native_kind,
    register_native,
    upstream_base_classes,
)
from ._route import routed
from ._user_code import (
    InitMode,
    possible_writes,
    resolve_mode,
    starts_with_super,
    writes_only_after_super,
)

__all__ = ["ModuleClasses", "make_module_classes", "run_init_weights"]

InitCfg = Union[dict, list, None]


class ModuleClasses(NamedTuple):
    BaseModule: type
    Sequential: type
    ModuleList: type
    ModuleDict: type


def _is_rank_zero() -> bool:
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return True
    return dist.get_rank() == 0


def _is_model_wrapper(module: nn.Module) -> bool:
    wrappers: tuple[type, ...] = (nn.DataParallel, nn.parallel.DistributedDataParallel)
    if isinstance(module, wrappers):
        return True
    utils = sys.modules.get("mmengine.model.wrappers.utils")
    return bool(utils is not None and utils.is_model_wrapper(module))


def _is_pretrained(cfg_type: Any, pretrained_classes: tuple[type, ...]) -> bool:
    return cfg_type == "Pretrained" or any(cfg_type is cls for cls in pretrained_classes)


def _dump_init_info(module: nn.Module, kind: NativeKind) -> None:
    if not _is_rank_zero():
        return
    logger = kind.dump_logger()
    table: Any = module._params_init_info
    wrote_to_file = False
    for handler in logger.handlers:
        if isinstance(handler, FileHandler):
            stream: Any = handler.stream
            stream.write("Name of parameter - Initialization information\n")
            for name, param in module.named_parameters():
                stream.write(f"\n{name} - {param.shape}: \n{table[param]['init_info']} \n")
            stream.flush()
            wrote_to_file = True
    if not wrote_to_file:
        for name, param in module.named_parameters():
            # upstream's record ends with " \n " (trailing spaces included)
            logger.info(f"\n{name} - {param.shape}: \n{table[param]['init_info']} \n ")


def _start_engine(root: nn.Module, flavour: Flavour, mode: Optional[InitMode]) -> Optional[InitEngine]:
    """The engine for ``root``'s init, or ``None`` to run upstream's sequence literally."""
    resolved = resolve_mode(mode)
    discover_upstream()  # upstream classes imported since the last init
    if resolved == "eager" or (resolved == "compat" and any(p.is_meta for p in root.parameters())):
        return None  # eager; on the meta device upstream's sequence fails at its first mean
    if resolved == "fast":
        versions = materialise_meta(root)
        return fast_engine_class()(new_params_init_info(root, flavour, with_means=False), versions, root)
    return InitEngine(new_params_init_info(root, flavour, with_means=False), root)


def _runs_upstream_code(module: nn.Module) -> bool:
    """Whether upstream's own ``BaseModule.init_weights`` may run in ``module``'s subtree.

    That code reads parameters directly, so the engine must not leave deferred
    values there: such subtrees run eagerly (and fast mode says so).
    """
    bases = upstream_base_classes()
    if not bases:
        return False
    return any(isinstance(m, tuple(bases)) and routed(m) is None for m in module.modules())


@contextlib.contextmanager
def _user_code(child: nn.Module) -> Iterator[None]:
    """Run ``child.init_weights()``; if it is user code, let the engine know."""
    engine = active_engine()
    if engine is None or native_kind(child) is not None:
        yield
        return
    eager = _runs_upstream_code(child)
    if not eager and starts_with_super(type(child), native_bases(include_upstream=routed(child) is not None)):
        # Nothing runs before our own init_weights; _resume_user_code settles the
        # subtree when control returns to the user's code after super().
        engine.expect_user_code(child)
        try:
            yield
        finally:
            watched = engine.user_code_done(child)
        if not watched:
            engine.foreign_wrote(child)
        return
    with engine.foreign(child, eager=eager, what="its own init_weights"):
        yield


def _resume_user_code(module: nn.Module) -> None:
    engine = active_engine()
    if engine is not None and native_kind(module) is None:
        ours = native_bases(include_upstream=routed(module) is not None)
        if engine.expects_user_code(module) and writes_only_after_super(type(module), ours):
            # it only overwrites whole parameters: version counters tell which
            engine.before_write_only_code(module, possible_writes(module, ours))
        else:
            engine.settle(module)  # the user's code may read what the engine deferred
            engine.foreign_wrote(module)


def run_init_weights(module: Any, kind: NativeKind, mode: Optional[InitMode]) -> None:
    """``BaseModule.init_weights`` of a native ``module`` (mminit's or upstream's class)."""
    flavour = kind.flavour
    is_top_level = not hasattr(module, "_params_init_info")
    engine = None
    if is_top_level:
        engine = _start_engine(module, flavour, mode)
        table: Any = engine.table if engine is not None else new_params_init_info(module, flavour)
        for sub in module.modules():
            sub._params_init_info = table
    elif active_engine() is None and not in_eager_block() and resolve_mode(mode) == "fast":
        _warn_fast_not_driven(module)
    if kind.upstream and active_engine() is not None:
        active_engine().drove(module)  # type: ignore[union-attr]
    ended_early = None
    try:
        if engine is not None:
            with engine.activate():
                ended_early = _init_self_and_children(module, kind)
        else:
            ended_early = _init_self_and_children(module, kind)
    except BaseException:
        if engine is not None:
            engine.failed()
        raise
    finally:
        if engine is not None:
            # after an exception or mmcv's early return the table stays behind
            engine.finish(keep_table=ended_early is not False)
        else:
            _resume_user_code(module)
    if ended_early:
        return  # mmcv 1.x: a dict Pretrained init_cfg skips the rest, dump included

    if is_top_level:
        _dump_init_info(module, kind)
        for sub in module.modules():
            del sub._params_init_info


_FAST_WARNED: set[int] = set()


def _warn_fast_not_driven(module: nn.Module) -> None:
    table = getattr(module, "_params_init_info", None)
    if isinstance(table, MminitInitInfo) or id(table) in _FAST_WARNED:
        # mminit's own table: a retry after a failed init, not an upstream root
        return
    _FAST_WARNED.clear()  # one table at a time: the ids of finished ones may be reused
    _FAST_WARNED.add(id(table))
    warnings.warn(
        f"mode='fast' was requested, but {type(module).__name__}.init_weights is running inside "
        "an init_weights that mminit does not drive (an upstream root): upstream's literal "
        "sequence runs instead (mode='eager'). Use mminit.init_weights(model, mode='fast') "
        "or mminit.route(model) to drive the whole model.",
        FastModeWarning,
        stacklevel=3,
    )


def _init_self_and_children(module: Any, kind: NativeKind) -> bool:
    flavour = kind.flavour
    if not module._is_init:
        if flavour.pretrained_last:
            _init_pretrained_last(module, kind)
        elif _init_in_order(module, kind):
            return True
        module._is_init = True
    elif flavour.repeat_warning == "log":
        kind.init_cfg_logger().warning(
            f"init_weights of {module.__class__.__name__} has been called more than once."
        )
    else:
        warnings.warn(  # noqa: B028 - upstream's stacklevel, for identical filtering
            f"init_weights of {module.__class__.__name__} has been called more than once."
        )
    return False


def _log_init_cfg(module: Any, kind: NativeKind) -> None:
    kind.init_cfg_logger().log(
        kind.flavour.init_cfg_log_level,
        f"initialize {module.__class__.__name__} with init_cfg {module.init_cfg}",
    )


def _init_pretrained_last(module: Any, kind: NativeKind) -> None:
    # mmengine: Pretrained entries run after the others and after the children.
    pretrained: list[dict] = []
    if module.init_cfg:
        _log_init_cfg(module, kind)
        cfgs = [module.init_cfg] if isinstance(module.init_cfg, dict) else module.init_cfg
        check_init_cfg_iterable(cfgs, module)
        others = []
        for cfg in cfgs:
            check_cfg_entry(cfg, module)
            if _is_pretrained(cfg["type"], kind.pretrained_classes):
                pretrained.append(cfg)
            else:
                others.append(cfg)
        kind.initialize(module, others)
    _init_children(module, kind)
    if module.init_cfg and pretrained:
        kind.initialize(module, pretrained)


def _init_in_order(module: Any, kind: NativeKind) -> bool:
    # mmcv 1.x: the list runs in order; a dict Pretrained returns early.
    if module.init_cfg:
        _log_init_cfg(module, kind)
        kind.initialize(module, module.init_cfg)
        if isinstance(module.init_cfg, dict) and module.init_cfg["type"] == "Pretrained":
            return True
    _init_children(module, kind)
    return False


def _init_children(module: nn.Module, kind: NativeKind) -> None:
    flavour = kind.flavour
    child: Any
    for child in module.children():
        if (flavour.unwrap_model_wrappers and _is_model_wrapper(child)
                and not hasattr(child, "init_weights")):
            child = child.module
        if not hasattr(child, "init_weights"):
            continue
        if flavour.skip_initialised_children and getattr(child, "is_init", False):
            continue
        child_kind = native_kind(child)
        if child_kind is not None and child_kind.upstream and active_engine() is not None:
            run_init_weights(child, child_kind, None)  # the engine drives upstream's BaseModule
        else:
            with _user_code(child):
                child.init_weights()
        # the child may define its own init_weights, writing any parameter
        update_init_info_for(
            child,
            f"Initialized by user-defined `init_weights` in {child.__class__.__name__} ",
            flavour,
        )


def make_module_classes(
    flavour: Flavour,
    initialize: Callable[[nn.Module, Any], None],
    pretrained_classes: tuple[type, ...],
    module_name: str,
) -> ModuleClasses:
    """Build ``BaseModule`` and its containers for ``flavour``.

    Args:
        flavour: the upstream to behave as.
        initialize: the flavour's ``initialize(module, init_cfg)``.
        pretrained_classes: classes that count as ``type='Pretrained'``.
        module_name: the public module the classes are exposed from.
    """

    class BaseModule(nn.Module, metaclass=ABCMeta):
        """``nn.Module`` with an ``init_cfg`` applied by :meth:`init_weights`.

        Args:
            init_cfg: an initializer config dict or a list of them.

        Examples:
            >>> class Head(BaseModule):
            ...     def __init__(self):
            ...         super().__init__(init_cfg=dict(type="Normal", layer="Linear", std=0.01))
            ...         self.fc = nn.Linear(4, 2)
            >>> Head().init_weights()
        """

        _flavour = flavour

        def __init__(self, init_cfg: InitCfg = None) -> None:
            super().__init__()
            self._is_init = False
            self.init_cfg = copy.deepcopy(init_cfg)

        def init_weights(self, mode: Optional[InitMode] = None) -> None:
            """Apply ``init_cfg``, then the children's ``init_weights``; record init info.

            Args:
                mode: ``"compat"`` (default): upstream's exact result, computed
                    by the compat engine; ``"eager"``: upstream's literal
                    sequence of fills and checks (slower, same result);
                    ``"fast"``: each parameter filled once with its final
                    initializer (same distributions and info strings, not the
                    same random numbers; see :mod:`mminit._fast`).
                    ``None`` uses the surrounding :func:`mminit.init_mode`.
            """
            run_init_weights(self, kind, mode)

        def __repr__(self) -> str:
            s = super().__repr__()
            if self.init_cfg:
                s += f"\ninit_cfg={self.init_cfg}"
            return s

    def _get_is_init(self: Any) -> bool:
        return self._is_init  # type: ignore[no-any-return]

    def _set_is_init(self: Any, value: bool) -> None:
        self._is_init = value

    BaseModule.is_init = property(  # type: ignore[attr-defined]
        _get_is_init, _set_is_init if flavour.is_init_settable else None,
        doc="Whether init_weights has run on this module.",
    )

    class Sequential(BaseModule, nn.Sequential):
        """``nn.Sequential`` with its own ``init_cfg``."""

        def __init__(self, *args: Any, init_cfg: InitCfg = None) -> None:
            BaseModule.__init__(self, init_cfg)
            nn.Sequential.__init__(self, *args)

    class ModuleList(BaseModule, nn.ModuleList):
        """``nn.ModuleList`` with its own ``init_cfg``."""

        def __init__(self, modules: Optional[Iterable[nn.Module]] = None, init_cfg: InitCfg = None) -> None:
            BaseModule.__init__(self, init_cfg)
            nn.ModuleList.__init__(self, modules)

    class ModuleDict(BaseModule, nn.ModuleDict):
        """``nn.ModuleDict`` with its own ``init_cfg``."""

        def __init__(self, modules: Optional[dict] = None, init_cfg: InitCfg = None) -> None:
            BaseModule.__init__(self, init_cfg)
            nn.ModuleDict.__init__(self, modules)

    kind = mminit_kind(flavour, initialize, pretrained_classes, BaseModule)
    register_native(BaseModule.init_weights, kind)
    classes = ModuleClasses(BaseModule, Sequential, ModuleList, ModuleDict)
    for cls in classes:
        cls.__module__ = module_name
        cls.__qualname__ = cls.__name__
    return classes
