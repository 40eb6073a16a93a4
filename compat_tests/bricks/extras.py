"""Generated cases for the bricks beyond the five builders: ``DepthwiseSeparableConvModule``,
``NonLocal{1,2,3}d``, ``ContextBlock``, ``Scale``, ``DropPath``/``Dropout``,
``build_plugin_layer`` and ``build_dropout`` (and these inside a parent ``BaseModule``).

Run by the bricks suite with ``suite="extras"``: upstream's classes in the test
process, mminit's in a worker without mmcv/mmengine; the results are compared
as :func:`compat_tests.bricks.runner.run_case` records them (state after
construction and after ``init_weights()``, class ancestry, repr, forward in
train and eval mode, warnings, log records, exception types).
"""

from __future__ import annotations

import importlib
import random
import types
from collections.abc import Callable
from typing import Any

from torch import nn

from compat_tests.bricks.generator import _act_cfg, _norm_cfg

__all__ = ["EXTRA_NAMES", "build_extra", "generate_extra_case", "load_extras"]

EXTRA_NAMES = (
    "DepthwiseSeparableConvModule",
    "NonLocal1d",
    "NonLocal2d",
    "NonLocal3d",
    "ContextBlock",
    "GeneralizedAttention",
    "FFN",
    "PatchEmbed",
    "AdaptivePadding",
    "PatchMerging",
    "MultiheadAttention",
    "Scale",
    "DropPath",
    "Dropout",
    "build_plugin_layer",
    "build_dropout",
)
#: where mmcv (1.7.2 and 2.2.0 alike) binds each name
_MMCV_HOME = {
    "DropPath": "mmcv.cnn.bricks",
    "Dropout": "mmcv.cnn.bricks",
    "build_dropout": "mmcv.cnn.bricks.drop",
    "FFN": "mmcv.cnn.bricks.transformer",
    "PatchEmbed": "mmcv.cnn.bricks.transformer",
    "AdaptivePadding": "mmcv.cnn.bricks.transformer",
    "PatchMerging": "mmcv.cnn.bricks.transformer",
    "MultiheadAttention": "mmcv.cnn.bricks.transformer",
    "LayerScale": "mmcv.cnn.bricks",
}
_NL_MODES = ["embedded_gaussian", "gaussian", "dot_product", "concatenation"]


def load_extras(name: str) -> types.SimpleNamespace:
    """``name``: ``mmcv``, ``mminit`` or ``mminit.mmcv1``; the extra names plus ``BaseModule``."""
    if name == "mmcv":
        ns = types.SimpleNamespace(
            **{
                n: getattr(importlib.import_module(_MMCV_HOME.get(n, "mmcv.cnn")), n)
                for n in EXTRA_NAMES
            }
        )
        major = importlib.import_module("mmcv").__version__.split(".")[0]
        ns.BaseModule = importlib.import_module(
            "mmcv.runner" if major == "1" else "mmengine.model"
        ).BaseModule
        if major == "1":
            ns.PLUGIN_LAYERS = importlib.import_module("mmcv.cnn").PLUGIN_LAYERS
        else:
            ns.LayerScale = importlib.import_module(_MMCV_HOME["LayerScale"]).LayerScale
    else:
        mod = importlib.import_module(name)
        ns = types.SimpleNamespace(**{n: getattr(mod, n) for n in EXTRA_NAMES})
        ns.BaseModule = mod.BaseModule
        if name == "mminit.mmcv1":
            ns.PLUGIN_LAYERS = mod.PLUGIN_LAYERS
        else:
            ns.LayerScale = mod.LayerScale
    ns.name = name
    return ns


