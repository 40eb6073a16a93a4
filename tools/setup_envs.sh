#!/usr/bin/env bash
# Creates the project's environments from scratch (idempotent):
#   .venv       mminit + dev tools + mmengine 0.10.7 (torch 2.13.0 CPU)
#   .venv-mmcv  mminit + mmcv 1.7.2 lite + mmengine 0.10.7 --no-deps (torch 2.14.1)
# Usage: tools/setup_envs.sh [main|mmcv|all]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
what=${1:-all}

setup_main() {
  if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
  .venv/bin/pip install -q --upgrade "pip>=23"
  .venv/bin/pip install -q "torch==2.13.0"
  .venv/bin/pip install -q -e ".[codemods,dev]"
  .venv/bin/pip install -q "mmengine==0.10.7"
}

setup_mmcv() {
  if [ ! -x .venv-mmcv/bin/python ]; then "$PY" -m venv .venv-mmcv; fi
  .venv-mmcv/bin/pip install -q --upgrade "pip>=23"
  .venv-mmcv/bin/pip install -q "torch==2.14.1" "torchvision==0.29.1"
  .venv-mmcv/bin/pip install -q "setuptools<70" wheel opencv-python-headless
  if ! .venv-mmcv/bin/python -c "import mmcv" 2>/dev/null; then
    MMCV_WITH_OPS=0 .venv-mmcv/bin/pip install -q --no-build-isolation "mmcv==1.7.2"
  fi
  .venv-mmcv/bin/pip install -q --no-deps "mmengine==0.10.7"
  .venv-mmcv/bin/pip install -q rich termcolor
  .venv-mmcv/bin/pip install -q -e ".[codemods,dev]"
}

case "$what" in
  main) setup_main ;;
  mmcv) setup_mmcv ;;
  all) setup_main; setup_mmcv ;;
  *) echo "usage: $0 [main|mmcv|all]" >&2; exit 2 ;;
esac
