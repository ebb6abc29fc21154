package barycenter

import (
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
)

// Histograms are K histograms over one support of N points, and the
// weights of their barycenter.
type Histograms struct {
	// Hists holds the K histograms row-major, K x N (one per row; POT's A
	// is its transpose). Non-negative, finite, equal masses.
	Hists []float64
	K, N  int
	// Cost is the N x N ground cost (POT's M), row-major. Give Cost or
	// Support, not both.
	Cost []float64
	// Support is N points in dimension D (row-major); the cost is
	// |x_i - x_j|^2.
	Support []float64
	D       int
	// Weights are the barycentric weights (K, non-negative, sum 1); nil
	// means uniform 1/K.
	Weights []float64
}

// cost validates p and returns the N x N cost matrix and its maximum.
func (p Histograms) cost() ([]float64, float64, error) {
	if err := checkHists("hists", p.Hists, p.K, p.N); err != nil {
		return nil, 0, err
	}
	n := p.N
	var c []float64
	switch {
	case p.Cost != nil && p.Support != nil:
		return nil, 0, badInput("give a cost matrix or support points, not both")
	case p.Cost != nil:
		if len(p.Cost) != n*n {
			return nil, 0, badInput("cost has %d values, want N x N = %d x %d (the histograms' support)", len(p.Cost), n, n)
		}
		if err := checkFinite("cost", p.Cost); err != nil {
			return nil, 0, err
		}
		c = p.Cost
	case p.Support != nil:
		if p.D < 1 || len(p.Support) != n*p.D {
			return nil, 0, badInput("support has %d values, want N x D = %d x %d", len(p.Support), n, p.D)
		}
		if err := checkFinite("support", p.Support); err != nil {
			return nil, 0, err
		}
		c = make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				s := 0.0
				for k := 0; k < p.D; k++ {
					d := p.Support[i*p.D+k] - p.Support[j*p.D+k]
					s += d * d
				}
				c[i*n+j] = s
			}
		}
	default:
		return nil, 0, badInput("no ground cost: give a cost matrix or support points")
	}
	maxC := 0.0
	for _, v := range c {
		maxC = math.Max(maxC, math.Abs(v))
	}
	return c, maxC, nil
}

// Entropic computes the entropic Wasserstein barycenter of the
// histograms by iterative Bregman projections (Benamou et al. 2015, the
// barycenter problem) in the log domain, the iteration of POT's
// ot.bregman.barycenter(A, M, reg, weights, method="sinkhorn_log"): with
// log K = -C/eps, potentials g_k = 0 and a_k stabilised as log(a_k +
// 1e-15),
//
//	f_k     = log a_k - LSE_j(log K_ij + g_kj)       (u_k = a_k / K v_k)
//	l_k     = LSE_i(log K_ij + f_ki)                 (K^T u_k)
//	log b   = sum_k w_k l_k                          (the geometric mean)
//	g_k     = log b - l_k                            (v_k = b / K^T u_k)
//
// It runs on the host in float64 (O(K N^2) per iteration).
func Entropic(p Histograms, s Settings) (*Result, error) {
	return histBarycenter(p, s, false)
}

// Debiased computes the debiased Sinkhorn barycenter of Janati, Cuturi
// and Gramfort 2020 (Algorithm 1, in the log domain), POT's
// ot.bregman.barycenter_debiased(..., method="sinkhorn_log"): Entropic's
// iteration with log b = sum_k w_k l_k + c, where after each update the
// debiasing potential c (0 at the start) takes 10 steps of
//
//	c = (c + log b - LSE_i(log K_ij + c_i)) / 2,
//
// the fixed point that makes b the "autocorrelation" of itself, so the
// entropic blur cancels. POT stops only after iteration 21. The result is
// not renormalised (POT's neither): for near-Dirac inputs a few pixels
// wide its mass can drift from 1 (measured 1.044 for two 3-cell bumps on
// 101 points at eps = 1e-3, where POT gives the same).
func Debiased(p Histograms, s Settings) (*Result, error) {
	return histBarycenter(p, s, true)
}

