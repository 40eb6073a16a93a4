"""Random brick cases: JSON-able descriptions of one builder or ConvModule call.

A case names the ``kind`` (``conv``, ``norm``, ``act``, ``upsample``,
``padding``, ``convmodule``, ``parent``, ``invalid``), the call's arguments and
the input shape for a forward pass.  Classes appear as ``"cls:<torch.nn name>"``
markers, resolved on each side.  Every argument value upstream accepts is drawn
sometimes, and invalid ones are drawn on purpose (they must raise the same
exception type on both sides).
"""

from __future__ import annotations

import random
from typing import Any

__all__ = ["generate_case"]

CONV_TYPES = {  # name -> spatial dims
    "Conv1d": 1,
    "Conv2d": 2,
    "Conv3d": 3,
    "Conv": 2,
    "Conv2dAdaptivePadding": 2,
    "ConvWS": 2,
    "ConvAWS": 2,
    "deconv": 2,
    "ConvTranspose2d": 2,
    "deconv3d": 3,
    "ConvTranspose3d": 3,
}
NORM_TYPES = {  # name -> input dims (C counted, N not)
    "BN": 3,
    "BN1d": 2,
    "BN2d": 3,
    "BN3d": 4,
    "SyncBN": 3,
    "GN": 3,
    "LN": 3,
    "IN": 3,
    "IN1d": 2,
    "IN2d": 3,
    "IN3d": 4,
}
ACT_TYPES = [
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "RReLU",
    "ReLU6",
    "ELU",
    "Sigmoid",
    "Tanh",
    "SiLU",
    "Clamp",
    "Clip",
    "GELU",
    "HSigmoid",
    "HSwish",
    "Swish",
]
_INPLACE = {"ReLU", "LeakyReLU", "RReLU", "ReLU6", "ELU", "SiLU", "HSwish"}
CONV_MODULE_CONVS = ["Conv2d", "Conv", "ConvWS", "ConvAWS", "Conv2dAdaptivePadding", "deconv"]
ORDERS = [
    ("conv", "norm", "act"),
    ("act", "conv", "norm"),
    ("norm", "conv", "act"),
    ("conv", "act", "norm"),
    ("norm", "act", "conv"),
    ("act", "norm", "conv"),
]


def _act_cfg(r: random.Random, flavour: str) -> dict[str, Any]:
    t = r.choice(ACT_TYPES)
    cfg: dict[str, Any] = {"type": t}
    if t in _INPLACE and r.random() < 0.3:
        cfg["inplace"] = r.random() < 0.5
    if t == "LeakyReLU" and r.random() < 0.6:
        cfg["negative_slope"] = r.choice([0.01, 0.1, 0.2, 0.25])
    if t == "ELU" and r.random() < 0.5:
        cfg["alpha"] = r.choice([0.5, 1.0, 2.0])
    if t in ("Clamp", "Clip") and r.random() < 0.6:
        cfg["min"], cfg["max"] = r.choice([(-1.0, 1.0), (0.0, 6.0), (-0.5, 0.25)])
    if t == "HSigmoid" and r.random() < 0.5:
        cfg.update(bias=r.choice([1.0, 3.0]), divisor=r.choice([2.0, 6.0]))
    if t == "PReLU" and r.random() < 0.5:
        cfg["init"] = r.choice([0.1, 0.25])
    if t == "RReLU" and r.random() < 0.4:
        cfg.update(lower=0.1, upper=0.3)
    if t == "GELU" and r.random() < 0.4:
        cfg["approximate"] = r.choice(["none", "tanh"])
    if r.random() < 0.05:
        cfg["no_such_arg"] = 1
    if flavour == "mmengine" and r.random() < 0.1 and t in ("ReLU", "Tanh", "Sigmoid", "ELU"):
        cfg["type"] = f"cls:{t}"
    return cfg


def _norm_cfg(r: random.Random, t: str, channels: int) -> dict[str, Any]:
    cfg: dict[str, Any] = {"type": t}
    if t == "GN":
        if r.random() < 0.95:
            cfg["num_groups"] = r.choice([g for g in (1, 2, 3, 4) if channels % g == 0])
        if r.random() < 0.3:
            cfg["affine"] = r.random() < 0.5
    elif t == "LN":
        if r.random() < 0.3:
            cfg["elementwise_affine"] = r.random() < 0.5
    else:
        if r.random() < 0.3:
            cfg["momentum"] = r.choice([0.1, 0.03, None])
        if r.random() < 0.3:
            cfg["affine"] = r.random() < 0.5
        if r.random() < 0.3:
            cfg["track_running_stats"] = r.random() < 0.5
    if r.random() < 0.3:
        cfg["eps"] = r.choice([1e-3, 1e-5, 1e-6])
    if r.random() < 0.3:
        cfg["requires_grad"] = r.random() < 0.5
    return cfg


