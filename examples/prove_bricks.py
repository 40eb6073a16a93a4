"""The bricks proof: an mmcv 1.x model migrated with ``mminit migrate --bricks``
initialises, in a process where mmcv and mmengine cannot be imported, bit-identically to
the original model initialised by real mmcv 1.7.2.

Used by ``tools/prove_bricks.sh``; the three steps run in different environments::

    python examples/prove_bricks.py checkpoint OUT.pth            # any torch
    python examples/prove_bricks.py run ROOT CKPT OUT.pt [--block-upstream]
    python examples/prove_bricks.py compare ORIGINAL.pt MIGRATED.pt [--allow-upstream]

``tools/prove_bricks.sh`` runs the migrated side in ``.venv-bare`` (torch and mminit
only: mmcv and mmengine are not installed there, which ``compare`` checks), and also
passes ``--block-upstream``: an import hook that makes ``import mmcv`` and ``import
mmengine`` fail, so the proof holds in a venv where they are installed too.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import importlib.abc
import io
import logging
import re
import sys
import warnings
from pathlib import Path
from typing import Any

BLOCKED = ("mmcv", "mmengine")
MODEL_MODULE = "sample_repo.mmcv_bricks.convnet"
INFO = re.compile(r"^\n?(\S+) - torch\.Size\((\[.*\])\): \n(.*?) \n ?$", re.DOTALL)


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname.split(".")[0] in BLOCKED:
            raise ImportError(f"{fullname}: mmcv/mmengine are blocked in this process")
        return None


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []  # kept alive, so ids stay unique

    @property
    def messages(self) -> list[tuple[str, str]]:
        return [(r.levelname, r.getMessage()) for r in self.records]

    def emit(self, record: logging.LogRecord) -> None:
        # a record reaches this handler once per logger it passes (mmcv's and the root)
        if not any(r is record for r in self.records):
            self.records.append(record)


def make_checkpoint(out: str) -> None:
    """A partial checkpoint with a ``module.`` prefix (revise_keys strips it)."""
    import torch

    gen = torch.Generator().manual_seed(7)
    shapes = {
        "fc.weight": (5, 8),
        "fc.bias": (5,),
        "stem.conv.weight": (8, 3, 3, 3),
        "stem.bn.running_mean": (8,),
        "down.bias": (8,),
    }
    state = {f"module.{k}": torch.randn(s, generator=gen) for k, s in shapes.items()}
    torch.save({"meta": {"note": "bricks proof"}, "state_dict": state}, out)


def _imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    mods = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    mods += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    return sorted(set(mods))


def run(root: str, ckpt: str, out: str, block: bool) -> None:
    import importlib.util

    installed = sorted(n for n in BLOCKED if importlib.util.find_spec(n) is not None)
    if block:
        sys.meta_path.insert(0, _Blocker())
    import torch

    handler = _Records()
    for name in ("", "mmcv", "mminit"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    if not block:  # keep mmcv's own console handler quiet; the records are compared instead
        from mmcv.utils import get_logger

        for h in get_logger("mmcv").handlers:
            if h is not handler:
                h.setLevel(logging.CRITICAL + 1)
    sys.path.insert(0, root)
    stdout = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(stdout):
        warnings.simplefilter("always")
        module = importlib.import_module(MODEL_MODULE)
        torch.manual_seed(2024)
        model = module.build_model(pretrained=ckpt)
        built = {k: v.clone() for k, v in model.state_dict().items()}
        torch.manual_seed(2025)
        model.init_weights()
        model.eval()
        torch.manual_seed(3)
        output = model(torch.randn(2, 3, 16, 16)).detach()
    infos = [m.groups() for _, msg in handler.messages if (m := INFO.match(msg))]
    result = {
        "built": built,
        "state": {k: v.clone() for k, v in model.state_dict().items()},
        "output": output,
        "init_info": infos,
        "records": [r for r in handler.messages if not INFO.match(r[1])],
        "stdout": stdout.getvalue(),
        "warnings": sorted({(w.category.__name__, str(w.message)) for w in caught}),
        "repr": repr(model),
        "upstream_modules": sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED),
        "brick_classes": sorted(
            {f"{type(m).__module__}.{type(m).__qualname__}" for m in model.modules()}
        ),
        "imports": _imports_of(Path(module.__file__)),
        "installed_upstream": installed,
        "python": sys.executable,
    }
    torch.save(result, out)


def compare(original: str, migrated: str, allow_upstream: bool = False) -> int:
    import torch

    a, b = torch.load(original, weights_only=False), torch.load(migrated, weights_only=False)
    problems = []
    if b.get("installed_upstream") and not allow_upstream:
        problems.append(
            f"the migrated side ran where {b['installed_upstream']} is installed "
            f"({b['python']}); run it in .venv-bare"
        )
    if b["upstream_modules"] and not allow_upstream:
        problems.append(f"the migrated side imported {b['upstream_modules'][:5]}")
    left = [m for m in b["imports"] if m.split(".")[0] in BLOCKED]
    if left and not allow_upstream:
        problems.append(f"the migrated model file still imports {left}")
    for key in ("built", "state"):
        if list(a[key]) != list(b[key]):
            problems.append(f"{key}: different keys")
            continue
        for name, t in a[key].items():
            u = b[key][name]
            if t.dtype != u.dtype or t.shape != u.shape or not torch.equal(t, u):
                problems.append(f"{key}: {name} differs")
    if not torch.equal(a["output"], b["output"]):
        problems.append("forward output differs")
    if a["init_info"] != b["init_info"]:
        problems.append("init-info strings differ")
    if not a["init_info"]:
        problems.append("no init-info strings were recorded")
    if a["repr"] != b["repr"]:
        problems.append("module structure (repr) differs")
    print(
        f"tensors: {len(a['state'])} in the state dict after construction and after "
        f"init_weights, all bit-identical"
        if not any(p.startswith(("built", "state")) for p in problems)
        else "tensors: DIFFER"
    )
    print(
        f"init-info strings: {len(a['init_info'])} "
        + ("identical" if a["init_info"] == b["init_info"] else "DIFFER")
    )
    print(
        "forward output: " + ("identical" if torch.equal(a["output"], b["output"]) else "DIFFERS")
    )
    print(
        f"migrated side: imports {b['imports']}; mmcv/mmengine modules loaded: "
        f"{len(b['upstream_modules'])}; installed there: "
        f"{', '.join(b.get('installed_upstream', [])) or 'neither'} ({b.get('python', '?')})"
    )
    print(
        f"original side layer classes from: {sorted({c.rsplit('.', 1)[0] for c in a['brick_classes']})}"
    )
    print(
        f"migrated side layer classes from: {sorted({c.rsplit('.', 1)[0] for c in b['brick_classes']})}"
    )
    same_records = a["records"] == b["records"] and a["stdout"] == b["stdout"]
    print(
        "other log records and stdout: "
        + ("identical" if same_records else "differ (not compared)")
    )
    for p in problems:
        print(f"MISMATCH: {p}")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("checkpoint")
    p.add_argument("out")
    p = sub.add_parser("run")
    p.add_argument("root")
    p.add_argument("ckpt")
    p.add_argument("out")
    p.add_argument("--block-upstream", action="store_true")
    p = sub.add_parser("compare")
    p.add_argument("original")
    p.add_argument("migrated")
    p.add_argument(
        "--allow-upstream",
        action="store_true",
        help="a half-migrated side (bricks still from mmcv): compare the results only",
    )
    args = parser.parse_args(argv)
    if args.cmd == "checkpoint":
        make_checkpoint(args.out)
        return 0
    if args.cmd == "run":
        run(args.root, args.ckpt, args.out, args.block_upstream)
        return 0
    return compare(args.original, args.migrated, args.allow_upstream)


if __name__ == "__main__":
    raise SystemExit(main())
