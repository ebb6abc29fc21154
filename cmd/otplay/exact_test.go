package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/exact"
)

// TestSolveExactWeighted runs otplay solve --method exact on weighted 3-D
// clouds of different sizes (refused before the network simplex): the
// cost equals exact.EMD on the same matrix, the plan file has the
// marginals, and the potentials file holds duals that are feasible,
// tight on the plan and centred (<a, u> = <b, v>).
func TestSolveExactWeighted(t *testing.T) {
	dir := t.TempDir()
	xs, _ := data.Parse("gaussian:70:d=3:seed=1")
	ys, _ := data.Parse("gaussian:45:d=3:seed=2")
	xf, yf, af, bf := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy"), filepath.Join(dir, "a.npy"), filepath.Join(dir, "b.npy")
	a, b := make([]float64, 70), make([]float64, 45)
	for i := range a {
		a[i] = (1 + float64(i%5)) / 210
	}
	for j := range b {
		b[j] = (1 + float64(j%3)) / 90
	}
	for _, w := range []struct {
		path string
		v    []float64
		n, d int
	}{{xf, xs.Points, 70, 3}, {yf, ys.Points, 45, 3}, {af, a, 70, 1}, {bf, b, 45, 1}} {
		if err := data.Save(w.path, w.v, w.n, w.d); err != nil {
			t.Fatal(err)
		}
	}
	plan, ff, gf := filepath.Join(dir, "plan.npy"), filepath.Join(dir, "f.npy"), filepath.Join(dir, "g.npy")
	r := solveJSON(t, "--x", xf, "--y", yf, "--a", af, "--b", bf, "--method", "exact", "--plan", plan, "--potentials", ff+","+gf)
	cost := exact.SquaredEuclidean(xs.Points, ys.Points, 70, 45, 3)
	want, err := exact.EMD(a, b, cost, 70, 45, exact.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if got := r["cost"].(float64); math.Abs(got-want.Cost) > 1e-12*want.Cost || r["converged"] != true {
		t.Fatalf("exact cost %v (converged %v), EMD %v", got, r["converged"], want.Cost)
	}
	if !strings.HasPrefix(fmt.Sprint(r["status"]), "optimal after") {
		t.Errorf("status %q", r["status"])
	}
	p, err := data.Load(plan)
	if err != nil || p.N != 70 || p.D != 45 {
		t.Fatalf("plan: %v (%d x %d)", err, p.N, p.D)
	}
	nonzero := 0
	for i := range 70 {
		row := 0.0
		for j := range 45 {
			row += p.Points[i*45+j]
			if p.Points[i*45+j] > 0 {
				nonzero++
			}
		}
		if math.Abs(row-a[i]) > 1e-15 {
			t.Fatalf("plan row %d sums to %g, want %g", i, row, a[i])
		}
	}
	if nonzero > 70+45-1 {
		t.Errorf("%d nonzeros > n + m - 1", nonzero)
	}
	fs, err1 := data.Load(ff)
	gs, err2 := data.Load(gf)
	if err1 != nil || err2 != nil || len(fs.Points) != 70 || len(gs.Points) != 45 {
		t.Fatalf("potentials: %v %v", err1, err2)
	}
	u, v := fs.Points, gs.Points
	au, bv := 0.0, 0.0
	for i := range 70 {
		au += a[i] * u[i]
		for j := range 45 {
			slack := cost[i*45+j] - u[i] - v[j]
			if slack < -1e-12 || (p.Points[i*45+j] > 0 && math.Abs(slack) > 1e-12) {
				t.Fatalf("dual slack at (%d, %d) = %g with plan %g", i, j, slack, p.Points[i*45+j])
			}
		}
	}
	for j := range 45 {
		bv += b[j] * v[j]
	}
	if math.Abs(au-bv) > 1e-12 || math.Abs(au+bv-want.Cost) > 1e-12 {
		t.Errorf("<a,u> = %g, <b,v> = %g, cost %g", au, bv, want.Cost)
	}

	// --grad: POT's emd2 gradients, as exact.EMDResult computes them.
	gz := filepath.Join(dir, "g.npz")
	solveJSON(t, "--x", xf, "--y", yf, "--a", af, "--b", bf, "--method", "exact", "--grad", gz)
	grad := readNPZ(t, gz)
	gx, gy, ga, gb := want.SquaredEuclideanGradient(xs.Points, ys.Points, 70, 45, 3)
	for name, w := range map[string][]float64{"x": gx, "y": gy, "a": ga, "b": gb} {
		if d := maxDiff(grad[name], w); d > 1e-12 {
			t.Errorf("exact --grad part %s differs by %g", name, d)
		}
	}

	// The pivot cap: not converged, POT's warning in the notes.
	capped := solveJSON(t, "--x", xf, "--y", yf, "--a", af, "--b", bf, "--method", "exact", "--max-pivots", "5")
	if capped["converged"] != false || !strings.Contains(fmt.Sprint(capped["notes"]), exact.MaxIterWarning) || capped["iterations"] != 5.0 {
		t.Errorf("capped run: %v", capped)
	}
}
