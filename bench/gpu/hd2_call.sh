#!/usr/bin/env bash
# bench/gpu/hd2_call.sh: issue 14's high-d split and exp experiments at
# d = 64 (branch hd2, 2026-12-06), side by side in one device call, with
# torch_highd.py at d = 64 in the same call. From the repository root:
#   BIN=path/to/otplay TORCH=path/to/torch_highd.py bash bench/gpu/hd2_call.sh
# Each row is `otplay bench --json` (one process a variant over the sizes,
# --batch 20, medians of 10; eps = 0.05 d / 2, bench's default) tagged
# with "variant":
#   default          the shipped shapes
#   g1               OTPLAY_HD_GROUPS=1: one column split, no partials and
#                    no combine (N / BM workgroups: the kernel's own rate)
#   mtK              OTPLAY_HD_MIN_TILES=K: at least K tiles a split
#   polyK            OTPLAY_HD_POLY=K: every K-th row's tile exps by exp2_fma
#   kc32, pf         32-coordinate chunks (48 KiB of workgroup memory with
#                    16 x 8), the register prefetch (OTPLAY_HD_KC, _PF)
#   8x8-mt1          the 8 x 8 block (OTPLAY_HD_RM=8), one tile a split
# then the defaults at 1e5 for d = 32, 64, 128 (--batch 1, 3 timings).
# SECTION=call2 (the second call): the soft-min's 32-coordinate chunks
# against 16 (kc16), and the soft-mean's split merge by
# softmean_combine_wide.wgsl (wide: OTPLAY_HD_MEAN_COMBINE=2) and its
# former 4 tiles a split (mt4), at d = 32, 64, 128; no PyTorch.
# For a dry run on lavapipe: SIZES=300 SIZES5=200 BATCH=1 REPS=1 NOTORCH=1.
set -u
. bench/gpu/device-env.sh
BIN=${BIN:-.devbin/otplay}
TORCH=${TORCH:-bench/gpu/torch_highd.py}
OUT=${OUT:-/tmp}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
"$BIN" info >"$OUT/hd2-info.txt" 2>&1 || true
row() { # variant kernel d sizes batch reps [VAR=value ...]
  local v=$1 k=$2 d=$3 n=$4 batch=$5 reps=$6
  shift 6
  env "$@" timeout 60 "$BIN" bench --backend gpu --sizes "$n" --d "$d" --kernel "$k" \
    --batch "$batch" --reps "$reps" --json 2>"$OUT/err.txt" |
    V=$v python3 -c 'import json, os, sys
for r in json.load(sys.stdin): print(json.dumps(dict(r, variant=os.environ["V"])), flush=True)' ||
    echo "{\"variant\": \"$v\", \"kernel\": \"$k\", \"d\": \"$d\", \"error\": \"$(tail -c 300 "$OUT/err.txt" | tr '"\n' "' ")\"}"
}
B=${BATCH:-20} R=${REPS:-10} S=${SIZES:-1e4,3e4} S5=${SIZES5:-1e5}
if [ "${SECTION:-call1}" = call2 ]; then
  {
    row default softmin 64 $S $B $R
    row kc16 softmin 64 $S $B $R OTPLAY_HD_KC=16
    row default softmean 32,64,128 $S $B $R
    row wide softmean 32,64,128 $S $B $R OTPLAY_HD_MEAN_COMBINE=2
    row mt4 softmean 32,64,128 $S $B $R OTPLAY_HD_MIN_TILES=4
    row mt4-wide softmean 64 $S $B $R OTPLAY_HD_MIN_TILES=4 OTPLAY_HD_MEAN_COMBINE=2
    row mt2-wide softmean 64 $S $B $R OTPLAY_HD_MIN_TILES=2 OTPLAY_HD_MEAN_COMBINE=2
    row default-again softmean 64 $S $B $R
    row default-again softmin 64 $S $B $R
  } | tee "$OUT/hd2-call2.jsonl"
  exit 0
fi
{
  row default softmin 64 $S $B $R
  row g1 softmin 64 $S $B $R OTPLAY_HD_GROUPS=1
  row mt1 softmin 64 $S $B $R OTPLAY_HD_MIN_TILES=1
  row mt3 softmin 64 $S $B $R OTPLAY_HD_MIN_TILES=3
  row poly2 softmin 64 $S $B $R OTPLAY_HD_POLY=2
  row poly4 softmin 64 $S $B $R OTPLAY_HD_POLY=4
  row poly2-mt1 softmin 64 $S $B $R OTPLAY_HD_POLY=2 OTPLAY_HD_MIN_TILES=1
  row kc32 softmin 64 $S $B $R OTPLAY_HD_KC=32
  row pf softmin 64 $S $B $R OTPLAY_HD_PF=1
  row 8x8-mt1 softmin 64 $S $B $R OTPLAY_HD_RM=8 OTPLAY_HD_MIN_TILES=1
  row default-again softmin 64 $S $B $R
  row default softmean 64 $S $B $R
  row g1 softmean 64 $S $B $R OTPLAY_HD_GROUPS=1
  row mt1 softmean 64 $S $B $R OTPLAY_HD_MIN_TILES=1
  row mt2 softmean 64 $S $B $R OTPLAY_HD_MIN_TILES=2
  row mt8 softmean 64 $S $B $R OTPLAY_HD_MIN_TILES=8
  row default-again softmean 64 $S $B $R
  row default-1e5 softmin 32,64,128 $S5 1 3
  row default-1e5 softmean 32,64,128 $S5 1 3
} | tee "$OUT/hd2-otplay.jsonl"
[ "${NOTORCH:-0}" = 1 ] || python3 "$TORCH" 64 1e4,3e4 | tee "$OUT/hd2-torch.jsonl"
