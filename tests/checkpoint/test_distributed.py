"""Two real processes (gloo): rank 0 downloads, rank 1 reuses it; only rank 0 reports."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from .conftest import to_bytes


def _worker(rank: int, url: str, store: str, out_dir: str) -> None:
    from mminit._checkpoint import load_checkpoint

    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    try:
        stdout = io.StringIO()
        model = nn.Linear(2, 3)  # checkpoint holds Linear(2, 2): a mismatch to report
        # torch.hub's "Downloading:" line: stdout (stderr on torch 2.1)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stdout):
            load_checkpoint(model, url, logger=None)
        Path(out_dir, f"rank{rank}.json").write_text(json.dumps({"stdout": stdout.getvalue()}))
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")
def test_rank_zero_downloads_and_reports(http_server, tmp_path: Path, cache_dir) -> None:
    torch.manual_seed(0)
    url = http_server.serve("/dist.pth", to_bytes(nn.Linear(2, 2).state_dict()))
    mp.spawn(_worker, args=(url, str(tmp_path / "store"), str(tmp_path)), nprocs=2, join=True)
    outputs = {r: json.loads((tmp_path / f"rank{r}.json").read_text())["stdout"] for r in (0, 1)}
    assert http_server.hits("/dist.pth") == 1
    assert "Downloading" in outputs[0] and "do not match exactly" in outputs[0]
    assert "Downloading" not in outputs[1] and "do not match" not in outputs[1]
    # every rank still logs the loading line, as upstream does
    assert all("Loads checkpoint by http backend" in out for out in outputs.values())
    assert (cache_dir / "dist.pth").is_file()
