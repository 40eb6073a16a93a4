#!/usr/bin/env bash
# Creates the project's environments from scratch (idempotent):
#   .venv       mminit + dev and docs tools, torch 2.13.0 (CPU build), mmengine 0.10.7,
#               mmcv-lite 2.2.0, mmpretrain 1.2.0, and mmdet 3.3.0 and mmsegmentation
#               1.2.2 installed without their dependencies, their mmcv version gate
#               widened to admit mmcv 2.2.0 (real models for the compat suite)
#   .venv-mmcv  mminit + dev tools, torch 2.14.1 + torchvision 0.29.1, mmcv 1.7.2 built
#               without its compiled ops, and mmengine 0.10.7, mmcls 0.25.0,
#               mmdet 2.28.2 and mmsegmentation 0.30.0 installed without their dependencies
#   .venv-bare  torch 2.13.0 (CPU build) and mminit only, no mmcv, no mmengine: where the
#               main job's bricks proof runs the migrated model (not part of `all`)
# It prints one line per step; pip's output goes to out/setup_envs.log.
#
# Why .venv-mmcv keeps the CUDA build of torch: the torchvision wheels on PyPI are
# CUDA builds (their _C.so links libtorch_cuda/libc10_cuda), so with a CPU torch
# `import torchvision` fails ("operator torchvision::nms does not exist"), and the
# torchvision:// checkpoint tests need torchvision. Where PyTorch's own CPU index is
# reachable, MMINIT_TORCH_INDEX=https://download.pytorch.org/whl/cpu installs torch
# and torchvision from there instead (CPU builds of both; not exercised by this
# project's CI, whose machines reach PyPI only).
#
# Usage: tools/setup_envs.sh [main|mmcv|bare|all]...   (default: all = main mmcv)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(all); fi
for what in "${targets[@]}"; do
  case "$what" in
    main|mmcv|bare|all) ;;
    *) echo "usage: $0 [main|mmcv|bare|all]...; got '$what'" >&2; exit 2 ;;
  esac
done
mkdir -p out
LOG=$(pwd)/out/setup_envs.log
: >"$LOG"

# step "what it does" command...: one line on stdout, the command's output in $LOG.
step() {
  local label=$1 t0=$SECONDS
  shift
  printf '\n### %s\n### %s\n' "$label" "$*" >>"$LOG"
  if "$@" >>"$LOG" 2>&1; then
    printf '  ok  %-70s %4ss\n' "$label" $((SECONDS - t0))
  else
    local rc=$?
    printf 'FAILED %s (exit %s); the end of %s:\n' "$label" "$rc" "$LOG" >&2
    tail -n 30 "$LOG" >&2
    exit "$rc"
  fi
}

torch_index=()
if [ -n "${MMINIT_TORCH_INDEX:-}" ]; then torch_index=(--index-url "$MMINIT_TORCH_INDEX"); fi

make_venv() {  # make_venv DIR
  if [ ! -x "$1/bin/python" ]; then step "$1: create" "$PY" -m venv "$1"; fi
  step "$1: pip>=25.3" "$1/bin/pip" install -q --upgrade "pip>=25.3"
}

# mmdet 3.3.0 and mmsegmentation 1.2.2 assert `mmcv < 2.2.0` when imported, although
# the models the compat suite builds from their configs build and initialise on
# mmcv-lite 2.2.0 (compat_tests/real_models runs them). The one line that sets the bound is
# rewritten from 2.2.0 to 2.2.1 in the installed package (nothing else changes), so
# every side of the compat suite -- the installed package and the copies `mminit
# migrate` makes of it -- runs the same patched file. Idempotent: a file already
# patched is left as it is; a file with neither line fails the step.
widen_mmcv_gate() {
  .venv/bin/python - <<'EOF'
import importlib.util
from pathlib import Path

GATES = {"mmdet": "mmcv_maximum_version = '{}'", "mmseg": "MMCV_MAX = '{}'"}
for package, line in GATES.items():
    spec = importlib.util.find_spec(package)  # finds the file without importing it
    assert spec is not None and spec.origin, f"{package} is not installed"
    path = Path(spec.origin)
    text = path.read_text()
    old, new = line.format("2.2.0"), line.format("2.2.1")
    if text.count(new) == 1 and old not in text:
        print(f"{path}: already patched")
        continue
    assert text.count(old) == 1, f"{path}: expected one line {old!r}"
    path.write_text(text.replace(old, new))
    print(f"{path}: {old} -> {new}")
EOF
}

