//go:build !js

package batch

import (
	"fmt"

	"github.com/otplay/otplay/solvers/data"
)

// ColumnResult is one target histogram's result when b has several
// columns (POT's b as an m x k matrix: ot.sinkhorn2 and ot.emd2 return k
// values).
type ColumnResult struct {
	Cost          float64  `json:"cost"`
	Objective     float64  `json:"objective"`
	Value         *float64 `json:"value,omitempty"`
	MarginalError float64  `json:"marginal_error"`
	Iterations    int      `json:"iterations"`
	Converged     bool     `json:"converged"`
	Status        string   `json:"status,omitempty"`
}

// bColumns returns the columns of b when it is an m x k matrix with
// k > 1 (BColumns, or a --b file of m rows and k columns), else nil.
func bColumns(req SolveRequest) ([][]float64, error) {
	if req.BColumns != nil {
		return req.BColumns, nil
	}
	if req.B == "" || req.BWeights != nil {
		return nil, nil
	}
	s, err := data.Load(req.B)
	if err != nil || s.N == 1 || s.D == 1 {
		return nil, nil // one histogram: loadWeights reads (and reports on) the file
	}
	cols := make([][]float64, s.D)
	for k := range cols {
		cols[k] = make([]float64, s.N)
		for j := range s.N {
			cols[k][j] = s.Points[j*s.D+k]
		}
	}
	return cols, nil
}

// solveColumns runs one solve per column of b (each column checked and,
// for the balanced methods, normalised as a --b file is) and reports
// column 0 at the top level with every column in Columns; the top-level
// Converged is true only when every column converged. A dense plan,
// potentials or a gradient are per problem, so they are refused here.
func solveColumns(req SolveRequest, cols [][]float64, opt Options) (*SolveResult, error) {
	if req.Plan || req.Potentials || req.Grad {
		return nil, usage("--b has %d columns: --plan, --potentials and --grad take one target histogram", len(cols))
	}
	if req.Method == "sliced" {
		return nil, usage("--b has %d columns: --method sliced takes one target histogram", len(cols))
	}
	var top *SolveResult
	for k, col := range cols {
		one := req
		one.B, one.BWeights, one.BColumns = "", col, nil
		r, err := Solve(one, opt)
		if err != nil {
			return nil, fmt.Errorf("--b column %d: %w", k, err)
		}
		if k == 0 {
			top = r
			top.Notes = append(top.Notes, fmt.Sprintf("--b has %d columns (POT's b as an m x k matrix): cost, objective and the other fields above are column 0's (converged: all columns'); columns lists every column's", len(cols)))
		} else {
			for _, n := range r.Notes {
				top.Notes = append(top.Notes, fmt.Sprintf("column %d: %s", k, n))
			}
			top.TimeMS += r.TimeMS
		}
		top.Converged = top.Converged && r.Converged
		top.Columns = append(top.Columns, ColumnResult{Cost: r.Cost, Objective: r.Objective, Value: r.Value,
			MarginalError: r.MarginalError, Iterations: r.Iterations, Converged: r.Converged, Status: r.Status})
	}
	return top, nil
}
