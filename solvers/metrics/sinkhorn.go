package metrics

import (
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
)

// SinkhornScaling is the eps-scaling factor of the divergence solves
// (GeomLoss's default 0.5: the solves anneal eps from the squared
// diameter of the data down to the target), and SinkhornTol their
// stopping tolerance on the L1 marginal error (1e-4: a quality figure
// needs three digits, not POT's 1e-9).
const (
	SinkhornScaling = 0.5
	SinkhornTol     = 1e-4
)

// sinkhornDivergence is S_eps of package ot (Feydy et al. 2019, eq. (4)),
// uniform weights, cost |x - y|^2, with eps-scaling; it also reports
// whether the three solves converged.
func sinkhornDivergence(b compute.Backend, x []float64, n int, y []float64, m, d int, eps float64) (float64, bool, error) {
	r, err := ot.DivergenceDetail(b, ot.Problem{X: x, Y: y, N: n, M: m, D: d}, ot.Settings{Eps: eps, Scaling: SinkhornScaling, Tol: SinkhornTol})
	if err != nil {
		return 0, false, err
	}
	return r.Value, r.Converged, nil
}
