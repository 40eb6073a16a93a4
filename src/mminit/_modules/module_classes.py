"""``BaseModule`` and the ``Sequential``/``ModuleList``/``ModuleDict`` containers.

The methods live here, at module level, in the ``_*Body`` classes;
:func:`make_module_classes` only creates one flavour's four classes from them,
so each flavour's ``BaseModule`` derives directly from ``nn.Module`` (its
``__bases__`` names matter for layer matching) while the behaviour differs only
through the :class:`~mminit._flavour.Flavour` fields.  Each class gets its own
copy of the body's functions whose ``__class__`` cell is that class (what a
``class`` statement does), so ``super()`` and ``__class__`` inside them work as
if they had been written in that class.
"""

from __future__ import annotations

import copy
import types
from abc import ABCMeta
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from torch import nn

from .._flavour import Flavour
from .._init import InitCfg
from .base_module import run_init_weights
from .native import NativeKind, mminit_kind, register_native
from .user_code import InitMode

__all__ = ["ModuleClasses", "make_module_classes"]


class ModuleClasses(NamedTuple):
    BaseModule: type
    Sequential: type
    ModuleList: type
    ModuleDict: type


class _BaseModuleBody:
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

    _kind: NativeKind  # set by make_module_classes

    def __init__(self, init_cfg: InitCfg | None = None) -> None:
        super().__init__()
        self._is_init = False
        self.init_cfg = copy.deepcopy(init_cfg)

    def init_weights(self, mode: InitMode | None = None) -> None:
        """Apply ``init_cfg``, then the children's ``init_weights``; record init info.

        Args:
            mode: ``"compat"`` (default): upstream's exact result, computed
                by the compat engine; ``"eager"``: upstream's literal
                sequence of fills and checks (slower, same result);
                ``"fast"``: each parameter filled once with its final
                initializer (same distributions and info strings, not the
                same random numbers; see :mod:`mminit._engine.fast`).
                ``None`` uses the surrounding :func:`mminit.init_mode`.
        """
        # __class__: the flavour's BaseModule this copy belongs to (not type(self))
        run_init_weights(self, __class__._kind, mode)  # type: ignore[name-defined]

    def __repr__(self) -> str:
        s = super().__repr__()
        if self.init_cfg:
            s += f"\ninit_cfg={self.init_cfg}"
        return s


def _get_is_init(self: Any) -> bool:
    return self._is_init  # type: ignore[no-any-return]


def _set_is_init(self: Any, value: bool) -> None:
    self._is_init = value


def _flavour_base(cls: type) -> Any:
    """The flavour's ``BaseModule`` a container class derives from."""
    return cls.__bases__[0]


class _SequentialBody:
    """``nn.Sequential`` with its own ``init_cfg``."""

    def __init__(self, *args: Any, init_cfg: InitCfg | None = None) -> None:
        _flavour_base(__class__).__init__(self, init_cfg)  # type: ignore[name-defined]
        nn.Sequential.__init__(self, *args)  # type: ignore[call-overload]


class _ModuleListBody:
    """``nn.ModuleList`` with its own ``init_cfg``."""

    def __init__(
        self, modules: Iterable[nn.Module] | None = None, init_cfg: InitCfg | None = None
    ) -> None:
        _flavour_base(__class__).__init__(self, init_cfg)  # type: ignore[name-defined]
        nn.ModuleList.__init__(self, modules)  # type: ignore[arg-type]


class _ModuleDictBody:
    """``nn.ModuleDict`` with its own ``init_cfg``."""

    def __init__(
        self, modules: dict[str, Any] | None = None, init_cfg: InitCfg | None = None
    ) -> None:
        _flavour_base(__class__).__init__(self, init_cfg)  # type: ignore[name-defined]
        nn.ModuleDict.__init__(self, modules)  # type: ignore[arg-type]


def _make_class(body: type, bases: tuple[type, ...], module_name: str, **extra: Any) -> type:
    """A class named like ``body`` minus ``_`` and ``Body``, with copies of its methods.

    The copies share one ``__class__`` cell, which class creation fills with the
    new class (``__classcell__``), exactly as for a ``class`` statement.
    """
    name = body.__name__[1 : -len("Body")]
    cell = types.CellType()
    namespace: dict[str, Any] = {
        "__module__": module_name,
        "__qualname__": name,
        "__doc__": body.__doc__,
        "__classcell__": cell,
        **extra,
    }
    for attr, value in vars(body).items():
        if isinstance(value, types.FunctionType):
            assert value.__code__.co_freevars in ((), ("__class__",)), value
            method = types.FunctionType(
                value.__code__,
                value.__globals__,
                value.__name__,
                value.__defaults__,
                (cell,) if value.__closure__ else None,
            )
            method.__kwdefaults__ = value.__kwdefaults__
            method.__annotations__ = value.__annotations__
            method.__doc__ = value.__doc__
            method.__qualname__ = f"{name}.{attr}"
            namespace[attr] = method
    return ABCMeta(name, bases, namespace)


def make_module_classes(
    flavour: Flavour,
    initialize: Callable[[nn.Module, Any], None],
    pretrained_classes: tuple[type, ...],
    module_name: str,
) -> ModuleClasses:
    """Build ``BaseModule`` and its containers for ``flavour``.

    Each call makes new classes and registers their ``init_weights`` (keyed by
    that function, so registering is per class); each flavour module calls it once.

    Args:
        flavour: the upstream to behave as.
        initialize: the flavour's ``initialize(module, init_cfg)``.
        pretrained_classes: classes that count as ``type='Pretrained'``.
        module_name: the public module the classes are exposed from.
    """
    is_init = property(
        _get_is_init,
        _set_is_init if flavour.is_init_settable else None,
        doc="Whether init_weights has run on this module.",
    )
    base = _make_class(
        _BaseModuleBody, (nn.Module,), module_name, _flavour=flavour, is_init=is_init
    )
    base._kind = mminit_kind(flavour, initialize, pretrained_classes, base)  # type: ignore[attr-defined]
    register_native(base.init_weights, base._kind)  # type: ignore[attr-defined]
    return ModuleClasses(
        base,
        _make_class(_SequentialBody, (base, nn.Sequential), module_name),
        _make_class(_ModuleListBody, (base, nn.ModuleList), module_name),
        _make_class(_ModuleDictBody, (base, nn.ModuleDict), module_name),
    )
