"""Exception types of the bricks: upstream's type, with a message that says what was wrong."""

from __future__ import annotations

__all__ = ["InvalidBrickArg", "LayerTypeNotAName", "SpatialRangeNeedsKnownChannels"]


class InvalidBrickArg(AssertionError, TypeError):
    """An argument upstream checks with ``assert`` (``ConvModule``'s ``order``, a cfg
    that is not a dict, ``postfix``, GroupNorm without ``num_groups``).

    A subclass of ``AssertionError`` (upstream's type) and ``TypeError``, raised
    explicitly so the check survives ``python -O``.
    """


class LayerTypeNotAName(AttributeError, TypeError):
    """mmcv 1.x: ``cfg['type']`` is not a str.  Upstream's registry calls
    ``key.find('.')`` on it and fails with ``AttributeError``; this keeps that type."""


class SpatialRangeNeedsKnownChannels(UnboundLocalError, ValueError):
    """``GeneralizedAttention(spatial_range >= 0)`` with ``in_channels`` other than 256 or
    512: upstream fails with ``UnboundLocalError`` (its map size is never set); this keeps
    that type and says why."""