# -- generation ---------------------------------------------------------------------------
def _dsc_case(r: random.Random, flavour: str) -> dict[str, Any]:
    cin, cout = r.randint(1, 4), r.randint(1, 4)
    kw: dict[str, Any] = {
        "in_channels": cin,
        "out_channels": cout,
        "kernel_size": r.choice([1, 3]),
        "stride": r.randint(1, 2),
        "padding": r.randint(0, 1),
        "dilation": r.randint(1, 2),
    }
    norm = lambda c: _norm_cfg(r, r.choice(["BN", "GN", "IN"]), c) if r.random() < 0.7 else None
    act = lambda: _act_cfg(r, "mmcv1") if r.random() < 0.8 else None
    for key, draw in (
        ("norm_cfg", lambda: norm(1)),
        ("act_cfg", act),
        ("dw_norm_cfg", lambda: norm(cin)),
        ("dw_act_cfg", act),
        ("pw_norm_cfg", lambda: norm(cout)),
        ("pw_act_cfg", act),
        ("bias", lambda: r.choice(["auto", True, False])),
        ("with_spectral_norm", lambda: r.random() < 0.3),
        ("order", lambda: r.choice([["conv", "norm", "act"], ["act", "conv", "norm"]])),
    ):
        if r.random() < 0.4:
            kw[key] = draw()
    for key in ("norm_cfg", "dw_norm_cfg", "pw_norm_cfg"):  # GN groups must divide the channels
        cfg = kw.get(key)
        if isinstance(cfg, dict) and cfg["type"] == "GN":
            cfg["num_groups"] = 1
    if "act_cfg" in kw and isinstance(kw["act_cfg"], dict):
        kw["act_cfg"].pop("no_such_arg", None)
    if r.random() < 0.05:
        kw["groups"] = cin
    return {"kind": "dsc", "kwargs": kw, "input": [2, cin, r.randint(5, 7), r.randint(5, 7)]}


def _nonlocal_case(r: random.Random) -> dict[str, Any]:
    dims = r.choice([1, 2, 2, 3])
    c = r.randint(1, 6)
    kw: dict[str, Any] = {"in_channels": c}
    if r.random() < 0.6:
        kw["mode"] = r.choice(_NL_MODES) if r.random() < 0.97 else "cosine"
    if r.random() < 0.4:
        kw["sub_sample"] = r.random() < 0.6
    if r.random() < 0.3:
        kw["reduction"] = r.choice([1, 2, 4, 8])
    if r.random() < 0.3:
        kw["use_scale"] = r.random() < 0.5
    if r.random() < 0.3:
        kw["norm_cfg"] = {
            "type": r.choice(["BN", "GN"]) if dims == 2 else "BN1d" if dims == 1 else "BN3d"
        }
        if kw["norm_cfg"]["type"] == "GN":
            kw["norm_cfg"]["num_groups"] = 1
    if r.random() < 0.3:
        kw["std"] = r.choice([0.01, 0.5])
    if r.random() < 0.3:
        kw["zeros_init"] = r.random() < 0.5
    if r.random() < 0.03:
        kw["no_such_arg"] = 1
    size = [r.choice([2, 4]) for _ in range(dims)]
    return {"kind": "nonlocal", "dims": dims, "kwargs": kw, "input": [2, c, *size]}


def _context_case(r: random.Random) -> dict[str, Any]:
    c = r.randint(2, 8)
    ratio = (
        r.choice([1 / 2, 1.0]) if r.random() < 0.9 else r.choice([1 / 4, 1 / 16])
    )  # planes may be 0
    kw: dict[str, Any] = {"in_channels": c, "ratio": ratio}
    if r.random() < 0.5:
        kw["pooling_type"] = r.choice(
            ["att", "avg", "avg", "max"] if r.random() < 0.1 else ["att", "avg"]
        )
    if r.random() < 0.6:
        kw["fusion_types"] = r.choice(
            [
                ["channel_add"],
                ["channel_mul"],
                ["channel_add", "channel_mul"],
                ["channel_mul", "channel_add"],
            ]
        )
        if r.random() < 0.08:
            kw["fusion_types"] = r.choice([[], ["channel_cat"], "channel_add"])
    return {"kind": "context", "kwargs": kw, "input": [2, c, r.randint(2, 5), r.randint(2, 5)]}


def _attention_case(r: random.Random) -> dict[str, Any]:
    heads = r.choice([1, 2, 3])
    c = heads * r.choice([2, 4])
    kw: dict[str, Any] = {"in_channels": c, "num_heads": heads}
    if r.random() < 0.7:
        kw["attention_type"] = "".join(r.choice("01") for _ in range(4))
    if r.random() < 0.4:
        kw["position_embedding_dim"] = r.choice([4, 8, 12]) if r.random() < 0.9 else 6
    if r.random() < 0.3:
        kw["position_magnitude"] = r.choice([1, 2])
    if r.random() < 0.4:
        kw["kv_stride"] = r.choice([1, 2])
    if r.random() < 0.3:
        kw["q_stride"] = r.choice([1, 2])
    size = r.choice([4, 6])
    if r.random() < 0.1:  # the only channel counts a spatial range allows
        kw.update(in_channels=256, num_heads=r.choice([8, 16]), spatial_range=r.choice([0, 2]))
        c = 256
    elif r.random() < 0.03:
        kw["spatial_range"] = 1  # upstream: UnboundLocalError
    return {"kind": "attention", "kwargs": kw, "input": [2, c, size, size]}


