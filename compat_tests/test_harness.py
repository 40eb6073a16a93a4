"""The differential harness itself: it must be able to fail, and say why.

* upstream against itself: zero mismatches (the harness is deterministic);
* mmengine against mmcv 1.x: two known differences between them are found (a
  ``Pretrained`` inside a list ``init_cfg``: mmengine loads it last, after the other
  entries and the children, mmcv 1.x in list order, so what follows overwrites the
  loaded weights; a ``Pretrained`` dict ``init_cfg``: mmcv 1.x returns early, so the
  children are never initialised, ``is_init`` stays False and the bookkeeping is left
  on the modules; README's MI007 row);
* planted mminit mutants (an extra perturbation, an extra warning) are found;
* the shrinker keeps a failure while making the case smaller;
* the generator is deterministic and covers what the suite promises.
"""

from __future__ import annotations

import json
import types
import warnings
from typing import Any

import pytest
import torch

from compat_tests.differential import _exc_ok, run_case
from compat_tests.generator import INIT_TYPES, LAYER_TYPES, USER_LAYERS, generate_case
from compat_tests.libs import LogCapture, load_lib, missing_upstream, upstream_available
from compat_tests.shrink import case_size, shrink
from compat_tests.suite import diff_kinds, format_failure


def _need(*flavours: str) -> None:
    for flavour in flavours:
        why = upstream_available(flavour)
        if why is not None:
            missing_upstream(f"needs the {flavour} upstream ({why})")


def _lin(c0: int = 3, c1: int = 4, cls: Any = None) -> dict[str, Any]:
    return {"kind": "layer", "type": "Linear", "cls": cls, "c": [c0, c1], "k": 1, "bias": True}


PRETRAINED_IN_LIST = {  # mmengine loads it last, mmcv 1.x in list order
    "seed": 3,
    "twice": False,
    "mixed": False,
    "root": {
        "kind": "base",
        "cls": "Net",
        "children": [["fc", _lin()]],
        "init_cfg": [
            {"type": "Pretrained", "checkpoint": "@ckpt"},
            {"type": "Constant", "val": 2, "layer": "Linear"},
        ],
    },
}
PRETRAINED_DICT = {  # mmcv 1.x returns early (README: MI007)
    "seed": 4,
    "twice": False,
    "mixed": False,
    "root": {
        "kind": "base",
        "cls": "Net",
        "init_cfg": {"type": "Pretrained", "checkpoint": "@ckpt"},
        "children": [
            ["fc", _lin()],
            [
                "sub",
                {
                    "kind": "base",
                    "cls": "Sub",
                    "children": [["fc", _lin()]],
                    "init_cfg": {"type": "Constant", "val": 1, "layer": "Linear"},
                },
            ],
        ],
    },
}


def _diffs(case: dict[str, Any], ref: Any, test: Any, tmp_path: Any) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_case(case, ref, test, LogCapture(), str(tmp_path))


@pytest.mark.parametrize("flavour", ["mmengine", "mmcv1"])
def test_upstream_against_itself_has_no_mismatch(flavour: str, tmp_path: Any) -> None:
    _need(flavour)
    lib = load_lib("mmengine" if flavour == "mmengine" else "mmcv1")
    bad = [i for i in range(150) if _diffs(generate_case(99, i), lib, lib, tmp_path)]
    assert bad == []


def test_mmengine_vs_mmcv_pretrained_in_list_order_is_found(tmp_path: Any) -> None:
    _need("mmengine", "mmcv1")
    diffs = _diffs(PRETRAINED_IN_LIST, load_lib("mmengine"), load_lib("mmcv1"), tmp_path)
    assert any(d.startswith("tensors differ: ['fc.weight', 'fc.bias']") for d in diffs), diffs


def test_mmengine_vs_mmcv_pretrained_dict_early_return_is_found(tmp_path: Any) -> None:
    _need("mmengine", "mmcv1")
    diffs = _diffs(PRETRAINED_DICT, load_lib("mmengine"), load_lib("mmcv1"), tmp_path)
    assert any(
        d.startswith("is_init differs at ['', 'sub']: [True, True] vs [False, False]")
        for d in diffs
    ), diffs
    # mmcv 1.x returns before cleaning up: the bookkeeping stays on every module
    assert any(
        d.startswith(
            "_params_init_info left on ['', 'fc', 'sub', 'sub.fc']: "
            "[False, False, False, False] vs [True, True, True, True]"
        )
        for d in diffs
    ), diffs


def _mutant(name: str, tweak: str) -> types.SimpleNamespace:
    """mminit's lib with a ``BaseModule`` (same class name) that misbehaves."""
    lib = load_lib(name)
    parent = lib.BaseModule

    def init_weights(self: Any) -> None:
        parent.init_weights(self)
        first = next(self.parameters(), None)
        if tweak == "tensor" and first is not None:
            first.data.add_(1e-6)
        elif tweak == "warning":
            warnings.warn("mutant", UserWarning)

    mutant = type("BaseModule", (parent,), {"init_weights": init_weights})
    return types.SimpleNamespace(**{**vars(lib), "BaseModule": mutant})


@pytest.mark.parametrize("tweak", ["tensor", "warning"])
def test_planted_mminit_difference_is_found(tweak: str, tmp_path: Any) -> None:
    _need("mmengine")
    case = {
        "seed": 5,
        "twice": False,
        "mixed": False,
        "root": {
            "kind": "base",
            "cls": "Net",
            "children": [["fc", _lin()]],
            "init_cfg": {"type": "Normal", "std": 0.02, "layer": "Linear"},
        },
    }
    ref = load_lib("mmengine")
    assert _diffs(case, ref, load_lib("mminit"), tmp_path) == []
    kinds = diff_kinds(_diffs(case, ref, _mutant("mminit", tweak), tmp_path))
    assert kinds == ({"tensors"} if tweak == "tensor" else {"call 1 warnings"})