def _conv_case(r: random.Random) -> dict[str, Any]:
    t = r.choice(list(CONV_TYPES) + [None])
    dims = CONV_TYPES[t] if t else 2
    groups = r.choice([1, 1, 1, 2])
    cin, cout = groups * r.randint(1, 2), groups * r.randint(1, 3)
    kwargs: dict[str, Any] = {
        "kernel_size": r.randint(1, 3),
        "stride": r.randint(1, 2),
        "padding": r.randint(0, 1),
        "dilation": r.randint(1, 2),
        "groups": groups,
        "bias": r.random() < 0.7,
    }
    cfg = None if t is None else {"type": t}
    if t == "ConvWS" and r.random() < 0.3:
        cfg["eps"] = 1e-4  # type: ignore[index]
    return {
        "kind": "conv",
        "cfg": cfg,
        "args": [cin, cout],
        "kwargs": kwargs,
        "input": [2, cin] + [r.randint(5, 7)] * dims,
    }


def _norm_case(r: random.Random, flavour: str) -> dict[str, Any]:
    t = r.choice(list(NORM_TYPES))
    channels = r.randint(2, 6)
    cfg = _norm_cfg(r, t, channels)
    shape = [2, channels] + [r.randint(3, 5)] * (NORM_TYPES[t] - 1)
    if t == "LN":
        shape = [2, 3, channels]
    postfix: Any = r.choice(["", 1, 2, "_x", "", ""])
    if flavour == "mmengine" and r.random() < 0.08:
        cfg["type"] = r.choice(["cls:BatchNorm2d", "cls:GroupNorm"])
        if cfg["type"] == "cls:GroupNorm":
            cfg["num_groups"] = 1
            cfg.pop("momentum", None), cfg.pop("track_running_stats", None)
            shape = [2, channels, 3, 3]
    return {
        "kind": "norm",
        "cfg": cfg,
        "num_features": channels,
        "postfix": postfix,
        "input": shape,
    }


def _upsample_case(r: random.Random, flavour: str) -> dict[str, Any]:
    t = r.choice(["nearest", "bilinear", "pixel_shuffle", "deconv", "deconv3d"])
    c = r.randint(1, 3)
    dims = 3 if t == "deconv3d" else 2
    cfg: dict[str, Any] = {"type": t}
    args: list[Any] = []
    if t in ("nearest", "bilinear"):
        cfg["scale_factor"] = r.choice([2, 3, 1.5])
        if t == "bilinear" and r.random() < 0.5:
            cfg["align_corners"] = r.random() < 0.5
        if flavour == "mmengine" and r.random() < 0.1:
            cfg["type"] = "cls:Upsample"
    elif t == "pixel_shuffle":
        cfg.update(
            in_channels=c,
            out_channels=r.randint(1, 3),
            scale_factor=r.choice([2, 3]),
            upsample_kernel=r.choice([1, 3]),
        )
    else:
        args = [c, r.randint(1, 3)]
        cfg.update(kernel_size=r.choice([2, 3]), stride=r.choice([1, 2]))
    return {"kind": "upsample", "cfg": cfg, "args": args, "input": [2, c] + [4] * dims}


def _padding_case(r: random.Random) -> dict[str, Any]:
    t = r.choice(["zero", "reflect", "replicate"])
    padding: Any = r.choice([1, 2, [1, 0, 2, 1]])
    return {"kind": "padding", "cfg": {"type": t}, "args": [padding], "input": [2, 2, 4, 5]}


