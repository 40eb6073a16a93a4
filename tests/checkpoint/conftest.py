"""Fixtures: an isolated cache/zoo home per test and a real loopback HTTP server."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from compat_tests.checkpoint.support import LoopbackServer, isolate_checkpoint_env


@pytest.fixture(autouse=True)
def isolated_homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point torch.hub's cache and both zoo homes into ``tmp_path``."""
    return isolate_checkpoint_env(tmp_path, monkeypatch)


@pytest.fixture
def cache_dir(isolated_homes: dict[str, Path]) -> Path:
    return isolated_homes["torch"] / "hub" / "checkpoints"


def to_bytes(obj: object) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


@pytest.fixture(scope="session")
def _server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    yield server
    server.close()


@pytest.fixture
def http_server(_server: LoopbackServer) -> Iterator[LoopbackServer]:
    _server.reset()
    yield _server
    _server.reset()
