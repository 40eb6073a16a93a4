"""The docs site builds with ``mkdocs build --strict``: no warning, every nav entry,
internal link, anchor and API reference (mkdocstrings' ``::: name`` and
``[name][]`` cross-references) resolves.  Needs the ``docs`` extra; in CI it is
installed in ``.venv``, and a missing mkdocs fails there instead of skipping."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

from compat_tests.libs import skip_unless_ci

ROOT = Path(__file__).resolve().parents[2]


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None:
        skip_unless_ci(
            "mkdocs is not installed (pip install -e '.[docs]')",
            "the docs tools are part of the CI environment",
        )
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "MMINIT_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "WARNING" not in output, output[-6000:]
    assert (tmp_path / "site" / "api" / "index.html").is_file()


#: the user-facing documents: the docs pages and every Markdown file of the repository
#: outside the virtual environments and build output
def _documents() -> list[Path]:
    skip = {".venv", ".venv-mmcv", ".venv-bare", "out", ".git", "build", "dist"}
    return sorted(
        p
        for p in ROOT.rglob("*.md")
        if not skip & set(p.relative_to(ROOT).parts) and ".egg-info" not in str(p)
    )


def test_no_document_cites_an_issue_number() -> None:
    """The tracker is not part of the repository: a reader cannot follow "issue 10"."""
    pattern = re.compile(r"\bissues? ?#?\d+|\(#\d+\)|\bPR ?#?\d+", re.IGNORECASE)
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in _documents()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, "\n".join(found)
    assert pattern.search("as issue 10 asks") and pattern.search("see (#12)")


def test_readme_is_short_and_links_into_the_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 160
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", readme))
    pages = {p.name for p in (ROOT / "docs").glob("*.md")} - {"changelog.md", "index.md"}
    assert pages <= linked, pages - linked
