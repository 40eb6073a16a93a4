"""After an exception the bookkeeping stays behind, as upstream's does; a second call reuses it."""

from __future__ import annotations

import pytest
from torch import nn

import mminit
import mminit.mmcv1


@pytest.mark.parametrize("mod", [mminit, mminit.mmcv1], ids=["mminit", "mmcv1"])
@pytest.mark.parametrize("mode", ["compat", "eager"])
def test_second_call_after_exception_raises_the_same(mod, mode):
    class Neck(mod.BaseModule):
        def __init__(self):
            super().__init__(
                dict(type="Constant", val=0, override=dict(type="Xavier", name="nope"))
            )
            self.fc = nn.Linear(2, 2)

    m = Neck()
    for _ in range(2):
        with pytest.raises(RuntimeError, match="nope"), mod.init_mode(mode):
            m.init_weights()
    table = m._params_init_info
    assert all("tmp_mean_value" in entry for entry in table.values())
