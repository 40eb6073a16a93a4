"""Every Python example in the docs runs, as written.

Each ```` ```python ```` block of ``docs/*.md``, ``README.md`` and ``CHANGELOG.md`` is
executed: the blocks of one page in order in one namespace (a page reads as one
session: a later block may use what an earlier one defined), in a fresh interpreter
and an empty temporary working directory, with ``MMINIT_OFFLINE=1`` and private
cache homes, so that nothing reaches the network or the user's caches.

A block that truly cannot run here is marked on the line before its fence with
``<!-- snippet: skip REASON -->``; the reason must say why (for example: it needs
several processes).  Shell commands are written in ```` ```sh ```` blocks and output
in ```` ```text ```` blocks; neither is run.  A page whose blocks are all skipped, a
skip without a reason, or a Python block with an unknown marker is an error.

The ``>>>`` examples of the public docstrings (which the API reference page shows) run
too (``tests/docs/docstring_examples.py``), and the API page must document every name of
the public-names table.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md", ROOT / "CHANGELOG.md"]
FENCE = re.compile(
    r"^(?P<marker><!-- snippet: (?P<what>[^>]*?) -->\n)?```(?P<lang>[\w-]*)[^\n]*\n"
    r"(?P<code>.*?)^```\s*$",
    re.DOTALL | re.MULTILINE,
)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    code: str
    skip: str | None  # the reason, when marked not-run


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        what = match["what"]
        skip = None
        if what is not None:
            if not what.startswith("skip "):
                raise AssertionError(
                    f"{page.name}:{text.count(chr(10), 0, match.start()) + 1}: "
                    f"unknown snippet marker {what!r} (allowed: 'skip REASON')"
                )
            skip = what[len("skip ") :].strip()
        line = text.count("\n", 0, match.start("code")) + 1
        found.append(Block(page, line, match["lang"], match["code"], skip))
    return found


def python_pages() -> list[Path]:
    return [page for page in PAGES if any(b.lang == "python" for b in blocks(page))]


def test_the_docs_have_python_examples() -> None:
    pages = {page.name for page in python_pages()}
    assert {
        "getting-started.md",
        "init-system.md",
        "checkpoints.md",
        "bricks.md",
        "explain.md",
        "meta-sharded.md",
        "README.md",
    } <= pages, pages


def test_every_fence_names_its_language() -> None:
    unnamed = [f"{b.page.name}:{b.line}" for page in PAGES for b in blocks(page) if not b.lang]
    assert not unnamed, f"fences without a language (python, sh, text, yaml ...): {unnamed}"


#: runs in a fresh interpreter: the blocks of one page, in order, in one namespace; an
#: exception names the page and the line of the block (the code keeps its line numbers)
RUNNER = """
import json, sys, warnings
warnings.simplefilter("ignore")
namespace = {"__name__": "__main__"}
for path, line, code in json.load(sys.stdin):
    exec(compile("\\n" * (line - 1) + code, path, "exec"), namespace)
"""


@pytest.mark.parametrize("page", python_pages(), ids=lambda p: p.name)
def test_python_blocks_run(page: Path, tmp_path: Path) -> None:
    """A fresh process per page: what one page registers or patches cannot leak into
    another page or into the rest of the test session."""
    todo = []
    for block in blocks(page):
        if block.lang != "python":
            continue
        if block.skip is not None:
            assert len(block.skip) > 10, f"{page.name}:{block.line}: say why the block cannot run"
            continue
        todo.append((str(page), block.line, block.code))
    assert todo, f"{page.name}: every python block is skipped"
    env = {
        **os.environ,
        "MMINIT_OFFLINE": "1",
        "TORCH_HOME": str(tmp_path / "torch-home"),
        "MMENGINE_HOME": str(tmp_path / "mmengine-home"),
        "MMCV_HOME": str(tmp_path / "mmcv-home"),
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]
        ),
    }
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps(todo),
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]


def test_skips_are_rare_and_say_why() -> None:
    skipped = [b for page in PAGES for b in blocks(page) if b.skip is not None]
    for block in skipped:
        assert block.lang == "python", f"{block.page.name}:{block.line}: only python blocks run"
        assert len(block.skip or "") > 10, f"{block.page.name}:{block.line}: say why it cannot run"
    total = sum(b.lang == "python" for page in PAGES for b in blocks(page))
    assert len(skipped) * 5 <= total, f"{len(skipped)} of {total} python blocks are skipped"


def test_marker_parsing(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "<!-- snippet: skip needs two processes -->\n```python\nx = 1\n```\n```sh\nls\n```\n",
        encoding="utf-8",
    )
    (a, b) = blocks(page)
    assert (a.lang, a.skip, a.code, a.line) == ("python", "needs two processes", "x = 1\n", 3)
    assert (b.lang, b.skip) == ("sh", None)
    page.write_text("<!-- snippet: maybe -->\n```python\nx = 1\n```\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="unknown snippet marker 'maybe'"):
        blocks(page)


def test_api_page_documents_every_public_name() -> None:
    """docs/api.md has an entry (``::: flavour.name`` or a ``{#flavour.name}`` heading)
    for every name of the public-names table, and none other."""
    from mminit._names import ROWS

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^::: (mminit(?:\.mmcv1)?)\.(\w+)$", text, flags=re.MULTILINE))
    documented |= set(re.findall(r"\{#(mminit(?:\.mmcv1)?)\.(\w+)\}", text))
    names = {name for _, name in documented}
    assert names == {name for name, _, _ in ROWS}
    for module, name in documented:
        where = next(w for n, w, _ in ROWS if n == name)
        assert module in where, f"{module}.{name} is not exported by {module}"


def test_docstring_examples_run(tmp_path: Path) -> None:
    """The ``>>>`` examples the API reference shows (every public docstring of both
    flavours) run: tests/docs/docstring_examples.py, in a fresh interpreter."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "MMINIT_OFFLINE": "1",
        "HOME": str(home),
        "TORCH_HOME": str(tmp_path / "torch-home"),
        "MMENGINE_HOME": str(tmp_path / "mmengine-home"),
        "MMCV_HOME": str(tmp_path / "mmcv-home"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        [sys.executable, "-W", "ignore", str(ROOT / "tests" / "docs" / "docstring_examples.py")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert " examples from " in result.stdout
