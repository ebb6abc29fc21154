package barycenter

import (
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/exact"
	"github.com/otplay/otplay/solvers/ot"
)

// Clouds are K point clouds in dimension D with uniform weights, the
// barycentric weights, and the starting support of the barycenter.
type Clouds struct {
	// Clouds[k] holds m_k points, row-major m_k x D.
	Clouds [][]float64
	D      int
	// Weights are the barycentric weights (K, non-negative, sum 1); nil
	// means uniform.
	Weights []float64
	// Init is the starting support, N points row-major N x D (POT's
	// X_init). nil means N points taken evenly from the first cloud
	// (point floor(i m_1 / N)); then N must be in [1, m_1].
	Init []float64
	N    int
}

func (p Clouds) check() (init, w []float64, n int, err error) {
	d, k := p.D, len(p.Clouds)
	if k < 1 {
		return nil, nil, 0, badInput("no clouds")
	}
	if d < 1 {
		return nil, nil, 0, badInput("dimension D = %d", d)
	}
	for i, c := range p.Clouds {
		if len(c) == 0 || len(c)%d != 0 {
			return nil, nil, 0, badInput("cloud %d has %d values, not a positive multiple of D = %d", i, len(c), d)
		}
		if err := checkFinite(fmt.Sprintf("cloud %d", i), c); err != nil {
			return nil, nil, 0, err
		}
	}
	if w, err = checkWeights(p.Weights, k); err != nil {
		return nil, nil, 0, err
	}
	if p.Init != nil {
		if len(p.Init)%d != 0 || len(p.Init) == 0 {
			return nil, nil, 0, badInput("init has %d values, not a positive multiple of D = %d", len(p.Init), d)
		}
		if err := checkFinite("init", p.Init); err != nil {
			return nil, nil, 0, err
		}
		n = len(p.Init) / d
		if p.N != 0 && p.N != n {
			return nil, nil, 0, badInput("N = %d but init has %d points", p.N, n)
		}
		return append([]float64(nil), p.Init...), w, n, nil
	}
	m := len(p.Clouds[0]) / d
	if p.N < 1 || p.N > m {
		return nil, nil, 0, badInput("N = %d support points: without init, N must be in [1, %d] (the first cloud's size)", p.N, m)
	}
	init = make([]float64, 0, p.N*d)
	for i := 0; i < p.N; i++ {
		j := i * m / p.N
		init = append(init, p.Clouds[0][j*d:(j+1)*d]...)
	}
	return init, w, p.N, nil
}

// FreeSupport computes the free-support Wasserstein barycenter of uniform
// point clouds (Cuturi and Doucet 2014, "Fast computation of Wasserstein
// barycenters", Algorithm 2; the fixed point of
// Alvarez-Esteban et al. 2016), POT's ot.lp.free_support_barycenter with
// uniform b: N points X with weights 1/N move, at each iteration, to
//
//	X <- sum_k w_k N P_k Y_k,  P_k the exact optimal plan from X to Y_k,
//
// until the squared displacement sum |X_new - X|^2 is <= Tol (POT's
// stopThr, default 1e-7; at most MaxIter iterations, default 100). The
// exact plans come from solvers/exact's network simplex. Result.Objective is sum_k w_k W_2^2(X, Y_k) at the
// last plans.
func FreeSupport(p Clouds, s Settings) (*Result, error) {
	return freeSupport(nil, p, s)
}

// FreeSupportEntropic is FreeSupport with entropic plans: P_k is the
// log-domain Sinkhorn plan of solvers/ot at s.Eps (to marginal error
// s.InnerTol, at most s.InnerMaxIter iterations; Status counts the solves
// that stopped short) on the backend, and N P_k Y_k its barycentric projection
// (ot.Result.Transport). The entropic barycenter is blurred towards the
// clouds' means by about eps (the projection averages over the plan's
// spread); Result.MarginalError is the worst inner marginal error.
func FreeSupportEntropic(be compute.Backend, p Clouds, s Settings) (*Result, error) {
	if be == nil {
		return nil, badInput("nil backend")
	}
	return freeSupport(be, p, s)
}

func freeSupport(be compute.Backend, p Clouds, s Settings) (*Result, error) {
	start := time.Now()
	entropic := be != nil
	s, err := s.withDefaults(DefaultFreeMaxIter, DefaultFreeTol, entropic)
	if err != nil {
		return nil, err
	}
	x, w, n, err := p.check()
	if err != nil {
		return nil, err
	}
	d := p.D
	res := &Result{Method: "free-support", Backend: "host", Precision: "float64", Tol: s.Tol}
	if entropic {
		res.Method, res.Backend = "free-support-entropic", be.Info().Name
		res.Precision = compute.PrecisionOf(be.Info()).Name
		if s.InnerTol == 0 {
			s.InnerTol = 1e-9
			if res.Precision != "float64" {
				s.InnerTol = 1e-5
			}
		}
	}
	unconverged := 0
	next := make([]float64, n*d)
	for it := 0; it < s.MaxIter; it++ {
		res.Iterations = it + 1
		clear(next)
		res.Objective, res.MarginalError = 0, 0
		for k, y := range p.Clouds {
			m := len(y) / d
			if w[k] == 0 {
				continue
			}
			var proj []float64
			if entropic {
				r, err := ot.Sinkhorn(be, ot.Problem{X: x, Y: y, N: n, M: m, D: d}, ot.Settings{Eps: s.Eps, Tol: s.InnerTol, MaxIter: s.InnerMaxIter})
				if err != nil {
					return nil, fmt.Errorf("barycenter: free support, cloud %d, iteration %d: %w", k, it+1, err)
				}
				if !r.Converged {
					unconverged++
				}
				if proj, err = r.Transport(be, x); err != nil {
					return nil, fmt.Errorf("barycenter: free support, cloud %d: %w", k, err)
				}
				res.Objective += w[k] * r.Cost
				res.MarginalError = math.Max(res.MarginalError, r.MarginalError)
				res.PrecisionFloor = math.Max(res.PrecisionFloor, r.PrecisionFloor)
			} else {
				r, err := exact.Solve(x, y, n, m, d)
				if err != nil {
					return nil, fmt.Errorf("barycenter: free support, cloud %d: %w", k, err)
				}
				proj = make([]float64, n*d)
				for _, fl := range r.Flows {
					for c := 0; c < d; c++ {
						proj[fl.I*d+c] += float64(n) * fl.Mass * y[fl.J*d+c]
					}
				}
				res.Objective += w[k] * r.Cost
			}
			for i := range next {
				next[i] += w[k] * proj[i]
			}
		}
		disp := 0.0
		for i := range next {
			dd := next[i] - x[i]
			disp += dd * dd
		}
		x, next = next, x
		res.Err = disp
		if s.Progress != nil {
			s.Progress(it+1, s.MaxIter, disp)
		}
		if math.IsNaN(disp) {
			return nil, numericalError(res.Method, it+1, s.Eps)
		}
		if disp <= s.Tol {
			res.Converged = true
			break
		}
	}
	res.Barycenter = x
	res.Weights = make([]float64, n)
	for i := range res.Weights {
		res.Weights[i] = 1 / float64(n)
	}
	res.describe()
	if unconverged > 0 {
		res.Status += fmt.Sprintf("; %d inner Sinkhorn solves stopped at InnerMaxIter = %d above InnerTol = %g (worst marginal error %.3g)", unconverged, s.InnerMaxIter, s.InnerTol, res.MarginalError)
	}
	res.Time = time.Since(start)
	return res, nil
}
