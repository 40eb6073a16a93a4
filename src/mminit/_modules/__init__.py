"""``BaseModule`` and the containers, and how their ``init_weights`` runs.

``base_module`` is ``BaseModule.init_weights`` (:func:`run_init_weights`),
``module_classes`` makes each flavour's ``BaseModule``/``Sequential``/
``ModuleList``/``ModuleDict``, ``native`` says which modules the engine may
drive (mminit's own and upstream's), ``routing`` runs upstream classes through
mminit (``route``/``enable``/``init_weights``), ``foreign_code`` and
``user_code`` handle code the engine does not control, and ``planned`` decides
which inits replay a cached plan.  Imports point down:
``user_code`` < ``native`` < ``planned`` < ``routing`` < ``foreign_code`` <
``base_module`` < ``module_classes``; the router reaches the engine entry point through
:func:`register_engine_entry`, which ``base_module`` calls when imported.
"""

from __future__ import annotations

from .base_module import Outcome, dump_visible, run_init_weights
from .foreign_code import only_write_only_code, resume_user_code, run_child_code
from .module_classes import ModuleClasses, make_module_classes
from .native import (
    ROUTED_ORIGINALS,
    UPSTREAM_BASE_MODULES,
    NativeKind,
    discover_upstream,
    is_upstream_module,
    native_bases,
    native_kind,
    original_init_weights,
    register_native,
    upstream_base_classes,
)
from .planned import CACHE_ENV, cache_enabled, clear_plan_cache
from .routing import disable, enable, init_weights, register_engine_entry, route, routed
from .user_code import (
    InitMode,
    init_mode,
    possible_writes,
    resolve_mode,
    starts_with_super,
    writes_only,
    writes_only_after_super,
)

__all__ = [
    "Outcome",
    "dump_visible",
    "run_init_weights",
    "only_write_only_code",
    "resume_user_code",
    "run_child_code",
    "ModuleClasses",
    "make_module_classes",
    "ROUTED_ORIGINALS",
    "NativeKind",
    "UPSTREAM_BASE_MODULES",
    "discover_upstream",
    "is_upstream_module",
    "native_bases",
    "native_kind",
    "original_init_weights",
    "register_native",
    "upstream_base_classes",
    "CACHE_ENV",
    "cache_enabled",
    "clear_plan_cache",
    "disable",
    "enable",
    "init_weights",
    "register_engine_entry",
    "route",
    "routed",
    "InitMode",
    "init_mode",
    "possible_writes",
    "resolve_mode",
    "starts_with_super",
    "writes_only",
    "writes_only_after_super",
]
