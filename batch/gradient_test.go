//go:build !js

package batch

import (
	"math"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

// TestExactGradientPowerCost: --method exact --grad with --p 3 matches
// central differences of the exact cost in each point coordinate (random
// clouds: the optimal plan is unique, so the cost is differentiable),
// and with a cost matrix only the weights' parts are returned.
func TestExactGradientPowerCost(t *testing.T) {
	xs, _ := data.Parse("gaussian:7:d=2:seed=4")
	ys, _ := data.Parse("moons:5:seed=5")
	solve := func(x []float64) *SolveResult {
		req := NewSolveRequest()
		req.XSet, req.YSet = &data.Set{Points: x, N: xs.N, D: 2}, &ys
		req.Method, req.P, req.Grad, req.Backend = "exact", 3, true, "cpu"
		r, err := Solve(req, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	g := solve(xs.Points).Grad
	const h = 1e-6
	for k := range xs.Points {
		xp := append([]float64(nil), xs.Points...)
		xm := append([]float64(nil), xs.Points...)
		xp[k] += h
		xm[k] -= h
		fd := (solve(xp).Cost - solve(xm).Cost) / (2 * h)
		if math.Abs(fd-g.X[k]) > 1e-6*max(1, math.Abs(fd)) {
			t.Errorf("d cost / d x[%d]: gradient %.10g, finite difference %.10g", k, g.X[k], fd)
		}
	}
	req := NewSolveRequest()
	req.CostSet = &data.Set{Points: []float64{0, 2, 1, 0, 3, 1}, N: 2, D: 3}
	req.Method, req.Grad, req.Backend = "exact", true, "cpu"
	r, err := Solve(req, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Grad.X != nil || r.Grad.Y != nil || len(r.Grad.A) != 2 || len(r.Grad.B) != 3 {
		t.Errorf("cost-matrix gradient: x %v y %v a %v b %v; want weights' parts only", r.Grad.X, r.Grad.Y, r.Grad.A, r.Grad.B)
	}
}
