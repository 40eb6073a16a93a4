"""``mminit.explain``: plan contents, the model left untouched, lints (each fires, each twin stays quiet), CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from torch import nn

import mminit
import mminit.mmcv1
from mminit._explain.api import explain
from mminit._explain.lints import LINT_CODES


class Block(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.norm = nn.LayerNorm(4)


class Net(mminit.BaseModule):
    def __init__(self, init_cfg=None, blocks: int = 3) -> None:
        super().__init__(
            init_cfg=init_cfg
            if init_cfg is not None
            else [
                dict(type="TruncNormal", layer="Linear", std=0.02),
                dict(type="Constant", layer="LayerNorm", val=1, bias=0),
                dict(type="Normal", std=0.01, override=dict(name="head")),
            ]
        )
        self.blocks = mminit.ModuleList([Block() for _ in range(blocks)])
        self.head = nn.Linear(4, 2)


def _codes(plan):
    return [x.code for x in plan.lints]


def test_plan_names_final_initializer_source_and_shadowed():
    plan = explain(Net())
    fc = plan["blocks.1.fc.weight"]
    assert fc.info.startswith("TruncNormalInit: a=-2, b=2, mean=0, std=0.02, bias=0")
    assert (fc.origin, fc.source) == ("init_cfg", "Net.init_cfg, layer=Linear")
    head = plan["head.weight"]
    assert head.origin == "override" and head.info.startswith("NormalInit: mean=0, std=0.01")
    assert [s.info.split(":")[0] for s in head.shadowed] == ["TruncNormalInit"]
    # LayerNorm's weight is already 1: written, but the value stays (upstream's info says so)
    norm = plan["blocks.0.norm.weight"]
    assert norm.uncovered and norm.origin == "unchanged"
    assert plan.error is None and plan.dumps and not plan.lints


def test_model_untouched_and_meta_device_works():
    torch.manual_seed(0)
    model = Net()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    explain(model)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not model.is_init
    with torch.device("meta"):
        meta = Net()
    plan = explain(meta)
    assert plan["head.weight"].origin == "override"
    assert all(p.is_meta for p in meta.parameters())


def test_user_code_is_reported_as_foreign():
    class Own(Net):
        def init_weights(self):
            super().init_weights()
            nn.init.zeros_(self.head.weight)

    plan = explain(Own())
    head = plan["head.weight"]
    assert head.origin == "user_code" and "Own's own init_weights" in head.source


def test_format_collapses_runs():
    text = explain(Net(blocks=12)).format()
    assert (
        "blocks.0-11.fc.weight: TruncNormalInit: a=-2, b=2, mean=0, std=0.02, bias=0 "
        "(from Net.init_cfg, layer=Linear)" in text
    )
    assert "blocks.3.fc.weight" not in text


# ---------------------------------------------------------------- lints
def test_mi001_layer_matches_nothing_with_close_names():
    plan = explain(Net(init_cfg=dict(type="Normal", layer="Linaer")))
    assert _codes(plan) == ["MI001"] and "close class names: Linear" in str(plan.lints[0])
    assert "MI001" not in _codes(explain(Net(init_cfg=dict(type="Normal", layer="Linear"))))


def test_mi001_subclass_two_levels_down_matches_nothing():
    class A(nn.Linear):
        pass

    class B(A):
        pass

    class Holder(mminit.BaseModule):
        def __init__(self, cls):
            super().__init__(init_cfg=dict(type="Normal", layer="Linear"))
            self.fc = cls(2, 2)

    assert "MI001" in _codes(explain(Holder(B)))
    assert "MI001" not in _codes(explain(Holder(A)))


def test_mi002_override_missing_attribute():
    plan = explain(Net(init_cfg=dict(type="Normal", override=dict(name="haed"))))
    assert "MI002" in _codes(plan) and "close attributes: head" in str(plan.lints[0])
    assert plan.error is not None and "haed" in plan.error  # init_weights would raise
    assert "MI002" not in _codes(
        explain(Net(init_cfg=dict(type="Normal", override=dict(name="head"))))
    )


def test_mi003_pretrained_prefix_matches_no_key(tmp_path):
    path = str(tmp_path / "ckpt.pth")
    torch.save({"state_dict": {"backbone.head.weight": torch.zeros(2, 4)}}, path)
    bad = explain(Net(init_cfg=dict(type="Pretrained", checkpoint=path, prefix="backbon")))
    assert "MI003" in _codes(bad)
    good = explain(Net(init_cfg=dict(type="Pretrained", checkpoint=path, prefix="backbone")))
    assert "MI003" not in _codes(good)


def test_offline_explain_never_downloads_and_reports_the_missing_file(tmp_path, monkeypatch):
    """A URL ``Pretrained`` is loaded as ``init_weights`` would, so it downloads; with
    ``MMINIT_OFFLINE=1`` the plan says what is missing instead (README, explain)."""
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("explain touched the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setenv("MMINIT_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    url = "https://download.openmmlab.com/example/resnet50.pth"
    model = Net(
        init_cfg=[
            dict(type="Constant", val=0.5, layer="Linear"),
            dict(type="Pretrained", checkpoint=url),
        ]
    )
    plan = explain(model)
    assert plan.error is not None and plan.error.startswith("OfflineError")
    assert url in plan.error and str(tmp_path) in plan.error


class _RunsOnUnpickle:
    """Unpickling this touches ``marker``: proof that a checkpoint's code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_mi003_reads_checkpoint_keys_without_running_pickled_code(tmp_path, monkeypatch):
    from mminit._explain.lints import _checkpoint_keys

    marker = tmp_path / "ran"
    path = str(tmp_path / "ckpt.pth")
    torch.save(
        {
            "state_dict": {"backbone.head.weight": torch.zeros(2, 4)},
            "meta": _RunsOnUnpickle(str(marker)),
        },
        path,
    )
    monkeypatch.delenv("MMINIT_ALLOW_UNSAFE_PICKLE", raising=False)
    assert _checkpoint_keys(path) is None  # no verdict, and nothing ran
    assert not marker.exists()
    monkeypatch.setenv("MMINIT_ALLOW_UNSAFE_PICKLE", "1")  # the loader's opt-in applies here too
    assert _checkpoint_keys(path) == ["backbone.head.weight"]
    assert marker.exists()


