package sliced

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
)

// TestDistanceOrderPAgainstPOT: SW_p for p = 1, 2, 3 equals POT 0.8.2's
// sliced_wasserstein_distance with the same unit directions
// (testdata/make_sliced_p_ref.py) to 1e-12, on each Path.
func TestDistanceOrderPAgainstPOT(t *testing.T) {
	raw, err := os.ReadFile("testdata/sliced_p_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		D          int
		Directions []float64
		Cases      []struct {
			Name       string
			P          float64
			N, M       int
			Weighted   bool
			X, Y, A, B []float64
			SW         float64
		}
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	be := compute.NewCPU(0)
	for _, c := range ref.Cases {
		x, y := Measure{Points: c.X, N: c.N, D: ref.D}, Measure{Points: c.Y, N: c.M, D: ref.D}
		if c.Weighted {
			x.Weights, y.Weights = c.A, c.B
		}
		r, err := Distance(be, x, y, Settings{Directions: ref.Directions, P: c.P})
		if err != nil {
			t.Fatalf("%s p=%g: %v", c.Name, c.P, err)
		}
		if math.Abs(r.SW-c.SW) > 1e-12*c.SW || r.P != c.P {
			t.Errorf("%s p=%g (path %s): SW = %.15g, POT %.15g", c.Name, c.P, r.Path, r.SW, c.SW)
		}
	}
}

// TestDirectionsNormalised: given directions are scaled to unit rows (a
// scaled copy gives the same distance) and a zero row or p < 1 is refused.
func TestDirectionsNormalised(t *testing.T) {
	be := compute.NewCPU(0)
	x := Measure{Points: []float64{0, 0, 1, 2, 3, 1}, N: 3, D: 2}
	y := Measure{Points: []float64{1, 1, -1, 0.5}, N: 2, D: 2}
	unit, err := Distance(be, x, y, Settings{Directions: []float64{0.6, 0.8, 1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	scaled, err := Distance(be, x, y, Settings{Directions: []float64{3, 4, 0.1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(unit.SW-scaled.SW) > 1e-14 || math.Abs(scaled.Directions[0]-0.6) > 1e-15 {
		t.Errorf("scaled directions: SW %g, unit %g (directions used %v)", scaled.SW, unit.SW, scaled.Directions)
	}
	if _, err := Distance(be, x, y, Settings{Directions: []float64{1, 0, 0, 0}}); err == nil || !strings.Contains(err.Error(), "direction 1 is zero") {
		t.Errorf("zero direction: %v", err)
	}
	if _, err := Distance(be, x, y, Settings{P: 0.5}); err == nil || !strings.Contains(err.Error(), "P = 0.5") {
		t.Errorf("p = 0.5: %v", err)
	}
}
