#!/bin/sh
# Reproduces the --multiscale table of RESULTS.md: the static bridge
# gaussian:2000 -> target solved single-scale (--multiscale 0) and
# coarse-to-fine from about K points per cloud; iterations, solve time,
# cost and the static samples' SW_2 / S_eps at t = 1 against the target.
# Usage: solvers/bridge/results_multiscale.sh [otplay binary] [backend]
set -eu
otplay=${1:-otplay}
backend=${2:-cpu}
echo "| target | multiscale K | coarse iterations | fine iterations | solve ms | cost | SW_2 at t=1 | S_eps at t=1 |"
echo "|---|---|---|---|---|---|---|---|"
for data in moons:2000 8gaussians:2000 checkerboard:2000; do
  for k in 0 100 400; do
    "$otplay" bridge --source gaussian:2000:seed=1 --target "$data" --n 1000 --times 1 --multiscale "$k" \
      --backend "$backend" --json |
    "${PYTHON:-python3}" -c '
import json, sys
r = json.load(sys.stdin); q = r["quality_at_1"]
print("| %s | %s | %d | %d | %.0f | %.6f | %.4f | %.4f |" % (sys.argv[1], sys.argv[2], r.get("coarse_iterations", 0), r["sinkhorn_iterations"], r["solve_ms"], r["transport_cost"], q["sliced_w2"], q["sinkhorn_divergence"]))
' "$data" "$k"
  done
done
