#!/bin/sh
# Reproduces the --mmd-steps table of RESULTS.md: quality against held-out
# data with the sampler's default time grid and with the MMD-adaptive grid,
# DDIM, 10 steps, 500 samples (equal NFE).
# Usage: solvers/bridge/results_mmdsteps.sh [otplay binary] [backend]
set -eu
otplay=${1:-otplay}
backend=${2:-cpu32}
echo "| data | model | SW_2 default grid | SW_2 MMD grid | S_eps default grid | S_eps MMD grid |"
echo "|---|---|---|---|---|---|"
for data in moons:1000 8gaussians:1000 checkerboard:1000 digits:1000; do
  for model in gmm empirical; do
    p=$("$otplay" sample --data "$data" --model "$model" --sampler ddim --steps 10 --n 500 --json --backend "$backend")
    c=$("$otplay" sample --data "$data" --model "$model" --sampler ddim --steps 10 --n 500 --json --backend "$backend" --mmd-steps)
    printf '%s\n%s\n' "$p" "$c" | "${PYTHON:-python3}" -c '
import json, sys
raw = sys.stdin.read(); dec = json.JSONDecoder(); objs = []; i = 0
while i < len(raw):
    if raw[i].isspace(): i += 1; continue
    o, i = dec.raw_decode(raw, i); objs.append(o)
q0, q1 = objs[0]["quality"], objs[1]["quality"]
print("| %s | %s | %.4f | %.4f | %.4f | %.4f |" % (sys.argv[1], sys.argv[2], q0["sliced_w2"], q1["sliced_w2"], q0["sinkhorn_divergence"], q1["sinkhorn_divergence"]))
' "$data" "$model"
  done
done
