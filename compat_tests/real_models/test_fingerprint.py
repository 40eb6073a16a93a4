"""The real-model sides compare tensors by fingerprint: equal exactly when bit-identical."""

from __future__ import annotations

import torch

from compat_tests.real_models.harness import differences
from compat_tests.real_models.side import fingerprint


def _result(**tensors: torch.Tensor) -> dict:
    return {
        "error": None,
        "tensors": {k: fingerprint(v) for k, v in tensors.items()},
        "info": {},
        "records": [],
        "warnings": [],
    }


def test_equal_tensors_have_equal_fingerprints() -> None:
    x = torch.randn(3, 4)
    assert differences(_result(w=x), _result(w=x.clone())) == []
    assert fingerprint(x.t()) == fingerprint(x.t().contiguous())  # layout does not matter


def test_one_ulp_dtype_shape_and_sign_of_zero_differ() -> None:
    x = torch.randn(3, 4)
    ulp = x.clone()
    ulp.view(torch.int32)[1, 2] += 1
    for other in (ulp, x.double(), x.reshape(4, 3), x.reshape(12)):
        assert differences(_result(w=x), _result(w=other)) == ["tensor w differs"]
    zero = torch.zeros(2)
    assert fingerprint(zero) != fingerprint(-zero)  # bit for bit, not torch.equal


def test_scalars_and_bool_buffers_fingerprint() -> None:
    assert fingerprint(torch.tensor(3)) != fingerprint(torch.tensor(4))
    assert fingerprint(torch.tensor([True, False])) != fingerprint(torch.tensor([True, True]))
