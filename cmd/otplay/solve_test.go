package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

// solveRun runs `otplay solve args...` through the real entry point.
func solveRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(append([]string{"solve"}, args...), &o, &e)
	return code, o.String(), e.String()
}

func solveJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, out, errOut := solveRun(t, append(args, "--json", "--backend", "cpu")...)
	if code != 0 {
		t.Fatalf("solve %v: exit %d, stderr %s", args, code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("solve %v: output %q is not one JSON object: %v", args, out, err)
	}
	return m
}

// solvePOTCase is one case of solvers/ot/testdata/pot_ref.json (made by
// POT 0.8.2, see make_ref.py there).
type solvePOTCase struct {
	Name       string
	N, M, D    int
	X, Y, A, B []float64
	Plan       []float64
	Cost, Eps  float64
	Tau, Mass  float64
}

func solveLoadPOT(t *testing.T) []solvePOTCase {
	t.Helper()
	return loadRefCases[solvePOTCase](t, "../../solvers/ot/testdata/pot_ref.json")
}

// TestSolveMatchesPOT writes POT's reference problems to .csv/.npy files,
// solves them with `otplay solve`, and compares the JSON cost and the
// written plan with POT's.
func TestSolveMatchesPOT(t *testing.T) {
	dir := t.TempDir()
	for k, c := range solveLoadPOT(t) {
		ext := []string{".csv", ".npy"}[k%2]
		xf, yf := filepath.Join(dir, c.Name+"_x"+ext), filepath.Join(dir, c.Name+"_y"+ext)
		af, bf := filepath.Join(dir, c.Name+"_a"+ext), filepath.Join(dir, c.Name+"_b"+ext)
		for _, e := range []error{data.Save(xf, c.X, c.N, c.D), data.Save(yf, c.Y, c.M, c.D), data.SaveVector(af, c.A), data.SaveVector(bf, c.B)} {
			if e != nil {
				t.Fatal(e)
			}
		}
		plan := filepath.Join(dir, c.Name+"_plan.npy")
		// Potentials as two arrays: two files F,G or one .npz.
		fFile, gFile := filepath.Join(dir, c.Name+"_f"+ext), filepath.Join(dir, c.Name+"_g"+ext)
		npzFile := filepath.Join(dir, c.Name+"_fg.npz")
		pots := fFile + "," + gFile
		if k%4 >= 2 {
			pots = npzFile
		}
		args := []string{"--x", xf, "--y", yf, "--a", af, "--b", bf, "--eps", fmt.Sprint(c.Eps),
			"--tol", "1e-13", "--iters", "200000", "--plan", plan, "--potentials", pots}
		method := strings.SplitN(c.Name, "_", 2)[0]
		args = append(args, "--method", method)
		switch method {
		case "unbalanced":
			args = append(args, "--tau", fmt.Sprint(c.Tau))
		case "partial":
			args = append(args, "--mass", fmt.Sprint(c.Mass))
		}
		m := solveJSON(t, args...)
		if m["method"] != method || m["n"] != float64(c.N) || m["m"] != float64(c.M) || m["converged"] != true {
			t.Errorf("%s: report %v", c.Name, m)
		}
		if got := m["cost"].(float64); math.Abs(got-c.Cost) > 1e-7*c.Cost {
			t.Errorf("%s: cost %.12g, POT %.12g", c.Name, got, c.Cost)
		}
		pl, err := data.Load(plan)
		if err != nil {
			t.Fatal(err)
		}
		if pl.N != c.N || pl.D != c.M {
			t.Fatalf("%s: plan file is %d x %d", c.Name, pl.N, pl.D)
		}
		worst := 0.0
		for i, v := range pl.Points {
			worst = math.Max(worst, math.Abs(v-c.Plan[i]))
		}
		if worst > 1e-8 {
			t.Errorf("%s: written plan differs from POT's by %g", c.Name, worst)
		}
		var F, G []float64
		if pots == npzFile {
			fh, err := os.Open(npzFile)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := fh.Stat()
			names, arr, _, err := data.ReadNPZ(fh, st.Size())
			fh.Close()
			if err != nil || len(names) != 2 || names[0] != "f" || names[1] != "g" {
				t.Fatalf("%s: potentials archive holds %v, %v; want f and g", c.Name, names, err)
			}
			F, G = arr["f"], arr["g"]
		} else {
			fs, err1 := data.Load(fFile)
			gs, err2 := data.Load(gFile)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			F, G = fs.Points, gs.Points
		}
		if len(F) != c.N || len(G) != c.M {
			t.Fatalf("%s: potentials of %d and %d values, want %d and %d", c.Name, len(F), len(G), c.N, c.M)
		}
		if method == "sinkhorn" { // at convergence OT_eps = <a, F> + <b, G>
			dual := 0.0
			for i, a := range c.A {
				dual += a * F[i]
			}
			for j, b := range c.B {
				dual += b * G[j]
			}
			if obj := m["objective"].(float64); math.Abs(dual-obj) > 1e-9*math.Abs(obj) {
				t.Errorf("%s: <a,F> + <b,G> = %.12g from the file, objective %.12g", c.Name, dual, obj)
			}
		}
	}
}

