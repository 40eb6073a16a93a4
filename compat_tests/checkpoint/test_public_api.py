"""The public checkpoint names against real upstream, called the same way.

``mminit.load_checkpoint`` & co. against ``mmengine.runner.checkpoint``'s and
``mminit.mmcv1.load_checkpoint`` & co. against ``mmcv.runner``'s: the same
returned objects, loaded tensors, log records, stdout, warnings and exception
types, for local files, ``revise_keys``, strict on/off with missing,
unexpected and shape-mismatched keys, a DataParallel-wrapped model, custom
schemes registered with ``CheckpointLoader.register_scheme``, and signatures.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch
from torch import nn

from compat_tests.checkpoint.support import Net, console, net_state
from compat_tests.libs import Records, missing_upstream

PUBLIC_MODULE = {"mmengine": "mminit", "mmcv1": "mminit.mmcv1"}
UPSTREAM_PUBLIC = {"mmengine": "mmengine.runner.checkpoint", "mmcv1": "mmcv.runner"}
NAMES = (
    "load_checkpoint",
    "_load_checkpoint",
    "_load_checkpoint_with_prefix",
    "load_state_dict",
    "CheckpointLoader",
)


@dataclass
class Sides:
    theirs: ModuleType
    mine: ModuleType


@pytest.fixture
def sides(flavour_name: str) -> Sides:
    try:
        theirs = importlib.import_module(UPSTREAM_PUBLIC[flavour_name])
    except Exception as exc:  # noqa: BLE001 - any import failure means the upstream is unusable
        missing_upstream(f"{UPSTREAM_PUBLIC[flavour_name]} is not importable ({exc})")
    return Sides(theirs, importlib.import_module(PUBLIC_MODULE[flavour_name]))


def trained() -> OrderedDict[str, torch.Tensor]:
    return net_state(5)


def fresh(classes: int = 3, wrap: bool = False) -> nn.Module:
    torch.manual_seed(0)
    net = Net(classes)
    return nn.DataParallel(net) if wrap else net


def _mismatched() -> dict[str, Any]:
    sd = trained()
    del sd["head.bias"]
    sd["neck.weight"] = torch.ones(2)
    sd["backbone.0.bias"] = torch.ones(7)
    return {"state_dict": sd, "meta": {"epoch": 3}}


CONTENTS: dict[str, Callable[[], Any]] = {
    "top-level": trained,
    "state_dict+meta": lambda: {"state_dict": trained(), "meta": {"epoch": 2}},
    "module.-prefixed": lambda: {
        "state_dict": OrderedDict((f"module.{k}", v) for k, v in trained().items())
    },
    "renamed": lambda: OrderedDict(
        (k.replace("backbone.", "trunk."), v) for k, v in trained().items()
    ),
    "mismatch": _mismatched,
    "model-key": lambda: {"model": trained(), "epoch": 1},  # upstream: 'model' is just a key
    "not-a-dict": lambda: [torch.ones(1)],
}

REVISE = {
    "default": None,
    "none": [],
    "trunk->backbone": [(r"^trunk\.", "backbone."), (r"^module\.", "")],
}


@dataclass
class Outcome:
    returned: Any
    weights: dict[str, torch.Tensor]
    records: list[tuple[str, str]]
    stdout: str
    warned: list[tuple[str, str]]
    error: tuple[str, str] | None


def run(
    capsys: pytest.CaptureFixture[str],
    call: Callable[[nn.Module, logging.Logger], Any],
    model: nn.Module,
) -> Outcome:
    logger = logging.getLogger("compat-public-ckpt")
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = Records()
    logger.addHandler(handler)
    capsys.readouterr()
    error = returned = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            returned = call(model, logger)
        except Exception as exc:  # noqa: BLE001 - the error is the observation compared
            error = (type(exc).__name__, str(exc))
    logger.removeHandler(handler)
    warned = [
        (w.category.__name__, str(w.message))
        for w in caught
        if "weights_only" not in str(w.message) and "TORCH_FORCE" not in str(w.message)
    ]
    return Outcome(
        returned, dict(model.state_dict()), handler.records, console(capsys), warned, error
    )


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def assert_same(theirs: Outcome, mine: Outcome, error_types: tuple[str, str] | None = None) -> None:
    assert mine.records == theirs.records
    assert mine.stdout == theirs.stdout
    assert mine.warned == theirs.warned
    assert same(theirs.returned, mine.returned)
    assert mine.weights.keys() == theirs.weights.keys()
    for key, value in theirs.weights.items():
        assert torch.equal(mine.weights[key], value), key
    if error_types is None:  # same type; mminit's text is upstream's, maybe followed by advice
        assert (mine.error is None) == (theirs.error is None), (theirs.error, mine.error)
        if theirs.error is not None and mine.error is not None:
            assert mine.error[0] == theirs.error[0]
            assert mine.error[1].startswith(theirs.error[1]), (theirs.error, mine.error)
    else:
        assert theirs.error is not None and mine.error is not None, (theirs.error, mine.error)
        assert (theirs.error[0], mine.error[0]) == error_types


def test_every_name_is_public(sides: Sides) -> None:
    for name in NAMES:
        assert hasattr(sides.theirs, name)
        assert name in sides.mine.__all__
        assert getattr(sides.mine, name).__module__ == sides.mine.__name__


@pytest.mark.parametrize(
    "name",
    ["load_checkpoint", "_load_checkpoint", "_load_checkpoint_with_prefix", "load_state_dict"],
)
def test_signatures_match_upstream(sides: Sides, name: str) -> None:
    def params(fn: Callable[..., Any]) -> list[tuple[str, Any]]:
        return [
            (p.name, p.default)
            for p in inspect.signature(fn).parameters.values()
            if p.kind is not p.KEYWORD_ONLY
        ]

    assert params(getattr(sides.mine, name)) == params(getattr(sides.theirs, name))
    extra = [
        p.name
        for p in inspect.signature(getattr(sides.mine, name)).parameters.values()
        if p.kind is p.KEYWORD_ONLY
    ]
    assert extra in ([], ["weights_only"])


def test_checkpoint_loader_methods_match_upstream(sides: Sides) -> None:
    for method in ("register_scheme", "load_checkpoint", "_get_checkpoint_loader"):
        theirs = inspect.signature(getattr(sides.theirs.CheckpointLoader, method))
        mine = inspect.signature(getattr(sides.mine.CheckpointLoader, method))
        assert [(p.name, p.default) for p in mine.parameters.values()] == [
            (p.name, p.default) for p in theirs.parameters.values()
        ], method


def test_builtin_schemes_and_loader_names_match(sides: Sides) -> None:
    theirs = {p: fn.__name__ for p, fn in sides.theirs.CheckpointLoader._schemes.items()}
    mine = {p: fn.__name__ for p, fn in sides.mine.CheckpointLoader._schemes.items()}
    assert {p: n for p, n in mine.items() if p in theirs} == theirs
    assert list(mine)[-1] == list(theirs)[-1] == ""


@pytest.mark.parametrize("content", list(CONTENTS))
@pytest.mark.parametrize("revise", list(REVISE))
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("use_logger", [True, False], ids=["logger", "stdout"])
def test_load_checkpoint(
    sides: Sides, tmp_path: Path, capsys, content: str, revise: str, strict: bool, use_logger: bool
) -> None:
    path = str(tmp_path / f"{content}.pth")
    torch.save(CONTENTS[content](), path)
    extra = {} if REVISE[revise] is None else {"revise_keys": REVISE[revise]}

    def via(mod: ModuleType) -> Callable[[nn.Module, logging.Logger], Any]:
        return lambda model, logger: mod.load_checkpoint(
            model,
            path,
            map_location="cpu",
            strict=strict,
            logger=logger if use_logger else None,
            **extra,
        )

    assert_same(run(capsys, via(sides.theirs), fresh()), run(capsys, via(sides.mine), fresh()))


@pytest.mark.parametrize("content", ["top-level", "module.-prefixed", "mismatch"])
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_dataparallel_wrapped_model(
    sides: Sides, tmp_path: Path, capsys, content: str, strict: bool
) -> None:
    path = str(tmp_path / "dp.pth")
    torch.save(CONTENTS[content](), path)

    def via(mod: ModuleType) -> Callable[[nn.Module, logging.Logger], Any]:
        return lambda model, logger: mod.load_checkpoint(model, path, strict=strict, logger=logger)

    theirs = run(capsys, via(sides.theirs), fresh(wrap=True))
    mine = run(capsys, via(sides.mine), fresh(wrap=True))
    assert_same(theirs, mine)


@pytest.mark.parametrize("content", ["top-level", "state_dict+meta", "mismatch"])
@pytest.mark.parametrize("logger_kind", ["logger", "stdout"])
def test_underscore_load_checkpoint_returns_the_same(
    sides: Sides, tmp_path: Path, capsys, content: str, logger_kind: str
) -> None:
    path = str(tmp_path / "raw.pth")
    torch.save(CONTENTS[content](), path)

    def via(mod: ModuleType) -> Callable[[nn.Module, logging.Logger], Any]:
        return lambda model, logger: mod._load_checkpoint(
            path, "cpu", logger if logger_kind == "logger" else None
        )

    assert_same(run(capsys, via(sides.theirs), fresh()), run(capsys, via(sides.mine), fresh()))


@pytest.mark.parametrize("prefix", ["backbone", "head.", "nothing"])
def test_load_checkpoint_with_prefix(sides: Sides, tmp_path: Path, capsys, prefix: str) -> None:
    path = str(tmp_path / "prefix.pth")
    torch.save(CONTENTS["state_dict+meta"](), path)

    def via(mod: ModuleType) -> Callable[[nn.Module, logging.Logger], Any]:
        return lambda model, logger: mod._load_checkpoint_with_prefix(prefix, path)

    theirs = run(capsys, via(sides.theirs), fresh())
    mine = run(capsys, via(sides.mine), fresh())
    if prefix == "nothing":  # upstream asserts; mminit's AssertionError also lists prefixes
        assert_same(theirs, mine, ("AssertionError", "PrefixNotFoundError"))
        from mminit._checkpoint import PrefixNotFoundError

        assert issubclass(PrefixNotFoundError, AssertionError)
    else:
        assert_same(theirs, mine)


@pytest.mark.parametrize("state", ["clean", "mismatch"])
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("logger_kind", ["logger", "stdout", "silent"])
def test_load_state_dict(sides: Sides, capsys, state: str, strict: bool, logger_kind: str) -> None:
    """Includes an upstream oddity: mmcv 1.x calls ``logger.warning`` itself, so
    ``logger='silent'`` with a mismatch is an ``AttributeError`` there (mminit's
    message says why); mmengine's ``print_log`` drops the report."""
    sd = trained() if state == "clean" else _mismatched()["state_dict"]

    def via(mod: ModuleType) -> Callable[[nn.Module, logging.Logger], Any]:
        def go(model: nn.Module, logger: logging.Logger) -> Any:
            chosen = {"logger": logger, "stdout": None, "silent": "silent"}[logger_kind]
            return mod.load_state_dict(model, sd, strict, chosen)

        return go

    theirs = run(capsys, via(sides.theirs), fresh())
    mine = run(capsys, via(sides.mine), fresh())
    if theirs.error is not None and theirs.error[0] == "AttributeError":
        assert_same(theirs, mine, ("AttributeError", "AttributeError"))
    else:
        assert_same(theirs, mine)


