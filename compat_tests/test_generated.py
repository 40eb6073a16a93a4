"""Generated differential cases: upstream vs mminit, bit for bit.

Environment:
    MMINIT_COMPAT_CASES     cases per flavour (default 2000)
    MMINIT_COMPAT_SEED      run seed (default: random; printed and in failures)
    MMINIT_COMPAT_FLAVOURS  comma list of flavours to test (default: every flavour
                            whose upstream is importable here)
    CI                      when "true", a missing upstream fails instead of skipping
"""

from __future__ import annotations

import os

import pytest

from compat_tests.libs import INSTALL_HINT, UPSTREAM_OF, missing_upstream, upstream_available
from compat_tests.suite import default_seed, format_failure, run_flavour

SEED = default_seed()
CASES = int(os.environ.get("MMINIT_COMPAT_CASES", "2000"))
SHOWN = 3


def _flavours() -> list[str]:
    requested = os.environ.get("MMINIT_COMPAT_FLAVOURS")
    if requested:
        return [f.strip() for f in requested.split(",") if f.strip()]
    found = [f for f in UPSTREAM_OF if upstream_available(f) is None]
    return found or list(UPSTREAM_OF)


def _missing(flavour: str) -> None:
    if flavour not in UPSTREAM_OF:
        pytest.fail(f"unknown flavour {flavour!r}; choose from {sorted(UPSTREAM_OF)}")
    why = upstream_available(flavour)
    if why is None:
        return
    msg = (f"upstream for flavour {flavour!r} is not importable ({why}); "
           f"install it to run the compat suite: {INSTALL_HINT[flavour]}")
    missing_upstream(msg)


@pytest.mark.parametrize("flavour", _flavours())
def test_generated_cases_match_upstream(flavour: str) -> None:
    _missing(flavour)
    print(f"\ncompat {flavour}: seed {SEED}, {CASES} cases")
    result = run_flavour(flavour, CASES, SEED, shrink_first=SHOWN)
    if result.failures:
        shown = "\n\n".join(format_failure(SEED, i, case, diffs)
                            for i, case, diffs in result.failures[:SHOWN])
        pytest.fail(f"{result.summary} (seed {SEED}); first {min(SHOWN, len(result.failures))}, "
                    f"shrunk:\n\n{shown}", pytrace=False)
