"""Turn a case description (see :mod:`compat_tests.generator`) into a model.

``build(node, lib_for)`` builds with the library namespace returned by
``lib_for(node)``; a *lib* is any object with the attributes ``BaseModule``,
``Sequential``, ``ModuleList``, ``ModuleDict`` and the ``*_init`` helpers
(see :mod:`compat_tests.libs`).  Torch layers and the user layer classes below
do not depend on the library, so the same description builds the same
parameters (same RNG draws) with any library.

``write_checkpoints`` replaces the ``"@ckpt"`` placeholders of ``Pretrained``
cfgs by files it writes, built from the structure of the node carrying the cfg.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn

__all__ = ["USER_LAYER_CLASSES", "build", "strip_private", "write_checkpoints"]

Node = dict[str, Any]
LibFor = Callable[[Node], Any]


class MyConv2d(nn.Conv2d):
    pass


class MyConv2dSub(MyConv2d):
    pass


class MyLinear(nn.Linear):
    pass


class MyLinearSub(MyLinear):
    pass


class MyBN(nn.BatchNorm2d):
    pass


class MyBNSub(MyBN):
    pass


USER_LAYER_CLASSES: dict[str, type[nn.Module]] = {
    c.__name__: c for c in (MyConv2d, MyConv2dSub, MyLinear, MyLinearSub, MyBN, MyBNSub)
}


def _make_layer(node: Node) -> nn.Module:
    typ, (c0, c1), k = node["type"], node["c"], node["k"]
    cls = USER_LAYER_CLASSES[node["cls"]] if node.get("cls") else getattr(nn, typ)
    if typ == "Linear":
        return cls(c0, c1, bias=node["bias"])
    if typ in ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d"):
        return cls(c0, c1, k, bias=node["bias"])
    if typ in ("BatchNorm1d", "BatchNorm2d"):
        return cls(c0, affine=node["affine"])
    if typ == "GroupNorm":
        return cls(c0, c0 * (1 + c1 % 2), affine=node["affine"])
    if typ == "LayerNorm":
        return cls(c0, elementwise_affine=node["affine"])
    if typ == "Embedding":
        return cls(c0 + 1, c1)
    raise ValueError(f"unknown layer type {typ!r}")


def _call_helper(lib: Any, name: str, m: nn.Module) -> None:
    if name == "constant_init":
        lib.constant_init(m, 1, bias=0.5)
    elif name == "xavier_init":
        lib.xavier_init(m, gain=2, distribution="uniform")
    elif name == "normal_init":
        lib.normal_init(m, std=0.01)
    elif name == "trunc_normal_init":
        lib.trunc_normal_init(m, std=0.02)
    elif name == "uniform_init":
        lib.uniform_init(m, -0.1, 0.1)
    elif name == "kaiming_init":
        lib.kaiming_init(m, a=0.1, mode="fan_in", nonlinearity="leaky_relu")
    elif name == "caffe2_xavier_init":
        lib.caffe2_xavier_init(m)
    elif name == "bias_init_with_prob":
        lib.constant_init(m, 0.01, bias=lib.bias_init_with_prob(0.01))
    else:
        raise ValueError(f"unknown helper {name!r}")


def _run_ops(module: nn.Module, ops: list[list[Any]], lib: Any, with_super: bool) -> None:
    for op in ops:
        if op[0] == "super":
            if with_super:
                lib.BaseModule.init_weights(module)
            continue
        child = module._modules.get(op[1])
        if child is None:
            continue
        weight = getattr(child, "weight", None)
        if op[0] == "helper":
            _call_helper(lib, op[2], child)
        elif isinstance(weight, torch.Tensor) and op[0] == "fill":
            weight.data.fill_(op[2])
        elif isinstance(weight, torch.Tensor) and op[0] == "normal_data":
            weight.data.normal_(0, op[2])


def _starts_with_super_call(ops: list[list[Any]], with_super: bool) -> bool:
    """Whether the node's ``init_weights`` is written ``super().init_weights()`` first (as
    most users write it), for half of the op lists that start with the base's call (by a
    hash of the ops, so every build of a case, on every side, writes it alike); the other
    half, and every other list, call ``BaseModule.init_weights(self)`` by name."""
    if not (with_super and ops and ops[0] == ["super"]):
        return False
    return zlib.crc32(json.dumps(ops, default=repr).encode()) % 2 == 0


def _make_init_weights(
    ops: list[list[Any]], lib: Any, with_super: bool, owner: list[type]
) -> Callable[[Any], None]:
    """The node class's ``init_weights`` (``owner``: filled with the class once made)."""
    if _starts_with_super_call(ops, with_super):
        rest = ops[1:]

        def init_weights_super_first(self: nn.Module) -> None:
            super(owner[0], self).init_weights()  # type: ignore[misc]
            _run_ops(self, rest, lib, with_super)

        return init_weights_super_first

    def init_weights(self: nn.Module) -> None:
        _run_ops(self, ops, lib, with_super)

    return init_weights


#: while :func:`reused_classes` is active: the classes made so far, by their definition
_CLASSES: dict[tuple[Any, ...], type] | None = None


