package diffusion

import (
	"math"

	"github.com/otplay/otplay/compute"
)

// Defaults of HierarchicalSettings: the seed's (ATLAS, KernelConfig and
// SamplerConfig of atlas/config).
const (
	// DefaultHierarchicalBandwidth is the kernel bandwidth epsilon
	// (KernelConfig.epsilon = 0.01), in data units.
	DefaultHierarchicalBandwidth = 0.01
	// DefaultHierarchicalIterations bounds the Sinkhorn iterations per step
	// (SamplerConfig.sb_iterations = 20).
	DefaultHierarchicalIterations = 20
	// DefaultHierarchicalTol stops the iterations when max_i |f_i -
	// f_i^prev| < tol (SamplerConfig.error_tolerance = 1e-4).
	DefaultHierarchicalTol = 1e-4
	// HierarchicalMarginalLimit is the largest marginal error max_i |f_i
	// (K g)_i - 1| accepted after the iterations; above it the step fails,
	// as the seed raises "Marginal constraint violated"
	// (SamplerConfig.marginal_constraint_threshold = 1e-2).
	HierarchicalMarginalLimit = 1e-2
)

// The seed's clamps: f = 1/clamp(K g, 1e-8, 1e8), and the map's weights
// f_j g_j clamped to [1e-10, 1e6] (schrodinger_bridge.py,
// sinkhorn_iterative and _construct_transport_map).
const (
	hierKvMin, hierKvMax = 1e-8, 1e8
	hierWMin, hierWMax   = 1e-10, 1e6
)

// HierarchicalSettings configure the ATLAS smoothing (Settings.Hierarchical).
// The zero value with On set is the seed's default.
type HierarchicalSettings struct {
	// On applies the smoothing after every sampler step.
	On bool
	// Bandwidth is epsilon (default DefaultHierarchicalBandwidth): the
	// Gaussian kernel k(x, y) = exp(-|x - y|^2 / (2 sigma^2)) has sigma =
	// epsilon, or, unless ConstantBandwidth, the seed's adaptive
	// sigma(t) = max(epsilon/100, epsilon sqrt(max(1e-3, 1 - abar_t)))
	// (abar_t = alpha_t^2 at the step's start), with sigma =
	// max(epsilon/100, 1e-6) when abar_t > 0.99.
	Bandwidth float64
	// ConstantBandwidth turns off the adaptive rule (the seed's
	// adaptive_epsilon = False).
	ConstantBandwidth bool
	// Scales are the kernel's scale factors s_k: the kernel is the mean of
	// exp(-s_k^2 |x - y|^2 / (2 sigma^2)) over k. nil means the seed's
	// choice by batch size n and dimension d: one scale {1} for n <= 1000
	// (its direct operator) and for n > 10000 with d < 20 (its Nystrom
	// operator), the three scales {0.5, 1, 2} otherwise (its multi-scale
	// random-feature operator, KernelConfig.scale_factors). Every kernel is
	// evaluated exactly here (no random features, no landmarks).
	Scales []float64
	// Iterations bounds the Sinkhorn iterations (default
	// DefaultHierarchicalIterations); Tol is their stopping rule (default
	// DefaultHierarchicalTol).
	Iterations int
	Tol        float64
	// Barycentric weighs the map by g_j, the barycentric projection of the
	// plan diag(f) K diag(g), instead of the seed's f_j g_j (see
	// HierarchicalSmooth).
	Barycentric bool
	// Averaged replaces the seed's alternating iteration by the averaged
	// symmetric one, log u <- (log u - log K u) / 2 with f = g = u (see
	// HierarchicalSmooth): one kernel pass per iteration instead of two,
	// and it meets the marginal check where the alternating one, at the
	// same number of iterations, does not.
	Averaged bool
}

// HierarchicalStats reports one HierarchicalSmooth call.
type HierarchicalStats struct {
	Sigma      float64 // the kernel bandwidth used
	Iterations int     // Sinkhorn iterations run
	Marginal   float64 // max_i |f_i (K g)_i - 1| at the end
}

// hierScales returns the scale factors of set for n points in d dims.
func hierScales(set HierarchicalSettings, n, d int) []float64 {
	if set.Scales != nil {
		return set.Scales
	}
	if n <= 1000 || (n > 10000 && d < 20) {
		return []float64{1}
	}
	return []float64{0.5, 1, 2}
}