def test_mi004_fan_initializer_on_1d_weight():
    plan = explain(Net(init_cfg=dict(type="Kaiming", layer="LayerNorm")))
    assert "MI004" in _codes(plan) and plan.error is not None
    assert "MI004" not in _codes(explain(Net(init_cfg=dict(type="Kaiming", layer="Linear"))))


def test_mi005_conv_module_ignores_parent_init_cfg():
    class WithConv(mminit.BaseModule):
        def __init__(self, cfg):
            super().__init__(init_cfg=dict(type="Normal", layer=cfg, std=0.01))
            self.conv = mminit.ConvModule(3, 4, 3)
            self.plain = nn.Conv2d(3, 4, 3)

    plan = explain(WithConv("Conv2d"))
    hits = [x for x in plan.lints if x.code == "MI005"]
    assert hits and hits[0].key == "conv.conv.weight" and "ConvModule" in hits[0].message
    assert "MI005" not in _codes(explain(WithConv("Linear")))


def test_mi006_parameter_default_beside_initialised_sibling():
    class Tok(mminit.BaseModule):
        def __init__(self, name):
            super().__init__(init_cfg=dict(type="Normal", std=0.01, override=dict(name=name)))
            self.fc = nn.Linear(2, 2)
            self.fc.register_parameter("scale", nn.Parameter(torch.ones(2)))
            self.other = nn.Linear(2, 2)

    assert "MI006" in _codes(explain(Tok("fc")))
    assert "MI006" not in _codes(explain(Tok("other")))


def test_mi007_mmcv1_dict_pretrained_returns_early(tmp_path):
    path = str(tmp_path / "ckpt.pth")
    torch.save({"state_dict": {"fc.weight": torch.zeros(2, 2)}}, path)

    class Child(mminit.mmcv1.BaseModule):
        def __init__(self):
            super().__init__(init_cfg=dict(type="Normal", layer="Linear"))
            self.fc = nn.Linear(2, 2)

    class Root(mminit.mmcv1.BaseModule):
        def __init__(self, cfg):
            super().__init__(init_cfg=cfg)
            self.child = Child()

    plan = explain(Root(dict(type="Pretrained", checkpoint=path)))
    assert "MI007" in _codes(plan) and not plan.dumps
    assert "MI007" not in _codes(explain(Root([dict(type="Pretrained", checkpoint=path)])))


def test_every_lint_code_is_tested():
    assert sorted(LINT_CODES) == [f"MI00{i}" for i in range(1, 8)]


# ---------------------------------------------------------------- CLI
_FACTORY = """
import mminit
from torch import nn


class Net(mminit.BaseModule):
    def __init__(self, layer):
        super().__init__(init_cfg=dict(type="Normal", layer=layer))
        self.fc = nn.Linear(2, 2)


def good():
    return Net("Linear")


def bad():
    return Net("Linaer")
"""


def _cli(tmp_path, *args):
    (tmp_path / "explain_factory_mod.py").write_text(_FACTORY)
    return subprocess.run(
        [sys.executable, "-m", "mminit", "explain", *args],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": ""},
        timeout=300,
    )


