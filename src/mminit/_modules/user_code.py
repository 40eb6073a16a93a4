"""What the compat engine needs to know about code it does not control."""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import inspect
import sys
import textwrap
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, Literal

from torch import nn

__all__ = [
    "InitMode",
    "init_mode",
    "possible_writes",
    "resolve_mode",
    "starts_with_super",
    "writes_only",
    "writes_only_after_super",
]

InitMode = Literal["compat", "eager", "fast"]
_MODES = ("compat", "eager", "fast")
_MODE: ContextVar[InitMode] = ContextVar("mminit_init_mode", default="compat")


def resolve_mode(mode: str | None) -> InitMode:
    if mode is None:
        return _MODE.get()
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES!r}, got {mode!r}")
    return mode  # type: ignore[return-value]


@contextlib.contextmanager
def init_mode(mode: InitMode) -> Iterator[None]:
    """Make ``mode`` the default of every ``init_weights`` called inside the block.

    Examples:
        >>> with mminit.init_mode("eager"):
        ...     model.init_weights()
    """
    token = _MODE.set(resolve_mode(mode))
    try:
        yield
    finally:
        _MODE.reset(token)


def _calls_super_init_weights(stmt: ast.stmt) -> bool:
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    func = stmt.value.func
    if not (isinstance(func, ast.Attribute) and func.attr == "init_weights"):
        return False
    target = func.value
    if isinstance(target, ast.Call) and isinstance(target.func, ast.Name):
        return target.func.id == "super"
    return False


@functools.cache
def _function_starts_with_super(func: Any) -> bool:
    try:
        source = textwrap.dedent(inspect.getsource(func))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return False
    if not tree.body or not isinstance(tree.body[0], ast.FunctionDef):
        return False
    fdef = tree.body[0]
    if fdef.decorator_list:
        return False
    body = fdef.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # docstring
    if not body or not _calls_super_init_weights(body[0]):
        return False
    args = body[0].value.args + [k.value for k in body[0].value.keywords]  # type: ignore[attr-defined]
    # Only names and constants as arguments: evaluating them reads no parameter.
    return all(isinstance(a, (ast.Name, ast.Constant, ast.Starred)) for a in args)


def starts_with_super(cls: type, ours: tuple[type, ...]) -> bool:
    """Whether every user ``init_weights`` on ``cls``'s MRO begins with ``super().init_weights()``.

    Then no user code runs before mminit's own ``init_weights`` on that module.
    """
    for klass in cls.__mro__:
        if klass in ours:
            return True
        func = klass.__dict__.get("init_weights")
        if func is None:
            continue
        if not _function_starts_with_super(func):
            return False
    return False


# What may follow super().init_weights() without reading a parameter's value:
# loops over submodules, isinstance/attribute tests of configuration, and calls of
# fill functions that overwrite the whole tensor they are given (through the
# Parameter itself, so its version counter moves; never through ``.data``).
_WRITE_ONLY_TORCH = frozenset(
    {
        "uniform_",
        "normal_",
        "trunc_normal_",
        "constant_",
        "ones_",
        "zeros_",
        "xavier_uniform_",
        "xavier_normal_",
        "kaiming_uniform_",
        "kaiming_normal_",
    }
)
_WRITE_ONLY_MODULES = {  # module in sys.modules -> its write-only fill functions
    "torch.nn.init": _WRITE_ONLY_TORCH,
    "mmengine.model.weight_init": frozenset({"trunc_normal_"}),
    "mmcv.cnn.utils.weight_init": frozenset({"trunc_normal_"}),
    "mminit._functional": frozenset({"trunc_normal_"}),
}
_SAFE_BUILTINS = frozenset({"isinstance", "hasattr"})
_ITER_METHODS = frozenset({"modules", "children"})


def _write_only_functions() -> set[int]:
    found = set()
    for mod_name, names in _WRITE_ONLY_MODULES.items():
        mod = sys.modules.get(mod_name)
        for name in names:
            fn = getattr(mod, name, None) if mod is not None else None
            if fn is not None:
                found.add(id(fn))
    return found


def _resolve(node: ast.expr, globs: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return globs.get(node.id, getattr(builtins, node.id, None))
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, globs)
        return getattr(base, node.attr, None) if base is not None else None
    return None


def _plain_ref(node: ast.expr) -> bool:
    """A name or attribute chain (``self.pos_embed``, ``m.weight``), never ``.data``."""
    while isinstance(node, ast.Attribute):
        if node.attr in ("data", "grad"):
            return False
        node = node.value
    return isinstance(node, ast.Name)


def _safe_expr(node: ast.expr) -> bool:
    """Reads configuration and attributes only: no call but isinstance/hasattr."""
    if isinstance(node, (ast.Constant, ast.Name)):
        return True
    if isinstance(node, ast.Attribute):
        return _safe_expr(node.value)
    if isinstance(node, ast.Subscript):
        return _safe_expr(node.value) and isinstance(node.slice, ast.Constant)
    if isinstance(node, ast.Tuple):
        return all(_safe_expr(e) for e in node.elts)
    if isinstance(node, ast.BoolOp):
        return all(_safe_expr(v) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not) and _safe_expr(node.operand)
    if isinstance(node, ast.Compare):
        ops_ok = all(isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)) for op in node.ops)
        return ops_ok and _safe_expr(node.left) and all(_safe_expr(c) for c in node.comparators)
    if isinstance(node, ast.Call):
        return (
            isinstance(node.func, ast.Name)
            and node.func.id in _SAFE_BUILTINS
            and not node.keywords
            and all(_safe_expr(a) for a in node.args)
        )
    return False


def _constant_arg(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant)


