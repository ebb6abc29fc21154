#!/usr/bin/env bash
# bench/gpu/mid.sh: the mid-dimension kernels (pairs_mid.wgsl,
# shaders.SoftMinMid / SoftMeanMid) against softmin_hd2.wgsl /
# softmean_hd2.wgsl side by side in one device call (issue 14, d = 4..16),
# each variant a set of environment switches of compute/webgpu (mid.go):
#   OTPLAY_SOFTMIN_MID_MAX / OTPLAY_SOFTMEAN_MID_MAX=0 (the hd2 kernels),
#   OTPLAY_MID_R / _WG, OTPLAY_MID_MEAN_R / _WG (the mid kernels' shape),
#   OTPLAY_MID_FACTOR, OTPLAY_MID_VALUES_Y.
# Rows: `otplay bench --json` (N = M uniform in [0, 1]^d, eps 0.05 d/2),
# KERNELS (default soft-min and soft-mean, V = Y) at each d of DIMS,
# N = LARGE_N (1e5) with --batch 5 and N = SMALL_N (1e4; empty: none)
# with --batch 50, medians of 10; one JSON line per row with "variant"
# (a spec may set DIMS, KERNELS, SMALL_N). The spec "validate" runs
# `otplay validate` with the defaults (VALIDATE_S seconds at most, default
# 40; $OUT/validate.txt). A spec is skipped once the call has run BUDGET
# seconds (default 140), so a short call still returns the first ones.
#
# Build here, stage the binary (BIN), carry .gl, then on the device:
#   BIN=.devrun/mid2/otplay bash .devrun/mid2/mid.sh ["name:ENV=V,ENV=V" ...]
# Smoke test on lavapipe here:
#   VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json SMALL_N=300 LARGE_N=600 BIN=./otplay bash bench/gpu/mid.sh
# The figures are in bench/gpu/results/mid-h100-*.jsonl.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/device-env.sh"
BIN=${BIN:-.devbin/otplay}
OUT=${OUT:-/tmp}
mkdir -p "$OUT"
BUDGET=${BUDGET:-140}
DIMS=${DIMS:-4 6 8 12 16}
SMALL_N=${SMALL_N-1e4} LARGE_N=${LARGE_N:-1e5} KERNELS=${KERNELS:-softmin,softmean}
if [ $# -eq 0 ]; then
  # Call 4 (mid2; bench/gpu/results/mid-h100-call4.jsonl): the defaults
  # set from call 3 and validate, then the soft-mean's rows and
  # workgroups from d = 6 and the soft-min's workgroup.
  set -- "mid:" validate "mean-r4-wg64:OTPLAY_MID_MEAN_R=4,OTPLAY_MID_MEAN_WG=64,KERNELS=softmean,DIMS=6 8 12 16,SMALL_N=" \
    "mean-r4-wg128:OTPLAY_MID_MEAN_R=4,OTPLAY_MID_MEAN_WG=128,KERNELS=softmean,DIMS=6 8 12 16,SMALL_N=" \
    "mean-r6-wg64:OTPLAY_MID_MEAN_R=6,OTPLAY_MID_MEAN_WG=64,KERNELS=softmean,DIMS=6 8 12 16,SMALL_N=" \
    "mean-r8-wg128:OTPLAY_MID_MEAN_R=8,OTPLAY_MID_MEAN_WG=128,KERNELS=softmean,DIMS=6 8 12,SMALL_N=" \
    "min-wg256:OTPLAY_MID_WG=256,KERNELS=softmin,DIMS=4 8 16,SMALL_N=" \
    "mean-r6-wg256:OTPLAY_MID_MEAN_R=6,OTPLAY_MID_MEAN_WG=256,KERNELS=softmean,DIMS=8 16,SMALL_N=" \
    "mean-wg128:OTPLAY_MID_MEAN_WG=128,KERNELS=softmean,DIMS=4,SMALL_N="
fi
if false; then
  # Call 3 (mid2; bench/gpu/results/mid-h100-call3.jsonl): the defaults
  # (soft-mean of V = Y from the staged coordinates) and validate, the
  # hd2 kernels at d = 12, 16, the soft-mean with staged values, the
  # soft-min's and soft-mean's rows and factored form at every d.
  set -- "mid:" validate "hd2:OTPLAY_SOFTMIN_MID_MAX=0,OTPLAY_SOFTMEAN_MID_MAX=0,DIMS=12 16" \
    "staged-values:OTPLAY_MID_VALUES_Y=0,KERNELS=softmean,SMALL_N=" \
    "unfactored:OTPLAY_MID_FACTOR=0,SMALL_N=" "r4:OTPLAY_MID_R=4,OTPLAY_MID_MEAN_R=4,SMALL_N=" \
    "r4-unfactored:OTPLAY_MID_R=4,OTPLAY_MID_FACTOR=0,KERNELS=softmin,DIMS=6 12,SMALL_N=" \
    "mean-r8:OTPLAY_MID_MEAN_R=8,KERNELS=softmean,DIMS=4 6 12,SMALL_N=" \
    "factored:OTPLAY_MID_FACTOR=1,KERNELS=softmean,DIMS=4 6,SMALL_N=" \
    "r16:OTPLAY_MID_R=16,KERNELS=softmin,DIMS=4 6 8,SMALL_N=" \
    "mean-r6:OTPLAY_MID_MEAN_R=6,KERNELS=softmean,DIMS=12 16,SMALL_N=" \
    "r12:OTPLAY_MID_R=12,KERNELS=softmin,DIMS=8 12 16,SMALL_N=" \
    "staged-r4:OTPLAY_MID_VALUES_Y=0,OTPLAY_MID_MEAN_R=4,KERNELS=softmean,DIMS=8,SMALL_N=" \
    "mean-wg128:OTPLAY_MID_MEAN_WG=128,KERNELS=softmean,DIMS=8,SMALL_N="
fi
if false; then
  # Call 2: the defaults (factored, first maxima over 32 columns, R = 4)
  # against softmin_hd2 / softmean_hd2 and the unfactored form, then
  # shapes. Call 1 (bench/gpu/results/mid-h100-call1.jsonl) ran
  # mid (unfactored, whole first tile) hd2 validate
  # mid-r8:OTPLAY_MID_R=8,OTPLAY_MID_MEAN_R=4,DIMS=4 8 16
  # mid-first32:OTPLAY_MID_FIRST=32,DIMS=4 8 16
  # mid-r2:OTPLAY_MID_R=2,OTPLAY_MID_MEAN_R=2,DIMS=8 16
  # mid-g2048:OTPLAY_SOFTMIN_TARGET_GROUPS=2048,DIMS=8
  # mid-wg64:OTPLAY_MID_WG=64,OTPLAY_MID_MEAN_WG=128,DIMS=8
  set -- "mid:" "hd2:OTPLAY_SOFTMIN_MID_MAX=0,OTPLAY_SOFTMEAN_MID_MAX=0" validate \
    "unfactored:OTPLAY_MID_UNFACTORED=1" "mid-r8:OTPLAY_MID_R=8,OTPLAY_MID_MEAN_R=8,DIMS=4 8 16" \
    "mid-g2048:OTPLAY_SOFTMIN_TARGET_GROUPS=2048,DIMS=8" "mid-first-tile:OTPLAY_MID_FIRST=1024,DIMS=8"
fi
row() { # variant, then otplay bench arguments
  V=$1; shift
  timeout 60 "$BIN" bench --backend gpu --json "$@" 2>"$OUT/err.txt" |
    V=$V python3 -c 'import json, os, sys
for r in json.load(sys.stdin):
    print(json.dumps({"variant": os.environ["V"], "kernel": r["kernel"], "d": r["d"], "n": r["n"], "ms": round(r["median_ms"], 4), "pct": round(r.get("exp_bound_pct", 0), 1)}), flush=True)' ||
    echo "{\"variant\": \"$V\", \"error\": \"$(tail -c 300 "$OUT/err.txt" | tr '"\n' "' ")\"}"
}
for spec in "$@"; do
  name=${spec%%:*} envs=${spec#*:}
  if [ "$SECONDS" -ge "$BUDGET" ]; then
    echo "{\"variant\": \"$name\", \"skipped_at_s\": $SECONDS}"
    continue
  fi
  if [ "$spec" = validate ]; then # `otplay validate` with the defaults
    timeout "${VALIDATE_S:-40}" "$BIN" validate --backend gpu 2>&1 | tail -4 >"$OUT/validate.txt"
    echo "{\"validate_done_at_s\": $SECONDS}"
    continue
  fi
  (
    IFS=, ; for kv in $envs; do [ -n "$kv" ] && export "$kv"; done; unset IFS
    for d in $DIMS; do
      row "$name" --sizes "$LARGE_N" --d "$d" --kernel "$KERNELS" --batch 5 --reps 10
      [ -n "$SMALL_N" ] && row "$name" --sizes "$SMALL_N" --d "$d" --kernel "$KERNELS" --batch 50 --reps 10
    done
  )
done | tee "$OUT/mid.jsonl"
echo "{\"done_at_s\": $SECONDS}" >>"$OUT/mid.jsonl"
