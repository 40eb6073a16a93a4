"""Make ``import mmcv`` and ``import mmengine`` fail in this process (an environment without them).

The mminit side of the bricks suite runs under this blocker, so it can only use
mminit's own tables and layers: nothing resolves through an upstream registry.
"""

from __future__ import annotations

import importlib.abc
import sys
from typing import Any

__all__ = ["BLOCKED", "block_upstream"]

BLOCKED = ("mmcv", "mmengine")


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname.split(".")[0] in BLOCKED:
            raise ImportError(f"{fullname} is blocked: this process runs without mmcv/mmengine")
        return None


def block_upstream() -> None:
    """Install the blocker; fail if an upstream was imported already."""
    present = [m for m in sys.modules if m.split(".")[0] in BLOCKED]
    if present:
        raise RuntimeError(f"upstream already imported: {sorted(present)[:5]}")
    sys.meta_path.insert(0, _Blocker())
