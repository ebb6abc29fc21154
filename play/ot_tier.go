package play

import (
	"errors"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/kernel"
	"github.com/otplay/otplay/solvers/ot"
)

// OTTierResult is the one-shot balanced solve of the /ot problem with a
// kernel tier (package solvers/kernel: how the Gibbs kernel exp(-C/eps) is
// applied: full log-domain soft-min, positive random features, Nystrom),
// shown beside the stepped exact solver for comparison.
type OTTierResult struct {
	Tier          string  `json:"tier"`
	Reason        string  `json:"reason"` // why the tier was chosen
	Cost          float64 `json:"cost"`
	Objective     float64 `json:"objective"`
	MarginalError float64 `json:"marginalError"`
	Iterations    int     `json:"iterations"`
	Converged     bool    `json:"converged"`
	TimeMS        float64 `json:"timeMs"`
	// ErrorEstimate is the kernel's relative RMS error on random pairs
	// (0 for full), Rank its features or landmarks.
	ErrorEstimate float64 `json:"errorEstimate"`
	Rank          int     `json:"rank,omitempty"`
	Error         string  `json:"error,omitempty"`
}

// otTierSolve runs kernel.Solve with the state's tier on the problem, for
// the balanced methods (the tiers solve balanced OT only); nil for
// tier=none.
func otTierSolve(o OT, b compute.Backend, p ot.Problem) *OTTierResult {
	name := o.Tier
	if name == "none" {
		return nil
	}
	out := &OTTierResult{Tier: name}
	if m := o.Method; m != "balanced" && m != "divergence" {
		out.Error = "the kernel tiers solve balanced OT only (method " + m + ")"
		return out
	}
	if p.P != 0 && p.P != 2 {
		out.Error = "the kernel tiers use the cost |x − y|² only (p = " + FormatFloat(p.P) + ")"
		return out
	}
	tier, err := kernel.ParseTier(name)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	start := time.Now()
	res, err := kernel.Solve(b, kernel.Problem{X: p.X, Y: p.Y, N: p.N, M: p.M, D: p.D, Eps: o.Eps}, kernel.Settings{Tier: tier})
	out.TimeMS = float64(time.Since(start)) / float64(time.Millisecond)
	if err != nil {
		out.Error = err.Error()
		if errors.Is(err, kernel.ErrUnstable) {
			out.Error += " (eps too small for this tier: try full)"
		}
		return out
	}
	out.Tier, out.Reason = res.Tier.String(), res.Reason
	out.Cost, out.Objective, out.MarginalError = res.Cost, res.Objective, res.MarginalError
	out.Iterations, out.Converged, out.ErrorEstimate, out.Rank = res.Iterations, res.Converged, res.ErrorEstimate, res.Rank
	return out
}
