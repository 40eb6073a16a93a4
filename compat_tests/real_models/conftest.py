"""Session-wide state of the real-model tests: one migrated copy per package and one run
of its sides (:func:`harness.run_sides`), shared by every test that needs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compat_tests.libs import INSTALL_HINT, missing_upstream
from compat_tests.real_models import harness


class RealModels:
    def __init__(self, base: Path) -> None:
        self.base = base
        self._roots: dict[tuple[str, bool], Path] = {}
        self._results: dict[str, dict[str, dict[str, Any]]] = {}

    def root(self, package: str, *, bricks: bool = False) -> Path:
        """The migrated copy of *package* (``mminit migrate``, with ``--bricks`` if *bricks*)."""
        if harness.package_dir(package) is None:
            missing_upstream(
                f"{package} is not installed: {INSTALL_HINT[harness.FLAVOUR[package]]}"
            )
        if (package, bricks) not in self._roots:
            self._roots[package, bricks] = harness.migrated_copy(package, self.base, bricks=bricks)
        return self._roots[package, bricks]

    def results(self, package: str, engine: str = "upstream") -> dict[str, Any]:
        """``{model: summary}`` of original vs migrated (``harness.summary``) for one of
        ``harness.ENGINES``."""
        if package not in self._results:
            roots = {bricks: self.root(package, bricks=bricks) for bricks in (False, True)}
            self._results[package] = harness.run_sides(package, roots, self.base / package)
        return self._results[package][engine]


@pytest.fixture(scope="session")
def real_models(tmp_path_factory: pytest.TempPathFactory) -> RealModels:
    return RealModels(tmp_path_factory.mktemp("real-models"))