def _ffn_case(r: random.Random, flavour: str) -> dict[str, Any]:
    dims = r.randint(2, 6)
    kw: dict[str, Any] = {"embed_dims": dims, "feedforward_channels": r.randint(2, 8)}
    draws: dict[str, Any] = {
        "num_fcs": lambda: r.choice([2, 2, 3, 4]) if r.random() < 0.95 else 1,
        "act_cfg": lambda: {k: v for k, v in _act_cfg(r, "mmcv1").items() if k != "no_such_arg"},
        "ffn_drop": lambda: r.choice([0.0, 0.5]),
        "dropout_layer": lambda: r.choice(
            [None, {"type": "DropPath", "drop_prob": 0.5}, {"type": "Dropout", "drop_prob": 0.3}]
        ),
        "add_identity": lambda: r.random() < 0.6,
        "init_cfg": lambda: r.choice(
            [
                None,
                {"type": "Xavier", "layer": "Linear"},
                {"type": "Normal", "std": 0.2, "layer": "Linear"},
                {"type": "Constant", "val": 1.0, "bias": 0.5, "layer": "Linear"},
            ]
        ),
    }
    if flavour == "mmengine":
        draws["layer_scale_init_value"] = lambda: r.choice([0.0, 0.5])
    for key, draw in draws.items():
        if r.random() < 0.5:
            kw[key] = draw()
    roll = r.random()
    if roll < 0.05:
        kw["dropout"] = 0.5  # deprecated name of ffn_drop
    elif roll < 0.08:
        kw["add_residual"] = False  # deprecated name of add_identity
    elif roll < 0.1:
        kw.update(dropout=0.5, ffn_drop=0.1)  # both names: AssertionError
    elif roll < 0.12:
        kw["no_such_arg"] = 1  # mmcv 1.x ignores it, mmcv 2.x raises TypeError
    return {"kind": "ffn", "kwargs": kw, "input": [2, 3, dims]}


def _patch_embed_case(r: random.Random) -> dict[str, Any]:
    cin = r.randint(1, 3)
    kw: dict[str, Any] = {"in_channels": cin, "embed_dims": r.randint(2, 6)}
    draws: dict[str, Any] = {
        "conv_type": lambda: r.choice(["Conv2d", "Conv", "ConvWS", "Conv2dAdaptivePadding"]),
        "kernel_size": lambda: r.choice([2, 3, 4, [2, 3]]),
        "stride": lambda: r.choice([None, 1, 2, 3, [2, 1]]),
        "padding": lambda: r.choice(
            ["corner", "same", 0, 1, [1, 0]] if r.random() < 0.95 else ["valid"]
        ),
        "dilation": lambda: r.choice([1, 2]),
        "bias": lambda: r.random() < 0.5,
        "norm_cfg": lambda: r.choice([None, {"type": "LN"}, {"type": "LN", "eps": 1e-6}]),
        "input_size": lambda: r.choice([None, 8, [7, 9]]),
        "init_cfg": lambda: r.choice(
            [
                None,
                {"type": "Kaiming", "layer": "Conv2d"},
                {"type": "Constant", "val": 0.5, "layer": ["Conv2d", "LayerNorm"]},
            ]
        ),
    }
    for key, draw in draws.items():
        if r.random() < 0.5:
            kw[key] = draw()
    return {
        "kind": "patch_embed",
        "kwargs": kw,
        "input": [2, cin, r.randint(5, 9), r.randint(5, 9)],
    }


