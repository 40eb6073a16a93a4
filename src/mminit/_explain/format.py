"""The human view of an :class:`~mminit._explain.plan.InitPlan`: one line per run of identical plans.

``blocks.0.attn.qkv.weight`` ... ``blocks.11.attn.qkv.weight`` with the same
init-info string and the same source (up to that index) print as one line,
``blocks.0-11.attn.qkv.weight: TruncNormalInit: ... (from ...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .plan import InitPlan, TensorPlan

__all__ = ["format_plan"]


def _line_of(t: TensorPlan) -> str:
    if t.kind == "buffer":
        what = "buffer, " + t.source
    else:
        what = (
            f"{t.info.strip() if t.info else '?'} (from {t.source})"
            if t.origin not in ("default", "unchanged")
            else f"{t.source}"
        )
    if t.shadowed:
        what += f"; shadows {len(t.shadowed)}: " + "; ".join(
            f"{s.info.split(':')[0] if s.info else s.via} from {s.describe()}" for s in t.shadowed
        )
    return what


def _ranges(values: list[int]) -> str:
    out, i = [], 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        out.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ",".join(out)


def format_plan(plan: InitPlan, buffers: bool = False) -> str:
    header = (
        f"{plan.model} ({', '.join(plan.flavours) or 'no BaseModule'}): "
        f"{sum(t.kind == 'parameter' for t in plan.tensors)} parameters, "
        f"{sum(t.kind == 'buffer' for t in plan.tensors)} buffers, "
        f"{sum(t.uncovered for t in plan.tensors if t.kind == 'parameter')} parameters keep their value"
    )
    lines = [header]
    if plan.error:
        lines.append(f"init_weights would raise {plan.error}")
    groups: dict[tuple[str, str], list[int]] = {}
    for t in plan.tensors:
        if t.kind == "buffer" and not buffers:
            continue
        parts = t.name.split(".")
        line = _line_of(t)
        pos = next((i for i, x in enumerate(parts) if x.isdigit()), None)
        if pos is None:
            groups[(t.name, line)] = []
            continue
        # the first index made a placeholder, in the name and in module paths of the line
        prefix = ".".join(parts[: pos + 1])
        key_line = line.replace(f"'{prefix}'", "'{#}'").replace(f"'{prefix}.", "'{#}.")
        key = (".".join(parts[:pos] + ["{#}"] + parts[pos + 1 :]), key_line)
        groups.setdefault(key, []).append(int(parts[pos]))
    for (name, line), indices in groups.items():
        if not indices:
            lines.append(f"  {name}: {line}")
            continue
        span = _ranges(sorted(set(indices)))
        prefix_of = name.split("{#}")[0]
        lines.append(
            f"  {name.replace('{#}', span)}: " + line.replace("'{#}", "'" + prefix_of + span)
        )
    if plan.lints:
        lines.append(f"{len(plan.lints)} lint(s):")
        lines.extend(f"  {lint}" for lint in plan.lints)
    return "\n".join(lines)
