"""Times POT's sliced_wasserstein_distance at the sizes of the Go benchmark
BenchmarkDistance (solvers/sliced/bench_test.go): n = m = 1000 and 4000,
d = 2 and d = 64, 200 projections, uniform weights.

Run: /usr/bin/python3 solvers/sliced/bench/sliced_pot.py"""
import time
import numpy as np
import ot

rng = np.random.RandomState(0)
for d in (2, 64):
    for n in (1000, 4000):
        X = rng.randn(n, d)
        Y = rng.randn(n, d) + 1
        ot.sliced_wasserstein_distance(X, Y, n_projections=200, seed=0)  # warm up
        reps = 5
        t0 = time.perf_counter()
        for r in range(reps):
            ot.sliced_wasserstein_distance(X, Y, n_projections=200, seed=r)
        dt = (time.perf_counter() - t0) / reps
        print(f"POT sliced_wasserstein_distance d={d} n={n} L=200: {dt * 1e3:.1f} ms")
