"""The LibCST-runner command the docs give works as written.

Without ``--no-format`` LibCST pipes every file through black: it fails when black
is missing (reporting "Failed to codemod N files" and still exiting 0) and would
reformat whole files when it is installed.  The command and the yaml are taken
from docs/migrate.md, so the documentation is what gets run.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIGRATE_PAGE = ROOT / "docs" / "migrate.md"


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def _documented_command() -> tuple[str, list[str]]:
    text = MIGRATE_PAGE.read_text(encoding="utf-8")
    (yaml,) = [b for b in _blocks(text, "yaml") if "mminit.codemods" in b]
    (command,) = [
        line
        for b in _blocks(text, "sh")
        for line in b.splitlines()
        if "libcst.tool codemod" in line
    ]
    return yaml, shlex.split(command)


def test_every_doc_mention_of_the_runner_disables_formatting() -> None:
    pages = [
        ROOT / "README.md",
        *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "src").rglob("README.md")),
    ]
    mentions = {
        page: re.findall(r"libcst\.tool codemod[^`\n]*", page.read_text(encoding="utf-8"))
        for page in pages
    }
    assert mentions[MIGRATE_PAGE], MIGRATE_PAGE
    for page, found in mentions.items():
        assert all("--no-format" in m for m in found), (page, found)


def test_documented_libcst_command_rewrites_and_keeps_every_other_byte(tmp_path: Path) -> None:
    yaml, argv = _documented_command()
    assert argv[:4] == ["python", "-m", "libcst.tool", "codemod"] and argv[-1] == "src/"
    (tmp_path / ".libcst.codemod.yaml").write_text(yaml, encoding="utf-8")
    source = tmp_path / "src" / "model.py"
    source.parent.mkdir()
    # formatting black would change: single quotes, a long line, odd spacing
    source.write_text(
        "from mmcv.cnn import ConvModule, constant_init\nx = {'a':1,   'b' : 2}  # keep me\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, *argv[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Failed to codemod 0 files" in output, output
    assert source.read_text(encoding="utf-8") == (
        "from mmcv.cnn import ConvModule\n"
        "from mminit.mmcv1 import constant_init\n"
        "x = {'a':1,   'b' : 2}  # keep me\n"
    )
