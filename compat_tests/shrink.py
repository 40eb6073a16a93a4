"""Greedy shrinker for failing case descriptions.

``shrink(case, still_fails)`` repeatedly tries smaller variants of ``case``
(a child removed or hoisted into its parent's place, an ``init_cfg`` entry or key dropped, ``init_weights`` ops,
``twice``/``mixed`` flags cleared, ...) and keeps the first one for which
``still_fails`` is true, until no variant fails or the budget runs out.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["case_size", "shrink"]

Case = dict[str, Any]


def case_size(case: Case) -> int:
    """Length of the JSON text: the measure the shrinker decreases."""
    return len(json.dumps(case, sort_keys=True))


def _nodes(
    node: dict[str, Any], path: tuple[int, ...] = ()
) -> Iterator[tuple[tuple[int, ...], dict[str, Any]]]:
    yield path, node
    for i, (_, child) in enumerate(node.get("children", [])):
        yield from _nodes(child, path + (i,))


def _at(case: Case, path: tuple[int, ...]) -> dict[str, Any]:
    node = case["root"]
    for i in path:
        node = node["children"][i][1]
    return node


def _cfg_variants(cfg: Any) -> Iterator[Any]:
    if isinstance(cfg, list):
        for i in range(len(cfg)):
            yield cfg[:i] + cfg[i + 1 :]
        if len(cfg) == 1:
            yield cfg[0]
        for i, item in enumerate(cfg):
            for smaller in _cfg_variants(item):
                yield cfg[:i] + [smaller] + cfg[i + 1 :]
    elif isinstance(cfg, dict):
        for key in cfg:
            if key not in ("type", "name", "checkpoint", "@variant"):
                yield {k: v for k, v in cfg.items() if k != key}
        if isinstance(cfg.get("override"), (list, dict)):
            for smaller in _cfg_variants(cfg["override"]):
                yield {**cfg, "override": smaller}


def _variants(case: Case) -> Iterator[Case]:
    for flag in ("twice", "mixed"):
        if case.get(flag):
            yield {**copy.deepcopy(case), flag: False}
    for path, node in list(_nodes(case["root"])):
        for i in range(len(node.get("children", []))):
            new = copy.deepcopy(case)
            del _at(new, path)["children"][i]
            yield new
        for i, (_, child) in enumerate(node.get("children", [])):
            if child["kind"] == "layer" or (not path and case.get("entry") == "initialize"):
                continue
            new = copy.deepcopy(case)  # hoist: the grandchild takes its parent's place
            if path:
                _at(new, path[:-1])["children"][path[-1]][1] = copy.deepcopy(child)
            else:
                new["root"] = copy.deepcopy(child)
            yield new
        for key in ("init_cfg", "init_weights", "param", "tie", "swap"):
            if key in node:
                new = copy.deepcopy(case)
                del _at(new, path)[key]
                yield new
        for smaller in _cfg_variants(node.get("init_cfg")):
            new = copy.deepcopy(case)
            _at(new, path)["init_cfg"] = smaller
            yield new
        ops = node.get("init_weights") or []
        for i in range(len(ops)):
            new = copy.deepcopy(case)
            del _at(new, path)["init_weights"][i]
            yield new
        if node["kind"] == "layer" and node.get("cls"):
            new = copy.deepcopy(case)
            _at(new, path)["cls"] = None
            yield new


def shrink(case: Case, still_fails: Callable[[Case], bool], budget: int = 400) -> Case:
    """Return a smaller case that still fails (``case`` itself if none is found)."""
    current, tries, improved = case, 0, True
    while improved and tries < budget:
        improved = False
        for candidate in _variants(current):
            if case_size(candidate) >= case_size(current):
                continue
            tries += 1
            try:
                fails = still_fails(candidate)
            except Exception:  # noqa: BLE001 - an unbuildable variant is no reduction
                fails = False
            if fails:
                current, improved = candidate, True
                break
            if tries >= budget:
                break
    return current
