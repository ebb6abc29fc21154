# Regenerates emd_ref.json: exact OT costs from POT 0.8.2's ot.emd2 (network
# simplex) for the tests of package exact. Run once with /usr/bin/python3:
#   cd solvers/exact/testdata && /usr/bin/python3 make_ref.py
import json
import numpy as np
import ot

rng = np.random.default_rng(11)
cases = []
for (n, m, d, weighted) in [(50, 50, 2, False), (30, 45, 3, False), (8, 12, 5, False),
                            (20, 15, 1, True), (40, 40, 1, True)]:
    X = rng.normal(size=(n, d))
    Y = rng.normal(size=(m, d)) * 0.7 + 0.5
    if weighted:
        a = rng.uniform(0.1, 1, n); a /= a.sum()
        b = rng.uniform(0.1, 1, m); b /= b.sum()
    else:
        a, b = np.ones(n) / n, np.ones(m) / m
    cost = ot.emd2(a, b, ot.dist(X, Y), numItermax=10**7)
    cases.append(dict(n=n, m=m, d=d, weighted=weighted, x=X.ravel().tolist(),
                      y=Y.ravel().tolist(), a=a.tolist(), b=b.tolist(), cost=float(cost)))
with open("emd_ref.json", "w") as fh:
    json.dump(dict(pot=ot.__version__, cases=cases), fh)
print("wrote", len(cases), "cases")
