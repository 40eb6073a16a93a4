#!/usr/bin/env bash
# Sets up both environments (tools/setup_envs.sh: one line per step, pip's output in
# out/setup_envs.log) and runs every test:
#   .venv       torch 2.13.0 (CPU): unit tests, codemods, mminit-vs-mmengine 0.10.7 compat
#               suite (with mmcv-lite 2.2.0 / mmpretrain 1.2.0, mmdet 3.3.0 and
#               mmsegmentation 1.2.2 real models), benchmarks smoke
#   .venv-mmcv  torch 2.14.1: unit tests, `mminit check`, mminit.mmcv1-vs-mmcv 1.7.2 compat
#               suite (with mmcls 0.25.0 / mmdet 2.28.2 / mmseg 0.30.0 real models)
# Usage: tools/test_all.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
tools/setup_envs.sh all
echo "== environments ready in $(( $(date +%s) - start ))s"

status=0
# What each venv runs is decided by pyproject.toml's testpaths and the root conftest.py
# (a plain `python -m pytest` in a venv runs the same). The flavour is named here although
# conftest.py would find the same from the installed upstream: a broken install then fails
# (CI=true) instead of quietly testing the other flavour.
echo "== .venv: mminit (mmengine flavour) vs mmengine 0.10.7, torch $(.venv/bin/python -c 'import torch; print(torch.__version__)')"
MMINIT_COMPAT_FLAVOURS=mmengine .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=1
echo "== .venv-mmcv: mminit.mmcv1 vs mmcv 1.7.2, torch $(.venv-mmcv/bin/python -c 'import torch; print(torch.__version__)')"
MMINIT_COMPAT_FLAVOURS=mmcv1 .venv-mmcv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=1
echo "== all tests finished in $(( $(date +%s) - start ))s (status $status)"
exit $status
