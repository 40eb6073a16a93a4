"""Summaries of a migration run: the closing text lines and the JSON report."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from mminit_codemods._files import FileResult

__all__ = ["build_report", "summary_lines", "write_report"]


def _counts(results: Sequence[FileResult]) -> Counter[str]:
    return Counter(r.status for r in results)


def moved_per_target(results: Sequence[FileResult]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for result in results:
        counts.update(move.target for move in result.moves)
    return dict(sorted(counts.items()))


def summary_lines(results: Sequence[FileResult], mode: str) -> list[str]:
    """Human-readable closing summary (files scanned / changed / left alone / failed)."""
    counts = _counts(results)
    changed = "would change" if mode != "write" else "changed"
    left = counts["unchanged"] + counts["not-parsed"]
    lines = [
        (f"mminit migrate: {len(results)} files scanned, {counts['changed']} {changed}, "
        f"{left} left alone ({counts['not-parsed']} without any mention of mmcv/mmengine, "
        f"not parsed), {counts['failed']} failed"),
    ]
    moved = moved_per_target(results)
    if moved:
        lines.append("names moved: " + ", ".join(f"{n} to {t}" for t, n in moved.items()))
    notes = sum(len(r.notes) for r in results)
    if notes:
        lines.append(f"left alone on purpose: {notes} places (listed above and in --report)")
    return lines


def build_report(results: Sequence[FileResult], mode: str) -> dict[str, Any]:
    """Everything changed, moved, left alone on purpose and failed, as JSON-ready data."""
    counts = _counts(results)
    return {
        "tool": "mminit migrate",
        "mode": mode,
        "summary": {
            "scanned": len(results),
            "changed": counts["changed"],
            "unchanged": counts["unchanged"],
            "not_parsed": counts["not-parsed"],
            "failed": counts["failed"],
            "moved": moved_per_target(results),
        },
        "changed": [
            {"path": r.path, "moves": [asdict(m) for m in r.moves]}
            for r in results if r.status == "changed"
        ],
        "left_alone": [
            {"path": r.path, **asdict(note)} for r in results for note in r.notes
        ],
        "failed": [{"path": r.path, "reason": r.error} for r in results if r.status == "failed"],
    }


def write_report(path: str, report: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
        handle.write("\n")
