"""Tests of the Python client against POT (python3-pot) and numpy.

Run by the Go test python/python_test.go (which builds the binary and
sets OTPLAY_BIN), or by hand:

    OTPLAY_BIN=./otplay OTPLAY_WEB=web PYTHONPATH=python /usr/bin/python3 -m unittest discover -s python/tests -v
"""

import json
import os
import subprocess
import tempfile
import time
import unittest

import numpy as np
import ot

import otplay


def clouds(n=40, m=30, d=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d))
    y = rng.random((m, d)) + 0.3
    a = rng.random(n) + 0.5
    b = rng.random(m) + 0.5
    return x, y, a / a.sum(), b / b.sum()


class TestAgainstPOT(unittest.TestCase):
    def test_sinkhorn_matches_pot(self):
        """The plan and cost of ot.sinkhorn(method="sinkhorn_log") to 1e-9."""
        x, y, a, b = clouds()
        reg = 0.05
        M = ot.dist(x, y)  # |x - y|^2, no 1/2
        P = ot.sinkhorn(a, b, M, reg, method="sinkhorn_log", numItermax=100000, stopThr=1e-13)
        r = otplay.solve(x, y, a, b, eps=reg, backend="cpu", plan=True, tol=1e-13, iters=100000)
        self.assertEqual(r.method, "sinkhorn")
        self.assertEqual((r.n, r.m, r.d), (40, 30, 2))
        self.assertEqual(r.plan.shape, (40, 30))
        self.assertEqual(r.f.shape, (40,))
        self.assertEqual(r.g.shape, (30,))
        err = np.abs(r.plan - P).max()
        self.assertLess(err, 1e-9 * P.max(), f"plan differs from POT's by {err:g} (max entry {P.max():g})")
        cost = float(np.sum(P * M))
        self.assertAlmostEqual(r.cost, cost, delta=1e-9 * cost)
        # The potentials give the plan: P = a b^T exp((f + g - C) / eps).
        P2 = a[:, None] * b[None, :] * np.exp((r.f[:, None] + r.g[None, :] - M) / reg)
        self.assertLess(np.abs(P2 - r.plan).max(), 1e-9 * P.max())

    def test_unbalanced_matches_pot(self):
        """The plan of ot.sinkhorn_unbalanced(reg=eps, reg_m=tau) to 1e-9."""
        x, y, a, b = clouds(seed=1)
        a, b = 1.3 * a, 0.8 * b  # unequal masses
        reg, tau = 0.1, 0.5
        M = ot.dist(x, y)
        P = ot.sinkhorn_unbalanced(a, b, M, reg, tau, numItermax=100000, stopThr=1e-15)
        r = otplay.solve(x, y, a, b, method="unbalanced", eps=reg, tau=tau, backend="cpu", plan=True, tol=1e-15, iters=100000)
        err = np.abs(r.plan - P).max()
        self.assertLess(err, 1e-9 * P.max(), f"unbalanced plan differs from POT's by {err:g}")
        self.assertEqual(r.tau, tau)

    def test_partial_matches_pot(self):
        """The plan of ot.partial.entropic_partial_wasserstein(m=mass) to 1e-9."""
        x, y, a, b = clouds(seed=6)
        reg, mass = 0.1, 0.6
        M = ot.dist(x, y)
        P = ot.partial.entropic_partial_wasserstein(a, b, M, reg, m=mass, numItermax=100000, stopThr=1e-15)
        r = otplay.solve(x, y, a, b, method="partial", eps=reg, mass=mass, backend="cpu", plan=True, tol=1e-15, iters=100000)
        err = np.abs(r.plan - P).max()
        self.assertLess(err, 1e-9 * P.max(), f"partial plan differs from POT's by {err:g}")
        self.assertAlmostEqual(r.plan.sum(), mass, delta=1e-9)

    def test_gromov_matches_pot(self):
        """method="gromov" between a 2-D and a 3-D cloud: POT's
        entropic_gromov_wasserstein(2) (square loss, its defaults) to 1e-6,
        with the default squared Euclidean costs and with given cx, cy."""
        rng = np.random.default_rng(5)
        x, y = rng.normal(size=(16, 2)), rng.normal(size=(12, 3))
        a, b = ot.unif(16), ot.unif(12)
        C1, C2 = ot.dist(x, x), ot.dist(y, y)
        T = ot.gromov.entropic_gromov_wasserstein(C1, C2, a, b, "square_loss", 5.0)
        gw = ot.gromov.entropic_gromov_wasserstein2(C1, C2, a, b, "square_loss", 5.0)
        r = otplay.solve(x, y, method="gromov", eps=5.0, tol=1e-9, backend="cpu", plan=True)
        self.assertLess(np.abs(r.plan - T).max(), 1e-6)
        self.assertAlmostEqual(r.objective, gw, delta=1e-6 * gw)
        E1, E2 = np.sqrt(C1), np.sqrt(C2)  # Euclidean, not squared
        T = ot.gromov.entropic_gromov_wasserstein(E1, E2, a, b, "square_loss", 1.0)
        r = otplay.solve(x, y, method="gromov", cx=E1, cy=E2, eps=1.0, tol=1e-9, backend="cpu", plan=True)
        self.assertLess(np.abs(r.plan - T).max(), 1e-6)

    def test_grad_power_cost(self):
        """grad=True with p=1.5 against central differences of the
        regularised cost, and with cost=M the weights' parts only."""
        x, y, a, b = clouds(8, 6, seed=3)
        kw = dict(eps=0.2, p=1.5, backend="cpu", tol=1e-14, iters=100000)
        r = otplay.solve(x, y, a, b, grad=True, **kw)
        h = 1e-5
        for i, k in ((0, 0), (3, 1)):
            xp, xm = x.copy(), x.copy()
            xp[i, k] += h
            xm[i, k] -= h
            fd = (otplay.solve(xp, y, a, b, **kw).objective - otplay.solve(xm, y, a, b, **kw).objective) / (2 * h)
            self.assertAlmostEqual(r.grad_x[i, k], fd, delta=1e-6)
        M = ot.dist(x, y, metric="euclidean") ** 1.5
        rc = otplay.solve(cost=M, a=a, b=b, grad=True, eps=0.2, backend="cpu", tol=1e-14, iters=100000)
        self.assertFalse(hasattr(rc, "grad_x") and rc.grad_x is not None)
        self.assertLess(np.abs(rc.grad_a - r.grad_a).max(), 1e-8)

    def test_cost_matrix_matches_pot(self):
        """A given cost matrix M (cost=M): ot.sinkhorn(method="sinkhorn_log"),
        ot.sinkhorn_unbalanced and ot.emd with the same M, to 1e-9."""
        rng = np.random.default_rng(11)
        n, m = 12, 9
        M = rng.uniform(0.0, 2.0, size=(n, m))  # not a distance
        _, _, a, b = clouds(n, m, seed=12)
        reg = 0.1
        P = ot.sinkhorn(a, b, M, reg, method="sinkhorn_log", numItermax=100000, stopThr=1e-13)
        r = otplay.solve(cost=M, a=a, b=b, eps=reg, backend="cpu", plan=True, tol=1e-13, iters=100000)
        self.assertEqual((r.n, r.m), (n, m))
        self.assertLess(np.abs(r.plan - P).max(), 1e-9 * P.max())
        self.assertAlmostEqual(r.cost, float(np.sum(P * M)), delta=1e-9)
        Pu = ot.sinkhorn_unbalanced(1.2 * a, b, M, reg, 0.7, numItermax=100000, stopThr=1e-15)
        r = otplay.solve(cost=M, a=1.2 * a, b=b, method="unbalanced", eps=reg, tau=0.7, backend="cpu", plan=True, tol=1e-15, iters=100000)
        self.assertLess(np.abs(r.plan - Pu).max(), 1e-9 * Pu.max())
        Me = M[:, :6]  # 12 x 6, uniform weights: lcm 12
        Pe = ot.emd(np.full(n, 1 / n), np.full(6, 1 / 6), Me)
        r = otplay.solve(cost=Me, method="exact", plan=True)
        self.assertAlmostEqual(r.cost, float(np.sum(Pe * Me)), delta=1e-12)
        self.assertLess(np.abs(r.plan - Pe).max(), 1e-12)
        # Weighted, by the network simplex, with POT's centred duals.
        Pw, log = ot.emd(a, b, M, log=True)
        r = otplay.solve(cost=M, a=a, b=b, method="exact", plan=True)
        self.assertAlmostEqual(r.cost, log["cost"], delta=1e-12 * log["cost"])
        self.assertLess(np.abs(r.plan - Pw).max(), 1e-12)
        np.testing.assert_allclose(r.f, log["u"], atol=1e-10)
        with self.assertRaises(otplay.OtplayError) as e:
            otplay.solve(cost=M, x=np.zeros((n, 2)))
        self.assertIn("--cost replaces the points", str(e.exception))

    def test_power_cost_matches_pot(self):
        """p=1 is ot.dist(x, y, 'euclidean'), p=1.5 its power 1.5:
        sinkhorn_log and entropic_partial_wasserstein to 1e-9."""
        x, y, a, b = clouds(seed=13)
        reg = 0.05
        M1 = ot.dist(x, y, metric="euclidean")
        P = ot.sinkhorn(a, b, M1, reg, method="sinkhorn_log", numItermax=100000, stopThr=1e-13)
        r = otplay.solve(x, y, a, b, eps=reg, p=1, backend="cpu", plan=True, tol=1e-13, iters=100000)
        self.assertLess(np.abs(r.plan - P).max(), 1e-9 * P.max())
        self.assertAlmostEqual(r.cost, float(np.sum(P * M1)), delta=1e-9)
        M15 = M1 ** 1.5
        Pp = ot.partial.entropic_partial_wasserstein(a, b, M15, reg, m=0.5, numItermax=100000, stopThr=1e-15)
        r = otplay.solve(x, y, a, b, method="partial", mass=0.5, eps=reg, p=1.5, backend="cpu", plan=True, tol=1e-15, iters=100000)
        self.assertLess(np.abs(r.plan - Pp).max(), 1e-9 * Pp.max())

    def test_divergence_from_pot_plans(self):
        """S = OT_eps(a, b) - (OT_eps(a, a) + OT_eps(b, b)) / 2 with
        OT_eps = <P, C> + eps KL(P | a x b) from POT's sinkhorn_log plans."""
        x, y, a, b = clouds(n=30, m=25, seed=7)
        reg = 0.1

        def ot_eps(u, wu, v, wv):
            M = ot.dist(u, v)
            P = ot.sinkhorn(wu, wv, M, reg, method="sinkhorn_log", numItermax=100000, stopThr=1e-14)
            nz = P > 0
            kl = np.sum(P[nz] * np.log(P[nz] / np.outer(wu, wv)[nz])) - P.sum() + 1.0
            return np.sum(P * M) + reg * kl

        want = ot_eps(x, a, y, b) - (ot_eps(x, a, x, a) + ot_eps(y, b, y, b)) / 2
        r = otplay.solve(x, y, a, b, method="divergence", eps=reg, backend="cpu", tol=1e-14, iters=100000)
        self.assertAlmostEqual(r.value, want, delta=1e-9 * abs(r.objective))

    def test_sliced_matches_pot(self):
        """SW_2 equals ot.sliced_wasserstein_distance with the same directions."""
        x, y, a, b = clouds(n=70, m=50, d=3, seed=2)
        r = otplay.sliced(x, y, a, b, projections=40, seed=7, backend="cpu")
        self.assertEqual(r.directions.shape, (40, 3))
        self.assertEqual(r.per_direction.shape, (40,))
        # POT 0.8.2 divides by its n_projections argument even when the
        # projections are given, so it is passed too.
        want = ot.sliced_wasserstein_distance(x, y, a, b, p=2, projections=r.directions.T, n_projections=40)
        self.assertAlmostEqual(r.value, want, delta=1e-12 * want)
        # Directions given back: the same value.
        again = otplay.sliced(x, y, a, b, directions=r.directions, backend="cpu")
        self.assertAlmostEqual(again.value, r.value, delta=1e-12 * want)
        # solve --method sliced reports the same distance for the same seed.
        s = otplay.solve(x, y, a, b, method="sliced", projections=40, seed=7, backend="cpu")
        self.assertAlmostEqual(s.value, r.value, delta=1e-12 * want)
        self.assertIsNone(s.f)

    def test_exact_matches_emd2(self):
        """The exact cost equals ot.emd2 (uniform weights) to 1e-10."""
        x, y, _, _ = clouds(n=30, m=30, seed=3)
        n = len(x)
        M = ot.dist(x, y)
        want = ot.emd2(np.full(n, 1 / n), np.full(n, 1 / n), M)
        r = otplay.solve(x, y, method="exact", backend="cpu", plan=True)
        self.assertAlmostEqual(r.cost, want, delta=1e-10 * want)
        self.assertAlmostEqual(r.plan.sum(), 1.0, delta=1e-12)

    def test_exact_weighted_matches_emd(self):
        """Weighted exact OT in 3-D equals ot.emd(log=True): the cost to
        1e-12, the plan (unique optimum) and the centred duals u, v."""
        rng = np.random.default_rng(8)
        x, y = rng.normal(size=(40, 3)), rng.normal(size=(25, 3)) + 0.3
        a, b = rng.uniform(0.2, 1, 40), rng.uniform(0.2, 1, 25)
        a, b = a / a.sum(), b / b.sum()
        G, log = ot.emd(a, b, ot.dist(x, y), log=True)
        r = otplay.solve(x, y, a, b, method="exact", backend="cpu", plan=True)
        self.assertAlmostEqual(r.cost, log["cost"], delta=1e-12 * log["cost"])
        np.testing.assert_allclose(r.plan, G, atol=1e-14)
        np.testing.assert_allclose(r.f, log["u"], atol=1e-10)
        np.testing.assert_allclose(r.g, log["v"], atol=1e-10)
        g = otplay.solve(x, y, a, b, method="exact", backend="cpu", grad=True)
        np.testing.assert_allclose(g.grad_x, 2 * (a[:, None] * x - G @ y), atol=1e-12)
        np.testing.assert_allclose(g.grad_a, log["u"] - log["u"].mean(), atol=1e-10)
        capped = otplay.solve(x, y, a, b, method="exact", backend="cpu", max_pivots=3)
        self.assertFalse(capped.converged)
        self.assertIn("numItermax reached before optimality", " ".join(capped.notes))

    def test_grad_matches_pot_sinkhorn(self):
        """grad=True: the gradient of OT_eps from POT's own sinkhorn_log
        output (no autograd): w.r.t. a, reg log u - reg log a minus its
        mean; w.r.t. x, 2 (a_i x_i - (G y)_i) from POT's plan G."""
        rng = np.random.default_rng(4)
        x, y = rng.normal(size=(30, 2)), rng.normal(size=(20, 2)) + 0.4
        a, b = rng.uniform(0.2, 1, 30), rng.uniform(0.2, 1, 20)
        a, b = a / a.sum(), b / b.sum()
        reg = 0.2
        G, log = ot.sinkhorn(a, b, ot.dist(x, y), reg, method="sinkhorn_log", numItermax=20000, stopThr=1e-13, log=True)
        f = reg * (log["log_u"] - np.log(a))
        r = otplay.solve(x, y, a, b, eps=reg, backend="cpu", grad=True, tol=1e-12, iters=20000)
        np.testing.assert_allclose(r.grad_a, f - f.mean(), atol=1e-9)
        np.testing.assert_allclose(r.grad_x, 2 * (a[:, None] * x - G @ y), atol=1e-9)
        np.testing.assert_allclose(r.grad_y, 2 * (b[:, None] * y - G.T @ x), atol=1e-9)
        self.assertEqual(r.grad_b.shape, (20,))

    def test_unbalanced_kl_form_and_tau_pair(self):
        """reg_type="kl" (eps KL(P | a b^T), current POT's default) equals
        POT 0.8.2's entropy-form sinkhorn_unbalanced on the cost
        M - reg (log a_i + log b_j); a (tau_a, tau_b) pair, which POT
        0.8.2 does not take, equals the dense scaling iteration
        u = (a / K v)^(tau_a/(tau_a+reg)), v = (b / K^T u)^(tau_b/(tau_b+reg))."""
        rng = np.random.default_rng(6)
        x, y = rng.normal(size=(25, 2)), rng.normal(size=(20, 2)) + 0.5
        a, b = rng.uniform(0.2, 1, 25), rng.uniform(0.2, 1, 20)
        a, b = 1.2 * a / a.sum(), b / b.sum()
        reg, tau = 0.2, 0.7
        M = ot.dist(x, y)
        Mkl = M - reg * (np.log(a)[:, None] + np.log(b)[None, :])
        want = ot.sinkhorn_unbalanced(a, b, Mkl, reg, tau, numItermax=20000, stopThr=1e-14)
        r = otplay.solve(x, y, a, b, method="unbalanced", eps=reg, tau=tau, reg_type="kl", backend="cpu", plan=True, tol=1e-12, iters=20000)
        np.testing.assert_allclose(r.plan, want, atol=1e-9 * want.max())
        ta, tb = 0.4, 3.0
        K = np.exp(-M / reg)
        u, v = np.ones(25), np.ones(20)
        for _ in range(5000):
            u = (a / (K @ v)) ** (ta / (ta + reg))
            v = (b / (K.T @ u)) ** (tb / (tb + reg))
        want = u[:, None] * K * v[None, :]
        r = otplay.solve(x, y, a, b, method="unbalanced", eps=reg, tau_a=ta, tau_b=tb, backend="cpu", plan=True, tol=1e-12, iters=20000)
        np.testing.assert_allclose(r.plan, want, atol=1e-9 * want.max())
        self.assertEqual((r.tau_a, r.tau_b, r.reg_type), (ta, tb, "entropy"))

    def test_sliced_order_p_with_directions(self):
        """SW_p for p = 1, 2, 3 with given unit directions equals POT's
        sliced_wasserstein_distance(p=p, projections=D.T) through both the
        sliced and the solve endpoints; scaled rows give the same value."""
        rng = np.random.default_rng(9)
        x, y = rng.normal(size=(35, 3)), rng.normal(size=(50, 3)) + 0.2
        a, b = rng.uniform(0.2, 1, 35), rng.uniform(0.2, 1, 50)
        a, b = a / a.sum(), b / b.sum()
        D = rng.normal(size=(16, 3))
        D /= np.linalg.norm(D, axis=1)[:, None]
        for p in (1, 2, 3):
            want = ot.sliced_wasserstein_distance(x, y, a, b, n_projections=16, p=p, projections=D.T)
            r = otplay.sliced(x, y, a, b, directions=D * 3.0, p=p, backend="cpu")
            self.assertAlmostEqual(r.value, want, delta=1e-12 * want)
            self.assertAlmostEqual(r.cost, want ** p, delta=1e-12 * want ** p)
            s = otplay.solve(x, y, a, b, method="sliced", directions=D, p=p, backend="cpu")
            self.assertAlmostEqual(s.value, want, delta=1e-12 * want)

    def test_b_matrix_matches_sinkhorn2_and_emd2(self):
        """b as an m x k matrix (several target histograms) gives POT's
        ot.sinkhorn2 and ot.emd2 vectors, one value per column."""
        rng = np.random.default_rng(12)
        x, y = rng.normal(size=(20, 2)), rng.normal(size=(15, 2)) + 0.3
        a = np.full(20, 1 / 20)
        B = rng.uniform(0.2, 1, (15, 4))
        B /= B.sum(0)
        M = ot.dist(x, y)
        r = otplay.solve(x, y, a, B, eps=0.5, backend="cpu", tol=1e-12, iters=20000)
        want = ot.sinkhorn2(a, B, M, 0.5, method="sinkhorn_log", stopThr=1e-13, numItermax=20000)
        np.testing.assert_allclose([c["cost"] for c in r.columns], want, rtol=1e-9)
        e = otplay.solve(x, y, a, B, method="exact", backend="cpu")
        np.testing.assert_allclose([c["cost"] for c in e.columns], ot.emd2(a, B, M), rtol=1e-12)

    def test_specs_and_float32(self):
        """Data specs and float32 arrays are accepted; a spec run equals the
        same points sent as an array."""
        r1 = otplay.solve("moons:64:seed=1", "circles:48", eps=0.1, backend="cpu")
        r2 = otplay.solve(np.ones((5, 2), dtype=np.float32), np.zeros((4, 2), dtype=np.float32), eps=1.0, backend="cpu")
        self.assertTrue(r1.converged)
        self.assertEqual((r1.n, r1.m), (64, 48))
        self.assertAlmostEqual(r2.cost, 2.0, delta=1e-12)  # every pair is at distance^2 = 2


