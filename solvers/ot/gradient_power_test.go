package ot

import (
	"fmt"
	"testing"
)

// checkObjectiveGradient solves p, takes ObjectiveGradient and compares
// each of its parts with central differences of OT_eps (Result.Objective)
// in float64; a cost-matrix problem must have no point parts.
func checkObjectiveGradient(t *testing.T, p Problem, s Settings) {
	t.Helper()
	r, err := Sinkhorn(cpu(), p, s)
	if err != nil || !r.Converged {
		t.Fatalf("Sinkhorn: %v (converged %v)", err, r != nil && r.Converged)
	}
	g, err := ObjectiveGradient(cpu(), r)
	if err != nil {
		t.Fatal(err)
	}
	value := func() float64 {
		r, err := Sinkhorn(cpu(), p, s)
		if err != nil {
			t.Fatal(err)
		}
		return r.Objective
	}
	if p.Cost != nil {
		if g.X != nil || g.Y != nil {
			t.Errorf("cost-matrix gradient has point parts: %d, %d values", len(g.X), len(g.Y))
		}
	} else {
		fdCheck(t, "dOT/dx", g.X, p.X, false, value)
		fdCheck(t, "dOT/dy", g.Y, p.Y, false, value)
	}
	fdCheck(t, "dOT/da", g.A, p.A, true, value)
	fdCheck(t, "dOT/db", g.B, p.B, true, value)
}

// TestPowerCostGradientFiniteDifferences checks ObjectiveGradient for
// |x - y|^p, p in {1, 1.5, 3}, in float64 against central differences of
// OT_eps (the clouds have no coincident points, where p = 1 is not
// differentiable).
func TestPowerCostGradientFiniteDifferences(t *testing.T) {
	for _, pw := range []float64{1, 1.5, 3} {
		t.Run(fmt.Sprintf("p=%g", pw), func(t *testing.T) {
			p, s := gradProblem()
			p.P = pw
			checkObjectiveGradient(t, p, s)
		})
	}
}

// TestCostMatrixGradientWeightsOnly: with a cost matrix the gradient has
// no point parts, and its weight parts match central differences.
func TestCostMatrixGradientWeightsOnly(t *testing.T) {
	p, s := gradProblem()
	p.P = 1.5
	p.Cost = make([]float64, p.N*p.M)
	cost := hostCost(p, p.X, p.Y)
	for i := range p.N {
		for j := range p.M {
			p.Cost[i*p.M+j] = cost(i, j)
		}
	}
	p.X, p.Y, p.P = nil, nil, 0
	checkObjectiveGradient(t, p, s)
}

// TestPowerCostGradientCoincidentPoints: at x_i = y_j the p = 1 term is
// the subgradient 0, and p = 3 is the true gradient 0.
func TestPowerCostGradientCoincidentPoints(t *testing.T) {
	for _, pw := range []float64{1, 3} {
		gx, gy := []float64{0, 0}, []float64{0, 0}
		AddPowerCostGradient(gx, gy, []float64{0.5, -1}, []float64{0.5, -1}, 2, 0, 0, pw, 0.3)
		if gx[0] != 0 || gx[1] != 0 || gy[0] != 0 || gy[1] != 0 {
			t.Errorf("p = %g at x = y: gradient %v, %v, want 0", pw, gx, gy)
		}
		AddPowerCostGradient(gx, gy, []float64{3, 0}, []float64{0, 4}, 2, 0, 0, pw, 0.5)
		// |x - y| = 5, direction (3, -4)/5: 0.5 p 5^(p-1) (0.6, -0.8).
		want := 0.5 * pw * map[float64]float64{1: 1, 3: 25}[pw] * 0.6
		if d := gx[0] - want; d > 1e-12 || d < -1e-12 || gy[0] != -gx[0] {
			t.Errorf("p = %g: gx %v gy %v, want gx[0] = %g", pw, gx, gy, want)
		}
	}
}