def _patch_merging_case(r: random.Random) -> dict[str, Any]:
    cin, h, w = r.randint(1, 3), r.randint(2, 6), r.randint(2, 6)
    kw: dict[str, Any] = {"in_channels": cin, "out_channels": r.randint(1, 6)}
    draws: dict[str, Any] = {
        "kernel_size": lambda: r.choice([2, 3, [2, 1]]),
        "stride": lambda: r.choice([None, 0, 1, 2]),
        "padding": lambda: r.choice(["corner", "same", 0, 1]),
        "dilation": lambda: r.choice([1, 2]),
        "bias": lambda: r.random() < 0.5,
        "norm_cfg": lambda: r.choice([None, {"type": "LN", "eps": 1e-6}, {"type": "BN1d"}]),
        "init_cfg": lambda: r.choice(
            [
                None,
                {"type": "TruncNormal", "std": 0.02, "layer": "Linear"},
                {"type": "Constant", "val": 0.5, "layer": ["Linear", "LayerNorm"]},
            ]
        ),
    }
    for key, draw in draws.items():
        if r.random() < 0.5:
            kw[key] = draw()
    size: Any = [h, w] if r.random() < 0.9 else r.choice([[h, w + 1], h * w])
    return {
        "kind": "patch_merging",
        "kwargs": kw,
        "forward_flags": [size],
        "input": [2, h * w, cin],
    }


def _mha_case(r: random.Random) -> dict[str, Any]:
    heads = r.choice([1, 2])
    dims = heads * r.choice([2, 4])
    kw: dict[str, Any] = {"embed_dims": dims, "num_heads": heads}
    draws: dict[str, Any] = {
        "attn_drop": lambda: r.choice([0.0, 0.5]),
        "proj_drop": lambda: r.choice([0.0, 0.3]),
        "dropout_layer": lambda: r.choice(
            [None, {"type": "DropPath", "drop_prob": 0.5}, {"type": "Dropout", "drop_prob": 0.2}]
        ),
        "batch_first": lambda: r.random() < 0.5,
        "bias": lambda: r.random() < 0.5,  # to nn.MultiheadAttention
        "init_cfg": lambda: r.choice(
            [
                None,
                {"type": "Xavier", "layer": "Linear"},
                {"type": "Constant", "val": 0.1, "layer": "NonDynamicallyQuantizableLinear"},
            ]
        ),
    }
    for key, draw in draws.items():
        if r.random() < 0.5:
            kw[key] = draw()
    if r.random() < 0.03:
        kw["dropout"] = 0.25  # deprecated; also rewrites upstream's shared default dropout_layer
    return {"kind": "mha", "kwargs": kw, "input": [r.randint(1, 4), 2, dims]}


def _adaptive_padding_case(r: random.Random) -> dict[str, Any]:
    kw = {
        "kernel_size": r.choice([1, 3, 4, [2, 5]]),
        "stride": r.choice([1, 2, 3]),
        "dilation": r.choice([1, 2]),
        "padding": r.choice(["corner", "same"] if r.random() < 0.95 else ["zero"]),
    }
    return {
        "kind": "adaptive_padding",
        "kwargs": kw,
        "input": [1, 2, r.randint(3, 9), r.randint(3, 9)],
    }


def _drop_case(r: random.Random) -> dict[str, Any]:
    which = r.choice(["DropPath", "Dropout", "build_dropout"])
    kw: dict[str, Any] = {}
    if r.random() < 0.7:
        kw["drop_prob"] = r.choice([0.0, 0.1, 0.5, 0.9])
    if which == "Dropout" and r.random() < 0.3:
        kw["inplace"] = r.random() < 0.5
    case: dict[str, Any] = {
        "kind": "drop",
        "which": which,
        "kwargs": kw,
        "input": [r.randint(1, 5), 3, 4][: r.randint(1, 3)],
    }
    if which == "build_dropout":
        case["cfg"] = {"type": r.choice(["DropPath", "Dropout", "DropPath", "NoSuchDrop"]), **kw}
        if r.random() < 0.2:
            case["default_args"] = {"drop_prob": 0.3}
        if r.random() < 0.05:
            case["cfg"] = r.choice(["DropPath", {"drop_prob": 0.2}, {"type": 3}])
        elif r.random() < 0.1:
            case["cfg"] = [case["cfg"], {"type": "Dropout"}]  # mmcv 2.x: a Sequential
        if r.random() < 0.03:
            case["default_args"] = "drop_prob"
    return case


