#!/usr/bin/env bash
# Sets up both environments (tools/setup_envs.sh: one line per step, pip's output in
# out/setup_envs.log) and runs every test:
#   .venv       torch 2.13.0 (CPU): unit tests, codemods, mminit-vs-mmengine 0.10.7 compat
#               suite (with mmcv-lite 2.2.0 / mmpretrain 1.2.0, mmdet 3.3.0 and
#               mmsegmentation 1.2.2 real models), benchmarks smoke
#   .venv-mmcv  torch 2.14.1: unit tests, `mminit check`, mminit.mmcv1-vs-mmcv 1.7.2 compat
#               suite (with mmcls 0.25.0 / mmdet 2.28.2 / mmseg 0.30.0 real models)
#   .venv-py310 Python 3.10 + torch 2.1.2 + numpy 1.26 (low end): as .venv, without the
#               real packages and benchmarks, 300 generated cases (conftest.py VENVS, NOT_IN)
#   .venv-py313 Python 3.13 + torch 2.14.1 + numpy 2.x (high end): as .venv-mmcv, likewise
#   and in each of these two the main job's proof (tools/prove_migrated.sh)
# Usage: tools/test_all.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
tools/setup_envs.sh all py310 py313
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
versions() { "$1/bin/python" -c 'import sys, torch, numpy; print(f"Python {sys.version.split()[0]}, torch {torch.__version__}, numpy {numpy.__version__}")'; }
echo "== .venv-py310: mminit (mmengine flavour) vs mmengine 0.10.7, $(versions .venv-py310)"
MMINIT_COMPAT_FLAVOURS=mmengine .venv-py310/bin/python -m pytest -q -p no:cacheprovider "$@" || status=1
echo "-- .venv-py310: the main job's proof (mmengine-style models and the config)"
rm -rf out/proof-py310 && tools/prove_migrated.sh .venv-py310 out/proof-py310 mmengine_style config \
  || status=1
echo "== .venv-py313: mminit.mmcv1 vs mmcv 1.7.2, $(versions .venv-py313)"
MMINIT_COMPAT_FLAVOURS=mmcv1 .venv-py313/bin/python -m pytest -q -p no:cacheprovider "$@" || status=1
echo "-- .venv-py313: the main job's proof"
rm -rf out/proof-py313 && tools/prove_migrated.sh .venv-py313 out/proof-py313 || status=1
echo "== all tests finished in $(( $(date +%s) - start ))s (status $status)"
exit $status
