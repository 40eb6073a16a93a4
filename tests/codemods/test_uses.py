"""Attribute uses (``mmcv.cnn.kaiming_init``), registries and ``build_from_cfg``; what is reported."""

from __future__ import annotations

import pytest
from codemod_checks import check_noop, check_transformed, rewrite_tests

REWRITES = [
    pytest.param(
        "import mmcv\n\nmmcv.cnn.kaiming_init(conv)\n",
        "import mminit.mmcv1\n\nmminit.mmcv1.kaiming_init(conv)\n",
        id="import-mmcv-attribute-call",
    ),
    pytest.param(
        "import mmcv\n\n\nclass Head(mmcv.runner.BaseModule):\n    pass\n",
        "import mminit.mmcv1\n\n\nclass Head(mminit.mmcv1.BaseModule):\n    pass\n",
        id="import-mmcv-base-class",
    ),
    pytest.param(
        "import mmcv\n\nimg = mmcv.imread(path)\nmmcv.cnn.constant_init(bn, 1)\n",
        "import mmcv\nimport mminit.mmcv1\n\nimg = mmcv.imread(path)\nmminit.mmcv1.constant_init(bn, 1)\n",
        id="import-mmcv-still-used",
    ),
    pytest.param(
        "import mmcv.cnn\n\nmmcv.cnn.normal_init(fc, std=0.01)\n",
        "import mminit.mmcv1\n\nmminit.mmcv1.normal_init(fc, std=0.01)\n",
        id="import-mmcv.cnn-dotted",
    ),
    pytest.param(
        "import mmcv.cnn as cnn\n\ncnn.xavier_init(fc)\n",
        "import mminit.mmcv1 as cnn\n\ncnn.xavier_init(fc)\n",
        id="import-as-alias-all-moved",
    ),
    pytest.param(
        "import mmcv.cnn as cnn\n\nconv = cnn.ConvModule(3, 8, 3)\ncnn.xavier_init(fc)\n",
        "import mmcv.cnn as cnn\nimport mminit.mmcv1\n\nconv = cnn.ConvModule(3, 8, 3)\n"
        "mminit.mmcv1.xavier_init(fc)\n",
        id="import-as-alias-mixed",
    ),
    pytest.param(
        "from mmengine import model\n\n\nclass Net(model.BaseModule):\n    pass\n",
        "from mmengine import model\nimport mminit\n\n\nclass Net(mminit.BaseModule):\n    pass\n",
        id="from-package-import-submodule",
    ),
    pytest.param(
        """\
        def init(m):
            import mmcv
            mmcv.cnn.constant_init(m, 1)
        """,
        """\
        def init(m):
            import mminit.mmcv1
            mminit.mmcv1.constant_init(m, 1)
        """,
        id="attribute-inside-function",
    ),
    pytest.param(
        """\
        from mmcv.cnn import INITIALIZERS


        @INITIALIZERS.register_module()
        class MyInit:
            pass
        """,
        """\
        from mminit.mmcv1 import INITIALIZERS


        @INITIALIZERS.register_module()
        class MyInit:
            pass
        """,
        id="decorator-register-module",
    ),
    pytest.param(
        """\
        from mmengine.registry import WEIGHT_INITIALIZERS


        @WEIGHT_INITIALIZERS.register_module(name='Mine', force=True)
        class MyInit:
            pass


        WEIGHT_INITIALIZERS.register_module(module=MyInit, force=True)
        """,
        """\
        from mminit import WEIGHT_INITIALIZERS


        @WEIGHT_INITIALIZERS.register_module(name='Mine', force=True)
        class MyInit:
            pass


        WEIGHT_INITIALIZERS.register_module(module=MyInit, force=True)
        """,
        id="register-module-name-force-and-module",
    ),
    pytest.param(
        "from mmcv.cnn import INITIALIZERS\nfrom mmcv.utils import build_from_cfg\n\n"
        "fn = build_from_cfg(cfg, INITIALIZERS)\n",
        "from mminit.mmcv1 import INITIALIZERS, build_from_cfg\n\n"
        "fn = build_from_cfg(cfg, INITIALIZERS)\n",
        id="build-from-cfg-with-init-registry",
    ),
    pytest.param(
        "from mmengine.registry import WEIGHT_INITIALIZERS, build_from_cfg\n\n"
        "fn = build_from_cfg(cfg, registry=WEIGHT_INITIALIZERS)\n",
        "from mminit import WEIGHT_INITIALIZERS, build_from_cfg\n\n"
        "fn = build_from_cfg(cfg, registry=WEIGHT_INITIALIZERS)\n",
        id="build-from-cfg-registry-keyword",
    ),
    pytest.param(
        "import mmcv\n\nfn = mmcv.build_from_cfg(cfg, mmcv.cnn.INITIALIZERS)\n",
        "import mminit.mmcv1\n\nfn = mminit.mmcv1.build_from_cfg(cfg, mminit.mmcv1.INITIALIZERS)\n",
        id="build-from-cfg-attribute-form",
    ),
    pytest.param(
        "import mmcv\nimport mmcv.cnn\n\n\ndef f(m):\n    mmcv.cnn.kaiming_init(m)\n",
        "import mminit.mmcv1\n\n\ndef f(m):\n    mminit.mmcv1.kaiming_init(m)\n",
        id="root-bound-by-two-imports",
    ),
    pytest.param(
        """\
        try:
            from mmengine.registry import WEIGHT_INITIALIZERS
        except ImportError:
            from mmcv.cnn import INITIALIZERS as WEIGHT_INITIALIZERS


        @WEIGHT_INITIALIZERS.register_module()
        class MyInit:
            pass
        """,
        """\
        try:
            from mminit import WEIGHT_INITIALIZERS
        except ImportError:
            from mminit.mmcv1 import INITIALIZERS as WEIGHT_INITIALIZERS


        @WEIGHT_INITIALIZERS.register_module()
        class MyInit:
            pass
        """,
        id="registry-bound-by-two-imports",
    ),
    pytest.param(
        "from mmengine import WEIGHT_INITIALIZERS\n\nWEIGHT_INITIALIZERS.build(cfg)\n",
        "from mminit import WEIGHT_INITIALIZERS\n\nWEIGHT_INITIALIZERS.build(cfg)\n",
        id="mmengine-root-registry",
    ),
]


