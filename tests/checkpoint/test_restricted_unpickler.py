"""The ``weights_only`` loader of a torch without ``safe_globals`` (torch < 2.5, e.g. 2.1).

On such a torch mminit unpickles with its own restricted ``Unpickler``
(:mod:`mminit._checkpoint.restricted`).  These tests force that path on any torch
(``safe_globals`` removed from ``torch.serialization`` for the test), so every CI
environment checks it, and re-run the safety tests of ``test_safety.py`` through it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from mminit._checkpoint import UnsafeCheckpointError, _load_checkpoint, restricted

from .test_safety import (  # re-run through the restricted unpickler (the fixture below)
    test_allow_list_does_not_leak_into_torch_load,
    test_explicit_weights_only_beats_env,
    test_getattr_outside_the_allow_list_is_refused,
    test_malicious_legacy_pickle_is_refused,
    test_malicious_pickle_is_refused_and_never_runs,
    test_numpy_metadata_loads_under_weights_only,
)

__all__ = [
    "test_allow_list_does_not_leak_into_torch_load",
    "test_explicit_weights_only_beats_env",
    "test_getattr_outside_the_allow_list_is_refused",
    "test_malicious_legacy_pickle_is_refused",
    "test_malicious_pickle_is_refused_and_never_runs",
    "test_numpy_metadata_loads_under_weights_only",
]


@pytest.fixture(autouse=True)
def _own_unpickler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(torch.serialization, "safe_globals", raising=False)
    assert restricted.needs_own_unpickler()


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_loads_what_plain_torch_load_loads(tmp_path: Path, zipped: bool) -> None:
    torch.manual_seed(0)
    ckpt = {
        "state_dict": nn.Conv2d(2, 3, 3).state_dict(),
        "meta": {
            "epoch": np.int64(3),
            "hist": np.linspace(0, 1, 5),
            "name": "x",
            "half": torch.ones(2, dtype=torch.float16),
        },
    }
    path = tmp_path / "c.pth"
    torch.save(ckpt, path, _use_new_zipfile_serialization=zipped)
    ours = _load_checkpoint(str(path), logger="silent")
    theirs = torch.load(path, weights_only=False)
    assert ours.keys() == theirs.keys()
    for key, value in theirs["state_dict"].items():
        assert torch.equal(ours["state_dict"][key], value)
    assert type(ours["meta"]["epoch"]) is np.int64 and ours["meta"]["epoch"] == 3
    np.testing.assert_array_equal(ours["meta"]["hist"], theirs["meta"]["hist"])
    assert torch.equal(ours["meta"]["half"], theirs["meta"]["half"])


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_every_disallowed_global_is_named_before_anything_is_unpickled(
    tmp_path: Path, zipped: bool
) -> None:
    path = tmp_path / "evil.pth"
    torch.save(
        {"w": torch.ones(1), "p": Path("a"), "od": np.random.default_rng(0)},
        path,
        _use_new_zipfile_serialization=zipped,
    )
    with pytest.raises(UnsafeCheckpointError) as info:
        _load_checkpoint(str(path), logger="silent")
    assert "pathlib" in str(info.value) and "numpy.random" in str(info.value)


def test_find_class_refuses_what_the_scan_missed(tmp_path: Path) -> None:
    """The pre-scan is advice; ``find_class`` is the gate."""
    refused: list[list[str]] = []

    def refuse(names: list[str]) -> Exception:
        refused.append(names)
        return UnsafeCheckpointError(", ".join(names))

    module = restricted.restricted_pickle_module([], refuse)
    path = tmp_path / "p.pth"
    torch.save({"p": Path("a")}, path)
    with pytest.raises(UnsafeCheckpointError, match="pathlib"):
        torch.load(path, pickle_module=module, weights_only=False)
    assert refused and refused[0][0].startswith("pathlib.")


def test_first_load_in_a_process_warns_nothing(tmp_path: Path) -> None:
    """torch 2.1's own weights_only load warns "TypedStorage is deprecated" once per
    process (upstream's plain torch.load does not); the first load must warn nothing."""
    path = tmp_path / "c.pth"
    torch.save({"state_dict": nn.Linear(2, 2).state_dict(), "meta": {"e": np.int64(1)}}, path)
    code = textwrap.dedent(f"""
        import warnings, torch
        warnings.simplefilter("error")
        if hasattr(torch.serialization, "safe_globals"):  # force the restricted unpickler
            del torch.serialization.safe_globals
        from mminit._checkpoint import _load_checkpoint
        _load_checkpoint({str(path)!r}, logger="silent")
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_every_torch_load_in_mminit_goes_through_the_loader() -> None:
    """A direct ``torch.load`` elsewhere would bypass this path (on torch 2.1: numpy refused,
    the TypedStorage warning printed by ``mminit check``)."""
    src = Path(__file__).resolve().parents[2] / "src" / "mminit"
    direct = [
        f"{path.relative_to(src)}:{n}"
        for path in sorted(src.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "torch.load(" in line
        and not line.lstrip().startswith((">>>", "...", "#"))
        and "``" not in line
        and ":func:" not in line
    ]
    assert all(where.startswith("_checkpoint/loading.py:") for where in direct), direct
