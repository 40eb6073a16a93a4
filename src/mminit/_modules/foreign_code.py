"""Code the engine does not control, inside an engine-driven ``init_weights``.

A child's own ``init_weights`` (:func:`run_child_code`) and the rest of a
user's ``init_weights`` after its ``super().init_weights()`` returns
(:func:`resume_user_code`) may read or write any parameter of their subtree;
these tell the engine when to settle deferred values and what may have changed.
"""

from __future__ import annotations

from torch import nn

from .._engine import InitEngine, active_engine, subtree_modules
from .native import native_bases, native_kind, upstream_base_classes
from .routing import routed
from .user_code import possible_writes, starts_with_super, writes_only, writes_only_after_super

__all__ = ["only_write_only_code", "resume_user_code", "run_child_code", "runs_upstream_code"]


def runs_upstream_code(module: nn.Module) -> bool:
    """Whether upstream's own ``BaseModule.init_weights`` may run in ``module``'s subtree.

    That code reads parameters directly, so the engine must not leave deferred
    values there: such subtrees run eagerly (and fast mode says so).
    """
    bases = tuple(upstream_base_classes())
    if not bases:
        return False
    return any(isinstance(m, bases) and routed(m) is None for m in subtree_modules(module))


def run_child_code(child: nn.Module, engine: InitEngine) -> None:
    """Run ``child.init_weights()``, user code the engine does not control."""
    eager = runs_upstream_code(child)
    if not eager and starts_with_super(
        type(child), native_bases(include_upstream=routed(child) is not None)
    ):
        # Nothing runs before our own init_weights; resume_user_code settles the
        # subtree when control returns to the user's code after super().
        engine.run_user_code(child)
        return
    with engine.foreign_child(child, eager):
        child.init_weights()  # type: ignore[operator]


def resume_user_code(module: nn.Module) -> None:
    engine = active_engine()
    if engine is not None and native_kind(module) is None:
        ours = native_bases(include_upstream=routed(module) is not None)
        if engine.expects_user_code(module) and writes_only_after_super(type(module), ours):
            # it only overwrites whole parameters: version counters tell which
            engine.before_write_only_code(module, possible_writes(module, ours))
        else:
            # the user's code may read what the engine deferred, and write any of it
            engine.settle(module)


def only_write_only_code(root: nn.Module) -> bool:
    """Whether no user code in ``root``'s tree can read a parameter: every module whose
    class has its own ``init_weights`` either starts it with ``super().init_weights()`` and
    only overwrites whole parameters after it (:func:`writes_only_after_super`), or only
    overwrites whole parameters (:func:`writes_only`: ``pass``, say), and no instance
    holds an ``init_weights`` of its own."""
    ours = native_bases(include_upstream=True)
    for m in root.modules():
        if "init_weights" in m.__dict__:
            return False
        if native_kind(m) is None and callable(getattr(m, "init_weights", None)):
            cls = type(m)
            if starts_with_super(cls, ours):
                if not writes_only_after_super(cls, ours):
                    return False
            elif runs_upstream_code(m) or not writes_only(cls):
                return False
    return True
