"""The run configuration: what a plain ``python -m pytest`` runs is what CI runs.

The root ``conftest.py`` keeps some paths to one flavour and takes the flavour from the
installed upstream; ``tools/test_all.sh`` names each venv's flavour. These must agree.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from types import ModuleType

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the backport (the dev extra installs it)
    import tomli as tomllib

import pytest

from compat_tests.libs import UPSTREAM_OF, environment_flavour, requested_flavours, skip_unless_ci

ROOT = Path(__file__).resolve().parent.parent


def _root_conftest() -> ModuleType:
    # loaded from its file: pytest's own module named "conftest" may be another directory's
    spec = importlib.util.spec_from_file_location("_mminit_root_conftest", ROOT / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_path_kept_to_a_flavour_exists_under_a_testpath() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    testpaths = config["tool"]["pytest"]["ini_options"]["testpaths"]
    table = _root_conftest().ONLY_IN
    assert table
    for path, flavours in table.items():
        assert (ROOT / path).exists(), path
        assert any(path == top or path.startswith(f"{top}/") for top in testpaths), path
        assert flavours and flavours <= set(UPSTREAM_OF), (path, flavours)


def test_the_flavour_defaults_to_the_installed_upstream(monkeypatch: pytest.MonkeyPatch) -> None:
    assert os.environ.get("MMINIT_COMPAT_FLAVOURS"), "the root conftest.py sets it for every run"
    monkeypatch.delenv("MMINIT_COMPAT_FLAVOURS")
    assert requested_flavours() == [environment_flavour()]
    monkeypatch.setenv("MMINIT_COMPAT_FLAVOURS", " mmcv1 , mmengine,")
    assert requested_flavours() == ["mmcv1", "mmengine"]


def test_ci_names_the_flavour_each_venv_would_find() -> None:
    """tools/test_all.sh names each venv's flavours; a plain pytest there finds the same."""
    script = (ROOT / "tools" / "test_all.sh").read_text()
    found = re.findall(
        r"MMINIT_COMPAT_FLAVOURS=([\w,]+) (\.venv[\w-]*)/bin/python -m pytest", script
    )
    named = {venv: flavours for flavours, venv in found}
    assert {f for flavours in named.values() for f in flavours.split(",")} == set(UPSTREAM_OF), (
        named
    )
    conftest = _root_conftest()
    assert set(conftest.VENVS) <= set(named), (sorted(conftest.VENVS), named)
    here = Path(sys.prefix).name
    if here not in named:
        skip_unless_ci(
            f"not one of CI's venvs ({here}); CI's: {sorted(named)}",
            "CI runs in the venvs tools/test_all.sh names",
        )
    default = conftest.VENVS.get(here, {}).get("MMINIT_COMPAT_FLAVOURS") or environment_flavour()
    assert named[here] == default


def test_what_a_venv_leaves_out_is_named_with_a_reason() -> None:
    conftest = _root_conftest()
    assert conftest.NOT_IN
    for path, (venvs, why) in conftest.NOT_IN.items():
        assert (ROOT / path).exists(), path
        assert venvs and venvs <= set(conftest.VENVS), (path, venvs)
        assert len(why) > 20, path
