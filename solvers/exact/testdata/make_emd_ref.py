# Regenerates emd_weighted_ref.json: POT 0.8.2's ot.emd(a, b, M, log=True)
# (plan, cost, centred duals u and v, result code) on weighted problems
# with dense cost matrices, for TestEMDAgainstPOT. Run with /usr/bin/python3:
#   cd solvers/exact/testdata && /usr/bin/python3 make_emd_ref.py
import json
import numpy as np
import ot

rng = np.random.default_rng(13)
cases = []


def add(name, a, b, M, iters=10**7):
    G, log = ot.emd(a, b, M, numItermax=iters, log=True)
    cases.append(dict(name=name, n=len(a), m=len(b), a=a.tolist(), b=b.tolist(),
                      cost_matrix=M.ravel().tolist(), plan=G.ravel().tolist(),
                      cost=float(log['cost']), u=log['u'].tolist(), v=log['v'].tolist(),
                      warning=log['warning'] or "", result_code=int(log['result_code'])))


def simplex(k):
    w = rng.uniform(0.05, 1, k)
    return w / w.sum()


# Random costs: the optimum is unique with probability 1.
for (n, m) in [(7, 5), (40, 60), (120, 90)]:
    add("random %dx%d" % (n, m), simplex(n), simplex(m), rng.uniform(0, 10, (n, m)))
# Point clouds in 3-D under |x - y|^2.
X, Y = rng.normal(size=(80, 3)), rng.normal(size=(70, 3)) + 0.5
add("clouds 80x70 d=3", simplex(80), simplex(70), ot.dist(X, Y))
# Zero weights on both sides.
a, b = simplex(30), simplex(25)
a[[0, 7, 29]] = 0
b[[3, 4]] = 0
add("zero weights", a / a.sum(), b / b.sum(), rng.uniform(0, 5, (30, 25)))
# One source point.
add("n=1", np.array([1.0]), simplex(9), rng.uniform(0, 3, (1, 9)))
# Ties: small integer costs (many optimal plans; the cost is unique).
add("integer ties", simplex(20), simplex(20), rng.integers(0, 3, (20, 20)).astype(float))
# The pivot cap: POT's warning.
add("capped", simplex(60), simplex(60), rng.uniform(0, 1, (60, 60)), iters=20)
with open("emd_weighted_ref.json", "w") as fh:
    json.dump(dict(pot=ot.__version__, cases=cases), fh)
print("wrote", len(cases), "cases")