def test_missing_file_and_directory_are_file_not_found(
    sides: Sides, tmp_path: Path, capsys
) -> None:
    for target in (tmp_path / "absent.pth", tmp_path):

        def via(mod: ModuleType, name: str = str(target)) -> Callable[..., Any]:
            return lambda model, logger: mod.load_checkpoint(model, name, logger=logger)

        theirs = run(capsys, via(sides.theirs), fresh())
        mine = run(capsys, via(sides.mine), fresh())
        assert_same(theirs, mine, ("FileNotFoundError", "FileNotFoundError"))
        assert str(target) in mine.error[1]  # type: ignore[index]


@pytest.fixture
def scheme_cleanup(sides: Sides) -> Iterator[list[str]]:
    added: list[str] = []
    yield added
    for cls in (sides.theirs.CheckpointLoader, sides.mine.CheckpointLoader):
        for prefix in added:
            cls._schemes.pop(prefix, None)


_STORE: dict[str, Any] = {}


def load_from_h5mem(filename: str, map_location: Any = None) -> Any:
    return _STORE[filename.split("://", 1)[1]]


def load_from_h5other(filename: str, map_location: Any = None) -> Any:
    return {"state_dict": OrderedDict((k, v * 2) for k, v in trained().items())}


@pytest.mark.parametrize("use_logger", [True, False], ids=["logger", "stdout"])
def test_custom_scheme(sides: Sides, capsys, scheme_cleanup: list[str], use_logger: bool) -> None:
    _STORE["net"] = {"state_dict": trained(), "meta": {"from": "memory"}}
    scheme_cleanup.extend(["h5mem://", "h5mem://special/"])

    def register(mod: ModuleType) -> Callable[..., Any]:
        def go(model: nn.Module, logger: logging.Logger) -> Any:
            mod.CheckpointLoader.register_scheme("h5mem://", load_from_h5mem)
            decorator = mod.CheckpointLoader.register_scheme(prefixes=["h5mem://special/"])
            decorator(load_from_h5other)
            first = mod.load_checkpoint(model, "h5mem://net", logger=logger if use_logger else None)
            second = mod._load_checkpoint(
                "h5mem://special/x", logger=logger if use_logger else None
            )
            return [
                first,
                second,
                mod.CheckpointLoader._get_checkpoint_loader("h5mem://a").__name__,
            ]

        return go

    theirs = run(capsys, register(sides.theirs), fresh())
    mine = run(capsys, register(sides.mine), fresh())
    assert_same(theirs, mine)
    assert theirs.returned[2] == "load_from_h5mem"


