"""Helpers that only mention mmcv in text; the migration must leave this file alone."""

# Ported from mmcv.cnn.utils.flops_counter (a comment, not an import).
UPSTREAM = "mmcv.cnn"


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())
