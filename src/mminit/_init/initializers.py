"""The initializer classes: one ``__call__`` in :class:`BaseInit`, a fill per subclass.

Each subclass supplies only ``_weight_spec`` (the fill its ``*_init`` helper
applies to a matching module's weight; biases always get ``constant(bias)``)
and ``_INFO`` (its init-info template, upstream's spacing included).  Flavour-specific copies (``mminit.mmcv1.ConstantInit`` ...) are
subclasses made by :func:`flavoured_initializers` that change ``_flavour`` only.
"""

from __future__ import annotations

from typing import Any, ClassVar

from torch import nn

from .. import _functional as F
from .._checkpoint import (
    _load_checkpoint_with_prefix,
    load_checkpoint,
    load_state_dict,
)
from .._engine import FillSpec, active_engine, apply_fill, module_fills
from .._flavour import MMENGINE, Flavour
from .._functional import check_distribution
from .._logging import get_logger
from .init_info import update_init_info_for

__all__ = [
    "BaseInit",
    "Caffe2XavierInit",
    "ConstantInit",
    "INITIALIZER_CLASSES",
    "KaimingInit",
    "NormalInit",
    "PretrainedInit",
    "TruncNormalInit",
    "UniformInit",
    "XavierInit",
    "flavoured_initializers",
    "matches_layer",
]

_DEFAULT: Any = object()  # "use the flavour's default"


def matches_layer(module: nn.Module, layers: list[str] | set[str]) -> bool:
    """Whether ``module``'s class name or a *direct* base class's name is in ``layers``.

    Upstream compares against ``type(module).__bases__`` only, not the whole
    MRO (mmcv#1057): ``layer='Conv2d'`` matches ``class A(nn.Conv2d)`` but not
    ``class B(A)``.
    """
    cls = module.__class__
    if cls.__name__ in layers:
        return True
    return any(base.__name__ in layers for base in cls.__bases__)


class BaseInit:
    """Common arguments and the module walk of every random/constant initializer.

    Args:
        bias: value for every matched module's ``bias``.
        bias_prob: if given, the bias is ``bias_init_with_prob(bias_prob)``.
        layer: class name(s) of the modules to initialise.

    ``wholemodule`` is set by :func:`initialize` for ``override`` entries (all
    modules match); it is a plain attribute because custom initializers
    written for upstream read it.
    """

    _flavour: ClassVar[Flavour] = MMENGINE
    _INFO: ClassVar[str] = "bias={bias}"
    _INFO_SEP: ClassVar[str] = ", "

    def __init__(
        self,
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | list[str] | None = None,
    ) -> None:
        self.wholemodule = False
        if not isinstance(bias, (int, float)):
            raise TypeError(f"bias must be an int or a float, got {type(bias)!r}")
        if bias_prob is not None and not isinstance(bias_prob, float):
            raise TypeError(f"bias_prob must be a float or None, got {type(bias_prob)!r}")
        if layer is None:
            layer = []
        elif not isinstance(layer, (str, list)):
            raise TypeError(f"layer must be a str or a list of str, got {type(layer)!r}")
        if bias_prob is not None and not 0.0 < bias_prob < 1.0:
            engine = active_engine()
            if engine is not None:
                engine.cannot_replay()  # the log's warning: a plan would not make it
        self.bias = F.bias_init_with_prob(bias_prob) if bias_prob is not None else bias
        self.layer = [layer] if isinstance(layer, str) else layer

    def _weight_spec(self) -> FillSpec:
        raise NotImplementedError(
            f"{type(self).__name__} must define _weight_spec() or override __call__"
        )

    def __call__(self, module: nn.Module) -> None:
        layers = set(self.layer)
        engine = active_engine()
        todo: list[tuple[Any, FillSpec]] = []

        def visit(m: nn.Module) -> None:
            if self.wholemodule or matches_layer(m, layers):
                fill(m)

        specs: list[FillSpec] = []

        def fill(m: nn.Module) -> None:
            # _weight_spec validates, as upstream's helper does for each matched module
            if engine is None:
                for tensor, spec in module_fills(m, self._weight_spec(), self.bias):
                    apply_fill(tensor, spec)
                return
            if not specs:  # (the same spec for every module: validated at the first, once)
                specs.append(self._weight_spec())
            todo.extend(module_fills(m, specs[0], self.bias))

        if engine is None:
            module.apply(visit)
        else:
            info = self._get_init_info()
            order = engine.apply_order(module)
            try:
                if order is None:
                    module.apply(visit)
                elif self.wholemodule:  # the same calls, without apply's recursion
                    for m in order:
                        fill(m)
                else:  # (and each class matched against the layers once)
                    hit: dict[type, bool] = {}
                    for m in order:
                        cls = m.__class__
                        found = hit.get(cls)
                        if found is None:
                            found = hit[cls] = matches_layer(m, layers)
                        if found:
                            fill(m)
            finally:
                # the fills before a failing module happen, as upstream's do (a fill's own
                # error comes first in upstream's order, so it may replace the visit's)
                engine.write_all(todo, info)
        if hasattr(module, "_params_init_info"):
            update_init_info_for(module, self._get_init_info(), self._flavour)

    def _get_init_info(self) -> str:
        sep = ": " if type(self)._INFO is not BaseInit._INFO else self._INFO_SEP
        return f"{self.__class__.__name__}{sep}" + self._INFO.format(**vars(self))


