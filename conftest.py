"""What runs where: with ``testpaths`` in pyproject.toml, the one place that decides it.

A plain ``python -m pytest`` in a venv runs exactly what CI (``tools/test_all.sh``,
which only calls pytest in each venv) runs there.  The run's flavour is
``MMINIT_COMPAT_FLAVOURS`` (comma list) when set, else the flavour of the installed
upstream (:func:`compat_tests.libs.environment_flavour`): ``mmcv1`` where mmcv 1.x
is installed (``.venv-mmcv``), else ``mmengine`` (``.venv``).  The variable is then
set to that value for the whole run, so every test, helper and subprocess sees one answer.

``testpaths`` (tests/, compat_tests/, benchmarks/) run everywhere, except:

================================== ========================== ==================================
what                               runs where                 why
================================== ========================== ==================================
``tests/codemods``                 flavour mmengine (.venv)   rewriting is flavour-free: run once
                                                              (mmcv 1.x checks: .venv-mmcv python)
``benchmarks/test_benchmarks.py``  flavour mmengine (.venv)   compares with mmengine, mmpretrain
``tests/core/test_lint.py``        flavour mmengine (.venv)   pre-commit (ruff, typos, mypy) on the tree: once
``tests/docs``                     flavour mmengine (.venv)   the docs build and their examples:
                                                              once (the docs tools are in .venv)
``tests/check``                    flavour mmcv1 (.venv-mmcv) ``mminit check`` on both flavours:
                                                              mmcv 1.7.2 and mmengine together
``tests/check_mmengine``           flavour mmengine (.venv)   check/explain on mmpretrain configs
``compat_tests/test_harness.py``   flavour mmcv1 (.venv-mmcv) compares mmengine with mmcv 1.x
``@pytest.mark.needs_torchvision`` where torchvision imports  ``torchvision://`` checkpoints
================================== ========================== ==================================

The environments at the ends of the supported range, ``.venv-py310`` (Python 3.10,
torch 2.1, numpy 1.x; flavour mmengine, as ``.venv``) and ``.venv-py313`` (Python 3.13,
the newest torch, numpy 2.x; flavour mmcv1, as ``.venv-mmcv``), run with a reduced
generated-case count (:data:`VENVS`) and leave out what needs what only the main
venvs hold (:data:`NOT_IN`, by the venv's directory name, with the reason).

A path of the table is not collected outside its flavours (so nothing skips there),
unless it is named on the command line (``pytest tests/check``): then it runs, and a
missing upstream skips, or fails under ``CI=true``.  A ``needs_torchvision`` test is
deselected where torchvision does not import.  ``CI=true`` turns every "upstream
missing" skip of the compat tests into a failure (``compat_tests.libs.skip_unless_ci``).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from compat_tests.libs import environment_flavour, requested_flavours

ROOT = Path(__file__).resolve().parent

#: path (relative to the repository) -> the flavours whose runs collect it
ONLY_IN: dict[str, frozenset[str]] = {
    "tests/codemods": frozenset({"mmengine"}),
    "benchmarks/test_benchmarks.py": frozenset({"mmengine"}),
    "tests/core/test_lint.py": frozenset({"mmengine"}),
    "tests/docs": frozenset({"mmengine"}),
    "tests/check": frozenset({"mmcv1"}),
    "tests/check_mmengine": frozenset({"mmengine"}),
    "compat_tests/test_harness.py": frozenset({"mmcv1"}),
}


_ENDS = frozenset({".venv-py310", ".venv-py313"})
_FSDP2 = (
    "it shards with FSDP2's torch.distributed.fsdp.fully_shard, which torch 2.1 lacks "
    "(public from torch 2.6)"
)
_REAL = (
    "its real OpenMMLab packages (mmpretrain 1.2.0; mmcls, mmdet, mmseg) are installed "
    "in .venv and .venv-mmcv only"
)

#: path (relative to the repository) -> (the venvs, by directory name, that do not collect
#: it, why): the ends of the supported range run everything else
NOT_IN: dict[str, tuple[frozenset[str], str]] = {
    "compat_tests/real_models": (_ENDS, _REAL),
    "compat_tests/test_explain_real.py": (_ENDS, _REAL),
    "benchmarks/test_benchmarks.py": (_ENDS, "speed ratios against upstream are measured in .venv"),
    "tests/core/test_lint.py": (
        _ENDS,
        "pre-commit (ruff, typos, mypy) checks the tree once, in .venv",
    ),
    "compat_tests/test_core_sharded.py": (frozenset({".venv-py310"}), _FSDP2),
    "tests/check/test_configs.py": (_ENDS, _REAL),
    "tests/check_mmengine": (_ENDS, _REAL),
    "tests/docs": (_ENDS, "the docs tools (the docs extra) are installed in .venv only"),
}

#: venv (directory name) -> the environment variables a run there defaults to: the ends
#: of the range draw 300 generated cases instead of 2,000
VENVS: dict[str, dict[str, str]] = {
    ".venv-py310": {"MMINIT_COMPAT_CASES": "300"},
    ".venv-py313": {"MMINIT_COMPAT_CASES": "300"},
}


def this_venv() -> str:
    """The running venv's directory name (``.venv``, ``.venv-py310`` ...)."""
    return Path(sys.prefix).name


def pytest_configure(config: pytest.Config) -> None:
    for name, value in VENVS.get(this_venv(), {}).items():
        if not os.environ.get(name, "").strip():
            os.environ[name] = value
    if not os.environ.get("MMINIT_COMPAT_FLAVOURS", "").strip():
        os.environ["MMINIT_COMPAT_FLAVOURS"] = environment_flavour()


def pytest_report_header(config: pytest.Config) -> str:
    flavours = set(requested_flavours())
    left_out = [path for path, where in ONLY_IN.items() if not where & flavours]
    left_out += [path for path, (venvs, _) in NOT_IN.items() if this_venv() in venvs]
    return (
        f"mminit: flavours {','.join(sorted(flavours))}; collected only where named "
        f"(conftest.py): {', '.join(dict.fromkeys(left_out)) or 'nothing'}"
    )


def _named(config: pytest.Config) -> list[Path]:
    """The paths given on the command line (``testpaths`` are not "named")."""
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        return []
    base = config.invocation_params.dir
    return [(base / arg.split("::")[0]).resolve() for arg in config.args]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    try:
        relative = collection_path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return None
    where = ONLY_IN.get(relative)
    not_here = this_venv() in NOT_IN.get(relative, (frozenset(), ""))[0]
    if not not_here and (where is None or where & set(requested_flavours())):
        return None
    path = ROOT / relative
    if any(named == path or path in named.parents for named in _named(config)):
        return None
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if importlib.util.find_spec("torchvision") is not None:
        return
    dropped = [item for item in items if item.get_closest_marker("needs_torchvision") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item.get_closest_marker("needs_torchvision") is None]
