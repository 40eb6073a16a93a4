"""``build_conv_layer``, ``build_norm_layer``, ``build_activation_layer``,
``build_upsample_layer``, ``build_padding_layer``, ``infer_abbr`` and ``is_norm``,
made once per flavour from :class:`~mminit.bricks._flavour.BricksFlavour`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from .._name_table import call_prefixing_errors
from ._errors import InvalidBrickArg
from ._flavour import BricksFlavour
from ._registry import LayerRegistry

__all__ = ["Builders", "LayerBuilders", "infer_abbr", "is_norm", "make_builders"]


def infer_abbr(class_type: Any) -> str:
    """The attribute-name stem of a norm class: ``_abbr_``, else by base class, else by name.

    ``'in'`` for instance norms (checked before batch norms, which they subclass),
    ``'bn'``, ``'gn'``, ``'ln'``; else by a word in the class name (``batch``,
    ``group``, ``layer``, ``instance``); else ``'norm_layer'``.
    """
    if not inspect.isclass(class_type):
        raise TypeError(f"class_type must be a type, but got {type(class_type)}")
    if hasattr(class_type, "_abbr_"):
        return class_type._abbr_  # type: ignore[no-any-return]
    for base, abbr in (
        (_InstanceNorm, "in"),
        (_BatchNorm, "bn"),
        (nn.GroupNorm, "gn"),
        (nn.LayerNorm, "ln"),
    ):
        if issubclass(class_type, base):
            return abbr
    lowered = class_type.__name__.lower()
    for word, abbr in (("batch", "bn"), ("group", "gn"), ("layer", "ln"), ("instance", "in")):
        if word in lowered:
            return abbr
    return "norm_layer"


def is_norm(layer: nn.Module, exclude: type | tuple[Any, ...] | None = None) -> bool:
    """Whether ``layer`` is a batch, instance, group or layer norm (and not of ``exclude``)."""
    if exclude is not None:
        if not isinstance(exclude, tuple):
            exclude = (exclude,)
        if not all(isinstance(t, type) for t in exclude):
            raise TypeError(
                f'"exclude" must be either None or type or a tuple of types, '
                f"but got {type(exclude)}: {exclude}"
            )
    if exclude and isinstance(layer, exclude):
        return False
    return isinstance(layer, (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm))


def _check_cfg(cfg: Any, builder: str) -> dict[str, Any]:
    if not isinstance(cfg, dict):
        raise TypeError(
            f"{builder}: cfg must be a dict with a 'type' key, but got {type(cfg)}: {cfg!r}"
        )
    if "type" not in cfg:
        raise KeyError(f'{builder}: the cfg dict must contain the key "type", but got {cfg}')
    return dict(cfg)


@dataclass(frozen=True)
class Builders:
    """One flavour's builder functions."""

    build_conv_layer: Callable[..., nn.Module]
    build_norm_layer: Callable[..., tuple[str, nn.Module]]
    build_activation_layer: Callable[..., nn.Module]
    build_upsample_layer: Callable[..., nn.Module]
    build_padding_layer: Callable[..., nn.Module]


