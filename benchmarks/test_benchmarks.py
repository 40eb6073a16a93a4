"""Tests of the benchmark suite: the models, the reference plans, the runner.

Run with ``.venv/bin/python -m pytest benchmarks/test_benchmarks.py`` (about
half a minute).  The references are only worth timing if they compute what
upstream computes, so the central tests compare them bit-wise with
mmengine's ``init_weights`` on a small configuration of every family.
"""

from __future__ import annotations

import json
import os

import pytest
import torch

from benchmarks import report, run
from benchmarks.fills import Fill, apply_fill, trunc_normal_icdf_
from benchmarks.measure import available_libs, fast_mode_supported, import_costs, reset_init_flags
from benchmarks.models import FAMILIES, build_model, load_lib
from benchmarks.plan import ceiling, final_fills, floor, init_plan, plan_stats, replay
from benchmarks.variants import ModelBench, state_mismatches

LIBS = available_libs()
if LIBS["mmengine"] is not None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI needs mmengine 0.10.7 installed: pip install mmengine==0.10.7")
    pytest.skip(
        "these tests compare with mmengine: pip install mmengine==0.10.7", allow_module_level=True
    )

needs_mminit = pytest.mark.skipif(LIBS["mminit"] is not None, reason=str(LIBS["mminit"]))
SMALL = [pytest.param(f, id=f) for f in FAMILIES]


def _upstream_and_copy(family: str, seed: int = 7) -> tuple[torch.nn.Module, torch.nn.Module]:
    """A model initialised by mmengine at ``seed``, and an untouched twin."""
    lib = load_lib("mmengine")
    ref, twin = build_model(family, lib, "small"), build_model(family, lib, "small")
    twin.load_state_dict(ref.state_dict())
    torch.manual_seed(seed)
    ref.init_weights()
    return ref, twin


@pytest.mark.parametrize("family", SMALL)
def test_replay_is_bit_identical_to_mmengine(family: str) -> None:
    ref, twin = _upstream_and_copy(family)
    plan = init_plan(twin)
    torch.manual_seed(7)
    replay(plan)
    assert state_mismatches(ref, twin) == []


@pytest.mark.parametrize("family", SMALL)
def test_ceiling_is_bit_identical_to_mmengine(family: str) -> None:
    # Its survivors are exactly floor's fills, so this also checks that floor
    # performs each tensor's true final fill (kind and arguments).
    ref, twin = _upstream_and_copy(family)
    plan = init_plan(twin)
    torch.manual_seed(7)
    ceiling(plan, final_fills(plan))
    assert state_mismatches(ref, twin) == []


@pytest.mark.parametrize("family", SMALL)
def test_floor_writes_each_tensor_once_and_changes_what_mmengine_changes(family: str) -> None:
    ref, twin = _upstream_and_copy(family)
    before = {k: v.clone() for k, v in twin.state_dict().items()}
    finals = final_fills(init_plan(twin))
    assert len({id(f.tensor) for f in finals}) == len(finals)
    torch.manual_seed(99)
    floor(finals)
    after = twin.state_dict()
    changed_by_floor = {k for k in before if not torch.equal(before[k], after[k])}
    changed_by_mmengine = {k for k in before if not torch.equal(before[k], ref.state_dict()[k])}
    assert changed_by_floor == changed_by_mmengine
    constant = {id(f.tensor) for f in finals if f.kind == "constant"}
    for name, p in twin.named_parameters():
        if id(p) in constant:
            assert torch.equal(p, ref.state_dict()[name]), name


def test_replay_differs_from_mmengine_under_another_seed() -> None:
    ref, twin = _upstream_and_copy("vit-b", seed=7)
    torch.manual_seed(8)
    replay(init_plan(twin))
    assert state_mismatches(ref, twin) != []


def test_vit_plan_repeats_fills_as_upstream_does() -> None:
    # classifier, backbone and layer each apply TruncNormal to every Linear of
    # their subtree: encoder Linear weights are drawn 3 times, 2 of them wasted.
    model = build_model("vit-b", load_lib("mmengine"), "small")
    stats = plan_stats(model, init_plan(model))
    depth = FAMILIES["vit-b"]["small"].kwargs["depth"]
    assert stats.overwritten_random == 4 * 2 * depth + 1  # + the head, TruncNormal then Constant 0
    assert stats.params_total - stats.params_covered == 1  # cls_token stays at zero