def _registry_build_case(r: random.Random) -> dict[str, Any]:
    """mmcv 1.x: ``PLUGIN_LAYERS.build(cfg, default_args)`` (mmcls calls DROPOUT_LAYERS.build)."""
    c = r.randint(2, 4)
    cfg: dict[str, Any] = {
        "type": r.choice(["ContextBlock", "NonLocal2d", "NoSuchPlugin"]),
        "in_channels": c,
    }
    if cfg["type"] == "ContextBlock" and r.random() < 0.9:
        cfg["ratio"] = 0.5
    if r.random() < 0.1:
        cfg["no_such_arg"] = 1
    default_args = {"in_channels": c + 1} if r.random() < 0.3 else None
    if r.random() < 0.2:
        cfg.pop("in_channels")
    return {
        "kind": "registry_build",
        "cfg": cfg,
        "default_args": default_args,
        "input": [2, c if "in_channels" in cfg or default_args is None else c + 1, 4, 4],
    }


def _plugin_case(r: random.Random, flavour: str) -> dict[str, Any]:
    t = r.choice(
        [
            "ContextBlock",
            "NonLocal2d",
            "ConvModule",
            "GeneralizedAttention",
            "NoSuchPlugin",
            "cls:ContextBlock",
            3,
        ]
    )
    c = r.randint(2, 4)
    cfg: dict[str, Any] = {"type": t}
    kwargs: dict[str, Any] = {}
    if t in ("ContextBlock", "cls:ContextBlock"):
        cfg["ratio"] = r.choice([1 / 4, 1 / 2])
        kwargs["in_channels"] = c
    elif t == "NonLocal2d":
        cfg["mode"] = r.choice(_NL_MODES)
        kwargs["in_channels"] = c
    elif t == "GeneralizedAttention":
        cfg.update(num_heads=1, attention_type=r.choice(["1111", "0010", "1100"]))
        kwargs["in_channels"] = c
    elif t == "ConvModule":
        kwargs.update(in_channels=c, out_channels=2, kernel_size=1)
    postfix: Any = r.choice(["", 1, "_a", 2.5] if r.random() < 0.1 else ["", 1, "_a"])
    return {
        "kind": "plugin",
        "cfg": cfg,
        "kwargs": kwargs,
        "postfix": postfix,
        "input": [2, c, 4, 4],
    }


def _parent_case(r: random.Random, flavour: str) -> dict[str, Any]:
    child = r.choice(["dsc", "nonlocal", "context", "scale", "attention"])
    init_cfg = r.choice(
        [
            {"type": "Normal", "layer": "Conv2d", "std": 0.5},
            {"type": "Constant", "layer": ["Conv2d", "_BatchNorm"], "val": 3.0},
            {
                "type": "Constant",
                "val": 2.0,
                "layer": "Conv2d",
                "override": {"name": "child", "type": "Constant", "val": 5.0},
            },
            {"type": "Xavier", "layer": ["Conv2d", "LayerNorm"]},
            None,
        ]
    )
    return {"kind": "extra_parent", "child": child, "init_cfg": init_cfg, "input": [2, 4, 4, 4]}


def _scale_case(r: random.Random) -> dict[str, Any]:
    return {
        "kind": "scale",
        "kwargs": {"scale": r.choice([1.0, 0.5, 2])} if r.random() < 0.7 else {},
        "input": [2, 3],
    }


def _layer_scale_case(r: random.Random) -> dict[str, Any]:
    fmt = r.choice(["channels_last", "channels_first"] if r.random() < 0.95 else ["nhwc"])
    return {
        "kind": "layer_scale",
        "kwargs": {
            "dim": 3,
            "data_format": fmt,
            "inplace": r.random() < 0.5,
            "scale": r.choice([1e-5, 0.5]),
        },
        "input": [2, 3, 4, 4] if fmt == "channels_first" else [2, 4, 3],
    }


def _same(weight: int) -> dict[str, int]:
    return {"mmengine": weight, "mmcv1": weight}


