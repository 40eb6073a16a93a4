"""Issue 22 item 4: overlapping ``explain()`` calls leave the process's output alone.

Two threads explaining at once (the second starting while the first is inside
its model's ``init_weights``), a nested call (``explain`` inside a model's
``init_weights``) and a run that fails: afterwards ``sys.stdout``,
``logging.Logger.handle``, the warning filters and every logger's and handler's
filters are what they were; prints and records of other threads during a run
come through; and each plan equals the plan of the same call made alone.
"""

from __future__ import annotations

import logging
import sys
import threading
import warnings
from typing import Any, ClassVar

import pytest
from torch import nn

import mminit

_TALK = "corehard.explain.talker"
_WAIT = 2.0  # seconds a run waits for the other (bounded: the fix serialises the runs)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _talker(entered: threading.Event, proceed: threading.Event) -> type[mminit.BaseModule]:
    """A model whose own ``init_weights`` prints, logs and warns, then signals ``entered``
    and waits (bounded) for ``proceed`` before ``super().init_weights()``."""

    class Talker(mminit.BaseModule):
        events: ClassVar[tuple[threading.Event, threading.Event]] = (entered, proceed)

        def __init__(self) -> None:
            super().__init__(
                init_cfg=[
                    dict(type="Constant", val=2, bias=1, layer="Linear"),
                    dict(type="Normal", std=0.5, override=dict(name="head")),
                ]
            )
            self.fc = nn.Linear(3, 3)
            self.head = nn.Linear(3, 2)

        def init_weights(self) -> None:
            print("talker prints")
            logging.getLogger(_TALK).warning("talker logs")
            warnings.warn("talker warns", UserWarning, stacklevel=1)
            inside, go_on = type(self).events
            inside.set()
            go_on.wait(_WAIT)
            super().init_weights()

    return Talker


def _state() -> dict[str, Any]:
    loggers = [logging.root] + [
        x for x in logging.Logger.manager.loggerDict.values() if isinstance(x, logging.Logger)
    ]
    return {
        "stdout": sys.stdout,
        "handle": logging.Logger.__dict__["handle"],
        "warning filters": list(warnings.filters),
        "logger filters": [(x.name, list(x.filters)) for x in loggers],
        "handler filters": [(x.name, [list(h.filters) for h in x.handlers]) for x in loggers],
        "last resort filters": list(getattr(logging.lastResort, "filters", [])),
    }


@pytest.fixture
def talk_records() -> Any:
    handler = _Records()
    logger = logging.getLogger(_TALK)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_two_threads_overlapping(capsys, talk_records) -> None:
    done = threading.Event()
    done.set()
    alone = mminit.explain(_talker(threading.Event(), done)()).to_dict()
    capsys.readouterr()
    talk_records.messages.clear()
    before = _state()

    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    plans: dict[str, Any] = {}
    errors: list[BaseException] = []

    def explain_in_thread(key: str, model: nn.Module, finished: threading.Event | None) -> None:
        try:
            plans[key] = mminit.explain(model).to_dict()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            if finished is not None:
                finished.set()

    # a waits inside its init_weights for b to be inside too; b waits for a to be done:
    # without a lock, a's run ends first and b's puts back what a had swapped in.
    first = threading.Thread(target=explain_in_thread, args=("a", _talker(a_in, b_in)(), a_out))
    second = threading.Thread(target=explain_in_thread, args=("b", _talker(b_in, a_out)(), None))
    first.start()
    assert a_in.wait(10)
    print("main prints while a runs")  # another thread's output is not swallowed
    logging.getLogger(_TALK).warning("main logs while a runs")
    second.start()
    first.join(30)
    second.join(30)
    assert not first.is_alive() and not second.is_alive() and errors == []

    assert _state() == before
    assert plans["a"] == plans["b"] == alone
    print("main prints after")
    logging.getLogger(_TALK).warning("main logs after")
    out, err = capsys.readouterr()
    assert out == "main prints while a runs\nmain prints after\n"
    assert talk_records.messages == ["main logs while a runs", "main logs after"]
    assert "talker" not in err and "a new logger logs" not in err


_NESTED: list[dict[str, Any]] = []


class Inner(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__(init_cfg=dict(type="Xavier", layer="Linear"))
        self.fc = nn.Linear(4, 4)


class Outer(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__(init_cfg=dict(type="Constant", val=3, layer="Linear"))
        self.fc = nn.Linear(2, 2)

    def init_weights(self) -> None:
        print("outer prints")
        _NESTED.append(mminit.explain(Inner()).to_dict())
        print("outer prints again")
        logging.getLogger(_TALK).warning("outer logs after the nested explain")
        super().init_weights()


def test_nested_call(capsys, talk_records) -> None:
    inner_alone = mminit.explain(Inner()).to_dict()
    before = _state()
    _NESTED.clear()
    outer = mminit.explain(Outer()).to_dict()
    assert _state() == before
    assert _NESTED == [inner_alone]
    assert outer["error"] is None and [t["name"] for t in outer["tensors"]] == [
        "fc.weight",
        "fc.bias",
    ]
    assert capsys.readouterr().out == ""  # the run's prints, before and after the nested one
    assert talk_records.messages == []


class Broken(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def init_weights(self) -> None:
        print("broken prints")
        raise RuntimeError("init failed")


def test_failed_run_restores_everything(capsys) -> None:
    before = _state()
    plan = mminit.explain(Broken())
    assert plan.error == "RuntimeError: init failed"
    assert _state() == before
    print("after")
    assert capsys.readouterr().out == "after\n"
