"""``mminit migrate`` under faults, round 2 (issue 22 items 1, 2, 5 and 6).

Each test names the failure it guards against; each failed on the code before the fix
(except where a test says it guards a behaviour that already held).
"""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from codemod_checks import AFTER, BEFORE

from mminit.codemods import _files
from mminit.codemods.cli import main

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if "error" in line]
    assert len(lines) == 1, err
    return lines[0]


# -- item 1: what --report may replace ----------------------------------------------------
def test_report_to_a_fifo_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the FIFO was replaced by a regular file (after every file was rewritten).
    (tmp_path / "m.py").write_text(BEFORE)
    fifo = tmp_path / "r.json"
    os.mkfifo(fifo)
    assert main([str(tmp_path / "m.py"), "--report", str(fifo)]) == 2
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert (tmp_path / "m.py").read_text() == BEFORE  # refused before any work
    line = _one_line_error(capsys.readouterr().err)
    assert f"cannot write --report {fifo}: it is a FIFO" in line
    assert "nothing was changed" in line


def test_report_to_a_character_device_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: as root, `--report /dev/null` replaced the system's /dev/null with a regular
    # 0600 file.  The check refuses it before writing anything, so this test cannot harm it.
    (tmp_path / "m.py").write_text(BEFORE)
    assert main([str(tmp_path / "m.py"), "--report", os.devnull]) == 2
    assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)
    assert (tmp_path / "m.py").read_text() == BEFORE
    assert f"cannot write --report {os.devnull}: it is a character device" in _one_line_error(
        capsys.readouterr().err
    )


def test_report_through_a_symlink_updates_its_target(tmp_path: Path) -> None:
    # Before: the link was replaced by a regular file and its target kept the old report.
    (tmp_path / "m.py").write_text(BEFORE)
    target = tmp_path / "reports" / "last.json"
    target.parent.mkdir()
    target.write_text("{}\n")
    link = tmp_path / "r.json"
    link.symlink_to(target)
    assert main([str(tmp_path / "m.py"), "--report", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["summary"]["changed"] == 1
    assert sorted(p.name for p in target.parent.iterdir()) == ["last.json"]  # no temporary


def test_report_through_a_symlink_to_a_fifo_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "r.json").symlink_to(tmp_path / "fifo")
    (tmp_path / "m.py").write_text(BEFORE)
    assert main([str(tmp_path / "m.py"), "--report", str(tmp_path / "r.json")]) == 2
    assert "is a symlink to a FIFO" in capsys.readouterr().err
    assert (tmp_path / "m.py").read_text() == BEFORE


def test_existing_report_keeps_its_mode_and_owner_and_a_new_one_follows_the_umask(
    tmp_path: Path,
) -> None:
    # Before: every report became 0600 (the temporary file's mode), whatever it was.
    (tmp_path / "m.py").write_text(BEFORE)
    report = tmp_path / "r.json"
    report.write_text("{}\n")
    os.chmod(report, 0o664)
    if IS_ROOT:
        os.chown(report, 12345, 23456)
    assert main([str(tmp_path / "m.py"), "--check", "--report", str(report)]) == 1
    st = report.stat()
    assert stat.S_IMODE(st.st_mode) == 0o664
    if IS_ROOT:
        assert (st.st_uid, st.st_gid) == (12345, 23456)
    assert json.loads(report.read_text())["mode"] == "check"
    fresh = tmp_path / "new.json"
    old_umask = os.umask(0o027)
    try:
        assert main([str(tmp_path / "m.py"), "--check", "--report", str(fresh)]) == 1
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640


def test_report_on_a_full_file_system_is_exit_2_and_keeps_the_old_report(tmp_path: Path) -> None:
    # Guards what held before (no partial report, exit 2) through a real write error:
    # RLIMIT_FSIZE makes the kernel refuse the report's bytes (EFBIG), as a full disk would.
    (tmp_path / "m.py").write_text(BEFORE)
    report = tmp_path / "r.json"
    report.write_text('{"old": true}\n')

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mminit.codemods",
            str(tmp_path / "m.py"),
            "-j",
            "1",
            "--report",
            str(report),
        ],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"cannot write --report {report}: File too large" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert report.read_text() == '{"old": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py", "r.json"]


# -- item 2: edits made while migrate works -----------------------------------------------
def _edit_after_reading(monkeypatch: pytest.MonkeyPatch, edit: str) -> None:
    """Edit the file between migrate's read and its write (in the worker: it is forked)."""
    real = _files.migrate_source

    def migrate_then_edit(
        data: bytes, path: str = "<string>", *args: object, **kwargs: object
    ) -> _files.FileResult:
        result = real(data, path, *args, **kwargs)  # type: ignore[arg-type]
        st = os.stat(path)
        if edit == "append":
            with open(path, "a") as handle:
                handle.write("x = 1  # typed while migrate worked\n")
        else:  # same size, and the old modification time put back: only the bytes differ
            Path(path).write_bytes(data.replace(b"m, 1", b"m, 2"))
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        return result

    monkeypatch.setattr(_files, "migrate_source", migrate_then_edit)


