"""The project's pre-commit checks hold on the whole tree: ruff check (rules in
pyproject.toml), ruff format, typos (``_typos.toml``) and mypy (strict, ``src/mminit``).

The test runs ``pre-commit run --all-files`` with ``.pre-commit-config.yaml``, exactly what a
contributor's ``pre-commit`` runs, so the two cannot drift apart.  pre-commit installs the
pinned ruff and typos into its own cache (from PyPI) on first use; mypy runs in this
environment (a ``system`` hook), against its torch.  pre-commit is a dev dependency; where
it is not installed the test skips, and fails under ``CI=true``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from compat_tests.libs import skip_unless_ci

ROOT = Path(__file__).resolve().parents[2]


def test_pre_commit_passes_on_the_whole_tree() -> None:
    if importlib.util.find_spec("pre_commit") is None:
        skip_unless_ci(
            "pre-commit is not installed (pip install -e '.[dev]')",
            "the dev tools are part of the CI environment",
        )
    if not (ROOT / ".git").exists():
        skip_unless_ci("not a git checkout", "CI runs in a clone")
    env = dict(os.environ)
    # the `system` mypy hook runs `python`: this environment's
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "run",
            "--all-files",
            "--show-diff-on-failure",
            "--color",
            "never",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