// TestSolveMethods runs every method on built-in data and checks the
// report's invariants.
func TestSolveMethods(t *testing.T) {
	x, y := "moons:120:seed=1", "8gaussians:90:seed=2"
	s := solveJSON(t, "--x", x, "--y", y, "--eps", "0.1")
	if s["backend"] != "cpu" || s["tier"] != "full" || s["d"] != float64(2) || s["converged"] != true || s["marginal_error"].(float64) > 1e-6 {
		t.Errorf("sinkhorn report %v", s)
	}
	for _, k := range []string{"method", "backend", "tier", "n", "m", "d", "eps", "cost", "objective", "marginal_error", "iterations", "converged", "time_ms"} {
		if _, ok := s[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	dv := solveJSON(t, "--x", x, "--y", y, "--eps", "0.1", "--method", "divergence")
	if v, ok := dv["value"].(float64); !ok || !(v > 0) || v >= s["objective"].(float64) {
		t.Errorf("divergence value %v (OT_eps %v)", dv["value"], s["objective"])
	}
	self := solveJSON(t, "--x", x, "--y", x, "--eps", "0.1", "--method", "divergence", "--symmetric")
	if v := self["value"].(float64); math.Abs(v) > 1e-6 {
		t.Errorf("S(a, a) = %g", v)
	}
	sl := solveJSON(t, "--x", x, "--y", y, "--method", "sliced", "--projections", "50", "--seed", "4")
	if v, ok := sl["value"].(float64); !ok || !(v > 0) || math.Abs(v*v-sl["cost"].(float64)) > 1e-12 {
		t.Errorf("sliced report %v", sl)
	}
	ex := solveJSON(t, "--x", "moons:60:seed=1", "--y", "8gaussians:90:seed=2", "--method", "exact")
	sk := solveJSON(t, "--x", "moons:60:seed=1", "--y", "8gaussians:90:seed=2", "--eps", "0.002", "--scaling", "0.5", "--iters", "5000", "--tol", "1e-4")
	ec, sc := ex["cost"].(float64), sk["cost"].(float64)
	if sc < ec*(1-1e-3) || sc > ec*1.05 {
		t.Errorf("entropic cost at eps=0.002 is %g, exact %g", sc, ec)
	}
	un := solveJSON(t, "--x", x, "--y", y, "--method", "unbalanced", "--tau", "0.3", "--eps", "0.1")
	pa := solveJSON(t, "--x", x, "--y", y, "--method", "partial", "--mass", "0.4", "--eps", "0.1")
	if un["tau"] != 0.3 || math.Abs(pa["mass"].(float64)-0.4) > 1e-9 || pa["cost"].(float64) >= s["cost"].(float64) {
		t.Errorf("unbalanced %v\npartial %v", un, pa)
	}
	code, out, _ := solveRun(t, "--x", x, "--y", y, "--backend", "cpu", "--eps", "0.1")
	if code != 0 || !strings.Contains(out, "cost") || !strings.Contains(out, "converged: true") {
		t.Errorf("text output (exit %d): %s", code, out)
	}
}

// TestSolveWeightsNormalised: balanced methods normalise weight files and
// say so; partial keeps the masses.
func TestSolveWeightsNormalised(t *testing.T) {
	dir := t.TempDir()
	af := filepath.Join(dir, "a.csv")
	w := make([]float64, 50)
	for i := range w {
		w[i] = 1 + float64(i%3)
	}
	if err := data.SaveVector(af, w); err != nil {
		t.Fatal(err)
	}
	m := solveJSON(t, "--x", "moons:50", "--y", "circles:40", "--a", af, "--eps", "0.2")
	notes := fmt.Sprint(m["notes"])
	if !strings.Contains(notes, "--a: weights summed to 99; normalised to 1") {
		t.Errorf("notes %q", notes)
	}
	// Partial with |a| = 99, |b| = 1: the largest mass is 1; 2 is refused.
	code, _, errOut := solveRun(t, "--x", "moons:50", "--y", "circles:40", "--a", af, "--method", "partial", "--mass", "2", "--backend", "cpu")
	if code != 1 || !strings.Contains(errOut, "Mass = 2 outside (0, min(|a|, |b|) = 1]") {
		t.Errorf("partial with mass 2: exit %d, %s", code, errOut)
	}
	if err := data.SaveVector(af, append(w[:49], -1)); err == nil {
		code, _, errOut := solveRun(t, "--x", "moons:50", "--y", "circles:40", "--a", af, "--backend", "cpu")
		if code == 0 || !strings.Contains(errOut, "--a") {
			t.Errorf("negative weight: exit %d, %s", code, errOut)
		}
	}
}

// TestSolveUsageErrors: bad flags exit 2 with a message naming the flag,
// and nothing is written.
func TestSolveUsageErrors(t *testing.T) {
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.npy")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--y", "moons:10"}, "--x is required"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--method", "magic"}, "--method \"magic\""},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--eps", "0"}, "--eps 0"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--tau", "-1"}, "--tau -1"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--mass", "-1"}, "--mass -1"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--tier", "grid"}, "--tier grid: convolutional Sinkhorn takes two histograms"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--tier", "rff", "--plan", plan}, "approximate kernel"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--tier", "nystrom", "--method", "partial"}, "balanced entropic OT only"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--tier", "magic"}, "--tier \"magic\""},
		{[]string{"--x", "nosuchset:10", "--y", "moons:10"}, "--x: "},
		{[]string{"--x", "moons:10", "--y", "gaussian:10:d=3"}, "dimension 2 and --y dimension 3"},
		{[]string{"--x", "moons:3000", "--y", "moons:2000", "--plan", plan}, "exceeds 4000000"},
		{[]string{"--x", "moons:5001", "--y", "moons:5001", "--method", "exact"}, "25010001 pairs exceed 25000000"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--method", "exact", "--max-pivots", "-1"}, "--max-pivots -1"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--plan", filepath.Join(dir, "p.txt")}, "want a file name ending in .csv, .npy"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--plan", filepath.Join(dir, "nope", "p.npy")}, "does not exist"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--potentials", filepath.Join(dir, "fg.npy")}, "want two files F,G"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--potentials", plan + "," + plan}, "the two files are the same"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "--tol", "-1"}, "--tol -1: want >= 0"},
		{[]string{"--x", "moons:10", "--y", "moons:10", "extra"}, "unexpected argument"},
	} {
		code, _, errOut := solveRun(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("solve %v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
	if _, err := os.Stat(plan); !os.IsNotExist(err) {
		t.Errorf("plan file written after a refused run: %v", err)
	}
	code, out, _ := solveRun(t, "-h")
	if code != 0 || !strings.Contains(out, "Usage: otplay solve") || !strings.Contains(out, "--method") {
		t.Errorf("-h: exit %d, stdout %q", code, out)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}
}

// TestSolveTiers: auto picks full on small problems (and says why); the
// Nystrom tier at large eps agrees with the full solver.
func TestSolveTiers(t *testing.T) {
	args := []string{"--x", "gaussian:300:seed=1", "--y", "gaussian:300:seed=2", "--eps", "1"}
	full := solveJSON(t, args...)
	if full["tier"] != "full" || !strings.Contains(fmt.Sprint(full["notes"]), "tier full: n*m") {
		t.Errorf("auto tier report %v", full)
	}
	ny := solveJSON(t, append(args, "--tier", "nystrom")...)
	fc, nc := full["cost"].(float64), ny["cost"].(float64)
	if ny["tier"] != "nystrom" || ny["converged"] != true || math.Abs(nc-fc) > 1e-2*fc {
		t.Errorf("nystrom cost %g vs full %g (report %v)", nc, fc, ny)
	}
}
