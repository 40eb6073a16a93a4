"""Run one case on two libraries and list every observable difference.

Protocol (identical on both sides): ``torch.manual_seed(case["seed"])``, build
the model, ``torch.manual_seed(case["seed"] + 1)``, call ``init_weights`` once
(twice when ``case["twice"]``), catching any exception of each call.  Cases with
``"entry": "initialize"`` call ``lib.initialize(model, root's init_cfg)`` instead.

Observed per call: the exception type, the log records (level + message,
minus mmengine's registry chatter, see :data:`libs.REGISTRY_CHATTER`), the
init-info strings (parsed from the records of the init-info dump: one record per
parameter, ``"\\n{name} - {shape}: \\n{info} \\n "``), warnings (category +
message) and stdout.  Observed afterwards: every parameter and buffer (dtype,
shape, bits), ``is_init`` of every module that has one, and which modules still
carry ``_params_init_info`` (left behind by an exception; it decides whether a
later ``init_weights`` counts as top level, also across libraries).

A mminit exception matches when it is an instance of upstream's type (mminit
may raise a subclass, e.g. ``class InvalidInitArg(ValueError, AssertionError)``).
"""

from __future__ import annotations

import contextlib
import copy
import io
import warnings
from dataclasses import dataclass, field
from typing import Any

import torch

from compat_tests.builder import build, write_checkpoints
from compat_tests.libs import LogCapture
from mminit._cli.check import INIT_INFO_DUMP

__all__ = ["Outcome", "compare", "run_case", "run_side"]


@dataclass
class Outcome:
    calls: list[dict[str, Any]] = field(default_factory=list)
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    is_init: dict[str, bool] = field(default_factory=dict)
    leftover: dict[str, bool] = field(default_factory=dict)
    build_error: str | None = None


def _lib_for(lib: Any, other: Any, mixed: bool) -> Any:
    if not mixed:
        return lambda node: lib
    return lambda node: other if node.get("swap") else lib


def run_side(
    case: dict[str, Any], root: dict[str, Any], lib: Any, other: Any, capture: LogCapture
) -> Outcome:
    """Build ``root`` with ``lib`` (``other`` for swapped nodes when mixed) and init it."""
    out = Outcome()
    seed = case["seed"]
    torch.manual_seed(seed)
    try:
        model = build(root, _lib_for(lib, other, case.get("mixed", False)))
    except Exception as exc:  # noqa: BLE001 - a builder bug, reported as a mismatch
        out.build_error = f"{type(exc).__name__}: {exc}"
        return out
    torch.manual_seed(seed + 1)
    if case.get("entry") == "initialize":
        root_lib = _lib_for(lib, other, case.get("mixed", False))(root)

        def call_entry() -> None:
            root_lib.initialize(model, copy.deepcopy(root.get("init_cfg")))
    else:
        call_entry = model.init_weights
    for _ in range(2 if case.get("twice") else 1):
        call: dict[str, Any] = {"exc": None}
        stdout = io.StringIO()
        with (
            warnings.catch_warnings(record=True) as caught,
            capture.capture() as records,
            contextlib.redirect_stdout(stdout),
        ):
            warnings.simplefilter("always")
            try:
                call_entry()
            except Exception as exc:  # noqa: BLE001 - any exception is an observation
                call["exc"] = exc
        call["logs"] = list(records)
        call["info"] = {
            m["name"]: m["info"] for m in (INIT_INFO_DUMP.match(msg) for _, msg in records) if m
        }
        call["warnings"] = [(w.category.__name__, str(w.message)) for w in caught]
        call["stdout"] = stdout.getvalue()
        out.calls.append(call)
    out.tensors = dict(model.state_dict(keep_vars=False))
    for path, module in model.named_modules(remove_duplicate=False):
        if hasattr(type(module), "is_init") or hasattr(module, "_is_init"):
            out.is_init[path] = bool(getattr(module, "is_init", None))
        out.leftover[path] = hasattr(module, "_params_init_info")
    return out