class ConstantInit(BaseInit):
    """Fill weights with ``val`` and biases with ``bias``.

    Examples:
        >>> ConstantInit(val=1, bias=0, layer="Conv2d")(nn.Conv2d(3, 3, 1))
    """

    _INFO = "val={val}, bias={bias}"

    def __init__(self, val: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.val = val

    def _weight_spec(self) -> FillSpec:
        return FillSpec("constant", (self.val,))


class XavierInit(BaseInit):
    """Glorot initialisation (``distribution`` ``'normal'`` or ``'uniform'``)."""

    _INFO = "gain={gain}, distribution={distribution}, bias={bias}"

    def __init__(
        self, gain: float = 1, distribution: F.Distribution = "normal", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.gain = gain
        self.distribution = distribution

    def _weight_spec(self) -> FillSpec:
        check_distribution(self.distribution)
        return FillSpec(f"xavier_{self.distribution}", (self.gain,))


class NormalInit(BaseInit):
    """Weights from N(mean, std**2)."""

    _INFO = "mean={mean}, std={std}, bias={bias}"

    def __init__(self, mean: float = 0, std: float = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mean = mean
        self.std = std

    def _weight_spec(self) -> FillSpec:
        return FillSpec("normal", (self.mean, self.std))


class TruncNormalInit(BaseInit):
    """Weights from N(mean, std**2) truncated to [a, b]."""

    _INFO = "a={a}, b={b}, mean={mean}, std={std}, bias={bias}"

    def __init__(
        self, mean: float = 0, std: float = 1, a: float = -2, b: float = 2, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.mean = mean
        self.std = std
        self.a = a
        self.b = b

    def _weight_spec(self) -> FillSpec:
        return FillSpec("trunc_normal", (self.mean, self.std, self.a, self.b))


class UniformInit(BaseInit):
    """Weights from U(a, b); the defaults are the flavour's (``0, 1`` or ``0.0, 1.0``)."""

    _INFO = "a={a}, b={b}, bias={bias}"

    def __init__(self, a: float = _DEFAULT, b: float = _DEFAULT, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        default_a, default_b = self._flavour.uniform_defaults
        self.a = default_a if a is _DEFAULT else a
        self.b = default_b if b is _DEFAULT else b

    def _weight_spec(self) -> FillSpec:
        return FillSpec("uniform", (self.a, self.b))


class KaimingInit(BaseInit):
    """He initialisation."""

    # Upstream's info string has a space before "=" in "distribution =".
    _INFO = (
        "a={a}, mode={mode}, nonlinearity={nonlinearity}, distribution ={distribution}, bias={bias}"
    )

    def __init__(
        self,
        a: float = 0,
        mode: F.FanMode = "fan_out",
        nonlinearity: str = "relu",
        distribution: F.Distribution = "normal",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.a = a
        self.mode = mode
        self.nonlinearity = nonlinearity
        self.distribution = distribution

    def _weight_spec(self) -> FillSpec:
        check_distribution(self.distribution)
        return FillSpec(f"kaiming_{self.distribution}", (self.a, self.mode, self.nonlinearity))


class Caffe2XavierInit(KaimingInit):
    """Caffe2's ``XavierFill``: ``KaimingInit(a=1, mode='fan_in', nonlinearity='leaky_relu',
    distribution='uniform')``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            a=1, mode="fan_in", nonlinearity="leaky_relu", distribution="uniform", **kwargs
        )


class PretrainedInit:
    """Load ``checkpoint`` (or its ``prefix`` part) into the module.

    Args:
        checkpoint: a path or URL (see the checkpoint-loading docs).
        prefix: load only the keys under this prefix (e.g. ``'backbone.'``).
        map_location: where tensors go; the flavour's default (``'cpu'`` /
            ``None``) when omitted.
    """

    _flavour: ClassVar[Flavour] = MMENGINE
    #: fast mode leaves pending fills unmade while it loads (:class:`~mminit._engine.state.LoadsParameters`)
    loads_checkpoint: ClassVar[bool] = True

    def __init__(
        self, checkpoint: str, prefix: str | None = None, map_location: Any = _DEFAULT
    ) -> None:
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = (
            self._flavour.pretrained_map_location if map_location is _DEFAULT else map_location
        )

    def __call__(self, module: nn.Module) -> None:
        flavour = self._flavour
        logger = get_logger(flavour, mmcv_name="mmcv")
        if self.prefix is None:
            logger.info(f"load model from: {self.checkpoint}")
            load_checkpoint(
                module,
                self.checkpoint,
                map_location=self.map_location,
                strict=False,
                logger=logger,
                flavour=flavour,
            )
        else:
            logger.info(f"load {self.prefix} in model from: {self.checkpoint}")
            state_dict = _load_checkpoint_with_prefix(
                self.prefix, self.checkpoint, map_location=self.map_location, flavour=flavour
            )
            load_state_dict(module, state_dict, strict=False, logger=logger, flavour=flavour)
        if hasattr(module, "_params_init_info"):
            update_init_info_for(module, self._get_init_info(), flavour)

    def _get_init_info(self) -> str:
        return f"{self.__class__.__name__}: load from {self.checkpoint}"


INITIALIZER_CLASSES: dict[str, type] = {
    "Constant": ConstantInit,
    "Xavier": XavierInit,
    "Normal": NormalInit,
    "TruncNormal": TruncNormalInit,
    "Uniform": UniformInit,
    "Kaiming": KaimingInit,
    "Caffe2Xavier": Caffe2XavierInit,
    "Pretrained": PretrainedInit,
}


def flavoured_initializers(flavour: Flavour, module_name: str) -> dict[str, type]:
    """The eight initializer classes for ``flavour``.

    mminit's own classes where they already carry ``flavour`` (their ``_flavour``
    is mmengine's), else subclasses that change ``_flavour`` only.
    """
    if all(getattr(cls, "_flavour", None) is flavour for cls in INITIALIZER_CLASSES.values()):
        return dict(INITIALIZER_CLASSES)
    made: dict[str, type] = {}
    for key, cls in INITIALIZER_CLASSES.items():
        made[key] = type(
            cls.__name__,
            (cls,),
            {
                "_flavour": flavour,
                "__module__": module_name,
                "__qualname__": cls.__name__,
                "__doc__": cls.__doc__,
            },
        )
    return made
