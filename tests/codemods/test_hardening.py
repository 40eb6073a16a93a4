"""``mminit migrate`` under faults and hostile trees (issue 12 items 3-11, issue 10, issue 13).

Each test names the failure it guards against; each failed on the code before the fix.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from codemod_checks import AFTER, BEFORE

from mminit.codemods._files import migrate_source
from mminit.codemods.cli import main

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# -- item 3: kill -9 of the main process -------------------------------------------
def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out.update(int(t) for t in text)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_workers_stop_when_the_main_process_is_killed(tmp_path: Path) -> None:
    # Before: the orphaned workers went on rewriting files, then blocked forever.
    for i in range(3000):
        (tmp_path / f"m{i:04}.py").write_text(BEFORE)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mminit.codemods", str(tmp_path), "-j", "2", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline:
            workers = _children(proc.pid)
            if len(workers) >= 2 and (tmp_path / "m0000.py").read_text() == AFTER:
                break
            time.sleep(0.01)
        else:
            pytest.fail("the run never started rewriting")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.05)
        assert not [w for w in workers if _alive(w)], (
            "pool workers outlived the killed main process"
        )
    finally:
        for pid in [proc.pid, *_children(proc.pid)] if proc.poll() is None else []:
            os.kill(pid, signal.SIGKILL)
    rewritten = sum(p.read_text() == AFTER for p in tmp_path.glob("m*.py"))
    assert 0 < rewritten < 3000
    assert not list(tmp_path.glob(".*.mminit-tmp"))  # a worker killed mid-write cleans up


# -- item 4: owner, group and hard links ---------------------------------------------
@pytest.mark.skipif(not IS_ROOT, reason="only root can give a file to another owner")
def test_owner_and_group_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(BEFORE)
    os.chown(path, 12345, 23456)
    assert main([str(tmp_path), "-j", "1"]) == 0
    assert path.read_text() == AFTER
    st = path.stat()
    assert (st.st_uid, st.st_gid) == (12345, 23456)


@pytest.mark.skipif(not IS_ROOT, reason="only root can give a file to another owner")
def test_owner_that_cannot_be_kept_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.py"
    path.write_text(BEFORE)
    os.chown(path, 12345, 23456)

    def refuse(*_: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chown", refuse)
    assert main([str(path), "-j", "1"]) == 0
    assert path.read_text() == AFTER
    assert "warning: owner 12345:23456 could not be kept" in capsys.readouterr().err


def test_hard_linked_file_is_reported_not_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.py"
    path.write_text(BEFORE)
    other = tmp_path / "elsewhere.txt"
    os.link(path, other)
    report = tmp_path / "r.json"
    assert main([str(path), "-j", "1", "--report", str(report)]) == 2
    assert path.read_text() == BEFORE and os.path.samefile(path, other)
    err = capsys.readouterr().err
    assert "2 hard links" in err
    # Item 5: a file that failed does not count in "names moved".
    assert "names moved" not in err
    assert json.loads(report.read_text())["summary"]["moved"] == {}


# -- item 5: report path, exit codes, closed pipe --------------------------------------
@pytest.mark.parametrize("where", ["missing-dir", "is-dir"])
def test_bad_report_path_is_refused_before_anything_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    path = tmp_path / "m.py"
    path.write_text(BEFORE)
    report = tmp_path / "no" / "r.json" if where == "missing-dir" else tmp_path
    assert main([str(path), "--report", str(report)]) == 2
    assert path.read_text() == BEFORE
    assert f"cannot write --report {report}" in capsys.readouterr().err


def test_report_write_failure_is_exit_2_and_leaves_no_partial_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "m.py").write_text(BEFORE)
    report = tmp_path / "r.json"

    def full_disk(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json, "dump", full_disk)
    assert main([str(tmp_path / "m.py"), "--report", str(report)]) == 2
    assert not report.exists() and not list(tmp_path.glob(".r.json*"))
    assert "No space left on device" in capsys.readouterr().err


def test_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    for i in range(200):
        (tmp_path / f"m{i:03}.py").write_text(BEFORE)
    cmd = (
        f"{sys.executable} -m mminit.codemods {tmp_path} --diff -j 1 | head -n 1; "
        "echo status=${PIPESTATUS[0]}"
    )
    proc = subprocess.run(
        ["bash", "-c", cmd], capture_output=True, text=True, timeout=120, check=True
    )
    assert proc.stdout.startswith("--- a/")
    assert "status=141" in proc.stdout
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr


def test_internal_error_is_exit_2_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mminit.codemods import cli

    def boom(*_: object) -> None:
        raise RuntimeError("planted")

    monkeypatch.setattr(cli, "discover", boom)
    assert main([str(tmp_path)]) == 2
    assert "internal error: RuntimeError: planted" in capsys.readouterr().err


# -- item 6: every byte outside the rewritten import stays ------------------------------
@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            b"\x0cfrom mmcv.cnn import constant_init\n",
            b"\x0cfrom mminit.mmcv1 import constant_init\n",
        ),
        (
            b"import os\rfrom mmcv.cnn import constant_init\r",
            b"import os\rfrom mminit.mmcv1 import constant_init\r",
        ),
        (
            b"import os\rfrom mmcv.cnn import constant_init\rx = 1\r",
            b"import os\rfrom mminit.mmcv1 import constant_init\rx = 1\r",
        ),
        # whole-file path (an attribute use) with lone CRs
        (
            b"import mmcv\rmmcv.cnn.constant_init(m, 1)\r",
            b"import mminit.mmcv1\rmminit.mmcv1.constant_init(m, 1)\r",
        ),
    ],
)
def test_form_feed_and_lone_cr_files(before: bytes, after: bytes) -> None:
    result = migrate_source(before, "m.py")
    assert result.status == "changed", result.error
    assert result.new_data == after


def test_bytes_libcst_cannot_keep_refuse_the_file_instead_of_losing_them() -> None:
    # The whole-file path (attribute use) with a form feed: LibCST drops it, so no write.
    data = b"import mmcv\n\x0cmmcv.cnn.constant_init(m, 1)\n"
    result = migrate_source(data, "m.py")
    assert result.status == "failed" and result.new_data is None
    assert "every byte" in (result.error or "")


# -- item 7: only regular files ---------------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_named_py_does_not_hang(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "m.py").write_text(BEFORE)
    assert main([str(tmp_path), "-j", "1"]) == 0
    assert (tmp_path / "m.py").read_text() == AFTER
    assert "pipe.py: skipped: not a regular file" in capsys.readouterr().err
    assert main([str(tmp_path / "pipe.py")]) == 2  # named explicitly: an error, still no hang
    assert "not a regular file" in capsys.readouterr().err


# -- item 8: temporaries left by a killed run --------------------------------------------
def test_stale_temporaries_are_reported_then_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "m.py").write_text(BEFORE)
    stale = tmp_path / ".m.py.k3x_9abc.mminit-tmp"
    stale.write_text(BEFORE[:10])
    assert main([str(tmp_path), "--check"]) == 1
    assert stale.exists()
    assert (
        "stale temporary file from an interrupted mminit migrate run: left"
        in capsys.readouterr().err
    )
    assert main([str(tmp_path)]) == 0
    assert not stale.exists()
    assert "interrupted mminit migrate run: removed" in capsys.readouterr().err


# -- item 9: symlinks ---------------------------------------------------------------------
def test_symlinks_inside_a_tree_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.py").write_text(BEFORE)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.py").symlink_to(outside / "o.py")
    (repo / "linkdir").symlink_to(outside)
    (repo / "loop.py").symlink_to(repo / "loop.py")
    assert main([str(repo)]) == 0
    assert (outside / "o.py").read_text() == BEFORE
    err = capsys.readouterr().err
    assert (
        f"{repo / 'link.py'}: skipped: symlink to {outside / 'o.py'} (outside the given paths)"
        in err
    )
    assert f"{repo / 'linkdir'}: skipped: symlinked directory, not followed" in err
    assert f"{repo / 'loop.py'}: skipped: symlink loop" in err
    assert "3 symlinks, not followed" in err


def test_explicit_symlink_argument_says_it_writes_the_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "real.py"
    target.write_text(BEFORE)
    link = tmp_path / "link.py"
    link.symlink_to(target)
    assert main([str(link)]) == 0
    assert target.read_text() == AFTER and link.is_symlink()
    assert (
        f"note: {link} is a symlink: following it to {target} (that file is written)"
        in capsys.readouterr().err
    )


def test_explicit_symlink_loop_is_called_a_loop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = tmp_path / "a.py"
    loop.symlink_to(tmp_path / "b.py")
    (tmp_path / "b.py").symlink_to(loop)
    assert main([str(loop)]) == 2
    err = capsys.readouterr().err
    assert "symlink loop" in err and "no such file" not in err


# -- item 10: newer syntax -----------------------------------------------------------------
@pytest.mark.skipif(sys.version_info >= (3, 12), reason="needs a Python older than 3.12")
def test_newer_syntax_names_the_python_to_use() -> None:
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if sys.version_info < (3, 11):  # except* is Python 3.11 syntax
        source, needs = b"try:\n    pass\nexcept* ValueError:\n    pass\n", "3.11"
    elif sys.version_info < (3, 12):  # a type statement is Python 3.12 syntax
        source, needs = b"type Alias = int\n", "3.12"
    else:
        pytest.skip(f"no syntax newer than Python {running} that libcst parses")
    result = migrate_source(b"from mmcv.cnn import constant_init\n" + source, "m.py")
    assert result.status == "failed"
    assert f"syntax newer than the running Python {running}" in (result.error or "")
    assert f"run mminit migrate with Python {needs} or newer" in (result.error or "")


def test_plain_syntax_error_says_nothing_about_versions() -> None:
    result = migrate_source(b"from mmcv.cnn import constant_init\ndef f(:\n", "m.py")
    assert result.status == "failed" and "newer" not in (result.error or "")


# -- item 11: bounded memory ----------------------------------------------------------------
def test_files_above_the_size_limit_are_refused_with_the_limit_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.py"
    big.write_text(BEFORE + "x = 1\n" * 200_000)  # about 1.2 MB
    plain = tmp_path / "plain.py"
    plain.write_text("x = 1\n" * 200_000)
    assert main([str(tmp_path), "--max-file-size", "1M", "-j", "1"]) == 2
    assert big.read_text().startswith(BEFORE)
    err = capsys.readouterr().err
    assert "above the --max-file-size limit of 1.0 MiB" in err
    assert "plain.py" not in err  # large, but nothing to migrate: not parsed, not an error
    assert main([str(tmp_path), "--max-file-size", "2M", "-j", "1"]) == 0
    assert big.read_text().startswith(AFTER)


def test_bad_max_file_size_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([".", "--max-file-size", "lots"])
    assert exc.value.code == 2
    assert "--max-file-size must be a positive size" in capsys.readouterr().err


# -- issue 10: hidden directories -----------------------------------------------------------
def test_hidden_directories_are_scanned_and_exclude_wins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tool = tmp_path / "mmpretrain" / ".mim" / "tools" / "model_converters" / "convert.py"
    tool.parent.mkdir(parents=True)
    tool.write_text("from mmengine.model import Sequential\n\nisinstance(m, Sequential)\n")
    hidden = tmp_path / "mmpretrain" / ".hidden" / "h.py"
    hidden.parent.mkdir()
    hidden.write_text(BEFORE)
    assert main([str(tmp_path), "--exclude", ".hidden"]) == 0
    assert tool.read_text() == "from mminit import Sequential\n\nisinstance(m, Sequential)\n"
    assert hidden.read_text() == BEFORE
    assert "skipped: 1 .py file (1 excluded by --exclude)" in capsys.readouterr().err


# -- issue 13 item 6: --check and what cannot be rewritten -----------------------------------
def test_check_fails_while_something_is_left_to_migrate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "star.py"
    path.write_text("from mmcv.cnn import *\n")
    assert main([str(tmp_path), "--check"]) == 1
    assert "left to migrate by hand: 1 place" in capsys.readouterr().err
    assert main([str(tmp_path)]) == 0  # writing is not a failure: nothing could be written
    # kept upstream on purpose (a general builder): reported, but not "left to migrate"
    path.write_text("from mmcv.utils import build_from_cfg\nbuild_from_cfg(cfg, MODELS)\n")
    assert main([str(tmp_path), "--check"]) == 0


# -- issue 11: what keeps a repository on upstream --------------------------------------------
def test_summary_lists_names_still_from_upstream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.py").write_text(BEFORE)
    (tmp_path / "b.py").write_text(
        "from mmcv.cnn import ConvModule, build_norm_layer\nimport mmcv\n"
    )
    assert main([str(tmp_path), "-j", "1"]) == 0
    err = capsys.readouterr().err
    assert (
        "3 names still come from mmcv/mmengine (imports, in 2 files): "
        "mmcv.cnn.ConvModule 2, mmcv 1, mmcv.cnn.build_norm_layer 1"
    ) in err
