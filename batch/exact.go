//go:build !js

package batch

import (
	"fmt"
	"time"

	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/exact"
)

// sortsIn1D reports whether an exact request takes the 1-D sort
// (exact.Solve1D): points on a line, |x - y|^2, no potentials or
// gradient asked.
func sortsIn1D(req SolveRequest, d int) bool {
	return d == 1 && !req.hasCostMatrix() && !req.customPower() && !req.Potentials && !req.Grad
}

// checkExactSize refuses, before any work, an exact problem whose cost
// matrix would exceed exact.MaxArcs pairs (the 1-D sort has no such
// limit).
func checkExactSize(req SolveRequest, n, m, d int) error {
	if req.Method != "exact" || sortsIn1D(req, d) {
		return nil
	}
	if n > exact.MaxArcs/m {
		return usage("--method exact: %d x %d = %d pairs exceed %d for the network simplex; use fewer points (or 1-D data without --potentials)", n, m, n*m, exact.MaxArcs)
	}
	return nil
}

// solveExact runs unregularised OT on the host: 1-D clouds without
// --potentials or --grad by sorting (exact.Solve1D), everything else by
// the network simplex (exact.EMD, POT's ot.emd, with the weights) on the
// cost matrix given (--cost), on |x - y|^P (--p) or on |x - y|^2, whose
// potentials are POT's centred log['u'], log['v'] and whose gradient is
// POT's emd2's (exactGradient).
// Iterations counts pivots; a pivot cap reached is reported as not
// converged with POT's warning, and the plan returned as POT returns it.
func solveExact(req SolveRequest, xs, ys data.Set, cost, a, b []float64, rep *SolveResult, start time.Time) (*SolveResult, error) {
	rep.Backend = "cpu"
	rep.Notes = append(rep.Notes, "exact OT runs on the host (CPU) whatever --backend says")
	if sortsIn1D(req, xs.D) {
		r, err := exact.Solve1D(xs.Points, a, ys.Points, b)
		if err != nil {
			return nil, err
		}
		rep.Cost, rep.Objective, rep.Converged = r.Cost, r.Cost, true
		rep.Status = "optimal (1-D: sorted quantiles)"
		if req.Plan {
			rep.Plan = make([]float64, xs.N*ys.N)
			for _, fl := range r.Flows {
				rep.Plan[fl.I*ys.N+fl.J] += fl.Mass
			}
		}
		rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
		return rep, nil
	}
	switch {
	case cost != nil:
		rep.Notes = append(rep.Notes, groundCostNote(req, xs.N, ys.N))
	case req.customPower():
		rep.Notes = append(rep.Notes, groundCostNote(req, xs.N, ys.N))
		cost = powerCosts(xs.Points, ys.Points, xs.N, ys.N, xs.D, req.P)
	default:
		cost = exact.SquaredEuclidean(xs.Points, ys.Points, xs.N, ys.N, xs.D)
	}
	r, err := exact.EMD(a, b, cost, xs.N, ys.N, exact.Settings{MaxIter: req.MaxPivots})
	if err != nil {
		return nil, usage("--method exact: %v", err)
	}
	rep.Cost, rep.Objective = r.Cost, r.Cost
	rep.MarginalError, rep.Residual = r.MarginalError, r.MarginalError
	rep.Iterations = r.Iterations
	rep.Converged = r.Status == exact.Optimal
	rep.Status = fmt.Sprintf("%v after %d pivots (network simplex, %d nonzeros in the plan)", r.Status, r.Iterations, len(r.Flows))
	if r.Warning != "" {
		rep.Notes = append(rep.Notes, r.Warning+" (--max-pivots)")
	}
	if req.Plan {
		rep.Plan = r.Dense(xs.N, ys.N)
	}
	if req.Potentials {
		rep.F, rep.G = r.U, r.V
	}
	if req.Grad {
		rep.Grad = exactGradient(req, r, xs, ys)
	}
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}
