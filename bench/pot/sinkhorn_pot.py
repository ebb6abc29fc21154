"""Time POT's log-domain Sinkhorn per iteration, to compare with
`go test -bench SinkhornIteration ./solvers/ot/` (same sizes, same eps,
same kind of data: 2-D standard normal clouds, the second shifted by 1;
cost |x - y|^2 as ot.dist computes it).

Usage: /usr/bin/python3 bench/pot/sinkhorn_pot.py [--sizes 1000,4000] [--iters 20] [--eps 0.05]

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
    ap.add_argument("--eps", type=float, default=0.05)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    for n in [int(float(s)) for s in args.sizes.split(",")]:
        X = rng.normal(size=(n, 2))
        Y = rng.normal(size=(n, 2)) + 1.0
        M = ot.dist(X, Y)
        a = np.ones(n) / n
        one = min(time_run(a, a, M, args.eps, 1) for _ in range(2))
        full = time_run(a, a, M, args.eps, args.iters)
        per = (full - one) / (args.iters - 1)
        print(json.dumps(dict(library="POT " + ot.__version__, method="sinkhorn_log", n=n, eps=args.eps,
                              iters=args.iters, ms_per_iter=per * 1e3)))


if __name__ == "__main__":
    main()
