"""Summary line of the bricks suite: ``compat bricks <flavour>: N cases, M mismatches``."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from compat_tests.bricks.suite import BRICK_RESULTS

    for result in BRICK_RESULTS.values():
        terminalreporter.write_line(f"{result.summary} (seed {result.seed})")
