"""The lint and type policies hold on the whole tree: ruff (rules in pyproject.toml) and mypy.

``ruff check`` covers every Python file of the repository; ``mypy`` checks ``src/mminit``
(codemods included) with missing imports ignored only for the untyped third-party
modules pyproject.toml names.  Both are dev dependencies; where one is not installed
the test skips, and fails under ``CI=true``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from compat_tests.libs import skip_unless_ci

ROOT = Path(__file__).resolve().parents[2]
LINTED = ["src", "tests", "compat_tests", "benchmarks", "tools", "examples", "conftest.py"]


def _run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(tool) is None:
        skip_unless_ci(f"{tool} is not installed (pip install -e '.[dev]')",
                       "the dev tools are part of the CI environment")
    return subprocess.run([sys.executable, "-m", tool, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=False)


def test_ruff_passes_on_the_whole_tree() -> None:
    result = _run("ruff", "check", "--no-cache", "--output-format", "concise", *LINTED)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_mypy_passes_on_the_package() -> None:
    result = _run("mypy", "--no-incremental")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Success" in result.stdout
