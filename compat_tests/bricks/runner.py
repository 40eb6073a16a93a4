"""Run one brick case on one library and describe what happened (comparable across processes)."""

from __future__ import annotations

import contextlib
import io
import types
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

__all__ = ["load_bricks", "run_case"]

_CLASS_FOR_BUILDER = {
    "conv": "Conv2d",
    "norm": "BatchNorm2d",
    "act": "ReLU",
    "upsample": "Upsample",
    "padding": "ZeroPad2d",
}


def load_bricks(name: str) -> types.SimpleNamespace:
    """``name``: ``mmcv`` (whichever mmcv is installed), ``mminit`` or ``mminit.mmcv1``."""
    import importlib

    if name == "mmcv":
        mod: Any = importlib.import_module("mmcv.cnn")
        major = importlib.import_module("mmcv").__version__.split(".")[0]
        base = importlib.import_module(
            "mmcv.runner" if major == "1" else "mmengine.model"
        ).BaseModule
    else:
        mod = importlib.import_module(name)
        base = mod.BaseModule
    names = (
        "build_conv_layer",
        "build_norm_layer",
        "build_activation_layer",
        "build_upsample_layer",
        "build_padding_layer",
        "ConvModule",
    )
    ns = types.SimpleNamespace(**{n: getattr(mod, n) for n in names})
    ns.BaseModule = base
    ns.name = name
    return ns


