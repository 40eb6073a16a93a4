"""``mminit.explain(model)``: what ``init_weights`` will do to every parameter, and why.

``api`` is :func:`explain`, ``plan`` the plan's data types, ``record`` the
plan engine that records each fill, ``capture`` runs the copy quietly,
``format`` the human view and ``lints`` the checks on the tree and the plan
(``format`` and ``lints`` are imported only when used).
"""

from __future__ import annotations

from .api import InitPlan, Lint, Step, TensorPlan, explain

__all__ = ["InitPlan", "Lint", "Step", "TensorPlan", "explain"]
