#!/usr/bin/env bash
# The main job's proof (tools/main_job.sh step 4), in one venv: the ORIGINAL sample code
# initialised by upstream (mmcv 1.7.2 / mmengine 0.10.7) and the MIGRATED code initialised
# by mminit give bit-identical parameters, buffers and init-info strings
# (`mminit check TARGET --original DIR --migrated DIR`: two models, mmcv 1.x- and
# mmengine-style, and a config, each side importing its own checkout).
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

# Each side runs in its own checkout (first on sys.path): the upstream side imports the
# original `sample_repo` package, the mminit side the migrated one of the same name.
status=0
for style in mmcv_style:mmcv1 mmengine_style:mmengine; do
  flavour=${style#*:} style=${style%:*}
  if [[ $PARTS != *" $style "* ]]; then continue; fi
  (cd "$WORK" && "$VENV/bin/mminit" check "sample_repo.$style.models:build_model" \
    --original "$WORK/original" --migrated "$WORK/sample_repo" \
    --flavour "$flavour" --json "$WORK/check_$style.json") || status=1
  echo
done
# The config: each side reads its checkout's configs/tiny_vit_pretrained.py (the original
# imports its init classes from mmengine, the migrated one from mminit) and loads its
# checkout's checkpoints/tiny_vit.pth, made first (the same values in both) unlike any init.
if [[ $PARTS != *" config "* ]]; then exit $status; fi
config=configs/tiny_vit_pretrained.py
(cd "$WORK/original" && "$VENV/bin/python" - "$WORK/original/checkpoints" \
  "$WORK/sample_repo/checkpoints" <<'PYEOF'
import os, sys, torch
from sample_repo.mmengine_style.models import TinyViT
torch.manual_seed(7)
state = {k: torch.randn_like(v) for k, v in TinyViT().state_dict().items()}
for directory in sys.argv[1:]:
    os.makedirs(directory, exist_ok=True)
    torch.save({"state_dict": state}, os.path.join(directory, "tiny_vit.pth"))
print(f"-- checkpoints/tiny_vit.pth for the config, in both checkouts: {len(state)} tensors")
PYEOF
) || status=1
(cd "$WORK" && "$VENV/bin/mminit" check "$config" --original "$WORK/original" \
  --migrated "$WORK/sample_repo" --json "$WORK/check_config.json") || status=1
exit $status
