"""load_state_dict against torch's own notion of a match, on generated key sets (hypothesis).

For any subset of a model's keys plus any extra keys, mminit loads exactly the
tensors ``nn.Module.load_state_dict(strict=False)`` loads, and its report names
exactly torch's missing keys (less ``num_batches_tracked``) and unexpected keys,
in both flavours.  The report's wording against upstream is compat_tests' job.
"""

from __future__ import annotations

import re

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st
from torch import nn

from mminit._checkpoint import load_state_dict
from mminit._flavour import MMCV1, MMENGINE, Flavour

FLAVOURS = [pytest.param(MMENGINE, id="mmengine"), pytest.param(MMCV1, id="mmcv1")]


def _model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(2, 3),
        nn.Sequential(nn.BatchNorm1d(3), nn.Linear(3, 1)),
    )


KEYS = sorted(_model().state_dict())
EXTRA = st.sampled_from(["x", "0.extra", "1.0.extra", "1.2.weight", "2.bias", "head.w"])


def _listed(report: str, label: str) -> set[str]:
    found = re.search(rf"^{label} in source state_dict: (.*)$", report, flags=re.MULTILINE)
    return set(found.group(1).split(", ")) if found else set()


@pytest.mark.parametrize("flavour", FLAVOURS)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kept=st.sets(st.sampled_from(KEYS)), extra=st.sets(EXTRA, max_size=3))
def test_loads_and_reports_what_torch_would(
    flavour: Flavour, kept: set[str], extra: set[str], capsys: pytest.CaptureFixture[str]
) -> None:
    source = {
        key: torch.full_like(value, 7)
        for key, value in _model().state_dict().items()
        if key in kept
    }
    source.update({key: torch.zeros(1) for key in extra})

    torch.manual_seed(0)
    expected = _model()
    incompatible = expected.load_state_dict(source, strict=False)
    torch.manual_seed(0)
    mine = _model()
    capsys.readouterr()
    load_state_dict(mine, source, flavour=flavour)
    report = capsys.readouterr().out

    theirs = expected.state_dict()
    assert mine.state_dict().keys() == theirs.keys()
    assert all(torch.equal(value, theirs[key]) for key, value in mine.state_dict().items())
    missing = {k for k in incompatible.missing_keys if "num_batches_tracked" not in k}
    assert _listed(report, "missing keys") == missing
    assert _listed(report, "unexpected key") == set(incompatible.unexpected_keys)
    assert (report == "") is (not missing and not incompatible.unexpected_keys)
