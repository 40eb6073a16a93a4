"""Assemble one flavour's public namespace from the shared implementation."""

from __future__ import annotations

from typing import Any, NamedTuple

from torch import nn

from ._flavour import Flavour
from ._init import InitCfg, Registry, flavoured_initializers, initialize_with, update_init_info_for
from ._modules import make_module_classes

__all__ = ["FlavourAPI", "make_flavour_api"]


class FlavourAPI(NamedTuple):
    initializers: dict[str, type]
    registry: Registry
    initialize: Any
    update_init_info: Any
    BaseModule: type
    Sequential: type
    ModuleList: type
    ModuleDict: type


def make_flavour_api(flavour: Flavour, module_name: str, registry_name: str) -> FlavourAPI:
    """Build the registry, ``initialize``, ``update_init_info`` and module classes."""
    initializers = flavoured_initializers(flavour, module_name)
    registry = Registry(registry_name, flavour, initializers)

    def initialize(module: nn.Module, init_cfg: InitCfg) -> None:
        """Initialise ``module`` with ``init_cfg`` (a dict or a list of dicts).

        Each dict names an initializer ``type`` (``'Constant'``, ``'Xavier'``,
        ``'Normal'``, ``'TruncNormal'``, ``'Uniform'``, ``'Kaiming'``,
        ``'Caffe2Xavier'``, ``'Pretrained'`` or a registered custom one, or the
        class itself), its arguments, optionally ``layer`` (class names to
        match) and ``override`` (configs for named submodules).

        Examples:
            >>> initialize(nn.Linear(2, 3), dict(type="Constant", layer="Linear", val=1, bias=2))
        """
        initialize_with(module, init_cfg, registry)

    def update_init_info(module: nn.Module, init_info: str) -> None:
        """Describe each parameter of ``module`` whose mean changed with ``init_info``.

        Call it from a module's own ``init_weights`` while a ``BaseModule`` parent
        initialises the tree (the parent holds the table it writes to).

        Examples:
            >>> class Zeroed(nn.Linear):
            ...     def init_weights(self):
            ...         nn.init.zeros_(self.weight)
            ...         update_init_info(self, "zeroed by Zeroed.init_weights")
            >>> parent = Sequential(Zeroed(2, 2))
            >>> parent.init_weights()
        """
        update_init_info_for(module, init_info, flavour)

    for fn in (initialize, update_init_info):
        fn.__module__ = module_name
        fn.__qualname__ = fn.__name__
    pretrained = (initializers["Pretrained"],)
    classes = make_module_classes(flavour, initialize, pretrained, module_name)
    return FlavourAPI(initializers, registry, initialize, update_init_info, *classes)
