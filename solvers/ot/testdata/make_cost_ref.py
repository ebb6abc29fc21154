# Regenerates pot_cost_ref.json (here) and ../../exact/testdata/pot_cost_ref.json:
# reference plans from POT 0.8.2 for ground costs other than |x - y|^2, for
# the tests of packages ot and exact. Run once with /usr/bin/python3 (numpy,
# scipy, python3-pot):
#   cd solvers/ot/testdata && /usr/bin/python3 make_cost_ref.py
# The tests never run Python; they read the stored JSON.
#
# Costs, by case:
#   matrix: a dense M given as such (not a distance: uniform [0, 2) entries),
#           passed to otplay as Problem.Cost / --cost M.npy;
#   p=1:    M = ot.dist(X, Y, metric='euclidean') (the norm, not squared),
#           otplay's Problem.P = 1 / --p 1;
#   p=1.5:  M = ot.dist(X, Y, metric='euclidean') ** 1.5, otplay's P = 1.5.
import json
import numpy as np
import ot

rng = np.random.default_rng(13)
cases, exact = [], []


def cloud(n, d, shift=0.0):
    return rng.normal(size=(n, d)) + shift


def weights(n, total=1.0):
    w = rng.uniform(0.5, 1.5, size=n)
    return w / w.sum() * total


def problem(cost, n, m, d, shift):
    X, Y = cloud(n, d), cloud(m, d, shift)
    if cost == "matrix":
        return X, Y, rng.uniform(0.0, 2.0, size=(n, m)), 0.0
    p = float(cost.split("=")[1])
    return X, Y, ot.dist(X, Y, metric="euclidean") ** p, p


def record(kind, cost, X, Y, M, p, a, b, P, **kw):
    c = dict(name="%s_%s_n%d_m%d" % (kind, cost, len(a), len(b)), kind=kind,
             matrix=cost == "matrix", p=p, n=len(a), m=len(b), d=X.shape[1],
             x=X.ravel().tolist(), y=Y.ravel().tolist(), C=M.ravel().tolist(),
             a=a.tolist(), b=b.tolist(), plan=P.ravel().tolist(),
             cost=float((M * P).sum()), **kw)
    return c


for cost in ["matrix", "p=1", "p=1.5"]:
    # Balanced entropic OT, POT's log-domain Sinkhorn.
    X, Y, M, p = problem(cost, 9, 7, 2, 0.5)
    a, b = weights(9), weights(7)
    eps = 0.2
    P = ot.sinkhorn(a, b, M, reg=eps, method="sinkhorn_log",
                    numItermax=200000, stopThr=1e-14)
    cases.append(record("sinkhorn", cost, X, Y, M, p, a, b, P, eps=eps))

    # Unbalanced: sinkhorn_unbalanced(reg=eps, reg_m=tau), unequal masses.
    X, Y, M, p = problem(cost, 8, 10, 2, 1.0)
    a, b = weights(8, 1.0), weights(10, 1.5)
    eps, tau = 0.2, 0.7
    P = ot.sinkhorn_unbalanced(a, b, M, reg=eps, reg_m=tau,
                               numItermax=200000, stopThr=1e-15)
    cases.append(record("unbalanced", cost, X, Y, M, p, a, b, P, eps=eps, tau=tau))

    # Partial: entropic_partial_wasserstein(reg=eps, m=mass).
    X, Y, M, p = problem(cost, 8, 6, 2, 1.0)
    a, b = weights(8, 1.0), weights(6, 1.2)
    eps, mass = 0.2, 0.6
    P = ot.partial.entropic_partial_wasserstein(
        a, b, M, reg=eps, m=mass, numItermax=200000, stopThr=1e-15)
    cases.append(record("partial", cost, X, Y, M, p, a, b, P, eps=eps, mass=mass))

    # Exact: ot.emd with uniform weights (n != m: the solver replicates to
    # lcm(n, m)); the weighted case waits for the network simplex.
    for (n, m) in [(6, 6), (6, 4)]:
        X, Y, M, p = problem(cost, n, m, 3, 0.3)
        a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
        P = ot.emd(a, b, M)
        exact.append(record("emd", cost, X, Y, M, p, a, b, P))

with open("pot_cost_ref.json", "w") as fh:
    json.dump(dict(pot=ot.__version__, cases=cases), fh)
with open("../../exact/testdata/pot_cost_ref.json", "w") as fh:
    json.dump(dict(pot=ot.__version__, cases=exact), fh)
print("wrote", len(cases), "+", len(exact), "cases with POT", ot.__version__)
