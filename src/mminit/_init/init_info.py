"""``_params_init_info`` bookkeeping: which initializer last changed each parameter.

``BaseModule.init_weights`` puts one dict, keyed by parameter, on every module
of the tree; each initializer then calls :func:`update_init_info`, which
re-describes a parameter only if its mean changed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from torch import nn

from .._engine import active_engine
from .._errors import InitInfoError, check_known
from .._flavour import Flavour

__all__ = ["MminitInitInfo", "new_params_init_info", "update_init_info_for"]


class MminitInitInfo(defaultdict):  # type: ignore[type-arg]
    """The table of an ``init_weights`` that mminit started (upstream's is a plain defaultdict)."""


def _mean(param: nn.Parameter, flavour: Flavour) -> Any:
    mean = param.data.mean()
    return mean.cpu() if flavour.mean_on_cpu else mean


def new_params_init_info(
    module: nn.Module, flavour: Flavour, with_means: bool = True, params: list[Any] | None = None
) -> defaultdict[Any, dict[str, Any]]:
    """Create the table for a top-level ``module`` with every parameter unchanged so far.

    With ``with_means=False`` the ``tmp_mean_value`` entries are left for the
    compat engine to fill in just before each parameter's first write.  ``params``:
    ``module``'s parameters, as ``named_parameters()`` yields them, if already walked.
    """
    info: defaultdict[Any, dict[str, Any]] = MminitInitInfo(dict)
    unchanged = (
        "The value is the same before and after calling `init_weights` "
        f"of {module.__class__.__name__} "
    )
    for param in [p for _, p in module.named_parameters()] if params is None else params:
        info[param]["init_info"] = unchanged
        if with_means:
            info[param]["tmp_mean_value"] = _mean(param, flavour)
    return info


def update_init_info_for(module: nn.Module, init_info: str, flavour: Flavour) -> None:
    """Record ``init_info`` for each parameter of ``module`` whose mean changed."""
    if not hasattr(module, "_params_init_info"):
        raise InitInfoError(f"Can not find `_params_init_info` in {module}")
    table: Any = module._params_init_info
    engine = active_engine()
    if engine is not None and engine.table is table:
        engine.check(module, init_info)  # raises, as below, on a parameter added mid-init
        return
    for name, param in module.named_parameters():
        check_known(name, param, module, table)
        mean = _mean(param, flavour)
        entry = table[param]
        if entry["tmp_mean_value"] != mean:
            entry["init_info"] = init_info
            entry["tmp_mean_value"] = mean