def test_scheme_registration_errors(sides: Sides, capsys, scheme_cleanup: list[str]) -> None:
    scheme_cleanup.append("h5dup://")

    def twice(mod: ModuleType) -> Callable[..., Any]:
        def go(model: nn.Module, logger: logging.Logger) -> Any:
            mod.CheckpointLoader.register_scheme("h5dup://", load_from_h5mem)
            mod.CheckpointLoader.register_scheme("h5dup://", load_from_h5other)

        return go

    assert_same(run(capsys, twice(sides.theirs), fresh()), run(capsys, twice(sides.mine), fresh()))

    def forced(mod: ModuleType) -> Callable[..., Any]:
        def go(model: nn.Module, logger: logging.Logger) -> Any:
            mod.CheckpointLoader.register_scheme("h5dup://", load_from_h5other, force=True)
            return mod.load_checkpoint(model, "h5dup://x", logger=logger)

        return go

    assert_same(
        run(capsys, forced(sides.theirs), fresh()), run(capsys, forced(sides.mine), fresh())
    )

    def bad(mod: ModuleType) -> Callable[..., Any]:
        return lambda model, logger: mod.CheckpointLoader.register_scheme({"x": 1}, load_from_h5mem)

    theirs = run(capsys, bad(sides.theirs), fresh())
    mine = run(capsys, bad(sides.mine), fresh())
    assert_same(theirs, mine, ("AssertionError", "InvalidSchemeArg"))
    assert "prefixes" in mine.error[1]  # type: ignore[index]


