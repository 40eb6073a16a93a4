"""Agreement of ``mminit.explain`` with what ``init_weights`` records, on generated cases.

For each case: build the tree with mminit (seeded), explain it, then run the
reference library's ``init_weights`` (mminit compat mode, or real upstream) on the
same tree built with the same seed, and compare per parameter

* the plan's init-info string with the one the reference's dump records, and
* the plan's uncovered set with the parameters whose values did not change.

``explain`` never runs ``init_weights`` on the model given, so the model built for
the plan is also checked to be untouched.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import torch

from compat_tests.builder import build, write_checkpoints
from compat_tests.differential import run_side
from compat_tests.generator import generate_case
from compat_tests.libs import LogCapture

__all__ = ["Agreement", "agreement"]


@dataclass
class Agreement:
    cases: int = 0
    params: int = 0
    #: cases whose explain evaluated fills instead of running them (mminit.explain's
    #: default where no code can read the values)
    evaluated: int = 0
    info_mismatches: list[str] = field(default_factory=list)
    uncovered_mismatches: list[str] = field(default_factory=list)
    error_mismatches: list[str] = field(default_factory=list)


def agreement(test_lib: Any, ref_lib: Any, seed: int, cases: int, directory: str) -> Agreement:
    from mminit._explain.api import explain

    out = Agreement()
    capture = LogCapture()
    for index in range(cases):
        case = generate_case(seed, index)
        if case.get("mixed") or case.get("entry") == "initialize":
            continue  # explain takes a model whose root has init_weights, one library
        root = write_checkpoints(case["root"], directory, f"c{index}", lambda node: test_lib)
        torch.manual_seed(case["seed"])
        model = build(root, lambda node: test_lib)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan = explain(model, lints=False)
            ref = run_side(case, root, ref_lib, ref_lib, capture)
        where = f"seed {seed} index {index}"
        assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), (
            f"{where}: explain wrote"
        )
        call = ref.calls[0]
        if (call["exc"] is None) != (plan.error is None):
            out.error_mismatches.append(
                f"{where}: ref raised {call['exc']!r}, plan error {plan.error!r}"
            )
            continue
        out.cases += 1
        out.evaluated += getattr(plan, "fills_evaluated", 0) > 0
        if call["exc"] is not None:
            continue
        predicted = plan.infos() if plan.dumps else {}
        recorded = {k: v.strip() for k, v in call["info"].items()}
        if not plan.dumps and call["info"]:
            out.info_mismatches.append(f"{where}: plan says no dump, the reference logged one")
        for name, info in predicted.items():
            out.params += 1
            if recorded.get(name) != info.strip():
                out.info_mismatches.append(
                    f"{where} {name}: plan {info!r}, recorded {recorded.get(name)!r}"
                )
        names = {n for n, _ in model.named_parameters()}
        unchanged = {n for n in names if torch.equal(before[n], ref.tensors[n])}
        uncovered = {t.name for t in plan.tensors if t.kind == "parameter" and t.uncovered}
        if unchanged != uncovered:
            out.uncovered_mismatches.append(
                f"{where}: unchanged-not-uncovered {sorted(unchanged - uncovered)}, "
                f"uncovered-but-changed {sorted(uncovered - unchanged)}"
            )
    return out