def test_exception_match_accepts_subclasses_only() -> None:
    class Both(ValueError, AssertionError):
        pass

    assert _exc_ok(AssertionError(), Both())
    assert not _exc_ok(Both(), AssertionError())
    assert not _exc_ok(ValueError(), None)
    assert _exc_ok(None, None)


def test_shrinker_keeps_failure_and_reduces(tmp_path: Any) -> None:
    _need("mmengine", "mmcv1")
    ref, test = load_lib("mmengine"), load_lib("mmcv1")
    found = None
    for i in range(200):
        case = generate_case(123, i)
        diffs = _diffs(case, ref, test, tmp_path)
        if "tensors" in diff_kinds(diffs) and case_size(case) > 600:
            found = case
            break
    assert found is not None

    def still(c: dict[str, Any]) -> bool:
        return "tensors" in diff_kinds(_diffs(c, ref, test, tmp_path))

    small = shrink(found, still)
    assert still(small)
    assert case_size(small) < case_size(found) / 2


def test_shrinker_with_synthetic_predicate() -> None:
    case = generate_case(7, 0)
    case["root"]["children"].append(["target", {**_lin(), "cls": "MyLinearSub"}])

    def still(c: dict[str, Any]) -> bool:
        return "MyLinearSub" in json.dumps(c)

    small = shrink(case, still)
    assert still(small)
    kids = small["root"]["children"]
    assert len(kids) == 1 and kids[0][1]["cls"] == "MyLinearSub"
    assert "init_cfg" not in small["root"] and not small["twice"]


def test_generator_is_deterministic_and_json() -> None:
    a, b = generate_case(42, 17), generate_case(42, 17)
    assert a == b == json.loads(json.dumps(a))
    assert generate_case(42, 18) != a


def test_generator_covers_the_promised_features() -> None:
    texts = [json.dumps(generate_case(2024, i)) for i in range(2000)]
    blob = "\n".join(texts)
    wanted = [
        f'"{t}"'
        for t in (
            *LAYER_TYPES,
            *INIT_TYPES,
            *USER_LAYERS,
            "Pretrained",
            "seq",
            "mlist",
            "mdict",
            "plain",
            "super",
            "fill",
            "normal_data",
            "helper",
            "backbone.",
            "no_such_child",
            "NoSuchLayer",
            "partial",
            "shape",
            "module",
            "state_dict",
        )
    ]
    wanted += [
        '"bias": false',
        '"bias_prob"',
        '"twice": true',
        '"mixed": true',
        '"swap": true',
        '"tie"',
        '"param"',
        '"override": {"name"',
        '"override": "fc"',
        '"layer": [',
        '"distribution": "uniform"',
        '"mode": "fan_in"',
        '"nonlinearity": "leaky_relu"',
    ]
    missing = [w for w in wanted if w not in blob]
    assert missing == []
    # Pretrained both as a whole dict init_cfg and inside a list
    assert any('"init_cfg": {"type": "Pretrained"' in t for t in texts)
    assert any(
        '"init_cfg": [{"type": "Pretrained"' in t or '}, {"type": "Pretrained"' in t for t in texts
    )


def test_builder_is_library_independent_for_parameters() -> None:
    _need("mmengine")
    from compat_tests.builder import build

    case = generate_case(8, 3)
    models = []
    for name in ("mmengine", "mminit"):
        lib = load_lib(name)
        torch.manual_seed(0)
        models.append(build(case["root"], lambda node, lib=lib: lib))
    sa, sb = (m.state_dict() for m in models)
    assert list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_missing_upstream_skips_but_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import compat_tests.test_generated as generated

    monkeypatch.setattr(
        generated, "upstream_available", lambda flavour: "ModuleNotFoundError: mmcv"
    )
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(
        pytest.skip.Exception, match=r"pip install --no-build-isolation mmcv==1\.7\.2"
    ):
        generated._missing("mmcv1")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        generated._missing("mmcv1")


def test_mixed_cases_put_both_libraries_in_one_tree() -> None:
    _need("mmengine")
    from compat_tests.builder import build

    up, mm = load_lib("mmengine"), load_lib("mminit")
    pairs: dict[tuple[str, str], int] = {}

    def lib_of(m: Any) -> str:
        return (
            "up" if isinstance(m, up.BaseModule) else "mm" if isinstance(m, mm.BaseModule) else ""
        )

    for i in range(300):
        case = generate_case(5, i)
        if case["mixed"]:
            model = build(case["root"], lambda node: up if node.get("swap") else mm)
            for parent in model.modules():
                for child in parent.children():
                    key = (lib_of(parent), lib_of(child))
                    pairs[key] = pairs.get(key, 0) + 1
    assert pairs.get(("up", "mm"), 0) >= 20  # upstream parents with mminit children
    assert pairs.get(("mm", "up"), 0) >= 20  # and the reverse


def test_replay_command_names_the_failing_flavour() -> None:
    """An mmcv1 failure is replayed against mmcv1, not the command line's default (mmengine)."""
    text = format_failure("mmcv1", 7, 3, {"seed": 7}, ["tensors differ: ['fc.weight']"])
    assert "(replay: python -m compat_tests.suite --flavour mmcv1 --seed 7 --index 3)" in text
