"""The ``mminit`` command table: every subcommand listed everywhere, and one exit-status
table for all of them (0 ok, 1 a finding, 2 a usage or input error), each code tested
for each subcommand through the ``mminit`` entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mminit._cli.commands import COMMANDS, main

from .test_check import _require

HERE = Path(__file__).resolve().parent
NAMES = [command.name for command in COMMANDS]


def test_the_table_holds_the_three_commands() -> None:
    assert NAMES == ["migrate", "check", "explain"]


@pytest.mark.parametrize(
    ("args", "code", "stream"),
    [([], 2, "stderr"), (["--help"], 0, "stdout"), (["nosuch"], 2, "stderr")],
)
def test_every_command_is_listed(args: list[str], code: int, stream: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mminit", *args], capture_output=True, text=True, check=False
    )
    assert proc.returncode == code, proc.stderr
    text = getattr(proc, stream)
    assert "usage: mminit" in text and "{migrate,check,explain}" in text, text
    for name in NAMES:
        assert f"\n  {name} " in text, text
    if args == ["nosuch"]:  # before: "unknown command 'nosuch'; expected 'migrate' or 'check'"
        assert "unknown command 'nosuch'; choose from 'migrate', 'check', 'explain'" in text


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """cwd = this directory (``models_cli`` imports from it, also in check's sides)."""
    monkeypatch.chdir(HERE)
    monkeypatch.syspath_prepend(str(HERE))
    todo, done = tmp_path / "todo", tmp_path / "done"
    todo.mkdir()
    done.mkdir()
    (todo / "m.py").write_text("from mmcv.cnn import constant_init\n")
    (done / "m.py").write_text("from mminit.mmcv1 import constant_init\n")
    return {
        "todo": str(todo),
        "done": str(done),
        "missing": str(tmp_path / "nosuch"),
        "json": str(tmp_path / "no_dir" / "out.json"),
    }


# (subcommand, arguments, exit status, what the output says)
CASES = [
    ("migrate", ["--jobs", "1", "{done}"], 0, "0 changed"),
    ("migrate", ["--check", "--jobs", "1", "{todo}"], 1, "would rewrite"),
    ("migrate", ["--jobs", "1", "{missing}"], 2, "nosuch"),
    ("migrate", ["--jobs", "0", "{done}"], 2, "--jobs must be a positive integer"),
    ("check", ["models_cli:build_clean", "--flavour", "mmengine"], 0, "differing        : 0"),
    (
        "check",
        [
            "models_cli:build_clean",
            "--migrated",
            "models_cli:build_planted",
            "--flavour",
            "mmengine",
        ],
        1,
        "differing        : 2",
    ),
    ("check", ["models_cli:build_fails", "--flavour", "mmengine"], 2, "planted failure"),
    ("check", ["models_cli"], 2, "pkg.module:factory"),
    ("check", ["models_cli:build_clean", "--flavour", "nosuch"], 2, "invalid choice"),
    ("explain", ["models_cli:build_clean", "--strict"], 0, "fc.weight: NormalInit"),
    ("explain", ["models_cli:build_lint", "--strict"], 1, "MI001"),
    ("explain", ["models_cli:build_fails"], 2, "planted failure in the factory"),
    ("explain", ["models_cli:build_clean", "--json", "{json}"], 2, "cannot write --json"),
    ("explain", ["models_cli:build_clean", "--nosuch"], 2, "unrecognized arguments"),
]


@pytest.mark.parametrize(
    ("command", "args", "code", "says"),
    CASES,
    ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)],
)
def test_exit_status(
    command: str,
    args: list[str],
    code: int,
    says: str,
    files: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    if command == "check" and code != 2:
        _require("mmengine")
    assert main([command, *(a.format(**files) for a in args)]) == code
    out = capsys.readouterr()
    assert says in out.out + out.err, out


def test_every_command_has_each_exit_status() -> None:
    assert {(c[0], c[2]) for c in CASES} == {(n, code) for n in NAMES for code in (0, 1, 2)}


def test_explain_does_not_reach_into_check() -> None:
    """One shared target loader: ``explain`` imports no private name of ``check``."""
    source = (
        Path(__file__).resolve().parents[2] / "src" / "mminit" / "_cli" / "explain.py"
    ).read_text()
    assert ".check" not in source and "from .target import" in source
    env = {**os.environ}
    code = "import mminit._cli.explain, sys; assert 'mminit._cli.check' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
