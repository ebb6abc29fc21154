package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/ot"
)

// TestSolveGradGroundCosts: --grad with --p 1.5 writes ot.ObjectiveGradient
// of the |x - y|^1.5 problem (checked against finite differences in
// solvers/ot); with --cost it writes a .npz of a and b alone, the same
// weights' gradient, and refuses a .npy before solving; --p below 1 is
// refused.
func TestSolveGradGroundCosts(t *testing.T) {
	dir := t.TempDir()
	xs, _ := data.Parse("moons:30:seed=1")
	ys, _ := data.Parse("8gaussians:20:seed=2")
	p := ot.Problem{X: xs.Points, Y: ys.Points, N: 30, M: 20, D: 2, P: 1.5}
	set := ot.Settings{Eps: 0.1, MaxIter: ot.DefaultMaxIter, Tol: ot.DefaultTol}
	be := compute.NewCPU(0)
	r, err := ot.Sinkhorn(be, p, set)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ot.ObjectiveGradient(be, r)
	if err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "g.npz")
	solveJSON(t, "--x", "moons:30:seed=1", "--y", "8gaussians:20:seed=2", "--eps", "0.1", "--p", "1.5", "--grad", gz)
	got := readNPZ(t, gz)
	for name, w := range map[string][]float64{"x": want.X, "y": want.Y, "a": want.A, "b": want.B} {
		if d := maxDiff(got[name], w); d > 1e-9 {
			t.Errorf("--p 1.5 --grad part %s differs from ot.ObjectiveGradient by %g", name, d)
		}
	}

	cost := make([]float64, 30*20)
	for i := range 30 {
		for j := range 20 {
			cost[i*20+j] = dist15(xs.Points[2*i:2*i+2], ys.Points[2*j:2*j+2])
		}
	}
	cm := filepath.Join(dir, "M.npy")
	if err := data.Save(cm, cost, 30, 20); err != nil {
		t.Fatal(err)
	}
	gc := filepath.Join(dir, "gc.npz")
	solveJSON(t, "--cost", cm, "--eps", "0.1", "--grad", gc)
	got = readNPZ(t, gc)
	if _, ok := got["x"]; ok || len(got) != 2 {
		t.Errorf("--cost --grad .npz has parts %v, want a and b only", len(got))
	}
	for name, w := range map[string][]float64{"a": want.A, "b": want.B} {
		if d := maxDiff(got[name], w); d > 1e-6 {
			t.Errorf("--cost --grad part %s differs from the --p 1.5 problem's by %g", name, d)
		}
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--cost", cm, "--grad", filepath.Join(dir, "g.npy")}, "only the weights have a gradient"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--p", "0.5", "--grad", gz}, "p < 1"},
	} {
		code, _, errOut := solveRun(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("solve %v: exit %d, %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// dist15 is |x - y|^1.5.
func dist15(x, y []float64) float64 {
	return compute.PowerCost((x[0]-y[0])*(x[0]-y[0])+(x[1]-y[1])*(x[1]-y[1]), 1.5)
}
