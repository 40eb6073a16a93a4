"""Issue 13 item 8: an isort-clean import block stays isort-clean after the move.

ruff's isort rules (``I001``, isort's defaults, line length 79) are the oracle:
each ``before`` is clean, and so must be ``after``.  Blocks that were not sorted,
and moves that would change which of two bindings wins, keep the statement
where the old import was.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from codemod_checks import check_full_path, check_transformed

RUFF = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))


def _isort_clean(tmp_path: Path, source: str) -> bool:
    path = tmp_path / "isort_probe.py"
    path.write_text(source)
    proc = subprocess.run(
        [
            RUFF,
            "check",
            "--isolated",
            "--select",
            "I",
            "--line-length",
            "79",
            "--no-cache",
            str(path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode == 0


CASES = [
    pytest.param(
        """\
        import math

        import torch
        from mmcv.cnn import build_activation_layer, xavier_init
        from mmcv.cnn.bricks.registry import TRANSFORMER_LAYER
        from mmcv.runner.base_module import BaseModule
        from torch.nn.init import normal_

        x = math.pi
        """,
        """\
        import math

        import torch
        from mmcv.cnn import build_activation_layer
        from mmcv.cnn.bricks.registry import TRANSFORMER_LAYER
        from mminit.mmcv1 import BaseModule, xavier_init
        from torch.nn.init import normal_

        x = math.pi
        """,
        id="mmdet-transformer",
    ),
    pytest.param(
        """\
        import torch.nn as nn
        from mmcv.cnn import ConvModule, build_norm_layer, constant_init, kaiming_init
        from mmcv.utils.parrots_wrapper import _BatchNorm

        from .base_backbone import BaseBackbone
        """,
        """\
        import torch.nn as nn
        from mmcv.cnn import ConvModule, build_norm_layer
        from mmcv.utils.parrots_wrapper import _BatchNorm
        from mminit.mmcv1 import constant_init, kaiming_init

        from .base_backbone import BaseBackbone
        """,
        id="mmcls-resnet",
    ),
    pytest.param(
        """\
        from mmengine.model import BaseModule, ModuleList
        from mmengine.registry import MODELS
        from torch import nn
        """,
        """\
        from mmengine.registry import MODELS
        from mminit import BaseModule, ModuleList
        from torch import nn
        """,
        id="mmengine-model",
    ),
]


@pytest.mark.parametrize(("before", "after"), CASES)
def test_isort_clean_block_stays_clean(tmp_path: Path, before: str, after: str) -> None:
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    assert _isort_clean(tmp_path, before), "the case must start isort-clean"
    check_transformed(before, after)
    check_full_path(before, after)
    assert _isort_clean(tmp_path, after)


def test_unsorted_block_is_not_sorted() -> None:
    check_transformed(
        "from torch import nn\nfrom mmcv.cnn import constant_init\nimport os\n",
        "from torch import nn\nfrom mminit.mmcv1 import constant_init\nimport os\n",
    )


def test_move_that_changes_the_winning_binding_is_not_made() -> None:
    # The later import of constant_init wins; sorting would swap the two.
    check_transformed(
        "from mmcv.cnn import constant_init\nfrom mmengine.model import constant_init\n",
        "from mminit.mmcv1 import constant_init\nfrom mminit import constant_init\n",
    )


def test_star_import_binds_everything() -> None:
    check_transformed(
        "from mmcv.cnn import ConvModule, constant_init\nfrom mmcv.cnn import *\n",
        "from mmcv.cnn import ConvModule\nfrom mminit.mmcv1 import constant_init\n"
        "from mmcv.cnn import *\n",
    )


def test_wrapped_statement_that_now_fits_is_unwrapped() -> None:
    # isort's default grid wrapping (mmcls resnet.py); ruff wraps differently, so no oracle here.
    check_transformed(
        "import torch.nn as nn\n"
        "from mmcv.cnn import (ConvModule, build_conv_layer, build_norm_layer,\n"
        "                      constant_init)\n"
        "from mmcv.utils.parrots_wrapper import _BatchNorm\n",
        "import torch.nn as nn\n"
        "from mmcv.cnn import ConvModule, build_conv_layer, build_norm_layer\n"
        "from mmcv.utils.parrots_wrapper import _BatchNorm\n"
        "from mminit.mmcv1 import constant_init\n",
    )