def _same_tensor(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.is_floating_point():
        return bool(
            torch.equal(a.isnan(), b.isnan()) and torch.equal(a.nan_to_num(), b.nan_to_num())
        )
    return bool(torch.equal(a, b))


def _exc_ok(ref: BaseException | None, got: BaseException | None) -> bool:
    if ref is None or got is None:
        return ref is got
    return isinstance(got, type(ref))


def _first_diff(a: list[Any], b: list[Any]) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"#{i}: {x!r} != {y!r}"
    return f"lengths {len(a)} != {len(b)}; extra: {(a[len(b) :] or b[len(a) :])[:3]!r}"


def compare(ref: Outcome, got: Outcome) -> list[str]:
    """Return human-readable differences between two outcomes (empty: identical)."""
    if ref.build_error or got.build_error:
        return [f"build error: {ref.build_error!r} vs {got.build_error!r}"]
    diffs: list[str] = []
    for i, (a, b) in enumerate(zip(ref.calls, got.calls)):
        tag = f"call {i + 1}"
        if not _exc_ok(a["exc"], b["exc"]):
            diffs.append(
                f"{tag} exception: {type(a['exc']).__name__} {a['exc']!s:.120} "
                f"vs {type(b['exc']).__name__} {b['exc']!s:.120}"
            )
        if a["info"] != b["info"]:
            names = sorted(set(a["info"]) | set(b["info"]))
            bad = [n for n in names if a["info"].get(n) != b["info"].get(n)]
            diffs.append(
                f"{tag} init-info {bad[0]!r}: {a['info'].get(bad[0])!r} vs "
                f"{b['info'].get(bad[0])!r} ({len(bad)} differ)"
            )
        if a["logs"] != b["logs"]:
            diffs.append(f"{tag} logs {_first_diff(a['logs'], b['logs'])}")
        if a["warnings"] != b["warnings"]:
            diffs.append(f"{tag} warnings {_first_diff(a['warnings'], b['warnings'])}")
        if a["stdout"] != b["stdout"]:
            diffs.append(f"{tag} stdout {a['stdout']!r:.200} vs {b['stdout']!r:.200}")
    if list(ref.tensors) != list(got.tensors):
        diffs.append(f"state_dict keys {_first_diff(list(ref.tensors), list(got.tensors))}")
    bad_t = [
        k
        for k in ref.tensors
        if k in got.tensors and not _same_tensor(ref.tensors[k], got.tensors[k])
    ]
    if bad_t:
        diffs.append(f"tensors differ: {bad_t[:5]} ({len(bad_t)} of {len(ref.tensors)})")
    if ref.is_init != got.is_init:
        bad = [k for k in ref.is_init if ref.is_init.get(k) != got.is_init.get(k)]
        diffs.append(
            f"is_init differs at {bad[:5]}: {[ref.is_init.get(k) for k in bad[:5]]} "
            f"vs {[got.is_init.get(k) for k in bad[:5]]}"
        )
    if ref.leftover != got.leftover:
        bad = [k for k in ref.leftover if ref.leftover.get(k) != got.leftover.get(k)]
        diffs.append(
            f"_params_init_info left on {bad[:5]}: {[ref.leftover.get(k) for k in bad[:5]]}"
            f" vs {[got.leftover.get(k) for k in bad[:5]]}"
        )
    return diffs


def run_case(
    case: dict[str, Any],
    ref_lib: Any,
    test_lib: Any,
    capture: LogCapture,
    ckpt_dir: str,
    tag: str = "case",
) -> list[str]:
    """Run ``case`` with ``ref_lib`` (reference) and ``test_lib``; return the differences.

    In a mixed case the test side builds swapped nodes with ``ref_lib``, so an
    upstream parent gets mminit children and the reverse.
    """
    root = write_checkpoints(case["root"], ckpt_dir, tag, lambda node: ref_lib)
    ref = run_side(case, root, ref_lib, ref_lib, capture)
    got = run_side(case, root, test_lib, ref_lib, capture)
    return compare(ref, got)