// validateHierarchical fills the defaults of set and checks them.
func validateHierarchical(set *HierarchicalSettings) error {
	if set.Bandwidth == 0 {
		set.Bandwidth = DefaultHierarchicalBandwidth
	}
	if set.Iterations == 0 {
		set.Iterations = DefaultHierarchicalIterations
	}
	if set.Tol == 0 {
		set.Tol = DefaultHierarchicalTol
	}
	switch {
	case !(set.Bandwidth > 0) || math.IsInf(set.Bandwidth, 0):
		return inputErr("hierarchical bandwidth = %v must be positive and finite", set.Bandwidth)
	case set.Iterations < 1 || set.Iterations > 10000:
		return inputErr("hierarchical iterations = %d outside [1, 10000]", set.Iterations)
	case !(set.Tol > 0) || math.IsInf(set.Tol, 0):
		return inputErr("hierarchical tolerance = %v must be positive and finite", set.Tol)
	case set.Scales != nil && len(set.Scales) == 0:
		return inputErr("hierarchical scales: empty list (nil means the default)")
	}
	for i, s := range set.Scales {
		if !(s > 0) || math.IsInf(s, 0) {
			return inputErr("hierarchical scales[%d] = %v must be positive and finite", i, s)
		}
	}
	return nil
}

// HierarchicalBandwidth returns the kernel bandwidth sigma of set at a step
// starting at time at (the seed's adaptive epsilon of solve_once).
func HierarchicalBandwidth(set HierarchicalSettings, at Time) float64 {
	eps := set.Bandwidth
	if eps == 0 {
		eps = DefaultHierarchicalBandwidth
	}
	if set.ConstantBandwidth {
		return eps
	}
	abar := min(max(at.Alpha*at.Alpha, 0), 1)
	if abar > 0.99 {
		return max(eps/100, 1e-6)
	}
	return max(eps/100, eps*math.Sqrt(max(1e-3, 1-abar)))
}