def _write_only_stmt(stmt: ast.stmt, globs: dict[str, Any]) -> bool:
    if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Return) and stmt.value is None):
        return True
    if isinstance(stmt, ast.If):
        return _safe_expr(stmt.test) and all(
            _write_only_stmt(s, globs) for s in stmt.body + stmt.orelse
        )
    if isinstance(stmt, ast.For):
        it = stmt.iter
        return (
            isinstance(stmt.target, ast.Name)
            and not stmt.orelse
            and isinstance(it, ast.Call)
            and isinstance(it.func, ast.Attribute)
            and it.func.attr in _ITER_METHODS
            and not it.args
            and not it.keywords
            and _plain_ref(it.func.value)
            and all(_write_only_stmt(s, globs) for s in stmt.body)
        )
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        fn = _resolve(call.func, globs)
        if fn is None or id(fn) not in _write_only_functions():
            return False
        if not call.args or not _plain_ref(call.args[0]):
            return False
        return all(_constant_arg(a) for a in call.args[1:] + [k.value for k in call.keywords])
    return False


@functools.cache
def _function_writes_only_after_super(func: Any) -> bool:
    if not _function_starts_with_super(func):
        return False
    fdef = ast.parse(textwrap.dedent(inspect.getsource(func))).body[0]
    body = fdef.body  # type: ignore[attr-defined]
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return all(_write_only_stmt(stmt, getattr(func, "__globals__", {})) for stmt in body[1:])


def writes_only_after_super(cls: type, ours: tuple[type, ...]) -> bool:
    """:func:`starts_with_super`, and what follows in each override only overwrites whole
    parameters with fills (``nn.init.xavier_uniform_(m.weight)``,
    ``trunc_normal_(self.pos_embed, std=.02)``) inside loops over submodules and tests of
    configuration: it reads no parameter's value, and each write moves the version counter.
    """
    for klass in cls.__mro__:
        if klass in ours:
            return True
        func = klass.__dict__.get("init_weights")
        if func is not None and not _function_writes_only_after_super(func):
            return False
    return False


@functools.cache
def _function_writes_only(func: Any) -> bool:
    try:
        fdef = ast.parse(textwrap.dedent(inspect.getsource(func))).body[0]
    except (OSError, TypeError, SyntaxError):
        return False
    if not isinstance(fdef, ast.FunctionDef) or fdef.decorator_list:
        return False
    body = fdef.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return all(_write_only_stmt(stmt, getattr(func, "__globals__", {})) for stmt in body)


def writes_only(cls: type) -> bool:
    """Whether ``cls.init_weights`` (one that does not start with ``super()``) only
    overwrites whole parameters, as :func:`writes_only_after_super` says of what follows a
    ``super()`` (``pass`` included): it reads no parameter's value."""
    func = getattr(cls, "init_weights", None)
    return func is not None and _function_writes_only(func)


def _fill_targets(
    stmts: list[ast.stmt],
    self_name: str,
    loops: dict[str, list[str]],
    globs: dict[str, Any],
    out: list[tuple[str, list[str]]],
) -> bool:
    """Collect what each fill call may write: ``("attr", chain)`` for ``self.a.b``,
    ``("tree", chain)`` for anything reached through a loop over ``self.chain.modules()``."""
    for stmt in stmts:
        if isinstance(stmt, ast.If):
            if not _fill_targets(stmt.body + stmt.orelse, self_name, loops, globs, out):
                return False
        elif isinstance(stmt, ast.For):
            assert isinstance(stmt.target, ast.Name) and isinstance(stmt.iter, ast.Call)
            chain = _chain(stmt.iter.func.value, self_name)  # type: ignore[attr-defined]
            if chain is None:
                return False
            if not _fill_targets(
                stmt.body, self_name, {**loops, stmt.target.id: chain}, globs, out
            ):
                return False
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            arg = stmt.value.args[0]
            root = arg
            while isinstance(root, ast.Attribute):
                root = root.value
            assert isinstance(root, ast.Name)
            if root.id in loops:
                out.append(("tree", loops[root.id]))
            else:
                chain = _chain(arg, self_name)
                if chain is None:
                    return False
                out.append(("attr", chain))
    return True


def _chain(node: ast.expr, self_name: str) -> list[str] | None:
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id == self_name:
        return names[::-1]
    return None


@functools.cache
def _function_fill_targets(func: Any) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    if not _function_writes_only_after_super(func):
        return None
    fdef = ast.parse(textwrap.dedent(inspect.getsource(func))).body[0]
    assert isinstance(fdef, ast.FunctionDef)
    if not fdef.args.args:
        return None
    body = fdef.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    out: list[tuple[str, list[str]]] = []
    if not _fill_targets(
        body[1:], fdef.args.args[0].arg, {}, getattr(func, "__globals__", {}), out
    ):
        return None
    return tuple((kind, tuple(chain)) for kind, chain in out)


def possible_writes(module: Any, ours: tuple[type, ...]) -> list[Any] | None:
    """The parameters the write-only code after ``super().init_weights()`` in
    ``module``'s overrides can write (a superset), or ``None`` if that is not clear."""
    found: dict[int, Any] = {}
    for klass in type(module).__mro__:
        if klass in ours:
            return list(found.values())
        func = klass.__dict__.get("init_weights")
        if func is None:
            continue
        targets = _function_fill_targets(func)
        if targets is None:
            return None
        for kind, chain in targets:
            obj = module
            for name in chain:
                obj = getattr(obj, name, None)
            if kind == "tree" and isinstance(obj, nn.Module):
                found.update((id(p), p) for p in obj.parameters())
            elif kind == "attr" and isinstance(obj, nn.Parameter):
                found[id(obj)] = obj
            elif kind == "attr" and obj is None:
                continue  # e.g. `if self.pos_embed is not None`: nothing to write
            else:
                return None
    return None
