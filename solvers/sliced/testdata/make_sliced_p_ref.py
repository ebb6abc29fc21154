# Regenerates sliced_p_ref.json: POT 0.8.2's sliced_wasserstein_distance
# with the projections given (unit columns) and p = 1, 2, 3, on uniform
# equal-size, uniform unequal-size and weighted clouds in 3-D, for
# TestDistanceOrderPAgainstPOT. Run with /usr/bin/python3:
#   cd solvers/sliced/testdata && /usr/bin/python3 make_sliced_p_ref.py
import json
import numpy as np
import ot

rng = np.random.default_rng(21)
L, d = 12, 3
theta = rng.normal(size=(d, L))
theta /= np.linalg.norm(theta, axis=0)
cases = []
for name, n, m, weighted in [("equal", 40, 40, False), ("unequal", 30, 45, False), ("weighted", 30, 45, True)]:
    x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d)) * 0.8 + 0.3
    a, b = (rng.uniform(0.2, 1, n), rng.uniform(0.2, 1, m)) if weighted else (np.full(n, 1 / n), np.full(m, 1 / m))
    a, b = a / a.sum(), b / b.sum()
    for p in (1, 2, 3):
        sw = ot.sliced_wasserstein_distance(x, y, a, b, n_projections=L, p=p, projections=theta)
        cases.append(dict(name=name, p=p, n=n, m=m, weighted=weighted, x=x.ravel().tolist(), y=y.ravel().tolist(),
                          a=a.tolist(), b=b.tolist(), sw=float(sw)))
with open("sliced_p_ref.json", "w") as fh:
    json.dump(dict(pot=ot.__version__, d=d, directions=theta.T.ravel().tolist(), cases=cases), fh)
print("wrote", len(cases), "cases")
