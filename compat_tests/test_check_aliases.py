"""``mminit check``'s upstream side finds the upstream counterpart of every public mminit name.

The upstream side of ``mminit check`` runs the user's migrated code with ``mminit`` (or
``mminit.mmcv1``) aliased to the upstream: each name the code imports from mminit is
looked up in the upstream modules of ``mminit._cli.check._UPSTREAM``.  A public name with an
upstream counterpart that the lookup misses makes ``check`` fail on a correct model
("no counterpart"), so every public name must resolve, except mminit's own additions.
"""

from __future__ import annotations

import importlib
import warnings

import pytest

from compat_tests.libs import INSTALL_HINT, missing_upstream, requested_flavours
from mminit._names import without_counterpart

#: public names that exist only in mminit (its engine, modes, tools, exception types): no
#: upstream counterpart (the table's topics say which; tests/core/test_public_api.py lists them)
MMINIT_ONLY = without_counterpart()
PUBLIC = {"mmengine": "mminit", "mmcv1": "mminit.mmcv1"}
#: the module whose presence says the flavour's upstream (bricks included) is installed
PROBE = {"mmengine": "mmcv.cnn.bricks.transformer", "mmcv1": "mmcv.runner"}


@pytest.mark.parametrize("flavour", requested_flavours())
def test_every_public_name_has_an_upstream_counterpart(flavour: str) -> None:
    from mminit._cli.check import _alias_module

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mmcv-lite's missing compiled ops
        try:
            importlib.import_module(PROBE[flavour])
        except ImportError as exc:
            missing_upstream(
                f"{flavour}'s upstream is not importable ({exc}): {INSTALL_HINT[flavour]}"
            )
        public = importlib.import_module(PUBLIC[flavour]).__all__
        alias = _alias_module(flavour, public)
        missing = []
        for name in public:
            if name in MMINIT_ONLY:
                with pytest.raises(AttributeError, match="has no counterpart"):
                    getattr(alias, name)
            elif not hasattr(alias, name):
                missing.append(name)
    assert not missing, f"no upstream counterpart found for {missing}"
