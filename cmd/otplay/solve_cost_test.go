package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

// solveCostCase is one case of solvers/ot/testdata/pot_cost_ref.json or
// solvers/exact/testdata/pot_cost_ref.json (POT 0.8.2, see
// make_cost_ref.py): a cost matrix C, or points with the power P.
type solveCostCase struct {
	Name, Kind string
	Matrix     bool
	P          float64
	N, M, D    int
	X, Y, C    []float64
	A, B, Plan []float64
	Value      float64 `json:"cost"`
	Eps, Tau   float64
	Mass       float64
}

// loadRefCases reads the "cases" of a reference JSON file made by POT.
func loadRefCases[T any](t *testing.T, path string) []T {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ref struct{ Cases []T }
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	return ref.Cases
}

// TestSolveCostMatchesPOT solves POT's reference problems for a given
// cost matrix (--cost M.npy or .csv) and for ot.dist(x, y,
// 'euclidean')**P (--p 1, --p 1.5) through `otplay solve` on the float64
// CPU backend, and compares the cost (to 1e-9) and the written plan with
// POT's sinkhorn_log, sinkhorn_unbalanced, entropic_partial_wasserstein
// and emd.
func TestSolveCostMatchesPOT(t *testing.T) {
	dir := t.TempDir()
	cases := append(loadRefCases[solveCostCase](t, "../../solvers/ot/testdata/pot_cost_ref.json"),
		loadRefCases[solveCostCase](t, "../../solvers/exact/testdata/pot_cost_ref.json")...)
	if len(cases) != 15 {
		t.Fatalf("%d reference cases, want 15", len(cases))
	}
	for k, c := range cases {
		ext := []string{".npy", ".csv"}[k%2]
		f := func(s string) string { return filepath.Join(dir, c.Name+"_"+s+ext) }
		plan := filepath.Join(dir, c.Name+"_plan.npy")
		var args []string
		if c.Matrix {
			if err := data.Save(f("M"), c.C, c.N, c.M); err != nil {
				t.Fatal(err)
			}
			args = []string{"--cost", f("M")}
		} else {
			if err := data.Save(f("x"), c.X, c.N, c.D); err != nil {
				t.Fatal(err)
			}
			if err := data.Save(f("y"), c.Y, c.M, c.D); err != nil {
				t.Fatal(err)
			}
			args = []string{"--x", f("x"), "--y", f("y"), "--p", fmt.Sprint(c.P)}
		}
		args = append(args, "--plan", plan)
		switch c.Kind {
		case "emd":
			args = append(args, "--method", "exact") // uniform weights
		default:
			if err := data.SaveVector(f("a"), c.A); err != nil {
				t.Fatal(err)
			}
			if err := data.SaveVector(f("b"), c.B); err != nil {
				t.Fatal(err)
			}
			args = append(args, "--method", c.Kind, "--a", f("a"), "--b", f("b"), "--eps", fmt.Sprint(c.Eps),
				"--tol", "1e-13", "--iters", "200000")
		}
		switch c.Kind {
		case "unbalanced":
			args = append(args, "--tau", fmt.Sprint(c.Tau))
		case "partial":
			args = append(args, "--mass", fmt.Sprint(c.Mass))
		}
		m := solveJSON(t, args...)
		if m["converged"] != true || m["n"] != float64(c.N) || m["m"] != float64(c.M) {
			t.Errorf("%s: report %v", c.Name, m)
		}
		if got := m["cost"].(float64); math.Abs(got-c.Value) > 1e-9*c.Value {
			t.Errorf("%s: cost %.12g, POT %.12g", c.Name, got, c.Value)
		}
		pl, err := data.Load(plan)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i, v := range pl.Points {
			worst = math.Max(worst, math.Abs(v-c.Plan[i]))
		}
		if pl.N != c.N || pl.D != c.M || worst > 1e-9 {
			t.Errorf("%s: plan %d x %d differs from POT's by %.3g", c.Name, pl.N, pl.D, worst)
		}
	}
}

// TestSolveCostUsage: -h lists --p and --cost; conflicting or bad cost
// flags exit 2 with a message naming the flag, before any work.
func TestSolveCostUsage(t *testing.T) {
	code, out, _ := solveRun(t, "-h")
	if code != 0 || !strings.Contains(out, "-p ") || !strings.Contains(out, "-cost ") || !strings.Contains(out, "ot.dist(x, y, 'euclidean')") {
		t.Errorf("solve -h: exit %d, help lacks --p/--cost:\n%s", code, out)
	}
	dir := t.TempDir()
	mfile := filepath.Join(dir, "M.npy")
	if err := data.Save(mfile, []float64{0, 1, 1, 0, 2, 2}, 2, 3); err != nil {
		t.Fatal(err)
	}
	nan := filepath.Join(dir, "nan.csv")
	if err := os.WriteFile(nan, []byte("0,1\n1,nan\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--cost", mfile, "--x", "moons:10"}, "--cost replaces the points"},
		{[]string{"--cost", mfile, "--p", "1"}, "--p 1: --cost gives the costs"},
		{[]string{"--cost", mfile, "--method", "divergence"}, "--method divergence needs point clouds"},
		{[]string{"--cost", mfile, "--tier", "rff"}, "full tier only"},
		{[]string{"--cost", mfile, "--a", mfile}, "--a"},
		{[]string{"--cost", nan}, nan},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--p", "-1"}, "--p -1"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--p", "1", "--method", "divergence"}, "|x - y|^2 only"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--p", "0.5", "--method", "sliced"}, "order of SW_p"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--p", "0.5", "--grad", "g.npz"}, "--grad: the cost |x - y|^0.5 has no gradient at x = y for p < 1"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--p", "1", "--tier", "nystrom"}, "use --tier full"},
	} {
		code, _, errOut := solveRun(t, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("solve %v: exit %d, stderr %q, want an error naming %q", c.args, code, errOut, c.want)
		}
	}
}
