"""Reference numbers for solvers/sliced, from POT 0.8.2 (run once with
/usr/bin/python3; the outputs are committed beside this script).

Writes the point sets, weights and directions as .npy and POT's results
as ref.json. POT's sliced_wasserstein_distance with explicit `projections`
divides by its `n_projections` argument, so it is passed too."""
import json
import numpy as np
import ot

rng = np.random.RandomState(42)
out = {}

# Equal sizes, uniform weights, 3-D.
X = rng.randn(50, 3)
Y = rng.randn(50, 3) * 0.7 + np.array([1.0, -0.5, 0.25])
L = 20
P = rng.randn(3, L)
P /= np.linalg.norm(P, axis=0, keepdims=True)
np.save("x_eq.npy", X)
np.save("y_eq.npy", Y)
np.save("dirs3.npy", np.ascontiguousarray(P.T))  # L x d
sw, log = ot.sliced_wasserstein_distance(X, Y, projections=P, n_projections=L, p=2, log=True)
out["eq"] = {"sw": float(sw), "per_direction": [float(v) for v in log["projected_emds"]]}

# Unequal sizes (30 vs 45), uniform weights.
X2 = rng.randn(30, 3)
Y2 = rng.rand(45, 3) * 2
np.save("x_neq.npy", X2)
np.save("y_neq.npy", Y2)
sw, log = ot.sliced_wasserstein_distance(X2, Y2, projections=P, n_projections=L, p=2, log=True)
out["neq"] = {"sw": float(sw), "per_direction": [float(v) for v in log["projected_emds"]]}

# Weighted (30 vs 45).
a = rng.rand(30) + 0.1
a /= a.sum()
b = rng.rand(45) + 0.1
b /= b.sum()
np.save("a_w.npy", a)
np.save("b_w.npy", b)
sw, log = ot.sliced_wasserstein_distance(X2, Y2, a, b, projections=P, n_projections=L, p=2, log=True)
out["weighted"] = {"sw": float(sw), "per_direction": [float(v) for v in log["projected_emds"]]}

# Max-sliced in 2-D: POT's max_sliced_wasserstein_distance with many random
# projections is a lower bound of the maximum.
X3 = rng.randn(60, 2) * np.array([3.0, 0.3])
Y3 = rng.randn(60, 2) * np.array([0.3, 0.3])
np.save("x_max.npy", X3)
np.save("y_max.npy", Y3)
out["max_lower_bound"] = float(ot.max_sliced_wasserstein_distance(X3, Y3, n_projections=20000, p=2, seed=0))

# 1-D exact transport with weights (wasserstein_1d returns W_2^2).
u = rng.randn(7)
v = rng.randn(5) + 1
wu = rng.rand(7)
wv = rng.rand(5)
out["oned"] = {"u": u.tolist(), "v": v.tolist(), "a": wu.tolist(), "b": wv.tolist(),
               "w2sq": float(ot.wasserstein_1d(u, v, wu / wu.sum(), wv / wv.sum(), p=2)),
               "emd2": float(ot.emd2(wu / wu.sum(), wv / wv.sum(), (u[:, None] - v[None, :]) ** 2))}

with open("ref.json", "w") as f:
    json.dump(out, f, indent=1)
