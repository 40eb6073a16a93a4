#!/usr/bin/env bash
# The main job: set everything up, migrate a copy of the bundled sample repository
# (examples/sample_repo, mmcv 1.x-style and mmengine-style parts) onto mminit, show
# the diff, and prove with `mminit check` that every model in it initialises
# bit-identically (parameters, buffers, init-info strings) to upstream.
# Usage: tools/main_job.sh [WORKDIR]   (default: out/main_job; replaced on each run)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-$ROOT/out/main_job}
tools/setup_envs.sh all

rm -rf "$WORK" && mkdir -p "$WORK"
cp -r examples/sample_repo "$WORK/sample_repo"
echo "== 1. review: what would change in $WORK/sample_repo"
.venv/bin/mminit migrate "$WORK/sample_repo" --diff
echo "== 2. migrate (report in $WORK/migrate_report.json)"
.venv/bin/mminit migrate "$WORK/sample_repo" --report "$WORK/migrate_report.json"
echo "== 3. a second run must find nothing left to migrate"
.venv/bin/mminit migrate "$WORK/sample_repo" --check

echo "== 4. the migrated models initialise exactly as upstream's"
cd "$WORK/sample_repo"
status=0
"$ROOT/.venv-mmcv/bin/mminit" check sample_repo.mmcv_style.models:build_model \
  --flavour mmcv1 --json "$WORK/check_mmcv_style.json" || status=1
"$ROOT/.venv-mmcv/bin/mminit" check sample_repo.mmengine_style.models:build_model \
  --flavour mmengine --json "$WORK/check_mmengine_style.json" || status=1
if [ $status -eq 0 ]; then
  echo "== main job: sample repo migrated; init bit-identical to upstream in both flavours"
else
  echo "== main job FAILED: see the tables above" >&2
fi
exit $status
