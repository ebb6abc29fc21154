"""Time POT's log-domain Sinkhorn per iteration, to compare with
`go test -bench SinkhornIteration ./solvers/ot/`, `go test -bench
SinkhornIterationCPU ./compute/` and `otplay bench --kernel sinkhorn --data
normal` (same sizes, same eps, same kind of data: standard normal clouds
in dimension d, the second shifted by 1; cost |x - y|^2 as ot.dist
computes it; eps 0.05 d/2 unless --eps is given).

Usage: /usr/bin/python3 bench/pot/sinkhorn_pot.py [--sizes 1000,4000] [--d 2,64] [--iters 20] [--eps 0.05]

POT's sinkhorn_log forms the dense cost M (n x n) once, then each iteration
does two logsumexp reductions over n x n; stopThr=0 makes it run exactly
numItermax iterations (it checks the error every 10). The cost of ot.dist
is excluded; the time per iteration is (total - one-iteration run) /
(iters - 1), which removes setup. Prints one JSON line per size.
"""
import argparse
import json
import time

import numpy as np
import ot


def time_run(a, b, M, eps, iters):
    t0 = time.perf_counter()
    ot.sinkhorn(a, b, M, reg=eps, method="sinkhorn_log", numItermax=iters, stopThr=0.0, warn=False)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,4000")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--d", default="2")
    ap.add_argument("--eps", type=float, default=0.0, help="0: 0.05 d/2")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    for d in [int(s) for s in args.d.split(",")]:
        eps = args.eps or 0.05 * d / 2
        for n in [int(float(s)) for s in args.sizes.split(",")]:
            X = rng.normal(size=(n, d))
            Y = rng.normal(size=(n, d)) + 1.0
            M = ot.dist(X, Y)
            a = np.ones(n) / n
            one = min(time_run(a, a, M, eps, 1) for _ in range(2))
            c0 = time.process_time()
            full = time_run(a, a, M, eps, args.iters)
            cpu = time.process_time() - c0
            per = (full - one) / (args.iters - 1)
            print(json.dumps(dict(library="POT " + ot.__version__, method="sinkhorn_log", n=n, d=d, eps=eps,
                                  iters=args.iters, ms_per_iter=per * 1e3, cpu_ms_per_iter=cpu / args.iters * 1e3)),
                  flush=True)


if __name__ == "__main__":
    main()
