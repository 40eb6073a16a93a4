"""``mminit migrate`` end to end: exit codes, --check, --diff, --report, bytes kept on disk."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from codemod_checks import AFTER, BEFORE

from mminit.codemods.cli import main


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(BEFORE)
    (tmp_path / "pkg" / "plain.py").write_text("import torch\n")
    (tmp_path / "pkg" / "uses_mmcv.py").write_text("from mmcv.cnn import ConvModule\n")
    (tmp_path / "pkg" / "notes.txt").write_text(BEFORE)
    return tmp_path


def test_rewrites_in_place_and_exits_0(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(repo)]) == 0
    assert (repo / "pkg" / "model.py").read_text() == AFTER
    assert (repo / "pkg" / "notes.txt").read_text() == BEFORE  # not a .py file
    err = capsys.readouterr().err
    assert "3 files scanned, 1 changed, 2 left alone" in err
    assert "names moved: 1 to mminit.mmcv1" in err


def test_second_run_changes_nothing(repo: Path) -> None:
    assert main([str(repo)]) == 0
    assert main([str(repo), "--check"]) == 0
    assert (repo / "pkg" / "model.py").read_text() == AFTER


def test_check_exits_1_and_writes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(repo), "--check"]) == 1
    assert (repo / "pkg" / "model.py").read_text() == BEFORE
    assert "would rewrite" in capsys.readouterr().err


def test_diff_prints_unified_diff_and_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(repo), "--diff"]) == 0
    out = capsys.readouterr().out
    assert "-from mmcv.cnn import ConvModule, constant_init\n" in out
    assert "+from mminit.mmcv1 import constant_init\n" in out
    assert out.startswith("--- a/")
    assert (repo / "pkg" / "model.py").read_text() == BEFORE


def test_exclude_glob(repo: Path) -> None:
    assert main([str(repo), "--exclude", "model.py"]) == 0
    assert (repo / "pkg" / "model.py").read_text() == BEFORE
    assert main([str(repo), "--exclude", "pkg"]) == 0
    assert (repo / "pkg" / "model.py").read_text() == BEFORE
    assert main([str(repo), "--exclude", "pkg/m*.py"]) == 0
    assert (repo / "pkg" / "model.py").read_text() == BEFORE
    assert main([str(repo), "--exclude", "other/*"]) == 0
    assert (repo / "pkg" / "model.py").read_text() == AFTER


def test_report_lists_changes_notes_and_failures(repo: Path) -> None:
    (repo / "pkg" / "broken.py").write_text("import mmcv\ndef f(:\n")
    (repo / "pkg" / "star.py").write_text("import os\nfrom mmengine.model import *\n")
    report_path = repo / "report.json"
    assert main([str(repo), "--report", str(report_path)]) == 2
    report = json.loads(report_path.read_text())
    assert report["summary"] == {
        "scanned": 5,
        "changed": 1,
        "unchanged": 2,
        "not_parsed": 1,
        "failed": 1,
        "moved": {"mminit.mmcv1": 1},
        "skipped": {},
        "unresolved": 1,
    }
    (changed,) = report["changed"]
    assert changed["path"].endswith("model.py")
    assert changed["moves"] == [
        {
            "line": 1,
            "name": "constant_init",
            "asname": None,
            "source": "mmcv.cnn",
            "target": "mminit.mmcv1",
            "form": "from-import",
        }
    ]
    (note,) = report["left_alone"]
    assert (
        note["path"].endswith("star.py") and note["line"] == 2 and note["reason"] == "star-import"
    )
    assert note["unresolved"] is True
    # what still comes from upstream once migrated: ConvModule in two files, the star import
    assert [(e["name"], e["imports"], e["files"]) for e in report["still_from_upstream"]] == [
        ("mmcv.cnn.ConvModule", 2, 2),
        ("mmengine.model.*", 1, 1),
    ]
    (failed,) = report["failed"]
    assert failed["path"].endswith("broken.py") and "syntax error" in failed["reason"]


def test_syntax_error_file_untouched_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"from mmcv.cnn import constant_init\nclass (:\n")
    good = tmp_path / "good.py"
    good.write_text(BEFORE)
    assert main([str(tmp_path), "--jobs", "1"]) == 2
    assert bad.read_bytes() == b"from mmcv.cnn import constant_init\nclass (:\n"
    assert good.read_text() == AFTER  # the other files are still migrated
    assert f"{bad}: error: syntax error" in capsys.readouterr().err


def test_undecodable_file_untouched_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    data = b"from mmcv.cnn import constant_init\nname = '\xff\xfe'\n"  # not UTF-8, no cookie
    bad.write_bytes(data)
    assert main([str(bad)]) == 2
    assert bad.read_bytes() == data


def test_missing_path_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            BEFORE.replace("\n", "\r\n").encode(), AFTER.replace("\n", "\r\n").encode(), id="crlf"
        ),
        pytest.param(b"\xef\xbb\xbf" + BEFORE.encode(), b"\xef\xbb\xbf" + AFTER.encode(), id="bom"),
        pytest.param(
            b"# -*- coding: latin-1 -*-\n" + BEFORE.encode() + b"s = '\xe9'\n",
            b"# -*- coding: latin-1 -*-\n" + AFTER.encode() + b"s = '\xe9'\n",
            id="latin-1-cookie",
        ),
    ],
)
def test_bytes_kept(tmp_path: Path, data: bytes, expected: bytes) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(data)
    assert main([str(path)]) == 0
    assert path.read_bytes() == expected


def test_file_mode_kept_and_no_temp_files_left(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    path.write_text(BEFORE)
    os.chmod(path, 0o754)
    assert main([str(tmp_path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o754
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tool.py"]


def test_parallel_jobs_give_the_same_result(tmp_path: Path) -> None:
    for i in range(12):
        (tmp_path / f"m{i}.py").write_text(BEFORE if i % 2 else "import os\n")
    assert main([str(tmp_path), "--jobs", "2"]) == 0
    for i in range(12):
        assert (tmp_path / f"m{i}.py").read_text() == (AFTER if i % 2 else "import os\n")


def test_bad_jobs_value_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path), "--jobs", "0"])
    assert exc.value.code == 2
    assert "--jobs must be a positive integer, got 0" in capsys.readouterr().err


def test_python_dash_m_entry_point(repo: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mminit.codemods", str(repo), "--check", "--jobs", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "would rewrite" in proc.stderr


def test_files_without_a_mention_are_not_parsed(tmp_path: Path) -> None:
    # Not valid Python, but it never names mmcv/mmengine, so the prefilter skips it.
    (tmp_path / "template.py").write_text("def {{ name }}(:\n")
    assert main([str(tmp_path)]) == 0


def test_left_alone_places_are_printed_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.py"
    path.write_text("import mock\n\npatch = mock.patch('mmengine.model.BaseModule.init_weights')\n")
    assert main([str(path)]) == 0
    err = capsys.readouterr().err
    assert f"{path}:3: left alone: the string 'mmengine.model.BaseModule.init_weights'" in err
    assert "left alone on purpose: 1 place (" in err


def test_never_source_directories_are_skipped_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for folder in (
        ".venv",
        "__pycache__",
        "src",
        ".git/hooks",
        "env",
        "node_modules/x",
        "lib/python3.11/site-packages/pkg",
    ):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "m.py").write_text(BEFORE)
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")  # a venv by any name
    assert main([str(tmp_path)]) == 0
    for folder in (
        ".venv",
        "__pycache__",
        ".git/hooks",
        "env",
        "node_modules/x",
        "lib/python3.11/site-packages/pkg",
    ):
        assert (tmp_path / folder / "m.py").read_text() == BEFORE, folder
    assert (tmp_path / "src" / "m.py").read_text() == AFTER
    err = capsys.readouterr().err
    assert (
        "skipped: 6 .py files (1 in cache folders, 1 in node_modules, 1 in version-control "
        "folders, 3 in virtual environments or site-packages)"
    ) in err


@pytest.mark.parametrize(("flag", "shown"), [("--progress", True), ("--no-progress", False)])
def test_progress_bar_on_request(
    repo: Path, capsys: pytest.CaptureFixture[str], flag: str, shown: bool
) -> None:
    assert main([str(repo), flag, "--jobs", "1"]) == 0
    assert ("100%" in capsys.readouterr().err) is shown


def test_quiet_prints_only_the_summary(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(repo), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "rewrote" not in err
    assert "files scanned" in err


def test_symlinked_files_inside_directories_are_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(BEFORE)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.py").symlink_to(outside)
    assert main([str(repo)]) == 0
    assert outside.read_text() == BEFORE


def test_help_does_not_import_libcst_or_torch() -> None:
    # `mminit migrate --help` must start fast (issue 13 item 2): LibCST alone costs ~0.3 s.
    code = (
        "import sys\nfrom mminit.codemods.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('libcst', 'torch', 'tqdm') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"