#: kind -> (weight per flavour, what makes the case); the order is the draw's
_KINDS: dict[str, tuple[dict[str, int], Callable[[random.Random, str], dict[str, Any]]]] = {
    "dsc": (_same(22), _dsc_case),
    "nonlocal": (_same(24), lambda r, _: _nonlocal_case(r)),
    "context": (_same(14), lambda r, _: _context_case(r)),
    "scale": (_same(5), lambda r, _: _scale_case(r)),
    "drop": (_same(12), lambda r, _: _drop_case(r)),
    "plugin": (_same(13), _plugin_case),
    "extra_parent": (_same(10), _parent_case),
    "registry_build": ({"mmengine": 0, "mmcv1": 6}, lambda r, _: _registry_build_case(r)),
    "attention": (_same(20), lambda r, _: _attention_case(r)),
    "ffn": (_same(20), _ffn_case),
    "layer_scale": (
        {"mmengine": 4, "mmcv1": 0},
        lambda r, _: _layer_scale_case(r),
    ),  # mmcv 2.x only
    "patch_embed": (_same(16), lambda r, _: _patch_embed_case(r)),
    "adaptive_padding": (_same(5), lambda r, _: _adaptive_padding_case(r)),
    "patch_merging": (_same(14), lambda r, _: _patch_merging_case(r)),
    "mha": (_same(16), lambda r, _: _mha_case(r)),
}


def generate_extra_case(flavour: str, seed: int, index: int) -> dict[str, Any]:
    """The ``index``-th extras case of run ``seed`` for ``flavour``."""
    r = random.Random(f"extras:{seed}:{index}")
    kind = r.choices(list(_KINDS), weights=[w[flavour] for w, _ in _KINDS.values()])[0]
    case = _KINDS[kind][1](r, flavour)
    case["seed"] = r.randrange(2**31)
    return case


# -- building -----------------------------------------------------------------------------
def _child(lib: Any, child: str) -> nn.Module:
    if child == "dsc":
        return lib.DepthwiseSeparableConvModule(4, 4, 3, padding=1, norm_cfg={"type": "BN"})  # type: ignore[no-any-return]
    if child == "nonlocal":
        return lib.NonLocal2d(4, norm_cfg={"type": "BN"})  # type: ignore[no-any-return]
    if child == "context":
        return lib.ContextBlock(4, 1 / 2, fusion_types=("channel_add", "channel_mul"))  # type: ignore[no-any-return]
    if child == "attention":
        return lib.GeneralizedAttention(4, num_heads=2)  # type: ignore[no-any-return]
    return lib.Scale(0.5)  # type: ignore[no-any-return]


def _parent(case: dict[str, Any], lib: Any) -> nn.Module:
    class Parent(lib.BaseModule):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__(init_cfg=case["init_cfg"])
            self.stem = nn.Conv2d(4, 4, 1)
            self.child = _child(lib, case["child"])

        def forward(self, x: Any) -> Any:
            return self.child(self.stem(x))

    return Parent()


def build_extra(case: dict[str, Any], lib: Any) -> Any:
    """Build ``case`` with ``lib`` (a :func:`load_extras` namespace)."""
    kind, kw = case["kind"], dict(case.get("kwargs", {}))
    if kind == "dsc":
        if "order" in kw:
            kw["order"] = tuple(kw["order"])
        return lib.DepthwiseSeparableConvModule(**kw)
    if kind == "nonlocal":
        return getattr(lib, f"NonLocal{case['dims']}d")(**kw)
    if kind == "attention":
        return lib.GeneralizedAttention(**kw)
    if kind == "ffn":
        return lib.FFN(**kw)
    if kind == "patch_embed":
        return lib.PatchEmbed(**kw)
    if kind == "adaptive_padding":
        return lib.AdaptivePadding(**kw)
    if kind == "patch_merging":
        return lib.PatchMerging(**kw)
    if kind == "mha":
        return lib.MultiheadAttention(**kw)
    if kind == "layer_scale":
        return lib.LayerScale(**kw)
    if kind == "context":
        if isinstance(kw.get("fusion_types"), list) and kw["fusion_types"] and case["seed"] % 2:
            kw["fusion_types"] = tuple(kw["fusion_types"])
        return lib.ContextBlock(**kw)
    if kind == "scale":
        return lib.Scale(**kw)
    if kind == "drop":
        if case["which"] == "build_dropout":
            return lib.build_dropout(case["cfg"], case.get("default_args"))
        return getattr(lib, case["which"])(**kw)
    if kind == "plugin":
        cfg = dict(case["cfg"])
        if cfg["type"] == "cls:ContextBlock":
            cfg["type"] = lib.ContextBlock
        return lib.build_plugin_layer(cfg, case["postfix"], **case["kwargs"])
    if kind == "registry_build":
        return lib.PLUGIN_LAYERS.build(dict(case["cfg"]), default_args=case["default_args"])
    return _parent(case, lib)
