"""Shared plumbing for the hand-written core parity tests (no tests in here).

``lib(flavour, side)`` gives a namespace with the init-system names of one
side: ``"mminit"`` (mminit or mminit.mmcv1) or ``"upstream"`` (mmengine 0.10.7
or mmcv 1.7.2).  ``run(fn)`` runs ``fn`` under a fixed seed and records
everything observable; ``assert_same`` compares two such records.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import torch

from .libs import INSTALL_HINT, LogCapture, missing_upstream

NAMES = [
    "constant_init",
    "xavier_init",
    "normal_init",
    "trunc_normal_init",
    "uniform_init",
    "kaiming_init",
    "caffe2_xavier_init",
    "bias_init_with_prob",
    "trunc_normal_",
    "initialize",
    "update_init_info",
    "BaseInit",
    "ConstantInit",
    "XavierInit",
    "NormalInit",
    "TruncNormalInit",
    "UniformInit",
    "KaimingInit",
    "Caffe2XavierInit",
    "PretrainedInit",
    "BaseModule",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "build_from_cfg",
]

_UPSTREAM_MODULES = {
    "mmengine": ["mmengine.model", "mmengine.model.weight_init", "mmengine.registry"],
    "mmcv1": ["mmcv.runner", "mmcv.cnn.utils.weight_init", "mmcv.utils"],
}


def _upstream(flavour: str) -> SimpleNamespace:
    try:
        mods = [importlib.import_module(m) for m in _UPSTREAM_MODULES[flavour]]
    except Exception as exc:  # noqa: BLE001
        missing_upstream(
            f"upstream for flavour {flavour} is not importable ({exc}); install: {INSTALL_HINT[flavour]}"
        )
    ns = SimpleNamespace()
    for name in NAMES:
        for mod in mods:
            if hasattr(mod, name):
                setattr(ns, name, getattr(mod, name))
                break
    ns.REGISTRY = getattr(mods[1], "WEIGHT_INITIALIZERS", None) or mods[1].INITIALIZERS
    ns.side = "upstream"
    return ns


def lib(flavour: str, side: str) -> SimpleNamespace:
    if side == "upstream":
        return _upstream(flavour)
    mod = importlib.import_module("mminit" if flavour == "mmengine" else "mminit.mmcv1")
    ns = SimpleNamespace(**{name: getattr(mod, name) for name in NAMES})
    ns.REGISTRY = mod.WEIGHT_INITIALIZERS
    ns.side = "mminit"
    return ns


@dataclass
class Outcome:
    state: dict[str, torch.Tensor] = field(default_factory=dict)
    records: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    exc_type: type | None = None
    exc: BaseException | None = None
    value: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def run(
    fn: Callable[[], Any], seed: int = 0, model: Callable[[], torch.nn.Module] | None = None
) -> Outcome:
    """Run ``fn()`` (or build ``model()``, reseed and call its ``init_weights``)."""
    out = Outcome()
    capture = LogCapture()  # the suite's capture: every logger upstream or mminit writes to
    torch.manual_seed(seed)
    built = model() if model is not None else None
    torch.manual_seed(seed + 1)
    with capture.capture() as records, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out.value = fn(built) if built is not None else fn()
        except Exception as exc:  # noqa: BLE001 - the type is what we compare
            out.exc_type, out.exc = type(exc), exc
    out.records = list(records)
    out.warnings = [(w.category.__name__, str(w.message)) for w in caught]
    if built is not None:
        out.state = {k: v.detach().clone() for k, v in built.state_dict().items()}
        out.extra["is_init"] = {n: getattr(m, "is_init", None) for n, m in built.named_modules()}
        out.extra["has_info"] = [
            n for n, m in built.named_modules() if hasattr(m, "_params_init_info")
        ]
    return out


_CLASS_REPR = re.compile(r"<class '[\w.]+\.(\w+)'>")


def _normalise(records: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # A cfg whose type is a class prints that class's module path, which is
    # necessarily different (mminit.X vs mmengine.model.weight_init.X).
    return [(level, _CLASS_REPR.sub(r"<class \1>", msg)) for level, msg in records]


def assert_same(ours: Outcome, theirs: Outcome) -> None:
    if theirs.exc_type is None:
        assert ours.exc_type is None, f"mminit raised {ours.exc!r}, upstream did not"
    else:
        assert ours.exc_type is not None and issubclass(ours.exc_type, theirs.exc_type), (
            f"upstream raised {theirs.exc_type.__name__}({theirs.exc}), mminit {ours.exc_type}({ours.exc})"
        )
    assert ours.state.keys() == theirs.state.keys()
    for key in theirs.state:
        a, b = ours.state[key], theirs.state[key]
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b), (
            f"tensor {key} differs"
        )
    assert _normalise(ours.records) == _normalise(theirs.records)
    assert ours.warnings == theirs.warnings
    assert ours.extra == theirs.extra
    if not isinstance(theirs.value, torch.Tensor):
        assert repr(ours.value) == repr(theirs.value)


def both(
    flavour: str, make: Callable[[SimpleNamespace], tuple[Any, ...]], seed: int = 0
) -> tuple[Outcome, Outcome]:
    """``make(lib)`` returns ``(fn,)`` or ``(fn, model_factory)``; run it on both sides."""
    results = []
    for side in ("upstream", "mminit"):
        parts = make(lib(flavour, side))
        results.append(run(parts[0], seed, parts[1] if len(parts) > 1 else None))
    theirs, ours = results
    return ours, theirs
