#!/bin/bash
# The "Batch OT sampling" table of solvers/diffusion/RESULTS.md: otplay sample
# with and without --batch-ot sliced|full (default target: a held-out draw of
# --data pushed to t0 = 1), the exact model, 500 samples, on $BACKEND (default
# the float64 cpu; gpu on the device machine, with PY=python3 there), at equal
# NFE, seeds $SEEDS (default 0 1 2 3 4).
# usage: bash bench/results/batchot.sh BIN > rows.tsv; bash bench/results/batchot.sh --table rows.tsv
set -euo pipefail
if [ "${1:-}" = --table ]; then
  exec /usr/bin/python3 - "$2" <<'PY'
import sys, collections, statistics as st
g = collections.OrderedDict()
for l in open(sys.argv[1]):
    data, smp, steps, seed, ot, nfe, ms, otms, sw, mmd, sk = l.split('\t')[:11]
    g.setdefault((data, smp, steps), {}).setdefault(ot, []).append((int(nfe), float(ms), float(otms), float(sw), float(mmd), float(sk)))
print("| data | sampler, steps | NFE | sliced W2 plain (sd over seeds) | sliced - plain | full - plain | seeds better: sliced, full | Sinkhorn div. plain / sliced / full | ms plain; move sliced / full |")
print("|---|---|---|---|---|---|---|---|---|")
def diff(a, b):
    ds = [y[3] - x[3] for x, y in zip(a, b)]
    return "%+.4f ± %.4f" % (st.mean(ds), st.stdev(ds) / len(ds) ** 0.5)
for (data, smp, steps), d in g.items():
    p, s, f = d['none'], d['sliced'], d['full']
    better = lambda v: sum(1 for a, b in zip(p, v) if b[3] < a[3])
    m = lambda v, i: st.mean(x[i] for x in v)
    print(f"| {data} | {smp} {steps} | {p[0][0]} | {m(p,3):.4f} ({st.stdev(x[3] for x in p):.4f}) | {diff(p, s)} | {diff(p, f)} | "
          f"{better(s)}/{len(p)}, {better(f)}/{len(p)} | {m(p,5):.4g} / {m(s,5):.4g} / {m(f,5):.4g} | {m(p,1):.0f}; {m(s,2):.0f} / {m(f,2):.0f} |")
PY
fi
BIN=$1
for data in 8gaussians:2000 moons:2000 checkerboard:2000 digits; do
  for cfg in "dpmpp2m 5" "dpmpp2m 10" "ddpm 25"; do
    set -- $cfg
    for seed in ${SEEDS:-0 1 2 3 4}; do
      for ot in none sliced full; do
        extra=""; [ $ot != none ] && extra="--batch-ot $ot"
        "$BIN" sample --data $data --model empirical --sampler $1 --steps $2 --n 500 --seed $seed --backend ${BACKEND:-cpu} --json $extra 2>/dev/null |
          ${PY:-/usr/bin/python3} -c "import json,sys; r=json.load(sys.stdin); q=r['quality']; print('\t'.join(map(str,['$data','$1',$2,$seed,'$ot',r['nfe'],r['time_ms'],r.get('batch_ot_ms',0),q['sliced_w2'],q['mmd'],q['sinkhorn_divergence'],r.get('batch_ot_sinkhorn_iterations',0),r.get('batch_ot_marginal_error',0)])))"
      done
    done
  done
done
