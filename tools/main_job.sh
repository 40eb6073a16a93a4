#!/usr/bin/env bash
# The main job: set everything up, migrate a copy of the bundled sample repository
# (examples/sample_repo: mmcv 1.x-style and mmengine-style models and a config) onto
# mminit, show the diff, and prove that the ORIGINAL code initialised by upstream
# (mmcv 1.7.2 / mmengine 0.10.7) and the MIGRATED code initialised by mminit give
# bit-identical parameters, buffers and init-info strings (`mminit check --original
# DIR --migrated DIR`: each side imports its own checkout).
#
# Output: the result line first, then every step's output, then the result line again
# (also kept in WORKDIR/main_job.log). On a terminal, progress goes to stderr meanwhile.
# Usage: tools/main_job.sh [WORKDIR]   (default: out/main_job; a WORKDIR from an earlier
#        run is replaced; any other non-empty directory is refused, never deleted)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-$ROOT/out/main_job}
case "$WORK" in /*) ;; *) WORK=$ROOT/$WORK ;; esac
if [ -d "$WORK" ] && [ -n "$(ls -A "$WORK")" ] && [ ! -f "$WORK/main_job.log" ]; then
  echo "main job: refusing to replace $WORK: it is not empty and holds no main_job.log from an" \
    "earlier run; pass a new or empty WORKDIR" >&2
  exit 2
elif [ -e "$WORK" ] && [ ! -d "$WORK" ]; then
  echo "main job: WORKDIR $WORK exists and is not a directory" >&2
  exit 2
fi
rm -rf "$WORK" && mkdir -p "$WORK"
LOG=$WORK/main_job.log
START=$SECONDS

progress() { if [ -t 2 ]; then echo "main job: $*" >&2; fi; }
failed_step=""

run_steps() {
  progress "1/5 setting up the environments (pip's output: out/setup_envs.log)"
  echo "== 1. set up the environments"
  tools/setup_envs.sh all bare || { failed_step="1 (setup)"; return 1; }

  cp -r examples/sample_repo "$WORK/original"
  cp -r examples/sample_repo "$WORK/sample_repo"
  progress "2/5 migrating a copy of examples/sample_repo"
  echo
  echo "== 2. migrate $WORK/sample_repo (a copy of examples/sample_repo)"
  echo "-- review: what would change"
  .venv/bin/mminit migrate "$WORK/sample_repo" --diff || { failed_step="2 (review)"; return 1; }
  echo "-- migrate (report: $WORK/migrate_report.json)"
  .venv/bin/mminit migrate "$WORK/sample_repo" --report "$WORK/migrate_report.json" \
    || { failed_step="2 (migrate)"; return 1; }

  progress "3/5 checking that nothing is left to migrate"
  echo
  echo "== 3. a second run finds nothing left to migrate (--check)"
  .venv/bin/mminit migrate "$WORK/sample_repo" --check || { failed_step="3 (--check)"; return 1; }

  progress "4/5 proving original-with-upstream == migrated-with-mminit"
  echo
  echo "== 4. original checkout with upstream vs migrated checkout with mminit"
  echo "      (mminit check TARGET --original $WORK/original --migrated $WORK/sample_repo)"
  tools/prove_migrated.sh .venv-mmcv "$WORK" || { failed_step="4 (proof)"; return 1; }

  progress "5/5 proving the bricks model (--bricks) without mmcv"
  echo
  echo "== 5. layer bricks: a ConvModule/build_*_layer/load_checkpoint model migrated with --bricks,"
  echo "      initialised with mmcv and mmengine unimportable, vs the original with real mmcv 1.7.2"
  tools/prove_bricks.sh "$WORK/bricks" | tee "$WORK/bricks_proof.txt" \
    || { failed_step="5 (bricks proof)"; return 1; }
}

summary() {  # the one-line result, from the migration report and the check reports
  .venv/bin/python - "$WORK" "$1" "$2" <<'EOF'
import json, os, sys
work, status, failed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def load(name):
    path = os.path.join(work, name)
    return json.load(open(path)) if os.path.exists(path) else None
parts = []
mig = load("migrate_report.json")
if mig:
    s = mig["summary"]
    parts.append(f"{s['changed']} of {s['scanned']} files migrated, "
                 f"{sum(s['moved'].values())} names moved")
checks = [(label, load(f"check_{name}.json")) for label, name in
          (("mmcv 1.x models", "mmcv_style"), ("mmengine models", "mmengine_style"),
           ("config", "config"))]
done = [c for _, c in checks if c]
if done:
    tensors = sum(c["identical"] for c in done), sum(c["compared"] for c in done)
    infos = sum(c["info_identical"] for c in done), sum(c["info_compared"] for c in done)
    parts.append(f"original code with upstream vs migrated code with mminit: "
                 f"{tensors[0]}/{tensors[1]} tensors and {infos[0]}/{infos[1]} init-info strings "
                 f"bit-identical ({', '.join(label for label, c in checks if c)})")
bricks = os.path.join(work, "bricks_proof.txt")
if os.path.exists(bricks):
    lines = open(bricks).read().splitlines()
    tensors = next((l for l in lines if l.startswith("tensors: ")), "")
    infos = next((l for l in lines if l.startswith("init-info strings: ")), "")
    if any(l.startswith("prove_bricks: PASS") for l in lines):
        n_t = tensors.split()[1] if tensors else "?"
        n_i = infos.split()[2] if infos else "?"
        parts.append(f"bricks model migrated with --bricks and run without mmcv: {n_t} tensors "
                     f"and {n_i} init-info strings bit-identical to mmcv 1.7.2")
head = "PASSED" if status == 0 else f"FAILED at step {failed}"
print(f"main job {head}: " + ("; ".join(parts) if parts else "nothing ran")
      + f" [{os.environ['ELAPSED']}s; details: {os.path.join(work, 'main_job.log')}]")
EOF
}

status=0
run_steps >"$LOG" 2>&1 || status=1
# run_steps ran in this shell, so failed_step is set when a step failed
result=$(ELAPSED=$((SECONDS - START)) summary "$status" "${failed_step:-?}") \
  || result="main job FAILED at step ${failed_step:-?} (no summary: .venv is not usable)"
echo "$result"
echo
cat "$LOG"
echo
echo "$result"
exit $status
