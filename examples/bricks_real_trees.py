"""``mminit migrate --bricks`` on real trees: what it removes, and that models stay bit-identical.

Copies the mmdet and mmcls packages installed in ``.venv-mmcv`` (never touching
site-packages), migrates one copy with the default table and one with
``--bricks``, counts the mmcv imports left in each, then builds mmcls
backbones (ResNet ... CSPDarkNet: ConvModule, build_conv_layer, build_norm_layer,
build_activation_layer, ...) from the original and from the ``--bricks`` copy
under mmcv 1.7.2 and compares the state dict after ``init_weights()`` and the
forward output bit for bit.  (mmdet's models need mmcv's compiled ops, which the
mmcv venv lacks, so only its imports are counted.)  matplotlib/scipy, which the
mmcls package imports but the backbones do not use, are stubbed.

Usage (from the repository root)::

    .venv/bin/python examples/bricks_real_trees.py [WORKDIR]
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MMCV_PY = ROOT / ".venv-mmcv" / "bin" / "python"
TREES = ("mmdet", "mmcls")
BACKBONES = [
    ("ResNet", {"depth": 18}),
    ("ResNetV1d", {"depth": 18}),
    ("ResNeXt", {"depth": 50, "groups": 4, "width_per_group": 4}),
    ("MobileNetV2", {}),
    ("MobileNetV3", {"arch": "small"}),
    ("ShuffleNetV2", {}),
    ("RegNet", {"arch": "regnetx_400mf"}),
    ("SEResNet", {"depth": 50}),
    ("HRNet", {"arch": "w18"}),
    ("VGG", {"depth": 11, "norm_cfg": {"type": "BN"}}),
    ("EfficientNet", {"arch": "b0"}),
    ("Res2Net", {"depth": 50}),
    ("ConvNeXt", {"arch": "tiny"}),
    ("RepVGG", {"arch": "A0"}),
    ("CSPDarkNet", {"depth": 53}),
]

_BUILD = r"""
import importlib, importlib.abc, importlib.machinery, logging, sys, types, warnings
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
root, out, specs = sys.argv[1], sys.argv[2], eval(sys.argv[3])
if root != "-":
    sys.path.insert(0, root)

class _Any(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Any(name)
    def __call__(self, *a, **k):
        return None

class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        m = _Any(spec.name); m.__path__ = []; return m
    def exec_module(self, module):
        pass

class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("matplotlib", "scipy", "pycocotools", "terminaltables", "onnxruntime"):
            return importlib.machinery.ModuleSpec(name, _Loader(), is_package=True)

sys.meta_path.insert(0, _Finder())
import torch
bb = importlib.import_module("mmcls.models.backbones")
assert root == "-" or bb.__file__.startswith(root), bb.__file__
res = {}
for name, kw in specs:
    torch.manual_seed(0)
    m = getattr(bb, name)(**kw)
    torch.manual_seed(1)
    m.init_weights()
    m.eval()
    torch.manual_seed(2)
    with torch.no_grad():
        y = m(torch.randn(1, 3, 64, 64))
    y = list(y) if isinstance(y, (tuple, list)) else [y]
    res[name] = ({k: v.clone() for k, v in m.state_dict().items()}, y,
                 any(type(x).__module__.startswith("mminit") for x in m.modules()))
torch.save(res, out)
"""


def count_mmcv_imports(tree: Path) -> tuple[int, int, Counter]:
    files = statements = 0
    names: Counter = Counter()
    for path in tree.rglob("*.py"):
        try:
            module = ast.parse(path.read_text())
        except (SyntaxError, UnicodeDecodeError):
            continue
        hit = False
        for node in ast.walk(module):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "mmcv":
                hit, statements = True, statements + 1
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.Import) and any(
                a.name.split(".")[0] == "mmcv" for a in node.names
            ):
                hit, statements = True, statements + 1
        files += hit
    return files, statements, names


def main() -> int:
    import torch

    work = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "out" / "bricks_real_trees").resolve()
    shutil.rmtree(work, ignore_errors=True)
    site = next((ROOT / ".venv-mmcv" / "lib").glob("python3*/site-packages"))
    for variant in ("original", "default", "bricks"):
        for tree in TREES:
            shutil.copytree(
                site / tree, work / variant / tree, ignore=shutil.ignore_patterns("__pycache__")
            )
    mminit = [str(ROOT / ".venv" / "bin" / "mminit"), "migrate", "--quiet", "--jobs", "2"]
    subprocess.run([*mminit, str(work / "default")], check=True)
    subprocess.run([*mminit, "--bricks", str(work / "bricks")], check=True)
    print("mmcv imports (Python files importing mmcv / import statements / imported names):")
    for tree in TREES:
        row = []
        for variant in ("original", "default", "bricks"):
            files, statements, names = count_mmcv_imports(work / variant / tree)
            row.append(f"{variant} {files}/{statements}/{sum(names.values())}")
        print(f"  {tree}: " + ", ".join(row))
    outs = {}
    for variant, root in (("original", "-"), ("bricks", str(work / "bricks"))):
        outs[variant] = work / f"{variant}.pt"
        subprocess.run(
            [str(MMCV_PY), "-c", _BUILD, root, str(outs[variant]), repr(BACKBONES)], check=True
        )
    a = torch.load(outs["original"], weights_only=False)
    b = torch.load(outs["bricks"], weights_only=False)
    bad = 0
    for name, _ in BACKBONES:
        (sa, ya, _), (sb, yb, uses_mminit) = a[name], b[name]
        same = (
            list(sa) == list(sb)
            and all(torch.equal(sa[k], sb[k]) for k in sa)
            and len(ya) == len(yb)
            and all(torch.equal(p, q) for p, q in zip(ya, yb))
        )
        bad += not same
        print(
            f"  mmcls {name}: {len(sa)} tensors + forward {'bit-identical' if same else 'DIFFER'}"
            f"{' (mminit layers inside)' if uses_mminit else ''}"
        )
    print(f"bricks real trees: {len(BACKBONES) - bad}/{len(BACKBONES)} backbones bit-identical")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
