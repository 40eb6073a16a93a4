"""The codemod also runs under LibCST's own runner (``python -m libcst.tool codemod``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# What a user puts in .libcst.codemod.yaml (README shows the same lines).
CONFIG = """\
generated_code_marker: '@generated'
formatter: []
blacklist_patterns: []
modules:
- 'mminit.codemods'
repo_root: '.'
"""


def test_libcst_tool_codemod(tmp_path: Path) -> None:
    (tmp_path / ".libcst.codemod.yaml").write_text(CONFIG)
    target = tmp_path / "model.py"
    target.write_text("from mmcv.cnn import ConvModule, constant_init\nfrom mmcv.cnn import *\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "libcst.tool",
            "codemod",
            "--no-format",
            "replace_imports.ReplaceImportsCodemod",
            str(target),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert target.read_text() == (
        "from mmcv.cnn import ConvModule\nfrom mminit.mmcv1 import constant_init\n"
        "from mmcv.cnn import *\n"
    )
    # Things left alone come back as LibCST warnings.
    assert "'from mmcv.cnn import *' cannot be rewritten safely" in proc.stderr
