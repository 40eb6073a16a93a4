"""Generated cases with an UPSTREAM root, initialised through mminit's router.

The generated suite (``test_generated.py``) calls ``model.init_weights()``, so
where the root is upstream, upstream's own code runs.  Here the test side runs
inside ``mminit.route()`` (what ``mminit.init_weights(model)`` does), so the
engine drives the whole model: every node of the test side is built from the
upstream library (all-upstream trees), or, for the suite's mixed cases, the
root is forced to be upstream.  Reference: upstream's own ``init_weights()``.

``MMINIT_COMPAT_CASES`` (default 2000) is shared with the main suite; this
variant runs a quarter of it.
"""

from __future__ import annotations

import os
import tempfile

import pytest
import torch

from compat_tests.builder import write_checkpoints
from compat_tests.differential import compare, run_side
from compat_tests.generator import generate_case
from compat_tests.libs import MMINIT_OF, UPSTREAM_OF, LogCapture, load_lib
from compat_tests.suite import default_seed

from .libs import requested_flavours

SEED = default_seed()
CASES = max(1, int(os.environ.get("MMINIT_COMPAT_CASES", "2000")) // 4)


def _upstream_rooted(case):
    """The case with its root built from upstream on the test side."""
    case = dict(case)
    root = dict(case["root"])
    if not case.get("mixed"):
        root = _swap_every_node(root)
    root["swap"] = True
    case["root"], case["mixed"] = root, True
    return case


def _swap_every_node(value):
    if isinstance(value, dict):
        out = {k: _swap_every_node(v) for k, v in value.items()}
        if "kind" in out:
            out["swap"] = True
        return out
    if isinstance(value, list):
        return [_swap_every_node(v) for v in value]
    return value


@pytest.mark.parametrize("flavour", requested_flavours())
def test_generated_upstream_roots_through_router_match_upstream(flavour):
    from mminit._engine.state import stats

    mm = __import__("importlib").import_module(MMINIT_OF[flavour])
    ref, test = load_lib(UPSTREAM_OF[flavour]), load_lib(MMINIT_OF[flavour])
    capture = LogCapture()
    failures, engines, driven = [], stats.engines, stats.upstream_driven
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with tempfile.TemporaryDirectory(prefix="mminit-compat-route-") as ckpt_dir:
            for index in range(CASES):
                case = generate_case(SEED, index)
                if case.get("entry") != "init_weights":
                    continue
                case = _upstream_rooted(case)
                root = write_checkpoints(case["root"], ckpt_dir, f"r{index}", lambda node: ref)
                want = run_side(case, root, ref, ref, capture)
                with mm.route():
                    got = run_side(case, root, test, ref, capture)
                diffs = compare(want, got)
                if diffs:
                    failures.append((index, diffs))
    finally:
        torch.set_num_threads(threads)
    assert stats.engines > engines, "the router never started the engine"
    assert stats.upstream_driven > driven, "the engine drove no upstream BaseModule"
    assert not failures, (
        f"seed {SEED} (MMINIT_COMPAT_SEED replays): {len(failures)} of {CASES} "
        f"differ; first: {failures[:3]}"
    )
