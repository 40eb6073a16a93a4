"""mminit's checkpoint loading against real mmengine 0.10.7 / mmcv 1.7.2.

Each case runs the same call on both sides into identically initialised
models and compares the loaded tensors, the log records (level, text), what
was printed to stdout, and the exception (type and text) if one was raised.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import mminit._checkpoint as ours
from compat_tests.checkpoint.support import Net, console, net_state
from compat_tests.libs import Records


def trained_state() -> OrderedDict[str, torch.Tensor]:
    return net_state(11)


def fresh(classes: int = 3) -> Net:
    torch.manual_seed(0)
    return Net(classes)


def _mismatched() -> dict[str, Any]:
    sd = trained_state()
    del sd["head.bias"]
    del sd["backbone.1.num_batches_tracked"]
    sd["neck.weight"] = torch.ones(2)
    sd["backbone.0.bias"] = torch.ones(7)
    return {"state_dict": sd}


CONTENTS: dict[str, Callable[[], Any]] = {
    "top-level": trained_state,
    "state_dict": lambda: {"state_dict": trained_state(), "meta": {"epoch": 2}},
    "dataparallel": lambda: {
        "state_dict": OrderedDict((f"module.{k}", v) for k, v in trained_state().items())
    },
    "mismatch": _mismatched,
    "only-tracked-missing": lambda: OrderedDict(
        (k, v) for k, v in trained_state().items() if "num_batches_tracked" not in k
    ),
}


@dataclass
class Outcome:
    weights: dict[str, torch.Tensor]
    records: list[tuple[str, str]]
    stdout: str
    error: tuple[str, str] | None


def run(
    capsys: pytest.CaptureFixture[str],
    call: Callable[[nn.Module, logging.Logger], Any],
    classes: int = 3,
    normalise: Callable[[str], str] = lambda s: s,
) -> Outcome:
    logger = logging.getLogger(f"compat-ckpt-{id(call)}")
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = Records()
    logger.addHandler(handler)
    model = fresh(classes)
    capsys.readouterr()
    error = None
    try:
        call(model, logger)
    except Exception as exc:  # noqa: BLE001 - the exception is part of the outcome
        error = (type(exc).__name__, str(exc))
    logger.removeHandler(handler)
    return Outcome(dict(model.state_dict()), handler.records, normalise(console(capsys)), error)


def assert_same(theirs: Outcome, mine: Outcome, *, error_types: tuple | None = None) -> None:
    assert mine.records == theirs.records
    assert mine.stdout == theirs.stdout
    assert mine.weights.keys() == theirs.weights.keys()
    for key, value in theirs.weights.items():
        assert torch.equal(mine.weights[key], value), key
    if error_types is None:
        assert mine.error == theirs.error
    else:  # message wording may differ: compare which types were raised
        assert theirs.error is not None and mine.error is not None
        assert (theirs.error[0], mine.error[0]) == error_types


@pytest.mark.parametrize("content", list(CONTENTS))
@pytest.mark.parametrize("use_logger", [True, False], ids=["logger", "stdout"])
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("classes", [3, 5], ids=["same-head", "other-head"])
def test_load_checkpoint_local(
    upstream,
    flavour,
    tmp_path: Path,
    capsys,
    content: str,
    use_logger: bool,
    strict: bool,
    classes: int,
) -> None:
    path = str(tmp_path / f"{content}.pth")
    torch.save(CONTENTS[content](), path)

    def via(
        lib_load: Callable[..., Any], **extra: Any
    ) -> Callable[[nn.Module, logging.Logger], Any]:
        return lambda model, logger: lib_load(
            model,
            path,
            map_location="cpu",
            strict=strict,
            logger=logger if use_logger else None,
            **extra,
        )

    theirs = run(capsys, via(upstream.load_checkpoint), classes)
    mine = run(capsys, via(ours.load_checkpoint, flavour=flavour), classes)
    assert_same(theirs, mine)


@pytest.mark.parametrize("prefix", ["backbone", "backbone.", "head", "roi_head"])
@pytest.mark.parametrize("content", ["top-level", "state_dict", "mismatch"])
def test_prefix_then_load_state_dict(
    upstream, flavour, tmp_path: Path, capsys, prefix: str, content: str
) -> None:
    """What ``PretrainedInit(prefix=...)`` does on each side."""
    path = str(tmp_path / "p.pth")
    torch.save(CONTENTS[content](), path)
    target = {"backbone": "backbone", "backbone.": "backbone", "head": "head", "roi_head": "head"}

    def call(prefix_fn: Callable[..., Any], load_fn: Callable[..., Any], **extra: Any):
        def go(model: nn.Module, logger: logging.Logger) -> None:
            sd = prefix_fn(prefix, path, map_location="cpu", **extra)
            load_fn(getattr(model, target[prefix]), sd, strict=False, logger=logger, **extra)

        return go

    theirs = run(capsys, call(upstream._load_checkpoint_with_prefix, upstream.load_state_dict))
    mine = run(
        capsys, call(ours._load_checkpoint_with_prefix, ours.load_state_dict, flavour=flavour)
    )
    if prefix == "roi_head":  # both assert; mminit's message also lists the prefixes present
        assert_same(theirs, mine, error_types=("AssertionError", "PrefixNotFoundError"))
        assert theirs.error is not None and theirs.error[1] in mine.error[1]  # type: ignore[index]
    else:
        assert_same(theirs, mine)


def test_loopback_url(upstream, flavour, tmp_path: Path, capsys, loopback, monkeypatch) -> None:
    buf = io.BytesIO()
    torch.save({"state_dict": trained_state(), "meta": {"note": "served"}}, buf)
    body = buf.getvalue()
    name = f"/net_{flavour.name}-{hashlib.sha256(body).hexdigest()[:8]}.pth"
    url = loopback.serve(name, body)
    caches = {}

    def in_cache(side: str, load: Callable[..., Any], **extra: Any):
        def go(model: nn.Module, logger: logging.Logger) -> None:
            home = tmp_path / side
            caches[side] = str(home / "hub" / "checkpoints")
            monkeypatch.setenv("TORCH_HOME", str(home))
            load(model, url, map_location="cpu", logger=logger, **extra)

        return go

    theirs = run(
        capsys,
        in_cache("upstream", upstream.load_checkpoint),
        normalise=lambda s: s.replace(caches["upstream"], "<CACHE>"),
    )
    mine = run(
        capsys,
        in_cache("mminit", ours.load_checkpoint, flavour=flavour),
        normalise=lambda s: s.replace(caches["mminit"], "<CACHE>"),
    )
    assert_same(theirs, mine)
    assert f'Downloading: "{url}" to <CACHE>/{name[1:]}' in mine.stdout
    # A second load comes from the cache on both sides: no Downloading line.
    again_theirs = run(capsys, in_cache("upstream", upstream.load_checkpoint))
    again_mine = run(capsys, in_cache("mminit", ours.load_checkpoint, flavour=flavour))
    assert again_mine.stdout == again_theirs.stdout
    assert "Downloading" not in again_mine.stdout
