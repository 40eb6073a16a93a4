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

from ._engine import InitEngine, active_engine
from ._fast import FastInitEngine, materialise_meta
from ._flavour import Flavour
from ._init_info import new_params_init_info, update_init_info_for
from ._logging import get_logger
from ._user_code import InitMode, is_foreign_tree, resolve_mode, starts_with_super, user_defined

_OUR_BASE_MODULES: list[type] = []

__all__ = ["ModuleClasses", "make_module_classes"]

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


def _dump_init_info(module: nn.Module, flavour: Flavour) -> None:
    if not _is_rank_zero():
        return
    logger = get_logger(flavour)
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
    if resolved == "eager" or is_foreign_tree(root, tuple(_OUR_BASE_MODULES)):
        if resolved == "fast":
            raise ValueError(
                f"mode='fast' needs an all-mminit tree; {type(root).__name__} contains an "
                "upstream BaseModule (use mode='compat')"
            )
        return None
    if resolved == "fast":
        versions = materialise_meta(root)
        return FastInitEngine(new_params_init_info(root, flavour, with_means=False), versions)
    return InitEngine(new_params_init_info(root, flavour, with_means=False))


@contextlib.contextmanager
def _user_code(child: nn.Module) -> Iterator[None]:
    """Run ``child.init_weights()``; if it is user code, let the engine know."""
    engine = active_engine()
    if engine is None or not user_defined(child, tuple(_OUR_BASE_MODULES)):
        yield
        return
    if starts_with_super(type(child), tuple(_OUR_BASE_MODULES)):
        # Nothing runs before our own init_weights; _resume_user_code settles the
        # subtree when control returns to the user's code after super().
        yield
        engine.foreign_wrote(child)
        return
    with engine.foreign(child):
        yield


def _resume_user_code(module: nn.Module) -> None:
    engine = active_engine()
    if engine is not None and user_defined(module, tuple(_OUR_BASE_MODULES)):
        engine.settle(module)
        engine.foreign_wrote(module)


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
            is_top_level = not hasattr(self, "_params_init_info")
            engine = None
            if is_top_level:
                engine = _start_engine(self, flavour, mode)
                table: Any = engine.table if engine is not None else new_params_init_info(self, flavour)
                for sub in self.modules():
                    sub._params_init_info = table
            ended_early = None
            try:
                if engine is not None:
                    with engine.activate():
                        ended_early = self._init_self_and_children()
                else:
                    ended_early = self._init_self_and_children()
            finally:
                if engine is not None:
                    # after an exception or mmcv's early return the table stays behind
                    engine.finish(keep_table=ended_early is not False)
                    if isinstance(engine, FastInitEngine):
                        engine.report_uncovered(self)
                else:
                    _resume_user_code(self)
            if ended_early:
                return  # mmcv 1.x: a dict Pretrained init_cfg skips the rest, dump included

            if is_top_level:
                _dump_init_info(self, flavour)
                for sub in self.modules():
                    del sub._params_init_info

        def _init_self_and_children(self) -> bool:
            if not self._is_init:
                if flavour.pretrained_last:
                    self._init_pretrained_last()
                elif self._init_in_order():
                    return True
                self._is_init = True
            elif flavour.repeat_warning == "log":
                get_logger(flavour).warning(
                    f"init_weights of {self.__class__.__name__} has been called more than once."
                )
            else:
                warnings.warn(  # noqa: B028 - upstream's stacklevel, for identical filtering
                    f"init_weights of {self.__class__.__name__} has been called more than once."
                )
            return False

        def _log_init_cfg(self) -> None:
            get_logger(flavour).log(
                flavour.init_cfg_log_level,
                f"initialize {self.__class__.__name__} with init_cfg {self.init_cfg}",
            )

        def _init_pretrained_last(self) -> None:
            # mmengine: Pretrained entries run after the others and after the children.
            pretrained: list[dict] = []
            if self.init_cfg:
                self._log_init_cfg()
                cfgs = [self.init_cfg] if isinstance(self.init_cfg, dict) else self.init_cfg
                others = []
                for cfg in cfgs:
                    if not isinstance(cfg, dict):
                        raise AssertionError(
                            f"each init_cfg entry of {self.__class__.__name__} must be a dict, "
                            f"got {type(cfg)!r}"
                        )
                    if _is_pretrained(cfg["type"], pretrained_classes):
                        pretrained.append(cfg)
                    else:
                        others.append(cfg)
                initialize(self, others)
            self._init_children()
            if self.init_cfg and pretrained:
                initialize(self, pretrained)

        def _init_in_order(self) -> bool:
            # mmcv 1.x: the list runs in order; a dict Pretrained returns early.
            if self.init_cfg:
                self._log_init_cfg()
                initialize(self, self.init_cfg)
                if isinstance(self.init_cfg, dict) and self.init_cfg["type"] == "Pretrained":
                    return True
            self._init_children()
            return False

        def _init_children(self) -> None:
            child: Any
            for child in self.children():
                if (flavour.unwrap_model_wrappers and _is_model_wrapper(child)
                        and not hasattr(child, "init_weights")):
                    child = child.module
                if not hasattr(child, "init_weights"):
                    continue
                if flavour.skip_initialised_children and getattr(child, "is_init", False):
                    continue
                with _user_code(child):
                    child.init_weights()
                # the child may define its own init_weights, writing any parameter
                update_init_info_for(
                    child,
                    f"Initialized by user-defined `init_weights` in {child.__class__.__name__} ",
                    flavour,
                )

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

    _OUR_BASE_MODULES.append(BaseModule)
    classes = ModuleClasses(BaseModule, Sequential, ModuleList, ModuleDict)
    for cls in classes:
        cls.__module__ = module_name
        cls.__qualname__ = cls.__name__
    return classes