class LayerBuilders:
    """What the five public ``build_*`` functions of one flavour do.

    Args:
        flavour: the bricks flavour.
        registries: kind (``'conv'``, ``'norm'``, ...) -> registry (one shared
            registry for every kind in mmcv 2.x).
        sequential: the flavour's ``Sequential`` (mmcv 2.x builds a list of
            activation cfgs into one).
    """

    def __init__(
        self, flavour: BricksFlavour, registries: dict[str, LayerRegistry], sequential: type
    ) -> None:
        self._flavour = flavour
        self._registries = registries
        self._sequential = sequential

    def resolve(self, kind: str, layer_type: Any, scope: str | None = None) -> Any:
        """The class ``layer_type`` names in the ``kind`` registry (or the class itself)."""
        if self._flavour.class_as_type and inspect.isclass(layer_type):
            return layer_type
        registry = self._registries[kind]
        found = registry.get(layer_type, scope)
        if found is None:
            raise registry.unknown(f"{kind} layer", layer_type)
        return found

    def conv(
        self, cfg: dict[str, Any] | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> nn.Module:
        cfg_ = {"type": "Conv2d"} if cfg is None else _check_cfg(cfg, "build_conv_layer")
        layer_cls = self.resolve("conv", cfg_.pop("type"))
        return layer_cls(*args, **kwargs, **cfg_)  # type: ignore[no-any-return]

    def norm(
        self, cfg: dict[str, Any], num_features: int, postfix: int | str
    ) -> tuple[str, nn.Module]:
        cfg_ = _check_cfg(cfg, "build_norm_layer")
        layer_type = cfg_.pop("type")
        norm_cls = self.resolve("norm", layer_type)
        abbr = infer_abbr(norm_cls)
        if not isinstance(postfix, (int, str)):
            raise InvalidBrickArg(
                f"build_norm_layer: postfix must be an int or a str, "
                f"got {postfix!r} of type {type(postfix).__name__}"
            )
        name = abbr + str(postfix)
        requires_grad = cfg_.pop("requires_grad", True)
        cfg_.setdefault("eps", 1e-5)
        if self._flavour.groupnorm_by_class:
            is_group_norm = norm_cls is nn.GroupNorm
        else:
            is_group_norm = layer_type == "GN"
        if is_group_norm:
            if "num_groups" not in cfg_:
                raise InvalidBrickArg(
                    f"build_norm_layer: a GroupNorm cfg needs 'num_groups', got {cfg}"
                )
            layer = norm_cls(num_channels=num_features, **cfg_)
        else:
            layer = norm_cls(num_features, **cfg_)
            if layer_type == "SyncBN" and hasattr(layer, "_specify_ddp_gpu_num"):
                layer._specify_ddp_gpu_num(1)
        for param in layer.parameters():
            param.requires_grad = requires_grad
        return name, layer

    def activation(self, cfg: Any) -> nn.Module:
        if self._flavour.activation_builder == "mmengine" and isinstance(cfg, list):
            # mmcv 2.x builds through MODELS.build, which makes a list into a Sequential
            return self._sequential(*(self._one_activation(c) for c in cfg))  # type: ignore[no-any-return]
        return self._one_activation(cfg)

    def _one_activation(self, cfg: Any) -> nn.Module:
        by_mmengine = self._flavour.activation_builder == "mmengine"
        if not isinstance(cfg, dict):
            if by_mmengine:
                raise TypeError(
                    f"build_activation_layer: cfg should be a dict (or a list of "
                    f"dicts), but got {type(cfg)}"
                )
            raise TypeError(f"build_activation_layer: cfg must be a dict, but got {type(cfg)}")
        if "type" not in cfg:
            raise KeyError(
                f'build_activation_layer: `cfg` must contain the key "type", but got {cfg}'
            )
        args = dict(cfg)
        scope = args.pop("_scope_", None) if by_mmengine else None
        act_type = args.pop("type")
        if isinstance(act_type, str):
            act_cls = self._registries["activation"].get(act_type, scope)
            if act_cls is None:
                raise self._registries["activation"].unknown("activation layer", act_type)
        elif (
            inspect.isclass(act_type)
            or inspect.isfunction(act_type)
            or (by_mmengine and inspect.ismethod(act_type))
        ):
            act_cls = act_type
        else:
            raise TypeError(
                f"build_activation_layer: type must be a str or a class, but got {type(act_type)}"
            )
        if by_mmengine:
            return act_cls(**args)  # type: ignore[no-any-return]
        return call_prefixing_errors(act_cls, args)  # type: ignore[no-any-return]

    def upsample(
        self, cfg: dict[str, Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> nn.Module:
        cfg_ = _check_cfg(cfg, "build_upsample_layer")
        layer_type = cfg_.pop("type")
        upsample_cls = self.resolve("upsample", layer_type)
        if upsample_cls is nn.Upsample and not inspect.isclass(layer_type):
            cfg_["mode"] = layer_type
        return upsample_cls(*args, **kwargs, **cfg_)  # type: ignore[no-any-return]

    def padding(
        self, cfg: dict[str, Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> nn.Module:
        cfg_ = _check_cfg(cfg, "build_padding_layer")
        padding_cls = self.resolve("padding", cfg_.pop("type"))
        return padding_cls(*args, **kwargs, **cfg_)  # type: ignore[no-any-return]


def make_builders(
    flavour: BricksFlavour, registries: dict[str, LayerRegistry], sequential: type, module_name: str
) -> Builders:
    """The five public ``build_*`` functions of ``flavour``, as ``module_name`` shows them:
    upstream's signatures, each calling :class:`LayerBuilders`.

    Args:
        flavour, registries, sequential: see :class:`LayerBuilders`.
        module_name: the public module the functions are exposed from.
    """
    impl = LayerBuilders(flavour, registries, sequential)

    def build_conv_layer(cfg: dict[str, Any] | None, *args: Any, **kwargs: Any) -> nn.Module:
        """Build the conv layer ``cfg['type']`` (``Conv2d`` when ``cfg`` is None).

        The rest of ``cfg`` and ``args``/``kwargs`` go to its constructor.

        Examples:
            >>> build_conv_layer(dict(type="Conv1d"), 3, 8, kernel_size=3)
        """
        return impl.conv(cfg, args, kwargs)

    def build_norm_layer(
        cfg: dict[str, Any], num_features: int, postfix: int | str = ""
    ) -> tuple[str, nn.Module]:
        """Build the norm layer ``cfg['type']`` for ``num_features`` channels.

        Returns ``(name, layer)``: the name is :func:`infer_abbr` of the class plus
        ``postfix`` (``'bn1'``, ``'gn'``).  ``cfg['requires_grad']`` (default True)
        is applied to the layer's parameters; ``eps`` defaults to ``1e-5``;
        group norms get ``num_channels=num_features`` and need ``num_groups``.

        Examples:
            >>> build_norm_layer(dict(type="GN", num_groups=2), 8, postfix=1)
        """
        return impl.norm(cfg, num_features, postfix)

    def build_activation_layer(cfg: dict[str, Any]) -> nn.Module:
        """Build the activation layer ``cfg['type']`` with the rest of ``cfg`` as arguments.

        Examples:
            >>> build_activation_layer(dict(type="LeakyReLU", negative_slope=0.2))
        """
        return impl.activation(cfg)

    def build_upsample_layer(cfg: dict[str, Any], *args: Any, **kwargs: Any) -> nn.Module:
        """Build the upsample layer ``cfg['type']``; ``'nearest'``/``'bilinear'`` become
        ``nn.Upsample(mode=<that name>)``.

        Examples:
            >>> build_upsample_layer(dict(type="bilinear", scale_factor=2))
        """
        return impl.upsample(cfg, args, kwargs)

    def build_padding_layer(cfg: dict[str, Any], *args: Any, **kwargs: Any) -> nn.Module:
        """Build the padding layer ``cfg['type']`` (``'zero'``, ``'reflect'``, ``'replicate'``).

        Examples:
            >>> build_padding_layer(dict(type="reflect"), 2)
        """
        return impl.padding(cfg, args, kwargs)

    fns = (
        build_conv_layer,
        build_norm_layer,
        build_activation_layer,
        build_upsample_layer,
        build_padding_layer,
    )
    for fn in fns:
        fn.__module__ = module_name
        fn.__qualname__ = fn.__name__
    return Builders(*fns)
