#!/bin/bash
# bench/gpu/softmeany.sh: the exact denoiser's soft-mean before and after
# Backend.SoftMeanY, side by side in one device call, with `otplay validate
# --backend gpu` on the same build first. Run from the repository root:
#
#   BIN=path/to/otplay bash bench/gpu/softmeany.sh
#
# For each d in $DIMS and N in $SIZES it times `otplay bench --kernel
# softmean` with --values y (SoftMeanY, c = 1/alpha: the denoiser's route
# now) and --values apart (SoftMean of the values as an array of their own:
# its route before), in two rounds of opposite order, medians of 10 (--reps)
# with the batch sizes of bench/gpu/all.sh. Rows go to $OUT/softmeany.jsonl
# (one JSON row a line, with round and values), the validate output to
# $OUT/validate.txt. SMOKE=1: tiny sizes for a software adapter.
set -u
here=$(dirname "$0")
. "$here/device-env.sh"
B=${BIN:-otplay}
OUT=${OUT:-/tmp/softmeany}
mkdir -p "$OUT"
DIMS=${DIMS:-2 4 8 16 64}
SIZES=${SIZES:-1e4 1e5}
REPS=${REPS:-10}
if [ "${SMOKE:-0}" = 1 ]; then SIZES="500 700"; REPS=2; fi
(nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || true) > "$OUT/nvidia-smi.txt" 2>&1
"$B" info > "$OUT/info.txt" 2>&1
start=$(date +%s)
timeout "${VALIDATE_S:-100}" "$B" validate --backend gpu > "$OUT/validate.txt" 2>&1
echo "validate rc=$? in $(( $(date +%s) - start )) s" >> "$OUT/validate.txt"
tail -2 "$OUT/validate.txt"
grep -c "^softmeany .* ok" "$OUT/validate.txt" | sed 's/^/softmeany checks ok: /'
batch() { # d n
  case "$1:$2" in
    2:1e4|2:500|2:700) echo 50 ;; 2:*) echo 10 ;;
    *:1e4|*:500|*:700) echo 20 ;; 64:*|128:*|192:*) echo 1 ;; *) echo 2 ;;
  esac
}
: > "$OUT/softmeany.jsonl"
for round in 1 2; do
  order="y apart"
  [ "$round" = 2 ] && order="apart y"
  for d in $DIMS; do
    for n in $SIZES; do
      for v in $order; do
        timeout 60 "$B" bench --backend gpu --kernel softmean --d "$d" --sizes "$n" --values "$v" \
          --batch "$(batch "$d" "$n")" --reps "$REPS" --json > "$OUT/row.json" 2> "$OUT/row.err" || { echo "d=$d n=$n $v: failed"; cat "$OUT/row.err"; continue; }
        python3 -c '
import json, sys
for r in json.load(open(sys.argv[1])):
    r["round"] = int(sys.argv[2]); print(json.dumps(r))
    sys.stderr.write("round %s d=%-3d n=%-6d %-5s %9.4f ms (min %9.4f)\n" % (sys.argv[2], r["d"], r["n"], r["values"], r["median_ms"], r["min_ms"]))
' "$OUT/row.json" "$round" >> "$OUT/softmeany.jsonl"
      done
    done
  done
done
rm -f "$OUT/row.json" "$OUT/row.err"
echo "total $(( $(date +%s) - start )) s"
