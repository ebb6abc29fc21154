package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

// TestSolveBColumns: a --b file of m rows and k = 3 columns gives, per
// column, the result of --b with that column alone (sinkhorn and exact);
// top-level fields are column 0's; --plan is refused.
func TestSolveBColumns(t *testing.T) {
	dir := t.TempDir()
	const m, k = 30, 3
	bm := make([]float64, m*k)
	for j := range m {
		for c := range k {
			bm[j*k+c] = (1 + float64((j+c)%4)) / float64(m) // normalised by the solve
		}
	}
	bf := filepath.Join(dir, "B.npy")
	if err := data.Save(bf, bm, m, k); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"sinkhorn", "exact"} {
		args := []string{"--x", "moons:40:seed=1", "--y", "8gaussians:30:seed=2", "--eps", "0.1", "--method", method}
		all := solveJSON(t, append(args, "--b", bf)...)
		cols, _ := all["columns"].([]any)
		if len(cols) != k {
			t.Fatalf("%s: columns %v", method, all["columns"])
		}
		for c := range k {
			col := make([]float64, m)
			for j := range m {
				col[j] = bm[j*k+c]
			}
			cf := filepath.Join(dir, "b.npy")
			if err := data.SaveVector(cf, col); err != nil {
				t.Fatal(err)
			}
			one := solveJSON(t, append(args, "--b", cf)...)
			got := cols[c].(map[string]any)
			if math.Abs(got["cost"].(float64)-one["cost"].(float64)) > 1e-14 || got["converged"] != true {
				t.Errorf("%s column %d: %v, alone %v", method, c, got, one["cost"])
			}
		}
		if all["cost"] != cols[0].(map[string]any)["cost"] {
			t.Errorf("%s: top-level cost %v is not column 0's", method, all["cost"])
		}
	}
	code, _, errOut := solveRun(t, "--x", "moons:40", "--y", "8gaussians:30", "--b", bf, "--plan", filepath.Join(dir, "p.npy"))
	if code != 2 || !strings.Contains(errOut, "--b has 3 columns") {
		t.Errorf("--plan with 3 columns: exit %d, %q", code, errOut)
	}
}
