package batch

import (
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
)

// checkGrad refuses --grad where no gradient is defined: it is written
// for --method sinkhorn (the full tier: the low-rank tiers' kernel is
// approximate), divergence and exact.
func (r SolveRequest) checkGrad() error {
	if !r.Grad {
		return nil
	}
	switch {
	case r.hasCostMatrix() || r.customPower():
		return usage("--grad: the gradients are written for the cost |x - y|^2 (not --cost or --p %g)", r.P)
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
