"""Benchmark ``mminit migrate`` on a synthetic repository of N Python files.

The repository mixes files that need rewriting (several import forms), files that
mention mmcv/mmengine but keep every name, and plain torch files that the text
prefilter skips.  Each run migrates a fresh copy; the median of the runs is
reported in files per second.

    python benchmarks/bench_migrate.py --files 3000 --jobs 2 --runs 3
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mminit.codemods.cli import main as migrate

_BODY = '''

class Block{i}(BaseModule):
    """Block {i} of a synthetic model."""

    def __init__(self, channels={c}, init_cfg=None):
        super().__init__(init_cfg)
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm = nn.BatchNorm2d(channels)
        self.fc = nn.Linear(channels, channels)

    def forward(self, x):
        y = self.norm(self.conv(x))
        return torch.relu(y).mean(dim=(2, 3)) + self.fc(x.mean(dim=(2, 3)))
'''

_HEADERS = [
    # Need rewriting.
    (
        "import torch\nimport torch.nn as nn\nfrom mmcv.cnn import ConvModule, constant_init, "
        "kaiming_init\nfrom mmcv.runner import BaseModule\n"
    ),
    (
        "import torch\nimport torch.nn as nn\nfrom mmengine.model import (BaseModule,  # noqa: F401\n"
        "                            ModuleList, trunc_normal_init)\n"
    ),
    "import torch\nimport torch.nn as nn\nimport mmcv\n\nBaseModule = mmcv.runner.BaseModule\n",
    (
        "import torch\nimport torch.nn as nn\ntry:\n    from mmengine.model import BaseModule\n"
        "except ImportError:\n    from torch.nn import Module as BaseModule\n"
    ),
    # Mention mmcv/mmengine, nothing to move.
    (
        "import torch\nimport torch.nn as nn\nfrom mmcv.cnn import ConvModule, build_norm_layer\n"
        "from torch.nn import Module as BaseModule\n"
    ),
    (
        "import torch\nimport torch.nn as nn\nfrom mmengine.registry import MODELS\n"
        "from torch.nn import Module as BaseModule\n"
    ),
    # No mention at all: not parsed.
    "import torch\nimport torch.nn as nn\nfrom torch.nn import Module as BaseModule\n",
    "import torch\nimport torch.nn as nn\nfrom torch.nn import Module as BaseModule\n",
    "import torch\nimport torch.nn as nn\nfrom torch.nn import Module as BaseModule\n",
]
_NEEDS_REWRITE = 4  # the first headers above


def generate(root: Path, files: int, blocks: int = 6) -> int:
    """Write ``files`` modules under ``root``; return how many need rewriting."""
    needing = 0
    for n in range(files):
        kind = n % len(_HEADERS)
        needing += kind < _NEEDS_REWRITE
        package = root / f"pkg{n // 100:03d}"
        package.mkdir(parents=True, exist_ok=True)
        text = _HEADERS[kind] + "".join(_BODY.format(i=i, c=8 + i) for i in range(blocks))
        (package / f"mod{n:05d}.py").write_text(text)
    return needing


def run_once(files: int, jobs: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="mminit-bench-") as tmp:
        root = Path(tmp) / "repo"
        needing = generate(root, files)
        report = Path(tmp) / "report.json"
        start = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            code = migrate([str(root), "--jobs", str(jobs), "--quiet", "--report", str(report)])
        elapsed = time.perf_counter() - start
        if code != 0:
            raise SystemExit(f"mminit migrate exited {code}")
        import json

        changed = json.loads(report.read_text())["summary"]["changed"]
        if changed != needing:
            raise SystemExit(f"expected {needing} files to change, {changed} did")
        shutil.rmtree(root)
    return elapsed, changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    times = []
    for run in range(args.runs):
        elapsed, changed = run_once(args.files, args.jobs)
        times.append(elapsed)
        print(
            f"run {run + 1}: {args.files} files ({changed} rewritten) in {elapsed:.2f} s "
            f"= {args.files / elapsed:.0f} files/s"
        )
    median = statistics.median(times)
    print(
        f"median of {args.runs}: {median:.2f} s, {args.files / median:.0f} files/s "
        f"(--jobs {args.jobs}, goal: < 30 s for 3000 files)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
