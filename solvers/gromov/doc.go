// Package gromov computes entropic Gromov-Wasserstein (GW) couplings
// between two metric measure spaces given by their intra-set cost
// matrices, so the two clouds may live in spaces of different dimensions
// (or have no coordinates at all).
//
// The problem (Peyre, Cuturi and Solomon 2016, "Gromov-Wasserstein
// averaging of kernel and distance matrices", ICML, eq. (2) with the
// square loss L(a, b) = |a - b|^2) is
//
//	min_T  sum_{i,j,k,l} L(C1_ik, C2_jl) T_ij T_kl - eps H(T)
//
// over couplings T of (a, b). Solve runs the projected-gradient iteration
// of their Alg. 1 (sec. 2.3): each outer step is one entropic OT solve,
// T <- Sinkhorn(a, b, 2 L(C1, C2) (x) T, eps), on the linearised cost
// whose tensor product Prop. 1 (eq. (6)) computes in O(N^2 M + N M^2)
// instead of O(N^2 M^2):
//
//	L(C1, C2) (x) T = c1 a 1^T + 1 b^T c2^T - C1 T (2 C2)^T,
//	c1 = C1 .^ 2,  c2 = C2 .^ 2,
//
// (the factor 2 of the gradient is Prop. 2's, missing in the paper and
// restored in POT's gwggrad). The Sinkhorn solves are package ot's on a
// dense cost matrix (ot.Problem.Cost), so the inner solves run on any
// compute.Backend; the tensor products run on the host in float64.
//
// Solve reproduces POT 0.8.2's ot.gromov.entropic_gromov_wasserstein
// (loss_fun='square_loss'): initial coupling T = a b^T, the outer loop
// stopping once ||T - T_prev||_F <= Tol, tested every 10th outer
// iteration only (as POT does), at most MaxIter outer iterations
// (POT's defaults: 1000 and 1e-9), and Result.Objective is POT's gw_dist
// (entropic_gromov_wasserstein2): sum_{ijkl} L(C1_ik, C2_jl) T_ij T_kl
// at the final coupling, without the entropy. POT's inner solve is
// ot.sinkhorn (sinkhorn_knopp, stopping at a 1e-9 marginal error or 1000
// iterations); here each inner solve runs to Settings.Inner's tolerance
// (default 1e-10, float64 marginal error) and is warm-started from the
// previous outer step's potentials. The tests match POT to 1e-6 on the
// CPU on the cases of testdata/gen_pot_gromov.py.
//
// SquaredEuclidean gives the default intra-set costs C_ik = |x_i - x_k|^2.
// GW is invariant under isometries of either space (rotating or
// translating one cloud leaves the costs, hence T and the objective,
// unchanged); the problem is not convex, so the iteration finds a
// stationary point, from T = a b^T as POT does.
package gromov
