"""Inside an upstream program, mminit's records land on upstream's logger."""

from __future__ import annotations

import pytest
from torch import nn

from .libs import recording, requested_flavours

FLAVOURS = requested_flavours()


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_records_land_on_upstream_logger(flavour):
    if flavour == "mmengine":
        from mmengine.logging import MMLogger

        import mminit as ours

        upstream_logger = MMLogger.get_instance("mminit_compat_run", log_level="INFO")
    else:
        from mmcv.utils import get_logger

        import mminit.mmcv1 as ours

        upstream_logger = get_logger("mmcv")
    with recording(upstream_logger) as records:
        ours.Sequential(
            nn.Linear(2, 2), init_cfg=dict(type="Constant", val=1, layer="Linear")
        ).init_weights()
    assert any("ConstantInit: val=1, bias=0" in m for _, m in records)
