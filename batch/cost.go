package batch

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/exact"
	"github.com/otplay/otplay/solvers/ot"
)

// Ground costs other than |x - y|^2 for otplay solve (--p, --cost), with
// POT's conventions:
//
//   - --p P: C_ij = |x_i - y_j|_2^P. P = 1 is ot.dist(x, y,
//     metric='euclidean') (the norm, not squared); P = 2 (the default) is
//     ot.dist's 'sqeuclidean'; any other P in (0, 16] is
//     ot.dist(x, y, 'euclidean')**P, whose exact optimum is W_P^P.
//   - --cost M.npy: a dense n x m cost matrix, POT's M, in place of --x
//     and --y (at most ot.MaxCostMatrix = 4e6 entries, the plan limit).
//     The weights --a/--b still apply; the methods are sinkhorn,
//     unbalanced, partial and exact.

// hasCostMatrix reports whether the request gives a cost matrix.
func (r SolveRequest) hasCostMatrix() bool { return r.Cost != "" || r.CostSet != nil }

// customPower reports a --p other than the default 2.
func (r SolveRequest) customPower() bool { return r.P != 0 && r.P != 2 }

// checkCost checks --p and --cost against the rest of the request.
func (r SolveRequest) checkCost() error {
	if math.IsNaN(r.P) || r.P < 0 || r.P > compute.MaxCostPower {
		return usage("--p %g: want a power in (0, %d] (2, the default, is |x - y|^2)", r.P, compute.MaxCostPower)
	}
	if !r.hasCostMatrix() {
		if !r.customPower() {
			return nil
		}
		switch {
		case r.Method == "divergence" || r.Method == "sliced":
			return usage("--p %g: --method %s is defined for |x - y|^2 only; --p applies to sinkhorn, unbalanced, partial and exact", r.P, r.Method)
		case r.Tier == "rff" || r.Tier == "nystrom":
			return usage("--p %g: the %s tier approximates the Gaussian kernel of |x - y|^2 only; use --tier full", r.P, r.Tier)
		}
		return nil
	}
	switch {
	case r.X != "" || r.Y != "" || r.XSet != nil || r.YSet != nil:
		return usage("--cost replaces the points: give --cost or --x and --y, not both")
	case r.P != 0:
		return usage("--p %g: --cost gives the costs themselves; --p applies to point clouds", r.P)
	case r.Tier != "auto" && r.Tier != "full":
		return usage("--tier %s: a cost matrix is solved by the full tier only", r.Tier)
	}
	switch r.Method {
	case "sinkhorn", "unbalanced", "partial", "exact":
		return nil
	}
	return usage("--cost: --method %s needs point clouds; with a cost matrix use sinkhorn, unbalanced, partial or exact", r.Method)
}

// groundCostNote says which cost a solve used, in POT's words.
func groundCostNote(r SolveRequest, n, m int) string {
	switch {
	case r.hasCostMatrix():
		name := r.Cost
		if name == "" {
			name = "the uploaded matrix"
		}
		return fmt.Sprintf("ground cost: the %d x %d matrix %s (POT's M)", n, m, name)
	case r.P == 1:
		return "ground cost |x - y| (POT's ot.dist(x, y, 'euclidean'))"
	}
	return fmt.Sprintf("ground cost |x - y|^%g (POT's ot.dist(x, y, 'euclidean')**%g)", r.P, r.P)
}

// loadCostMatrix returns the n x m cost matrix of the request: CostSet,
// or the file Cost (one 2-D array: .npy, a one-array .npz, or text). A
// binary file too large to hold ot.MaxCostMatrix float64 entries is
// refused before it is read.
func loadCostMatrix(r SolveRequest) (data.Set, error) {
	if r.CostSet != nil {
		s := *r.CostSet
		if s.N < 1 || s.D < 1 || len(s.Points) != s.N*s.D {
			return s, usage("--cost: %d values for a %d x %d matrix", len(s.Points), s.N, s.D)
		}
		return s, checkCostSize(s)
	}
	ext := strings.ToLower(filepath.Ext(r.Cost))
	if st, err := os.Stat(r.Cost); err == nil && (ext == ".npy" || ext == ".npz") && st.Size() > 8*ot.MaxCostMatrix+1<<16 {
		return data.Set{}, usage("--cost %s: %d bytes, more than a matrix of the limit of %d entries holds (use points and --p)", r.Cost, st.Size(), ot.MaxCostMatrix)
	}
	s, err := data.Load(r.Cost)
	if err != nil {
		return s, fmt.Errorf("--cost: %w", err)
	}
	return s, checkCostSize(s)
}

func checkCostSize(s data.Set) error {
	if float64(s.N)*float64(s.D) > ot.MaxCostMatrix {
		return usage("--cost: a %d x %d matrix has more than %d entries (the plan limit); use points and --p", s.N, s.D, ot.MaxCostMatrix)
	}
	for i, v := range s.Points {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return usage("--cost: entry [%d, %d] is %v (not finite)", i/s.D, i%s.D, v)
		}
	}
	return nil
}

