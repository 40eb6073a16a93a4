"""Generated differential cases: upstream vs mminit, bit for bit.

Environment:
    MMINIT_COMPAT_CASES     cases per flavour (default 2000)
    MMINIT_COMPAT_SEED      run seed (default: random; printed and in failures)
    MMINIT_COMPAT_FLAVOURS  comma list of flavours to test (default: the environment's,
                            compat_tests.libs.requested_flavours)
    CI                      when "true", a missing upstream fails instead of skipping
"""

from __future__ import annotations

import os

import pytest

from compat_tests.libs import (
    INSTALL_HINT,
    UPSTREAM_OF,
    missing_upstream,
    requested_flavours,
    upstream_available,
)
from compat_tests.suite import default_seed, format_failure, run_flavour

SEED = default_seed()
CASES = int(os.environ.get("MMINIT_COMPAT_CASES", "2000"))
SHOWN = 3


def _missing(flavour: str) -> None:
    if flavour not in UPSTREAM_OF:
        pytest.fail(f"unknown flavour {flavour!r}; choose from {sorted(UPSTREAM_OF)}")
    why = upstream_available(flavour)
    if why is None:
        return
    msg = (
        f"upstream for flavour {flavour!r} is not importable ({why}); "
        f"install it to run the compat suite: {INSTALL_HINT[flavour]}"
    )
    missing_upstream(msg)


@pytest.mark.parametrize("flavour", requested_flavours())
def test_generated_cases_match_upstream(flavour: str) -> None:
    _missing(flavour)
    print(f"\ncompat {flavour}: seed {SEED}, {CASES} cases")
    result = run_flavour(flavour, CASES, SEED, shrink_first=SHOWN)
    if result.failures:
        shown = "\n\n".join(
            format_failure(flavour, SEED, i, case, diffs)
            for i, case, diffs in result.failures[:SHOWN]
        )
        pytest.fail(
            f"{result.summary} (seed {SEED}); first {min(SHOWN, len(result.failures))}, "
            f"shrunk:\n\n{shown}",
            pytrace=False,
        )
