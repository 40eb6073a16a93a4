"""Seeded generator of differential *case descriptions*.

A case is plain JSON-able data, so it can be printed, stored, replayed and
shrunk.  :func:`generate_case` draws one from ``random.Random(seed)``;
:mod:`compat_tests.builder` turns it into a model for a given library.

Case layout::

    {"seed": int,            # torch seed used on both sides
     "twice": bool,          # call init_weights a second time
     "mixed": bool,          # side B swaps the nodes marked "swap": true
     "entry": "init_weights" | "initialize",  # the latter: lib.initialize(root, root's init_cfg)
     "root": node}

Node kinds: ``base`` (a ``BaseModule`` subclass created per library with
``type()``), ``seq`` / ``mlist`` / ``mdict`` (the library's containers),
``plain`` (an ``nn.Module`` subclass, optionally with its own
``init_weights``) and ``layer`` (a torch layer or a user subclass of one).
"""

from __future__ import annotations

import json
import random
from typing import Any

__all__ = ["INIT_TYPES", "LAYER_TYPES", "USER_LAYERS", "generate_case"]

Node = dict[str, Any]

#: torch layer type -> constructor argument kind (see builder._make_layer).
LAYER_TYPES = (
    "Linear",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "GroupNorm",
    "LayerNorm",
    "Embedding",
)
#: user classes: name -> torch base type (the "Sub" ones subclass the user class).
USER_LAYERS = {
    "MyConv2d": "Conv2d",
    "MyConv2dSub": "Conv2d",
    "MyLinear": "Linear",
    "MyLinearSub": "Linear",
    "MyBN": "BatchNorm2d",
    "MyBNSub": "BatchNorm2d",
}
INIT_TYPES = ("Constant", "Xavier", "Normal", "TruncNormal", "Uniform", "Kaiming", "Caffe2Xavier")
_BLOCK_NAMES = ("Backbone", "Neck", "Head", "Stem", "Block", "Stage", "Attn", "Mlp")
_PLAIN_NAMES = ("PlainWrap", "Adapter")
_GENERIC_LAYER_NAMES = (
    "_ConvNd",
    "_BatchNorm",
    "_NormBase",
    "Module",
    "BaseModule",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "NoSuchLayer",
)
_NONLIN = ("relu", "leaky_relu", "tanh", "linear", "sigmoid", "selu", "conv2d")
_HELPERS = (
    "constant_init",
    "xavier_init",
    "normal_init",
    "trunc_normal_init",
    "uniform_init",
    "kaiming_init",
    "caffe2_xavier_init",
    "bias_init_with_prob",
)


