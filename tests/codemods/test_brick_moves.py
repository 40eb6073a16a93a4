"""``--bricks``: the layer-brick rows move only when asked, on every decision path.

``BRICK_MOVES`` is filled by the bricks work; these tests plant rows of their own
(``ConvModule``, ``CONV_LAYERS``) so they do not depend on what the table holds.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext

from mminit.codemods import _table
from mminit.codemods._files import migrate_source
from mminit.codemods._moves import move_table
from mminit.codemods._prescan import prescan
from mminit.codemods.cli import main
from mminit.codemods.replace_imports import ReplaceImportsCodemod


@pytest.fixture
def brick_rows(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    rows = {("mmcv.cnn", "ConvModule"): _table.MMCV1, ("mmcv.cnn", "CONV_LAYERS"): _table.MMCV1}
    monkeypatch.setattr(_table, "BRICK_MOVES", rows)
    monkeypatch.setattr(_table, "BRICK_REGISTRY_NAMES", frozenset({"CONV_LAYERS"}))
    move_table.cache_clear()
    yield
    move_table.cache_clear()


def _run(src: str, bricks: bool) -> str:
    result = migrate_source(textwrap.dedent(src).encode(), "m.py", bricks=bricks)
    assert result.status in ("changed", "unchanged"), result.error
    return textwrap.dedent(src) if result.new_data is None else result.new_data.decode()


FAST = "from mmcv.cnn import ConvModule, constant_init\n"


def test_without_bricks_the_brick_rows_stay(brick_rows: None) -> None:
    assert _run(FAST, bricks=False) == (
        "from mmcv.cnn import ConvModule\nfrom mminit.mmcv1 import constant_init\n"
    )
    assert not move_table(False).target("mmcv.cnn", "ConvModule")


def test_fast_path_moves_bricks(brick_rows: None) -> None:
    scan = prescan(FAST, "m.py", move_table(True))
    assert scan.statements_only  # the per-statement splice, not the whole-file planner
    assert _run(FAST, bricks=True) == "from mminit.mmcv1 import ConvModule, constant_init\n"


def test_prescan_needs_cst_only_for_bricks_with_bricks(brick_rows: None) -> None:
    src = "from mmcv.cnn import ConvModule\n"
    assert not prescan(src, "m.py", move_table(False)).needs_cst
    assert prescan(src, "m.py", move_table(True)).needs_cst


def test_planner_moves_bricks_in_from_imports(brick_rows: None) -> None:
    # build_from_cfg sends the file to the whole-module planner.
    src = """\
    from mmcv.cnn import ConvModule
    from mmcv.utils import build_from_cfg
    build_from_cfg(cfg, OTHER)
    """
    out = _run(src, bricks=True)
    assert "from mminit.mmcv1 import ConvModule\n" in out
    assert "from mmcv.utils import build_from_cfg\n" in out


def test_planner_moves_brick_attributes(brick_rows: None) -> None:
    src = """\
    import mmcv
    layer = mmcv.cnn.ConvModule(1, 1, 1)
    """
    assert _run(src, bricks=False) == textwrap.dedent(src)
    assert (
        _run(src, bricks=True) == "import mminit.mmcv1\nlayer = mminit.mmcv1.ConvModule(1, 1, 1)\n"
    )


def test_brick_registry_as_parent_stays_upstream(brick_rows: None) -> None:
    src = """\
    from mmcv.cnn import CONV_LAYERS
    from mmcv.utils import Registry
    MY_CONVS = Registry('conv', parent=CONV_LAYERS)
    """
    result = migrate_source(textwrap.dedent(src).encode(), "m.py", bricks=True)
    assert result.status == "unchanged"
    assert [n.reason for n in result.notes] == ["registry-parent"]


def test_build_from_cfg_with_a_brick_registry_moves_with_it(brick_rows: None) -> None:
    src = """\
    from mmcv.cnn import CONV_LAYERS
    from mmcv.utils import build_from_cfg
    conv = build_from_cfg(cfg, CONV_LAYERS)
    """
    out = _run(src, bricks=True)
    assert out.startswith(
        "from mminit.mmcv1 import CONV_LAYERS, build_from_cfg\n"
    )  # as isort merges
    kept = _run(src, bricks=False)
    assert kept == textwrap.dedent(src)


def test_libcst_codemod_takes_bricks(brick_rows: None) -> None:
    for bricks, expected in (
        (False, "from mmcv.cnn import ConvModule\nfrom mminit.mmcv1 import constant_init\n"),
        (True, "from mminit.mmcv1 import ConvModule, constant_init\n"),
    ):
        codemod = ReplaceImportsCodemod(CodemodContext(filename="m.py"), bricks=bricks)
        assert codemod.transform_module(cst.parse_module(FAST)).code == expected


def test_cli_flag(brick_rows: None, tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(FAST)
    assert main([str(tmp_path), "-j", "1"]) == 0
    assert (
        path.read_text()
        == "from mmcv.cnn import ConvModule\nfrom mminit.mmcv1 import constant_init\n"
    )
    assert main([str(tmp_path), "-j", "1", "--check"]) == 0
    assert main([str(tmp_path), "-j", "1", "--check", "--bricks"]) == 1
    assert main([str(tmp_path), "-j", "1", "--bricks"]) == 0
    assert path.read_text() == "from mminit.mmcv1 import ConvModule, constant_init\n"


def test_rows_in_both_tables_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_table, "BRICK_MOVES", {("mmcv.cnn", "constant_init"): _table.MMCV1})
    move_table.cache_clear()
    try:
        with pytest.raises(ValueError, match="constant_init"):
            move_table(True)
    finally:
        move_table.cache_clear()


# -- --mmcv 2: a repository on mmcv 2.x (mmpretrain) gets the mmengine flavour -----------
def test_mmcv2_sends_mmcv_names_to_the_mmengine_flavour(tmp_path: Path) -> None:
    src = "from mmcv.cnn import ConvModule, build_norm_layer\n"
    path = tmp_path / "m.py"
    path.write_text(src)
    assert main([str(path), "--bricks", "--mmcv", "2", "-j", "1"]) == 0
    assert path.read_text() == "from mminit import ConvModule, build_norm_layer\n"
    path.write_text(src)
    assert main([str(path), "--bricks", "-j", "1"]) == 0
    assert path.read_text() == "from mminit.mmcv1 import ConvModule, build_norm_layer\n"


def test_mmcv2_default_rows_and_mmcv1_only_names() -> None:
    # mmcv 2.x re-exports mmengine's BaseModule from its transformer bricks.
    result = migrate_source(b"from mmcv.cnn.bricks.transformer import BaseModule\n", "m.py", mmcv=2)
    assert result.new_data == b"from mminit import BaseModule\n"
    # The brick registries exist only in the mmcv 1.x flavour.
    table = move_table(True, 2)
    assert table.target("mmcv.cnn", "CONV_LAYERS") == _table.MMCV1
    assert table.target("mmengine.model", "BaseModule") == _table.MMENGINE


def test_bad_mmcv_value(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([".", "--mmcv", "3"])
    assert "--mmcv: invalid choice: 3" in capsys.readouterr().err
    with pytest.raises(ValueError, match="mmcv must be 1 or 2"):
        move_table(False, 3)
