"""Upstream checkpoint modules per flavour, isolated caches, a loopback server.

Flavours run: ``MMINIT_COMPAT_FLAVOURS`` (comma list) or every flavour whose
upstream imports here (``.venv``: mmengine; ``.venv-mmcv``: both).  A
requested flavour whose upstream is missing is skipped with what to install,
and fails instead when ``CI=true``.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest
import torch

from compat_tests.libs import missing_upstream
from mminit._flavour import MMCV1, MMENGINE, Flavour

UPSTREAM_MODULE = {"mmengine": "mmengine.runner.checkpoint", "mmcv1": "mmcv.runner.checkpoint"}
INSTALL = {
    "mmengine": "pip install mmengine==0.10.7",
    "mmcv1": "MMCV_WITH_OPS=0 pip install --no-build-isolation mmcv==1.7.2 torchvision "
             "(see tools/setup_envs.sh)",
}
FLAVOUR = {"mmengine": MMENGINE, "mmcv1": MMCV1}


def _importable(name: str) -> bool:
    try:
        importlib.import_module(UPSTREAM_MODULE[name])
    except Exception:  # noqa: BLE001 - a broken install counts as missing
        return False
    return True


def requested_flavours() -> list[str]:
    env = os.environ.get("MMINIT_COMPAT_FLAVOURS")
    if env:
        return [name.strip() for name in env.split(",") if name.strip()]
    return [name for name in UPSTREAM_MODULE if _importable(name)] or ["mmengine"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "flavour_name" in metafunc.fixturenames:
        metafunc.parametrize("flavour_name", requested_flavours())


@pytest.fixture
def upstream(flavour_name: str) -> SimpleNamespace:
    """The upstream checkpoint module of ``flavour_name``."""
    try:
        module = importlib.import_module(UPSTREAM_MODULE[flavour_name])
    except Exception as exc:  # noqa: BLE001
        message = (f"upstream for flavour {flavour_name} is not importable "
                   f"({type(exc).__name__}: {exc}); install: {INSTALL[flavour_name]}")
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
    for name in ("MMINIT_OFFLINE", "MMINIT_ALLOW_UNSAFE_PICKLE", "XDG_CACHE_HOME",
                 "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "TORCH_FORCE_WEIGHTS_ONLY_LOAD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setenv("MMENGINE_HOME", str(tmp_path / "mmengine_home"))
    monkeypatch.setenv("MMCV_HOME", str(tmp_path / "mmcv_home"))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)


class _Files(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="session")
def loopback() -> Iterator[SimpleNamespace]:
    """``serve(path, body) -> url`` on a real 127.0.0.1 server."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]

    def serve(path: str, body: bytes) -> str:
        _Files.files[path] = body
        return f"http://{host}:{port}{path}"

    yield SimpleNamespace(serve=serve)
    httpd.shutdown()
    httpd.server_close()
