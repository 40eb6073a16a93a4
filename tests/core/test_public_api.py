"""The public surface: ``import mminit`` is cheap and exposes exactly ``mminit._public``;
one table (``mminit._names``) lists both flavours' names; the user-facing errors are public."""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
import urllib.error

import pytest

import mminit
import mminit._public as public
from mminit._names import ROWS, public_names, without_counterpart


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


# ------------------------------------------------ one table: mminit._names
FLAVOUR_MODULES = {"mminit": "src/mminit/_public.py", "mminit.mmcv1": "src/mminit/mmcv1.py"}


def _static_bindings(path: str) -> tuple[set[str], set[str]]:
    """(names bound by ``from m import X as X`` or ``X = ...``, other top-level names)."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parents[2] / path).read_text())
    public: set[str] = set()
    helpers: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                (public if alias.asname == alias.name else helpers).add(alias.asname or alias.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            public.update(
                t.id
                for t in targets
                if isinstance(t, ast.Name)
                and t.id != "__all__"
                and not (t.id.startswith("_") and not t.id.startswith("_load_checkpoint"))
            )
    return public, helpers


@pytest.mark.parametrize("flavour", list(FLAVOUR_MODULES))
def test_all_is_the_table(flavour: str) -> None:
    module = importlib.import_module("mminit._public" if flavour == "mminit" else flavour)
    assert module.__all__ == list(public_names(flavour))
    assert len(set(module.__all__)) == len(module.__all__)


def test_lazy_front_door_all_is_the_table() -> None:
    assert mminit.__all__ == list(public_names("mminit"))


@pytest.mark.parametrize("flavour", list(FLAVOUR_MODULES))
def test_every_public_name_is_bound_statically_and_only_table_names_are(flavour: str) -> None:
    """Go-to-definition finds each name: a re-export (``from m import X as X``) or an assignment,
    never a loop over a dict; and the module re-exports nothing the table does not list."""
    public, _ = _static_bindings(FLAVOUR_MODULES[flavour])
    assert public == set(public_names(flavour))


def test_flavours_differ_only_in_the_registries_named_upstream() -> None:
    only_mminit = set(public_names("mminit")) - set(public_names("mminit.mmcv1"))
    only_mmcv1 = set(public_names("mminit.mmcv1")) - set(public_names("mminit"))
    assert only_mminit == {"LAYERS", "LayerScale"}
    assert only_mmcv1 == {
        "CONV_LAYERS",
        "NORM_LAYERS",
        "ACTIVATION_LAYERS",
        "UPSAMPLE_LAYERS",
        "PADDING_LAYERS",
        "PLUGIN_LAYERS",
        "DROPOUT_LAYERS",
    }


def test_public_names_rejects_an_unknown_flavour() -> None:
    with pytest.raises(
        ValueError, match=r"flavour must be one of \['mminit', 'mminit.mmcv1'\], got 'mmcv'"
    ):
        public_names("mmcv")  # type: ignore[arg-type]


ERRORS = {  # the user-facing errors and the upstream type each one subclasses
    "InvalidInitArg": AssertionError,
    "InitInfoError": AssertionError,
    "InvalidBrickArg": AssertionError,
    "LayerTypeNotAName": AttributeError,
    "SpatialRangeNeedsKnownChannels": UnboundLocalError,
    "UnsafeCheckpointError": pickle.UnpicklingError,
    "NotACheckpointError": pickle.UnpicklingError,
    "ChecksumError": RuntimeError,
    "DownloadError": urllib.error.URLError,
    "OfflineError": FileNotFoundError,
    "UnknownModelNameError": KeyError,
    "UnknownSchemeError": FileNotFoundError,
    "UnsupportedSourceError": ImportError,
    "InvalidSchemeArg": AssertionError,
    "PrefixNotFoundError": AssertionError,
    "FastModeWarning": UserWarning,
    "MaterializeWarning": UserWarning,
}


def test_user_facing_errors_are_exported_from_both_flavours() -> None:
    import mminit.mmcv1

    assert {name for name, _, topic in ROWS if topic == "errors"} == set(ERRORS)
    for name, upstream_type in ERRORS.items():
        assert getattr(mminit, name) is getattr(mminit.mmcv1, name), name
        assert issubclass(getattr(mminit, name), upstream_type), name
    for module in ("mminit", "mminit.mmcv1"):
        code = f"from {module} import UnsafeCheckpointError, ChecksumError, InvalidInitArg, DownloadError"
        subprocess.run([sys.executable, "-c", code], check=True)


def test_names_without_upstream_counterpart_are_the_engine_and_the_errors() -> None:
    assert without_counterpart() == {
        "InitMode",
        "init_mode",
        "clear_plan_cache",
        "disable",
        "enable",
        "init_weights",
        "route",
        "explain",
        "InitPlan",
        "materialize",
        "name_keyed",
        "sharded_init",
        *ERRORS,
    }
