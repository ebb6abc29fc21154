package gromov

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
)

// Problem is a pair of metric measure spaces: intra-set costs C1 (N x N)
// and C2 (M x M), row-major, and their weights.
type Problem struct {
	C1, C2 []float64
	N, M   int
	// A (N) and B (M) are the weights, each summing to 1; nil means
	// uniform.
	A, B []float64
}

// Settings of Solve. The zero value of each field means POT 0.8.2's
// default.
type Settings struct {
	// Eps > 0 is the entropic regularisation (POT's epsilon), in units of
	// the linearised cost 2 L(C1, C2) (x) T, which scales as the square
	// of the intra-set costs. Required.
	Eps float64
	// MaxIter bounds the outer iterations (POT's max_iter; 0 means 1000).
	MaxIter int
	// Tol stops the outer loop once ||T - T_prev||_F <= Tol, checked every
	// 10th outer iteration as POT does (POT's tol; 0 means 1e-9). A
	// negative Tol never stops early (every MaxIter iteration runs) and
	// Converged is judged against -Tol, as in ot.Settings.
	Tol float64
	// Inner holds the settings of each Sinkhorn solve (Eps is set from
	// Eps; a zero Tol means 1e-10, a zero MaxIter 10000).
	Inner ot.Settings
}

// Result of Solve.
type Result struct {
	// Plan is the coupling T (N x M, row-major).
	Plan []float64
	// Objective is sum_{ijkl} |C1_ik - C2_jl|^2 T_ij T_kl at Plan (POT's
	// gw_dist, without the entropy).
	Objective float64
	// Iterations is the number of outer iterations (Sinkhorn solves).
	Iterations int
	// Converged reports the outer stopping rule met: Change <= Tol.
	Converged bool
	// Change is the last ||T - T_prev||_F measured (every 10th outer
	// iteration).
	Change float64
	// InnerIterations sums the Sinkhorn iterations of all outer steps;
	// InnerConverged reports every inner solve converged.
	InnerIterations int
	InnerConverged  bool
}

// checkEvery is POT's outer convergence test period.
const checkEvery = 10

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: gromov: %s", ot.ErrBadInput, fmt.Sprintf(format, args...))
}

// SquaredEuclidean returns the n x n matrix of |x_i - x_k|^2 of the
// points x (n x d, row-major): the default intra-set cost.
func SquaredEuclidean(x []float64, n, d int) []float64 {
	c := make([]float64, n*n)
	for i := range n {
		for k := range n {
			var s float64
			for t := range d {
				e := x[i*d+t] - x[k*d+t]
				s += e * e
			}
			c[i*n+k] = s
		}
	}
	return c
}

// weights returns w, or uniform weights of length n when w is nil, after
// checking it is a probability vector.
func weights(name string, w []float64, n int) ([]float64, error) {
	if w == nil {
		w = make([]float64, n)
		for i := range w {
			w[i] = 1 / float64(n)
		}
		return w, nil
	}
	if len(w) != n {
		return nil, badInput("%s has %d weights, want %d", name, len(w), n)
	}
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, badInput("%s[%d] = %g: weights must be finite and >= 0", name, i, v)
		}
	}
	if s := floats.Sum(w); math.Abs(s-1) > 1e-9 {
		return nil, badInput("%s sums to %.12g, want 1", name, s)
	}
	return w, nil
}

// validate checks p and s and returns the weights.
func validate(p Problem, s Settings) (a, b []float64, err error) {
	switch {
	case p.N < 1 || p.M < 1:
		return nil, nil, badInput("N = %d, M = %d: both spaces need a point", p.N, p.M)
	case float64(p.N)*float64(p.M) > ot.MaxCostMatrix:
		return nil, nil, badInput("N*M = %d*%d exceeds the dense cost limit %d", p.N, p.M, ot.MaxCostMatrix)
	case len(p.C1) != p.N*p.N:
		return nil, nil, badInput("C1 has %d values, want N*N = %d", len(p.C1), p.N*p.N)
	case len(p.C2) != p.M*p.M:
		return nil, nil, badInput("C2 has %d values, want M*M = %d", len(p.C2), p.M*p.M)
	case !(s.Eps > 0) || math.IsInf(s.Eps, 0):
		return nil, nil, badInput("Eps = %g: want a finite eps > 0", s.Eps)
	case s.MaxIter < 0 || math.IsNaN(s.Tol):
		return nil, nil, badInput("MaxIter = %d, Tol = %g: want MaxIter >= 0 and a Tol", s.MaxIter, s.Tol)
	}
	for name, c := range map[string][]float64{"C1": p.C1, "C2": p.C2} {
		for i, v := range c {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, badInput("%s[%d] = %g: costs must be finite", name, i, v)
			}
		}
	}
	if a, err = weights("A", p.A, p.N); err != nil {
		return nil, nil, err
	}
	b, err = weights("B", p.B, p.M)
	return a, b, err
}

