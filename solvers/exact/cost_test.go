package exact

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
)

// TestSolveCostAgainstPOT compares SolveCost with POT 0.8.2's ot.emd for a
// given cost matrix (uniform [0, 2) entries) and for
// M = ot.dist(x, y, 'euclidean')**P, P = 1 and 1.5, uniform weights, n = m
// and n != m (numbers made by ../ot/testdata/make_cost_ref.py). Random
// costs have a unique optimal plan, so the plans must agree entry by entry.
func TestSolveCostAgainstPOT(t *testing.T) {
	raw, err := os.ReadFile("testdata/pot_cost_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Name       string
			N, M       int
			C          []float64
			A, B, Plan []float64
			Value      float64 `json:"cost"`
		}
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) != 6 {
		t.Fatalf("%d cases, want 6", len(ref.Cases))
	}
	for _, c := range ref.Cases {
		r, err := SolveCost(c.C, c.N, c.M)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		t.Logf("%s: cost %.12g, POT emd2 %.12g", c.Name, r.Cost, c.Value)
		if !closeRel(r.Cost, c.Value, 1e-12) {
			t.Errorf("%s: cost %.12g, want %.12g", c.Name, r.Cost, c.Value)
		}
		plan := make([]float64, c.N*c.M)
		for _, f := range r.Flows {
			plan[f.I*c.M+f.J] += f.Mass
		}
		for k := range plan {
			if math.Abs(plan[k]-c.Plan[k]) > 1e-12 {
				t.Errorf("%s: plan[%d, %d] = %g, POT %g", c.Name, k/c.M, k%c.M, plan[k], c.Plan[k])
			}
		}
		checkMarginals(t, r, c.A, c.B)
	}
}

// TestSolveCostNegativeAndBad: a constant shift of the costs (negative
// entries included) moves the cost by the shift and keeps the plan; bad
// matrices are refused with ErrBadInput.
func TestSolveCostNegativeAndBad(t *testing.T) {
	c := []float64{3, 1, 2, 2, 3, 1, 1, 2, 3}
	r, err := SolveCost(c, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !closeRel(r.Cost, 1, 1e-15) {
		t.Errorf("cost %g, want 1 (the anti-diagonal ones)", r.Cost)
	}
	shifted := make([]float64, len(c))
	for i, v := range c {
		shifted[i] = v - 5
	}
	rs, err := SolveCost(shifted, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !closeRel(rs.Cost, -4, 1e-15) {
		t.Errorf("shifted cost %g, want -4", rs.Cost)
	}
	for _, bad := range []struct {
		name string
		c    []float64
		n, m int
	}{
		{"wrong length", c, 2, 2},
		{"NaN", []float64{math.NaN(), 1, 1, 0}, 2, 2},
		{"no rows", nil, 0, 3},
		{"too many pairs", make([]float64, 1), 5001, 5001},
	} {
		if _, err := SolveCost(bad.c, bad.n, bad.m); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: err = %v, want ErrBadInput", bad.name, err)
		}
	}
}
