#!/usr/bin/env bash
# bench/results/run.sh: regenerates the measured tables of issue 12 (the
# RESULTS.md files of solvers/diffusion, solvers/bridge and
# solvers/truncate) on the CPU and the GPU in one device call.
#
# Here (the build machine), from the repository root:
#   bash bench/results/run.sh build
# builds the test binaries and otplay (stripped, xz-compressed) into
# .devbin/. Then one device call, carrying .gl (the Vulkan loader .debs,
# see /work/shared/device/README.md) and .devbin:
#   bash bench/results/run.sh run
# The device tool sends the checkout its session started in: from another
# worktree, copy bench/results, solvers/bridge/results_*.sh,
# solvers/diffusion/RESULTS.md, .devbin and .gl into one ignored folder of
# that checkout, carry it and run the script from inside it.
# It writes under $OUT: diffusion-RESULTS.md (the generated CPU and GPU
# blocks merged into the committed file), tables.tgz (every other table,
# each process's log) and run.log. On the way:
#   1. TestResultsNets trains the networks once on the float64 CPU backend
#      (2 threads each, all at once), so every section and both backends
#      sample the same weights;
#   2. TestResultsTable runs one process per section on the CPU
#      (CPU_THREADS threads each: cpu blocks) and the same sections on the
#      GPU in sequential chains (gpu blocks), all writing one RESULTS.md
#      (a lock file serialises them); the exact-model sections (EARLY)
#      start with step 1, the others (LATE) after it;
#   3. beside them: the presets table (bench/results/presets.sh) on cpu
#      and gpu, the bridge scripts (solvers/bridge/results_*.sh) on gpu and
#      cpu, the truncation table on gpu and solvers/ot's Richardson table
#      (TestResultsRichardson) and solvers/kernel's Hilbert divergence
#      table (TestResultsHilbert) on cpu and gpu.
# Every step runs under `timeout` so that all of it ends by LIMIT seconds
# (default 540) after the start and what finished comes back.
# Sizes: N samples per row (500), TRAIN_STEPS (4000, DefaultTrainSteps),
# EARLY and LATE (TestResultsTable's sections; hierarchical is
# results_hier_test.go's, where that file is built in), EXTRA (presets bridge truncate
# richardson hilbert).
# BACKENDS (cpu gpu) limits the sections to some backends. The GPU
# tables the 2026-12-06 call did not finish (its training took 388 s):
#   BACKENDS=gpu EARLY= EXTRA= TRAIN_STEPS=2000 GPU_CHAINS=3 bash bench/results/run.sh run
# with .devbin/nets (TestResultsNets, OTPLAY_RESULTS_TRAIN_STEPS=2000) carried.
# To try it here at tiny sizes (lavapipe for the GPU):
#   OUT=/tmp/rr N=20 TRAIN_STEPS=20 LIMIT=900 EARLY=schedule LATE=threshold EXTRA=presets PRESETS=draft bash bench/results/run.sh run
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
if [ "${1:-run}" = build ]; then
  set -e
  export GOEXPERIMENT=simd
  mkdir -p .devbin
  go test -c -ldflags="-s -w" -o .devbin/diffusion.test ./solvers/diffusion
  go test -c -ldflags="-s -w" -o .devbin/ot.test ./solvers/ot
  go test -c -ldflags="-s -w" -o .devbin/kernel.test ./solvers/kernel
  go build -ldflags="-s -w" -o .devbin/otplay ./cmd/otplay
  rm -f .devbin/*.xz
  xz -T2 -6 .devbin/diffusion.test .devbin/ot.test .devbin/kernel.test .devbin/otplay
  ls -la .devbin
  exit 0
fi

START=$(date +%s)
LIMIT=${LIMIT:-540}
N=${N:-500}
TRAIN_STEPS=${TRAIN_STEPS:-4000}
CPU_THREADS=${CPU_THREADS:-2}
GPU_CHAINS=${GPU_CHAINS:-2}
EARLY=${EARLY-schedule rff}
LATE=${LATE-corrector threshold churn scorescale guidance otpairing hierarchical}
EXTRA=${EXTRA-presets bridge truncate richardson hilbert}
BACKENDS=${BACKENDS-cpu gpu}
on() { case " $BACKENDS " in *" $1 "*) return 0 ;; esac; return 1; }
OUT=${OUT:-/tmp/results-out}
W=${WORK:-/tmp/results-work}
mkdir -p "$OUT" "$W/logs" "$W/tables"
left() { local l=$(( LIMIT - ($(date +%s) - START) )); echo $(( l > 1 ? l : 1 )); } # never 0: timeout 0 means no limit
log() { echo "[$(( $(date +%s) - START ))s] $*" | tee -a "$W/logs/run.log"; }

# The Vulkan loader and the NVIDIA driver files where the machine lacks them.
if [ -d .gl ] && ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
  export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}
fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg}
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
BIN=$W/bin
mkdir -p "$BIN"
for f in diffusion.test ot.test kernel.test otplay; do
  if [ -f ".devbin/$f.xz" ]; then xz -dc ".devbin/$f.xz" >"$BIN/$f"; else cp ".devbin/$f" "$BIN/$f"; fi
  chmod +x "$BIN/$f"
done
{
  echo "date: $(date -u +%FT%TZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) threads"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'
  "$BIN/otplay" info 2>&1 | head -n 12
} >"$W/tables/machine.txt"
log "machine: $(tr '\n' ';' <"$W/tables/machine.txt" | cut -c1-400)"

RESULTS=$W/diffusion-RESULTS.md
cp solvers/diffusion/RESULTS.md "$RESULTS"
export OTPLAY_RESULTS=$RESULTS OTPLAY_RESULTS_N=$N OTPLAY_RESULTS_TRAIN_STEPS=$TRAIN_STEPS

# 3. The CLI tables, beside the rest (each under its own timeout).
extra() {
  local name=$1; shift
  timeout "$(left)" "$@" >"$W/tables/$name.md" 2>"$W/logs/$name.err"
  log "$name: exit $? ($(grep -c '^| ' "$W/tables/$name.md") table lines)"
}
pids=()
for x in $EXTRA; do
  case $x in
    presets)
      extra presets-gpu bench/results/presets.sh "$BIN/otplay" gpu & pids+=($!)
      GOMAXPROCS=2 extra presets-cpu bench/results/presets.sh "$BIN/otplay" cpu & pids+=($!) ;;
    bridge)
      ( for s in correct mmdsteps transport multiscale; do
          extra "bridge-$s-gpu" sh "solvers/bridge/results_$s.sh" "$BIN/otplay" gpu
        done ) & pids+=($!)
      ( for s in correct mmdsteps; do
          GOMAXPROCS=2 extra "bridge-$s-cpu" sh "solvers/bridge/results_$s.sh" "$BIN/otplay" cpu32
        done ) & pids+=($!) ;;
    richardson)
      for be in cpu gpu; do
        OTPLAY_RESULTS_BACKEND=$be OTPLAY_RESULTS_OT=$W/tables/richardson-$be.md OTPLAY_REQUIRE_GPU=1 GOMAXPROCS=2 \
          timeout "$(left)" "$BIN/ot.test" -test.run '^TestResultsRichardson$' -test.v >"$W/logs/richardson-$be.log" 2>&1
        log "richardson-$be: exit $?"
      done & pids+=($!) ;;
    hilbert)
      for be in cpu gpu; do
        OTPLAY_RESULTS_BACKEND=$be OTPLAY_RESULTS_KERNEL=$W/tables/hilbert-$be.md OTPLAY_REQUIRE_GPU=1 GOMAXPROCS=2 \
          timeout "$(left)" "$BIN/kernel.test" -test.run '^TestResultsHilbert$' -test.v >"$W/logs/hilbert-$be.log" 2>&1
        log "hilbert-$be: exit $?"
      done & pids+=($!) ;;
    truncate)
      ( timeout "$(left)" "$BIN/otplay" truncate --backend gpu --data moons,8gaussians,checkerboard,swissroll \
          --ttrunc 1000,200,50,10 --samplers ddpm:full,dpmpp2m:10 --n 500 --train 1000 --held 1000 --fit-samples 1000 \
          --out "$W/tables/truncate-gpu" >"$W/logs/truncate-gpu.out" 2>"$W/logs/truncate-gpu.err"
        log "truncate-gpu: exit $?" ) & pids+=($!) ;;
  esac
done

# 2. The sections (function section): one process per section and
# backend. The exact-model sections (EARLY) start at once, on both
# backends; the others (LATE) once the networks exist: on the CPU all at
# once (CPU_THREADS threads each), on the GPU in GPU_CHAINS sequential chains.
section() { # backend name
  local threads=$CPU_THREADS
  case $2 in corrector) threads=$((CPU_THREADS * 2)) ;; threshold) threads=$((CPU_THREADS + 1)) ;; esac # the longest
  OTPLAY_RESULTS_BACKEND=$1 OTPLAY_RESULTS_SECTIONS=$2 OTPLAY_RESULTS_THREADS=$threads OTPLAY_REQUIRE_GPU=1 \
    timeout "$(left)" "$BIN/diffusion.test" -test.run '^TestResultsTable$' -test.v -test.timeout 0 >"$W/logs/$1-$2.log" 2>&1
  log "$1 $2: exit $?"
}
if on cpu; then
  for s in $EARLY; do
    section cpu "$s" & pids+=($!)
  done
fi
if on gpu; then
  ( for s in $EARLY; do section gpu "$s"; done ) & pids+=($!)
fi

# 1. The networks, once, on the CPU (one thread each, all at once), unless
# .devbin/nets holds them (trained beforehand by TestResultsNets with the
# same TRAIN_STEPS: on the H100 host, busy with everything else, the
# training of 2000 steps took 388 s of a 520-s call).
NETS=$W/nets
if [ "$(ls .devbin/nets/*.json 2>/dev/null | wc -l)" -ge 12 ]; then
  cp -r .devbin/nets "$NETS"
  log "networks: carried in .devbin/nets"
else
  log "training the networks ($TRAIN_STEPS steps)"
  OTPLAY_RESULTS_TRAIN_NETS=$NETS OTPLAY_RESULTS_THREADS=1 timeout "$(left)" "$BIN/diffusion.test" -test.run '^TestResultsNets$' -test.v -test.timeout 0 >"$W/logs/nets.log" 2>&1
  log "networks: exit $? ($(ls "$NETS" 2>/dev/null | grep -c json) files)"
fi
export OTPLAY_RESULTS_NETS=$NETS
if on cpu; then
  for s in $LATE; do
    section cpu "$s" & pids+=($!)
  done
fi
i=0
declare -a chain
for s in $LATE; do chain[$((i % GPU_CHAINS))]+=" $s"; i=$((i + 1)); done
if on gpu; then
  for c in "${chain[@]}"; do
    ( for s in $c; do section gpu "$s"; done ) & pids+=($!)
  done
fi
wait "${pids[@]}"
log "all done"
cp "$RESULTS" "$OUT/diffusion-RESULTS.md"
cp "$W/logs/run.log" "$OUT/run.log"
tar -czf "$OUT/tables.tgz" -C "$W" tables logs nets
ls -la "$OUT"
