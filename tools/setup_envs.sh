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
#   .venv-py310 the low end of the supported range, as .venv (flavour mmengine): Python
#               3.10, torch 2.1.2 + torchvision 0.16.2, numpy 1.26.4, mmengine 0.10.7 and
#               mmcv-lite 2.2.0 (not part of `all`)
#   .venv-py313 the high end, as .venv-mmcv (flavour mmcv1): Python 3.13, torch 2.14.1 +
#               torchvision 0.29.1, numpy 2.x, mmcv 1.7.2 and mmengine 0.10.7 (not part of `all`)
# Python 3.10 and 3.13 are pyenv's ($PYENV_ROOT/versions/3.10.*, 3.13.*) or python3.10 /
# python3.13 on PATH. PyPI's torch wheels for them are CUDA builds: torch 2.1.2 does not
# import without its nvidia-* packages (it preloads libcublas), so they are installed
# (about 2.5 GB per venv; pip's cache keeps them for the next run on the same machine).
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
# Usage: tools/setup_envs.sh [main|mmcv|bare|py310|py313|all]...   (default: all = main mmcv)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(all); fi
for what in "${targets[@]}"; do
  case "$what" in
    main|mmcv|bare|py310|py313|all) ;;
    *) echo "usage: $0 [main|mmcv|bare|py310|py313|all]...; got '$what'" >&2; exit 2 ;;
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

# Disk: the CUDA builds below need about 5 GB per venv, and CI machines have run out
# of disk during this set-up. So, in CI, pip keeps no cache (a clean run would only fill
# it with the downloaded nvidia-* wheels, a second copy of what the venvs hold); every
# CUDA venv drops triton (torch.compile's GPU compiler, 0.3-0.9 GB; nothing here
# compiles, and torch imports it only for that); and .venv-mmcv and .venv-py313, which
# hold the same torch 2.14.1 build, share its nvidia-* libraries and libtorch as
# hardlinks (3.6 GB; `hardlink` from util-linux, where it is installed).
if [ "${CI:-}" = true ]; then export PIP_NO_CACHE_DIR=1; fi

torch_index=()
if [ -n "${MMINIT_TORCH_INDEX:-}" ]; then torch_index=(--index-url "$MMINIT_TORCH_INDEX"); fi

drop_triton() {  # drop_triton VENV: after the venv's last install (pip would bring it back)
  step "$1: drop triton (torch.compile's GPU compiler, unused here)" \
    "$1/bin/pip" uninstall -q -y triton
}

