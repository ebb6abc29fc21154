// Package kernel solves balanced entropic optimal transport at scales where
// the exact solver is too slow, by choosing how the Gibbs kernel
// K = exp(-C/eps), C_ij = |x_i - y_j|^2, is applied. Four tiers:
//
//	full     log-domain Sinkhorn with the fused soft-min (compute.Backend
//	         SoftMin): exact, any eps, O(n m d) per iteration, O(n + m)
//	         memory (the kernel is never stored).
//	rff      positive random features (Scetbon and Cuturi 2020, "Linear
//	         Time Sinkhorn Divergences using Positive Features", Lemma 1):
//	         K ~ Phi_x Phi_y^T with r positive features, O((n + m) r).
//	nystrom  landmarks (Altschuler, Bach, Rudi and Niles-Weed 2019,
//	         "Massively scalable Sinkhorn distances via the Nystrom
//	         method"): K ~ K_xl K_ll^+ K_ly, O((n + m) s).
//	grid     convolutional Sinkhorn (Solomon et al. 2015, "Convolutional
//	         Wasserstein Distances", Algorithm 1) for two histograms on one
//	         regular grid: the kernel is separable, applied along rows and
//	         then columns, O(H W (H + W)), in the log domain (see gridConv).
//
// The mathematics is DESIGN.md's: the plan of min <P, C> + eps KL(P | a x
// b), POT's sinkhorn_log; Result reports the cost <P, C>, the dual
// objective <a, F> + <b, G>, the marginal error |P1 - a|_1 + |P^T 1 - b|_1,
// iterations, convergence, time, the tier, why it was chosen, and, for the
// approximate tiers, an error estimate of the kernel (relative RMS error
// on 512 random pairs) and the rank.
//
// # Choosing
//
// Choose(n, m, d, eps, mem) is the policy (see its doc for the
// thresholds and the measurements behind them): exact while n m <= 2^26
// pairs per iteration; above, Nystrom when eps/d >= 0.3 (at otplay's unit
// data scale), positive features when eps/d >= 0.1 and d <= 3, provided
// the factors fit in memory; otherwise full with the reason. Solve with
// Auto falls back Nystrom -> RFF -> full when a tier reports ErrUnstable.
// ChooseGrid does the same for histograms. Settings.Tier overrides the
// choice; Result.Reason records it and any fallback.
//
// # Safe ranges
//
// rff and nystrom iterate in scaling form (u = a / K~ v), not in the log
// domain: they are meant for large eps (the regime where the kernel is
// low-rank). When the kernel underflows (eps too small) or a Nystrom
// kernel sum is not positive, Solve returns ErrUnstable before iterating,
// or at the first check, never NaN. The grid tier's convolution floors the
// kernel at exp(-690) (float64) or exp(-69) (float32) relative to each
// row's largest term: exact while diam^2/eps stays below those, where diam
// is the grid's extent (1.41 for the default unit square).
//
// # Convergence
//
// A Result's MarginalError, which alone decides Converged, is measured in
// float64 on the host where affordable: the full tier evaluates the plan
// of (F, G) pair by pair up to HostCheckPairs; rff and nystrom read the
// backend's own factors back (up to HostFactorFloats) and recompute the
// marginals of diag(u) Phi_x Phi_y^T diag(v), and measure ErrorEstimate on
// those factors, rounding included (on float32 backends Nystrom's features
// have both signs and grow like lambda^(-1/2), so they cancel: measured on
// lavapipe, moons:200 vs 8gaussians:200 at eps = 0.3 stops at a marginal
// error of 1.8e-6 against a rounding floor of 2.3e-5). Check says how it
// was measured, PrecisionFloor what rounding allows, and Status, in words,
// whether it converged and what to do if not. A negative Tol never stops
// early.
//
// # Where it runs
//
// Everything iterative runs on the compute.Backend: soft-mins, MatMuls
// and Maps, with a scalar read every CheckEvery iterations. The host does
// the O(r d) or O(s^3) set-up (random features, the landmark kernel's
// eigendecomposition with gonum) and the error estimate.
//
// # Landmarks
//
// The nystrom tier draws its landmarks uniformly. SelectLandmarks offers
// ridge-leverage sampling as well (LeverageScores, Musco and Musco 2017)
// and NystromError measures the Frobenius and spectral errors of either
// choice at equal rank. Measured (RESULTS.md): leverage landmarks lower the
// error once the rank nears the kernel's effective dimension and raise it
// at small ranks on separated clusters, so the tier keeps uniform
// landmarks. HilbertDivergence is the Sinkhorn divergence with the RKHS
// cost 2 - 2 k(x, y) through random Fourier features (RFFEmbed), and
// RFFScore the score of a kernel density estimate through the same
// features.
package kernel