def _resolve(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("cls:"):
        return getattr(nn, value[4:])
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


def _exc(exc: BaseException) -> list[str]:
    return [c.__name__ for c in type(exc).__mro__]


def _state(module: Any) -> dict[str, Any]:
    if not isinstance(module, nn.Module):
        return {"not_a_module": repr(type(module))}
    out: dict[str, Any] = {k: v.detach().clone() for k, v in module.state_dict().items()}
    out["__requires_grad__"] = {k: p.requires_grad for k, p in module.named_parameters()}
    return out


#: classes in mminit's MRO that upstream's plain-nn.Module ConvModule does not have
_OWN_BASES = {"BaseModule", "_ConvModuleLogic"}


def _classes(module: Any) -> Any:
    """Each submodule's class ancestry by name (layer matching in init_cfg reads these)."""
    if not isinstance(module, nn.Module):
        return repr(type(module))
    return {
        name or ".": [c.__name__ for c in type(m).__mro__ if c.__name__ not in _OWN_BASES]
        for name, m in module.named_modules()
    }


def _forward(fn: Callable[[], Any]) -> Any:
    try:
        with torch.no_grad():
            y = fn()
        if isinstance(y, tuple):  # e.g. PatchEmbed's (patches, out_size)
            return {
                str(i): v.detach().clone() if isinstance(v, torch.Tensor) else v
                for i, v in enumerate(y)
            }
        return y.detach().clone() if isinstance(y, torch.Tensor) else repr(type(y))
    except Exception as exc:  # noqa: BLE001 - the type is the result
        return {"error": _exc(exc)}


def _conv_module_kwargs(case: dict[str, Any]) -> dict[str, Any]:
    kw = _resolve(case["kwargs"])
    if "order" in kw:  # JSON has no tuples
        kw["order"] = tuple(kw["order"])
    return kw


def _invalid(case: dict[str, Any], lib: Any) -> Any:
    which, builder = case["which"], case["builder"]
    cm = lib.ConvModule
    if which == "order":
        return cm(2, 2, 1, order=("conv", "norm", "nope"))
    if which == "order_list":
        return cm(2, 2, 1, order=["conv", "norm", "act"])
    if which == "conv_cfg_str":
        return cm(2, 2, 1, conv_cfg="Conv2d")
    if which == "norm_cfg_list":
        return cm(2, 2, 1, norm_cfg=[{"type": "BN"}])
    if which == "act_cfg_str":
        return cm(2, 2, 1, act_cfg="ReLU")
    if which == "postfix":
        return lib.build_norm_layer({"type": "BN"}, 2, postfix=1.5)
    if which == "gn_groups":
        return lib.build_norm_layer({"type": "GN"}, 4)
    if which == "act_list":
        return lib.build_activation_layer([{"type": "ReLU"}, {"type": "Tanh"}])
    if which == "pad_missing_arg":
        return lib.build_padding_layer({"type": "zero"})
    cfg: Any
    if which.startswith("unknown_"):
        builder = which[len("unknown_") :]
        cfg = {"type": "NoSuchLayer"}
    elif which == "missing_type":
        cfg = {"inplace": True}
    elif which == "not_dict":
        cfg = "ReLU"
    elif which == "int_type":
        cfg = {"type": 3}
    else:  # class_type
        cfg = {"type": getattr(nn, _CLASS_FOR_BUILDER[builder])}
    if builder == "conv":
        return lib.build_conv_layer(cfg, 2, 2, 1)
    if builder == "norm":
        return lib.build_norm_layer(cfg, 2)
    if builder == "act":
        return lib.build_activation_layer(cfg)
    if builder == "upsample":
        if isinstance(cfg, dict) and cfg.get("type") is nn.Upsample:
            cfg["scale_factor"] = 2
        return lib.build_upsample_layer(cfg)
    return lib.build_padding_layer(cfg, 1)


def _build(case: dict[str, Any], lib: Any) -> Any:
    kind = case["kind"]
    if kind == "conv":
        return lib.build_conv_layer(_resolve(case["cfg"]), *case["args"], **case["kwargs"])
    if kind == "norm":
        return lib.build_norm_layer(_resolve(case["cfg"]), case["num_features"], case["postfix"])
    if kind == "act":
        return lib.build_activation_layer(_resolve(case["cfg"]))
    if kind == "upsample":
        return lib.build_upsample_layer(_resolve(case["cfg"]), *case["args"])
    if kind == "padding":
        return lib.build_padding_layer(_resolve(case["cfg"]), *case["args"])
    if kind == "convmodule":
        return lib.ConvModule(**_conv_module_kwargs(case))
    if kind == "parent":
        kw = _conv_module_kwargs(case)

        class Parent(lib.BaseModule):  # type: ignore[name-defined,misc]
            def __init__(self) -> None:
                super().__init__(init_cfg=case["init_cfg"])
                self.block = lib.ConvModule(**kw)
                self.head = nn.Conv2d(kw["out_channels"], 2, 1)

            def forward(self, x: Any) -> Any:
                return self.head(self.block(x))

        return Parent()
    return _invalid(case, lib)


def run_case(
    case: dict[str, Any],
    lib: Any,
    capture: Any = None,
    build: Callable[[dict[str, Any], Any], Any] | None = None,
) -> dict[str, Any]:
    """Build, record, ``init_weights()``, record, forward (train, then eval); same seeds both sides.

    ``capture``: a :class:`compat_tests.libs.LogCapture`; the log records (level, message)
    of the whole case are compared too (the init-info dump of a parent ``BaseModule``).
    ``build``: how ``case`` is built (default: the builder/ConvModule cases of this module).
    """
    from compat_tests.libs import LogCapture

    capture = capture or LogCapture()
    result: dict[str, Any] = {}
    seed = case["seed"]
    with (
        warnings.catch_warnings(record=True) as caught,
        contextlib.redirect_stdout(io.StringIO()),
        capture.capture() as records,
    ):
        warnings.simplefilter("always")
        torch.manual_seed(seed)
        try:
            built = (build or _build)(case, lib)
        except Exception as exc:  # noqa: BLE001 - the type is the result
            result["error"] = _exc(exc)
            built = None
        if built is not None:
            module = built
            if case["kind"] in ("norm", "plugin"):  # (name, layer)
                result["name"], module = built
            result["repr"] = repr(module)
            result["classes"] = _classes(module)
            result["state"] = _state(module)
            if hasattr(module, "init_weights"):
                torch.manual_seed(seed + 1)
                try:
                    module.init_weights()
                    result["init"] = _state(module)
                except Exception as exc:  # noqa: BLE001
                    result["init"] = {"error": _exc(exc)}
            if isinstance(module, nn.Module) and case.get("input"):
                torch.manual_seed(seed + 2)
                x = torch.randn(case["input"])
                flags = case.get("forward_flags")
                if flags is not None:
                    result["train"] = _forward(lambda: module(x.clone(), *flags))
                else:
                    result["train"] = _forward(lambda: module(x.clone()))
                result["after_train"] = _state(module)
                module.eval()
                result["eval"] = _forward(lambda: module(x.clone()))
    result["warnings"] = sorted({(w.category.__name__, str(w.message)) for w in caught})
    result["records"] = list(records)
    return result
