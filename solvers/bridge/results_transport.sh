#!/bin/sh
# Reproduces the --transport table of RESULTS.md: otplay bridge --mode sde
# from fresh Gaussian points (out of sample) to three toy sets with each
# transport at equal steps; quality of the end points against the target
# points, path energy, sampling time.
# Usage: solvers/bridge/results_transport.sh [otplay binary] [backend]
set -eu
otplay=${1:-otplay}
backend=${2:-cpu}
echo "| target | steps | transport | SW_2 at t=1 | S_eps at t=1 | path energy | sample ms |"
echo "|---|---|---|---|---|---|---|"
for data in moons:500 8gaussians:500 checkerboard:500; do
  for steps in 10 50; do
    for tr in drift momentum fisher; do
      "$otplay" bridge --mode sde --source gaussian:500:seed=1 --target "$data" --start gaussian:500:seed=7 \
        --n 500 --steps "$steps" --times 1 --transport "$tr" --seed 0 --backend "$backend" --json |
      "${PYTHON:-python3}" -c '
import json, sys
r = json.load(sys.stdin); q = r["quality_at_1"]
print("| %s | %s | %s | %.4f | %.4f | %.3f | %.0f |" % (sys.argv[1], sys.argv[2], sys.argv[3], q["sliced_w2"], q["sinkhorn_divergence"], r["path_energy"], r["sample_ms"]))
' "$data" "$steps" "$tr"
    done
  done
done
