// Package compute is otplay's kernel registry: the Backend interface every
// solver is written against, its float64 CPU implementation (the
// reference), and shared validation.
//
// The ops are few and fused in the manner of KeOps (Charlier et al.,
// "Kernel Operations on the GPU, with Autodiff, without Memory Overflows",
// JMLR 2021): reductions over all pairs (i, j) whose cost |x_i - y_j|^2 is
// computed on the fly and never stored. SoftMin is the log-sum-exp
// reduction at the heart of log-domain Sinkhorn; SoftMean is its
// weighted-mean twin (barycentric projection, entropic map, empirical
// denoiser, bridge drift). Around them: element-wise Map, Sum, small
// MatMul, GatherSum, SortRows and a counter-based RNG (Philox4x32-10) whose
// stream is identical on every backend.
//
// The ground cost of a reduction is Pairs.Cost (cost.go): |x_i - y_j|^2 by
// default (the fused, tiled fast paths), |x_i - y_j|_2^P for P in (0, 16]
// (P = 1 is POT's ot.dist(x, y, 'euclidean'), the norm, not squared), or a
// dense N x M matrix on the backend (POT's M). The other costs run a plain
// loop per row on every backend: the float64 reference on the CPU backends
// (NewCPUFast included), softmin_cost.wgsl and softmean_cost.wgsl on the
// GPU; EvalPlanCost is EvalPlan for any cost.
//
// Precision (precision.go) holds what a backend's arithmetic resolves,
// derived from Info: machine epsilon, the scale where exp(-C/eps)
// underflows, and the floor Epsilon max C / eps that rounding puts under
// any marginal error of an entropic plan; EvalPlan measures a plan given
// by its potentials in float64 on the host, the check solvers use to say
// Converged.
//
// The GPU implementation lives in compute/webgpu; compute/remote drives
// the backend of an otplay server from a page over HTTP; the conformance suite
// that checks any Backend against this package's CPU reference lives in
// compute/conformance.
package compute