def _conv_module_args(r: random.Random, flavour: str) -> dict[str, Any]:
    groups = r.choice([1, 1, 1, 2])
    cin, cout = groups * r.randint(1, 2), groups * r.randint(1, 3)
    order = list(r.choice(ORDERS) if r.random() < 0.4 else ORDERS[0])
    norm_cfg = None
    if r.random() < 0.6:
        norm_type = r.choice(["BN", "BN2d", "GN", "IN", "SyncBN"] if r.random() < 0.97 else ["LN"])
        norm_cfg = _norm_cfg(
            r, norm_type, cin if order.index("norm") < order.index("conv") else cout
        )
        if norm_type == "SyncBN":
            norm_cfg["track_running_stats"] = True
    act_cfg: Any = {"type": "ReLU"}
    roll = r.random()
    if roll < 0.15:
        act_cfg = None
    elif roll < 0.6:
        act_cfg = _act_cfg(r, flavour)
        act_cfg.pop("no_such_arg", None)
    kw: dict[str, Any] = {
        "in_channels": cin,
        "out_channels": cout,
        "kernel_size": r.randint(1, 3),
        "stride": r.randint(1, 2),
        "padding": r.randint(0, 1),
        "dilation": r.randint(1, 2),
        "groups": groups,
    }
    optional = {
        "bias": lambda: r.choice(["auto", True, False]),
        "conv_cfg": lambda: None if r.random() < 0.3 else {"type": r.choice(CONV_MODULE_CONVS)},
        "norm_cfg": lambda: norm_cfg,
        "act_cfg": lambda: act_cfg,
        "inplace": lambda: r.random() < 0.5,
        "with_spectral_norm": lambda: r.random() < 0.5,
        "padding_mode": lambda: r.choice(["zeros", "circular", "reflect", "replicate"]),
        "order": lambda: order,
    }
    if flavour == "mmengine":
        optional["efficient_conv_bn_eval"] = lambda: r.random() < 0.5
    for name, draw in optional.items():
        if r.random() < 0.7:
            kw[name] = draw()
    if kw.get("padding_mode", "zeros") != "zeros" and kw["padding"] == 0:
        kw["padding"] = 1
    return kw


def _conv_module_case(r: random.Random, flavour: str) -> dict[str, Any]:
    kw = _conv_module_args(r, flavour)
    return {
        "kind": "convmodule",
        "kwargs": kw,
        "forward_flags": [r.random() < 0.8, r.random() < 0.8],
        "input": [2, kw["in_channels"], r.randint(5, 7), r.randint(5, 7)],
    }


def _parent_case(r: random.Random, flavour: str) -> dict[str, Any]:
    kw = _conv_module_args(r, flavour)
    kw.pop("order", None)
    kw.pop("conv_cfg", None)
    init_cfg = r.choice(
        [
            {"type": "Normal", "layer": "Conv2d", "std": 0.5},
            {"type": "Constant", "layer": ["Conv2d", "_BatchNorm", "GroupNorm"], "val": 3.0},
            {"type": "Xavier", "layer": "Conv2d"},
            {
                "type": "Constant",
                "val": 2.0,
                "layer": "Conv2d",
                "override": {"name": "block", "type": "Constant", "val": 5.0},
            },
            None,
        ]
    )
    return {
        "kind": "parent",
        "kwargs": kw,
        "init_cfg": init_cfg,
        "input": [2, kw["in_channels"], 6, 6],
    }


def _invalid_case(r: random.Random, flavour: str) -> dict[str, Any]:
    which = r.choice(
        [
            "order",
            "order_list",
            "conv_cfg_str",
            "norm_cfg_list",
            "act_cfg_str",
            "unknown_conv",
            "unknown_norm",
            "unknown_act",
            "unknown_upsample",
            "unknown_padding",
            "missing_type",
            "not_dict",
            "class_type",
            "postfix",
            "gn_groups",
            "act_list",
            "pad_missing_arg",
            "int_type",
        ]
    )
    return {
        "kind": "invalid",
        "which": which,
        "builder": r.choice(["conv", "norm", "act", "upsample", "padding"]),
    }


def generate_case(flavour: str, seed: int, index: int) -> dict[str, Any]:
    """The ``index``-th case of run ``seed`` for ``flavour`` (``mmengine`` or ``mmcv1``)."""
    r = random.Random(f"{seed}:{index}")
    kind = r.choices(
        ["conv", "norm", "act", "upsample", "padding", "convmodule", "parent", "invalid"],
        weights=[12, 14, 12, 8, 4, 34, 8, 8],
    )[0]
    if kind == "conv":
        case = _conv_case(r)
    elif kind == "norm":
        case = _norm_case(r, flavour)
    elif kind == "act":
        c = r.randint(1, 4)
        cfg: Any = _act_cfg(r, flavour)
        if r.random() < 0.05:
            cfg = [cfg, {"type": "Tanh"}]
        case = {"kind": "act", "cfg": cfg, "input": [2, c, 3, 3]}
    elif kind == "upsample":
        case = _upsample_case(r, flavour)
    elif kind == "padding":
        case = _padding_case(r)
    elif kind == "convmodule":
        case = _conv_module_case(r, flavour)
    elif kind == "parent":
        case = _parent_case(r, flavour)
    else:
        case = _invalid_case(r, flavour)
    case["seed"] = r.randrange(2**31)
    return case
