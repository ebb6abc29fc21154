// Package bridge computes Schrodinger bridges between two point clouds
// from their entropic optimal transport plan, on a compute.Backend: the
// static bridge and its Brownian-bridge samples at any time, the bridge
// drift for new particles (the Sinkhorn bridge), its SDE simulation, and
// a Sinkhorn correction of diffusion samplers.
//
// # The bridge
//
// The Schrodinger bridge from mu = sum_i a_i delta_{x_i} at t = 0 to
// nu = sum_j b_j delta_{y_j} at t = 1 with the reference process
// dX = sigma dW is the path measure closest in relative entropy to the
// reference with those end laws (Schrodinger 1931; Follmer 1988; Leonard
// 2014, "A survey of the Schrodinger problem"). It is a mixture of Brownian
// bridges over the static plan, which is entropic OT with the cost
// |x - y|^2 and eps = 2 sigma^2 (otplay's convention, the plan of POT's
// ot.sinkhorn(a, b, C, reg=2 sigma^2, method="sinkhorn_log")):
//
//	br, err := bridge.New(backend, ot.Problem{X: x, Y: y, N: n, M: m, D: 2},
//		bridge.Settings{Sigma: 0.2})          // Sinkhorn with eps = 0.08
//	defer br.Free()
//	is, js, err := br.SamplePairs(1000, seed) // (i, j) ~ P, rows in blocks
//	xt, err := br.SampleAt(0.3, 1000, seed)   // X_t = (1-t) x_i + t y_j + sigma sqrt(t(1-t)) Z
//	paths, err := br.Paths(times, 100, seed)  // whole paths at several times
//
// New refuses a sigma whose eps = 2 sigma^2 is not a positive float64,
// and one below what the backend resolves for the points (package ot's
// ErrPrecision), naming the smallest sigma that works; points whose
// squared distances overflow float64 are refused. Tested at sigma = 1e-12,
// 1e-200 and 1e200 and at coordinates 1e150 and 1e160; at 1e150 with
// sigma = 0.3e150 the bridge equals the unit one (cost to 1e-9, 500 of 500
// sampled pairs).
//
// Pairs are drawn without storing the N x M plan: i by inverse CDF of a,
// then j from the plan's row, computed on the backend for blocks of rows
// (one MatMul and one Map) and sampled by inverse CDF on the host.
//
// # The drift, out of sample
//
// Given X_t = x the end point Y of the bridge has the law
// w_j(x) ∝ b_j exp(G_j/eps - |x - y_j|^2/(eps (1 - t))) (the x_i-side
// factor separates: see Drift), so the Markovian drift is
//
//	v(x, t) = (E[Y | X_t = x] - x) / (1 - t),
//
// the Sinkhorn bridge of Pooladian and Niles-Weed 2024 ("Plug-in
// estimation of Schrodinger bridges"), one Backend.SoftMeanY per
// evaluation, defined for any x. Simulate integrates
// dX = v(X, t) dt + sigma dW by Euler-Maruyama for new particles;
// DriftHost evaluates v at host points.
//
// Measured (tests, CPU float64): the drift agrees with the drift computed
// from the whole (i, j) bridge mixture to 2e-14; 40000 sampled pairs pass
// a chi-square test against the dense plan (36.4 for 34 degrees of
// freedom); simulated from the source points, the law at t = 1/2 and
// t = 1 is within the Monte-Carlo floor of the static bridge's (SW_2 0.048
// vs floor 0.047 at t = 1/2, 64 steps, 1000 particles), and the mean
// distance of the end points to the nearest target atom falls from 0.041
// (4 steps) to 0.010 (64 steps).
//
// # Momentum and Fisher transport
//
// SimSettings.Transport replaces Simulate's Euler step along the drift by
// FastSB-OT's momentum transport (a velocity v <- beta v + (1 - beta) u,
// Polyak's heavy ball) or by a natural-gradient step (the drift
// preconditioned by the covariance of the particles, the inverse Fisher
// information of their Gaussian fit; Amari 1998); SimSettings.PathEnergy
// reports the discrete kinetic energy of the path. See Transport and
// RESULTS.md: neither helps consistently, so the drift stays the default.
//
// # Coarse-to-fine solve
//
// NewMultiscale solves the static plan on subsampled clouds, extends the
// potentials by c-transforms and warm-starts the full solve (FastSB-OT's
// HierarchicalBridge in point counts; Schmitzer 2019). Same bridge to the
// tolerance; not faster than New's eps-scaling on the toy sets
// (RESULTS.md).
//
// # Sinkhorn-corrected diffusion sampling
//
// SampleCorrected runs a diffusion sampler of package diffusion and, at
// chosen times t, moves the batch part of the way towards a reference
// sample of q(x_t) (the data pushed through the forward process): a few
// Sinkhorn iterations between the batch and the reference, then the
// barycentric relaxation x <- (1 - lambda) x + lambda T(x). Its effect is
// measured, not assumed: see SampleCorrected, the tests and RESULTS.md.
//
// # MMD-adaptive time steps
//
// MMDTimes returns a sampler time grid whose steps are spaced evenly in
// the MMD between consecutive forward marginals of the data (SBDS's
// MMD-adaptive steps); measured against the default grids in RESULTS.md.
//
// # References
//
//   - H. Follmer 1988, Random fields and diffusion processes. Ecole d'Ete
//     de Probabilites de Saint-Flour XV-XVII, LNM 1362.
//   - C. Leonard 2014, A survey of the Schrodinger problem and some of its
//     connections with optimal transport. DCDS-A 34(4).
//   - V. De Bortoli, J. Thornton, J. Heng, A. Doucet 2021, Diffusion
//     Schrodinger bridge with applications to score-based generative
//     modeling. NeurIPS.
//   - B. T. Polyak 1964, Some methods of speeding up the convergence of
//     iteration methods. USSR Comp. Math. Math. Phys. 4(5).
//   - S. Amari 1998, Natural gradient works efficiently in learning. Neural
//     Computation 10(2).
//   - A.-A. Pooladian, J. Niles-Weed 2021, Entropic estimation of optimal
//     transport maps. arXiv:2109.12004.
//   - A.-A. Pooladian, J. Niles-Weed 2024, Plug-in estimation of
//     Schrodinger bridges. arXiv:2408.11686.
package bridge
