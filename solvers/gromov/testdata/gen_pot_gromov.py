# Regenerates pot_gromov_ref.json: POT 0.8.2's
# ot.gromov.entropic_gromov_wasserstein (loss_fun='square_loss', its
# default max_iter=1000 and tol=1e-9) and entropic_gromov_wasserstein2 on
# clouds of different dimensions, for TestSolveAgainstPOT. Each case
# stores the intra-set costs, weights, eps, POT's plan, gw_dist and its
# outer iteration count (10 (len(log['err']) - 1) + 1: POT tests the change
# every 10th outer iteration). Run with /usr/bin/python3:
#   cd solvers/gromov/testdata && /usr/bin/python3 gen_pot_gromov.py
import json
import warnings
import numpy as np
import ot

warnings.simplefilter("error")  # an unconverged inner Sinkhorn fails here
rng = np.random.default_rng(16)
cases = []


def simplex(k):
    w = rng.uniform(0.2, 1, k)
    return w / w.sum()


def add(name, C1, C2, a, b, eps):
    T, log = ot.gromov.entropic_gromov_wasserstein(C1, C2, a, b, 'square_loss', eps, log=True)
    gw2 = ot.gromov.entropic_gromov_wasserstein2(C1, C2, a, b, 'square_loss', eps)
    assert abs(gw2 - log['gw_dist']) < 1e-14
    assert log['err'][-1] <= 1e-9, (name, log['err'][-1])
    cases.append(dict(name=name, n=len(a), m=len(b), c1=C1.ravel().tolist(), c2=C2.ravel().tolist(),
                      a=a.tolist(), b=b.tolist(), eps=eps, plan=T.ravel().tolist(),
                      gw_dist=float(gw2), outer=10 * (len(log['err']) - 1) + 1))


X2 = rng.normal(size=(20, 2))
Y3 = rng.normal(size=(15, 3)) * 0.8
sq = lambda z: ot.dist(z, z)
add("2-D 20 vs 3-D 15, uniform", sq(X2), sq(Y3), ot.unif(20), ot.unif(15), 5.0)
add("2-D 20 vs 3-D 15, weighted", sq(X2), sq(Y3), simplex(20), simplex(15), 5.0)
C1, C2 = sq(X2) / sq(X2).max(), sq(Y3) / sq(Y3).max()
add("normalised costs eps 0.05", C1, C2, ot.unif(20), ot.unif(15), 0.05)
X1 = rng.uniform(size=(12, 1))
Y4 = rng.normal(size=(30, 4))
E = ot.dist(Y4, Y4, metric='euclidean')
add("1-D 12 vs euclidean (unsquared) 4-D 30", sq(X1), E / E.max(), simplex(12), ot.unif(30), 0.02)

with open("pot_gromov_ref.json", "w") as f:
    json.dump(dict(pot=ot.__version__, cases=cases), f)
print(ot.__version__, [(c["name"], c["outer"], c["gw_dist"]) for c in cases])
