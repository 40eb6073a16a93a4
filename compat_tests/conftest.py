"""pytest hooks of the compat suite: the seed and one summary line per flavour at the end."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from compat_tests.suite import RESULTS

    seeds = sorted({result.seed for result in RESULTS.values()})
    if seeds:
        terminalreporter.write_line(
            f"compat seed {', '.join(map(str, seeds))} (set MMINIT_COMPAT_SEED to replay)"
        )
    for result in RESULTS.values():
        terminalreporter.write_line(result.summary)
