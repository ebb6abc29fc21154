//go:build !js

package batch

import (
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/gromov"
	"github.com/otplay/otplay/solvers/ot"
)

// GromovInputs are the intra-set cost matrices of --method gromov (file
// paths --cx, --cy, or inline sets CXSet, CYSet of N rows of N values);
// unset, each is the squared Euclidean distance matrix of its cloud.
type GromovInputs struct {
	CX    string    `json:"cx,omitempty"`
	CY    string    `json:"cy,omitempty"`
	CXSet *data.Set `json:"-"`
	CYSet *data.Set `json:"-"`
}

// checkGromov refuses what --method gromov does not take, and --cx/--cy
// with another method.
func (r SolveRequest) checkGromov() error {
	given := r.CX != "" || r.CY != "" || r.CXSet != nil || r.CYSet != nil
	switch {
	case r.Method != "gromov" && given:
		return usage("--cx/--cy: intra-set costs are for --method gromov, not %s", r.Method)
	case r.Method != "gromov":
		return nil
	case r.hasCostMatrix() || r.customPower():
		return usage("--method gromov compares intra-set costs (--cx, --cy; squared Euclidean by default), not a cross cost --cost or --p")
	case r.Potentials:
		return usage("--potentials: entropic Gromov-Wasserstein has no single pair of potentials (each outer step has its own)")
	case r.Tier != "auto" && r.Tier != "full":
		return usage("--tier %s: --method gromov solves on dense cost matrices (tier full)", r.Tier)
	case r.Scaling != 0:
		return usage("--scaling: --method gromov warm-starts each Sinkhorn solve from the last, which eps-scaling ignores")
	}
	return nil
}

// intraCost returns the n x n intra-set cost matrix of cloud s: the file
// or inline set given, else its squared Euclidean distances.
func intraCost(flag, path string, set *data.Set, s data.Set) ([]float64, error) {
	if path == "" && set == nil {
		return gromov.SquaredEuclidean(s.Points, s.N, s.D), nil
	}
	var c data.Set
	if set != nil {
		c = *set
	} else {
		var err error
		if c, err = data.Load(path); err != nil {
			return nil, fmt.Errorf("--%s: %w", flag, err)
		}
	}
	if c.N != s.N || c.D != s.N || len(c.Points) != s.N*s.N {
		return nil, usage("--%s: a %d x %d matrix for %d points; want %d x %d", flag, c.N, c.D, s.N, s.N, s.N)
	}
	for i, v := range c.Points {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, usage("--%s: entry [%d, %d] is %v (not finite)", flag, i/s.N, i%s.N, v)
		}
	}
	return c.Points, nil
}

// solveGromov runs --method gromov: entropic Gromov-Wasserstein between
// the clouds X and Y, which may differ in dimension (gromov.Solve, POT
// 0.8.2's entropic_gromov_wasserstein with the square loss). --iters and
// --tol are the outer loop's (POT's max_iter and tol; POT's defaults are
// 1000 and 1e-9); each Sinkhorn solve runs on the backend to
// gromov.Settings' inner defaults. Objective and Cost are POT's gw_dist;
// MarginalError is the final coupling's L1 marginal error and Residual
// the last ||T - T_prev||_F.
func solveGromov(req SolveRequest, opt Options) (*SolveResult, error) {
	xs, err := loadCloud("x", req.X, req.XSet)
	if err != nil {
		return nil, err
	}
	ys, err := loadCloud("y", req.Y, req.YSet)
	if err != nil {
		return nil, err
	}
	n, m := xs.N, ys.N
	for _, k := range []int{n * m, n * n, m * m} {
		if k > ot.MaxCostMatrix {
			return nil, usage("--method gromov: %d and %d points need dense %d x %d, %d x %d and %d x %d matrices, over the limit of %d entries", n, m, n, m, n, n, m, m, ot.MaxCostMatrix)
		}
	}
	rep := &SolveResult{Method: req.Method, Tier: "full", N: n, M: m, D: xs.D, Eps: req.Eps}
	a, err := loadWeights("a", req.A, req.AWeights, n, true, &rep.Notes)
	if err != nil {
		return nil, err
	}
	b, err := loadWeights("b", req.B, req.BWeights, m, true, &rep.Notes)
	if err != nil {
		return nil, err
	}
	c1, err := intraCost("cx", req.CX, req.CXSet, xs)
	if err != nil {
		return nil, err
	}
	c2, err := intraCost("cy", req.CY, req.CYSet, ys)
	if err != nil {
		return nil, err
	}
	be, err := opt.openFor(req.Backend, rep)
	if err != nil {
		return nil, err
	}
	defer be.Close()
	start := time.Now()
	r, err := gromov.Solve(be, gromov.Problem{C1: c1, C2: c2, N: n, M: m, A: a, B: b},
		gromov.Settings{Eps: req.Eps, MaxIter: req.Iters, Tol: req.Tol})
	if err != nil {
		return nil, usage("--method gromov: %v", err)
	}
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	rep.Cost, rep.Objective = r.Objective, r.Objective
	rep.Iterations, rep.Converged, rep.Residual = r.Iterations, r.Converged, r.Change
	rep.Status = fmt.Sprintf("%s after %d outer iterations: ||T - T_prev||_F = %.3g (tol %g, tested every 10th step as POT does); %d Sinkhorn iterations in all",
		map[bool]string{true: "converged", false: "not converged"}[r.Converged], r.Iterations, r.Change, math.Abs(req.Tol), r.InnerIterations)
	if xs.D != ys.D {
		rep.Notes = append(rep.Notes, fmt.Sprintf("x in dimension %d, y in dimension %d", xs.D, ys.D))
	}
	if !r.InnerConverged {
		rep.Notes = append(rep.Notes, "some inner Sinkhorn solves stopped at their iteration cap before the 1e-10 marginal error; try a larger --eps")
	}
	rep.MarginalError = planMarginalError(r.Plan, n, m, a, b)
	if req.Plan {
		rep.Plan = r.Plan
	}
	return rep, nil
}

// planMarginalError is sum_i |(T 1)_i - a_i| + sum_j |(T^T 1)_j - b_j|
// of the final coupling T (n x m): how far the last Sinkhorn solve left it
// from the marginals (a or b nil: uniform).
func planMarginalError(t []float64, n, m int, a, b []float64) float64 {
	weight := func(w []float64, i, k int) float64 {
		if w == nil {
			return 1 / float64(k)
		}
		return w[i]
	}
	cols := make([]float64, m)
	var e float64
	for i := range n {
		var row float64
		for j := range m {
			row += t[i*m+j]
			cols[j] += t[i*m+j]
		}
		e += math.Abs(row - weight(a, i, n))
	}
	for j := range m {
		e += math.Abs(cols[j] - weight(b, j, m))
	}
	return e
}
