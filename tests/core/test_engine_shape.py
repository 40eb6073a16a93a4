"""Structural promises of the engine and ``BaseModule`` code (issue 14 items 1 and 2).

* Callers talk to the active engine through :class:`~mminit._engine.state.InitEngine`'s
  methods: outside the engine's own modules nothing tests which engine class is
  running or reaches into its private state (fast mode changes behaviour by
  overriding hooks, not by callers branching on it).
* No function in the engine/``BaseModule`` modules is longer than 80 lines.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
import torch

import mminit

SRC = Path(mminit.__file__).parent

ENGINE_MODULES = {"_engine/state.py", "_engine/fast.py"}

# the engine, BaseModule and initializer modules (one owner; keep functions short)
SHORT_FUNCTION_MODULES = [
    "_engine/fast.py",
    "_engine/fills.py",
    "_engine/state.py",
    "_flavoured.py",
    "_functional.py",
    "_init/init_info.py",
    "_init/initialize.py",
    "_init/initializers.py",
    "_modules/base_module.py",
    "_modules/foreign_code.py",
    "_modules/module_classes.py",
    "_modules/native.py",
    "_modules/routing.py",
    "_modules/user_code.py",
    "_parallel.py",
    "_scale/keyed.py",
    "_scale/meta.py",
    "_scale/sharded.py",
]
MAX_LINES = 80


def _engine_class_names() -> set[str]:
    from mminit._engine import fast as _fast, state as _engine

    names = set()
    for mod in (_engine, _fast):
        for name, obj in vars(mod).items():
            if isinstance(obj, type) and issubclass(obj, _engine.InitEngine):
                names.add(name)
    return names


def _names_in(node: ast.expr) -> set[str]:
    return {
        n.id if isinstance(n, ast.Name) else n.attr
        for n in ast.walk(node)
        if isinstance(n, (ast.Name, ast.Attribute))
    }


def _type_tests_on(tree: ast.AST, classes: set[str]) -> list[ast.Call]:
    """``isinstance(x, FastInitEngine)`` / ``issubclass(...)`` / ``type(x) is ...`` naming ``classes``."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"isinstance", "issubclass"}
            and len(node.args) == 2
            and _names_in(node.args[1]) & classes
        ):
            found.append(node)
        elif isinstance(node, ast.Compare) and any(
            isinstance(op, (ast.Is, ast.Eq)) for op in node.ops
        ):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Name) and s.id in classes for s in sides) and any(
                isinstance(s, ast.Call) and isinstance(s.func, ast.Name) and s.func.id == "type"
                for s in sides
            ):
                found.append(node)  # type: ignore[arg-type]
    return found


def _private_engine_access(tree: ast.AST) -> list[ast.Attribute]:
    """``engine._anything`` (or ``active_engine()._anything``): private engine state."""
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            continue
        target = node.value
        if isinstance(target, ast.Call):
            target = target.func
        name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
        if "engine" in name.lower():
            found.append(node)
    return found


def _sources() -> list[tuple[str, str, ast.AST]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        source = path.read_text(encoding="utf-8")
        out.append((rel, source, ast.parse(source)))
    return out


def test_no_caller_tests_the_engine_class_or_reads_its_private_state() -> None:
    classes = _engine_class_names()
    assert {"InitEngine", "FastInitEngine"} <= classes
    bad = []
    for rel, source, tree in _sources():
        if rel in ENGINE_MODULES:
            continue
        for node in [*_type_tests_on(tree, classes), *_private_engine_access(tree)]:
            bad.append(f"src/mminit/{rel}:{node.lineno}: {ast.get_source_segment(source, node)}")
    assert not bad, (
        "call an InitEngine hook (e.g. before_initializer) that FastInitEngine overrides, "
        "instead of testing the engine's class or reading its private state:\n" + "\n".join(bad)
    )


def test_the_scan_finds_what_it_forbids() -> None:
    tree = ast.parse(
        "if isinstance(engine, FastInitEngine): engine._states[1] = 0\n"
        "if type(e) is FastInitEngine: active_engine()._settle([])\n"
    )
    assert len(_type_tests_on(tree, {"FastInitEngine"})) == 2
    assert [n.attr for n in _private_engine_access(tree)] == ["_states", "_settle"]


def test_no_function_over_80_lines() -> None:
    long = []
    for rel in SHORT_FUNCTION_MODULES:
        tree = ast.parse((SRC / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_LINES:
                    long.append(f"src/mminit/{rel}:{node.lineno}: {node.name} ({length} lines)")
    assert not long, f"split functions over {MAX_LINES} lines:\n" + "\n".join(long)


def test_routing_again_registers_nothing_new(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each ``route()`` patches upstream's ``BaseModule``; its router is made and registered once."""
    mmengine_model = pytest.importorskip("mmengine.model")
    import mmengine.logging

    from mminit._modules import native as _native

    # conftest hides upstream's logger module; an mmengine root logs through it
    monkeypatch.setitem(sys.modules, "mmengine.logging.logger", mmengine.logging.logger)

    class Net(mmengine_model.BaseModule):
        def __init__(self) -> None:
            super().__init__(init_cfg={"type": "Constant", "val": 1, "layer": "Linear"})
            self.fc = torch.nn.Linear(2, 2)

    mminit.init_weights(Net())  # the first route may register the router
    before = dict(_native._KINDS)
    for _ in range(3):
        model = Net()
        mminit.init_weights(model)
        assert bool((model.fc.weight == 1).all())
    assert dict(_native._KINDS) == before