# check_transformed, check_full_path and the other-library twin, for every row above.
(
    test_rewrites,
    test_rewrites_through_the_libcst_codemod,
    test_twin_from_other_library_is_unchanged,
) = rewrite_tests(REWRITES)


REPORTED = [
    pytest.param("from mmcv.cnn import *\n", "star-import", 1, id="star-import"),
    pytest.param(
        "import mock\n\nwith mock.patch('mmengine.model.BaseModule.init_weights'):\n    pass\n",
        "string-reference",
        3,
        id="mock-patch-string",
    ),
    pytest.param(
        "from mmengine.registry import Registry\n"
        "from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS\n\n"
        "WEIGHT_INITIALIZERS = Registry('weight initializer', "
        "parent=MMENGINE_WEIGHT_INITIALIZERS)\n",
        "registry-parent",
        2,
        id="registry-as-parent",
    ),
    pytest.param(
        "import mmengine\n\nW = mmengine.Registry('w', parent=mmengine.registry.WEIGHT_INITIALIZERS)\n",
        "registry-parent",
        3,
        id="registry-attribute-as-parent",
    ),
    pytest.param(
        "from mmcv.utils import Registry, build_from_cfg\n\nMODELS = Registry('model')\n"
        "net = build_from_cfg(cfg, MODELS)\n",
        "general-builder",
        1,
        id="build-from-cfg-other-registry",
    ),
    pytest.param(
        "from mmengine.registry import build_from_cfg\n\n__all__ = ['build_from_cfg']\n",
        "general-builder",
        1,
        id="build-from-cfg-re-exported-only",
    ),
    pytest.param(
        "import mmcv\n\nmmcv.cnn.kaiming_init = my_kaiming_init\n",
        "assignment-target",
        3,
        id="assignment-to-upstream-attribute",
    ),
    pytest.param(
        "try:\n    import mmcv\nexcept ImportError:\n    mmcv = None\n\nmmcv.cnn.kaiming_init(m)\n",
        "ambiguous-binding",
        6,
        id="root-maybe-not-the-module",
    ),
]


@pytest.mark.parametrize(("src", "reason", "line"), REPORTED)
def test_left_alone_and_reported(src: str, reason: str, line: int) -> None:
    result = check_noop(src)
    assert [(n.reason, n.line) for n in result.notes] == [(reason, line)]


def test_build_from_cfg_mixed_use_keeps_it_and_its_init_registry_upstream() -> None:
    # mmcv's build_from_cfg only accepts mmcv Registry objects: moving INITIALIZERS alone
    # would break ``build_from_cfg(cfg, INITIALIZERS)``.
    result = check_noop(
        "from mmcv.cnn import INITIALIZERS\nfrom mmcv.utils import build_from_cfg\n\n"
        "fn = build_from_cfg(cfg, INITIALIZERS)\nnet = build_from_cfg(cfg, MODELS)\n"
        "INITIALIZERS.register_module(module=MyInit)\n"
    )
    assert [(n.reason, n.line) for n in result.notes] == [
        ("general-builder", 2),
        ("registry-with-upstream-builder", 2),
    ]


def test_registry_used_as_parent_keeps_build_from_cfg_on_it() -> None:
    src = (
        "from mmengine.registry import WEIGHT_INITIALIZERS as W, Registry, build_from_cfg\n\n"
        "MINE = Registry('w', parent=W)\nfn = build_from_cfg(cfg, W)\n"
    )
    result = check_noop(src)
    assert sorted(n.reason for n in result.notes) == ["general-builder", "registry-parent"]


def test_moves_record_names_lines_and_targets() -> None:
    result = check_transformed(
        "import mmcv\nfrom mmengine.model import BaseModule as BM, ModuleList\n\n"
        "mmcv.cnn.caffe2_xavier_init(m)\n",
        "import mminit.mmcv1\nfrom mminit import BaseModule as BM, ModuleList\n\n"
        "mminit.mmcv1.caffe2_xavier_init(m)\n",
    )
    got = sorted((m.line, m.name, m.asname, m.source, m.target, m.form) for m in result.moves)
    assert got == [
        (2, "BaseModule", "BM", "mmengine.model", "mminit", "from-import"),
        (2, "ModuleList", None, "mmengine.model", "mminit", "from-import"),
        (4, "caffe2_xavier_init", None, "mmcv.cnn", "mminit.mmcv1", "attribute"),
    ]
