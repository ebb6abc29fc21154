//go:build !js

package batch

import (
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/exact"
	"github.com/otplay/otplay/solvers/ot"
)

// checkGrad refuses --grad where no gradient is defined: it is written
// for --method sinkhorn (the full tier: the low-rank tiers' kernel is
// approximate), divergence and exact, for the ground costs |x - y|^p
// with p >= 1 (below 1 the cost's gradient is unbounded near x = y) and
// for a cost matrix (--cost: the weights' parts only, the points have no
// meaning there).
func (r SolveRequest) checkGrad() error {
	if !r.Grad {
		return nil
	}
	switch {
	case r.customPower() && r.P < 1:
		return usage("--grad: the cost |x - y|^%g has no gradient at x = y for p < 1; use p >= 1", r.P)
	case r.Method != "sinkhorn" && r.Method != "divergence" && r.Method != "exact":
		return usage("--grad: gradients are computed for --method sinkhorn (OT_eps), divergence (S) and exact (W_2^2), not %s", r.Method)
	case r.Method == "sinkhorn" && r.Tier != "full" && r.Tier != "auto":
		return usage("--grad: the %s tier's kernel is approximate; use --tier full", r.Tier)
	}
	return nil
}

// solveGradient fills rep.Grad: for sinkhorn the gradient of the
// regularised cost OT_eps(a, b) (ot.ObjectiveGradient), for divergence
// that of S (ot.DivergenceResult.Gradient); with respect to the points
// by the envelope theorem, with respect to the weights the potentials
// minus their means (POT's ot.emd2 gradient convention). An auto tier
// that chose a low-rank kernel is refused here.
func solveGradient(be compute.Backend, rep *SolveResult, res *ot.Result, dv *ot.DivergenceResult) error {
	var err error
	if dv != nil {
		rep.Grad, err = dv.Gradient(be)
	} else {
		rep.Grad, err = ot.ObjectiveGradient(be, res)
	}
	if err == nil && !rep.Converged {
		rep.Notes = append(rep.Notes, "--grad: the solve did not converge; the envelope-theorem gradient is off by about the marginal error")
	}
	return err
}

// exactGradient is the gradient of the exact cost (--method exact):
// POT's ot.emd2 gradients (exact.EMDResult.SquaredEuclideanGradient) for
// |x - y|^2; for |x - y|^p the weights' parts are the same centred duals
// and the points' parts sum the plan's flows times the cost's gradient
// (ot.AddPowerCostGradient, the envelope theorem with the optimal plan
// held fixed); for a cost matrix the weights' parts only.
func exactGradient(req SolveRequest, r *exact.EMDResult, xs, ys data.Set) *ot.Gradient {
	g := &ot.Gradient{}
	g.X, g.Y, g.A, g.B = r.SquaredEuclideanGradient(xs.Points, ys.Points, xs.N, ys.N, xs.D)
	switch {
	case req.hasCostMatrix():
		g.X, g.Y = nil, nil
	case req.customPower():
		clear(g.X)
		clear(g.Y)
		for _, f := range r.Flows {
			ot.AddPowerCostGradient(g.X, g.Y, xs.Points, ys.Points, xs.D, f.I, f.J, req.P, f.Mass)
		}
	}
	return g
}
