//go:build !js

package batch

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
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
		case r.Method == "divergence":
			return usage("--p %g: --method %s is defined for |x - y|^2 only; --p applies to sinkhorn, unbalanced, partial, exact and sliced (SW_p)", r.P, r.Method)
		case r.Tier == "rff" || r.Tier == "nystrom":
			return usage("--p %g: the %s tier approximates the Gaussian kernel of |x - y|^2 only; use --tier full", r.P, r.Tier)
		}
		return nil
	}
	switch {
	case r.X != "" || r.Y != "" || r.XSet != nil || r.YSet != nil:
		return usage("--cost replaces the points: give --cost or --x and --y, not both")
	case r.customPower():
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
// file larger than ot.MaxCostMatrix entries can take (8 bytes each in
// .npy/.npz, 40 in text) is refused before it is read.
func loadCostMatrix(r SolveRequest) (data.Set, error) {
	if r.CostSet != nil {
		s := *r.CostSet
		if s.N < 1 || s.D < 1 || len(s.Points) != s.N*s.D {
			return s, usage("--cost: %d values for a %d x %d matrix", len(s.Points), s.N, s.D)
		}
		return s, checkCostSize(s)
	}
	// Bytes an entry may take: 8 in a float64 .npy (plus a header), 40 in
	// text (numpy.savetxt's default %.18e and a delimiter take 26).
	perEntry := int64(40)
	if ext := strings.ToLower(filepath.Ext(r.Cost)); ext == ".npy" || ext == ".npz" {
		perEntry = 8
	}
	if st, err := os.Stat(r.Cost); err == nil && st.Size() > perEntry*ot.MaxCostMatrix+1<<16 {
		return data.Set{}, usage("--cost %s: %d bytes, more than a matrix of the limit of %d entries takes (use points and --p)", r.Cost, st.Size(), ot.MaxCostMatrix)
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

// loadInputs returns the clouds of the request, or, with --cost, the cost
// matrix and two empty clouds of n and m points (dimension 0).
func loadInputs(req SolveRequest) (xs, ys data.Set, cost []float64, err error) {
	if req.hasCostMatrix() {
		s, err := loadCostMatrix(req)
		if err != nil {
			return xs, ys, nil, err
		}
		return data.Set{Name: "cost rows", N: s.N}, data.Set{Name: "cost columns", N: s.D}, s.Points, nil
	}
	if xs, err = loadCloud("x", req.X, req.XSet); err != nil {
		return xs, ys, nil, err
	}
	if ys, err = loadCloud("y", req.Y, req.YSet); err != nil {
		return xs, ys, nil, err
	}
	if xs.D != ys.D {
		return xs, ys, nil, usage("--x has dimension %d and --y dimension %d", xs.D, ys.D)
	}
	return xs, ys, nil, nil
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