// HierarchicalSmooth is one Schrodinger-bridge smoothing of ATLAS's
// hierarchical sampler (the seed's AdvancedHierarchicalDiffusionSampler,
// TSOR666/OT-diffusion-toolkit ATLAS/atlas/solvers/hierarchical_sampler.py,
// whose every step is SchroedingerBridgeSolver.solve_once of
// atlas/solvers/schrodinger_bridge.py): given the batch x (n x d, the state
// at the step's start, time at) and the predictor's next state y (n x d),
// it writes to dst
//
//	dst_i = sum_j k(x_i, x_j) w_j y_j / sum_j k(x_i, x_j) w_j,
//	k(x, x') = mean_k exp(-s_k^2 |x - x'|^2 / (2 sigma^2)),   w_j = f_j g_j,
//
// where (f, g) are the scalings of the symmetric Sinkhorn problem on the
// batch with unit marginals (Sinkhorn 1967; Cuturi 2013, Alg. 1 with a = b
// = 1; the static Schrodinger bridge between the batch and itself with
// reference kernel k, De Bortoli et al. 2021, section 2), run from g = 1:
//
//	f = 1 / clamp(K g, 1e-8, 1e8),   g = 1 / clamp(K f, 1e-8, 1e8),
//
// for at most Iterations rounds, stopping when max_i |f_i - f_i^prev| <
// Tol; then max_i |f_i (K g)_i - 1| must be <= HierarchicalMarginalLimit
// (else an error, as the seed raises). w_j is clamped to [1e-10, 1e6]. The
// sum over scales is evaluated exactly: (K v)_i = mean_k exp(-SoftMin_k
// / eps_k) with eps_k = 2 sigma^2 / s_k^2 (Backend.SoftMin, the log domain),
// and the map is one Backend.SoftMean per scale mixed by each scale's
// normaliser. Work: 2 S soft-min passes per iteration and S (or 2 S for S
// > 1) passes for the map, S = len(scales); n floats read back per pass.
//
// Where this differs from the seed, and why:
//   - the seed first tries a conjugate-gradient solve of (I - K) f = 1
//     (use_linear_solver), which is not the Sinkhorn fixed point, and keeps
//     it only when its marginal error is below 1e-2; it falls back to the
//     iterations above otherwise. These iterations are run directly.
//   - the seed clamps the kernel's exponent at -50 (k >= e^-50); the kernel
//     here is exact (the two differ by at most n e^-50 relative).
//   - scales > 1 use the exact mixture where the seed uses random Fourier
//     features (2048 in all) or 100 Nystrom landmarks.
//
// Barycentric weighs by w_j = g_j instead: the barycentric projection
// sum_j P_ij y_j / sum_j P_ij of the plan P = diag(f) K diag(g) (f_i
// cancels), which the seed's f_j g_j is not.
//
// Averaged solves the same symmetric problem (its solution has f = g = u,
// u K u = 1) by the averaged fixed-point iteration of the symmetric
// entropic potential, log u <- (log u - log K u) / 2 from u = 1 (Feydy et
// al. 2019, "Interpolating between optimal transport and MMD using
// Sinkhorn divergences", section 3.1, in the multiplicative form): one
// kernel pass per iteration. The seed's alternating iteration converges
// slowly on this problem (f and g swap roles every half step): at eps =
// 0.1 on unit-scale 2-D batches of 300 its marginal error after 20
// iterations is 0.010-0.013, just above the limit, in every run of
// RESULTS.md, where the averaged one meets it.
//
// dst must not alias x or y. The arrays live on b; NaN or Inf in x is an
// error.
func HierarchicalSmooth(b compute.Backend, dst, x, y compute.Array, n, d int, at Time, set HierarchicalSettings) (HierarchicalStats, error) {
	var st HierarchicalStats
	if b == nil {
		return st, inputErr("hierarchical: nil backend")
	}
	if n < 1 || d < 1 {
		return st, inputErr("hierarchical: n = %d points in d = %d dims, want >= 1 each", n, d)
	}
	for _, a := range []struct {
		name string
		a    compute.Array
	}{{"dst", dst}, {"x", x}, {"y", y}} {
		if lenOf(a.a) != n*d {
			return st, inputErr("hierarchical: %s has %d elements, want n*d = %d*%d", a.name, lenOf(a.a), n, d)
		}
	}
	if dst == x || dst == y {
		return st, inputErr("hierarchical: dst must not alias x or y")
	}
	if err := validateHierarchical(&set); err != nil {
		return st, err
	}
	h, err := newHierScratch(b, n, d)
	if err != nil {
		return st, err
	}
	defer h.free()
	return h.smooth(dst, x, y, at, set)
}

// hierScratch is the device and host scratch of the smoothing.
type hierScratch struct {
	b             compute.Backend
	n, d          int
	logw, soft    compute.Array // n each
	coef          compute.Array // n
	part, partial compute.Array // n*d each (multi-scale map)
	host          []float64
	arrs          []compute.Array
	// cost is the ground cost of every pass: |x - y|^2, summed from the
	// coordinate differences where the backend's precision cannot resolve
	// the fused form (kernelCost).
	cost compute.Cost
}

func newHierScratch(b compute.Backend, n, d int) (*hierScratch, error) {
	h := &hierScratch{b: b, n: n, d: d, host: make([]float64, n)}
	for _, p := range []struct {
		dst  *compute.Array
		size int
	}{{&h.logw, n}, {&h.soft, n}, {&h.coef, n}, {&h.part, n * d}, {&h.partial, n * d}} {
		a, err := b.Alloc(p.size)
		if err != nil {
			h.free()
			return nil, err
		}
		*p.dst = a
		h.arrs = append(h.arrs, a)
	}
	return h, nil
}

func (h *hierScratch) free() {
	for _, a := range h.arrs {
		h.b.Free(a)
	}
	h.arrs = nil
}

