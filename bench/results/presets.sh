#!/bin/sh
# bench/results/presets.sh: quality and time of each --preset of otplay
# sample on three toy sets and the digits, one backend; prints a Markdown
# table (solvers/diffusion/RESULTS.md, "Presets").
# Usage: bench/results/presets.sh [otplay binary] [backend: cpu|cpu32|gpu]
# Each run is `otplay sample --data SET --preset P --backend B --json`: the
# preset's own sampler, steps, corrector and batch (--n) for this backend;
# quality against a fresh draw of the data (another seed). An explicit
# --backend overrides a preset's own (repro's cpu): the backend column says where it ran.
set -eu
otplay=${1:-otplay}
backend=${2:-gpu}
py=${PYTHON:-python3}
echo "| data | preset | sampler, steps, corrector | n | NFE | ms | sliced W2 | MMD | Sinkhorn | backend |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for data in 8gaussians:2000 moons:2000 checkerboard:2000 digits; do
  for preset in ${PRESETS:-draft balanced ultra fast repro}; do
    err=${TMPDIR:-/tmp}/presets.$$.err
    if ! r=$("$otplay" sample --data "$data" --preset "$preset" --backend "$backend" --json 2>"$err"); then
      echo "| $data | $preset | failed: $(tail -n 1 "$err" | tr '|\n' '/ ') | | | | | | | |"
      continue
    fi
    echo "$r" | "$py" -c '
import json, sys
r = json.load(sys.stdin); q = r.get("quality") or {}
def f(k):
    v = q.get(k)
    return "n/a" if v is None else "%.4g" % v
c = r.get("corrector") or "none"
print("| %s | %s | %s %d, %s | %d | %d | %.0f | %s | %s | %s | %s |" % (sys.argv[1], sys.argv[2], r["sampler"], r["steps"], c, r["n"], r["nfe"], r["time_ms"],
  f("sliced_w2"), f("mmd"), f("sinkhorn_divergence"), r["backend"]))
' "$data" "$preset"
  done
done
