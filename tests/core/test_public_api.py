"""The lazy front door: ``import mminit`` is cheap and exposes exactly ``mminit._public``."""

from __future__ import annotations

import subprocess
import sys

import mminit
import mminit._public as public


def test_lazy_all_matches_public_all() -> None:
    assert sorted(mminit.__all__) == sorted(public.__all__)


def test_every_public_name_resolves_to_the_same_object() -> None:
    for name in mminit.__all__:
        assert getattr(mminit, name) is getattr(public, name), name


def test_module_classes_keep_the_mminit_module_name() -> None:
    assert mminit.BaseModule.__module__ == "mminit"


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        mminit.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_import_mminit_does_not_import_torch() -> None:
    code = "import sys, mminit; print('torch' in sys.modules, mminit.__version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "False", out.stdout


def test_star_import_gives_every_public_name() -> None:
    code = "from mminit import *; import mminit; g = globals(); print(all(n in g for n in mminit.__all__))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True", out.stdout + out.stderr
