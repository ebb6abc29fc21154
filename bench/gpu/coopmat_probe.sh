#!/usr/bin/env bash
# bench/gpu/coopmat_probe.sh: can WGSL reach this GPU's tensor cores?
# Prints (and writes to $OUT/coopmat.txt) the cooperative-matrix
# configurations the Vulkan driver lists (coopmat_probe.c) and whether
# wgpu-native v29 offers its experimental cooperative-matrix feature on the
# adapter (bench/gpu/wgprobe, PROBE_COOPMAT=1). Issue 14's evidence for the
# rows that need tensor cores; see the README's speed section.
#
# Build here, run on the device from the repository root (carry .gl and
# .devbin):
#   cc -O2 -o .devbin/coopmat_probe bench/gpu/coopmat_probe.c -lvulkan
#   (cd bench/gpu/wgprobe && GOEXPERIMENT=simd go build -o ../../../.devbin/wgprobe.bin .)
#   bash bench/gpu/coopmat_probe.sh
set -u
. bench/gpu/device-env.sh
OUT=${OUT:-/tmp/coopmat}
mkdir -p "$OUT"
{
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null
  .devbin/coopmat_probe
  PROBE_COOPMAT=1 .devbin/wgprobe.bin 2>&1 | grep -v XDG_RUNTIME_DIR | cut -c1-600
} | tee "$OUT/coopmat.txt"
