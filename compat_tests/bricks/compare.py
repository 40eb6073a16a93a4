"""Compare two :func:`~compat_tests.bricks.runner.run_case` results: upstream's and mminit's."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["diff_results"]


def _bits(t: torch.Tensor) -> torch.Tensor:
    t = t.contiguous().view(-1)
    return t.view(torch.uint8) if t.is_floating_point() else t


def _diff_value(path: str, ref: Any, got: Any, out: list[str]) -> None:
    if isinstance(ref, dict) and "error" in ref and isinstance(ref["error"], list):
        ref_type = ref["error"][0]
        if not (isinstance(got, dict) and isinstance(got.get("error"), list)):
            out.append(f"{path}: upstream raised {ref_type}, mminit did not")
        elif ref_type not in got["error"]:
            out.append(f"{path}: upstream raised {ref_type}, mminit raised {got['error'][0]}")
        return
    if isinstance(got, dict) and isinstance(got.get("error"), list) and not isinstance(ref, dict):
        out.append(f"{path}: mminit raised {got['error'][0]}, upstream did not")
        return
    if isinstance(ref, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            out.append(f"{path}: upstream gave a tensor, mminit {type(got).__name__}")
        elif ref.dtype != got.dtype or ref.shape != got.shape:
            out.append(f"{path}: {ref.dtype}{tuple(ref.shape)} vs {got.dtype}{tuple(got.shape)}")
        elif not torch.equal(_bits(ref), _bits(got)):
            out.append(
                f"{path}: values differ (max abs {(ref.double() - got.double()).abs().max():.3g})"
            )
        return
    if isinstance(ref, dict):
        if not isinstance(got, dict):
            out.append(f"{path}: upstream dict, mminit {type(got).__name__}")
            return
        if list(ref) != list(got):
            out.append(f"{path}: keys {list(ref)} vs {list(got)}")
            return
        for key in ref:
            _diff_value(f"{path}.{key}", ref[key], got[key], out)
        return
    if ref != got:
        out.append(f"{path}: {ref!r} vs {got!r}")


def diff_results(ref: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Differences, each a short line; empty when mminit matched upstream."""
    out: list[str] = []
    if "error" in ref or "error" in got:
        if "error" not in got:
            return [f"upstream raised {ref['error'][0]}, mminit built the layer"]
        if "error" not in ref:
            return [f"mminit raised {got['error'][0]}, upstream built the layer"]
        if ref["error"][0] not in got["error"]:
            return [
                f"upstream raised {ref['error'][0]}, mminit raised {got['error'][0]} (not a subclass)"
            ]
        return []
    for key in (
        "name",
        "repr",
        "classes",
        "state",
        "init",
        "train",
        "after_train",
        "eval",
        "warnings",
        "records",
    ):
        if (key in ref) != (key in got):
            out.append(f"{key}: present on {'upstream' if key in ref else 'mminit'} only")
        elif key in ref:
            _diff_value(key, ref[key], got[key], out)
    return out
