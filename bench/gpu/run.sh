#!/usr/bin/env bash
# bench/gpu/run.sh: otplay's soft-min and soft-mean on the GPU, the tiled
# high-dimensional kernels (softmin_hd.wgsl, softmean_hd.wgsl) against the
# per-pair kernels side by side, and optionally the PyTorch baselines, in
# one device call.
#
# Here (build machine):
#   GOEXPERIMENT=simd go build -ldflags="-s -w" -o .devbin/otplay ./cmd/otplay
#   .gl/ holds the Vulkan loader .debs (see /work/shared/device/README.md)
# On the device, from the repository root (carry .gl and .devbin):
#   bash bench/gpu/run.sh [torch]
# Environment: DIMS (default 2 3 8 16 32 64 128 192), SIZES (1e4 3e4 1e5),
# KERNELS (softmin,softmean), VARIANTS (tiled tiled-rb8 per-pair). Each
# otplay row is `otplay bench --json` with "variant": "default" (the
# shipped choice per d), "tiled" (OTPLAY_SOFTMIN_HD_MIN=1 and
# OTPLAY_SOFTMEAN_HD_MIN=1: softmin_hd.wgsl with its default 8 x 8
# register block and softmean_hd.wgsl at every d), "tiled2[-RMxRN][-kcK][-u|-l][-mR]
# [-pf|-db][-gG]" (softmin_hd2.wgsl / softmean_hd2.wgsl at every d, with an
# RM x RN block, K-coordinate chunks, the register prefetch or the double
# buffering (OTPLAY_HD_PF=1 or 2), G target workgroups, -u the unrolled
# k steps (OTPLAY_HD_UNROLL=1), -l the loops (OTPLAY_HD_UNROLL=0), -mR R
# rows an invocation of the soft-mean (OTPLAY_HD_MEAN_RM):
# OTPLAY_HD_RM/RN/KC/PF/GROUPS/UNROLL/MEAN_RM; unset parts keep the
# defaults), "tiled-rbK" (the soft-min alone with a K x K block) or "per-pair"
# (both 0: softmin_small.wgsl / softmean_small.wgsl for d <= 3,
# softmin.wgsl / softmean.wgsl above); every variant but "default" turns
# the d = 4 to 16 kernels (pairs_mid.wgsl) off (OTPLAY_SOFTMIN_MID_MAX=0,
# OTPLAY_SOFTMEAN_MID_MAX=0); eps = 0.05 d / 2; the soft-mean averages
# V = Y (dv = d).
# ONEPROC=1 times each variant in one process over all DIMS and SIZES
# (`otplay bench --d 16,64 --sizes 1e4,3e4`, its default eps = 0.05 d / 2,
# --batch $BATCH, default 20): no process start or device open per row.
# The tiled against per-pair soft-mean comparison (issue 14):
#   DIMS="8 16 32 64 128" SIZES="1e4 3e4" KERNELS=softmean VARIANTS="tiled per-pair" bash bench/gpu/run.sh
set -u
cd "$(dirname "$0")/../.."
. bench/gpu/device-env.sh
BIN=${BIN:-.devbin/otplay}
DIMS=${DIMS:-2 3 8 16 32 64 128 192}
SIZES=${SIZES:-1e4 3e4 1e5}
KERNELS=${KERNELS:-softmin,softmean}
VARIANTS=${VARIANTS:-tiled tiled-rb8 per-pair}
OUT=${OUT:-/tmp}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
DLOOP=$DIMS NLOOP=$SIZES
if [ "${ONEPROC:-0}" = 1 ]; then DLOOP=$(echo $DIMS | tr ' ' ,) NLOOP=$(echo $SIZES | tr ' ' ,); fi
for d in $DLOOP; do
  epsflag="--eps $(awk "BEGIN{print 0.05*$d/2}")"
  for n in $NLOOP; do
    # Fewer calls per timing where one call takes long (N = 1e5, high d).
    batch=20 reps=10
    if [ "$n" = 1e5 ]; then batch=2 reps=5; fi
    if [ "$n" = 1e5 ] && [ "$d" -ge 64 ]; then batch=1 reps=3; fi
    if [ "${ONEPROC:-0}" = 1 ]; then epsflag= batch=${BATCH:-20} reps=10; fi
    for variant in $VARIANTS; do
      hd=1 rb=0 ks=$KERNELS kern=1 rm= rn= kc= pf= groups= unroll= meanrm= mid=0
      case $variant in
        default) hd= kern= mid= ;;
        per-pair) hd=0 ;;
        tiled-rb*)
          rb=${variant#tiled-rb} ks=softmin
          case ",$KERNELS," in *,softmin,*) ;; *) continue ;; esac ;;
        tiled2*)
          # tiled2[-RMxRN][-kcK][-pf|-db][-gG][-u|-l][-mR]: softmin_hd2.wgsl / softmean_hd2.wgsl
          kern=2
          for part in $(echo "${variant#tiled2}" | tr - ' '); do
            case $part in
              *x*) rm=${part%x*} rn=${part#*x} ;;
              kc*) kc=${part#kc} ;;
              pf) pf=1 ;;
              db) pf=2 ;;
              g*) groups=${part#g} ;;
              u) unroll=1 ;;
              l) unroll=0 ;;
              m*) meanrm=${part#m} ;;
            esac
          done ;;
      esac
      OTPLAY_SOFTMIN_HD_KERNEL=$kern OTPLAY_SOFTMEAN_HD_KERNEL=$kern OTPLAY_HD_RM=$rm OTPLAY_HD_RN=$rn OTPLAY_HD_KC=$kc OTPLAY_HD_PF=$pf OTPLAY_HD_GROUPS=$groups OTPLAY_HD_UNROLL=$unroll OTPLAY_HD_MEAN_RM=$meanrm \
      OTPLAY_SOFTMIN_HD_MIN=$hd OTPLAY_SOFTMEAN_HD_MIN=$hd OTPLAY_SOFTMIN_HD_RB=$rb \
      OTPLAY_SOFTMIN_MID_MAX=$mid OTPLAY_SOFTMEAN_MID_MAX=$mid timeout 120 "$BIN" bench --backend gpu --sizes "$n" --d "$d" $epsflag \
        --kernel "$ks" --batch $batch --reps $reps --json 2>"$OUT/err.txt" |
        V=$variant python3 -c 'import json, os, sys
for r in json.load(sys.stdin): print(json.dumps(dict(r, variant=os.environ["V"])), flush=True)' ||
        echo "{\"variant\": \"$variant\", \"d\": \"$d\", \"n\": \"$n\", \"error\": \"$(tail -c 300 "$OUT/err.txt" | tr '"\n' "' ")\"}"
    done
  done
done | tee "$OUT/otplay-bench.jsonl"
if [ "${1:-}" = torch ]; then
  python3 bench/gpu/torch_highd.py "$(echo $DIMS | tr ' ' ,)" "$(echo $SIZES | tr ' ' ,)" | tee "$OUT/torch.jsonl"
fi
