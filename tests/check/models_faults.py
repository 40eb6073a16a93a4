"""Targets that misbehave, for ``tests/check/test_faults.py``.

``CHECK_EXIT_AT_IMPORT=1``: importing this module calls ``sys.exit(0)``.
``CHECK_PID_DIR``: ``build_hangs`` writes a file named after its pid there first.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from torch import nn

from mminit import BaseModule

if os.environ.get("CHECK_EXIT_AT_IMPORT"):
    sys.exit(0)


class Tiny(BaseModule):
    def __init__(self) -> None:
        super().__init__(dict(type="Normal", layer="Linear", std=0.02))
        self.fc = nn.Linear(4, 3)


def build_hangs() -> nn.Module:
    Path(os.environ["CHECK_PID_DIR"], str(os.getpid())).write_text("")
    time.sleep(3600)
    raise AssertionError("not reached")


def build_none() -> None:
    return None


def build_locked() -> nn.Module:
    """A model holding a lock: it cannot be deep-copied."""
    model = Tiny()
    model.lock = threading.Lock()
    return model
