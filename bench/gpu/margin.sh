#!/usr/bin/env bash
# bench/gpu/margin.sh: issue 14's two rows that sat on their goals (the
# d = 2 soft-mean and the d = 8 soft-min at N = M = 1e5) in several
# shapes side by side in one device call, each variant a set of
# environment switches of compute/webgpu (mid.go, MidShape):
#   OTPLAY_SOFTMEAN_MID_MIN=2 (the d = 2, 3 soft-mean on pairs_mid.wgsl,
#   factored, values staged and packed), OTPLAY_MID_MEAN_R / _WG,
#   OTPLAY_MID_UNROLL, OTPLAY_MID_FIRST, OTPLAY_MID_R,
#   OTPLAY_SOFTMIN_TARGET_GROUPS, OTPLAY_SOFTMEAN_TARGET_GROUPS, ...
# A spec is NAME:ROWS:ENV=V,ENV=V with ROWS a '+'-separated subset of
#   mean2  the soft-mean, d = 2, 1e5 (--batch 10, as bench/gpu/all.sh)
#   mean2s the soft-mean, d = 2, 1e4 (--batch 50)
#   mean3  the soft-mean, d = 3, 1e5 (--batch 10)
#   min8   the soft-min, d = 8, 1e5 (--batch 2, as bench/gpu/all.sh)
#   min8b  the soft-min, d = 8, 1e5 (--batch 10)
#   min8s  the soft-min, d = 8, 1e4 (--batch 20, as bench/gpu/all.sh)
#   minall the soft-min, d = 4, 6, 12, 16, 1e5 (--batch 5)
#   meanall the soft-mean (V = Y), d = 4, 8, 16, 1e5 (--batch 5)
#   min23  the soft-min, d = 2 and 3, 1e5 (--batch 10, as bench/gpu/all.sh)
#   min23s the soft-min and the Sinkhorn iteration, d = 2 and 3, 1e4 (--batch 50)
#   mean3s the soft-mean, d = 3, 1e4 (--batch 50)
# and the spec "validate" (or "validate:NAME:ENV=V,ENV=V", with those
# switches) runs `otplay validate --backend gpu` (at most VALIDATE_S
# seconds, default 60; $OUT/validate.txt or $OUT/validate-NAME.txt). `otplay bench
# --json`, N = M uniform in [0, 1]^d, eps 0.05 d/2, medians of REPS (10);
# one JSON line a row with "variant" in $OUT/margin.jsonl. A spec is
# skipped once the call has run BUDGET seconds (default 150).
#
# Build here, stage the binary and this folder's scripts, carry .gl:
#   BIN=.devrun/margin/otplay bash .devrun/margin/margin.sh [SPEC ...]
# Smoke test on lavapipe here (tiny sizes):
#   VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json N1E4=300 N1E5=600 BIN=./otplay bash bench/gpu/margin.sh
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/device-env.sh"
BIN=${BIN:-.devbin/otplay}
OUT=${OUT:-/tmp}
mkdir -p "$OUT"
BUDGET=${BUDGET:-150} REPS=${REPS:-10}
N1E4=${N1E4:-1e4} N1E5=${N1E5:-1e5}
OLD=OTPLAY_SOFTMEAN_MID_MIN=3,OTPLAY_MID_UNROLL=1
if [ $# -eq 0 ]; then
  # margin2's call (bench/gpu/results/margin2-h100.jsonl): the d <= 3
  # kernels. validate with the defaults (softmin_small.wgsl and
  # softmean_small.wgsl two columns a sweep iteration) and with the d = 2,
  # 3 soft-min on pairs_mid.wgsl; five rounds of the former kernels (one
  # column an iteration), the defaults and the mid soft-min; a few shapes
  # more.
  OLD2=OTPLAY_SMALL_UNROLL=1 MID=OTPLAY_SOFTMIN_MID_MIN=2
  ROWS=min23+min23s+mean3+mean3s
  set -- validate "validate:mid:$MID"
  for r in 1 2 3 4 5; do
    set -- "$@" "old-r$r:$ROWS:$OLD2" "default-r$r:$ROWS:" "mid-r$r:min23+min23s:$MID"
  done
  set -- "$@" "small-u4:min23+mean3:OTPLAY_SMALL_UNROLL=4" "mid-u1:min23:$MID,OTPLAY_MID_UNROLL=1" \
    "mid-u4:min23:$MID,OTPLAY_MID_UNROLL=4" "mid-rows4:min23+min23s:$MID,OTPLAY_MID_R=4" \
    "mean3-mid:mean3+mean3s:OTPLAY_SOFTMEAN_MID_MIN=3"
fi
if false; then
  # Call 2 (bench/gpu/results/margin-h100-call2.jsonl): validate with the
  # defaults set from call 1 (the d = 2 soft-mean on pairs_mid.wgsl, two
  # columns a sweep iteration there and in the mid soft-min), five rounds
  # of both rows against the former defaults ($OLD), then the other
  # dimensions the changes touch and a few shapes more.
  set -- validate
  for r in 1 2 3 4 5; do
    set -- "$@" "default-r$r:mean2+min8+min8b:" "old-r$r:mean2+min8+min8b:$OLD"
  done
  set -- "$@" "default:mean2s+min8s+mean3+minall+meanall:" "old:mean2s+min8s+minall:$OLD" \
    "mean3-mid:mean3:OTPLAY_SOFTMEAN_MID_MIN=3" "mean-unroll2:meanall:OTPLAY_MID_UNROLL=2" \
    "u4:mean2+min8+min8b:OTPLAY_MID_UNROLL=4" "mean-r8:mean2:OTPLAY_MID_MEAN_R=8" \
    "mean-r6:mean2:OTPLAY_MID_MEAN_R=6" "mean-r8-u4:mean2:OTPLAY_MID_MEAN_R=8,OTPLAY_MID_UNROLL=4" \
    "min-first8:min8+min8b:OTPLAY_MID_FIRST=8" "min-u4-first8:min8+min8b:OTPLAY_MID_UNROLL=4,OTPLAY_MID_FIRST=8" \
    "min-r4-u4:min8+min8b:OTPLAY_MID_R=4,OTPLAY_MID_UNROLL=4" "default-again:mean2+min8+min8b:"
fi
if false; then
  # Call 1 (bench/gpu/results/margin-h100-call1.jsonl; OTPLAY_MID_UNROLL=1
  # then meant two columns an iteration, now OTPLAY_MID_UNROLL=2).
  ALL=mean2+mean2s+mean3+min8+min8b
  set -- "default:$ALL:" \
    "mean-mid:mean2+mean2s+mean3:OTPLAY_SOFTMEAN_MID_MIN=2" \
    "mean-mid-r8:mean2:OTPLAY_SOFTMEAN_MID_MIN=2,OTPLAY_MID_MEAN_R=8" \
    "mean-mid-r6:mean2:OTPLAY_SOFTMEAN_MID_MIN=2,OTPLAY_MID_MEAN_R=6" \
    "mean-mid-r2:mean2:OTPLAY_SOFTMEAN_MID_MIN=2,OTPLAY_MID_MEAN_R=2" \
    "mean-mid-wg64:mean2:OTPLAY_SOFTMEAN_MID_MIN=2,OTPLAY_MID_MEAN_WG=64" \
    "mean-mid-wg256:mean2:OTPLAY_SOFTMEAN_MID_MIN=2,OTPLAY_MID_MEAN_WG=256" \
    "mean-mid-unroll:mean2+mean2s:OTPLAY_SOFTMEAN_MID_MIN=2,OTPLAY_MID_UNROLL=1" \
    "mean-mid-g4k:mean2:OTPLAY_SOFTMEAN_MID_MIN=2,OTPLAY_SOFTMEAN_TARGET_GROUPS=4096" \
    "mean-mid-g16k:mean2:OTPLAY_SOFTMEAN_MID_MIN=2,OTPLAY_SOFTMEAN_TARGET_GROUPS=16384" \
    "mean-mid-first8:mean2:OTPLAY_SOFTMEAN_MID_MIN=2,OTPLAY_MID_FIRST=8" \
    "mean-mid-vy:mean2:OTPLAY_SOFTMEAN_MID_MIN=2,OTPLAY_MID_VALUES_Y=1" \
    "mean-mid-unfactored:mean2:OTPLAY_SOFTMEAN_MID_MIN=2,OTPLAY_MID_FACTOR=0" \
    "min-unroll:min8+min8b:OTPLAY_MID_UNROLL=1" \
    "min-first8:min8+min8b:OTPLAY_MID_FIRST=8" \
    "min-g4k:min8+min8b:OTPLAY_SOFTMIN_TARGET_GROUPS=4096" \
    "min-g16k:min8+min8b:OTPLAY_SOFTMIN_TARGET_GROUPS=16384" \
    "min-r6:min8+min8b:OTPLAY_MID_R=6" \
    "min-r10:min8+min8b:OTPLAY_MID_R=10" \
    "min-unroll-first8:min8+min8b:OTPLAY_MID_UNROLL=1,OTPLAY_MID_FIRST=8" \
    "default-again:$ALL:"
fi
row() { # variant, then otplay bench arguments
  V=$1; shift
  timeout 60 "$BIN" bench --backend gpu --json --reps "$REPS" "$@" 2>"$OUT/err.txt" |
    V=$V B="$*" python3 -c 'import json, os, sys
for r in json.load(sys.stdin):
    print(json.dumps({"variant": os.environ["V"], "kernel": r["kernel"], "d": r["d"], "n": r["n"], "args": os.environ["B"], "ms": round(r["median_ms"], 4), "pct": round(r.get("exp_bound_pct", 0), 1)}), flush=True)' ||
    echo "{\"variant\": \"$V\", \"args\": \"$*\", \"error\": \"$(tail -c 300 "$OUT/err.txt" | tr '"\n' "' ")\"}"
}
for spec in "$@"; do
  if [ "$SECONDS" -ge "$BUDGET" ]; then
    echo "{\"variant\": \"${spec%%:*}\", \"skipped_at_s\": $SECONDS}"
    continue
  fi
  if [ "${spec%%:*}" = validate ]; then
    vname=validate venvs=
    if [ "$spec" != validate ]; then
      vname=validate-$(echo "$spec" | cut -d: -f2) venvs=$(echo "$spec" | cut -d: -f3-)
    fi
    (
      IFS=, ; for kv in $venvs; do [ -n "$kv" ] && export "$kv"; done; unset IFS
      timeout "${VALIDATE_S:-60}" "$BIN" validate --backend gpu 2>&1 | tail -4 >"$OUT/$vname.txt"
    )
    echo "{\"${vname}_done_at_s\": $SECONDS, \"$vname\": \"$(tail -c 200 "$OUT/$vname.txt" | tr '"\n' "' ")\"}"
    continue
  fi
  name=${spec%%:*} rest=${spec#*:}
  rows=${rest%%:*} envs=${rest#*:}
  (
    IFS=, ; for kv in $envs; do [ -n "$kv" ] && export "$kv"; done; unset IFS
    for r in ${rows//+/ }; do
      case $r in
        mean2) row "$name" --kernel softmean --d 2 --sizes "$N1E5" --batch 10 ;;
        mean2s) row "$name" --kernel softmean --d 2 --sizes "$N1E4" --batch 50 ;;
        mean3) row "$name" --kernel softmean --d 3 --sizes "$N1E5" --batch 10 ;;
        min8) row "$name" --kernel softmin --d 8 --sizes "$N1E5" --batch 2 ;;
        min8b) row "$name" --kernel softmin --d 8 --sizes "$N1E5" --batch 10 ;;
        min8s) row "$name" --kernel softmin --d 8 --sizes "$N1E4" --batch 20 ;;
        minall) row "$name" --kernel softmin --d 4,6,12,16 --sizes "$N1E5" --batch 5 ;;
        meanall) row "$name" --kernel softmean --d 4,8,16 --sizes "$N1E5" --batch 5 ;;
        min23) row "$name" --kernel softmin --d 2,3 --sizes "$N1E5" --batch 10 ;;
        min23s) row "$name" --kernel softmin,sinkhorn --d 2,3 --sizes "$N1E4" --batch 50 ;;
        mean3s) row "$name" --kernel softmean --d 3 --sizes "$N1E4" --batch 50 ;;
      esac
    done
  )
done | tee "$OUT/margin.jsonl"
echo "{\"done_at_s\": $SECONDS}" >>"$OUT/margin.jsonl"
