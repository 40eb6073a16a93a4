"""Measuring helpers: timing, a busy neighbour, import cost, available libraries."""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import json
import logging
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn

__all__ = [
    "available_libs",
    "busy_neighbour",
    "dump_seen",
    "fast_mode_supported",
    "import_costs",
    "quiet_logs",
    "reset_init_flags",
    "Restorer",
    "time_call",
]


def available_libs() -> dict[str, str | None]:
    """``{"mmengine": why-not-or-None, "mminit": ...}``: None where importable."""
    status: dict[str, str | None] = {}
    if importlib.util.find_spec("mmengine") is None:
        status["mmengine"] = "mmengine is not installed"
    else:
        status["mmengine"] = None
    try:
        import mminit

        mminit.BaseModule  # noqa: B018  (the core may still be under construction)
        status["mminit"] = None
    except (ImportError, AttributeError) as exc:
        status["mminit"] = f"mminit is not usable yet: {exc}"
    return status


def fast_mode_supported(base_module: type) -> bool:
    """Whether ``base_module.init_weights`` takes a ``mode`` keyword."""
    init_weights = getattr(base_module, "init_weights", None)
    return init_weights is not None and "mode" in inspect.signature(init_weights).parameters


def quiet_logs() -> None:
    """Keep the init-info dumps (INFO) off the console, for both libraries."""
    logging.getLogger("mminit").setLevel(logging.WARNING)
    if importlib.util.find_spec("mmengine") is not None:
        from mmengine.logging import MMLogger

        name = "mminit-benchmarks"
        if MMLogger.check_instance_created(name):
            logger = MMLogger.get_instance(name)
        else:
            logger = MMLogger.get_instance(name, log_level="WARNING")
        logger.setLevel(logging.WARNING)


def _dump_loggers() -> list[logging.Logger]:
    loggers = [logging.getLogger("mminit")]
    if "mmengine.logging.logger" in sys.modules:
        from mmengine.logging import MMLogger

        if MMLogger._instance_dict:
            loggers.append(MMLogger.get_current_instance())
    return loggers


@contextlib.contextmanager
def dump_seen() -> Iterator[None]:
    """Inside the block the init-info dump's loggers are enabled for INFO (their records
    are made; the quiet handlers, at WARNING, still print none of them)."""
    saved = [(lg, lg.level) for lg in _dump_loggers()]
    for lg, _ in saved:
        lg.setLevel(logging.INFO)
    try:
        yield
    finally:
        for lg, level in saved:
            lg.setLevel(level)


def reset_init_flags(model: nn.Module) -> None:
    """Make ``init_weights`` run again (it does nothing on an initialised module)."""
    for m in model.modules():
        if hasattr(m, "_is_init"):
            object.__setattr__(m, "_is_init", False)


class Restorer:
    """A model's parameter values as built, put back before each timed init (untimed).

    A contender run right after another with the same seed on the same model would
    otherwise start from exactly the values it is about to write: every mean it compares
    would equal the one before, which no real first init meets (a model starts from its
    constructor's values), and which sends the compat engine down its exact fallback for
    that case (re-drawing skipped random values from saved generator states).
    """

    def __init__(self, model: nn.Module) -> None:
        self.saved = [(p, p.detach().clone()) for p in model.parameters()]

    def __call__(self) -> None:
        with torch.no_grad():
            for p, value in self.saved:
                p.copy_(value)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_call(fn: Callable[[], Any], device: torch.device) -> float:
    """Seconds ``fn`` takes, the device's queue drained before and after."""
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


@contextlib.contextmanager
def busy_neighbour(enabled: bool) -> Iterator[None]:
    """Run a CPU-burning Python process beside the benchmark while enabled."""
    if not enabled:
        yield
        return
    proc = subprocess.Popen([sys.executable, "-c", "while True:\n    pass"])
    try:
        time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


_IMPORT_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
before = set(sys.modules)
{stmt}
t2 = time.perf_counter()
print(json.dumps({{
    "torch_s": t1 - t0,
    "extra_s": t2 - t1,
    "extra_modules": len(set(sys.modules) - before),
    "torch.distributed": "torch.distributed" in sys.modules,
    "sympy": "sympy" in sys.modules,
}}))
"""


def import_costs(targets: dict[str, str], runs: int = 5) -> dict[str, dict[str, Any]]:
    """Median cost of importing each target after ``import torch``, in fresh interpreters.

    ``targets`` maps a label to an import statement (``"pass"`` for torch alone).
    Each run is a new ``python`` process: the first import of a module is what
    a user pays.  Reports the median seconds of ``import torch``, the median
    seconds the statement adds on top, how many modules it adds, and whether
    ``torch.distributed`` / ``sympy`` are loaded once it is done.
    """
    out: dict[str, dict[str, Any]] = {}
    for label, stmt in targets.items():
        samples: list[dict[str, Any]] = []
        for _ in range(runs):
            res = subprocess.run(
                [sys.executable, "-c", _IMPORT_PROBE.format(stmt=stmt)],
                capture_output=True,
                text=True,
                check=False,
            )
            if res.returncode != 0:
                tail = res.stderr.strip().splitlines()[-1:] or ["?"]
                samples = []
                out[label] = {"error": tail[0]}
                break
            samples.append(json.loads(res.stdout.strip().splitlines()[-1]))
        if samples:
            out[label] = {
                "torch_s": statistics.median(s["torch_s"] for s in samples),
                "extra_s": statistics.median(s["extra_s"] for s in samples),
                "extra_modules": statistics.median(s["extra_modules"] for s in samples),
                "torch.distributed": samples[-1]["torch.distributed"],
                "sympy": samples[-1]["sympy"],
            }
    return out
