"""Before/after pairs for every import form the migration handles, each with a no-change twin."""

from __future__ import annotations

import pytest
from codemod_checks import check_noop, rewrite_tests

REWRITES = [
    pytest.param(
        "from mmcv.cnn import constant_init\n",
        "from mminit.mmcv1 import constant_init\n",
        id="single-name",
    ),
    pytest.param(
        "from mmcv.cnn import constant_init, kaiming_init\n",
        "from mminit.mmcv1 import constant_init, kaiming_init\n",
        id="multiple-names",
    ),
    pytest.param(
        "from mmcv.cnn import ConvModule, constant_init\n",
        "from mmcv.cnn import ConvModule\nfrom mminit.mmcv1 import constant_init\n",
        id="mixed-with-other-names",
    ),
    pytest.param(
        "from mmcv.cnn import constant_init, ConvModule, normal_init, build_norm_layer\n",
        "from mmcv.cnn import ConvModule, build_norm_layer\n"
        "from mminit.mmcv1 import constant_init, normal_init\n",
        id="mixed-interleaved",
    ),
    pytest.param(
        """\
        from mmcv.cnn import (ConvModule,  # noqa: F401
                              constant_init,  # noqa: F401
                              build_norm_layer)
        """,
        """\
        from mmcv.cnn import (ConvModule,  # noqa: F401
                              build_norm_layer)
        from mminit.mmcv1 import (constant_init,  # noqa: F401
        )
        """,
        id="parenthesised-with-comments",
    ),
    pytest.param(
        """\
        from mmengine.model import (
            BaseModule,
            ModuleList,  # the blocks
            Sequential,
        )
        """,
        """\
        from mminit import (
            BaseModule,
            ModuleList,  # the blocks
            Sequential,
        )
        """,
        id="parenthesised-vertical-all-move",
    ),
    pytest.param(
        """\
        from mmengine.model import (
            BaseModel,
            BaseModule,
            ModuleList,
        )
        """,
        """\
        from mmengine.model import (
            BaseModel,
        )
        from mminit import (
            BaseModule,
            ModuleList,
        )
        """,
        id="parenthesised-vertical-mixed",
    ),
    pytest.param(
        """\
        from mmcv.runner import (BaseModule,
                                 Sequential)
        """,
        """\
        from mminit.mmcv1 import (BaseModule,
                                  Sequential)
        """,
        id="visual-indent-realigned",
    ),
    pytest.param(
        """\
        from mmengine.model import (BaseModel, BaseModule,
                                    ModuleList)
        """,
        """\
        from mmengine.model import BaseModel
        from mminit import (BaseModule,
                            ModuleList)
        """,
        id="visual-indent-mixed",
    ),
    pytest.param(
        # issue 13 item 8: no single name left in parentheses (mmcls resnet.py, mmdet yolox_head.py)
        "from mmcv.cnn import (ConvModule, build_conv_layer, build_norm_layer, constant_init)\n",
        "from mmcv.cnn import (ConvModule, build_conv_layer, build_norm_layer)\n"
        "from mminit.mmcv1 import constant_init\n",
        id="single-name-loses-parentheses",
    ),
    pytest.param(
        "from mmcv.cnn import (ConvModule, constant_init,)\n",
        "from mmcv.cnn import ConvModule\nfrom mminit.mmcv1 import constant_init\n",
        id="single-names-both-sides-trailing-comma",
    ),
    pytest.param(
        "from mmcv.cnn import (constant_init)\n",
        "from mminit.mmcv1 import (constant_init)\n",
        id="single-name-in-parentheses-already-kept-as-written",
    ),
    pytest.param(
        "from mmcv.cnn import ConvModule, \\\n    constant_init\n",
        "from mmcv.cnn import ConvModule\nfrom mminit.mmcv1 import constant_init\n",
        id="backslash-continuation",
    ),
    pytest.param(
        "from mmcv.cnn import constant_init, \\\n    kaiming_init\n",
        "from mminit.mmcv1 import constant_init, \\\n    kaiming_init\n",
        id="backslash-continuation-all-move",
    ),
    pytest.param(
        "from mmcv.cnn import ConvModule as CM, constant_init as ci\n",
        "from mmcv.cnn import ConvModule as CM\nfrom mminit.mmcv1 import constant_init as ci\n",
        id="as-alias",
    ),
    pytest.param(
        "from mmcv.cnn import constant_init  # noqa: F401\n",
        "from mminit.mmcv1 import constant_init  # noqa: F401\n",
        id="trailing-comment",
    ),
    pytest.param(
        """\
        def init_weights(self):
            from mmcv.cnn import ConvModule, kaiming_init
            kaiming_init(self.conv)
        """,
        """\
        def init_weights(self):
            from mmcv.cnn import ConvModule
            from mminit.mmcv1 import kaiming_init
            kaiming_init(self.conv)
        """,
        id="inside-function",
    ),
    pytest.param(
        """\
        def build():
            from mmcv.cnn import (ConvModule,  # noqa: F401
                                  constant_init)
        """,
        """\
        def build():
            from mmcv.cnn import (ConvModule,  # noqa: F401
            )
            from mminit.mmcv1 import constant_init
        """,
        id="inside-function-parenthesised-comment",
    ),
    pytest.param(
        """\
        try:
            from mmcv.runner import BaseModule
        except ImportError:
            from torch.nn import Module as BaseModule
        """,
        """\
        try:
            from mminit.mmcv1 import BaseModule
        except ImportError:
            from torch.nn import Module as BaseModule
        """,
        id="try-except-fallback",
    ),
    pytest.param(
        """\
        try:
            from mmengine.model import BaseModule
        except ImportError:
            from mmcv.runner import BaseModule
        """,
        """\
        try:
            from mminit import BaseModule
        except ImportError:
            from mminit.mmcv1 import BaseModule
        """,
        id="try-mmengine-except-mmcv",
    ),
    pytest.param(
        """\
        import sys
        if sys.version_info >= (3, 8):
            from mmengine.model import trunc_normal_init
        """,
        """\
        import sys
        if sys.version_info >= (3, 8):
            from mminit import trunc_normal_init
        """,
        id="if-block",
    ),
    pytest.param(
        "if True: from mmcv.cnn import normal_init, ConvModule\n",
        "if True: from mmcv.cnn import ConvModule; from mminit.mmcv1 import normal_init\n",
        id="one-line-suite",
    ),
    pytest.param(
        "if True: \\\n    from mmcv.cnn import normal_init, ConvModule\n",
        "if True: \\\n    from mmcv.cnn import ConvModule; from mminit.mmcv1 import normal_init\n",
        id="one-line-suite-after-backslash",
    ),
    pytest.param(
        "import os; from mmcv.cnn import constant_init, ConvModule\n",
        "import os; from mmcv.cnn import ConvModule\nfrom mminit.mmcv1 import constant_init\n",
        id="semicolon-line",
    ),
    pytest.param(
        "from mmcv.cnn import constant_init\nfrom mmcv.cnn.utils.weight_init import constant_init\n",
        "from mminit.mmcv1 import constant_init\n",  # one statement, as isort merges them
        id="same-name-two-paths",
    ),
    pytest.param(
        "from mmcv.cnn import constant_init\nfrom mmengine.model import constant_init\n",
        "from mminit.mmcv1 import constant_init\nfrom mminit import constant_init\n",
        id="same-name-two-flavours-order-kept",
    ),
    pytest.param(
        "from mmengine.model.weight_init import trunc_normal_\n"
        "from timm.models.layers import trunc_normal_\n",
        "from mminit import trunc_normal_\nfrom timm.models.layers import trunc_normal_\n",
        id="later-import-still-wins",
    ),
    pytest.param(
        "from mmcv.ops.carafe import CARAFEPack, normal_init, xavier_init\n",
        "from mmcv.ops.carafe import CARAFEPack\nfrom mminit.mmcv1 import normal_init, xavier_init\n",
        id="re-export-mmcv.ops.carafe",
    ),
    pytest.param(
        "from mmcv.cnn.bricks.transformer import FFN, BaseModule, ModuleList\n",
        "from mmcv.cnn.bricks.transformer import FFN\nfrom mminit.mmcv1 import BaseModule, ModuleList\n",
        id="re-export-mmcv.cnn.bricks.transformer",
    ),
    pytest.param(
        """\
        from mmengine.model import PretrainedInit

        model = dict(
            type='ViT',
            init_cfg=dict(type=PretrainedInit, checkpoint='vit.pth'),
        )
        """,
        """\
        from mminit import PretrainedInit

        model = dict(
            type='ViT',
            init_cfg=dict(type=PretrainedInit, checkpoint='vit.pth'),
        )
        """,
        id="pure-python-config",
    ),
    pytest.param(
        """\
        from mmengine.model import BaseModule, ModuleList
        from .vit import ViT

        __all__ = ['BaseModule', 'ModuleList', 'ViT']
        """,
        """\
        from mminit import BaseModule, ModuleList
        from .vit import ViT

        __all__ = ['BaseModule', 'ModuleList', 'ViT']
        """,
        id="all-re-export",
    ),
]


