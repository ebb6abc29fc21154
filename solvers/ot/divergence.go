package ot

import (
	"fmt"

	"github.com/otplay/otplay/compute"
)

// DivergenceResult details a Sinkhorn divergence: its value, its gradient
// with respect to the source points, and the three entropic problems
// behind it.
type DivergenceResult struct {
	// Value is S = OT_eps(a, b) - (OT_eps(a, a) + OT_eps(b, b)) / 2.
	Value float64
	// GradX (N x D) is dS/dx_i = 2 a_i (T_aa(x_i) - T_ab(x_i)), with T the
	// barycentric projections of the plans of (a, b) and (a, a).
	GradX []float64
	// AB, AA, BB are the Results of the three problems.
	AB, AA, BB *Result
	// Converged is true when all three solves converged (each judged by
	// its float64 check, Result.Residual).
	Converged bool
	// Status is "converged: all three problems ...", or the Status of the
	// first problem that did not converge, named.
	Status string
}

// Divergence returns the debiased Sinkhorn divergence
//
//	S(a, b) = OT_eps(a, b) - (OT_eps(a, a) + OT_eps(b, b)) / 2
//
// (Feydy et al. 2019, "Interpolating between optimal transport and MMD
// using Sinkhorn divergences", eq. (4) and Thm. 1; GeomLoss's
// SamplesLoss("sinkhorn", p=2, blur=sqrt(eps)) with cost |x-y|^2 rather
// than its |x-y|^2/2) and its gradient with respect to the points X. OT_eps is
// Result.Objective of Sinkhorn. S >= 0, S(a, a) = 0, S is symmetric.
//
// The gradient follows from the envelope theorem (Feydy et al. 2019, sec.
// 3.2): d OT_eps(a, b)/dx_i = sum_j P_ij 2 (x_i - y_j) = 2 a_i (x_i -
// T_ab(x_i)), and the symmetric term contributes -2 a_i (x_i - T_aa(x_i)).
// The self problems use symmetric updates; s.F/s.G warm-start only the
// (a, b) problem. Non-convergence is not an error here: see
// DivergenceDetail for the flags.
func Divergence(b compute.Backend, p Problem, s Settings) (value float64, gradX []float64, err error) {
	d, err := DivergenceDetail(b, p, s)
	if err != nil {
		return 0, nil, err
	}
	return d.Value, d.GradX, nil
}

// DivergenceDetail is Divergence with the three Results and the
// convergence flag.
func DivergenceDetail(b compute.Backend, p Problem, s Settings) (*DivergenceResult, error) {
	c, err := validate(p)
	if err != nil {
		return nil, err
	}
	if err := requireSquaredCost(p, "the Sinkhorn divergence"); err != nil {
		return nil, err
	}
	if err := requireEqualMass(c); err != nil {
		return nil, err
	}
	ab, err := Sinkhorn(b, p, s)
	if err != nil {
		return nil, err
	}
	self := s
	self.F, self.G, self.Symmetric = nil, nil, true
	aa, err := Sinkhorn(b, Problem{X: p.X, Y: p.X, N: p.N, M: p.N, D: p.D, A: p.A, B: p.A}, self)
	if err != nil {
		return nil, err
	}
	bb, err := Sinkhorn(b, Problem{X: p.Y, Y: p.Y, N: p.M, M: p.M, D: p.D, A: p.B, B: p.B}, self)
	if err != nil {
		return nil, err
	}
	tab, err := ab.Barycentric(b)
	if err != nil {
		return nil, err
	}
	taa, err := aa.Barycentric(b)
	if err != nil {
		return nil, err
	}
	grad := make([]float64, len(tab))
	for i := range p.N {
		for k := range p.D {
			grad[i*p.D+k] = 2 * c.A[i] * (taa[i*p.D+k] - tab[i*p.D+k])
		}
	}
	return &DivergenceResult{
		Value:     ab.Objective - (aa.Objective+bb.Objective)/2,
		GradX:     grad,
		AB:        ab,
		AA:        aa,
		BB:        bb,
		Converged: ab.Converged && aa.Converged && bb.Converged,
		Status:    divergenceStatus(ab, aa, bb),
	}, nil
}

// divergenceStatus summarises the three problems' Status.
func divergenceStatus(ab, aa, bb *Result) string {
	for _, t := range []struct {
		name string
		r    *Result
	}{{"OT(a, b)", ab}, {"OT(a, a)", aa}, {"OT(b, b)", bb}} {
		if !t.r.Converged {
			return t.name + " " + t.r.Status
		}
	}
	return fmt.Sprintf("converged: all three problems, largest float64 marginal error %.3g <= tol %g", max(ab.ResidualBound, aa.ResidualBound, bb.ResidualBound), ab.Tol)
}
