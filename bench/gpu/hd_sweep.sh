#!/usr/bin/env bash
# bench/gpu/hd_sweep.sh: the high-dimensional kernel comparison of issue 14
# (softmin_hd2.wgsl / softmean_hd2.wgsl shapes against softmin_hd.wgsl /
# softmean_hd.wgsl and the per-pair kernels, then the PyTorch baselines and
# `otplay validate`), in one device call, sections in order of priority.
# Each section is one bench/gpu/run.sh; a section is skipped once the
# call has run BUDGET seconds (default 200), so a short call still returns
# the first ones. Output: $OUT/hd.jsonl (every otplay row, with
# "section"), $OUT/torch.jsonl, $OUT/validate.txt, $OUT/sweep.log.
#
#   SECTIONS="min64 min16 mean mid full validate torch" bash bench/gpu/hd_sweep.sh
#   SECTIONS="validate mid2 full2 torch groups" bash bench/gpu/hd_sweep.sh
#   SECTIONS=db bash bench/gpu/hd_sweep.sh    (next: measure the double buffering)
#   SECTIONS="v14min v14mean torch" TORCH_DIMS=16,32,64,128,192 bash bench/gpu/hd_sweep.sh
#   SECTIONS="v14mean2 v14min2 validate torch" TORCH_DIMS=16,32,64,128,192 bash bench/gpu/hd_sweep.sh
# SIZES5 (default "1e4 3e4") sets the sizes of the v14 sections (a
# lavapipe smoke test: SIZES5="256 384").
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp}
BUDGET=${BUDGET:-200}
SECTIONS=${SECTIONS:-min64 min16 mean mid full validate torch}
BIN=${BIN:-.devbin/otplay}
export BIN
: >"$OUT/hd.jsonl"
section() { # name, then env assignments for run.sh
  local name=$1
  shift
  if [ "$SECONDS" -ge "$BUDGET" ]; then
    echo "skipped $name at ${SECONDS}s" | tee -a "$OUT/sweep.log"
    return
  fi
  echo "section $name at ${SECONDS}s" | tee -a "$OUT/sweep.log"
  mkdir -p "/tmp/sec-$name"
  env OUT="/tmp/sec-$name" "$@" bash bench/gpu/run.sh >/dev/null 2>>"$OUT/sweep.log"
  S=$name python3 -c 'import json, os, sys
for l in sys.stdin:
    l = l.strip()
    if l.startswith("{"): print(json.dumps(dict(json.loads(l), section=os.environ["S"])))' \
    <"/tmp/sec-$name/otplay-bench.jsonl" >>"$OUT/hd.jsonl"
}
for s in $SECTIONS; do
  case $s in
    min64) section min64 DIMS=64 SIZES="1e4 3e4" KERNELS=softmin \
      VARIANTS="tiled tiled2-8x8 tiled2-8x8-pf tiled2-8x4 tiled2-8x4-pf tiled2-4x8 tiled2-4x4 tiled2-8x8-kc8 tiled2-8x8-kc32 tiled2-8x8-kc32-pf tiled2-8x8-g2048 tiled2-8x4-g2048" ;;
    min16) section min16 DIMS="16 192" SIZES="1e4 3e4" KERNELS=softmin \
      VARIANTS="tiled tiled2-8x8 tiled2-8x8-pf tiled2-8x4 tiled2-8x4-pf tiled2-8x8-kc32" ;;
    mean) section mean DIMS="16 64 192" SIZES="1e4 3e4" KERNELS=softmean \
      VARIANTS="tiled tiled2 tiled2-pf tiled2-kc8 tiled2-g2048" ;;
    mid) section mid DIMS="3 4 8" SIZES="1e4 3e4 1e5" \
      VARIANTS="per-pair tiled2-8x8 tiled2-8x4 tiled2-4x4" ;;
    full) section full DIMS="16 32 64 128 192" SIZES="1e4 3e4 1e5" VARIANTS="default tiled" ;;
    # The defaults against the per-pair kernels at d = 4, 8, and the
    # defaults alone at d = 16 to 192; then the split's target.
    mid2) section mid2 DIMS="4 8" SIZES="1e4 3e4 1e5" VARIANTS="default per-pair" ;;
    full2) section full2 DIMS="16 32 64 128 192" SIZES="1e4 3e4 1e5" VARIANTS="default" ;;
    groups) section groups DIMS="8 16 64 192" SIZES="1e4 3e4" VARIANTS="tiled2-g512" ;;
    # Every block shape, the double buffering and the unrolled k steps at
    # d = 16 to 192, one process a variant (run.sh ONEPROC=1).
    v14min) section v14min ONEPROC=1 DIMS="16 32 64 128 192" SIZES="${SIZES5:-1e4 3e4}" KERNELS=softmin \
      VARIANTS="default tiled2-8x8-db tiled2-8x8-u tiled2-8x8-db-u tiled2-16x8 tiled2-16x8-u tiled2-8x16 tiled2-8x4-pf-u" ;;
    v14mean) section v14mean ONEPROC=1 BATCH=10 DIMS="16 32 64 128 192" SIZES="${SIZES5:-1e4 3e4}" KERNELS=softmean \
      VARIANTS="default tiled2-u" ;;
    # The soft-mean's 8-row blocks (unrolled, and with loops), and the
    # soft-min's new defaults against the former 8 x 8 loop.
    v14mean2) section v14mean2 ONEPROC=1 BATCH=10 DIMS="16 32 64 128 192" SIZES="${SIZES5:-1e4 3e4}" KERNELS=softmean \
      VARIANTS="default tiled2-m8 tiled2-m8-l" ;;
    v14min2) section v14min2 ONEPROC=1 DIMS="16 32 64 128 192" SIZES="${SIZES5:-1e4 3e4}" KERNELS=softmin \
      VARIANTS="default tiled2-8x8-l" ;;
    # The column split's target at 1e4 (default 2048 workgroups).
    v14groups) section v14groups ONEPROC=1 DIMS="16 32 64 128 192" SIZES="$(echo ${SIZES5:-1e4} | cut -d" " -f1)" KERNELS=softmin \
      VARIANTS="tiled2-g1024 tiled2-g4096" ;;
    # Not yet run on a GPU: the soft-min's double-buffered staging.
    db) section db DIMS="8 16 64 192" SIZES="1e4 3e4 1e5" KERNELS=softmin VARIANTS="default tiled2-8x8-db tiled2-8x4-db" ;;
    validate)
      echo "section validate at ${SECONDS}s" | tee -a "$OUT/sweep.log"
      { echo "== default"; timeout "${VALIDATE_S:-90}" "$BIN" validate --backend gpu 2>&1 | tail -5
      } >"$OUT/validate.txt" ;;
    torch)
      echo "section torch at ${SECONDS}s" | tee -a "$OUT/sweep.log"
      timeout $((BUDGET + 30 - SECONDS > 10 ? BUDGET + 30 - SECONDS : 10)) \
        python3 bench/gpu/torch_highd.py "${TORCH_DIMS:-8,64,192}" "${TORCH_SIZES:-1e4,3e4}" >"$OUT/torch.jsonl" 2>>"$OUT/sweep.log" ;;
  esac
done
echo "done at ${SECONDS}s" | tee -a "$OUT/sweep.log"
