"""One process of the process-stability check (``test_process_stability.py``).

``python -m compat_tests.process_stability LIB THREADS FAMILY,... MODE,...`` builds each
small benchmark model (:mod:`benchmarks.models`) on ``LIB`` after ``torch.manual_seed``
(:data:`SEED`), runs its ``init_weights`` and prints one line, :data:`MARKER` and a JSON
object: the sha256 of every parameter by ``family/mode/name``, and what the engine did.

An mminit lib inits each family twice, in both of the engine's regimes: ``unseen``
(the init-info dump reaches nobody: the dump logger is left at WARNING, so the engine
takes no mean) and ``seen`` (the dump logger at INFO, its records collected: every
check takes its mean).  An upstream lib (``mmengine``, ``mmcv1``) inits each family
once, as ``upstream``, with logging disabled (its values do not depend on the dump).

The parent runs many such processes at once, each with its own hash seed, thread count
and family order, so anything that varies from one process to the next (set order,
object addresses, garbage collection, the machine's load) has a chance to show.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch

__all__ = ["FAMILIES", "MARKER", "SEED", "run"]

#: the small benchmark families each process builds
FAMILIES = ("vit-b", "vit-b-overwritten", "vit-l-overhead")
SEED = 0
MARKER = "PROCESS-STABILITY "


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@contextmanager
def _dump_logger(lib_name: str, seen: bool) -> Iterator[_Collect]:
    """The logger mminit's dump goes to in this process, at INFO (``seen``) or WARNING."""
    from mminit._flavour import MMCV1, MMENGINE
    from mminit._logging import get_logger

    logger = get_logger(MMCV1 if lib_name == "mminit.mmcv1" else MMENGINE)
    handler = _Collect()
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if seen else logging.WARNING)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def _hashes(model: torch.nn.Module, prefix: str) -> dict[str, str]:
    def sha(p: torch.Tensor) -> str:
        return hashlib.sha256(p.detach().cpu().contiguous().numpy().tobytes()).hexdigest()[:16]

    return {f"{prefix}/{name}": sha(p) for name, p in model.named_parameters()}


def _init(family: str, lib_name: str) -> torch.nn.Module:
    from benchmarks.models import build_model, load_lib

    torch.manual_seed(SEED)
    model = build_model(family, load_lib(lib_name), "small")
    model.init_weights()  # type: ignore[operator]
    return model


def run(
    lib_name: str, families: Sequence[str], modes: Sequence[str] = ("unseen", "seen")
) -> dict[str, Any]:
    """Init each of ``families`` on ``lib_name``, an mminit lib in each of ``modes`` in
    that order (see the module docstring)."""
    from mminit._engine import stats

    out: dict[str, Any] = {"hashes": {}, "unseen": {}, "dumped": {}}
    for family in families:
        if not lib_name.startswith("mminit"):
            logging.disable(logging.CRITICAL)
            try:
                out["hashes"].update(_hashes(_init(family, lib_name), f"{family}/upstream"))
            finally:
                logging.disable(logging.NOTSET)
            continue
        for mode in modes:
            before = stats.unseen
            with _dump_logger(lib_name, seen=mode == "seen") as dump:
                model = _init(family, lib_name)
            out["hashes"].update(_hashes(model, f"{family}/{mode}"))
            out["unseen"][f"{family}/{mode}"] = stats.unseen - before
            out["dumped"][f"{family}/{mode}"] = dump.count
    return out


def main(argv: Sequence[str]) -> None:
    lib_name, threads, families, modes = argv
    torch.set_num_threads(int(threads))
    print(MARKER + json.dumps(run(lib_name, families.split(","), modes.split(","))), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
