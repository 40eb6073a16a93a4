"""Issue 12, loading items 12-16: files that are not checkpoints, bad downloads,
download limits, strict environment flags, the user zoo file, directories.

Every test here failed on the loader before these fixes (see the closing note
of issue 12); servers are loopback only and every wait is bounded.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from torch import nn

from mminit._checkpoint import (
    DownloadError,
    OfflineError,
    UnsafeCheckpointError,
    _load_checkpoint,
    load_checkpoint,
)
from mminit._checkpoint.download import fetch
from mminit._flavour import MMCV1, MMENGINE

from .conftest import to_bytes

HTML = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
    b"<body>Please log in to download this file.</body></html>\n"
)


def weights() -> OrderedDict[str, torch.Tensor]:
    torch.manual_seed(2)
    return OrderedDict(weight=torch.randn(2, 2), bias=torch.randn(2))


class Payload:
    """Pickles to a call of ``os.getpid``: a global torch must refuse."""

    def __reduce__(self):
        return (os.getpid, ())


class Helper:
    """A plain class of this test module: another global outside the allow-list."""


def _error_of(fn, *args, **kwargs) -> BaseException:
    try:
        fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - returns whatever it raised, for the test to inspect
        return exc
    raise AssertionError("expected an exception")


# -- item 12: "not a checkpoint" first ------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        pytest.param(HTML, "HTML page", id="html"),
        pytest.param(b"epoch,loss\n1,0.5\n2,0.25\n", "text file", id="text"),
        pytest.param(b"", "empty file (0 bytes)", id="zero-byte"),
        pytest.param(b'{"state_dict": {}}', "JSON", id="json"),
    ],
)
def test_not_a_checkpoint_says_what_the_file_is(tmp_path: Path, content: bytes, kind: str) -> None:
    path = tmp_path / "model.pth"
    path.write_bytes(content)
    exc = _error_of(_load_checkpoint, str(path))
    message = str(exc)
    assert type(exc).__name__ == "NotACheckpointError", repr(exc)
    assert not isinstance(exc, UnsafeCheckpointError)
    assert "not a checkpoint" in message and kind in message
    assert str(path) in message and f"{len(content)} bytes" in message
    assert "MMINIT_ALLOW_UNSAFE_PICKLE" not in message  # no advice to weaken security


def test_not_a_checkpoint_is_an_unpickling_error(tmp_path: Path) -> None:
    """Upstream's torch.load fails on these with ``UnpicklingError``: same base type."""
    import pickle

    path = tmp_path / "page.pth"
    path.write_bytes(HTML)
    with pytest.raises(pickle.UnpicklingError, match="starting with b'<!DOCTYPE html>"):
        _load_checkpoint(str(path))


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_unsafe_pickles_name_every_disallowed_global(tmp_path: Path, zipped: bool) -> None:
    path = tmp_path / "evil.pth"
    torch.save(
        {"w": torch.ones(1), "run": Payload(), "obj": Helper()},
        path,
        _use_new_zipfile_serialization=zipped,
    )
    with pytest.raises(UnsafeCheckpointError) as info:
        _load_checkpoint(str(path))
    message = str(info.value)
    assert "posix.getpid" in message or "os.getpid" in message
    assert f"{__name__}.Helper" in message
    assert "MMINIT_ALLOW_UNSAFE_PICKLE" in message


def test_legacy_safe_checkpoint_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "legacy.pth"
    torch.save({"state_dict": weights()}, path, _use_new_zipfile_serialization=False)
    model = nn.Linear(2, 2)
    load_checkpoint(model, str(path), logger="silent")
    assert torch.equal(model.weight, weights()["weight"])


# -- item 13: bad downloads never enter the cache; cached files are named ---------------


def test_html_page_with_status_200_is_not_cached(http_server, cache_dir) -> None:
    url = http_server.serve("/login-page.pth", HTML)
    with pytest.raises(DownloadError, match="HTML page") as info:
        _load_checkpoint(url)
    assert "not a checkpoint" in str(info.value) and "nothing was cached" in str(info.value)
    assert not (cache_dir / "login-page.pth").exists()
    assert [p.name for p in cache_dir.iterdir()] == []
    with pytest.raises(DownloadError):  # a second run asks the server again
        _load_checkpoint(url)
    assert http_server.hits("/login-page.pth") == 2


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_truncated_body_without_content_length_is_not_cached(
    http_server, cache_dir, zipped: bool
) -> None:
    buf = io.BytesIO()
    torch.save(
        {"state_dict": {"w": torch.randn(64, 64)}}, buf, _use_new_zipfile_serialization=zipped
    )
    url = http_server.serve("/cut.pth", buf.getvalue(), mode="nolength")
    with pytest.raises(DownloadError, match="did not give a checkpoint"):
        _load_checkpoint(url)
    assert not (cache_dir / "cut.pth").exists()


