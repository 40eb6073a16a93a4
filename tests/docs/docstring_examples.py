"""Run the examples (``>>>`` lines) of every public docstring, as the API reference shows them.

Run as a script in an empty working directory (``tests/docs/test_docs_snippets.py`` does,
in a fresh interpreter, with ``MMINIT_OFFLINE=1`` and private ``HOME``/``TORCH_HOME``):
each docstring's examples run in order in one namespace holding the flavour's public
names, ``torch``, ``nn``, ``mminit`` and the few objects the examples talk about
(``model``, ``classifier``, ``runner``, and the checkpoint files they name), which
this script makes first.  Outputs are not compared (the examples show calls, not
reprs); an exception fails the run and names the docstring and the example.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

import torch
from torch import nn

import mminit
import mminit.mmcv1
from mminit._names import ROWS


def _fixtures(module: types.ModuleType) -> dict[str, Any]:
    """The objects the examples name: a small classifier and its checkpoint files."""

    class Head(module.BaseModule):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 2)

    class Classifier(module.BaseModule):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__(init_cfg=dict(type="Normal", layer="Linear", std=0.01))
            self.backbone = nn.Linear(4, 4)
            self.head = Head()

    model = Classifier()
    state = {"state_dict": model.state_dict()}
    Path("work_dirs").mkdir(exist_ok=True)
    torch.save(state, "work_dirs/epoch_12.pth")
    torch.save(state, "detector.pth")
    (Path.home() / "ckpt").mkdir(parents=True, exist_ok=True)
    torch.save(state, Path.home() / "ckpt" / "resnet50.pth")
    # zoo names are read from the download cache (MMINIT_OFFLINE=1): put the files there
    cache = Path(os.environ["TORCH_HOME"]) / "hub" / "checkpoints"
    cache.mkdir(parents=True, exist_ok=True)
    zoo = json.loads((Path(mminit.__file__).parent / "zoo" / "openmmlab.json").read_text())
    torch.save(model.state_dict(), cache / zoo["detectron/resnet50_caffe"].rsplit("/", 1)[1])
    return {
        "model": model,
        "classifier": Classifier(),
        "runner": types.SimpleNamespace(model=model),
    }


def main() -> int:
    finder = doctest.DocTestFinder(recurse=True)
    seen: set[str] = set()
    ran = 0
    for flavour in ("mminit", "mminit.mmcv1"):
        module = importlib.import_module(flavour)
        for name, where, _ in ROWS:
            if flavour not in where:
                continue
            for test in finder.find(getattr(module, name), name):
                if not test.examples or test.docstring in seen:
                    continue
                seen.add(test.docstring or "")
                namespace = {
                    "torch": torch,
                    "nn": nn,
                    "mminit": mminit,
                    **{n: getattr(module, n) for n in module.__all__},
                    **_fixtures(module),
                }
                for example in test.examples:
                    try:
                        with contextlib.redirect_stdout(io.StringIO()):
                            exec(  # noqa: S102
                                compile(example.source, f"<{flavour}.{test.name}>", "exec"),
                                namespace,
                            )
                    except Exception as exc:  # noqa: BLE001 - named below, then the run fails
                        print(
                            f"{flavour}.{test.name}: example\n    {example.source.strip()}\n"
                            f"raised {type(exc).__name__}: {exc}",
                            file=sys.stderr,
                        )
                        return 1
                    ran += 1
    print(f"{ran} examples from {len(seen)} docstrings ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
