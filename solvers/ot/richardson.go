package ot

import (
	"fmt"

	"github.com/otplay/otplay/compute"
)

// RichardsonResult is a Richardson extrapolation in eps: two balanced
// solves, Coarse at eps and Fine at eps/2, combined as 2 X_{eps/2} - X_eps.
type RichardsonResult struct {
	// Coarse is the solve at Settings.Eps, Fine the solve at Eps/2
	// (warm-started from Coarse's potentials).
	Coarse, Fine *Result
	// Cost is 2 Fine.Cost - Coarse.Cost, the extrapolated transport cost:
	// an estimate of the unregularised W_2^2 whose eps-bias is O(eps^2)
	// where the entropic cost is smooth in eps (see Richardson).
	Cost float64
	// Iterations is Coarse.Iterations + Fine.Iterations.
	Iterations int
	// Converged: both solves converged.
	Converged bool
}

// Richardson solves balanced entropic OT at eps = s.Eps and at eps/2 and
// extrapolates the two, as SPOT does for its plans and maps (the
// Richardson extrapolation of L. F. Richardson 1911, "The approximate
// arithmetical solution by finite differences of physical problems",
// Phil. Trans. R. Soc. A 210, sec. 2.2, "the deferred approach to the
// limit"): if X_eps = X_0 + c eps + O(eps^2), then
//
//	2 X_{eps/2} - X_eps = X_0 + O(eps^2).
//
// It applies to the transport cost <P, C> (RichardsonResult.Cost), the
// plan (PlanDense: 2 P_{eps/2} - P_eps, a signed matrix with the same
// marginals) and the entropic map (Transport). The expansion holds where
// these are smooth in eps: for Gaussians the entropic plan is Gaussian
// with cross-covariance C_sigma = (A^1/2 D_sigma A^-1/2 - sigma^2 I) / 2,
// D_sigma = (4 A^1/2 B A^1/2 + sigma^4 I)^1/2, sigma^2 = eps/2 (Janati,
// Muzellec, Peyre and Cuturi 2020, Thm. 1; Mallasto et al. 2021, Thm.
// 2), so in 1-D the cost is W_2^2 + eps/2 - eps^2/(16 sqrt(A B)) + O(eps^4)
// and the extrapolated cost is W_2^2 + eps^2/(32 sqrt(A B)) + O(eps^4)
// (TestRichardsonGaussianBias measures both). It does not apply to the
// objective OT_eps, whose bias on continuous measures has an
// (d/2) eps log(1/eps) term that the combination does not cancel; nor
// to discrete problems at eps far below the gap between transport
// costs, where X_eps is already within exp(-gap/eps) of X_0 and the
// combination only adds noise.
//
// The Fine solve starts from the Coarse potentials (Settings.F, G), which
// saves iterations. s must describe a balanced problem (no TauA, TauB,
// Mass); s.F and s.G, when set, warm-start the Coarse solve.
func Richardson(b compute.Backend, p Problem, s Settings) (*RichardsonResult, error) {
	coarse, err := Sinkhorn(b, p, s)
	if err != nil {
		return nil, err
	}
	fs := s
	fs.Eps = coarse.Eps / 2
	fs.F, fs.G = coarse.F, coarse.G
	fs.Scaling = 0 // warm-started: annealing from the diameter would discard the start
	fine, err := Sinkhorn(b, p, fs)
	if err != nil {
		return nil, fmt.Errorf("Richardson: the solve at eps/2 = %g: %w", fs.Eps, err)
	}
	return &RichardsonResult{Coarse: coarse, Fine: fine, Cost: 2*fine.Cost - coarse.Cost,
		Iterations: coarse.Iterations + fine.Iterations, Converged: coarse.Converged && fine.Converged}, nil
}

// Transport evaluates the extrapolated entropic map 2 T_{eps/2}(z) -
// T_eps(z) at the points z (k x D, row-major), where T_eps is the
// estimator of Pooladian and Niles-Weed 2021, eq. (3) (Result.Transport).
func (r *RichardsonResult) Transport(b compute.Backend, z []float64) ([]float64, error) {
	return r.combine(func(res *Result) ([]float64, error) { return res.Transport(b, z) })
}

// PlanDense returns the extrapolated plan 2 P_{eps/2} - P_eps (N x M,
// row-major; entries may be negative, the marginals are those of both
// plans), refusing N*M > MaxDense.
func (r *RichardsonResult) PlanDense(b compute.Backend) ([]float64, error) {
	return r.combine(func(res *Result) ([]float64, error) { return res.PlanDense(b) })
}

func (r *RichardsonResult) combine(eval func(*Result) ([]float64, error)) ([]float64, error) {
	c, err := eval(r.Coarse)
	if err != nil {
		return nil, err
	}
	f, err := eval(r.Fine)
	if err != nil {
		return nil, err
	}
	for i := range f {
		f[i] = 2*f[i] - c[i]
	}
	return f, nil
}
