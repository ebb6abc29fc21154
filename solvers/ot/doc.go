// Package ot solves entropic optimal transport between point clouds on a
// compute.Backend: balanced (Sinkhorn), unbalanced (KL marginal
// penalties), partial (a given total mass), the debiased Sinkhorn
// divergence with its gradient, and the entropic map estimator. Every
// iteration runs on the backend (the GPU when there is one); the N x M
// plan is never stored, nor the cost, except by the CPU backends from
// d = 16 within their memory budget (compute/costcache.go: the same
// numbers, faster).
//
// # Problem and conventions
//
// A Problem holds N points X and M points Y in dimension D (row-major)
// with weights A and B (nil: uniform). The cost is C_ij = |x_i - y_j|^2
// (no 1/2). The entropic problem is POT's:
//
//	OT_eps(a, b) = min_P <P, C> + eps KL(P | a x b)  over couplings of (a, b)
//
// whose solution is P_ij = a_i b_j exp((F_i + G_j - C_ij)/eps) for dual
// potentials F, G (GeomLoss's convention; at convergence
// OT_eps = <a, F> + <b, G>). The same plan formula holds for every method;
// Result.F and Result.G are always in this convention. Sinkhorn gives the
// plan of POT's ot.sinkhorn(a, b, C, reg=eps, method="sinkhorn_log");
// Unbalanced that of ot.sinkhorn_unbalanced(a, b, C, reg=eps, reg_m=tau)
// (Settings.TauA and TauB separately: current POT's reg_m pair; with
// Settings.UnbalancedReg = RegKL, current POT's default reg_type="kl",
// the entropic term eps KL(P | a x b) instead of POT 0.8.2's entropy);
// Partial that of ot.partial.entropic_partial_wasserstein(a, b, C, reg=eps,
// m=m). The tests check all three against POT 0.8.2 to 1e-7 (measured:
// 1e-13 .. 6e-13 relative to the largest plan entry).
//
// # Other ground costs
//
// Problem.P selects C_ij = |x_i - y_j|_2^P (P in (0, 16]; 0 and 2 are the
// default): P = 1 is POT's ot.dist(x, y, metric='euclidean') (the norm,
// not squared), any other P is ot.dist(x, y, 'euclidean')**P (POT's
// 'minkowski' metric, the l_p norm of x - y, is a different cost).
// Problem.Cost gives a dense N x M cost matrix instead of the points
// (POT's M, at most MaxCostMatrix = 4e6 entries). Sinkhorn, Unbalanced
// and Partial take either, with the plans of the same POT functions given
// that M: checked against POT 0.8.2 to 1e-9 on the CPU backend (measured
// 4e-16 .. 1.2e-13 relative to the largest plan entry) and to 20 times the
// float32 floor on the GPU (lavapipe) and cpu32 (measured 1e-7 .. 2e-6).
// The precision floor and eps-scaling use the cost's own scale: max |C_ij|
// for a matrix, diameter^P for the points. Eps is in units of the cost.
// The float64 host check evaluates the same cost. Divergence, Transport,
// PotentialsAt and EntropicMap are defined through the points: they
// refuse a cost matrix, and Divergence refuses P != 2 (its gradient
// formula is that of |x - y|^2). Plans of other costs (PlanDense,
// PlanTopK) are evaluated on the host in float64.
//
// # One call
//
//	r, err := ot.Sinkhorn(backend, ot.Problem{X: x, Y: y, N: n, M: m, D: 2},
//		ot.Settings{Eps: 0.01})
//	// r.Cost = <P, C>, r.Objective = OT_eps, r.MarginalError,
//	// r.Iterations, r.Converged, r.Time, r.Errors (history)
//	tx, err := r.Transport(backend, xnew)     // entropic map at new points
//	f, g, err := r.PotentialsOnGrid(backend, ot.Grid{...}) // heatmaps
//	idx, val, err := r.PlanTopK(backend, 5)   // 5 largest entries per row
//	P, err := r.PlanDense(backend)            // only when N*M <= MaxDense
//
// Settings' zero value means the documented defaults (Eps 0.01, MaxIter
// 1000, Tol 1e-6, a check every 10 iterations, no eps-scaling,
// alternating updates, zero warm start, balanced, full mass).
//
// # Iterations
//
// Log-domain Sinkhorn (Peyre and Cuturi 2019, Computational Optimal
// Transport, eq. (4.43)) alternates the two soft-min (c-transform)
// half-steps, each one Backend.SoftMin over all pairs:
//
//	F_i <- -eps log sum_j b_j exp((G_j - C_ij)/eps)
//	G_j <- -eps log sum_i a_i exp((F_i - C_ij)/eps)
//
// Settings.Symmetric uses GeomLoss's averaged update instead (Feydy et al.
// 2019, eq. (19)); Settings.Scaling anneals eps from the squared diameter
// of the data down to Eps, one iteration per stage (GeomLoss's
// eps-scaling), or with Settings.StageTol each stage iterated to that
// residual (Schmitzer 2019), which reaches small eps in float64: at
// eps = 1e-5 on moons:200 vs 8gaussians:200, converged in 4018 iterations
// to the exact cost within 2e-8. Unbalanced multiplies each half-step by tau/(tau+eps)
// (Chizat et al. 2018); Partial alternates three KL projections with
// Dykstra's corrections (Benamou et al. 2015). The formulas are in the doc
// comments of the step functions.
//
// Every Settings.CheckEvery iterations the solver computes a residual on
// the device and reads back one number: for Balanced the L1 marginal
// error |P 1 - a|_1 + |P^T 1 - b|_1 of the current plan, for Unbalanced
// and Partial the relative change of the scalings over one iteration.
// That number only decides when to look closer: A NaN or infinite residual
// stops with ErrNumerical.
//
// # Convergence that means something
//
// The device's residual compares values computed by the same rounded
// arithmetic: at a fixed point of a float32 iteration it reads exactly 0
// whatever the true error (measured: 0 on the GPU and the fast CPU path
// for moons:200 vs 8gaussians:200 at eps = 0.1, where the plan's float64
// marginal error is 2.7e-6 and 4.7e-7). So when it meets Tol, and again in
// Result, the plan the potentials define is measured in float64 on the
// host (compute.EvalPlan): every pair up to HostCheckPairs (2^22) pairs,
// else a seeded uniform sample of rows and columns whose estimate plus 3
// standard errors is the bound (Result.Check says which). Result.Residual
// is that measurement (the marginal error; for Unbalanced the distance to
// the marginals the KL penalties ask for at the potentials; for Partial
// the constraint violation) and Converged is Result.ResidualBound <= Tol.
// When the device claims Tol and float64 disagrees without progress the
// Solver is Stalled and stops. Up to HostCheckPairs the cost and objective
// are also computed in float64 from the same pass (the device's expanded
// |x - o|^2 - 2 (x - o).E[y - o] + E|y - o|^2 cancels in float32 for
// concentrated plans).
//
// Every Result carries its backend's precision, MaxCost (the squared
// diameter of the data) and PrecisionFloor = machine epsilon MaxCost /
// eps, the relative error rounding puts on each plan entry
// (compute.Precision), and a Status sentence: converged, or not and why
// (out of iterations, or held up by rounding) with what to do. Where the
// floor exceeds 1 (eps = 1e-20 on unit data in float64; eps below about
// 3e-6 on unit data in float32; any eps below 1.5e6 for float32 clouds at
// scale 1e6) the plan would be noise and every solver refuses with
// ErrPrecision, naming the smallest eps that works, the float64 backend,
// and the exact solver (the entropic plan at such an eps is the exact
// plan). Coordinates whose squared distances overflow float64 are refused.
// A negative Tol (NeverStop) runs every iteration and judges Converged
// against -Tol. The coordinates are centred on their joint mean before
// upload, so float32 rounds them relative to the data's spread.
//
// # Stepping (for the browser UI)
//
// A Solver exposes the iterations one at a time, so a page can animate
// Sinkhorn:
//
//	sv, err := ot.NewSolver(backend, problem, settings) // uploads once
//	defer sv.Close()                                    // frees the device arrays
//	for !sv.Converged() && sv.Iterations() < limit {
//		if err := sv.Step(1); err != nil { ... }      // one iteration on the device
//		f, g, _ := sv.Potentials()                    // read back (N + M floats)
//		res, iters := sv.Errors()                     // residual history so far
//		...draw...
//	}
//	r, err := sv.Result()                               // cost, objective, ... of the current state
//
// NewSolver picks the method from the settings (Mass > 0: partial; finite
// TauA or TauB: unbalanced; else balanced). Step(k) always advances k
// iterations (it does not stop at convergence: the caller decides);
// residual checks happen at multiples of CheckEvery (set CheckEvery = 1
// for a chart point per iteration, at the cost of one readback each). Eps
// reports the eps of the next iteration while eps-scaling. Potentials and
// Result may be called at any time; a Result is independent of the
// Solver and outlives Close. A Solver is not safe for concurrent use.
//
// # Outputs without the plan
//
// The plan is rebuilt from (F, G) where needed: Barycentric and Transport
// are one Backend.SoftMean each (the entropic map of Pooladian and
// Niles-Weed 2021, eq. (3)); PotentialsAt and PotentialsOnGrid one
// SoftMin each (the c-transforms); the cost <P, C> is a SoftMean of
// [y, |y|^2]. PlanDense and PlanTopK compute blocks of rows of P with one
// Backend.MatMul and two Maps each (at most 2^22 entries per block),
// PlanTopK reducing each block to its k largest entries per row on the
// host, so its memory is O(N k) whatever N*M.
//
// # Sinkhorn divergence
//
// Divergence returns S = OT_eps(a, b) - (OT_eps(a, a) + OT_eps(b, b))/2
// (Feydy et al. 2019) and dS/dX = 2 a_i (T_aa(x_i) - T_ab(x_i)), for
// gradient flows and for training maps; DivergenceDetail adds the three
// Results and a Converged flag.
//
// # Gradients
//
// ObjectiveGradient (of OT_eps) and DivergenceResult.Gradient (of S) give
// the gradient with respect to X, Y (envelope theorem) and to the weights
// A, B (the potentials minus their means, POT's emd2 convention), for the
// cost |x - y|^2; the tests check them against central finite
// differences in float64.
//
// # Richardson extrapolation in eps
//
// Richardson solves at eps and at eps/2 (warm-started) and returns
// 2 X(eps/2) - X(eps) for the transport cost, the plan and the entropic
// map: an O(eps^2) bias instead of O(eps) where they are smooth in eps
// (measured on the Gaussian closed form, RESULTS.md), not for the
// objective OT_eps (an eps log eps term).
//
// # Bad input
//
// Every error about input wraps ErrBadInput and names the argument: empty
// clouds, mismatched lengths, NaN or infinite coordinates, non-positive
// weights (refused, never dropped), unequal total masses in a balanced
// problem (refused, never rescaled), eps <= 0, tau <= 0, a mass outside
// (0, min(|a|, |b|)], warm starts of the wrong length, a dense plan above
// MaxDense entries. Nothing is written to outputs before validation.
//
// # References
//
//   - M. Cuturi 2013, Sinkhorn distances: lightspeed computation of optimal
//     transport. NeurIPS.
//   - G. Peyre, M. Cuturi 2019, Computational Optimal Transport. Found.
//     Trends ML 11(5-6).
//   - J. Feydy, T. Sejourne, F.-X. Vialard, S. Amari, A. Trouve, G. Peyre
//     2019, Interpolating between optimal transport and MMD using Sinkhorn
//     divergences. AISTATS.
//   - L. Chizat, G. Peyre, B. Schmitzer, F.-X. Vialard 2018, Scaling
//     algorithms for unbalanced optimal transport problems. Math. Comp.
//   - J.-D. Benamou, G. Carlier, M. Cuturi, L. Nenna, G. Peyre 2015,
//     Iterative Bregman projections for regularized transportation
//     problems. SIAM J. Sci. Comput. 37(2).
//   - A.-A. Pooladian, J. Niles-Weed 2021, Entropic estimation of optimal
//     transport maps. arXiv:2109.12004.
//   - H. Janati, B. Muzellec, G. Peyre, M. Cuturi 2020, Entropic optimal
//     transport between unbalanced Gaussian measures has a closed form.
//     NeurIPS (the closed form the tests use).
package ot