setup_main() {
  make_venv .venv
  step ".venv: torch 2.13.0 (the CPU build where one is reachable)" .venv/bin/pip install -q "${torch_index[@]}" "torch==2.13.0"
  step ".venv: mminit (editable) with codemods, dev and docs extras" \
    .venv/bin/pip install -q -e ".[codemods,dev,docs]"
  step ".venv: mmengine 0.10.7, mmcv-lite 2.2.0, mmpretrain 1.2.0" \
    .venv/bin/pip install -q "mmengine==0.10.7" "mmcv-lite==2.2.0" "mmpretrain==1.2.0"
  # Last, and without dependencies (as in .venv-mmcv): mmdet and mmseg bring their own
  # model code only; what they import but init never uses (scipy, pycocotools, shapely,
  # terminaltables, six, prettytable, ftfy, the compiled mmcv._ext) is stood in for by
  # compat_tests/real_models/stubs.py (a call into a stand-in raises), and no test runs
  # their forward passes. regex is the exception: mmseg's CLIP tokenizer compiles a
  # pattern with it while mmseg.utils imports, so it is installed for real.
  step ".venv: mmdet 3.3.0, mmsegmentation 1.2.2 (--no-deps), regex" \
    .venv/bin/pip install -q --no-deps "mmdet==3.3.0" "mmsegmentation==1.2.2" regex
  step ".venv: widen mmdet's and mmseg's mmcv gate to admit mmcv-lite 2.2.0" widen_mmcv_gate
  step ".venv: check the versions" .venv/bin/python -c "$(cat <<'EOF'
import importlib.metadata as md, torch, mmdet, mmseg  # the widened gates let them import
want = {"mmengine": "0.10.7", "mmcv-lite": "2.2.0", "mmpretrain": "1.2.0", "mmdet": "3.3.0",
        "mmsegmentation": "1.2.2"}
got = {name: md.version(name) for name in want}
assert got == want, got
assert torch.__version__.startswith("2.13.0"), torch.__version__
print(f"torch {torch.__version__} ({'CUDA ' + torch.version.cuda if torch.version.cuda else 'CPU'}"
      f" build), " + ", ".join(f"{k} {v}" for k, v in got.items()))
EOF
)"
  echo "      $(tail -n 1 "$LOG")"
}

upstream_wheels() {  # mmcv 1.7.2 (an sdist whose setup.py needs pkg_resources) and mmengine
  local wheels=.venv-mmcv/wheels
  mkdir -p "$wheels"
  if ! compgen -G "$wheels/mmcv-1.7.2-*.whl" >/dev/null; then
    printf 'setuptools<70\n' >"$wheels/build-constraints.txt"
    # --build-constraint (pip>=25.3) reaches only pip's isolated build environment: the
    # old setuptools builds the wheel and is never installed next to torch. Without
    # torch in that environment, setup.py builds mmcv without its compiled ops.
    MMCV_WITH_OPS=0 .venv-mmcv/bin/pip wheel -q --no-deps \
      --build-constraint "$wheels/build-constraints.txt" "mmcv==1.7.2" -w "$wheels" || return
  fi
  if ! compgen -G "$wheels/mmengine-0.10.7-*.whl" >/dev/null; then
    .venv-mmcv/bin/pip download -q --no-deps "mmengine==0.10.7" -d "$wheels" || return
  fi
}

