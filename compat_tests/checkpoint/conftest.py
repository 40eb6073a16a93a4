"""Upstream checkpoint modules per flavour, isolated caches, a loopback server.

Flavours run: ``compat_tests.libs.requested_flavours`` (``MMINIT_COMPAT_FLAVOURS``,
else the environment's flavour).  A requested flavour whose upstream is missing is
skipped with what to install, and fails instead when ``CI=true``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from compat_tests.checkpoint.support import LoopbackServer, isolate_checkpoint_env
from compat_tests.libs import INSTALL_HINT, missing_upstream, requested_flavours
from mminit._flavour import MMCV1, MMENGINE, Flavour

UPSTREAM_MODULE = {"mmengine": "mmengine.runner.checkpoint", "mmcv1": "mmcv.runner.checkpoint"}
FLAVOUR = {"mmengine": MMENGINE, "mmcv1": MMCV1}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "flavour_name" in metafunc.fixturenames:
        metafunc.parametrize("flavour_name", requested_flavours())


@pytest.fixture
def upstream(flavour_name: str) -> SimpleNamespace:
    """The upstream checkpoint module of ``flavour_name``."""
    try:
        module = importlib.import_module(UPSTREAM_MODULE[flavour_name])
    except Exception as exc:  # noqa: BLE001
        message = (
            f"upstream for flavour {flavour_name} is not importable "
            f"({type(exc).__name__}: {exc}); install: {INSTALL_HINT[flavour_name]}"
        )
        missing_upstream(message)
    return SimpleNamespace(
        load_checkpoint=module.load_checkpoint,
        load_state_dict=module.load_state_dict,
        _load_checkpoint=module._load_checkpoint,
        _load_checkpoint_with_prefix=module._load_checkpoint_with_prefix,
    )


@pytest.fixture
def flavour(flavour_name: str) -> Flavour:
    return FLAVOUR[flavour_name]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_checkpoint_env(tmp_path, monkeypatch)


@pytest.fixture(scope="session")
def loopback() -> Iterator[LoopbackServer]:
    """``serve(path, body) -> url`` on a real 127.0.0.1 server."""
    server = LoopbackServer()
    yield server
    server.close()
