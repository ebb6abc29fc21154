package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/gromov"
)

// TestSolveGromov: otplay solve --method gromov through its entry point.
// With --cx/--cy from POT's first reference case (2-D against 3-D,
// solvers/gromov/testdata) and POT's tol it reports POT 0.8.2's gw_dist
// and outer iteration count and writes its plan, to 1e-6; with the
// default squared Euclidean costs it reports gromov.Solve's numbers on
// clouds of dimensions 2 and 3; bad combinations are refused with exit 2.
func TestSolveGromov(t *testing.T) {
	raw, err := os.ReadFile("../../solvers/gromov/testdata/pot_gromov_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			N, M         int
			C1, C2, Plan []float64
			GWDist       float64 `json:"gw_dist"`
			Outer        int
		}
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	c := ref.Cases[0]
	dir := t.TempDir()
	cx, cy, plan := filepath.Join(dir, "c1.npy"), filepath.Join(dir, "c2.npy"), filepath.Join(dir, "plan.npy")
	if err := data.Save(cx, c.C1, c.N, c.N); err != nil {
		t.Fatal(err)
	}
	if err := data.Save(cy, c.C2, c.M, c.M); err != nil {
		t.Fatal(err)
	}
	out := solveJSON(t, "--method", "gromov", "--x", "gaussian:20:d=2", "--y", "gaussian:15:d=3", "--cx", cx, "--cy", cy,
		"--eps", "5", "--tol", "1e-9", "--plan", plan)
	if me := out["marginal_error"].(float64); !(me > 0 && me < 1e-8) {
		t.Errorf("gromov: marginal error %v, want in (0, 1e-8)", me)
	}
	if gw := out["objective"].(float64); math.Abs(gw-c.GWDist) > 1e-6*c.GWDist || out["iterations"].(float64) != float64(c.Outer) || out["converged"] != true {
		t.Errorf("gromov: objective %v iterations %v converged %v; POT gw_dist %v after %d", gw, out["iterations"], out["converged"], c.GWDist, c.Outer)
	}
	p, err := data.Load(plan)
	if err != nil || p.N != c.N || p.D != c.M {
		t.Fatalf("--plan: %v (%d x %d)", err, p.N, p.D)
	}
	for k := range p.Points {
		if math.Abs(p.Points[k]-c.Plan[k]) > 1e-6 {
			t.Fatalf("plan[%d] = %g, POT %g", k, p.Points[k], c.Plan[k])
		}
	}

	xs, _ := data.Parse("moons:25:seed=1")
	ys, _ := data.Parse("gaussian:18:d=3:seed=2")
	want, err := gromov.Solve(compute.NewCPU(0), gromov.Problem{C1: gromov.SquaredEuclidean(xs.Points, 25, 2), C2: gromov.SquaredEuclidean(ys.Points, 18, 3), N: 25, M: 18},
		gromov.Settings{Eps: 2, MaxIter: 1000, Tol: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	out = solveJSON(t, "--method", "gromov", "--x", "moons:25:seed=1", "--y", "gaussian:18:d=3:seed=2", "--eps", "2")
	if out["objective"].(float64) != want.Objective || out["iterations"].(float64) != float64(want.Iterations) {
		t.Errorf("default costs: objective %v, %v iterations; gromov.Solve %v, %d", out["objective"], out["iterations"], want.Objective, want.Iterations)
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--method", "gromov", "--x", "moons:10", "--y", "moons:12", "--cx", cy}, "--cx: a 15 x 15 matrix for 10 points"},
		{[]string{"--method", "gromov", "--x", "moons:10", "--y", "moons:12", "--p", "1"}, "not a cross cost"},
		{[]string{"--method", "gromov", "--x", "moons:10", "--y", "moons:12", "--potentials", filepath.Join(dir, "f.npz")}, "--potentials"},
		{[]string{"--x", "moons:10", "--y", "moons:12", "--cx", cx}, "--cx/--cy: intra-set costs are for --method gromov"},
	} {
		code, _, errOut := solveRun(t, bad.args...)
		if code != 2 || !strings.Contains(errOut, bad.want) {
			t.Errorf("solve %v: exit %d, %q; want 2 and %q", bad.args, code, errOut, bad.want)
		}
	}
}