class _Gen:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng
        self.nodes = 0

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, seq: Any) -> Any:
        return self.r.choice(list(seq))

    # ---- tree -------------------------------------------------------------
    def layer(self) -> Node:
        r = self.r
        use_user = self.chance(0.3)
        cls = self.pick(USER_LAYERS) if use_user else None
        typ = USER_LAYERS[cls] if cls else self.pick(LAYER_TYPES)
        node: Node = {
            "kind": "layer",
            "type": typ,
            "cls": cls,
            "c": [r.randint(1, 8), r.randint(1, 8)],
            "k": r.randint(1, 3),
        }
        if typ in ("Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d"):
            node["bias"] = self.chance(0.75)
        elif typ in ("BatchNorm1d", "BatchNorm2d", "GroupNorm", "LayerNorm"):
            node["affine"] = self.chance(0.85)
        return node

    def node(self, depth: int, kinds: tuple[str, ...] | None = None) -> Node:
        self.nodes += 1
        leaf_p = 0.15 + 0.2 * depth
        if kinds is None:
            if depth >= 4 or self.nodes > 14 or self.chance(leaf_p):
                return self.layer()
            kinds = ("base",) * 6 + ("seq", "mlist", "mdict", "plain")
        kind = self.pick(kinds)
        n_children = self.r.randint(0 if kind != "base" else 1, 3)
        children = [self.node(depth + 1) for _ in range(n_children)]
        if kind in ("seq", "mlist"):
            node: Node = {"kind": kind, "children": [[str(i), c] for i, c in enumerate(children)]}
        else:
            names = self.r.sample(
                ("conv", "fc", "norm", "proj", "blk", "head", "act0"), len(children)
            )
            node = {"kind": kind, "children": [[n, c] for n, c in zip(names, children)]}
        if kind in ("base", "plain"):
            node["cls"] = self.pick(_PLAIN_NAMES if kind == "plain" else _BLOCK_NAMES)
            if self.chance(0.35 if kind == "base" else 0.6):
                node["init_weights"] = self.init_ops(node, kind)
        if kind == "base":
            if self.chance(0.15):
                shape = [self.r.randint(1, 6)] if self.chance(0.5) else [3, 4]
                node["param"] = {"name": self.pick(("weight", "gamma")), "shape": shape}
            layer_kids = [n for n, c in node["children"] if c["kind"] == "layer"]
            if layer_kids and self.chance(0.15):
                node["tie"] = {
                    "src": self.pick(layer_kids),
                    "dst": "tied",
                    "mode": self.pick(("module", "param")),
                }
        if kind != "plain" and self.chance(0.6):
            node["init_cfg"] = self.init_cfg(node, depth)
        if self.chance(0.5):
            node["swap"] = True
        return node

    def init_ops(self, node: Node, kind: str) -> list[list[Any]]:
        kids = [n for n, _ in node["children"]] or ["missing"]
        ops: list[list[Any]] = []
        if kind == "base" and self.chance(0.7):
            ops.append(["super"])
        for _ in range(self.r.randint(0 if ops else 1, 2)):
            what = self.pick(("fill", "normal_data", "helper", "helper"))
            child = self.pick(kids)
            if what == "fill":
                ops.append(["fill", child, self.pick((0.5, 1, -0.25))])
            elif what == "normal_data":
                ops.append(["normal_data", child, self.pick((0.02, 1.0))])
            else:
                ops.append(["helper", self.pick(_HELPERS), child])
        if ops and ops[0] == ["super"] and self.chance(0.3):
            ops.append(ops.pop(0))  # super() called after the custom writes
        return ops

    # ---- init_cfg ---------------------------------------------------------
    def layer_names(self, node: Node) -> list[str]:
        found: list[str] = []

        def walk(n: Node) -> None:
            if n["kind"] == "layer":
                found.append(n["cls"] or n["type"])
                if n["cls"] and n["cls"].endswith("Sub"):
                    found.append(n["cls"][:-3])
            elif "cls" in n:
                found.append(n["cls"])
            for _, c in n.get("children", []):
                walk(c)

        walk(node)
        return found

    def layer_value(self, node: Node) -> Any:
        present = self.layer_names(node)
        pool = present * 6 + list(_GENERIC_LAYER_NAMES) + list(LAYER_TYPES)
        if self.chance(0.6):
            return self.pick(pool)
        return [self.pick(pool) for _ in range(self.r.randint(1, 3))]

    def args(self, typ: str) -> dict[str, Any]:
        p, a = self.pick, {}
        if typ == "Constant":
            a["val"] = p((0, 1, 0.5, -0.25, 2))
        elif typ == "Xavier":
            a.update(gain=p((1, 0.5, 2.0)), distribution=p(("normal", "uniform")))
        elif typ == "Normal":
            a.update(mean=p((0, 0.1)), std=p((1, 0.01, 0.02, 0.5)))
        elif typ == "TruncNormal":
            a.update(mean=p((0, 0.5, 6.0)), std=p((1, 0.02, 0.2)), a=p((-2, -1.0)), b=p((2, 1.0)))
        elif typ == "Uniform":
            a.update(a=p((0, -0.5, -1)), b=p((1, 0.5, 2.0)))
        elif typ == "Kaiming":
            a.update(
                a=p((0, 0.1, 1)),
                mode=p(("fan_in", "fan_out")),
                nonlinearity=p(_NONLIN),
                distribution=p(("normal", "uniform")),
            )
        # drop some arguments so the defaults are exercised too
        out = {k: v for k, v in a.items() if typ == "Constant" or self.chance(0.7)}
        if self.chance(0.3):
            out["bias"] = p((0, 1, 0.1, -2.0))
        if self.chance(0.15):
            out["bias_prob"] = p((0.01, 0.1, 0.5))
        return out

    def one_cfg(self, node: Node, depth: int) -> Any:
        if self.chance(0.12):
            return self.pretrained()
        if self.chance(0.02):  # invalid forms: unknown type / wrong arg types
            return self.pick(
                (
                    {"type": "NoSuchInit"},
                    {"type": "Constant", "val": 1, "bias_prob": 1},
                    {"type": "Normal", "layer": 3},
                    {"type": "Constant", "val": 1, "bias": "x"},
                    {"type": "Xavier", "distribution": "fancy", "layer": "Linear"},
                )
            )
        typ = self.pick(INIT_TYPES)
        cfg: dict[str, Any] = {"type": typ, **self.args(typ)}
        if self.chance(0.7):
            cfg["layer"] = self.layer_value(node)
        if self.chance(0.3) and node.get("children"):
            cfg["override"] = self.override(node)
        return cfg

    def override(self, node: Node) -> Any:
        kids = [n for n, _ in node["children"]]
        form = self.pick(
            ("type",) * 4
            + ("name_only",) * 3
            + ("list", "no_type", "no_name", "missing_attr", "bad_type")
        )
        if form == "bad_type":
            return self.pick(("fc", 3))
        if form == "list":
            return [self.override(node) for _ in range(self.r.randint(1, 2))]
        name = self.pick(kids)
        if form == "name_only":
            return {"name": name}
        if form == "no_type":
            return {"name": name, "val": 2}
        typ = self.pick(INIT_TYPES)
        ov = {"type": typ, **self.args(typ)}
        if form == "no_name":
            return ov
        ov["name"] = "no_such_child" if form == "missing_attr" else name
        return ov

    def pretrained(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {"type": "Pretrained", "checkpoint": "@ckpt"}
        variant = self.pick(("plain", "state_dict", "module", "partial", "extra", "shape"))
        if self.chance(0.4):
            cfg["prefix"] = self.pick(("backbone.", "backbone", "missing."))
            variant = self.pick(("plain", "state_dict", "partial"))
        if self.chance(0.2):
            cfg["map_location"] = "cpu"
        cfg["@variant"] = variant  # private: consumed by the checkpoint writer
        return cfg

    def init_cfg(self, node: Node, depth: int) -> Any:
        if self.chance(0.55):
            return self.one_cfg(node, depth)
        return [self.one_cfg(node, depth) for _ in range(self.r.randint(1, 3))]


def generate_case(seed: int, index: int) -> dict[str, Any]:
    """Return case number ``index`` of the run seeded with ``seed``."""
    rng = random.Random(f"{seed}:{index}")
    gen = _Gen(rng)
    entry = "initialize" if gen.chance(0.1) else "init_weights"
    if entry == "initialize":  # lib.initialize(plain torch tree, cfg) with no BaseModule on top
        root = gen.node(0, kinds=("plain",))
        root.pop("init_weights", None)
        root["init_cfg"] = gen.init_cfg(root, 0)
    else:
        root = gen.node(0, kinds=("base",) * 4 + ("seq", "mlist", "mdict"))
    mixed = gen.chance(0.3)
    if not mixed:
        _strip_swap(root)
    elif '"swap"' not in json.dumps(root):
        root["swap"] = True  # at least one node from the other library
    return {
        "seed": rng.randrange(2**31),
        "twice": gen.chance(0.2),
        "mixed": mixed,
        "entry": entry,
        "root": root,
    }


def _strip_swap(node: Node) -> None:
    node.pop("swap", None)
    for _, child in node.get("children", []):
        _strip_swap(child)
