# Exact OT side by side: POT 0.8.2's ot.emd and `otplay solve --method
# exact` (network simplex on the host) on the same weighted 2-D clouds,
# in one run. Usage (Debian's python3 has numpy and POT):
#   go build -o /tmp/otplay ./cmd/otplay
#   /usr/bin/python3 bench/pot/emd_pot.py /tmp/otplay 1000 2000 5000
# Prints, per n = m: POT's and otplay's wall time (otplay's includes
# reading the .npy files and building the cost matrix; POT's includes
# ot.dist), both costs and their relative difference, and the ratio.
import json
import subprocess
import sys
import tempfile
import time

import numpy as np
import ot

binary = sys.argv[1]
sizes = [int(s) for s in sys.argv[2:]] or [1000, 2000]
rng = np.random.default_rng(5)
print("n=m    POT s   otplay s  ratio  cost POT            rel. diff  pivots")
for n in sizes:
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + [1.0, 0.0]
    a, b = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, n)
    a, b = a / a.sum(), b / b.sum()
    with tempfile.TemporaryDirectory() as d:
        for name, v in dict(x=x, y=y, a=a, b=b).items():
            np.save(f"{d}/{name}.npy", v)
        t0 = time.perf_counter()
        G, log = ot.emd(a, b, ot.dist(x, y), numItermax=10**9, log=True)
        t_pot = time.perf_counter() - t0
        del G
        t0 = time.perf_counter()
        out = subprocess.run([binary, "solve", "--method", "exact", "--max-pivots", str(10**9), "--json",
                              "--x", f"{d}/x.npy", "--y", f"{d}/y.npy", "--a", f"{d}/a.npy", "--b", f"{d}/b.npy"],
                             check=True, capture_output=True, text=True).stdout
        t_go = time.perf_counter() - t0
    r = json.loads(out)
    rel = abs(r["cost"] - log["cost"]) / log["cost"]
    print(f"{n:<6} {t_pot:7.2f}  {t_go:8.2f}  {t_go / t_pot:5.2f}  {log['cost']:.15g}  {rel:.1e}    {r['iterations']}", flush=True)