def test_trunc_normal_icdf_matches_mmengine_and_stays_in_bounds() -> None:
    from mmengine.model.weight_init import trunc_normal_

    a, b = torch.empty(257, 33), torch.empty(257, 33)
    torch.manual_seed(0)
    trunc_normal_(a, mean=0.1, std=0.5, a=-0.3, b=0.9)
    torch.manual_seed(0)
    trunc_normal_icdf_(b, mean=0.1, std=0.5, a=-0.3, b=0.9)
    assert torch.equal(a, b)
    assert b.min() >= -0.3 and b.max() <= 0.9


def test_apply_fill_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown fill kind 'gamma'"):
        apply_fill(Fill(torch.empty(3), "gamma"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("family", "params"),
    [
        ("resnet50", 25_557_032),
        ("vit-b", 86_567_656),
        ("vit-l", 304_326_632),
        ("tx-1b", 1_019_937_792),
    ],
)
def test_full_size_parameter_counts(family: str, params: int) -> None:
    with torch.device("meta"):
        model = build_model(family, load_lib("mmengine"), "full")
    assert sum(p.numel() for p in model.parameters()) == params


def test_reset_init_flags_lets_init_weights_run_again() -> None:
    model = build_model("resnet50", load_lib("mmengine"), "small")
    torch.manual_seed(0)
    model.init_weights()
    first = model.head.fc.weight.clone()
    reset_init_flags(model)
    torch.manual_seed(1)
    model.init_weights()
    assert not torch.equal(first, model.head.fc.weight)


@needs_mminit
@pytest.mark.parametrize("family", SMALL)
def test_same_definition_builds_on_mminit(family: str) -> None:
    ours = build_model(family, load_lib("mminit"), "small")
    theirs = build_model(family, load_lib("mmengine"), "small")
    assert isinstance(ours, load_lib("mminit").BaseModule)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]

    def shape(plan: list[Fill]) -> list[tuple[object, ...]]:
        return [(f.kind, tuple(f.tensor.shape), f.args) for f in plan]

    assert shape(init_plan(ours)) == shape(init_plan(theirs))


def test_runner_quick_writes_json_and_checks_bit_identity(tmp_path, capsys) -> None:
    out = tmp_path / "r.json"
    rc = run.main(
        [
            "--quick",
            "--models",
            "vit-b,resnet50",
            "--repeats",
            "2",
            "--no-memory",
            "--no-import-time",
            "--json",
            str(out),
        ]
    )
    assert rc == 0
    data = json.loads(out.read_text())
    assert [m["model"] for m in data["models"]] == ["vit-b", "resnet50"]
    for m in data["models"]:
        assert m["mismatches"] == []
        assert m["bit_identical_checks"] > 0
        assert {"mmengine", "floor", "replay"} <= set(m["median_s"])
        assert all(len(t) == 2 for t in m["times_s"].values())
    printed = capsys.readouterr().out
    assert "mmengine/replay" in printed and "MISMATCH" not in printed
    if LIBS["mminit"] is None and not fast_mode_supported(load_lib("mminit").BaseModule):
        assert "skipping mminit-fast" in printed
    assert report.main([str(out), str(out)]) == 0  # saved results reprint, merged
    rows = [
        ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("| ViT-like (small)")
    ]
    assert len(rows) == 2


def test_runner_reports_a_mismatch_loudly(monkeypatch, capsys) -> None:
    # Make the "replay" contender draw one number too many before replaying.
    original = ModelBench.runner

    def broken(self: ModelBench, variant: str):  # type: ignore[no-untyped-def]
        fn = original(self, variant)
        if variant != "replay":
            return fn
        return lambda: (torch.rand(1), fn())

    monkeypatch.setattr(ModelBench, "runner", broken)
    rc = run.main(
        [
            "--quick",
            "--models",
            "tx-1b",
            "--repeats",
            "1",
            "--variants",
            "mmengine,replay",
            "--no-memory",
            "--no-import-time",
        ]
    )
    assert rc == 1
    assert (
        "!!! MISMATCH !!! tx-1b: replay differs from mmengine at seed 0" in capsys.readouterr().out
    )


def test_memory_peak_of_floor_is_measured_in_a_subprocess() -> None:
    peaks = run.memory_peaks("vit-b", "small", "cpu", 1, ["floor"])
    assert peaks["floor"]["method"].startswith(("VmHWM", "ru_maxrss"))
    assert peaks["floor"]["extra_mib"] >= 0
    assert peaks["floor"]["before_mib"] > 50  # torch itself is resident


def test_import_costs_see_what_each_import_loads() -> None:
    costs = import_costs({"torch": "pass", "mmengine.model": "import mmengine.model"}, runs=1)
    assert costs["torch"]["extra_modules"] == 0
    assert costs["mmengine.model"]["extra_modules"] > 100
    assert costs["mmengine.model"]["sympy"] is True


