package exact

import (
	"fmt"
	"math"
)

// SolveCost computes exact OT between uniform measures on n rows and m
// columns for a dense cost matrix (row-major n x m, POT's M): the plan of
// ot.emd(ones(n)/n, ones(m)/m, M), with Result.Cost = sum_ij P_ij M_ij,
// POT's emd2. It is EMD with nil weights and no pivot cap (the block
// search on a strongly feasible tree does not cycle, so it ends); use EMD
// for weights, the potentials and a cap. Costs may be any finite numbers
// (negative too), n m at most MaxArcs.
func SolveCost(cost []float64, n, m int) (*Result, error) {
	switch {
	case n < 1:
		return nil, badInput("n = %d: the cost matrix has no rows", n)
	case m < 1:
		return nil, badInput("m = %d: the cost matrix has no columns", m)
	case n > MaxArcs/m:
		return nil, badInput("cost matrix of %d x %d = %d entries exceeds %d", n, m, n*m, MaxArcs)
	case len(cost) != n*m:
		return nil, badInput("cost matrix has %d values, want n*m = %d*%d", len(cost), n, m)
	}
	r, err := EMD(nil, nil, cost, n, m, Settings{MaxIter: math.MaxInt})
	if err != nil {
		return nil, err
	}
	if r.Status != Optimal {
		return nil, fmt.Errorf("exact: network simplex on a %d x %d cost matrix ended %v (%s)", n, m, r.Status, r.Warning)
	}
	return &Result{Cost: r.Cost, Flows: r.Flows}, nil
}