// logKernelApply writes dst_i = log (K v)_i for v = exp(logv), K the
// scale mixture on the points x with eps_k = 2 sigma^2 / s_k^2, and keeps
// the per-scale terms log (K_k v)_i in perScale (S x n) when it is not nil.
func (h *hierScratch) logKernelApply(dst, logv []float64, x compute.Array, eps []float64, perScale [][]float64) error {
	if err := h.b.Write(h.logw, logv); err != nil {
		return err
	}
	p := compute.Pairs{X: x, Y: x, N: h.n, M: h.n, D: h.d, LogW: h.logw, Cost: h.cost}
	for i := range dst {
		dst[i] = math.Inf(-1)
	}
	terms := make([][]float64, len(eps))
	for k, e := range eps {
		p.Eps = e
		if err := h.b.SoftMin(h.soft, p); err != nil {
			return err
		}
		if err := h.b.Read(h.host, h.soft); err != nil {
			return err
		}
		t := perScaleRow(perScale, k, h.n)
		for i, v := range h.host {
			t[i] = -v / e
		}
		terms[k] = t
	}
	logS := math.Log(float64(len(eps)))
	for i := range dst {
		m := math.Inf(-1)
		for _, t := range terms {
			m = max(m, t[i])
		}
		if math.IsInf(m, -1) {
			continue
		}
		s := 0.0
		for _, t := range terms {
			s += math.Exp(t[i] - m)
		}
		dst[i] = m + math.Log(s) - logS
	}
	return nil
}

// kernelCost returns the cost of the smoothing's passes on b for the
// points pts (n x d) and the kernel's eps_k: the fused |x - y|^2 (the zero
// Cost) where b's precision resolves it to the marginal limit, i.e. its
// Floor Epsilon maxC / eps at the smallest eps_k (compute.Precision, maxC
// the batch's squared diameter) is at most HierarchicalMarginalLimit, and
// otherwise the same cost summed from the coordinate differences
// (compute.Cost.Differences). The fused form's exponents round by up to
// ~Floor nats, so above the limit rounding alone can fail the marginal
// check: at the seed's sigma = 1e-4 of the last steps (eps = 2e-8) on
// 8gaussians (maxC ~ 16) the Floor is ~150 and the check failed on the
// GPU at 1.8e11 (compute/webgpu TestSoftMinTinyEps measures 89.6 nats on
// such points). The differences round each pair relative to its own
// cost, so the near pairs that carry the kernel's weight keep their
// exponent (the diagonal is exact). float64 backends never need it
// (Floor ~ 1e-7 times the float32 one).
func kernelCost(b compute.Backend, pts []float64, d int, eps []float64) compute.Cost {
	smallest := math.Inf(1)
	for _, e := range eps {
		smallest = min(smallest, e)
	}
	maxC := compute.SquaredDiameter(pts, pts, d)
	if compute.PrecisionOf(b.Info()).Floor(maxC, smallest) <= HierarchicalMarginalLimit {
		return compute.Cost{}
	}
	return compute.Cost{Differences: true}
}

func perScaleRow(perScale [][]float64, k, n int) []float64 {
	if perScale != nil {
		return perScale[k]
	}
	return make([]float64, n)
}

