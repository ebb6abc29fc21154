"""Reference barycenters from POT 0.8.2 for solvers/barycenter's tests.

Run with Debian's python (numpy and POT): /usr/bin/python3 make_ref.py
It writes pot_ref.json next to this file. Every input is generated here
with a fixed seed and written out, so the Go tests read inputs and outputs
from the same file.
"""
import json
import warnings

import numpy as np
import ot
from ot.bregman import (_barycenter_sinkhorn_log, _barycenter_debiased_log,
                        _convolutional_barycenter2d_log,
                        _convolutional_barycenter2d_debiased_log)

warnings.simplefilter("ignore")
rng = np.random.RandomState(13)
out = {"pot_version": ot.__version__}


def gauss1d(x, m, s):
    h = np.exp(-(x - m) ** 2 / (2 * s ** 2))
    return h / h.sum()


# Histograms on a 1-D support of 40 points in [0, 1], cost |x - y|^2.
x = np.linspace(0, 1, 40)
A = np.stack([gauss1d(x, 0.2, 0.05), gauss1d(x, 0.5, 0.1) + 0.3 * gauss1d(x, 0.9, 0.03),
              gauss1d(x, 0.75, 0.04)], axis=1)
A /= A.sum(axis=0)
M = (x[:, None] - x[None, :]) ** 2
w = np.array([0.2, 0.3, 0.5])
hist = []
for reg, tol in [(1e-2, 1e-9), (3e-3, 1e-4)]:
    for name, fn in [("entropic", _barycenter_sinkhorn_log), ("debiased", _barycenter_debiased_log)]:
        bar, log = fn(A, M, reg, weights=w, numItermax=500, stopThr=tol, log=True)
        hist.append({"method": name, "eps": reg, "tol": tol, "max_iter": 500, "weights": w.tolist(),
                     "hists": A.T.tolist(), "support": x.tolist(), "d": 1,
                     "barycenter": bar.tolist(), "iterations": log["niter"] + 1,
                     "err": log["err"][-1]})
# Histograms on 25 random 2-D points, cost given as a matrix.
S = rng.rand(25, 2)
M2 = ot.dist(S, S)
B = rng.rand(25, 2) ** 3
B /= B.sum(axis=0)
for name, fn in [("entropic", _barycenter_sinkhorn_log), ("debiased", _barycenter_debiased_log)]:
    bar, log = fn(B, M2, 0.05, weights=np.array([0.6, 0.4]), numItermax=500, stopThr=1e-10, log=True)
    hist.append({"method": name, "eps": 0.05, "tol": 1e-10, "max_iter": 500, "weights": [0.6, 0.4],
                 "hists": B.T.tolist(), "support": S.ravel().tolist(), "d": 2,
                 "barycenter": bar.tolist(), "iterations": log["niter"] + 1,
                 "err": log["err"][-1]})
out["histograms"] = hist

# Convolutional barycenters of three 12 x 15 images (non-square: each axis
# has its own linspace(0, 1, n) grid, as in POT).
H, W = 12, 15
ii, jj = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
imgs = np.zeros((3, H, W))
imgs[0][(ii - 3) ** 2 + (jj - 4) ** 2 <= 6] = 1
imgs[1][(ii >= 6) & (ii <= 10) & (jj >= 8) & (jj <= 13)] = 1
imgs[2][(abs(ii - 8) <= 1) | (abs(jj - 3) <= 1)] = 1
imgs[2][:4] = 0
imgs = imgs / imgs.sum(axis=(1, 2), keepdims=True)
wc = np.array([0.5, 0.25, 0.25])
conv = []
for name, fn, tol in [("entropic", _convolutional_barycenter2d_log, 1e-9),
                      ("debiased", _convolutional_barycenter2d_debiased_log, 1e-9)]:
    bar, log = fn(imgs, 0.02, weights=wc, numItermax=300, stopThr=tol, log=True)
    conv.append({"method": name, "eps": 0.02, "tol": tol, "max_iter": 300, "weights": wc.tolist(),
                 "h": H, "w": W, "images": imgs.reshape(3, -1).tolist(),
                 "barycenter": bar.ravel().tolist(), "iterations": log["niter"] + 1,
                 "err": log["err"][-1]})
out["convolutional"] = conv

# Free-support barycenter of three 2-D clouds with uniform weights
# (POT's free_support_barycenter: exact OT inner step).
clouds = [rng.randn(12, 2) + [2, 0], 0.5 * rng.randn(6, 2) - [0, 2], rng.randn(4, 2) * [1, 0.3]]
K = 6
X0 = rng.randn(K, 2)
wf = np.array([0.5, 0.3, 0.2])
Xb, log = ot.lp.free_support_barycenter(clouds, [ot.unif(len(c)) for c in clouds], X0,
                                        weights=wf, numItermax=100, stopThr=1e-12, log=True)
free = [{"method": "exact", "weights": wf.tolist(), "clouds": [c.ravel().tolist() for c in clouds],
         "sizes": [len(c) for c in clouds], "d": 2, "init": X0.ravel().tolist(),
         "barycenter": Xb.ravel().tolist(),
         "iterations": len(log["displacement_square_norms"])}]
# The entropic variant: the same fixed point with the barycentric
# projection of the entropic plan (log-domain Sinkhorn, converged tightly).
X = X0.copy()
b = ot.unif(K)
for it in range(100):
    T = np.zeros_like(X)
    for c, wi in zip(clouds, wf):
        P = ot.sinkhorn(b, ot.unif(len(c)), ot.dist(X, c), 0.5, method="sinkhorn_log",
                        numItermax=100000, stopThr=1e-13)
        T += wi * (P @ c) / b[:, None]
    disp = ((T - X) ** 2).sum()
    X = T
    if disp < 1e-12:
        break
free.append({"method": "entropic", "eps": 0.5, "weights": wf.tolist(),
             "clouds": [c.ravel().tolist() for c in clouds], "sizes": [len(c) for c in clouds],
             "d": 2, "init": X0.ravel().tolist(), "barycenter": X.ravel().tolist(),
             "iterations": it + 1})
out["free_support"] = free

with open("pot_ref.json", "w") as f:
    json.dump(out, f)
print({k: len(v) for k, v in out.items() if isinstance(v, list)},
      [(h["method"], h["iterations"]) for h in hist + conv + free])
