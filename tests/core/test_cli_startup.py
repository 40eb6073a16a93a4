"""The ``mminit`` command line starts without torch (issue 13, item 2).

``mminit --help``, ``mminit --version`` and everything ``mminit migrate`` does
must work where ``import torch`` fails: each command runs in a fresh
interpreter whose path starts with a directory holding fake ``torch`` and
``numpy`` packages that announce themselves on stderr and then raise, so an
import that some code catches and ignores is still seen.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

_MARK = "BLOCKED-MODULE-IMPORTED"
_BLOCKED = ("torch", "numpy")


def _blocking(root: Path, names: tuple[str, ...]) -> Path:
    for name in names:
        package = root / name
        package.mkdir()
        (package / "__init__.py").write_text(
            "import sys\n"
            f"sys.stderr.write('{_MARK}: {name}\\n')\n"
            f"raise ImportError('{name} is blocked by test_cli_startup')\n",
            encoding="utf-8",
        )
    return root


@pytest.fixture(scope="module")
def blocked_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _blocking(tmp_path_factory.mktemp("no_torch"), _BLOCKED)


def _run(
    blocked: Path, *args: str, cwd: Path | None = None, module: str | None = "mminit"
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(blocked)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    env.pop("PYTHONSTARTUP", None)
    command = [sys.executable, *(["-m", module] if module else []), *args]
    return subprocess.run(
        command, check=False, env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def _assert_no_blocked_import(result: subprocess.CompletedProcess[str]) -> None:
    assert _MARK not in result.stderr, result.stderr


@pytest.mark.parametrize("name", _BLOCKED)
def test_shim_really_blocks(blocked_path: Path, name: str) -> None:
    # The checks below are only worth something if the shim is what Python finds.
    result = _run(blocked_path, "-c", f"import {name}", module=None)
    assert f"{_MARK}: {name}" in result.stderr
    assert f"ImportError: {name} is blocked" in result.stderr
    assert result.returncode != 0


@pytest.mark.parametrize(
    "args", [["--help"], ["-h"], ["migrate", "--help"], ["check", "--help"], ["explain", "--help"]]
)
def test_help_without_torch(blocked_path: Path, args: list[str]) -> None:
    result = _run(blocked_path, *args)
    _assert_no_blocked_import(result)
    assert result.returncode == 0, result.stderr
    assert "usage: mminit" in result.stdout


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_without_torch(blocked_path: Path, flag: str) -> None:
    result = _run(blocked_path, flag)
    _assert_no_blocked_import(result)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"mminit {importlib.metadata.version('mminit')}\n"


def test_no_command_is_a_usage_error(blocked_path: Path) -> None:
    result = _run(blocked_path)
    _assert_no_blocked_import(result)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "usage: mminit" in result.stderr


def test_unknown_command_names_the_choices(blocked_path: Path) -> None:
    result = _run(blocked_path, "migrat")
    _assert_no_blocked_import(result)
    assert result.returncode == 2
    assert "'migrat'" in result.stderr
    assert "choose from 'migrate', 'check', 'explain'" in result.stderr


@pytest.mark.skipif(
    importlib.util.find_spec("libcst") is None,
    reason="mminit migrate needs the codemods extra (libcst)",
)
def test_migrate_runs_without_torch(blocked_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "repo" / "model.py"
    source.parent.mkdir()
    source.write_text("from mmcv.cnn import ConvModule, constant_init\n", encoding="utf-8")
    check = _run(blocked_path, "migrate", "--check", "--jobs", "1", str(source.parent))
    _assert_no_blocked_import(check)
    assert check.returncode == 1, check.stdout + check.stderr
    done = _run(blocked_path, "migrate", "--jobs", "2", str(source.parent))
    _assert_no_blocked_import(done)
    assert done.returncode == 0, done.stdout + done.stderr
    assert source.read_text(encoding="utf-8") == (
        "from mmcv.cnn import ConvModule\nfrom mminit.mmcv1 import constant_init\n"
    )


@pytest.mark.parametrize("missing", ["libcst", "tqdm"])
def test_migrate_without_the_codemods_extra_names_it(tmp_path: Path, missing: str) -> None:
    # Before: "mminit migrate: internal error: ModuleNotFoundError: No module named
    # 'libcst' (please report it ...)", as if mminit were broken.
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    _blocking(blocked, (missing,))
    source = tmp_path / "repo" / "model.py"
    source.parent.mkdir()
    source.write_text("from mmcv.cnn import ConvModule, constant_init\n", encoding="utf-8")
    helped = _run(blocked, "migrate", "--help")
    _assert_no_blocked_import(helped)
    assert helped.returncode == 0 and "usage: mminit migrate" in helped.stdout, helped.stderr
    result = _run(blocked, "migrate", "--jobs", "1", str(source.parent))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines()[-1] == (
        "mminit migrate needs the codemods extra: pip install 'mminit[codemods]' "
        f"({missing} is blocked by test_cli_startup)"
    ), result.stderr
    assert source.read_text(encoding="utf-8") == "from mmcv.cnn import ConvModule, constant_init\n"
