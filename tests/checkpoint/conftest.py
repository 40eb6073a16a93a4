"""Fixtures: an isolated cache/zoo home per test and a real loopback HTTP server."""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import torch

_ENV_CLEARED = (
    "MMINIT_OFFLINE",
    "MMINIT_DOWNLOAD_DEADLINE",
    "MMINIT_ALLOW_UNSAFE_PICKLE",
    "MMINIT_VERIFY_HASH",
    "MMINIT_DOWNLOAD_TIMEOUT",
    "TORCH_HOME",
    "XDG_CACHE_HOME",
    "MMENGINE_HOME",
    "MMCV_HOME",
)


@pytest.fixture(autouse=True)
def isolated_homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point torch.hub's cache and both zoo homes into ``tmp_path``."""
    for name in _ENV_CLEARED:
        monkeypatch.delenv(name, raising=False)
    homes = {
        "torch": tmp_path / "torch_home",
        "mmengine": tmp_path / "mmengine_home",
        "mmcv1": tmp_path / "mmcv_home",
    }
    monkeypatch.setenv("TORCH_HOME", str(homes["torch"]))
    monkeypatch.setenv("MMENGINE_HOME", str(homes["mmengine"]))
    monkeypatch.setenv("MMCV_HOME", str(homes["mmcv1"]))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    return homes


@pytest.fixture
def cache_dir(isolated_homes: dict[str, Path]) -> Path:
    return isolated_homes["torch"] / "hub" / "checkpoints"


def to_bytes(obj: object) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


@dataclass
class Route:
    body: bytes
    mode: str = "ok"  # ok | truncate | missing | slow | stall | nolength | trickle | stall10


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, Route]] = {}
    hits: ClassVar[Counter[str]] = Counter()
    release: ClassVar[threading.Event] = threading.Event()

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self.hits[self.path] += 1
        route = self.routes.get(self.path)
        if route is None or route.mode == "missing":
            self.send_error(404, "Not Found")
            return
        body = route.body
        announced = len(body) + 1000 if route.mode == "truncate" else len(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if route.mode != "nolength":
            self.send_header("Content-Length", str(announced))
        self.end_headers()
        if route.mode == "ok":
            self.wfile.write(body)
        elif route.mode == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        elif route.mode == "slow":  # dribbles the body, each gap well inside the timeout
            step = max(1, len(body) // 8)
            for start in range(0, len(body), step):
                self.wfile.write(body[start : start + step])
                self.wfile.flush()
                time.sleep(0.05)
        elif route.mode == "stall":  # half the body, then silence
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.release.wait(10)
        elif route.mode == "nolength":  # no Content-Length, half the body, then close
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        elif route.mode == "trickle":  # one byte every 50 ms: never idle, never done soon
            try:
                for start in range(len(body)):
                    self.wfile.write(body[start : start + 1])
                    self.wfile.flush()
                    if self.release.wait(0.05):
                        return
            except OSError:  # the client gave up
                return
        elif route.mode == "stall10":  # ten bytes, then silence
            self.wfile.write(body[:10])
            self.wfile.flush()
            self.release.wait(10)


class LoopbackServer:
    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def serve(self, path: str, body: bytes, mode: str = "ok") -> str:
        """Serve ``body`` at ``path`` (which starts with '/'); return its URL."""
        _Handler.routes[path] = Route(body, mode)
        return self.base + path

    def hits(self, path: str) -> int:
        return _Handler.hits[path]


@pytest.fixture(scope="session")
def _server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    server.thread.start()
    yield server
    _Handler.release.set()
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def http_server(_server: LoopbackServer) -> Iterator[LoopbackServer]:
    _Handler.routes.clear()
    _Handler.hits.clear()
    yield _server
    _Handler.routes.clear()


def pytest_collection_modifyitems(config, items):  # noqa: ANN001, ANN201
    """Tests marked ``needs_torchvision`` run in the venv that has it (.venv-mmcv).

    Elsewhere they are deselected, not skipped; ``tools/test_all.sh`` runs them there.
    """
    import importlib.util

    if importlib.util.find_spec("torchvision") is not None:
        return
    keep = [i for i in items if i.get_closest_marker("needs_torchvision") is None]
    dropped = [i for i in items if i.get_closest_marker("needs_torchvision") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
