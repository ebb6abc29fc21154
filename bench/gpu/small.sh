#!/usr/bin/env bash
# bench/gpu/small.sh: the unrolled d = 2, 3 kernels (softmin_small.wgsl,
# softmean_small.wgsl) in several shapes side by side in one device call
# (issue 14 part 2), each variant a set of environment switches of
# compute/webgpu (see its Backend fields):
#   OTPLAY_SMALL_FORM=twopass|onepass|lazy, OTPLAY_SMALL_POLY=k,
#   OTPLAY_SMALL_SAMPLE=k, OTPLAY_COMBINE_LANES=k,
#   OTPLAY_SOFTMIN_R / _WG, OTPLAY_SOFTMEAN_R / _WG, OTPLAY_SMALL_TILE,
#   OTPLAY_SOFTMIN_TARGET_GROUPS, OTPLAY_SOFTMEAN_TARGET_GROUPS,
#   OTPLAY_SPLIT_MIN, OTPLAY_FLUSH_EVERY.
# Rows: `otplay bench --json` (N = M uniform in [0, 1]^d, eps 0.05 d/2) at
# 1e4 with --batch 50 (the soft-min, the soft-mean, the Sinkhorn iteration
# of two soft-mins, and `solver`: the iteration of package ot's solver
# with its residual check every 10 iterations) and at 1e5 with --batch 10
# (the same), and the soft-min at d = 3 and 1e5; medians
# of 10, one JSON line per row with "variant", and the host's share per
# call (record_ms: recording; submit_ms: ending the pass and submitting).
# ROWS=small|large|all (default all) runs only the 1e4 rows or only the
# 1e5 ones; EXTRA adds bench flags (e.g. "EXTRA=--check-every 1000").
#
# (The earlier SOLVE=1 timed two `otplay solve` processes of 100 and 1100
# iterations and took the difference; their fixed costs, the float64 host
# check among them, varied by +-0.2 s, as much as 1000 iterations take:
# 624 ms against 620 ms in small-h100-call2.jsonl. bench --kernel solver
# times the solver's Step in one process instead.)
#
# Build here, carry .gl and the binary (see bench/gpu/run.sh; BIN names
# it), then on the device: bash bench/gpu/small.sh ["name:ENV=V,ENV=V" ...]
# (a spec "name:" runs the defaults). SMALL_N and LARGE_N (default 1e4,
# 1e5) shrink it for a smoke test here, on lavapipe:
#   VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json SMALL_N=300 LARGE_N=600 bash bench/gpu/small.sh
# The figures of 2026-12-06 are in bench/gpu/results/ (call1: the first
# sweep, call2: the defaults as shipped against two-pass).
set -u
cd "$(dirname "$0")/../.."
. bench/gpu/device-env.sh
BIN=${BIN:-.devbin/otplay}
OUT=${OUT:-/tmp}
SMALL_N=${SMALL_N:-1e4} LARGE_N=${LARGE_N:-1e5} # smaller for a smoke test on lavapipe
if [ $# -eq 0 ]; then set -- "twopass:OTPLAY_SMALL_FORM=twopass" "lazy:OTPLAY_SMALL_FORM=lazy"; fi
row() { # variant, then otplay bench arguments
  V=$1; shift
  timeout 100 "$BIN" bench --backend gpu --json "$@" 2>"$OUT/err.txt" |
    V=$V python3 -c 'import json, os, sys
for r in json.load(sys.stdin):
    print(json.dumps({"variant": os.environ["V"], "kernel": r["kernel"], "d": r["d"], "n": r["n"], "ms": round(r["median_ms"], 4), "pct": round(r.get("exp_bound_pct", 0), 1), "record_ms": round(r.get("record_ms", 0), 4), "submit_ms": round(r.get("submit_ms", 0), 4)}), flush=True)' ||
    echo "{\"variant\": \"$V\", \"error\": \"$(tail -c 300 "$OUT/err.txt" | tr '"\n' "' ")\"}"
}
ROWS=${ROWS:-all}
for spec in "$@"; do
  name=${spec%%:*} envs=${spec#*:}
  (
    IFS=, ; for kv in $envs; do [ -n "$kv" ] && export "$kv"; done; unset IFS
    if [ "$ROWS" != large ]; then
      row "$name" --sizes "$SMALL_N" --d 2 --kernel softmin,softmean,sinkhorn,solver --batch 50 --reps 10 ${EXTRA:-}
    fi
    if [ "$ROWS" != small ]; then
      row "$name" --sizes "$LARGE_N" --d 2 --kernel softmin,softmean,sinkhorn,solver --batch 10 --reps 10 ${EXTRA:-}
      row "$name" --sizes "$LARGE_N" --d 3 --kernel softmin --batch 10 --reps 10
    fi
  )
done | tee "$OUT/small.jsonl"
