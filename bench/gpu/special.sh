# bench/gpu/special.sh: the soft-min's and soft-mean's time with a special value in their inputs
# (otplay bench --special: none, inf-point, inf-potential, nan-potential, no-weight), whose rows
# the GPU computes again with the reference's untiled loops (compute/webgpu, exact.go), at
# N = M = 1e4 and 1e5, d = 2, 8, 64, --batch 1, with exact_rows.wgsl's column pass (the default,
# "new") and without (OTPLAY_EXACT_COLUMNS=0, "old": every redone row runs the full loop, and a
# split soft-min's merge redoes its rows inline); the plain d = 2 rows at 1e4 --batch 50 twice
# each, for the column pass's cost where nothing is special. The cheap rows first; every process under its own timeout and all under
# BUDGET seconds (a killed process's rows are lost; its line in log.txt says so). From the
# repository root on the device: BIN=path/to/otplay OUT=dir bash bench/gpu/special.sh
# (bench/gpu/device-env.sh beside it). Output: $OUT/special.jsonl (one otplay bench --json array
# a line, each row tagged with its variant) and $OUT/log.txt.
. "$(dirname "$0")/device-env.sh"
BIN=${BIN:-otplay}
OUT=${OUT:-/tmp/special}
BUDGET=${BUDGET:-95}
SIZE_SMALL=${SIZE_SMALL:-1e4}
SIZE_BIG=${SIZE_BIG:-1e5}
mkdir -p "$OUT"
START=$(date +%s)
nvidia-smi -L >"$OUT/device.txt" 2>&1 || true
# row VARIANT TIMEOUT ENV... -- BENCH-ARGS...
row() {
  local v=$1 t=$2; shift 2
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  local left=$((BUDGET - ($(date +%s) - START)))
  if [ "$left" -le 3 ]; then echo "skipped (budget): $v $*" >>"$OUT/log.txt"; return; fi
  [ "$t" -gt "$left" ] && t=$left
  local t0=$(date +%s.%N)
  timeout "$t" env "${envs[@]}" "$BIN" bench --backend gpu --json "$@" 2>>"$OUT/log.txt" | tr -d '\n' | sed "s/{/{\"variant\":\"$v\",/g" >>"$OUT/special.jsonl"
  local rc=${PIPESTATUS[0]}
  echo >>"$OUT/special.jsonl"
  echo "rc=$rc wall=$(awk -v a="$(date +%s.%N)" -v b="$t0" "BEGIN{print a-b}") s (timeout $t): $v $*" >>"$OUT/log.txt"
}
ALL=none,inf-point,inf-potential,nan-potential,no-weight
OLD=OTPLAY_EXACT_COLUMNS=0
row new-small 30 X=1 -- --sizes "$SIZE_SMALL" --d 2,8,64 --kernel softmin,softmean --special $ALL --reps 10 --batch 1
row old-small 30 $OLD -- --sizes "$SIZE_SMALL" --d 2,8,64 --kernel softmin,softmean --special $ALL --reps 10 --batch 1
row new-big 30 X=1 -- --sizes "$SIZE_BIG" --d 2,8,64 --kernel softmin,softmean --special $ALL --reps 10 --batch 1
for r in 1 2; do
  row new-plain-r$r 8 X=1 -- --sizes "$SIZE_SMALL" --d 2 --kernel softmin,softmean --batch 50
  row old-plain-r$r 8 $OLD -- --sizes "$SIZE_SMALL" --d 2 --kernel softmin,softmean --batch 50
done
row old-big-d2 12 $OLD -- --sizes "$SIZE_BIG" --d 2 --kernel softmin,softmean --special inf-potential,nan-potential,no-weight --reps 3 --batch 1
row old-big-d8 12 $OLD -- --sizes "$SIZE_BIG" --d 8 --kernel softmin,softmean --special inf-potential --reps 3 --batch 1
row old-big-d64-min 12 $OLD -- --sizes "$SIZE_BIG" --d 64 --kernel softmin --special inf-potential --reps 1 --batch 1
row old-big-d64-mean 12 $OLD -- --sizes "$SIZE_BIG" --d 64 --kernel softmean --special inf-potential --reps 1 --batch 1
echo "total $(($(date +%s) - START)) s" >>"$OUT/log.txt"
