"""``bias_init_with_prob``: numpy's log where numpy imports (the parity against upstream
over 20,000 probabilities is ``compat_tests/test_core_initializers.py``), and a
``math.log`` fallback without numpy that keeps numpy's results and warnings at the edges."""

from __future__ import annotations

import sys
import warnings

import pytest

from mminit import bias_init_with_prob


def _call(p: float) -> tuple[str, list[tuple[str, str]]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = bias_init_with_prob(p)
    return repr(value), [(w.category.__name__, str(w.message)) for w in caught]


@pytest.mark.parametrize("p", [0.01, 0.5, 1.0, 1.5, 1e-7])
def test_without_numpy_the_edges_match_numpy(p, monkeypatch):
    with_numpy = _call(p)
    monkeypatch.setitem(sys.modules, "numpy", None)  # `import numpy` now raises ImportError
    without = _call(p)
    assert without[1] == with_numpy[1]
    if p in (0.01, 0.5, 1.0, 1.5):  # exact in both logs (or inf/nan)
        assert without[0] == with_numpy[0]
    else:
        assert float(without[0]) == pytest.approx(float(with_numpy[0]), rel=1e-15)


def test_zero_raises_like_upstream():
    with pytest.raises(ZeroDivisionError):
        bias_init_with_prob(0)
