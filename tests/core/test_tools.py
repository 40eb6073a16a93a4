"""tools/*.sh: the main job never deletes a directory it did not make (issue 14,
item 7), and the scripts parse."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = sorted((ROOT / "tools").glob("*.sh"))
BASH = shutil.which("bash")

pytestmark = pytest.mark.skipif(BASH is None, reason="needs bash")


def _bash(*args: str) -> subprocess.CompletedProcess[str]:
    assert BASH is not None
    return subprocess.run(
        [BASH, *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("script", TOOLS, ids=[p.name for p in TOOLS])
def test_script_parses(script: Path) -> None:
    result = _bash("-n", str(script))
    assert result.returncode == 0, result.stderr


def test_main_job_refuses_a_foreign_non_empty_workdir(tmp_path: Path) -> None:
    work = tmp_path / "precious"
    work.mkdir()
    (work / "thesis.tex").write_text("years of work", encoding="utf-8")
    result = _bash("tools/main_job.sh", str(work))
    assert result.returncode == 2
    assert f"refusing to replace {work}" in result.stderr
    assert "no main_job.log" in result.stderr
    assert (work / "thesis.tex").read_text(encoding="utf-8") == "years of work"
    assert result.stdout == ""  # refused before setting anything up


def test_main_job_refuses_a_file_as_workdir(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("keep", encoding="utf-8")
    result = _bash("tools/main_job.sh", str(target))
    assert result.returncode == 2
    assert "is not a directory" in result.stderr
    assert target.read_text(encoding="utf-8") == "keep"


def test_setup_envs_names_its_choices() -> None:
    result = _bash("tools/setup_envs.sh", "everything")
    assert result.returncode == 2
    assert "usage:" in result.stderr and "[main|mmcv|bare|py310|py313|all]" in result.stderr


def test_setup_envs_checks_every_target_before_building() -> None:
    result = _bash("tools/setup_envs.sh", "bare", "nonsense")
    assert result.returncode == 2
    assert "got 'nonsense'" in result.stderr
    assert not result.stdout  # nothing was set up