@contextlib.contextmanager
def reused_classes() -> Iterator[None]:
    """Inside, a node class with the same name, base and ``init_weights`` ops as one made
    before is that class again (as a model built twice from one definition has the same
    classes; the plan cache keys trees by their classes)."""
    global _CLASSES
    saved, _CLASSES = _CLASSES, {}
    try:
        yield
    finally:
        _CLASSES = saved


def _node_class(name: str, base: type, ops: Any, lib: Any, with_super: bool) -> type:
    key = (name, base, json.dumps(ops, default=repr), with_super)
    if _CLASSES is not None and key in _CLASSES:
        return _CLASSES[key]
    attrs: dict[str, Any] = {}
    owner: list[type] = []
    if ops is not None:
        attrs["init_weights"] = _make_init_weights(ops, lib, with_super, owner)
    cls = type(name, (base,), attrs)
    owner.append(cls)
    if _CLASSES is not None:
        _CLASSES[key] = cls
    return cls


def build(node: Node, lib_for: LibFor) -> nn.Module:
    """Build ``node`` (children first, in description order)."""
    kind = node["kind"]
    if kind == "layer":
        return _make_layer(node)
    lib = lib_for(node)
    cfg = node.get("init_cfg")
    children = [(name, build(child, lib_for)) for name, child in node.get("children", [])]
    if kind == "seq":
        return lib.Sequential(*(m for _, m in children), init_cfg=cfg)
    if kind == "mlist":
        return lib.ModuleList([m for _, m in children], init_cfg=cfg)
    if kind == "mdict":
        return lib.ModuleDict(dict(children), init_cfg=cfg)
    ops = node.get("init_weights")
    if kind == "plain":
        module: nn.Module = _node_class(node["cls"], nn.Module, ops, lib, False)()
    elif kind == "base":
        module = _node_class(node["cls"], lib.BaseModule, ops, lib, True)(init_cfg=cfg)
    else:
        raise ValueError(f"unknown node kind {kind!r}")
    for name, child_module in children:
        module.add_module(name, child_module)
    if "param" in node:
        spec = node["param"]
        setattr(module, spec["name"], nn.Parameter(torch.randn(spec["shape"])))
    tie = node.get("tie")
    if tie and tie["src"] in module._modules:
        src = module._modules[tie["src"]]
        if tie["mode"] == "module":
            module.add_module(tie["dst"], src)
        else:
            src_spec = dict(node["children"])[tie["src"]]
            dst = _make_layer(src_spec)
            if isinstance(getattr(src, "weight", None), nn.Parameter):
                dst.weight = src.weight
            module.add_module(tie["dst"], dst)
    return module


def _cfg_list(node: Node) -> list[Any]:
    cfg = node.get("init_cfg")
    if isinstance(cfg, dict):
        return [cfg]
    return list(cfg) if isinstance(cfg, list) else []


def _walk(node: Node) -> Any:
    yield node
    for _, child in node.get("children", []):
        yield from _walk(child)


def _checkpoint_payload(state: dict[str, torch.Tensor], cfg: dict[str, Any]) -> Any:
    variant = cfg.get("@variant", "plain")
    if variant == "partial":
        state = {k: v for i, (k, v) in enumerate(state.items()) if i % 2 == 0}
    elif variant == "extra":
        state = {**state, "extra.weight": torch.ones(2)}
    elif variant == "shape":
        state = dict(state)
        for key, value in state.items():
            if value.is_floating_point() and value.numel():
                state[key] = torch.zeros(value.numel() + 1)
                break
    elif variant == "module":
        state = {f"module.{k}": v for k, v in state.items()}
    prefix = cfg.get("prefix")
    if prefix is not None:
        state = {f"backbone.{k}": v for k, v in state.items()}
        state["head.fc.weight"] = torch.zeros(2, 2)
    if variant == "state_dict":
        return {"meta": {"epoch": 3}, "state_dict": state}
    return state


def write_checkpoints(root: Node, directory: str, tag: str, lib_for: LibFor) -> Node:
    """Return a copy of ``root`` whose ``"@ckpt"`` placeholders point to files.

    Each checkpoint holds weights of a model with the structure of the node that
    carries the cfg, built under its own seed so they differ from the init.
    """
    root = copy.deepcopy(root)
    count = 0
    for node in _walk(root):
        for cfg in _cfg_list(node):
            if not (isinstance(cfg, dict) and cfg.get("checkpoint") == "@ckpt"):
                continue
            torch.manual_seed(1000 + count)
            shape_node = {k: v for k, v in node.items() if k not in ("init_cfg", "swap")}
            state = {
                k: v.detach().clone() for k, v in build(shape_node, lib_for).state_dict().items()
            }
            for value in state.values():
                if value.is_floating_point():
                    value.uniform_(-3, 3)
            path = os.path.join(directory, f"{tag}_{count}.pth")
            torch.save(_checkpoint_payload(state, cfg), path)
            cfg["checkpoint"] = path
            count += 1
    return strip_private(root)


def strip_private(root: Node) -> Node:
    """Drop the generator's private ``@`` keys from every cfg (in place)."""
    for node in _walk(root):
        for cfg in _cfg_list(node):
            if isinstance(cfg, dict):
                for key in [k for k in cfg if isinstance(k, str) and k.startswith("@")]:
                    del cfg[key]
    return root