class TestErrors(unittest.TestCase):
    def test_nan_input(self):
        """NaN input raises OtplayError with the CLI's message."""
        x, y, _, _ = clouds()
        x[3, 1] = np.nan
        with self.assertRaises(otplay.OtplayError) as cm:
            otplay.solve(x, y, eps=0.1, backend="cpu")
        # The CLI's message for a .npy file with a NaN (less the file name).
        self.assertEqual("--x: data: bad input: npy: value 7 [3, 1] is NaN (not finite)", str(cm.exception))
        self.assertEqual(cm.exception.status, 400)

    def test_bad_parameters(self):
        x, y, _, _ = clouds()
        for kwargs, want in [
            ({"eps": -1}, "--eps -1: must be positive and finite"),
            ({"method": "magic"}, '--method "magic"'),
            ({"frobnicate": 1}, 'unknown parameter "frobnicate"'),
            ({"a": -np.ones(40)}, "--a: weight 0 is -1 < 0"),
        ]:
            with self.subTest(kwargs=kwargs):
                with self.assertRaises(otplay.OtplayError) as cm:
                    otplay.solve(x, y, backend="cpu", **kwargs)
                self.assertIn(want, cm.exception.message)
        with self.assertRaises(otplay.OtplayError) as cm:
            otplay.solve(x, y, method="unbalanced", tau=float("inf"), backend="cpu")
        self.assertIn("tau=inf", cm.exception.message)
        with self.assertRaises(otplay.OtplayError) as cm:
            otplay.solve(x, np.ones((3, 5)), backend="cpu")
        self.assertIn("--x has dimension 2 and --y dimension 5", cm.exception.message)