def test_loading_errors_of_a_cached_file_name_its_path(http_server, cache_dir) -> None:
    cache_dir.mkdir(parents=True)
    good = to_bytes({"state_dict": weights()})
    broken = cache_dir / "damaged.pth"
    broken.write_bytes(good[: len(good) // 2])  # e.g. from an older tool
    exc = _error_of(_load_checkpoint, http_server.serve("/damaged.pth", good))
    assert str(broken) in str(exc) and "delete it" in str(exc), repr(exc)
    html = cache_dir / "page.pth"
    html.write_bytes(HTML)
    exc = _error_of(_load_checkpoint, http_server.serve("/page.pth", good))
    assert str(html) in str(exc) and "HTML page" in str(exc) and "delete it" in str(exc)


# -- item 14: download limits and odd URLs ------------------------------------------------


def test_total_deadline_stops_a_trickling_server(http_server, cache_dir, monkeypatch) -> None:
    monkeypatch.setenv("MMINIT_DOWNLOAD_DEADLINE", "0.6")
    url = http_server.serve("/trickle.pth", to_bytes({"w": torch.ones(8)}), mode="trickle")
    started = time.monotonic()
    with pytest.raises(DownloadError, match="MMINIT_DOWNLOAD_DEADLINE") as info:
        fetch(url)
    assert time.monotonic() - started < 5
    assert "0.6 s in total" in str(info.value)
    assert list(cache_dir.iterdir()) == []


@pytest.mark.parametrize("variable", ["MMINIT_DOWNLOAD_TIMEOUT", "MMINIT_DOWNLOAD_DEADLINE"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-3", "soon"])
def test_bad_seconds_are_refused_naming_the_variable(
    http_server, monkeypatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    url = http_server.serve("/t.pth", to_bytes({"w": torch.ones(1)}))
    with pytest.raises(ValueError, match=f"{variable}={value!r}"):
        fetch(url)
    assert http_server.hits("/t.pth") == 0


def test_stall_reports_the_bytes_really_received(http_server, cache_dir, monkeypatch) -> None:
    monkeypatch.setenv("MMINIT_DOWNLOAD_TIMEOUT", "0.5")
    url = http_server.serve("/stall10.pth", to_bytes({"w": torch.ones(64)}), mode="stall10")
    with pytest.raises(DownloadError, match="timed out after 10 bytes"):
        fetch(url)
    assert list(cache_dir.iterdir()) == []


@pytest.mark.parametrize("tail", ["/..", "/.", "/", "/%2e%2e"])
def test_url_path_without_a_file_name_is_a_clear_error(http_server, tail: str) -> None:
    url = http_server.base + "/models" + tail
    with pytest.raises(ValueError, match="cannot derive a file name from the URL"):
        _load_checkpoint(url)


_KILLED_DOWNLOAD = """
import sys
from mminit._checkpoint.download import fetch
fetch(sys.argv[1])
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_partial_of_a_killed_download_is_cleaned_next_time(
    http_server, cache_dir, isolated_homes, sig
) -> None:
    stalled = http_server.serve("/big.pth", to_bytes({"w": torch.ones(4096)}), mode="stall")
    env = dict(os.environ, TORCH_HOME=str(isolated_homes["torch"]), MMINIT_DOWNLOAD_TIMEOUT="30")
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_DOWNLOAD, stalled],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (
            cache_dir.exists() and any(p.name.endswith(".partial") for p in cache_dir.iterdir())
        ):
            assert time.monotonic() < deadline, "the child never started its download"
            assert proc.poll() is None, "the child exited early"
            time.sleep(0.05)
    finally:
        proc.send_signal(sig)
        proc.wait(timeout=30)
    leftovers = [p for p in cache_dir.iterdir() if p.name.endswith(".partial")]
    assert leftovers, "the killed download left no partial file to clean"
    fetch(http_server.serve("/other.pth", to_bytes({"w": torch.ones(1)})))
    assert not any(p.exists() for p in leftovers)
    assert sorted(p.name for p in cache_dir.iterdir()) == ["other.pth"]


def test_partial_of_a_live_download_is_left_alone(http_server, cache_dir) -> None:
    cache_dir.mkdir(parents=True)
    import socket

    mine = cache_dir / f"x.pth.{socket.gethostname().replace('.', '_')}-{os.getpid()}.abc.partial"
    mine.write_bytes(b"in progress")
    fetch(http_server.serve("/y.pth", to_bytes({"w": torch.ones(1)})))
    assert mine.exists()


def test_unwritable_cache_is_a_download_error(http_server, tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("TORCH_HOME", str(blocker))
    with pytest.raises(DownloadError, match="cannot write to the download cache") as info:
        fetch(http_server.serve("/z.pth", to_bytes({"w": torch.ones(1)})))
    assert str(blocker) in str(info.value) and "TORCH_HOME" in str(info.value)


def test_read_only_cache_is_a_download_error(http_server, cache_dir, monkeypatch) -> None:
    """A read-only mount (EROFS); simulated, as root may write anywhere."""
    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", kwargs.get("dir"))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(DownloadError, match="Read-only file system"):
        fetch(http_server.serve("/ro.pth", to_bytes({"w": torch.ones(1)})))


# -- item 15: environment flags ------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "y", "Yes", "TRUE", "on", "t"])
def test_offline_accepts_usual_true_spellings(http_server, monkeypatch, value: str) -> None:
    monkeypatch.setenv("MMINIT_OFFLINE", value)
    url = http_server.serve("/off.pth", to_bytes({"w": torch.ones(1)}))
    with pytest.raises(OfflineError):
        fetch(url)
    assert http_server.hits("/off.pth") == 0


@pytest.mark.parametrize("value", ["0", "n", "No", "false", "OFF", "f"])
def test_offline_accepts_usual_false_spellings(http_server, monkeypatch, value: str) -> None:
    monkeypatch.setenv("MMINIT_OFFLINE", value)
    fetch(http_server.serve("/on.pth", to_bytes({"w": torch.ones(1)})))
    assert http_server.hits("/on.pth") == 1


@pytest.mark.parametrize(
    "variable", ["MMINIT_OFFLINE", "MMINIT_VERIFY_HASH", "MMINIT_ALLOW_UNSAFE_PICKLE"]
)
@pytest.mark.parametrize("value", ["2", "maybe", "enabled"])
def test_other_flag_values_are_refused_naming_the_variable(
    http_server, tmp_path, monkeypatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    url = http_server.serve("/flag-0123abcd.pth", to_bytes({"w": torch.ones(1)}))
    local = tmp_path / "local.pth"
    torch.save({"w": torch.ones(1)}, local)
    names = [url, str(local)] if variable == "MMINIT_ALLOW_UNSAFE_PICKLE" else [url]
    for name in names:
        with pytest.raises(ValueError, match=f"{variable}={value!r} is not a boolean"):
            _load_checkpoint(name)
    assert http_server.hits("/flag-0123abcd.pth") == 0  # checked before any request


# -- item 16: user zoo file, directories ---------------------------------------------------


@pytest.mark.parametrize("flavour", [MMENGINE, MMCV1], ids=["mmengine", "mmcv1"])
def test_invalid_json_in_user_zoo_names_the_file(isolated_homes, flavour) -> None:
    home = isolated_homes[flavour.name]
    home.mkdir(parents=True)
    (home / "open_mmlab.json").write_text('{"mine": "https://x/y.pth",}')
    with pytest.raises(ValueError, match="is not valid JSON") as info:
        _load_checkpoint("open-mmlab://mine", flavour=flavour)
    assert str(home / "open_mmlab.json") in str(info.value)


@pytest.mark.parametrize("value", [42, None, ["https://x/y.pth"], ""])
def test_non_string_zoo_value_names_the_file_and_entry(isolated_homes, value) -> None:
    home = isolated_homes["mmengine"]
    home.mkdir(parents=True)
    (home / "open_mmlab.json").write_text(json.dumps({"mine": value}))
    with pytest.raises(ValueError, match="every value must be a non-empty string") as info:
        _load_checkpoint("open-mmlab://mine")
    assert str(home / "open_mmlab.json") in str(info.value) and "'mine'" in str(info.value)


def test_zoo_entries_are_joined_to_the_home_as_upstream_does(isolated_homes, tmp_path) -> None:
    """Documented (README): relative entries are under the home; an absolute
    path is used as it is and ``../`` leads out of the home (``os.path.join``,
    as mmengine and mmcv 1.x do)."""
    home = isolated_homes["mmengine"]
    (home / "sub").mkdir(parents=True)
    torch.save({"state_dict": weights()}, home / "sub" / "rel.pth")
    outside = tmp_path / "outside.pth"
    torch.save({"state_dict": weights()}, outside)
    (home / "open_mmlab.json").write_text(
        json.dumps(
            {"rel": "sub/rel.pth", "abs": str(outside), "up": "../outside.pth", "dir": "sub"}
        )
    )
    for name in ("rel", "abs", "up"):
        assert torch.equal(
            _load_checkpoint(f"open-mmlab://{name}", logger="silent")["state_dict"]["bias"],
            weights()["bias"],
        )
    with pytest.raises(FileNotFoundError, match=r"is a directory.*zoo entry open-mmlab://dir"):
        _load_checkpoint("open-mmlab://dir", logger="silent")


def test_directory_passed_as_checkpoint_says_so(tmp_path: Path) -> None:
    (tmp_path / "epoch_12.pth").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="is a directory, not a file") as info:
        _load_checkpoint(str(tmp_path))
    assert "epoch_12.pth" in str(info.value)
