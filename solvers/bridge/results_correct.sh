#!/bin/sh
# Reproduces the table of RESULTS.md ("otplay sample --correct"): quality
# against held-out data (a fresh draw of the same data set, another seed)
# with and without the Schrodinger-bridge correction, at equal NFE.
# Usage: solvers/bridge/results_correct.sh [otplay binary] [backend]
set -eu
otplay=${1:-otplay}
backend=${2:-cpu32}
echo "| data | model | sampler, steps | NFE | SW_2 plain | SW_2 corrected | S_eps plain | S_eps corrected | MMD plain | MMD corrected | time plain (ms) | time corrected (ms) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for data in moons:300 8gaussians:300 checkerboard:300 digits:300; do
  for model in gmm empirical; do
    for ss in ddim:16 dpmpp2m:8; do
      s=${ss%:*}; k=${ss#*:}
      p=$("$otplay" sample --data "$data" --model "$model" --sampler "$s" --steps "$k" --n 400 --json --backend "$backend")
      c=$("$otplay" sample --data "$data" --model "$model" --sampler "$s" --steps "$k" --n 400 --json --backend "$backend" --correct)
      printf '%s\n%s\n' "$p" "$c" | "${PYTHON:-python3}" -c '
import json, sys
raw = sys.stdin.read()
dec = json.JSONDecoder(); objs = []; i = 0
while i < len(raw):
    if raw[i].isspace(): i += 1; continue
    o, i = dec.raw_decode(raw, i); objs.append(o)
p, c = objs
q0, q1 = p["quality"], c["quality"]
print("| %s | %s | %s, %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.0f | %.0f |" % (sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], p["nfe"],
  q0["sliced_w2"], q1["sliced_w2"], q0["sinkhorn_divergence"], q1["sinkhorn_divergence"], q0["mmd"], q1["mmd"], p["time_ms"], c["time_ms"]))
' "$data" "$model" "$s" "$k"
    done
  done
done
