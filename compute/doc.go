// Package compute is otplay's kernel registry: the Backend interface every
// solver is written against, its CPU implementations, and shared
// validation.
//
// The ops are few and fused in the manner of KeOps (Charlier et al.,
// "Kernel Operations on the GPU, with Autodiff, without Memory Overflows",
// JMLR 2021): reductions over all pairs (i, j) whose cost |x_i - y_j|^2 is
// computed on the fly and never stored. SoftMin is the log-sum-exp
// reduction at the heart of log-domain Sinkhorn; SoftMean is its
// weighted-mean twin (barycentric projection, entropic map, empirical
// denoiser, bridge drift), and SoftMeanY its form with the values c Y, an
// image of the columns themselves, which the library's callers run: the
// exact denoiser (Y = alpha x the data, c = 1/alpha), the entropic maps
// and the bridge drift (c = 1); the GPU's d = 4 to 16 kernels then read Y
// once for the cost and the values (from d = 10 only from N = 3e4 rows),
// the CPU backends compute SoftMean of
// V = Y and scale it.
// Around them: element-wise Map, Sum, small
// MatMul, GatherSum, SortRows and a counter-based RNG (Philox4x32-10) whose
// stream is identical on every backend.
//
// The ground cost of a reduction is Pairs.Cost (cost.go): |x_i - y_j|^2 by
// default (the fused, tiled fast paths), |x_i - y_j|_2^P for P in (0, 16]
// (P = 1 is POT's ot.dist(x, y, 'euclidean'), the norm, not squared), or a
// dense N x M matrix on the backend (POT's M). The other costs run a plain
// loop per row on every backend: the float64 plain loop on the CPU
// backends (NewCPU and NewCPUFast included), softmin_cost.wgsl and softmean_cost.wgsl on the
// GPU; EvalPlanCost is EvalPlan for any cost. Cost.Differences asks for
// |x_i - y_j|^2 summed from the coordinate differences rather than the
// expanded form (exact on the diagonal in float32, where the expansion
// rounds every pair by Epsilon times the squared diameter): the GPU runs
// the cost kernels for it, the CPU fast kernels below d = 16 (they sum
// the differences already).
//
// Precision (precision.go) holds what a backend's arithmetic resolves,
// derived from Info: machine epsilon, the scale where exp(-C/eps)
// underflows, and the floor Epsilon max C / eps that rounding puts under
// any marginal error of an entropic plan; EvalPlan measures a plan given
// by its potentials in float64 on the host, the check solvers use to say
// Converged.
//
// The CPU backends (type CPU), named as `--backend` names them:
//   - "cpu" (NewCPU): float64, SoftMin and SoftMean on fast kernels
//     (cpu64.go): a table-driven exp to 1 ulp (a four-lane one on the
//     vector loops), two passes per row over a cached row of logits (one
//     pass at d = 2 in assembly), four rows per pass, rows and columns in k-d order with
//     column blocks skipped where every term is below e^-60 of the row's
//     largest. Same numbers as cpuref to a few ulps; plans equal to POT's
//     sinkhorn_log to 1e-12.
//   - "cpuref" (NewCPURef): float64, every kernel the plain loop its doc
//     comment states; the reference of the conformance suite and of the
//     fast paths' tests.
//   - "cpu32" (NewCPUFast): float32 grade, the GPU's tolerances: a float32
//     AVX2 soft-min for d = 2 on the vector loops, elsewhere cpu's loops
//     with a shorter exp and terms below e^-40 skipped.
//
// The vector loops need no build flag: AVX2 and FMA assembly generated
// with avo (cpuasm_amd64.s, cpuasm.go; `go generate ./compute`), chosen at
// run time where the CPU has both; archsimd twins in the GOEXPERIMENT=simd
// build (cpusimd_amd64.go, cpuhd_amd64.go), which the Makefile sets; pure
// Go everywhere else (arm64, wasm, amd64 without AVX2). OTPLAY_CPU_LOOPS=
// go, simd or asm picks one (Info().API names the loops in use).
//
// From d = 16, cpu and cpu32 store the cost matrix of a pair of clouds on
// its second reduction, within a memory budget (an eighth of the memory, 256 MiB to 8 GiB;
// OTPLAY_CPU_COST_CACHE_MIB or CPU.SetCostCacheBytes; 0 turns it off), and read the logits from it afterwards, as POT streams its M: on
// cpu the same bits as the fused loops, which recompute d multiply-adds
// per pair; cpu32 stores float32 (costcache.go). Entries are keyed on the Arrays and their write
// versions, so a write or Free drops them; past the budget, and for
// Arrays handed out by Data, the fused loops run. CPU.CostCacheStats and
// Info().Notes say which path ran.
//
// Special values agree on the three: where a column bias logw_j +
// g_j/eps is +Inf or NaN, or a coordinate is not finite, cpu and cpu32
// take the plain loops (cpu.go, allFinite): a +Inf bias makes every
// row's sum +Inf, so the soft-min -Inf and the soft-mean the plain mean
// of those columns' values; an infinite coordinate is a cost of +Inf;
// NaN gives NaN (TestInfinitePotential, TestNaNPotential,
// TestNonFinitePoints). The GPU backend gives the same: its fast kernels
// leave such rows NaN or infinite, and every squared-Euclidean SoftMin
// and SoftMean computes those rows again with these loops (in the merge
// of a split soft-min, else in exact_rows.wgsl after the call;
// compute/webgpu's "Special values", TestSpecialValues). Other ground
// costs on the GPU still give NaN for a +Inf bias. The conformance suite
// checks every backend on these values (conformance.SpecialCases).
//
// All use every core (GOMAXPROCS goroutines over rows; the fast soft-min
// and soft-mean hand rows out 64 at a time as cores free up). The fast kernels
// handle the squared Euclidean cost; the dispatch is at the top of
// CPU.SoftMin and CPU.SoftMean in cpu.go, where any other cost goes to the
// plain loops. Speed on a 2-core VM against POT: the README's "CPU"
// section and BenchmarkSinkhornIterationCPU.
//
// The GPU implementation lives in compute/webgpu; compute/remote drives
// the backend of an otplay server from a page over HTTP; the conformance suite
// that checks any Backend against this package's CPU reference lives in
// compute/conformance.
package compute