def test_cli_strict_and_json(tmp_path):
    ok = _cli(
        tmp_path, "explain_factory_mod:good", "--strict", "--json", str(tmp_path / "plan.json")
    )
    assert ok.returncode == 0, ok.stderr
    assert (
        "fc.weight: NormalInit: mean=0, std=1, bias=0 (from Net.init_cfg, layer=Linear)"
        in ok.stdout
    )
    data = json.loads((tmp_path / "plan.json").read_text())
    assert [t["name"] for t in data["tensors"]] == ["fc.weight", "fc.bias"]
    assert data["fills_evaluated"] > 0  # no code of the net reads a value
    filled = _cli(
        tmp_path, "explain_factory_mod:good", "--run-fills", "--json", str(tmp_path / "run.json")
    )
    assert filled.returncode == 0, filled.stderr
    data_run = json.loads((tmp_path / "run.json").read_text())
    assert data_run.pop("fills_evaluated") == 0
    data.pop("fills_evaluated")
    assert data_run == data and filled.stdout == ok.stdout
    bad = _cli(tmp_path, "explain_factory_mod:bad", "--strict")
    assert bad.returncode == 1 and "MI001" in bad.stdout
    assert _cli(tmp_path, "explain_factory_mod:bad").returncode == 0
    assert _cli(tmp_path, "explain_factory_mod:good", "--flavour", "mmcv1").returncode == 2
    assert _cli(tmp_path, "no_such_module:f").returncode == 2


def test_explain_logs_nothing():
    import logging

    seen = []
    original = logging.Logger.handle

    def handle(logger, record):
        seen.append(record.getMessage())
        return original(logger, record)

    logging.Logger.handle = handle
    try:
        explain(Net())
    finally:
        logging.Logger.handle = original
    assert seen == []


def test_meta_device_plan_equals_cpu_plan():
    cpu = explain(Net())
    with torch.device("meta"):
        meta = explain(Net())
    assert [(t.name, t.info, t.origin, t.uncovered) for t in meta.tensors] == [
        (t.name, t.info, t.origin, t.uncovered) for t in cpu.tensors
    ]


def test_random_streams_untouched():
    model = Net()
    torch.manual_seed(3)
    state = torch.get_rng_state()
    explain(model)
    assert torch.equal(torch.get_rng_state(), state)


def test_cli_takes_a_config_path(tmp_path):
    pytest.importorskip("mmengine")
    (tmp_path / "explain_cfg_mod.py").write_text(
        "import mminit\nfrom mmengine.registry import MODELS\nfrom torch import nn\n\n\n"
        "@MODELS.register_module()\nclass ExplainCfgNet(mminit.BaseModule):\n"
        "    def __init__(self, std):\n"
        "        super().__init__(init_cfg=dict(type='Normal', layer='Linear', std=std))\n"
        "        self.fc = nn.Linear(2, 2)\n"
    )
    (tmp_path / "cfg.py").write_text(
        "custom_imports = dict(imports=['explain_cfg_mod'])\n"
        "model = dict(type='ExplainCfgNet', std=0.5)\n"
    )
    out = _cli(tmp_path, str(tmp_path / "cfg.py"))
    assert out.returncode == 0, out.stderr
    assert (
        "fc.weight: NormalInit: mean=0, std=0.5, bias=0 (from ExplainCfgNet.init_cfg, layer=Linear)"
        in out.stdout
    )


def test_pretrained_source_names_file_and_prefix(tmp_path):
    path = str(tmp_path / "ckpt.pth")
    torch.save({"state_dict": {"backbone.head.weight": torch.ones(2, 4)}}, path)
    plan = explain(
        Net(
            init_cfg=[
                dict(type="Normal", layer="Linear", std=0.01),
                dict(type="Pretrained", checkpoint=path, prefix="backbone"),
            ]
        )
    )
    head = plan["head.weight"]
    assert head.origin == "pretrained" and head.info.startswith(f"PretrainedInit: load from {path}")
    assert f"checkpoint={path!r} prefix='backbone'" in head.source
    assert [s.info.split(":")[0] for s in head.shadowed] == ["NormalInit"]
    assert plan["head.bias"].origin == "init_cfg"  # not in the checkpoint


def test_explain_says_it_copies_a_model_that_cannot_be_deep_copied():
    import threading

    class Locked(mminit.BaseModule):
        def __init__(self) -> None:
            super().__init__(init_cfg=dict(type="Constant", val=1.0, layer="Linear"))
            self.fc = nn.Linear(2, 2)
            self.lock = threading.Lock()

    model = Locked()
    before = model.fc.weight.detach().clone()
    with pytest.raises(
        TypeError,
        match=r"deep copy of the model.*cannot be deep-copied: "
        r"TypeError: cannot pickle '_thread.lock'",
    ):
        explain(model)
    assert torch.equal(model.fc.weight, before)
