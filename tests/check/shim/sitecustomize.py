"""Started by every interpreter that has this directory on ``PYTHONPATH`` (tests/check).

* ``CHECK_STUBS=mmdet`` (a package of ``compat_tests.real_models.stubs.STUBS``): the
  stand-ins that package needs and this environment lacks (``mmcv._ext``, matplotlib, ...).
* ``CHECK_BLOCK=mmengine``: ``import mmengine`` (and any submodule) fails, and the attempt
  is written to stderr as ``CHECK-BLOCKED-IMPORT: <name>`` and appended to the file
  ``CHECK_BLOCK_LOG`` names (if any: ``mminit check``'s sides keep their stderr to
  themselves), so an import that some code catches and ignores is still seen.
"""

from __future__ import annotations

import importlib.abc
import os
import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[3])


class _Blocker(importlib.abc.MetaPathFinder):
    def __init__(self, roots: list[str]) -> None:
        self.roots = roots

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if any(fullname == r or fullname.startswith(r + ".") for r in self.roots):
            line = f"CHECK-BLOCKED-IMPORT: {fullname}\n"
            sys.stderr.write(line)
            if os.environ.get("CHECK_BLOCK_LOG"):
                with open(os.environ["CHECK_BLOCK_LOG"], "a", encoding="utf-8") as log:
                    log.write(line)
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (blocked by tests/check/shim)", name=fullname
            )


if os.environ.get("CHECK_BLOCK"):
    sys.meta_path.insert(0, _Blocker(os.environ["CHECK_BLOCK"].split(",")))
if os.environ.get("CHECK_STUBS"):
    sys.path.append(_ROOT)
    from compat_tests.real_models import stubs

    stubs.install(os.environ["CHECK_STUBS"])
    sys.path.remove(_ROOT)
