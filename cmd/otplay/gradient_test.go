package main

import (
	"archive/zip"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/ot"
)

// readNPZ reads every part of an .npz written by --grad.
func readNPZ(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	out := map[string][]float64{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := data.ReadNPY(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(f.Name, ".npy")] = v
	}
	return out
}

func maxDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// TestSolveGrad: --grad writes the gradient that package ot computes
// (its finite-difference tests are in solvers/ot): a .npz with x, y, a, b
// for sinkhorn, x alone to a .npy for divergence; --grad is refused for
// the other methods and for other extensions, before any work.
func TestSolveGrad(t *testing.T) {
	dir := t.TempDir()
	xs, _ := data.Parse("moons:40:seed=1")
	ys, _ := data.Parse("8gaussians:30:seed=2")
	p := ot.Problem{X: xs.Points, Y: ys.Points, N: 40, M: 30, D: 2}
	set := ot.Settings{Eps: 0.1, MaxIter: ot.DefaultMaxIter, Tol: ot.DefaultTol}
	be := compute.NewCPU(0)

	gz := filepath.Join(dir, "g.npz")
	solveJSON(t, "--x", "moons:40:seed=1", "--y", "8gaussians:30:seed=2", "--eps", "0.1", "--grad", gz)
	got := readNPZ(t, gz)
	r, err := ot.Sinkhorn(be, p, set)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ot.ObjectiveGradient(be, r)
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range map[string][]float64{"x": want.X, "y": want.Y, "a": want.A, "b": want.B} {
		if d := maxDiff(got[name], w); d > 1e-12 {
			t.Errorf("--grad part %s differs from ot.ObjectiveGradient by %g", name, d)
		}
	}

	gy := filepath.Join(dir, "gx.npy")
	solveJSON(t, "--x", "moons:40:seed=1", "--y", "8gaussians:30:seed=2", "--eps", "0.1", "--method", "divergence", "--grad", gy)
	gs, err := data.Load(gy)
	if err != nil || gs.N != 40 || gs.D != 2 {
		t.Fatalf("divergence --grad .npy: %v (%d x %d)", err, gs.N, gs.D)
	}
	dv, err := ot.DivergenceDetail(be, p, set)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(gs.Points, dv.GradX); d > 1e-12 {
		t.Errorf("divergence --grad differs from GradX by %g", d)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--method", "partial", "--grad", gz}, "--grad: gradients are computed for --method sinkhorn"},
		{[]string{"--tier", "nystrom", "--grad", gz}, "approximate"},
		{[]string{"--grad", filepath.Join(dir, "g.txt")}, "--grad: "},
	} {
		code, _, errOut := solveRun(t, append([]string{"--x", "moons:10", "--y", "moons:10"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("solve %v: exit %d, %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
