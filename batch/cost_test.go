//go:build !js

package batch

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/ot"
)

// TestSolveCostRequest: a cost matrix given inline (CostSet) solves with
// P = 0 or 2 (the default, as the CLI's --p 2 may send it), and refuses
// another P, points beside it, and non-finite entries, as UsageErrors.
// The 2 x 2 matrix [[0, 1], [1, 0]] with uniform weights
// has exact cost 0 (the diagonal).
func TestSolveCostRequest(t *testing.T) {
	m := data.Set{Points: []float64{0, 1, 1, 0}, N: 2, D: 2}
	for _, p := range []float64{0, 2} {
		req := NewSolveRequest()
		req.CostSet, req.P, req.Backend, req.Method = &m, p, "cpu", "exact"
		r, err := Solve(req, Options{})
		if err != nil {
			t.Fatalf("P = %g: %v", p, err)
		}
		if r.Cost != 0 || r.N != 2 || r.M != 2 {
			t.Errorf("P = %g: exact cost %g on %d x %d, want 0 on 2 x 2", p, r.Cost, r.N, r.M)
		}
		req.Method, req.Eps = "sinkhorn", 0.1
		r, err = Solve(req, Options{})
		if err != nil {
			t.Fatalf("P = %g sinkhorn: %v", p, err)
		}
		// The entropic plan puts 1/(1 + e^-10) of each row on the diagonal,
		// so the cost is 1/(1 + e^10).
		if want := 1 / (1 + math.Exp(10)); math.Abs(r.Cost-want) > 1e-6 {
			t.Errorf("P = %g: sinkhorn cost %.9g, want %.9g", p, r.Cost, want)
		}
	}
	bad := data.Set{Points: []float64{0, math.Inf(1), 1, 0}, N: 2, D: 2}
	for _, c := range []struct {
		name string
		edit func(*SolveRequest)
	}{
		{"P = 1", func(r *SolveRequest) { r.P = 1 }},
		{"points too", func(r *SolveRequest) { r.X = "moons:4" }},
		{"Inf entry", func(r *SolveRequest) { r.CostSet = &bad }},
		{"divergence", func(r *SolveRequest) { r.Method = "divergence" }},
	} {
		req := NewSolveRequest()
		req.CostSet, req.Backend = &m, "cpu"
		c.edit(&req)
		var ue UsageError
		if _, err := Solve(req, Options{}); !errors.As(err, &ue) {
			t.Errorf("%s: err = %v, want a UsageError", c.name, err)
		}
	}
}

// TestCostFileTooLarge: a cost file larger than a matrix of the limit
// takes is refused by its size, before it is read.
func TestCostFileTooLarge(t *testing.T) {
	path := t.TempDir() + "/M.npy"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(8*ot.MaxCostMatrix + 1<<17); err != nil { // sparse: no data written
		t.Fatal(err)
	}
	f.Close()
	req := NewSolveRequest()
	req.Cost, req.Backend = path, "cpu"
	var ue UsageError
	if _, err := Solve(req, Options{}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "bytes, more than") {
		t.Errorf("err = %v, want a UsageError naming the size", err)
	}
}
