"""Session-wide state of the real-model tests: one migrated copy per package, one run
of each (original, migrated) pair, shared by every test that needs it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compat_tests.libs import missing_upstream
from compat_tests.real_models import harness


class RealModels:
    def __init__(self, base: Path) -> None:
        self.base = base
        self._roots: dict[str, Path] = {}
        self._pairs: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}

    def root(self, package: str) -> Path:
        if harness.package_dir(package) is None:
            missing_upstream(f"{package} is not installed (tools/setup_envs.sh installs it "
                             f"in the {harness.FLAVOUR[package]} environment)")
        if package not in self._roots:
            self._roots[package] = harness.migrated_copy(package, self.base)
        return self._roots[package]

    def pair(self, package: str, engine: str = "upstream"
             ) -> tuple[dict[str, Any], dict[str, Any]]:
        key = (package, engine)
        if key not in self._pairs:
            root = self.root(package)
            self._pairs[key] = harness.run_pair(package, root, self.base / f"{package}-{engine}",
                                                engine)
        return self._pairs[key]


@pytest.fixture(scope="session")
def real_models(tmp_path_factory: pytest.TempPathFactory) -> RealModels:
    return RealModels(tmp_path_factory.mktemp("real-models"))