# share_torch_libraries VENV VENV: hardlink the files the two venvs' nvidia-* packages
# and torch/lib hold in identical copies
share_torch_libraries() {
  local dirs=() dir
  if ! command -v hardlink >/dev/null; then return 0; fi
  for dir in "$1"/lib/python3.*/site-packages/{nvidia,torch/lib} \
             "$2"/lib/python3.*/site-packages/{nvidia,torch/lib}; do
    if [ -d "$dir" ]; then dirs+=("$dir"); fi
  done
  if [ ${#dirs[@]} -lt 2 ]; then return 0; fi
  step "$1 and $2: share torch's identical libraries (hardlink)" hardlink -c "${dirs[@]}"
}

make_venv() {  # make_venv DIR [PYTHON]
  if [ ! -x "$1/bin/python" ]; then step "$1: create" "${2:-$PY}" -m venv "$1"; fi
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

python_of() {  # python_of 3.10: the path of a Python 3.10 interpreter
  local want=$1 candidate
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/python \
                   "$(command -v "python$want" || true)"; do
    if [ -x "$candidate" ] && [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$want" ]; then
      echo "$candidate"
      return
    fi
  done
  echo "no Python $want found (looked for ${PYENV_ROOT:-$HOME/.pyenv}/versions/$want.*/bin/python" \
    "and python$want on PATH); install one, e.g. pyenv install $want" >&2
  return 1
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

# upstream_wheels VENV: mmcv 1.7.2 (an sdist whose setup.py needs pkg_resources) and
# mmengine into VENV/wheels, built with VENV's Python. mmcv's setup.py reads its version
# through exec() and locals(), which Python 3.13 changed (PEP 667): there, the wheel
# (pure Python, py2.py3-none-any) is built by another venv's Python.
upstream_wheels() {
  local venv=$1 wheels=$1/wheels builder=$1
  mkdir -p "$wheels"
  if ! compgen -G "$wheels/mmcv-1.7.2-*.whl" >/dev/null; then
    if [ "$("$venv/bin/python" -c 'import sys; print(sys.version_info >= (3, 13))')" = True ]; then
      builder=
      for candidate in .venv-py310 .venv-mmcv .venv; do
        if [ -x "$candidate/bin/pip" ]; then builder=$candidate; break; fi
      done
      if [ -z "$builder" ]; then
        echo "mmcv 1.7.2's setup.py does not run on Python 3.13: set up py310, mmcv or main first" >&2
        return 1
      fi
    fi
    printf 'setuptools<70\n' >"$wheels/build-constraints.txt"
    # --build-constraint (pip>=25.3) reaches only pip's isolated build environment: the
    # old setuptools builds the wheel and is never installed next to torch. Without
    # torch in that environment, setup.py builds mmcv without its compiled ops.
    MMCV_WITH_OPS=0 "$builder/bin/pip" wheel -q --no-deps \
      --build-constraint "$wheels/build-constraints.txt" "mmcv==1.7.2" -w "$wheels" || return
  fi
  if ! compgen -G "$wheels/mmengine-0.10.7-*.whl" >/dev/null; then
    "$venv/bin/pip" download -q --no-deps "mmengine==0.10.7" -d "$wheels" || return
  fi
}

# The requirements the upstream wheels declare, read from their metadata, with two
# deliberate changes: opencv-python-headless instead of opencv-python (both provide
# cv2 and only one may be installed) and no matplotlib (plotting; the init code and
# the tests never import it).
upstream_requirements() {  # upstream_requirements VENV
  "$1/bin/python" - "$1"/wheels/mmcv-1.7.2-*.whl "$1"/wheels/mmengine-0.10.7-*.whl <<'EOF'
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

install_mminit_and_requirements() {  # install_mminit_and_requirements VENV [PIN]...
  local venv=$1 text requirements
  shift
  text=$(upstream_requirements "$venv") || return
  echo "upstream's requirements (adjusted): $text; pinned: $*"
  read -r -a requirements <<<"$text"
  "$venv/bin/pip" install -q -e ".[codemods,dev]" "${requirements[@]}" "$@"
}

setup_mmcv() {
  make_venv .venv-mmcv
  step ".venv-mmcv: torch 2.14.1 + torchvision 0.29.1" \
    .venv-mmcv/bin/pip install -q "${torch_index[@]}" "torch==2.14.1" "torchvision==0.29.1"
  step ".venv-mmcv: wheels: mmcv 1.7.2 (no compiled ops), mmengine 0.10.7" \
    upstream_wheels .venv-mmcv
  step ".venv-mmcv: mminit (editable), extras, mmcv's + mmengine's requirements" \
    install_mminit_and_requirements .venv-mmcv
  # Last, and without dependencies, so pip never re-checks what they declare (mmcls,
  # mmdet and mmseg bring their own model code only; their scipy, pycocotools,
  # prettytable ... are unused).
  step ".venv-mmcv: mmcv 1.7.2, mmengine, mmcls, mmdet, mmseg (--no-deps)" \
    .venv-mmcv/bin/pip install -q --no-deps .venv-mmcv/wheels/mmcv-1.7.2-*.whl \
    .venv-mmcv/wheels/mmengine-0.10.7-*.whl "mmcls==0.25.0" "mmdet==2.28.2" \
    "mmsegmentation==0.30.0"
  drop_triton .venv-mmcv
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

# range_end_torch VENV PYTHON_VERSION TORCH TORCHVISION [PIN]...: a venv of that Python
# with that torch (and the pins)
range_end_torch() {
  local venv=$1 version=$2 torch=$3 torchvision=$4 python
  shift 4
  python=$(python_of "$version") || exit 1
  make_venv "$venv" "$python"
  step "$venv: torch $torch + torchvision $torchvision $*" \
    "$venv/bin/pip" install -q "${torch_index[@]}" "torch==$torch" "torchvision==$torchvision" "$@"
}

range_end_versions() {  # range_end_versions VENV PYTHON_VERSION TORCH DIST==VERSION...
  local venv=$1 version=$2 torch=$3
  shift 3
  step "$venv: check the versions" "$venv/bin/python" - "$version" "$torch" "$@" <<'EOF'
import importlib.metadata as md, sys, torch, torchvision, cv2
version, want_torch, *dists = sys.argv[1:]
assert "%d.%d" % sys.version_info[:2] == version, sys.version
assert torch.__version__.split("+")[0] == want_torch, torch.__version__
want = dict(d.split("==") for d in dists)
got = {name: md.version(name) for name in [*want, "numpy"]}
assert all(got[k] == v for k, v in want.items()), got
print(f"Python {sys.version.split()[0]}, torch {torch.__version__}, torchvision "
      f"{torchvision.__version__}, " + ", ".join(f"{k} {v}" for k, v in got.items()))
EOF
  echo "      $(tail -n 1 "$LOG")"
}

setup_py310() {  # as .venv, at the low end: numpy 1.x
  range_end_torch .venv-py310 3.10 2.1.2 0.16.2 "numpy==1.26.4"
  # torchvision 0.16 imports requests; numpy stays 1.x (opencv-python resolves to one for
  # it); Python 3.10's venv brings setuptools 65, and the packaging test builds the wheel
  # with the installed one (an SPDX license string needs setuptools>=77)
  step ".venv-py310: mminit (editable) with codemods and dev extras, mmengine 0.10.7, mmcv-lite 2.2.0" \
    .venv-py310/bin/pip install -q -e ".[codemods,dev]" "mmengine==0.10.7" "mmcv-lite==2.2.0" \
    "numpy==1.26.4" requests "setuptools>=77"
  drop_triton .venv-py310
  range_end_versions .venv-py310 3.10 2.1.2 "mmengine==0.10.7" "mmcv-lite==2.2.0"
}

setup_py313() {  # as .venv-mmcv, at the high end: numpy 2.x
  range_end_torch .venv-py313 3.13 2.14.1 0.29.1 "numpy>=2"
  step ".venv-py313: wheels: mmcv 1.7.2 (no compiled ops), mmengine 0.10.7" \
    upstream_wheels .venv-py313
  step ".venv-py313: mminit (editable), extras, mmcv's + mmengine's requirements" \
    install_mminit_and_requirements .venv-py313 "numpy>=2"
  step ".venv-py313: mmcv 1.7.2, mmengine 0.10.7 (--no-deps)" \
    .venv-py313/bin/pip install -q --no-deps .venv-py313/wheels/mmcv-1.7.2-*.whl \
    .venv-py313/wheels/mmengine-0.10.7-*.whl
  drop_triton .venv-py313
  range_end_versions .venv-py313 3.13 2.14.1 "mmcv==1.7.2" "mmengine==0.10.7"
  share_torch_libraries .venv-mmcv .venv-py313
}

for what in "${targets[@]}"; do
  case "$what" in
    main) setup_main ;;
    mmcv) setup_mmcv ;;
    bare) setup_bare ;;
    py310) setup_py310 ;;
    py313) setup_py313 ;;
    all) setup_main; setup_mmcv ;;
  esac
done
echo "  environments ready (pip's output: out/setup_envs.log)"
