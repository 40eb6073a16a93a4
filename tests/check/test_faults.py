"""``mminit check`` and ``mminit explain`` under faults: a hung or killed run leaves no side
process and no temporary directory; misbehaving targets exit 2 with a one-line message."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from mminit._cli.commands import main

from .test_check import _require

HERE = Path(__file__).resolve().parent


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _gone(pids: list[int], within: float = 20.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """cwd = this directory; temporary files and side pids under ``tmp_path``."""
    monkeypatch.chdir(HERE)
    monkeypatch.syspath_prepend(str(HERE))
    for name in ("tmp", "pids"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setenv("CHECK_PID_DIR", str(tmp_path / "pids"))
    return tmp_path


def _wait_for_sides(pids: Path, proc: subprocess.Popen[str] | None = None) -> list[int]:
    deadline = time.monotonic() + 300
    while len(list(pids.iterdir())) < 2:
        assert time.monotonic() < deadline, "the sides never reached the build stage"
        assert proc is None or proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    return [int(p.name) for p in pids.iterdir()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_timeout_ends_a_hung_side_and_names_the_stage(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``mminit check`` waited forever on a target that hangs."""
    _require("mmengine")
    assert (
        main(["check", "models_faults:build_hangs", "--flavour", "mmengine", "--timeout", "20"])
        == 2
    )
    err = capsys.readouterr().err
    assert (
        "side timed out in the build stage: building 'models_faults:build_hangs' took "
        "more than 20 s (--timeout SECONDS allows more)" in err
    ), err
    pids = [int(p.name) for p in (here / "pids").iterdir()]
    assert pids and _gone(pids)
    assert list((here / "tmp").iterdir()) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGKILL, -9)])
def test_sides_die_with_the_parent(sig: signal.Signals, code: int, here: Path) -> None:
    """Before: SIGTERM left both sides running (orphans) and the mminit-check-* directory."""
    _require("mmengine")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mminit",
            "check",
            "models_faults:build_hangs",
            "--flavour",
            "mmengine",
        ],
        cwd=HERE,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pids = _wait_for_sides(here / "pids", proc)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert _gone(pids), [p for p in pids if _alive(p)]
    if sig == signal.SIGTERM:  # (SIGKILL gives no chance to remove anything)
        assert "mminit check: terminated; both sides were stopped" in err
        assert list((here / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (
            ["models_faults:build_none"],
            {"CHECK_EXIT_AT_IMPORT": "1"},
            "could not import/build 'models_faults:build_none': SystemExit: 0",
        ),
        (
            ["models_faults:build_none"],
            {},
            ("building 'models_faults:build_none' gave NoneType, not a torch.nn.Module"),
        ),
        (
            ["models_faults:build_locked"],
            {},
            (
                "(explain plans on a deep copy of the model, and this "
                "model cannot be deep-copied: TypeError: cannot pickle '_thread.lock' object)"
            ),
        ),
    ],
)
def test_explain_misbehaving_target_exits_2(
    args: list[str],
    env: dict[str, str],
    says: str,
    here: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: sys.exit(0) at import exited 0 with no output under --strict; None and a
    lock gave a traceback (exit 1)."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delitem(sys.modules, "models_faults", raising=False)
    assert main(["explain", *args, "--strict"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mminit explain: ") and says in err, err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(
    ("env", "says"),
    [
        (
            {"CHECK_EXIT_AT_IMPORT": "1"},
            (
                "upstream side failed at the import stage: importing "
                "'models_faults:build_none' failed: SystemExit: 0"
            ),
        ),
        (
            {},
            (
                "upstream side failed at the build stage: building 'models_faults:build_none' failed: "
                "TypeError: it returned NoneType, not a torch.nn.Module"
            ),
        ),
    ],
)
def test_check_misbehaving_target_exits_2(
    env: dict[str, str],
    says: str,
    here: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _require("mmengine")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["check", "models_faults:build_none", "--flavour", "mmengine"]) == 2
    err = capsys.readouterr().err
    assert says in err, err


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_timeout_must_be_positive(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "models_faults:build_none", "--timeout", value]) == 2
    assert "--timeout must be a positive number of seconds" in capsys.readouterr().err
