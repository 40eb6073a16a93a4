"""Generated cases through the plan cache: the second init of each tree replays its plan.

Each generated case (the cases of ``test_generated.py``) is run twice on the mminit side,
each time on a freshly built model: the first init walks the tree and records a plan,
the second replays it.  Both are compared with upstream (tensors, the random stream's
effect on them, init-info strings, log records, warnings, ``is_init``, what is left on
the modules), once with the init-info dump visible (means taken) and once with it
unseen (loggers above INFO: no means at all).

The two builds of a case share their classes (:func:`compat_tests.builder.reused_classes`):
the builder otherwise makes new classes for every build, and a plan is keyed by classes.
Many generated cases cannot replay on purpose (custom initializers, ``Pretrained``,
errors, second calls, eager and fast modes, ``initialize`` as the entry point); the test
requires at least one in five to have replayed.

A second test runs ``mminit.explain`` first: on a tree the cache can key, explain records
the plan, and the init after it must replay *that* plan (no walk) and still match
upstream in everything compared.

Environment: ``MMINIT_PLAN_CASES`` (cases per flavour and visibility, default 600),
``MMINIT_PLAN_EXPLAIN_CASES`` (the same for the explain-first test, default 200),
``MMINIT_COMPAT_SEED`` as in ``test_generated.py``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import torch

from compat_tests.builder import build, reused_classes, write_checkpoints
from compat_tests.differential import run_case
from compat_tests.generator import generate_case
from compat_tests.libs import (
    INSTALL_HINT,
    MMINIT_OF,
    UPSTREAM_OF,
    LogCapture,
    load_lib,
    missing_upstream,
    requested_flavours,
    upstream_available,
)
from compat_tests.suite import default_seed

SEED = default_seed()
CASES = int(os.environ.get("MMINIT_PLAN_CASES", "600"))
EXPLAIN_CASES = int(os.environ.get("MMINIT_PLAN_EXPLAIN_CASES", "200"))


@contextlib.contextmanager
def _side_by_side(flavour: str, visible: bool) -> Iterator[tuple[Any, Any, LogCapture, str]]:
    """Upstream's and mminit's libraries of ``flavour``, a log capture (the dump seen or
    not), a checkpoint directory; one thread, and an empty plan cache afterwards."""
    why = upstream_available(flavour)
    if why is not None:  # a skip, or under CI=true a failure
        missing_upstream(f"upstream {flavour} not importable ({why}): {INSTALL_HINT[flavour]}")
    from mminit._engine import plan_cache

    ref, test = load_lib(UPSTREAM_OF[flavour]), load_lib(MMINIT_OF[flavour])
    capture = LogCapture(logging.DEBUG if visible else logging.WARNING)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with tempfile.TemporaryDirectory(prefix="mminit-plans-") as ckpt_dir:
            yield ref, test, capture, ckpt_dir
    finally:
        torch.set_num_threads(threads)
        plan_cache.clear()


def _assert_none_differ(failures: list[str]) -> None:
    assert not failures, (
        f"{len(failures)} differ (seed {SEED}, MMINIT_COMPAT_SEED={SEED} to rerun):\n"
        + "\n".join(failures[:5])
    )


@pytest.mark.parametrize("visible", [True, False], ids=["dump-seen", "dump-unseen"])
@pytest.mark.parametrize("flavour", requested_flavours())
def test_second_init_replays_the_plan_as_upstream(flavour: str, visible: bool) -> None:
    from mminit._engine import plan_cache, stats

    failures: list[str] = []
    replayed = 0
    with _side_by_side(flavour, visible) as (ref, test, capture, ckpt_dir):
        for index in range(CASES):
            case = generate_case(SEED, index)
            plan_cache.clear()
            with reused_classes():  # both builds of the case share their classes
                for attempt in ("walk", "replay"):
                    before = stats.replayed
                    diffs = run_case(case, ref, test, capture, ckpt_dir, f"p{index}")
                    if attempt == "replay":
                        replayed += stats.replayed > before
                    if diffs:
                        failures.append(f"case {index} ({attempt}): {diffs[:3]}")
    print(f"\nplans {flavour} seen={visible}: seed {SEED}, {CASES} cases, {replayed} replayed")
    _assert_none_differ(failures)
    # the suite proves the replay only if replays happen
    assert replayed >= CASES // 5, f"only {replayed} of {CASES} second inits replayed a plan"


@pytest.mark.parametrize("visible", [True, False], ids=["dump-seen", "dump-unseen"])
@pytest.mark.parametrize("flavour", requested_flavours())
def test_init_after_explain_replays_the_explained_plan_as_upstream(
    flavour: str, visible: bool
) -> None:
    from mminit import explain
    from mminit._engine import plan_cache, stats

    failures: list[str] = []
    cached = 0
    with _side_by_side(flavour, visible) as (ref, test, capture, ckpt_dir):
        for index in range(EXPLAIN_CASES):
            case = generate_case(SEED, index)
            if case.get("mixed") or case.get("entry") == "initialize":
                continue  # explain takes a model whose root has init_weights, one library
            plan_cache.clear()
            with reused_classes():  # the explained model and the initialised one
                root = write_checkpoints(case["root"], ckpt_dir, f"e{index}", lambda n: test)
                torch.manual_seed(case["seed"])
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    plan = explain(build(root, lambda n: test), lints=False)
                before = stats.replayed
                diffs = run_case(case, ref, test, capture, ckpt_dir, f"e{index}")
            if diffs:
                failures.append(f"case {index}: {diffs[:3]}")
            if plan.cached and stats.replayed == before:
                failures.append(f"case {index}: explained from a cached plan, then walked")
            cached += plan.cached
    print(f"\nexplained {flavour} seen={visible}: seed {SEED}, {cached} plans cached")
    _assert_none_differ(failures)
    assert cached >= EXPLAIN_CASES // 5, f"only {cached} of {EXPLAIN_CASES} explains cached a plan"
