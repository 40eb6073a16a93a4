"""The init engine: how ``BaseModule.init_weights`` fills parameters.

``state`` is what every engine shares (the table, the tree, the barriers), ``fills``
the weight fills as data, ``program`` recorded steps compiled into flat operations,
``compat`` the compat engine (upstream's sequence, run as compiled segments),
``recorder`` and ``plan`` the plans a compat init of a known architecture replays,
``fast`` the fast-mode engine (each parameter filled once) and ``fast_plan`` its
replay.  The engine knows nothing of modules, flavours or configs: :mod:`mminit._init`
and :mod:`mminit._modules` sit above it and talk to it through the names below.
"""

from __future__ import annotations

from .compat import CompatEngine, CompatRecorder, compat_engine_classes, using_compat_engines
from .fast import (
    FastInitEngine,
    UncoveredWarning,
    fast_engine_class,
    materialise_meta,
    using_fast_engine,
)
from .fast_plan import FastPlanRecorder, replay_fast
from .fills import (
    FillSpec,
    apply_fill,
    fill_module,
    fixed_result,
    is_fixed,
    module_fills,
    trunc_normal_draw,
    trunc_normal_transform,
    validate_fill,
)
from .plan import Plan, PlanCache, plan_cache, replay, resume_replay
from .program import Program
from .recorder import PlanRecorder
from .state import (
    EngineStats,
    InitEngine,
    LoadsParameters,
    Undriven,
    active_engine,
    eager_block,
    in_eager_block,
    plain_walk,
    stats,
    subtree_modules,
    subtree_params,
)

__all__ = [
    "CompatEngine",
    "CompatRecorder",
    "compat_engine_classes",
    "using_compat_engines",
    "FastInitEngine",
    "UncoveredWarning",
    "fast_engine_class",
    "materialise_meta",
    "using_fast_engine",
    "FastPlanRecorder",
    "replay_fast",
    "FillSpec",
    "apply_fill",
    "fill_module",
    "fixed_result",
    "is_fixed",
    "module_fills",
    "trunc_normal_draw",
    "trunc_normal_transform",
    "validate_fill",
    "Plan",
    "PlanCache",
    "PlanRecorder",
    "Program",
    "plan_cache",
    "replay",
    "resume_replay",
    "EngineStats",
    "InitEngine",
    "LoadsParameters",
    "Undriven",
    "active_engine",
    "eager_block",
    "in_eager_block",
    "plain_walk",
    "stats",
    "subtree_modules",
    "subtree_params",
]
