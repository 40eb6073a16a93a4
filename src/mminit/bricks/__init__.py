"""Layer bricks: ``build_*_layer``, ``ConvModule`` and their registries.

One implementation for both flavours; :mod:`mminit.bricks._flavour` holds the
points where mmcv 1.7.2 (``mmcv.cnn``) and mmcv 2.2.0 differ.  The public
names are exposed by :mod:`mminit` (mmcv 2.2.0 behaviour) and
:mod:`mminit.mmcv1` (mmcv 1.7.2 behaviour); this package has no public names
of its own.
"""

from __future__ import annotations

__all__: list[str] = []