# The requirements the upstream wheels declare, read from their metadata, with two
# deliberate changes: opencv-python-headless instead of opencv-python (both provide
# cv2 and only one may be installed) and no matplotlib (plotting; the init code and
# the tests never import it).
upstream_requirements() {
  .venv-mmcv/bin/python - .venv-mmcv/wheels/mmcv-1.7.2-*.whl .venv-mmcv/wheels/mmengine-0.10.7-*.whl <<'EOF'
import sys, zipfile
from pip._vendor.packaging.requirements import Requirement
swap, drop, found = {"opencv-python": "opencv-python-headless"}, {"matplotlib"}, set()
for wheel in sys.argv[1:]:
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        for line in archive.read(meta).decode().splitlines():
            if not line.startswith("Requires-Dist:"):
                continue
            req = Requirement(line.split(":", 1)[1].strip())
            if (req.marker and not req.marker.evaluate({"extra": ""})) or req.name in drop:
                continue
            found.add(swap.get(req.name, req.name) + str(req.specifier))
print(" ".join(sorted(found)))
EOF
}

install_mminit_and_requirements() {
  local text requirements
  text=$(upstream_requirements) || return
  echo "upstream's requirements (adjusted): $text"
  read -r -a requirements <<<"$text"
  .venv-mmcv/bin/pip install -q -e ".[codemods,dev]" "${requirements[@]}"
}

setup_mmcv() {
  make_venv .venv-mmcv
  step ".venv-mmcv: torch 2.14.1 + torchvision 0.29.1" \
    .venv-mmcv/bin/pip install -q "${torch_index[@]}" "torch==2.14.1" "torchvision==0.29.1"
  step ".venv-mmcv: wheels: mmcv 1.7.2 (no compiled ops), mmengine 0.10.7" \
    upstream_wheels
  step ".venv-mmcv: mminit (editable), extras, mmcv's + mmengine's requirements" \
    install_mminit_and_requirements
  # Last, and without dependencies, so pip never re-checks what they declare (mmcls,
  # mmdet and mmseg bring their own model code only; their scipy, pycocotools,
  # prettytable ... are unused).
  step ".venv-mmcv: mmcv 1.7.2, mmengine, mmcls, mmdet, mmseg (--no-deps)" \
    .venv-mmcv/bin/pip install -q --no-deps .venv-mmcv/wheels/mmcv-1.7.2-*.whl \
    .venv-mmcv/wheels/mmengine-0.10.7-*.whl "mmcls==0.25.0" "mmdet==2.28.2" \
    "mmsegmentation==0.30.0"
  step ".venv-mmcv: check the versions" .venv-mmcv/bin/python -c "$(cat <<'EOF'
import importlib.metadata as md, torch, torchvision, mmcv, mmengine, cv2
want = {"mmcv": "1.7.2", "mmengine": "0.10.7", "mmcls": "0.25.0", "mmdet": "2.28.2",
        "mmsegmentation": "0.30.0"}
got = {name: md.version(name) for name in want}
assert got == want, got
assert torch.__version__.startswith("2.14.1"), torch.__version__
print(f"torch {torch.__version__} ({'CUDA ' + torch.version.cuda if torch.version.cuda else 'CPU'}"
      f" build), torchvision {torchvision.__version__}, "
      + ", ".join(f"{k} {v}" for k, v in got.items()))
EOF
)"
  echo "      $(tail -n 1 "$LOG")"
}

setup_bare() {
  make_venv .venv-bare
  step ".venv-bare: torch 2.13.0 (the CPU build where one is reachable)" \
    .venv-bare/bin/pip install -q "${torch_index[@]}" "torch==2.13.0"
  step ".venv-bare: mminit (editable, no extras)" .venv-bare/bin/pip install -q -e .
  step ".venv-bare: check that neither mmcv nor mmengine is installed" \
    .venv-bare/bin/python -c "$(cat <<'EOF'
import importlib.util, torch, mminit.mmcv1
found = [n for n in ("mmcv", "mmengine") if importlib.util.find_spec(n) is not None]
assert not found, found
print(f"torch {torch.__version__}, mminit {mminit.__version__}; no mmcv, no mmengine")
EOF
)"
  echo "      $(tail -n 1 "$LOG")"
}

for what in "${targets[@]}"; do
  case "$what" in
    main) setup_main ;;
    mmcv) setup_mmcv ;;
    bare) setup_bare ;;
    all) setup_main; setup_mmcv ;;
  esac
done
echo "  environments ready (pip's output: out/setup_envs.log)"
