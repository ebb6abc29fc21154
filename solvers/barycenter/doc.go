// Package barycenter computes Wasserstein barycenters: the measure b that
// minimises sum_k w_k OT(a_k, b) for input measures a_1..a_K and weights
// w on the simplex. Four methods, each the same computation as a function
// of POT 0.8.2 so a POT user gets the same numbers (tests compare with
// POT to 1e-6 in float64, testdata/make_ref.py):
//
//	Entropic                 histograms on a shared support (cost matrix or
//	                         points), iterative Bregman projections (Benamou,
//	                         Carlier, Cuturi, Nenna and Peyre 2015, "Iterative
//	                         Bregman projections for regularized transportation
//	                         problems", SIAM J. Sci. Comput.; its barycenter
//	                         problem), in the log domain: POT's ot.bregman.barycenter(...,
//	                         method="sinkhorn_log").
//	Debiased                 the same with the debiasing potential of Janati,
//	                         Cuturi and Gramfort 2020 ("Debiased Sinkhorn
//	                         barycenters", ICML, Algorithm 1, log domain): POT's
//	                         barycenter_debiased(..., method="sinkhorn_log").
//	                         Entropic blur is removed: the barycenter of one
//	                         measure is (close to) the measure.
//	EntropicOn, DebiasedOn   the same two on a compute.Backend (the GPU) when
//	                         the support is points: the fused soft-min.
//	Convolutional            images on a regular H x W grid (Solomon, de Goes,
//	(ConvolutionalDebiased)  Peyre, Cuturi, Butscher, Nguyen, Du and Guibas 2015,
//	                         "Convolutional Wasserstein Distances", SIGGRAPH,
//	                         Algorithm 2), the Gibbs kernel applied as two 1-D
//	                         convolutions on a compute.Backend (the grid tier of
//	                         solvers/kernel, kernel.GridConvolver), so it runs on
//	                         the GPU: POT's convolutional_barycenter2d(...,
//	                         method="sinkhorn_log") and its debiased twin.
//	FreeSupport              point clouds, the support moves (Cuturi and Doucet
//	(FreeSupportEntropic)    2014, "Fast computation of Wasserstein barycenters",
//	                         ICML, Algorithm 2; Alvarez-Esteban et al.
//	                         2016's fixed point): each point moves to the
//	                         weighted barycentric projection of exact plans
//	                         (solvers/exact, POT's ot.lp.free_support_barycenter)
//	                         or of entropic plans (solvers/ot, on a Backend).
//
// # Conventions
//
// Costs are |x - y|^2 unless a matrix is given. Eps is POT's reg: the
// Gibbs kernel is exp(-C/eps). On grids the pixels of each axis sit at
// linspace(0, 1, n), as in POT, so pixel (i, j) is at (i/(H-1), j/(W-1)).
// The iteration, its stopping test and the iterations at which it is
// checked are POT's: Result.Err is POT's err, sum over the support of the
// standard deviation over k of the k-th plan's second marginal, checked
// every 10 iterations; Tol is POT's stopThr.
//
// # Honesty
//
// Result.MarginalError is measured in float64 on the host: the largest
// over k of |P_k^T 1 - b|_1 (the first marginals P_k 1 = a_k hold by
// construction). Converged says Err <= Tol. Eps below what the backend's
// precision resolves (machine epsilon max C / eps > 1) is refused with
// ErrPrecision; NaN, negative or mismatched inputs, and weights that do
// not sum to 1, are refused with ErrBadInput, before any work.
//
// # Speed
//
// Histogram barycenters with a cost matrix run on the host in float64,
// O(K n^2) per iteration; with support points (EntropicOn, DebiasedOn)
// on a Backend through the fused soft-min, O(n d) memory: three
// histograms on 2000 points, 50 iterations, took 6.0 s on lavapipe and
// 58 s on the float64 CPU backend (2-core VM under load). Convolutional ones cost O(K H W (H + W)) per
// iteration on the backend, and the debiased variant 10 more convolutions
// per iteration (POT's inner loop). Free support costs one exact OT (the network simplex of solvers/exact)
// or one Sinkhorn per cloud per iteration.
package barycenter
