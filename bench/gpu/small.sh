#!/usr/bin/env bash
# bench/gpu/small.sh: the unrolled d = 2, 3 kernels (softmin_small.wgsl,
# softmean_small.wgsl) in several shapes side by side in one device call
# (issue 14 part 2), each variant a set of environment switches of
# compute/webgpu (see its Backend fields):
#   OTPLAY_SMALL_FORM=twopass|onepass|lazy, OTPLAY_SMALL_POLY=k,
#   OTPLAY_SOFTMIN_R / _WG, OTPLAY_SOFTMEAN_R / _WG, OTPLAY_SMALL_TILE,
#   OTPLAY_SOFTMIN_TARGET_GROUPS, OTPLAY_SPLIT_MIN, OTPLAY_FLUSH_EVERY.
# Rows: `otplay bench --json` (N = M uniform in [0, 1]^d, eps 0.05 d/2) at
# 1e4 with --batch 50 and at 1e5 with --batch 10, medians of 10, for the
# soft-min, the soft-mean and the Sinkhorn iteration (two soft-mins) at
# d = 2, and the soft-min at d = 3; one JSON line per row with "variant".
# Then, optionally (SOLVE=1), `otplay solve` at N = 1e4 with 100 and 1100
# iterations (a residual check every 10, read back): the difference over
# 1000 is one iteration of the real solver, checks included.
#
# Build here, carry .gl and .devbin (see bench/gpu/run.sh), then on the
# device: bash bench/gpu/small.sh ["name:ENV=V,ENV=V" ...] (a spec "name:"
# runs the defaults). SMALL_N, LARGE_N and SOLVE_N (default 1e4, 1e5,
# 10000) shrink it for a smoke test here, on lavapipe:
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
    print(json.dumps({"variant": os.environ["V"], "kernel": r["kernel"], "d": r["d"], "n": r["n"], "ms": round(r["median_ms"], 4), "pct": round(r.get("exp_bound_pct", 0), 1)}), flush=True)' ||
    echo "{\"variant\": \"$V\", \"error\": \"$(tail -c 300 "$OUT/err.txt" | tr '"\n' "' ")\"}"
}
for spec in "$@"; do
  name=${spec%%:*} envs=${spec#*:}
  (
    IFS=, ; for kv in $envs; do [ -n "$kv" ] && export "$kv"; done; unset IFS
    row "$name" --sizes "$SMALL_N" --d 2 --kernel softmin,softmean,sinkhorn --batch 50 --reps 10
    row "$name" --sizes "$LARGE_N" --d 2 --kernel softmin,softmean,sinkhorn --batch 10 --reps 10
    row "$name" --sizes "$LARGE_N" --d 3 --kernel softmin --batch 10 --reps 10
    if [ "${SOLVE:-0}" = 1 ]; then
      for it in 100 1100; do
        "$BIN" solve --backend gpu --x gaussian:${SOLVE_N:-10000}:seed=1 --y gaussian:${SOLVE_N:-10000}:seed=2 --eps 0.05 --iters $it --tol 0 --json 2>/dev/null |
          V=$name IT=$it python3 -c 'import json, os, sys
r = json.load(sys.stdin); print(json.dumps({"variant": os.environ["V"], "solve_iters": int(os.environ["IT"]), "iterations": r.get("iterations"), "time_ms": r.get("time_ms")}))'
      done
    fi
  )
done | tee "$OUT/small.jsonl"
