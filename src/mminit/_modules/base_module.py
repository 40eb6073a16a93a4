"""``BaseModule.init_weights`` as :func:`run_init_weights` (mminit's, or upstream's driven by the engine).

:class:`_InitRun` is its set-up and teardown (table, engine, init-info dump);
the body applies ``init_cfg`` and runs the children's ``init_weights`` in the
flavour's order.  The classes themselves are made in :mod:`mminit._modules.module_classes`.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import sys
import types
import warnings
from logging import FileHandler
from typing import TYPE_CHECKING, Any

from torch import nn

from .._engine import (
    FastPlanRecorder,
    InitEngine,
    PlanRecorder,
    active_engine,
    compat_engine_classes,
    eager_block,
    fast_engine_class,
    in_eager_block,
    materialise_meta,
    plan_cache,
    resume_replay,
    subtree_modules,
    subtree_params,
)
from .._errors import FastModeWarning, check_cfg_entry, check_init_cfg_iterable
from .._flavour import Flavour
from .._init import MminitInitInfo, new_params_init_info, update_init_info_for
from .._logging import (
    LOGGER_NAME,
    _mmcv_logger as _existing_mmcv_logger,
    _mmengine_logger as _existing_mmlogger,
)
from .._parallel import is_model_wrapper, is_rank_zero
from .._scale.keyed import _is_dtensor
from .foreign_code import resume_user_code, run_child_code, runs_upstream_code
from .native import NativeKind, discover_upstream, native_kind
from .planned import TreeShape, drop_table, planned_shape, replay_cached, share_table
from .routing import register_engine_entry, route
from .user_code import InitMode, resolve_mode

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self is Python 3.11+

__all__ = ["Outcome", "dump_visible", "run_init_weights"]


class Outcome(enum.Enum):
    """How the body of one ``init_weights`` ended; it decides the teardown."""

    COMPLETED = "completed"  # the init info is dumped (top level) and the table removed
    RETURNED_EARLY = "returned early"  # mmcv 1.x, dict Pretrained: no dump, the table stays
    RAISED = "raised"  # no dump, the table stays (a retry reuses it, as upstream's does)


def _is_pretrained(cfg_type: Any, pretrained_classes: tuple[type, ...]) -> bool:
    return cfg_type == "Pretrained" or any(cfg_type is cls for cls in pretrained_classes)


def _dump_init_info(module: nn.Module, kind: NativeKind) -> None:
    if not is_rank_zero():
        return
    logger = kind.dump_logger()
    table: Any = module._params_init_info
    wrote_to_file = False
    for handler in logger.handlers:
        if isinstance(handler, FileHandler):
            stream: Any = handler.stream
            stream.write("Name of parameter - Initialization information\n")
            for name, param in module.named_parameters():
                stream.write(f"\n{name} - {param.shape}: \n{table[param]['init_info']} \n")
            stream.flush()
            wrote_to_file = True
    if not wrote_to_file and not _emits_info(logger):
        for p in subtree_params(module):
            table[p]["init_info"]  # upstream formats each record first: a missing entry raises
    elif not wrote_to_file:
        for name, param in module.named_parameters():
            # upstream's record ends with " \n " (trailing spaces included)
            logger.info(f"\n{name} - {param.shape}: \n{table[param]['init_info']} \n ")


def _emits_info(logger: logging.Logger) -> bool:
    """Whether ``logger.info`` may make a record (a subclass may emit its own way)."""
    cls = type(logger)
    if cls.info is not logging.Logger.info or cls.isEnabledFor is not logging.Logger.isEnabledFor:
        return True
    return logger.isEnabledFor(logging.INFO)


def _peek_dump_logger(flavour: Flavour) -> logging.Logger | None:
    """The logger the init-info dump will go to, without creating one; ``None`` where it
    may not exist yet (upstream makes it on first use, at INFO, possibly during the init)."""
    if flavour.logs_to_mmlogger:
        if "mmengine.logging.logger" in sys.modules:
            return _existing_mmlogger()
    elif "mmcv.utils.logging" in sys.modules:
        # the first logger mmcv initialised; Pretrained's get_logger('mmcv') may make one
        return _existing_mmcv_logger()
    return logging.getLogger(LOGGER_NAME)


def dump_visible(flavour: Flavour) -> bool:
    """Whether the init-info dump of an init starting now can reach anyone.

    Upstream's dump runs on rank 0 only, writes to the ``FileHandler``s of the
    logger's own handlers, or else sends one INFO record per parameter through
    the logger: where the logger is not enabled for INFO no record is even made.
    Read once, when the top-level ``init_weights`` starts.
    """
    if not is_rank_zero():
        return False
    logger = _peek_dump_logger(flavour)
    if logger is None:
        return True
    return logger.isEnabledFor(logging.INFO) or any(
        isinstance(h, FileHandler) for h in logger.handlers
    )


def _start_engine(
    root: nn.Module, flavour: Flavour, mode: InitMode | None, shape: TreeShape | None = None
) -> InitEngine | None:
    """The engine for ``root``'s init, or ``None`` to run upstream's sequence literally
    (``shape``: the tree's plan-cache key, which a compat engine records a plan for)."""
    resolved = resolve_mode(mode)
    discover_upstream()  # upstream classes imported since the last init
    if resolved == "eager":
        return None
    if resolved == "fast":
        versions = materialise_meta(root)  # first: it may replace the parameters
        params = subtree_params(root)
        table = new_params_init_info(root, flavour, with_means=False, params=params)
        if shape is not None and versions is None:  # a fast init the cache has no plan for
            return FastPlanRecorder(
                table, root, _observes(params, flavour), shape.params, shape.modules
            )
        return fast_engine_class()(table, versions, root, observes=_observes(params, flavour))
    if shape is not None:  # a compat init the cache has no plan for: record one
        table = new_params_init_info(root, flavour, with_means=False, params=shape.params)
        observes = _observes(shape.params, flavour)
        return compat_engine_classes()[1](table, root, observes, shape.params, shape.modules)
    params = subtree_params(root)
    if any(p.is_meta for p in params):
        return None  # on the meta device upstream's sequence fails at its first mean
    return compat_engine_classes()[0](
        new_params_init_info(root, flavour, with_means=False, params=params),
        root,
        observes=_observes(params, flavour),
    )


def _observes(params: list[Any], flavour: Flavour) -> bool:
    """Whether the engine takes the means the init-info strings need.

    A sharded (DTensor) parameter's mean is a collective every rank must join, so
    sharded models take them on every rank, seen or not.
    """
    return dump_visible(flavour) or any(_is_dtensor(p) for p in params)


def _nested_engine(module: nn.Module) -> InitEngine | None:
    """The engine for ``module``'s subtree, where code mminit does not drive (an upstream
    root's ``init_weights``, or a retry after a failed init) made the table and calls
    this ``init_weights``: upstream's sequence, minus the work nobody can observe.

    That code reads the table after this call (its ``update_init_info`` compares each
    mean with ``tmp_mean_value``), so the engine leaves every entry as upstream's
    sequence would: means taken, whoever dumps the table.  The code that ran before this
    call (the caller's own ``init_weights`` up to ``super()``, earlier siblings) may have
    written any parameter of the subtree since its last check: each one's first check
    compares its mean, as upstream's does.
    """
    if any(p.is_meta for p in subtree_params(module)):
        return None  # upstream's sequence fails at its first mean
    engine = compat_engine_classes()[0](module._params_init_info, module)
    engine.foreign_wrote(module)
    return engine


_INFO = "_params_init_info"


def _share_table(module: nn.Module, table: Any) -> None:
    share_table(subtree_modules(module), table)


def _drop_table(module: nn.Module) -> None:
    drop_table(subtree_modules(module))


class _InitRun:
    """Set-up and teardown of one ``init_weights`` call (a context manager).

    At the top of a tree (no ``_params_init_info`` yet) it picks the engine,
    puts the table on every module and activates the engine for the body; on
    the way out it finishes the engine and, if the body completed, dumps the
    init info and removes the table.  Below the top it tells a running engine
    that the module ran, or that user code resumes after ``super()``.  The body
    sets :attr:`outcome`; until it does, the call counts as raised.
    """

    def __init__(
        self, module: Any, kind: NativeKind, mode: InitMode | None, shape: TreeShape | None = None
    ) -> None:
        self.module = module
        self.kind = kind
        self.mode = mode
        self.shape = shape
        self.top_level = not hasattr(module, "_params_init_info")
        self.engine: InitEngine | None = None
        self.outcome = Outcome.RAISED
        self._active = contextlib.ExitStack()

    def __enter__(self) -> Self:
        module, flavour = self.module, self.kind.flavour
        if self.top_level:
            self.engine = _start_engine(module, flavour, self.mode, self.shape)
            table = (
                self.engine.table
                if self.engine is not None
                else new_params_init_info(module, flavour)
            )
            if self.shape is not None:  # its modules, walked already for the key
                share_table(self.shape.modules, table)
            else:
                _share_table(module, table)
            if self.engine is None:  # eager: upstream's literal sequence all the way down
                self._active.enter_context(eager_block())
        elif (
            active_engine() is None and not in_eager_block() and resolve_mode(self.mode) != "eager"
        ):
            if resolve_mode(self.mode) == "fast":
                _warn_fast_not_driven(module)
            self.engine = _nested_engine(module)
            if self.engine is not None and runs_upstream_code(module):
                # upstream BaseModules inside, which nothing routes: route them for this call,
                # so the engine drives them (whoever calls their init_weights), as compat mode does
                self._active.enter_context(route(module, "compat"))
        outer = active_engine()
        if self.kind.upstream and outer is not None:
            outer.drove(module)
        if self.engine is not None:
            self._active.enter_context(self.engine.activate())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        self._active.close()  # deactivate the engine first
        engine = self.engine
        if engine is None:
            resume_user_code(self.module)
        else:
            if exc_type is not None:
                engine.failed()
            # after an exception or mmcv's early return the table stays behind
            engine.finish(keep_table=self.outcome is not Outcome.COMPLETED)
            if (
                isinstance(engine, PlanRecorder)
                and self.shape is not None
                and exc_type is None
                and self.outcome is Outcome.COMPLETED
            ):
                plan = engine.plan()
                if plan is not None:
                    plan_cache.put(self.shape.key, plan)
        if self.top_level and self.outcome is Outcome.COMPLETED:
            _dump_init_info(self.module, self.kind)
            _drop_table(self.module)


def run_init_weights(module: Any, kind: NativeKind, mode: InitMode | None) -> None:
    """``BaseModule.init_weights`` of a native ``module`` (mminit's class or upstream's).

    A top-level compat init replays the cached plan of its tree's architecture if
    there is one (see :mod:`mminit._modules.planned`), and records one if not.
    """
    if resume_replay(module):
        # the super() of a user's init_weights inside a replay ran the plan's part of it;
        # the user's code goes on as after the walk's
        resume_user_code(module)
        return
    shape = None
    if not hasattr(module, _INFO):
        shape = planned_shape(module, kind, mode)
        if shape is not None:
            observes = dump_visible(kind.flavour)
            holders = replay_cached(module, kind, shape, observes)
            if holders is not None:
                if observes:  # else every entry is known to be there, nobody to tell
                    _dump_init_info(module, kind)
                drop_table(holders)
                return
    with _InitRun(module, kind, mode, shape) as run:
        run.outcome = _init_self_and_children(module, kind)


_FAST_WARNED: set[int] = set()


def _warn_fast_not_driven(module: nn.Module) -> None:
    table = getattr(module, "_params_init_info", None)
    if isinstance(table, MminitInitInfo) or id(table) in _FAST_WARNED:
        # mminit's own table: a retry after a failed init, not an upstream root
        return
    _FAST_WARNED.clear()  # one table at a time: the ids of finished ones may be reused
    _FAST_WARNED.add(id(table))
    warnings.warn(
        f"mode='fast' was requested, but {type(module).__name__}.init_weights is running inside "
        "an init_weights that mminit does not drive (an upstream root): compat mode runs instead "
        "(upstream's result, bit for bit). Use mminit.init_weights(model, mode='fast') "
        "or mminit.route(model) to drive the whole model.",
        FastModeWarning,
        stacklevel=4,  # the caller of BaseModule.init_weights (via _InitRun, run_init_weights)
    )


def _init_self_and_children(module: Any, kind: NativeKind) -> Outcome:
    flavour = kind.flavour
    if not module._is_init:
        if flavour.pretrained_last:
            _init_pretrained_last(module, kind)
        elif _init_in_order(module, kind) is Outcome.RETURNED_EARLY:
            return Outcome.RETURNED_EARLY
        engine = active_engine()
        if engine is None:
            module._is_init = True
        else:
            engine.initialised(module)
        return Outcome.COMPLETED
    engine = active_engine()
    if engine is not None:
        engine.cannot_replay()  # a warning or record a plan does not make
    if flavour.repeat_warning == "log":
        kind.init_cfg_logger().warning(
            f"init_weights of {module.__class__.__name__} has been called more than once."
        )
    else:
        warnings.warn(  # upstream's stacklevel (1), for identical filtering
            f"init_weights of {module.__class__.__name__} has been called more than once."
        )
    return Outcome.COMPLETED


def _log_init_cfg(module: Any, kind: NativeKind) -> None:
    level = kind.flavour.init_cfg_log_level
    message = f"initialize {module.__class__.__name__} with init_cfg {module.init_cfg}"

    def emit() -> None:
        kind.init_cfg_logger().log(level, message)

    engine = active_engine()
    if engine is None:
        emit()
    else:
        engine.effect(emit)  # a recorded plan makes the same record


def _init_pretrained_last(module: Any, kind: NativeKind) -> None:
    # mmengine: Pretrained entries run after the others and after the children.
    pretrained: list[dict[str, Any]] = []
    if module.init_cfg:
        _log_init_cfg(module, kind)
        cfgs = [module.init_cfg] if isinstance(module.init_cfg, dict) else module.init_cfg
        check_init_cfg_iterable(cfgs, module)
        others = []
        for cfg in cfgs:
            check_cfg_entry(cfg, module)
            if _is_pretrained(cfg["type"], kind.pretrained_classes):
                pretrained.append(cfg)
            else:
                others.append(cfg)
        kind.initialize(module, others)
    _init_children(module, kind)
    if module.init_cfg and pretrained:
        kind.initialize(module, pretrained)


def _init_in_order(module: Any, kind: NativeKind) -> Outcome:
    # mmcv 1.x: the list runs in order; a dict Pretrained returns early.
    if module.init_cfg:
        _log_init_cfg(module, kind)
        kind.initialize(module, module.init_cfg)
        if isinstance(module.init_cfg, dict) and module.init_cfg["type"] == "Pretrained":
            return Outcome.RETURNED_EARLY
    _init_children(module, kind)
    return Outcome.COMPLETED


def _init_children(module: nn.Module, kind: NativeKind) -> None:
    flavour = kind.flavour
    child: Any
    for child in module.children():
        if (
            flavour.unwrap_model_wrappers
            and is_model_wrapper(child, flavour)
            and not hasattr(child, "init_weights")
        ):
            child = child.module
        if not hasattr(child, "init_weights"):
            continue
        if flavour.skip_initialised_children and getattr(child, "is_init", False):
            continue
        child_kind = native_kind(child)
        engine = active_engine()
        if engine is None or (child_kind is not None and not child_kind.upstream):
            child.init_weights()
        elif child_kind is not None:
            run_init_weights(child, child_kind, None)  # the engine drives upstream's BaseModule
        else:
            run_child_code(child, engine)
        # the child may define its own init_weights, writing any parameter
        update_init_info_for(
            child,
            f"Initialized by user-defined `init_weights` in {child.__class__.__name__} ",
            flavour,
        )


register_engine_entry(run_init_weights)  # upstream classes routed through mminit
