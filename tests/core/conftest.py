"""tests/core checks mminit on its own: hide upstream loggers another test module set up.

When mmengine or mmcv is imported in the same process (compat_tests collected
first), mminit's records go to upstream's logger, as they should; these tests
are about the stand-alone case, so they look at the stdlib ``mminit`` logger.
"""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def _standalone_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("mmengine.logging.logger", "mmcv.utils.logging"):
        monkeypatch.delitem(sys.modules, name, raising=False)