func (h *hierScratch) smooth(dst, x, y compute.Array, at Time, set HierarchicalSettings) (HierarchicalStats, error) {
	n, d := h.n, h.d
	var st HierarchicalStats
	pts := make([]float64, n*d)
	if err := h.b.Read(pts, x); err != nil {
		return st, err
	}
	if err := compute.CheckFinite("hierarchical: x", pts); err != nil {
		return st, inputErr("%v", err)
	}
	st.Sigma = HierarchicalBandwidth(set, at)
	scales := hierScales(set, n, d)
	eps := make([]float64, len(scales))
	for k, s := range scales {
		eps[k] = 2 * st.Sigma * st.Sigma / (s * s)
	}
	h.cost = kernelCost(h.b, pts, d, eps)
	logf, logg := make([]float64, n), make([]float64, n)
	fprev := make([]float64, n)
	for i := range fprev {
		fprev[i] = 1 // the seed's f_iter = ones
	}
	lkv := make([]float64, n)
	clampLog := func(dst, lk []float64) {
		for i, v := range lk {
			dst[i] = -min(max(v, math.Log(hierKvMin)), math.Log(hierKvMax))
		}
	}
	for st.Iterations < set.Iterations {
		st.Iterations++
		if set.Averaged {
			if err := h.logKernelApply(lkv, logf, x, eps, nil); err != nil {
				return st, err
			}
			change := 0.0
			for i, v := range lkv {
				lf := (logf[i] - min(max(v, math.Log(hierKvMin)), math.Log(hierKvMax))) / 2
				logf[i], logg[i] = lf, lf
				f := math.Exp(lf)
				change = max(change, math.Abs(f-fprev[i]))
				fprev[i] = f
			}
			if change < set.Tol {
				break
			}
			continue
		}
		if err := h.logKernelApply(lkv, logg, x, eps, nil); err != nil {
			return st, err
		}
		clampLog(logf, lkv)
		if err := h.logKernelApply(lkv, logf, x, eps, nil); err != nil {
			return st, err
		}
		clampLog(logg, lkv)
		change := 0.0
		for i, lf := range logf {
			f := math.Exp(lf)
			change = max(change, math.Abs(f-fprev[i]))
			fprev[i] = f
		}
		if change < set.Tol {
			break
		}
	}
	if err := h.logKernelApply(lkv, logg, x, eps, nil); err != nil {
		return st, err
	}
	for i := range lkv {
		st.Marginal = max(st.Marginal, math.Abs(math.Exp(logf[i]+lkv[i])-1))
	}
	if !(st.Marginal <= HierarchicalMarginalLimit) {
		return st, inputErr("hierarchical: marginal error %.3g after %d Sinkhorn iterations exceeds %g at bandwidth %.3g (the seed raises here too): raise the iterations or lower the bandwidth",
			st.Marginal, st.Iterations, HierarchicalMarginalLimit, st.Sigma)
	}
	logw := make([]float64, n)
	for j := range logw {
		v := logg[j]
		if !set.Barycentric {
			v += logf[j]
		}
		if math.IsNaN(v) {
			v = math.Log(hierWMin)
		}
		logw[j] = min(max(v, math.Log(hierWMin)), math.Log(hierWMax))
	}
	p := compute.Pairs{X: x, Y: x, N: n, M: n, D: d, LogW: h.logw, Cost: h.cost}
	if len(eps) == 1 {
		if err := h.b.Write(h.logw, logw); err != nil {
			return st, err
		}
		p.Eps = eps[0]
		return st, h.b.SoftMean(dst, p, y, d)
	}
	// Mixture: dst_i = sum_k Z_ki m_ki / sum_k Z_ki with Z_ki = (K_k w)_i
	// and m_ki scale k's soft-mean.
	perScale := make([][]float64, len(eps))
	for k := range perScale {
		perScale[k] = make([]float64, n)
	}
	if err := h.logKernelApply(lkv, logw, x, eps, perScale); err != nil {
		return st, err
	}
	coef := make([]float64, n)
	for k, e := range eps {
		for i := range coef {
			// lkv_i = log mean_k Z_ki, so Z_ki / sum_k Z_ki =
			// exp(log Z_ki - lkv_i - log S).
			coef[i] = math.Exp(perScale[k][i] - lkv[i] - math.Log(float64(len(eps))))
		}
		if err := h.b.Write(h.coef, coef); err != nil {
			return st, err
		}
		p.Eps = e
		if err := h.b.SoftMean(h.part, p, y, d); err != nil {
			return st, err
		}
		out := dst
		if k > 0 {
			out = h.partial
		}
		if err := h.b.Map(out, compute.MapArgs{Op: compute.OpMul, X: h.part, Y: h.coef, YDiv: d, A: 1}); err != nil {
			return st, err
		}
		if k > 0 {
			if err := h.b.Map(h.part, compute.MapArgs{Op: compute.OpAxpby, X: dst, Y: h.partial, A: 1, B: 1}); err != nil {
				return st, err
			}
			if err := h.b.Copy(dst, h.part); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

// hierarchical smooths the state r.x (the predictor's y) with the state
// r.xn it was predicted from (time t) when Settings.Hierarchical is on.
func (r *run) hierarchical(t float64) error {
	if !r.set.Hierarchical.On {
		return nil
	}
	if r.hier == nil {
		h, err := newHierScratch(r.b, r.n, r.d)
		if err != nil {
			return err
		}
		r.hier = h
		if r.hierOut, err = r.alloc(); err != nil {
			return err
		}
	}
	st, err := r.hier.smooth(r.hierOut, r.xn, r.x, At(r.s, t), r.set.Hierarchical)
	r.res.HierarchicalIterations += st.Iterations
	r.hierStep = st.Iterations
	if err != nil {
		return err
	}
	return r.b.Copy(r.x, r.hierOut)
}
