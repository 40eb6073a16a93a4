"""Initialising large models: meta-device, sharded and name-keyed.

``meta`` materialises a model built on the meta device so that compat init
equals the CPU-built model, ``sharded`` initialises FSDP2 ``DTensor``
parameters as one process would, and ``keyed`` gives every parameter a random
stream keyed by its name.
"""

from __future__ import annotations

from .keyed import RANDOM_INPLACE, NameKeyed, RandomCall, active_name_keyed, name_keyed, random_call
from .meta import MaterializeWarning, construction_order, materialize
from .sharded import sharded_init

__all__ = [
    "RANDOM_INPLACE",
    "NameKeyed",
    "RandomCall",
    "active_name_keyed",
    "name_keyed",
    "random_call",
    "MaterializeWarning",
    "construction_order",
    "materialize",
    "sharded_init",
]
