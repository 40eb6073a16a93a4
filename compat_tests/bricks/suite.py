"""Run the generated brick cases of one flavour: upstream in this process, mminit in a
subprocess where mmcv and mmengine cannot be imported.

Replay one case by hand::

    python -m compat_tests.bricks.suite --flavour mmcv1 --seed 123 --index 45
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

import torch

from compat_tests.bricks.compare import diff_results
from compat_tests.bricks.extras import build_extra, generate_extra_case, load_extras
from compat_tests.bricks.generator import generate_case
from compat_tests.bricks.runner import load_bricks, run_case
from compat_tests.libs import MMINIT_OF
from compat_tests.suite import FlavourResult

__all__ = [
    "BRICK_RESULTS",
    "SUITES",
    "BrickResult",
    "check_generated",
    "format_failure",
    "run_bricks",
    "upstream_reason",
]

_MMCV_MAJOR = {"mmengine": "2", "mmcv1": "1"}

#: flavour (``<flavour> extras`` for the extras suite) -> result of the last run in this
#: process (read by the conftest summary hook)
BRICK_RESULTS: dict[str, BrickResult] = {}

#: suite -> (case generator, library loader, case builder; None: runner's own)
SUITES: dict[str, tuple[Any, Any, Any]] = {
    "bricks": (generate_case, load_bricks, None),
    "extras": (generate_extra_case, load_extras, build_extra),
}


class BrickResult(FlavourResult):
    """A run of the generated bricks suite; only its summary line differs."""

    label = "bricks"

    @property
    def summary(self) -> str:
        return f"compat {self.label} {self.flavour}: {self.cases} cases, {len(self.failures)} mismatches"


def upstream_reason(flavour: str) -> str | None:
    """``None`` when the mmcv that ``flavour`` is compared with imports here, else why not."""
    try:
        import mmcv
        import mmcv.cnn
    except Exception as exc:  # noqa: BLE001 - ImportError or a broken install
        return f"{type(exc).__name__}: {exc}"
    major = mmcv.__version__.split(".")[0]
    if major != _MMCV_MAJOR[flavour]:
        return f"flavour {flavour!r} compares with mmcv {_MMCV_MAJOR[flavour]}.x; mmcv {mmcv.__version__} is installed"
    return None


_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _worker_env() -> dict[str, str]:
    """The worker imports ``compat_tests`` from this checkout, wherever pytest was started."""
    path = os.environ.get("PYTHONPATH")
    return dict(
        os.environ, OMP_NUM_THREADS="1", PYTHONPATH=_REPO if not path else _REPO + os.pathsep + path
    )


def _mminit_side(flavour: str, seed: int, cases: int, out: str, suite: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "compat_tests.bricks.worker",
            "--flavour",
            flavour,
            "--seed",
            str(seed),
            "--cases",
            str(cases),
            "--out",
            out,
            "--suite",
            suite,
        ],
        env=_worker_env(),
        cwd=_REPO,
    )


def run_bricks(flavour: str, cases: int, seed: int, suite: str = "bricks") -> BrickResult:
    """``cases`` generated cases of ``flavour``: upstream mmcv vs mminit without upstream.

    ``suite``: ``"bricks"`` (builders and ConvModule) or ``"extras"`` (see
    :mod:`compat_tests.bricks.extras`)."""
    generate, load, build = SUITES[suite]
    result = BrickResult(flavour, seed)
    result.label = "bricks" if suite == "bricks" else f"bricks {suite}"
    with tempfile.TemporaryDirectory(prefix="mminit-bricks-") as tmp:
        out = os.path.join(tmp, "mminit.pt")
        worker = _mminit_side(flavour, seed, cases, out, suite)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            upstream = load("mmcv")
            ref = [
                run_case(generate(flavour, seed, i), upstream, build=build) for i in range(cases)
            ]
        finally:
            torch.set_num_threads(threads)
            code = worker.wait()
        if code != 0:
            raise RuntimeError(f"the mminit worker failed (exit {code}); see its output above")
        got = torch.load(out, weights_only=False)
    for index, (r, g) in enumerate(zip(ref, got)):
        result.cases += 1
        diffs = diff_results(r, g)
        if diffs:
            result.failures.append((index, generate(flavour, seed, index), diffs))
    BRICK_RESULTS[flavour if suite == "bricks" else f"{flavour} {suite}"] = result
    return result


def format_failure(
    flavour: str,
    seed: int,
    index: int,
    case: dict[str, Any],
    diffs: Sequence[str],
    suite: str = "bricks",
) -> str:
    option = "" if suite == "bricks" else f" --suite {suite}"
    return (
        f"seed={seed} index={index} (replay: python -m compat_tests.bricks.suite --flavour "
        f"{flavour}{option} --seed {seed} --index {index})\n  case: {json.dumps(case)}\n  "
        + "\n  ".join(diffs[:8])
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flavour", choices=sorted(MMINIT_OF), default="mmengine")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--suite", choices=sorted(SUITES), default="bricks")
    args = parser.parse_args(argv)
    generate, load, build = SUITES[args.suite]
    case = generate(args.flavour, args.seed, args.index)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "one.pt")
        code = subprocess.call(
            [
                sys.executable,
                "-m",
                "compat_tests.bricks.worker",
                "--flavour",
                args.flavour,
                "--seed",
                str(args.seed),
                "--cases",
                "1",
                "--first",
                str(args.index),
                "--out",
                out,
                "--suite",
                args.suite,
            ],
            env=_worker_env(),
            cwd=_REPO,
        )
        if code:
            return code
        got = torch.load(out, weights_only=False)[0]
    ref = run_case(case, load("mmcv"), build=build)
    diffs = diff_results(ref, got)
    print(
        format_failure(
            args.flavour, args.seed, args.index, case, diffs or ["(no difference)"], args.suite
        )
    )
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())


def check_generated(
    flavour: str, cases: int, seed: int, suite: str = "bricks", shown: int = 5
) -> None:
    """The pytest body of a generated bricks suite: run ``cases`` cases of ``suite`` for
    ``flavour`` and fail with the first ``shown`` differences (each with its replay command).
    A missing upstream skips, or fails under ``CI=true``."""
    import pytest

    from compat_tests.libs import INSTALL_HINT, missing_upstream

    if flavour not in MMINIT_OF:
        pytest.fail(f"unknown flavour {flavour!r}; choose from {sorted(MMINIT_OF)}")
    why = upstream_reason(flavour)
    if why is not None:
        missing_upstream(
            f"bricks compat for {flavour!r} needs its mmcv ({why}): {INSTALL_HINT[flavour]}"
        )
    result = run_bricks(flavour, cases, seed, suite=suite)
    print(f"\n{result.summary} (seed {seed})")
    if result.failures:
        text = "\n\n".join(
            format_failure(flavour, seed, i, case, diffs, suite)
            for i, case, diffs in result.failures[:shown]
        )
        pytest.fail(
            f"{result.summary} (seed {seed}); first {min(shown, len(result.failures))}:\n\n{text}",
            pytrace=False,
        )
