# Regenerates pot_ref.json: reference plans from POT 0.8.2 for the tests of
# package ot. Run once with /usr/bin/python3 (numpy, scipy, python3-pot):
#   cd solvers/ot/testdata && python3 make_ref.py
# The tests never run Python; they read the stored JSON.
import json
import numpy as np
import ot

rng = np.random.default_rng(7)
cases = []


def cloud(n, d, shift=0.0):
    return rng.normal(size=(n, d)) + shift


def weights(n, total=1.0):
    w = rng.uniform(0.5, 1.5, size=n)
    return w / w.sum() * total


def add(name, X, Y, a, b, P, **kw):
    M = ot.dist(X, Y)  # squared Euclidean, as otplay's cost
    cases.append(dict(name=name, n=len(X), m=len(Y), d=X.shape[1],
                      x=X.ravel().tolist(), y=Y.ravel().tolist(),
                      a=a.tolist(), b=b.tolist(), plan=P.ravel().tolist(),
                      cost=float((M * P).sum()), **kw))


# Balanced entropic OT, POT's log-domain Sinkhorn.
for (n, m, d, eps) in [(7, 5, 2, 0.5), (12, 9, 3, 0.1)]:
    X, Y = cloud(n, d), cloud(m, d, 0.5)
    a, b = weights(n), weights(m)
    P = ot.sinkhorn(a, b, ot.dist(X, Y), reg=eps, method="sinkhorn_log",
                    numItermax=100000, stopThr=1e-13)
    add("sinkhorn_n%d_m%d" % (n, m), X, Y, a, b, P, eps=eps)

# Unbalanced: sinkhorn_unbalanced(reg=eps, reg_m=tau), unequal masses.
for (n, m, d, eps, tau) in [(8, 6, 2, 0.2, 0.5), (10, 11, 2, 0.05, 2.0)]:
    X, Y = cloud(n, d), cloud(m, d, 1.0)
    a, b = weights(n, 1.0), weights(m, 1.6)
    P = ot.sinkhorn_unbalanced(a, b, ot.dist(X, Y), reg=eps, reg_m=tau,
                               numItermax=200000, stopThr=1e-14)
    add("unbalanced_n%d_m%d" % (n, m), X, Y, a, b, P, eps=eps, tau=tau)

# Partial: entropic_partial_wasserstein(reg=eps, m=mass).
for (n, m, d, eps, mass) in [(8, 6, 2, 0.2, 0.5), (10, 12, 2, 0.1, 0.8)]:
    X, Y = cloud(n, d), cloud(m, d, 1.0)
    a, b = weights(n, 1.0), weights(m, 1.2)
    P = ot.partial.entropic_partial_wasserstein(
        a, b, ot.dist(X, Y), reg=eps, m=mass, numItermax=200000, stopThr=1e-15)
    add("partial_n%d_m%d" % (n, m), X, Y, a, b, P, eps=eps, mass=mass)

with open("pot_ref.json", "w") as fh:
    json.dump(dict(pot=ot.__version__, cases=cases), fh)
print("wrote", len(cases), "cases with POT", ot.__version__)

# pot_hd_ref.json: the same three problems at d = 64 (the digits' dimension),
# where the CPU backends read the cost from a stored matrix
# (compute/costcache.go); eps = 0.05 d/2 as in bench/pot. Its own generator,
# so that pot_ref.json's cases stay as they were.
rng = np.random.default_rng(64)
cases = []
d, eps = 64, 1.6
X, Y = cloud(40, d), cloud(30, d, 0.5)
a, b = weights(40), weights(30)
# stopThr 1e-15: at 1e-13 POT stops where the plan is still 1.3e-12 from
# its limit (relative to the largest entry; otplay's cpuref and cpu agreed
# with each other to 1e-13 and were both that far from it).
P = ot.sinkhorn(a, b, ot.dist(X, Y), reg=eps, method="sinkhorn_log", numItermax=100000, stopThr=1e-15)
add("sinkhorn_d64_n40_m30", X, Y, a, b, P, eps=eps)
X, Y = cloud(36, d), cloud(44, d, 0.5)
a, b = weights(36, 1.0), weights(44, 1.6)
P = ot.sinkhorn_unbalanced(a, b, ot.dist(X, Y), reg=eps, reg_m=2.0, numItermax=200000, stopThr=1e-14)
add("unbalanced_d64_n36_m44", X, Y, a, b, P, eps=eps, tau=2.0)
X, Y = cloud(32, d), cloud(28, d, 0.5)
a, b = weights(32, 1.0), weights(28, 1.2)
P = ot.partial.entropic_partial_wasserstein(a, b, ot.dist(X, Y), reg=eps, m=0.5, numItermax=200000, stopThr=1e-15)
add("partial_d64_n32_m28", X, Y, a, b, P, eps=eps, mass=0.5)
with open("pot_hd_ref.json", "w") as fh:
    json.dump(dict(pot=ot.__version__, cases=cases), fh)
print("wrote", len(cases), "d = 64 cases with POT", ot.__version__)
