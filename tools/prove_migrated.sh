#!/usr/bin/env bash
# The main job's proof (tools/main_job.sh step 4), in one venv: the ORIGINAL sample code
# initialised by upstream (mmcv 1.7.2 / mmengine 0.10.7) and the MIGRATED code initialised
# by mminit give bit-identical parameters, buffers and init-info strings
# (`mminit check --migrated`: two models, mmcv 1.x- and mmengine-style, and a config).
# WORK holds original/ (a copy of examples/sample_repo) and sample_repo/ (a migrated
# copy); where sample_repo/ is missing, both copies are made and the copy is migrated
# here with VENV's `mminit migrate`. Writes WORK/check_{mmcv_style,mmengine_style,config}.json.
# Usage: tools/prove_migrated.sh VENV WORK [PART...]   PARTs: mmcv_style (needs mmcv 1.7.2
#        in VENV), mmengine_style, config (need mmengine 0.10.7); default: all three
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=$ROOT/${1:?usage: $0 VENV WORK}
WORK=${2:?usage: $0 VENV WORK [PART...]}
case "$WORK" in /*) ;; *) WORK=$ROOT/$WORK ;; esac
shift 2
PARTS=" ${*:-mmcv_style mmengine_style config} "

if [ ! -d "$WORK/sample_repo" ]; then
  mkdir -p "$WORK"
  rm -rf "$WORK/original"
  cp -r examples/sample_repo "$WORK/original"
  cp -r examples/sample_repo "$WORK/sample_repo"
  "$VENV/bin/mminit" migrate "$WORK/sample_repo" --report "$WORK/migrate_report.json" >/dev/null
  echo "-- migrated a copy of examples/sample_repo with $(basename "$VENV")'s mminit"
fi

# The two trees side by side under different package names: the upstream side
# imports the original, the mminit side the migrated copy.
proof=$WORK/proof
rm -rf "$proof" && mkdir -p "$proof"
ln -s ../original/sample_repo "$proof/original_sample_repo"
ln -s ../sample_repo/sample_repo "$proof/sample_repo"
status=0
for style in mmcv_style:mmcv1 mmengine_style:mmengine; do
  flavour=${style#*:} style=${style%:*}
  if [[ $PARTS != *" $style "* ]]; then continue; fi
  (cd "$proof" && "$VENV/bin/mminit" check \
    "original_sample_repo.$style.models:build_model" \
    --migrated "sample_repo.$style.models:build_model" \
    --flavour "$flavour" --json "$WORK/check_$style.json") || status=1
  echo
done
# The config: the original (imports from mmengine) with upstream vs the migrated one
# (imports from mminit) with mminit. Both import the model class from `sample_repo`,
# which here is the migrated package (the upstream side aliases mminit to mmengine),
# and both load checkpoints/tiny_vit.pth, made first with values unlike any init.
if [[ $PARTS != *" config "* ]]; then exit $status; fi
config=configs/tiny_vit_pretrained.py
(cd "$WORK/original" && "$VENV/bin/python" - "$WORK/sample_repo/checkpoints" <<'EOF'
import os, sys, torch
from sample_repo.mmengine_style.models import TinyViT
torch.manual_seed(7)
state = {k: torch.randn_like(v) for k, v in TinyViT().state_dict().items()}
os.makedirs(sys.argv[1], exist_ok=True)
torch.save({"state_dict": state}, os.path.join(sys.argv[1], "tiny_vit.pth"))
print(f"-- checkpoints/tiny_vit.pth for the config: {len(state)} tensors")
EOF
) || status=1
(cd "$WORK/sample_repo" && PYTHONPATH=$WORK/sample_repo${PYTHONPATH:+:$PYTHONPATH} \
  "$VENV/bin/mminit" check "$WORK/original/$config" --migrated "$config" \
  --json "$WORK/check_config.json") || status=1
exit $status
