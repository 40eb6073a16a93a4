#!/usr/bin/env bash
# Bricks proof: migrate a copy of examples/sample_repo with `mminit migrate --bricks`,
# then initialise its mmcv_bricks model (ConvModule, build_*_layer, CONV_LAYERS, load_checkpoint)
# in .venv-bare (torch and mminit only: mmcv and mmengine are not installed there), and compare
# it with the ORIGINAL model
# initialised by real mmcv 1.7.2 in .venv-mmcv: state dict after construction and after
# init_weights (bit for bit), init-info strings, forward output.
# Usage: tools/prove_bricks.sh [WORKDIR]   (default: out/prove_bricks; a WORKDIR from an earlier
# run is replaced, any other non-empty directory is refused)
# Needs the environments tools/setup_envs.sh builds. Exit status 0 only when identical.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-$ROOT/out/prove_bricks}
case "$WORK" in /*) ;; *) WORK=$ROOT/$WORK ;; esac
if [ -e "$WORK" ] && [ ! -d "$WORK" ]; then
  echo "prove_bricks: WORKDIR $WORK exists and is not a directory" >&2
  exit 2
elif [ -d "$WORK" ] && [ -n "$(ls -A "$WORK")" ] && [ ! -f "$WORK/.prove_bricks" ]; then
  echo "prove_bricks: refusing to replace $WORK: it is not empty and was not made by an earlier" \
    "run (no .prove_bricks marker); pass a new or empty WORKDIR" >&2
  exit 2
fi
rm -rf "$WORK" && mkdir -p "$WORK" && touch "$WORK/.prove_bricks"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
if [ ! -x .venv-bare/bin/python ] || [ ! -x .venv/bin/python ] || [ ! -x .venv-mmcv/bin/python ]; then
  echo "prove_bricks: needs .venv, .venv-mmcv and .venv-bare: run tools/setup_envs.sh all bare" >&2
  exit 2
fi

cp -r examples/sample_repo "$WORK/original"
cp -r examples/sample_repo "$WORK/migrated"
cp -r examples/sample_repo "$WORK/default"
find "$WORK" -name __pycache__ -prune -exec rm -rf {} +

echo "== 1. mminit migrate --bricks $WORK/migrated"
.venv/bin/mminit migrate --bricks --quiet "$WORK/migrated" --report "$WORK/migrate_report.json"
echo "-- the model file after migration:"
diff -u "$WORK/original/sample_repo/mmcv_bricks/convnet.py" \
        "$WORK/migrated/sample_repo/mmcv_bricks/convnet.py" || true

echo
echo "== 2. a checkpoint for load_checkpoint (partial, 'module.' prefixed keys)"
.venv/bin/python examples/prove_bricks.py checkpoint "$WORK/pretrained.pth"

echo "== 3. the original model with real mmcv 1.7.2 (.venv-mmcv)"
.venv-mmcv/bin/python -W ignore examples/prove_bricks.py run \
  "$WORK/original" "$WORK/pretrained.pth" "$WORK/original.pt"
echo "== 4. the migrated model with mminit in .venv-bare (torch + mminit: mmcv and mmengine not installed)"
.venv-bare/bin/python -W ignore examples/prove_bricks.py run --block-upstream \
  "$WORK/migrated" "$WORK/pretrained.pth" "$WORK/migrated.pt"

echo
echo "== 5. half-way: the default migration (no --bricks) keeps the bricks on mmcv; run under mmcv 1.7.2"
.venv/bin/mminit migrate --quiet "$WORK/default" >/dev/null 2>&1
.venv-mmcv/bin/python -W ignore examples/prove_bricks.py run \
  "$WORK/default" "$WORK/pretrained.pth" "$WORK/default.pt"
.venv/bin/python examples/prove_bricks.py compare --allow-upstream "$WORK/original.pt" "$WORK/default.pt"

echo
echo "== 6. compare: --bricks, without mmcv, vs the original under mmcv 1.7.2"
if .venv/bin/python examples/prove_bricks.py compare "$WORK/original.pt" "$WORK/migrated.pt"; then
  echo "prove_bricks: PASS (migrated with --bricks, initialised where mmcv is not installed, bit-identical to mmcv 1.7.2)"
else
  echo "prove_bricks: FAIL"
  exit 1
fi