// linearised holds Prop. 1's factors: constC = c1 a 1^T + 1 b^T c2^T and
// the matrices C1 and 2 C2.
type linearised struct {
	constC   *mat.Dense
	h1, h2   *mat.Dense
	tmp, out *mat.Dense
}

func newLinearised(p Problem, a, b []float64) *linearised {
	n, m := p.N, p.M
	rowTerm, colTerm := make([]float64, n), make([]float64, m)
	for i := range n {
		for k := range n {
			rowTerm[i] += p.C1[i*n+k] * p.C1[i*n+k] * a[k]
		}
	}
	for j := range m {
		for l := range m {
			colTerm[j] += p.C2[j*m+l] * p.C2[j*m+l] * b[l]
		}
	}
	constC := mat.NewDense(n, m, nil)
	for i := range n {
		for j := range m {
			constC.Set(i, j, rowTerm[i]+colTerm[j])
		}
	}
	h2 := mat.NewDense(m, m, append([]float64(nil), p.C2...))
	h2.Scale(2, h2)
	return &linearised{constC: constC, h1: mat.NewDense(n, n, append([]float64(nil), p.C1...)), h2: h2,
		tmp: mat.NewDense(n, m, nil), out: mat.NewDense(n, m, nil)}
}

// tensor returns L(C1, C2) (x) T = constC - C1 T (2 C2)^T (eq. (6)), in a
// buffer reused by the next call.
func (l *linearised) tensor(t []float64) []float64 {
	n, m := l.constC.Dims()
	l.tmp.Mul(l.h1, mat.NewDense(n, m, t))
	l.out.Mul(l.tmp, l.h2.T())
	l.out.Sub(l.constC, l.out)
	return l.out.RawMatrix().Data
}

// Solve computes the entropic GW coupling of p by Alg. 1 of Peyre, Cuturi
// and Solomon 2016 with POT 0.8.2's initialisation and stopping rule (see
// the package doc), each Sinkhorn solve on be.
func Solve(be compute.Backend, p Problem, s Settings) (*Result, error) {
	a, b, err := validate(p, s)
	if err != nil {
		return nil, err
	}
	if s.MaxIter == 0 {
		s.MaxIter = 1000
	}
	if s.Tol == 0 {
		s.Tol = 1e-9
	}
	inner := s.Inner
	inner.Eps = s.Eps
	if inner.Tol == 0 {
		inner.Tol = 1e-10
	}
	if inner.MaxIter == 0 {
		inner.MaxIter = 10000
	}
	n, m := p.N, p.M
	lin := newLinearised(p, a, b)
	t := make([]float64, n*m)
	for i := range n {
		for j := range m {
			t[i*m+j] = a[i] * b[j]
		}
	}
	res := &Result{Change: math.Inf(1), InnerConverged: true}
	cost := make([]float64, n*m)
	for res.Change > s.Tol && res.Iterations < s.MaxIter {
		for k, v := range lin.tensor(t) {
			cost[k] = 2 * v
		}
		r, err := ot.Sinkhorn(be, ot.Problem{Cost: cost, N: n, M: m, A: a, B: b}, inner)
		if err != nil {
			return nil, fmt.Errorf("gromov: outer iteration %d: %w", res.Iterations, err)
		}
		res.InnerIterations += r.Iterations
		res.InnerConverged = res.InnerConverged && r.Converged
		inner.F, inner.G = r.F, r.G
		next, err := r.PlanDense(be)
		if err != nil {
			return nil, err
		}
		if res.Iterations%checkEvery == 0 {
			res.Change = floats.Distance(next, t, 2)
		}
		t = next
		res.Iterations++
	}
	res.Converged = res.Change <= math.Abs(s.Tol)
	res.Plan = t
	res.Objective = floats.Dot(lin.tensor(t), t)
	return res, nil
}
