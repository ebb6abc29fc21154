package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/sliced"
)

// TestSolveSlicedOrderAndDirections: --method sliced --p P --directions
// D.npy gives sliced.Distance's SW_p with the directions scaled to unit
// rows (a scaled file gives the same value); cost is SW_p^p; a zero row,
// p < 1 and --directions on another method are usage errors.
func TestSolveSlicedOrderAndDirections(t *testing.T) {
	dir := t.TempDir()
	dirs := []float64{1, 0, 0.6, 0.8, -1, 1}
	scaled := []float64{5, 0, 3, 4, -2, 2}
	df, sf, zf := filepath.Join(dir, "d.npy"), filepath.Join(dir, "s.npy"), filepath.Join(dir, "z.npy")
	for _, w := range []struct {
		path string
		v    []float64
	}{{df, dirs}, {sf, scaled}, {zf, []float64{1, 0, 0, 0}}} {
		if err := data.Save(w.path, w.v, len(w.v)/2, 2); err != nil {
			t.Fatal(err)
		}
	}
	xs, _ := data.Parse("moons:30:seed=1")
	ys, _ := data.Parse("circles:45:seed=2")
	for _, p := range []string{"1", "3"} {
		args := []string{"--x", "moons:30:seed=1", "--y", "circles:45:seed=2", "--method", "sliced", "--p", p}
		got := solveJSON(t, append(args, "--directions", df)...)
		again := solveJSON(t, append(args, "--directions", sf)...)
		pf := map[string]float64{"1": 1, "3": 3}[p]
		want, err := sliced.Distance(compute.NewCPU(0), sliced.Measure{Points: xs.Points, N: 30, D: 2},
			sliced.Measure{Points: ys.Points, N: 45, D: 2}, sliced.Settings{Directions: dirs, P: pf})
		if err != nil {
			t.Fatal(err)
		}
		v := got["value"].(float64)
		if math.Abs(v-want.SW) > 1e-12*want.SW || math.Abs(again["value"].(float64)-v) > 1e-12*v ||
			math.Abs(got["cost"].(float64)-math.Pow(v, pf)) > 1e-12*v || got["projections"] != 3.0 {
			t.Errorf("p=%s: report %v, scaled %v; SW_p = %g", p, got, again["value"], want.SW)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--method", "sliced", "--directions", zf}, "row 1 is zero"},
		{[]string{"--method", "sliced", "--p", "0.5"}, "--p 0.5"},
		{[]string{"--method", "sinkhorn", "--directions", df}, "--directions applies to --method sliced"},
	} {
		code, _, errOut := solveRun(t, append([]string{"--x", "moons:10", "--y", "moons:10", "--backend", "cpu"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("solve %v: exit %d, %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
