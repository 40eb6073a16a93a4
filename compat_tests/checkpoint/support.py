"""Test support shared by ``tests/checkpoint`` and ``compat_tests/checkpoint``.

* :func:`isolate_checkpoint_env`: every variable that steers checkpoint loading
  cleared, and torch.hub's cache and both zoo homes moved under a test's
  ``tmp_path``.
* :class:`LoopbackServer`: a real HTTP server on 127.0.0.1 that serves bodies
  as told (whole, truncated, stalled, ...) and counts the requests per path.
* :class:`Net` and :func:`net_state`: the small model the checkpoint compat tests load into.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal, cast

import pytest
import torch
from torch import nn

__all__ = [
    "CHECKPOINT_ENV",
    "LoopbackServer",
    "Mode",
    "Net",
    "Route",
    "console",
    "isolate_checkpoint_env",
    "net_state",
]

#: every variable that changes how mminit or torch loads or finds a checkpoint
CHECKPOINT_ENV = (
    "MMINIT_OFFLINE",
    "MMINIT_DOWNLOAD_DEADLINE",
    "MMINIT_ALLOW_UNSAFE_PICKLE",
    "MMINIT_VERIFY_HASH",
    "MMINIT_DOWNLOAD_TIMEOUT",
    "TORCH_HOME",
    "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD",
    "TORCH_FORCE_WEIGHTS_ONLY_LOAD",
    "XDG_CACHE_HOME",
    "MMENGINE_HOME",
    "MMCV_HOME",
)


def isolate_checkpoint_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Clear :data:`CHECKPOINT_ENV`; point torch.hub and both zoo homes into ``tmp_path``.

    Returns the homes by ``"torch"``, ``"mmengine"`` and ``"mmcv1"`` (none exists yet).
    """
    for name in CHECKPOINT_ENV:
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


Mode = Literal["ok", "truncate", "missing", "slow", "stall", "nolength", "trickle", "stall10"]


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes
    mode: Mode = "ok"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.release = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        server = cast(_Server, self.server)
        server.hits[self.path] += 1
        route = server.routes.get(self.path)
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
            server.release.wait(10)
        elif route.mode == "nolength":  # no Content-Length, half the body, then close
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        elif route.mode == "trickle":  # one byte every 50 ms: never idle, never done soon
            try:
                for start in range(len(body)):
                    self.wfile.write(body[start : start + 1])
                    self.wfile.flush()
                    if server.release.wait(0.05):
                        return
            except OSError:  # the client gave up
                return
        elif route.mode == "stall10":  # ten bytes, then silence
            self.wfile.write(body[:10])
            self.wfile.flush()
            server.release.wait(10)


class LoopbackServer:
    """A started HTTP server on 127.0.0.1; :meth:`close` stops it."""

    def __init__(self) -> None:
        self.httpd = _Server()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve(self, path: str, body: bytes, mode: Mode = "ok") -> str:
        """Serve ``body`` at ``path`` (which starts with '/'); return its URL."""
        self.httpd.routes[path] = Route(body, mode)
        return self.base + path

    def hits(self, path: str) -> int:
        """How many requests ``path`` got since the last :meth:`reset`."""
        return self.httpd.hits[path]

    def reset(self) -> None:
        """Forget every route and count."""
        self.httpd.routes.clear()
        self.httpd.hits.clear()

    def close(self) -> None:
        """Release stalled answers, stop serving and close the socket."""
        self.httpd.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class Net(nn.Module):
    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.head = nn.Linear(4, classes)


def net_state(seed: int) -> OrderedDict[str, torch.Tensor]:
    """A :class:`Net`'s state dict, every parameter drawn from N(0, 1) after ``manual_seed(seed)``."""
    torch.manual_seed(seed)
    net = Net()
    for p in net.parameters():
        nn.init.normal_(p)
    return net.state_dict()


def console(capsys: pytest.CaptureFixture[str]) -> str:
    """stdout, and torch.hub's "Downloading:" line from stderr, where torch 2.1 writes it
    (stderr's progress bars and timestamped log lines are not compared)."""
    captured = capsys.readouterr()
    return captured.out + "".join(
        line for line in captured.err.splitlines(keepends=True) if line.startswith("Downloading: ")
    )