@pytest.mark.parametrize("edit", ["append", "same-size-same-mtime"])
@pytest.mark.parametrize("bricks", [False, True], ids=["imports", "bricks"])
def test_file_edited_during_migrate_keeps_the_users_version(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    edit: str,
    bricks: bool,
) -> None:
    # Before: the edit was lost and the run said "rewrote".
    path = tmp_path / "m.py"
    path.write_text(BEFORE)
    other = tmp_path / "other.py"
    other.write_text(BEFORE)
    _edit_after_reading(monkeypatch, edit)
    report = tmp_path / "r.json"
    args = [str(path), str(other), "-j", "1", "--report", str(report)]
    assert main(args + (["--bricks"] if bricks else [])) == 2
    users = (
        BEFORE + "x = 1  # typed while migrate worked\n"
        if edit == "append"
        else BEFORE.replace("m, 1", "m, 2")
    )
    assert path.read_text() == users
    err = capsys.readouterr().err
    assert f"{path}: error: changed during migrate, not rewritten" in err
    assert f"rewrote {path}" not in err
    failed = json.loads(report.read_text())["failed"]
    assert [f["path"] for f in failed] == [str(path), str(other)]
    assert not list(tmp_path.glob(".*.mminit-tmp"))


def test_unchanged_file_is_still_rewritten(tmp_path: Path) -> None:
    # The check compares what was read with what is there: an untouched file is written.
    path = tmp_path / "m.py"
    path.write_text(BEFORE)
    assert main([str(path), "-j", "1"]) == 0
    assert path.read_text() == AFTER


# -- item 5: a file that crashes the parser, a worker that dies -----------------------------
def _tree(tmp_path: Path, count: int = 40) -> Path:
    for i in range(count):
        (tmp_path / f"m{i:02}.py").write_text(BEFORE)
    return tmp_path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_deeply_nested_file_is_named_and_every_other_file_migrated(
    tmp_path: Path, jobs: str
) -> None:
    # Before: --jobs 1 died with SIGSEGV (rc 139, nothing migrated); --jobs 2 printed
    # "internal error: BrokenProcessPool" without the file's name.
    _tree(tmp_path)
    deep = tmp_path / "deep.py"
    deep_text = "from mmcv.cnn import constant_init\nx = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    deep.write_text(deep_text)
    proc = subprocess.run(
        [sys.executable, "-m", "mminit.codemods", str(tmp_path), "-j", jobs],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"{deep}: error: syntax error" in proc.stderr
    assert "too many nested parentheses" in proc.stderr
    assert deep.read_text() == deep_text
    assert all((tmp_path / f"m{i:02}.py").read_text() == AFTER for i in range(40))


_KILLER = textwrap.dedent("""
    import os, signal, sys
    from mminit.codemods import _files
    from mminit.codemods.cli import main

    real = _files.migrate_source
    def crash_on_boom(data, path="<string>", *args, **kwargs):
        if os.path.basename(path) in ("boom.py", "boom2.py"):
            os.kill(os.getpid(), getattr(signal, sys.argv[1]))
        return real(data, path, *args, **kwargs)
    _files.migrate_source = crash_on_boom
    sys.exit(main(sys.argv[2:]))
""")


@pytest.mark.parametrize(("jobs", "sig"), [("1", "SIGSEGV"), ("2", "SIGKILL"), ("3", "SIGSEGV")])
def test_worker_that_dies_is_replaced_and_its_file_named(
    tmp_path: Path, jobs: str, sig: str
) -> None:
    _tree(tmp_path)
    (tmp_path / "boom.py").write_text(BEFORE)
    (tmp_path / "boom2.py").write_text(BEFORE)
    report = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-c", _KILLER, sig, str(tmp_path), "-j", jobs, "--report", str(report)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    for name in ("boom.py", "boom2.py"):
        assert (
            f"{tmp_path / name}: error: the worker process migrating this file died ({sig})"
        ) in proc.stderr
        assert (tmp_path / name).read_text() == BEFORE
    assert "internal error" not in proc.stderr
    assert all((tmp_path / f"m{i:02}.py").read_text() == AFTER for i in range(40))
    summary = json.loads(report.read_text())["summary"]
    assert (summary["changed"], summary["failed"]) == (40, 2)


# -- item 6: --jobs is capped ----------------------------------------------------------------
def _count_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    forks: list[int] = []
    real = os.fork

    def counting_fork() -> int:
        pid = real()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counting_fork)
    return forks


def test_jobs_above_the_number_of_files_start_one_worker_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: --jobs 64 on 3 files forked 64 workers.
    _tree(tmp_path, 3)
    forks = _count_forks(monkeypatch)
    assert main([str(tmp_path), "--jobs", "64"]) == 0
    assert 1 <= len(forks) <= 3
    assert all((tmp_path / f"m{i:02}.py").read_text() == AFTER for i in range(3))


def test_jobs_are_capped_at_four_per_cpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _tree(tmp_path, 12)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    forks = _count_forks(monkeypatch)
    assert main([str(tmp_path), "--jobs", "50"]) == 0
    assert len(forks) == 4
    assert "note: --jobs 50 lowered to 4 (4 per CPU, 1 CPU)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "--jobs must be a positive integer, got 0"),
        ("-3", "--jobs must be a positive integer, got -3"),
        ("two", "--jobs must be a positive integer, got 'two'"),
        ("10000", "--jobs must be at most 1024, got 10000"),
    ],
)
def test_bad_jobs_values_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path), "--jobs", value])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