CFGS = [
    pytest.param(
        dict(type="Xavier", layer="Conv2d", distribution="uniform", gain=2), id="xavier-uniform"
    ),
    pytest.param(dict(type="Xavier", layer=["Conv2d", "Linear"]), id="xavier-normal"),
    pytest.param(
        dict(type="Kaiming", layer="Conv2d", distribution="uniform", a=1), id="kaiming-uniform"
    ),
    pytest.param(dict(type="Caffe2Xavier", layer="Linear"), id="caffe2xavier"),
    pytest.param(
        dict(type="Uniform", layer="Linear", a=-1, b=3, bias_prob=0.01), id="uniform-bias-prob"
    ),
    pytest.param(
        dict(
            type="Constant",
            val=1,
            bias=2,
            layer="Conv2d",
            override=dict(type="Normal", name="reg", std=0.5),
        ),
        id="override",
    ),
    pytest.param(
        dict(type="TruncNormal", layer="Linear", std=0.3, override=dict(name="reg")),
        id="override-name-only",
    ),
]


@pytest.mark.parametrize("cfg", CFGS)
def test_replay_generalises_to_other_initializers_and_overrides(cfg: dict) -> None:
    from mmengine.model import BaseModule

    class Net(BaseModule):
        def __init__(self) -> None:
            super().__init__(init_cfg=cfg)
            self.feat = torch.nn.Conv2d(3, 8, 3)
            self.reg = torch.nn.Sequential(torch.nn.Conv2d(8, 4, 1), torch.nn.Linear(4, 5))
            self.cls = torch.nn.Linear(5, 7)

    ref, twin = Net(), Net()
    twin.load_state_dict(ref.state_dict())
    torch.manual_seed(3)
    ref.init_weights()
    plan = init_plan(twin)
    torch.manual_seed(3)
    replay(plan)
    assert state_mismatches(ref, twin) == []


# ------------------------------------------------ recorded references for real models (trace.py)
@pytest.mark.parametrize("family", SMALL)
def test_recorded_trace_references_are_bit_identical(family: str) -> None:
    from benchmarks.trace import record

    model = build_model(family, load_lib("mmengine"), "small")
    planned = plan_stats(model, init_plan(model))
    torch.manual_seed(7)
    trace = record(model, model.init_weights)
    expected = {k: v.clone() for k, v in model.state_dict().items()}
    for reference in (trace.replay, trace.ceiling):
        written = {c.target.untyped_storage().data_ptr() for c in trace.calls}
        for p in model.parameters():  # scribble over what init writes (cls_token it leaves alone)
            if p.untyped_storage().data_ptr() in written:
                torch.nn.init.normal_(p)
        torch.manual_seed(7)
        reference()
        assert [k for k, v in model.state_dict().items() if not torch.equal(v, expected[k])] == []
    # the recorded sequence wastes exactly the random draws the init_cfg plan predicts
    assert trace.stats["overwritten_random"] == planned.overwritten_random
    torch.manual_seed(7)
    trace.floor()  # each storage's last fill only: same set of changed tensors, fewer draws
    assert trace.stats["surviving"] < trace.stats["calls"]


def test_real_model_benchmark_smoke() -> None:
    """benchmarks.real on mmpretrain's DeiT-tiny, one repetition: every checked contender
    (mminit compat, its plan's replay and its first init, replay, ceiling) bit-identical to
    upstream's ``init_weights``."""
    import importlib.util

    if importlib.util.find_spec("mmpretrain") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs mmpretrain 1.2.0 in .venv (tools/setup_envs.sh)")
        pytest.skip("needs mmpretrain 1.2.0")
    from benchmarks.real import bench_real_model

    result = bench_real_model("deit-t", repeats=1)
    assert result["mismatches"] == {"mminit": 0, "mminit-cold": 0, "replay": 0, "ceiling": 0}
    assert result["trace"]["overwritten_random"] > 0 and result["trace"]["surviving"] > 100
    assert set(result["medians"]) == {
        "upstream",
        "mminit",
        "mminit-cold",
        "mminit-fast",
        "replay",
        "ceiling",
        "floor",
    }


def test_explain_benchmark_records_the_plan_the_init_then_replays() -> None:
    from benchmarks.explain import explain_times
    from mminit._engine import plan_cache, stats

    before = (len(plan_cache), stats.replayed)
    r = explain_times("vit-l-overhead", repeats=1, size="small")
    assert r["cached"] == 1.0  # explain put the plan in the cache the init replayed
    assert stats.replayed == before[1] + 1 and len(plan_cache) == before[0]  # isolated
    assert min(r["explain"], r["init_after_explain"], r["first_init"]) > 0