func histBarycenter(p Histograms, s Settings, debiased bool) (*Result, error) {
	start := time.Now()
	s, err := s.withDefaults(DefaultMaxIter, DefaultTol, true)
	if err != nil {
		return nil, err
	}
	c, maxC, err := p.cost()
	if err != nil {
		return nil, err
	}
	w, err := checkWeights(p.Weights, p.K)
	if err != nil {
		return nil, err
	}
	floor := compute.Float64.Floor(maxC, s.Eps)
	if !compute.Float64.Resolvable(maxC, s.Eps) {
		return nil, precisionError(s.Eps, maxC, compute.Float64)
	}
	k, n, eps := p.K, p.N, s.Eps
	logK := make([]float64, n*n)
	for i, v := range c {
		logK[i] = -v / eps
	}
	logA := make([]float64, k*n)
	for i, v := range p.Hists {
		logA[i] = math.Log(v + histStab)
	}
	g := make([]float64, k*n)   // log v_k
	lku := make([]float64, k*n) // log K^T u_k
	f := make([]float64, n)
	logBar := make([]float64, n)
	cdeb := make([]float64, n)
	tmp := make([]float64, n)
	marg := make([]float64, k*n)
	bar := make([]float64, n)
	res := &Result{Method: "entropic", Backend: "host", Precision: "float64", PrecisionFloor: floor, Tol: s.Tol}
	if debiased {
		res.Method = "debiased"
	}
	measure := func() {
		for i := range marg {
			marg[i] = math.Exp(g[i] + lku[i])
		}
		for i := range bar {
			bar[i] = math.Exp(logBar[i])
		}
		res.Err = stdSum(marg, k, n)
		res.MarginalError = marginalError(marg, bar, k, n)
	}
	for it := 0; it < s.MaxIter; it++ {
		res.Iterations = it + 1
		clear(logBar)
		for r := 0; r < k; r++ {
			gr, lr := g[r*n:(r+1)*n], lku[r*n:(r+1)*n]
			lseRows(f, logK, gr, n)
			for i := range f {
				f[i] = logA[r*n+i] - f[i]
			}
			lseCols(lr, logK, f, n)
			for i := range logBar {
				logBar[i] += w[r] * lr[i]
			}
		}
		if debiased {
			for i := range logBar {
				logBar[i] += cdeb[i]
			}
		}
		if it%checkEvery == 1 {
			measure()
			if math.IsNaN(res.Err) || math.IsInf(res.Err, 0) {
				return nil, numericalError(res.Method, it+1, s.Eps)
			}
			if s.Progress != nil {
				s.Progress(it+1, s.MaxIter, res.Err)
			}
			if res.Err < s.Tol && (!debiased || it > 20) {
				res.Converged = true
				break
			}
		} else if it == s.MaxIter-1 {
			measure()
		}
		for r := 0; r < k; r++ {
			for i := 0; i < n; i++ {
				g[r*n+i] = logBar[i] - lku[r*n+i]
			}
		}
		if debiased {
			for range 10 {
				lseCols(tmp, logK, cdeb, n)
				for i := range cdeb {
					cdeb[i] = 0.5 * (cdeb[i] + logBar[i] - tmp[i])
				}
			}
		}
	}
	res.Barycenter = make([]float64, n)
	for i, v := range logBar {
		res.Barycenter[i] = math.Exp(v)
	}
	res.describe()
	res.Time = time.Since(start)
	return res, nil
}

// lseRows sets dst_i = log sum_j exp(logK_ij + v_j) (n x n logK).
func lseRows(dst, logK, v []float64, n int) {
	for i := 0; i < n; i++ {
		row := logK[i*n : (i+1)*n]
		m := math.Inf(-1)
		for j, l := range row {
			m = math.Max(m, l+v[j])
		}
		if math.IsInf(m, -1) {
			dst[i] = m
			continue
		}
		s := 0.0
		for j, l := range row {
			s += math.Exp(l + v[j] - m)
		}
		dst[i] = m + math.Log(s)
	}
}

