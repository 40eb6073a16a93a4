"""Summaries of a migration run: the closing text lines and the JSON report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from ._discover import Discovery
from ._files import FileResult
from ._leftovers import count_leftovers

__all__ = ["UNRESOLVED_REASONS", "build_report", "plural", "summary_lines", "unresolved"]

#: Notes that mean something is left to migrate by hand (``--check`` fails on them);
#: the other notes are names kept upstream on purpose (a general builder, a parent registry).
UNRESOLVED_REASONS = frozenset(
    {"star-import", "string-reference", "ambiguous-binding", "assignment-target"}
)
#: How many leftover names the summary lists (all of them are in --report).
SHOWN_LEFTOVERS = 10


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _counts(results: Sequence[FileResult]) -> Counter[str]:
    return Counter(r.status for r in results)


def moved_per_target(results: Sequence[FileResult]) -> dict[str, int]:
    """Names moved per mminit module, in files that were (or would be) changed."""
    counts: Counter[str] = Counter()
    for result in results:
        if result.status == "changed":
            counts.update(move.target for move in result.moves)
    return dict(sorted(counts.items()))


def unresolved(results: Sequence[FileResult]) -> list[tuple[str, int, str]]:
    """``(path, line, detail)`` of everything left to migrate that was not rewritten."""
    return [
        (r.path, n.line, n.detail)
        for r in results
        for n in r.notes
        if n.reason in UNRESOLVED_REASONS
    ]


def _leftovers(results: Sequence[FileResult]) -> tuple[dict[str, int], dict[str, int]]:
    return count_leftovers(r.leftovers for r in results if r.status != "failed")


def summary_lines(
    results: Sequence[FileResult], mode: str, skipped: Mapping[str, int] | None = None
) -> list[str]:
    """Human-readable closing summary (files scanned / changed / left alone / failed ...)."""
    counts = _counts(results)
    changed = "would change" if mode != "write" else "changed"
    left = counts["unchanged"] + counts["not-parsed"]
    lines = [
        (
            f"mminit migrate: {plural(len(results), 'file')} scanned, {counts['changed']} {changed}, "
            f"{left} left alone ({counts['not-parsed']} without any mention of mmcv/mmengine, "
            f"not parsed), {counts['failed']} failed"
        ),
    ]
    skipped = {k: v for k, v in (skipped or {}).items() if v}
    if skipped:
        lines.append(
            f"skipped: {plural(sum(skipped.values()), '.py file')} ("
            + ", ".join(f"{n} {why}" for why, n in sorted(skipped.items()))
            + ")"
        )
    moved = moved_per_target(results)
    if moved:
        lines.append("names moved: " + ", ".join(f"{n} to {t}" for t, n in moved.items()))
    notes = sum(len(r.notes) for r in results)
    if notes:
        lines.append(
            f"left alone on purpose: {plural(notes, 'place')} (listed above and in --report)"
        )
    todo = unresolved(results)
    if todo:
        lines.append(
            f"left to migrate by hand: {plural(len(todo), 'place')} (star imports, "
            "strings, ambiguous or assigned names; --check fails while any remain)"
        )
    sites, _ = _leftovers(results)
    if sites:
        shown = list(sites)[:SHOWN_LEFTOVERS]
        more = len(sites) - len(shown)
        verb = "still come" if mode == "write" else "would still come"
        lines.append(
            f"{plural(len(sites), 'name')} {verb} from mmcv/mmengine (imports, in "
            f"{plural(sum(1 for r in results if r.leftovers and r.status != 'failed'), 'file')}): "
            + ", ".join(f"{name} {sites[name]}" for name in shown)
            + (f", and {more} more (see --report)" if more else "")
        )
    return lines


def build_report(
    results: Sequence[FileResult],
    mode: str,
    found: Discovery | None = None,
    stale: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """Everything changed, moved, left alone, skipped and failed, as JSON-ready data."""
    counts = _counts(results)
    sites, files = _leftovers(results)
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
            "skipped": dict(sorted((found.skipped_counts if found else Counter()).items())),
            "unresolved": len(unresolved(results)),
        },
        "changed": [
            {"path": r.path, "moves": [asdict(m) for m in r.moves]}
            for r in results
            if r.status == "changed"
        ],
        "left_alone": [
            {"path": r.path, **asdict(note), "unresolved": note.reason in UNRESOLVED_REASONS}
            for r in results
            for note in r.notes
        ],
        "failed": [{"path": r.path, "reason": r.error} for r in results if r.status == "failed"],
        "skipped": [{"path": p, "reason": why} for p, why in (found.skipped if found else [])],
        "stale_temporaries": list(stale),
        "warnings": [{"path": r.path, "warning": w} for r in results for w in r.warnings],
        "still_from_upstream": [
            {
                "name": name,
                "imports": n,
                "files": files[name],
                "paths": sorted(r.path for r in results if name in r.leftovers),
            }
            for name, n in sites.items()
        ],
    }
