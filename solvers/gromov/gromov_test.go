package gromov

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
)

func cpu() compute.Backend { return compute.NewCPU(0) }

// potCase is one case of testdata/pot_gromov_ref.json.
type potCase struct {
	Name   string
	N, M   int
	C1, C2 []float64
	A, B   []float64
	Eps    float64
	Plan   []float64
	GWDist float64 `json:"gw_dist"`
	Outer  int
}

// TestSolveAgainstPOT: Solve's plan, objective and outer iteration count
// match POT 0.8.2's entropic_gromov_wasserstein(2) (square loss, default
// max_iter and tol) to 1e-6 on the CPU, on clouds of different dimensions
// (testdata/gen_pot_gromov.py).
func TestSolveAgainstPOT(t *testing.T) {
	raw, err := os.ReadFile("testdata/pot_gromov_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct{ Cases []potCase }
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range ref.Cases {
		t.Run(c.Name, func(t *testing.T) {
			r, err := Solve(cpu(), Problem{C1: c.C1, C2: c.C2, N: c.N, M: c.M, A: c.A, B: c.B}, Settings{Eps: c.Eps})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Converged || !r.InnerConverged {
				t.Errorf("converged %v, inner %v (change %g)", r.Converged, r.InnerConverged, r.Change)
			}
			var d float64
			for k := range r.Plan {
				d = max(d, math.Abs(r.Plan[k]-c.Plan[k]))
			}
			t.Logf("plan max diff %.2e, GW %.12g (POT %.12g), %d outer (POT %d), %d inner", d, r.Objective, c.GWDist, r.Iterations, c.Outer, r.InnerIterations)
			if d > 1e-6 {
				t.Errorf("plan differs from POT's by %g", d)
			}
			if math.Abs(r.Objective-c.GWDist) > 1e-6*max(1, math.Abs(c.GWDist)) {
				t.Errorf("GW %.12g, POT %.12g", r.Objective, c.GWDist)
			}
			if r.Iterations != c.Outer {
				t.Errorf("%d outer iterations, POT %d", r.Iterations, c.Outer)
			}
		})
	}
}

// cloud returns n deterministic points in dimension d.
func cloud(n, d int, seed float64) []float64 {
	x := make([]float64, n*d)
	for i := range x {
		x[i] = math.Sin(seed*float64(i+1)*1.7+0.3*float64(i*i%7)) * (1 + float64(i%3)/2)
	}
	return x
}

// TestSolveInvariances: rotating and translating one cloud leaves the
// squared-Euclidean costs, hence the plan and GW, unchanged; a cloud
// against itself at small eps has a plan concentrated on the identity
// and GW near 0.
func TestSolveInvariances(t *testing.T) {
	n, m := 14, 11
	x, y := cloud(n, 2, 1), cloud(m, 3, 2.3)
	s := Settings{Eps: 0.5}
	base, err := Solve(cpu(), Problem{C1: SquaredEuclidean(x, n, 2), C2: SquaredEuclidean(y, m, 3), N: n, M: m}, s)
	if err != nil {
		t.Fatal(err)
	}
	// Rotate y by 40 degrees about its third axis and translate it.
	ry := make([]float64, len(y))
	cs, sn := math.Cos(0.7), math.Sin(0.7)
	for j := range m {
		u, v, w := y[3*j], y[3*j+1], y[3*j+2]
		ry[3*j], ry[3*j+1], ry[3*j+2] = cs*u-sn*v+3, sn*u+cs*v-1, w+0.5
	}
	moved, err := Solve(cpu(), Problem{C1: SquaredEuclidean(x, n, 2), C2: SquaredEuclidean(ry, m, 3), N: n, M: m}, s)
	if err != nil {
		t.Fatal(err)
	}
	var d float64
	for k := range base.Plan {
		d = max(d, math.Abs(base.Plan[k]-moved.Plan[k]))
	}
	if d > 1e-9 || math.Abs(base.Objective-moved.Objective) > 1e-9*base.Objective {
		t.Errorf("rigid motion changed the plan by %g, GW %.12g -> %.12g", d, base.Objective, moved.Objective)
	}

	// Against itself, normalised costs (max 1), eps 0.01: most mass on the
	// diagonal and the rest between near neighbours. (The iteration starts
	// at a b^T, a stationary point for any self-matching, and the inner
	// solves near a permutation are slow: 0.79 of the mass is on the
	// diagonal here after 21 outer steps.)
	c := SquaredEuclidean(x, n, 2)
	top := 0.0
	for _, v := range c {
		top = max(top, v)
	}
	for i := range c {
		c[i] /= top
	}
	self, err := Solve(cpu(), Problem{C1: c, C2: c, N: n, M: n}, Settings{Eps: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	var diag, shifted, independent float64
	for i := range n {
		diag += self.Plan[i*n+i]
		for j := range n {
			shifted += self.Plan[i*n+j] * c[i*n+j]
			independent += c[i*n+j] / float64(n*n)
		}
	}
	t.Logf("self: diagonal mass %.6f, <T, C> %.3g (independent coupling %.3g), GW %.3g, %d outer", diag, shifted, independent, self.Objective, self.Iterations)
	if diag < 0.75 || shifted > 0.05*independent {
		t.Errorf("a cloud against itself: diagonal mass %.6f (want > 0.75), <T, C> %g (want < 5%% of %g)", diag, shifted, independent)
	}
}

// TestSolveRefusesBadInput: shapes, weights, eps and costs are checked
// before any work, with ot.ErrBadInput.
func TestSolveRefusesBadInput(t *testing.T) {
	c1, c2 := SquaredEuclidean(cloud(3, 2, 1), 3, 2), SquaredEuclidean(cloud(2, 1, 1), 2, 1)
	good := Problem{C1: c1, C2: c2, N: 3, M: 2}
	for name, c := range map[string]struct {
		p Problem
		s Settings
	}{
		"no eps":       {good, Settings{}},
		"C1 shape":     {Problem{C1: c1[:8], C2: c2, N: 3, M: 2}, Settings{Eps: 1}},
		"NaN cost":     {Problem{C1: append([]float64{math.NaN()}, c1[1:]...), C2: c2, N: 3, M: 2}, Settings{Eps: 1}},
		"weights sum":  {Problem{C1: c1, C2: c2, N: 3, M: 2, A: []float64{0.5, 0.5, 0.5}}, Settings{Eps: 1}},
		"weights size": {Problem{C1: c1, C2: c2, N: 3, M: 2, B: []float64{1}}, Settings{Eps: 1}},
		"empty":        {Problem{}, Settings{Eps: 1}},
	} {
		if _, err := Solve(cpu(), c.p, c.s); !errors.Is(err, ot.ErrBadInput) {
			t.Errorf("%s: err = %v, want ErrBadInput", name, err)
		}
	}
}