// lseCols sets dst_j = log sum_i exp(logK_ij + v_i) (n x n logK).
func lseCols(dst, logK, v []float64, n int) {
	m := make([]float64, n)
	for j := range m {
		m[j] = math.Inf(-1)
	}
	for i := 0; i < n; i++ {
		row := logK[i*n : (i+1)*n]
		for j, l := range row {
			m[j] = math.Max(m[j], l+v[i])
		}
	}
	s := make([]float64, n)
	for i := 0; i < n; i++ {
		row := logK[i*n : (i+1)*n]
		for j, l := range row {
			s[j] += math.Exp(l + v[i] - m[j])
		}
	}
	for j := range dst {
		dst[j] = m[j] + math.Log(s[j])
	}
}

// EntropicOn is Entropic on a compute.Backend, for histograms whose
// support is given as points (p.Support; a cost matrix is refused): the
// kernel is applied by the fused log-domain soft-min (compute.Backend
// SoftMin, cost |x_i - x_j|^2 computed on the fly), O(n d) memory and
// O(K n^2 d) work per iteration, so it runs on the GPU for supports far
// beyond a dense n x n matrix. The iteration, its schedule and its
// stopping test are Entropic's (POT's); the error is measured in float64
// on the host from the potentials read back every 10 iterations.
func EntropicOn(be compute.Backend, p Histograms, s Settings) (*Result, error) {
	return histBarycenterOn(be, p, s, false)
}

// DebiasedOn is Debiased on a compute.Backend (see EntropicOn).
func DebiasedOn(be compute.Backend, p Histograms, s Settings) (*Result, error) {
	return histBarycenterOn(be, p, s, true)
}

func histBarycenterOn(be compute.Backend, p Histograms, s Settings, debiased bool) (*Result, error) {
	start := time.Now()
	if be == nil {
		return nil, badInput("nil backend")
	}
	s, err := s.withDefaults(DefaultMaxIter, DefaultTol, true)
	if err != nil {
		return nil, err
	}
	if p.Cost != nil || p.Support == nil {
		return nil, badInput("the backend path needs support points (Support), not a cost matrix; use Entropic or Debiased for a cost matrix")
	}
	if err := checkHists("hists", p.Hists, p.K, p.N); err != nil {
		return nil, err
	}
	n, d := p.N, p.D
	if d < 1 || len(p.Support) != n*d {
		return nil, badInput("support has %d values, want N x D = %d x %d", len(p.Support), n, d)
	}
	if err := checkFinite("support", p.Support); err != nil {
		return nil, err
	}
	w, err := checkWeights(p.Weights, p.K)
	if err != nil {
		return nil, err
	}
	// The squared diagonal of the bounding box bounds every cost.
	maxC := 0.0
	for c := 0; c < d; c++ {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := 0; i < n; i++ {
			lo, hi = math.Min(lo, p.Support[i*d+c]), math.Max(hi, p.Support[i*d+c])
		}
		maxC += (hi - lo) * (hi - lo)
	}
	prec := compute.PrecisionOf(be.Info())
	if !prec.Resolvable(maxC, s.Eps) {
		return nil, precisionError(s.Eps, maxC, prec)
	}
	x, err := be.Upload(p.Support)
	if err != nil {
		return nil, fmt.Errorf("barycenter: upload of the support: %w", err)
	}
	defer be.Free(x)
	eps := s.Eps
	// apply: dst = log sum_j exp(l_j - |x_i - x_j|^2/eps) = -SoftMin/eps.
	apply := func(dst, l compute.Array) error {
		if err := be.SoftMin(dst, compute.Pairs{X: x, Y: x, N: n, M: n, D: d, LogW: l, Eps: eps}); err != nil {
			return err
		}
		return be.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: dst, A: -1 / eps})
	}
	res := &Result{Method: "entropic", Backend: be.Info().Name, Precision: prec.Name, PrecisionFloor: prec.Floor(maxC, eps), Tol: s.Tol}
	if debiased {
		res.Method = "debiased"
	}
	b := bregman{be: be, k: p.K, n: n, weights: w, s: s, debiased: debiased, stab: histStab, checkAt: 1, apply: apply}
	if err := b.run(p.Hists, res); err != nil {
		return nil, err
	}
	res.Time = time.Since(start)
	return res, nil
}