def test_scheme_registered_on_mminit_is_used_by_pretrained(
    flavour_name: str, scheme_cleanup: list[str]
) -> None:
    """``init_cfg=dict(type='Pretrained', checkpoint='h5mem://...')`` goes through the
    flavour's CheckpointLoader, as upstream's PretrainedInit goes through its own."""
    mod = importlib.import_module(PUBLIC_MODULE[flavour_name])
    scheme_cleanup.append("h5mem://")
    _STORE["pretrained"] = {"state_dict": trained()}
    mod.CheckpointLoader.register_scheme("h5mem://", load_from_h5mem)

    class Model(mod.BaseModule):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__(init_cfg=dict(type="Pretrained", checkpoint="h5mem://pretrained"))
            self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
            self.head = nn.Linear(4, 3)

    model = Model()
    model.init_weights()
    for key, value in trained().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_deprecated_zoo_name_warns_like_upstream(
    flavour_name: str, sides: Sides, tmp_path: Path, capsys, loopback, monkeypatch
) -> None:
    """A renamed ``open-mmlab://`` name: mmcv 1.x raises a ``DeprecationWarning``,
    mmengine logs a WARNING on its current logger; then both download and load."""
    import io
    import json
    import os

    buf = io.BytesIO()
    torch.save({"state_dict": trained()}, buf)
    url = loopback.serve(f"/zoo_{flavour_name}.pth", buf.getvalue())
    home = Path(os.environ["MMENGINE_HOME" if flavour_name == "mmengine" else "MMCV_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "open_mmlab.json").write_text(json.dumps({"detectron/resnet50_caffe": url}))
    current = None
    if flavour_name == "mmengine":
        from mmengine.logging import MMLogger

        current = MMLogger.get_current_instance()

    def via(mod: ModuleType, side: str) -> Callable[[nn.Module, logging.Logger], Any]:
        def go(model: nn.Module, logger: logging.Logger) -> Any:
            monkeypatch.setenv("TORCH_HOME", str(tmp_path / side))
            extra = Records()
            if current is not None:
                current.addHandler(extra)
            try:
                return mod.load_checkpoint(model, "open-mmlab://resnet50_caffe", logger=logger)
            finally:
                if current is not None:
                    current.removeHandler(extra)
                    for level, text in extra.records:
                        logger.log(getattr(logging, level), f"[current] {text}")

        return go

    theirs = run(capsys, via(sides.theirs, "up"), fresh())
    mine = run(capsys, via(sides.mine, "mm"), fresh())
    # MMLogger's console handler drops a repeated warning (its duplicate filter), so
    # its lines are left out of stdout; the records themselves are compared.
    console = re.compile(r"^\d\d/\d\d \d\d:\d\d:\d\d - mmengine - .*\n", re.MULTILINE)
    theirs.stdout = console.sub("", theirs.stdout.replace(str(tmp_path / "up"), "<HOME>"))
    mine.stdout = console.sub("", mine.stdout.replace(str(tmp_path / "mm"), "<HOME>"))
    assert_same(theirs, mine)
    expected = (
        "open-mmlab://resnet50_caffe is deprecated in favor of "
        "open-mmlab://detectron/resnet50_caffe"
    )
    if flavour_name == "mmcv1":
        assert mine.warned == [("DeprecationWarning", expected)]
    else:
        assert ("WARNING", f"[current] {expected}") in mine.records


def test_str_logger_name(sides: Sides, flavour_name: str, tmp_path: Path, capsys) -> None:
    """A logger given by name: mmengine requires an existing MMLogger of that name
    (``ValueError`` otherwise); mmcv 1.x creates it with its ``get_logger``."""
    path = str(tmp_path / "named.pth")
    torch.save(trained(), path)
    name = f"h5-named-{flavour_name}"

    def via(mod: ModuleType) -> Callable[..., Any]:
        return lambda model, logger: mod.load_checkpoint(model, path, logger=name)

    theirs = run(capsys, via(sides.theirs), fresh())
    mine = run(capsys, via(sides.mine), fresh())
    assert_same(theirs, mine)
    assert (theirs.error is not None) == (flavour_name == "mmengine")


def test_scheme_prefixes_are_checked_before_any_is_registered(
    sides: Sides, scheme_cleanup: list[str]
) -> None:
    """A list with a non-str prefix: upstream raises ``TypeError`` from its sort after
    registering the whole list, and every later ``register_scheme`` then raises too.
    mminit raises a ``TypeError`` naming the prefix and registers none of them."""
    scheme_cleanup.extend(["h5half://", None, "h5after://"])  # type: ignore[list-item]

    for mod in (sides.theirs, sides.mine):
        with pytest.raises(TypeError) as info:
            mod.CheckpointLoader.register_scheme(["h5half://", None], load_from_h5mem)
        if mod is sides.mine:
            assert "None" in str(info.value) and "nothing was registered" in str(info.value)
    assert (
        "h5half://" in sides.theirs.CheckpointLoader._schemes
    )  # upstream: registered, then broken
    with pytest.raises(TypeError):
        sides.theirs.CheckpointLoader.register_scheme("h5after://", load_from_h5mem)
    assert "h5half://" not in sides.mine.CheckpointLoader._schemes
    assert None not in sides.mine.CheckpointLoader._schemes
    sides.mine.CheckpointLoader.register_scheme("h5after://", load_from_h5mem)  # still usable
    assert sides.mine.CheckpointLoader._get_checkpoint_loader("h5after://x") is load_from_h5mem


def test_scheme_prefix_regex(
    sides: Sides, capsys, scheme_cleanup: list[str], tmp_path: Path
) -> None:
    """Prefixes are regular expressions (both sides): a valid one with special characters
    matches the same names.  An invalid one (``h5bad(://``) upstream accepts, and then every
    load fails with ``re.error`` naming no scheme; mminit refuses it with an ``re.error``
    naming the prefix, and local loads keep working."""
    scheme_cleanup.extend(["h5re+://", "h5bad(://"])
    _STORE["re"] = {"state_dict": trained()}
    path = tmp_path / "local.pth"
    torch.save(trained(), path)

    def valid(mod: ModuleType) -> Callable[..., Any]:
        def go(model: nn.Module, logger: logging.Logger) -> Any:
            mod.CheckpointLoader.register_scheme("h5re+://", load_from_h5mem)
            got = mod.CheckpointLoader._get_checkpoint_loader("h5reee://re")
            return [
                getattr(got, "__name__", None),
                mod.load_checkpoint(model, "h5reee://re", logger=logger),
            ]

        return go

    assert_same(run(capsys, valid(sides.theirs), fresh()), run(capsys, valid(sides.mine), fresh()))

    def invalid(mod: ModuleType) -> Callable[..., Any]:
        def go(model: nn.Module, logger: logging.Logger) -> Any:
            try:
                mod.CheckpointLoader.register_scheme("h5bad(://", load_from_h5mem)
            except re.error as exc:
                return ["refused", str(exc), mod.load_checkpoint(model, str(path), logger=logger)]
            return ["accepted", mod.load_checkpoint(model, str(path), logger=logger)]

        return go

    theirs = run(capsys, invalid(sides.theirs), fresh())
    mine = run(capsys, invalid(sides.mine), fresh())
    # re.error is named PatternError from Python 3.13 on (re.error stays an alias)
    assert theirs.error is not None and theirs.error[0] == re.error.__name__  # type: ignore[index]
    assert mine.error is None and mine.returned[0] == "refused"
    assert "'h5bad(://'" in mine.returned[1] and "re.escape" in mine.returned[1]
    assert "h5bad(://" not in sides.mine.CheckpointLoader._schemes


@pytest.mark.parametrize("map_location", [12345, 1.5, b"cpu"], ids=["int", "float", "bytes"])
def test_bad_map_location_is_a_type_error_naming_the_file(
    sides: Sides, capsys, tmp_path: Path, map_location: Any
) -> None:
    """Upstream's ``torch.load`` ends in a ``TypeError`` naming neither the file nor
    ``map_location`` (``'int' object is not callable``); mminit raises a ``TypeError`` too,
    after the same loading line, naming both."""
    path = tmp_path / "w.pth"
    torch.save(trained(), path)

    def load(mod: ModuleType) -> Callable[..., Any]:
        return lambda model, logger: mod._load_checkpoint(
            str(path), map_location=map_location, logger=logger
        )

    theirs = run(capsys, load(sides.theirs), fresh())
    mine = run(capsys, load(sides.mine), fresh())
    assert theirs.error is not None and theirs.error[0] == "TypeError"
    assert mine.error is not None and mine.error[0] == "TypeError"
    assert str(path) in mine.error[1] and f"map_location={map_location!r}" in mine.error[1]
    assert (mine.records, mine.stdout) == (theirs.records, theirs.stdout)