// solveCost runs a request whose cost is a matrix (--cost), or exact OT
// with --p (on the matrix of |x_i - y_j|^P): the same steps as Solve
// without points.
func solveCost(req SolveRequest, opt Options) (*SolveResult, error) {
	var cost []float64
	var n, m, d int
	if req.hasCostMatrix() {
		s, err := loadCostMatrix(req)
		if err != nil {
			return nil, err
		}
		cost, n, m = s.Points, s.N, s.D
	} else {
		xs, err := loadCloud("x", req.X, req.XSet)
		if err != nil {
			return nil, err
		}
		ys, err := loadCloud("y", req.Y, req.YSet)
		if err != nil {
			return nil, err
		}
		if xs.D != ys.D {
			return nil, usage("--x has dimension %d and --y dimension %d", xs.D, ys.D)
		}
		n, m, d = xs.N, ys.N, xs.D
		if float64(n)*float64(m) > ot.MaxCostMatrix {
			return nil, usage("--method exact --p %g: %d x %d costs exceed %d", req.P, n, m, ot.MaxCostMatrix)
		}
		cost = powerCosts(xs.Points, ys.Points, n, m, d, req.P)
	}
	rep := &SolveResult{Method: req.Method, N: n, M: m, D: d, Tier: "full"}
	rep.Notes = append(rep.Notes, groundCostNote(req, n, m))
	balanced := req.Method != "unbalanced" && req.Method != "partial"
	a, err := loadWeights("a", req.A, req.AWeights, n, balanced, &rep.Notes)
	if err != nil {
		return nil, err
	}
	b, err := loadWeights("b", req.B, req.BWeights, m, balanced, &rep.Notes)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if req.Method == "exact" {
		return solveExactCost(req, cost, n, m, a, b, rep, start)
	}
	be, note, err := opt.open(req.Backend)
	if err != nil {
		return nil, err
	}
	defer be.Close()
	if note != "" {
		rep.Notes = append(rep.Notes, note)
	}
	rep.Backend = be.Info().Name
	prob := ot.Problem{Cost: cost, N: n, M: m, A: a, B: b}
	set := ot.Settings{Eps: req.Eps, MaxIter: req.Iters, Tol: req.Tol, Scaling: req.Scaling, Symmetric: req.Symmetric, Progress: opt.Progress}
	var res *ot.Result
	switch req.Method {
	case "unbalanced":
		set.TauA, set.TauB = req.Tau, req.Tau
		rep.Tau = req.Tau
		res, err = ot.Unbalanced(be, prob, set)
	case "partial":
		set.Mass = req.Mass
		if res, err = ot.Partial(be, prob, set); err == nil {
			rep.Mass = res.Mass
		}
	default:
		res, err = ot.Sinkhorn(be, prob, set)
	}
	if err != nil {
		return nil, err
	}
	rep.Eps = res.Eps
	rep.Cost, rep.Objective, rep.MarginalError = res.Cost, res.Objective, res.MarginalError
	rep.Iterations, rep.Converged = res.Iterations, res.Converged
	rep.Residual, rep.Check, rep.Precision, rep.PrecisionFloor, rep.Status = res.ResidualBound, res.Check, res.Precision, res.PrecisionFloor, res.Status
	if req.Plan {
		if rep.Plan, err = res.PlanDense(be); err != nil {
			return nil, err
		}
	}
	if req.Potentials {
		rep.F, rep.G = append([]float64(nil), res.F...), append([]float64(nil), res.G...)
	}
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}

// powerCosts returns the n x m matrix of |x_i - y_j|_2^p.
func powerCosts(x, y []float64, n, m, d int, p float64) []float64 {
	c := make([]float64, n*m)
	for i := range n {
		for j := range m {
			var s float64
			for k := range d {
				t := x[i*d+k] - y[j*d+k]
				s += t * t
			}
			c[i*m+j] = compute.PowerCost(s, p)
		}
	}
	return c
}

// solveExactCost solves exact OT for a cost matrix by exact.SolveCost
// (uniform weights, lcm(n, m) <= exact.MaxPoints).
func solveExactCost(req SolveRequest, cost []float64, n, m int, a, b []float64, rep *SolveResult, start time.Time) (*SolveResult, error) {
	if a != nil || b != nil {
		return nil, usage("--method exact with a cost matrix or --p: uniform weights only (drop --a/--b)")
	}
	if req.Potentials {
		return nil, usage("--potentials: the exact method does not compute potentials")
	}
	r, err := exact.SolveCost(cost, n, m)
	if err != nil {
		return nil, usage("--method exact: %v", err)
	}
	rep.Backend = "cpu"
	rep.Cost, rep.Objective, rep.Converged = r.Cost, r.Cost, true
	if req.Plan {
		rep.Plan = make([]float64, n*m)
		for _, fl := range r.Flows {
			rep.Plan[fl.I*m+fl.J] += fl.Mass
		}
	}
	rep.Notes = append(rep.Notes, "exact OT runs on the host (CPU) whatever --backend says")
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}