class TestSampleBridgeShow(unittest.TestCase):
    def test_sample(self):
        data = np.random.default_rng(4).normal(size=(80, 2))
        r = otplay.sample(data, n=25, steps=4, backend="cpu", quality=False, seed=3)
        self.assertEqual(r.points.shape, (25, 2))
        self.assertTrue(np.isfinite(r.points).all())
        self.assertEqual(r.steps, 4)
        self.assertGreaterEqual(r.nfe, 4)
        self.assertEqual(r.sampler, "dpmpp2m")
        # The same seed gives the same samples.
        again = otplay.sample(data, n=25, steps=4, backend="cpu", quality=False, seed=3)
        np.testing.assert_array_equal(r.points, again.points)

    def test_sample_batch_ot(self):
        """batch_ot with an array target reaches otplay sample: the report
        names the map and the seed's eps (0.05 at t0 = 1), and the samples
        differ from the plain run's with the same seed."""
        data = np.random.default_rng(4).normal(size=(80, 2))
        target = np.random.default_rng(5).normal(size=(25, 2))
        plain = otplay.sample(data, n=25, steps=4, backend="cpu", quality=False, seed=3)
        r = otplay.sample(data, n=25, steps=4, backend="cpu", quality=False, seed=3, batch_ot="sliced", batch_ot_target=target)
        self.assertEqual(r.batch_ot, "sliced")
        self.assertAlmostEqual(r.batch_ot_eps, 0.05, places=4)
        self.assertFalse(np.array_equal(r.points, plain.points))

    def test_sample_class_guidance(self):
        """class_ and guidance reach otplay sample: the exact mixture
        restricted to class 3 of 8gaussians puts every sample nearest to
        that class's mean; guidance without a class is refused."""
        r = otplay.sample("8gaussians:400", model="gmm", class_=3, guidance=1, n=40, steps=8, backend="cpu", quality=False)
        self.assertEqual((r.fields["class"], r.guidance), (3, 1.0))
        data = otplay.sample("8gaussians:400", model="empirical", n=400, steps=8, backend="cpu", quality=False).points
        mean = r.points.mean(axis=0)
        self.assertLess(np.abs(r.points - mean).max(), 1.2)
        self.assertGreater(np.linalg.norm(mean), 0.5 * np.linalg.norm(data, axis=1).mean())
        with self.assertRaises(otplay.OtplayError) as cm:
            otplay.sample("8gaussians:400", guidance=2, n=4, steps=2, backend="cpu")
        self.assertEqual(cm.exception.status, 400)
        self.assertIn("needs --class", cm.exception.message)

    def test_files_and_mlp_match_cli(self):
        """A .npy data file and a trained network (mlp:FILE), read by the
        client and uploaded, give the samples of the CLI on the same files,
        bit for bit."""
        binary = os.environ.get("OTPLAY_BIN")
        if not binary:
            self.skipTest("OTPLAY_BIN is not set: no CLI to compare with")
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "data.npy")
            np.save(data, np.random.default_rng(8).normal(size=(200, 2)))
            model = os.path.join(tmp, "model.json")
            subprocess.run([binary, "train", "--data", data, "--out", model, "--steps", "30", "--batch", "64",
                            "--hidden", "16,16", "--backend", "cpu"], check=True, capture_output=True)
            out = os.path.join(tmp, "samples.npy")
            cli = subprocess.run([binary, "sample", "--data", data, "--model", "mlp:" + model, "--n", "40", "--steps", "5",
                                  "--seed", "2", "--backend", "cpu", "--out", out, "--json", "--quality=false"],
                                 check=True, capture_output=True, text=True)
            want = json.loads(cli.stdout)
            r = otplay.sample(data, model="mlp:" + model, n=40, steps=5, seed=2, backend="cpu", quality=False)
            np.testing.assert_array_equal(r.points, np.load(out))
            self.assertEqual((r.nfe, r.schedule), (want["nfe"], want["schedule"]))
            with self.assertRaises(otplay.OtplayError) as cm:
                otplay.sample(data, model="mlp:" + data, n=4, steps=2, backend="cpu")
            self.assertEqual(cm.exception.status, 400)
            self.assertIn("--model: ", cm.exception.message)
            # The same points as text and .npz files give the same cost.
            pts = np.load(data)
            np.savetxt(os.path.join(tmp, "data.txt"), pts)
            np.savez(os.path.join(tmp, "data.npz"), pts)
            costs = {f: otplay.solve(os.path.join(tmp, f), "moons:50", eps=0.5, backend="cpu").cost
                     for f in ("data.npy", "data.txt", "data.npz")}
            self.assertEqual(len(set(costs.values())), 1, costs)
            with self.assertRaises(otplay.OtplayError) as cm:
                otplay.solve(os.path.join(tmp, "missing.npy"), data)
            self.assertIn("--x: ", cm.exception.message)

    def test_bridge(self):
        """Static bridge paths start at source points and end at target points."""
        x, y, _, _ = clouds(n=50, m=40, seed=5)
        r = otplay.bridge(x, y, n=30, times=[0, 0.5, 1], sigma=0.2, backend="cpu", quality=True)
        self.assertEqual(r.samples.shape, (3, 30, 2))
        self.assertEqual(list(r.times), [0, 0.5, 1])
        self.assertTrue(r.sinkhorn_converged)
        self.assertIsNotNone(r.quality_at_1)
        for k, pts in ((0, x), (2, y)):
            dist = np.abs(r.samples[k][:, None, :] - pts[None, :, :]).max(axis=2).min(axis=1)
            self.assertLess(dist.max(), 1e-12, f"samples at t = {r.times[k]} are not the end points")

    def test_timeout_stops_the_run(self):
        """A request given up (a timeout here; Ctrl-C likewise closes the
        connection) stops its run on the server."""
        c = otplay.Client(url=otplay.default_client().url, timeout=1.0)
        with self.assertRaises(otplay.OtplayError) as cm:
            c.solve("moons:400", "circles:400", eps=1e-4, tol=-1, iters=100000000, backend="cpu")
        self.assertIn("no answer", cm.exception.message)
        deadline = time.monotonic() + 60  # a hang guard, not a timing check
        while otplay.info()["in_flight"] != 0:
            self.assertLess(time.monotonic(), deadline, "the abandoned run is still computing")
            time.sleep(0.05)

    def test_info(self):
        i = otplay.info()
        self.assertEqual(i["api"], 1)
        self.assertEqual(i["endpoints"]["/api/v1/solve"]["method"], "sinkhorn")
        self.assertIn(i["auto"]["backend"], ("gpu", "cpu32"))

    def test_show(self):
        v = otplay.show("ot", x="moons", y="8gaussians", eps=0.2, n=300)
        html = v._repr_html_()
        self.assertIn("<iframe", html)
        self.assertIn("/embed/ot?x=moons&amp;y=8gaussians&amp;eps=0.2&amp;n=300", html)
        with self.assertRaises(otplay.OtplayError) as cm:
            otplay.show("ot", x=np.zeros((3, 2)))
        self.assertIn("URL state holds data set names", cm.exception.message)
        with self.assertRaises(otplay.OtplayError):
            otplay.show("nosuchpage")

    def test_show_without_playground(self):
        """A binary without the playground serves the API only; show says so."""
        web = os.environ.pop("OTPLAY_WEB", None)
        try:
            with otplay.Client() as c:
                self.assertEqual(c.solve("moons:10", "moons:10", eps=1.0, backend="cpu").n, 10)
                with self.assertRaises(otplay.OtplayError) as cm:
                    c.show("ot")
                self.assertIn("serves the notebook API only", cm.exception.message)
        finally:
            if web is not None:
                os.environ["OTPLAY_WEB"] = web


def tearDownModule():
    # For the Go test, which checks that the server is gone once Python
    # has exited (atexit).
    pidfile = os.environ.get("OTPLAY_TEST_PIDFILE")
    server = otplay.default_client()._server
    if pidfile and server is not None:
        with open(pidfile, "w") as f:
            f.write(str(server.proc.pid))


if __name__ == "__main__":
    unittest.main()