# check_transformed, check_full_path and the other-library twin, for every row above.
(
    test_rewrites,
    test_rewrites_through_the_libcst_codemod,
    test_twin_from_other_library_is_unchanged,
) = rewrite_tests(REWRITES)


NOOPS = [
    pytest.param("from mmcv.cnn import ConvModule, build_norm_layer\n", id="only-other-names"),
    pytest.param("from mmengine.model import trunc_normal_\n", id="name-not-exposed-by-module"),
    pytest.param("from mmcv.runner import constant_init\n", id="name-not-exposed-by-runner"),
    pytest.param("from ..cnn import constant_init\n", id="relative-import"),
    pytest.param("from .weight_init import trunc_normal_, initialize\n", id="relative-own-helpers"),
    pytest.param("from timm.models.layers import trunc_normal_\n", id="timm-trunc-normal"),
    pytest.param("from torch.nn.init import trunc_normal_\n", id="torch-trunc-normal"),
    pytest.param(
        "import torch.nn as nn\nnn.init.kaiming_normal_(w)\nnn.init.constant_(b, 0)\n",
        id="nn-init",
    ),
    pytest.param(
        "import deepspeed\nengine, *_ = deepspeed.initialize(model=model)\n",
        id="deepspeed-initialize",
    ),
    pytest.param(
        "def initialize(model):\n    return model\n\ninitialize(net)\n", id="own-initialize"
    ),
    pytest.param(
        "import mmcv\nself.conv.kaiming_init = True\nx = self.kaiming_init\n",
        id="attribute-sharing-a-name",
    ),
    pytest.param(
        "from torch import nn\nlayers = nn.Sequential(nn.ModuleList(), nn.ModuleDict())\n",
        id="nn-sequential-modulelist",
    ),
    pytest.param(
        """\
        from mmaction.registry import WEIGHT_INITIALIZERS

        @WEIGHT_INITIALIZERS.register_module()
        class MyInit:
            pass
        """,
        id="downstream-registry",
    ),
    pytest.param('x = "from mmcv.cnn import constant_init"\n', id="string-with-import-text"),
    pytest.param("mmcv = load()\nmmcv.cnn.kaiming_init(m)\n", id="local-variable-named-mmcv"),
    pytest.param("from mminit.mmcv1 import constant_init\n", id="already-migrated"),
    pytest.param("import mmengine\nmmengine.model.BaseModule = object\n", id="assignment-target"),
]


@pytest.mark.parametrize("src", NOOPS)
def test_noops(src: str) -> None:
    check_noop(src)
