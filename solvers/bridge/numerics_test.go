package bridge

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
)

func scaled(v []float64, s float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x * s
	}
	return out
}

// TestTinySigmaAndHugeCoordinates (issue 9): a tiny sigma or coordinates
// at 1e150 give a clear error naming the limit in sigma, or a right
// answer, never a silent wrong one. The right answer is checked by scale
// invariance: the bridge of s x with sigma s has the plan of x with
// sigma 1 (C / eps does not change), so its cost is s^2 times as large.
func TestTinySigmaAndHugeCoordinates(t *testing.T) {
	x, y := toy(t, "moons", 60, 1), toy(t, "8gaussians", 60, 2)
	for _, c := range []struct {
		name        string
		scale       float64
		sigma       float64
		wantErr     error
		wantMessage string
	}{
		{"sigma 1e-12", 1, 1e-12, ot.ErrPrecision, "sigma >="},
		{"sigma 1e-200 (eps underflows)", 1, 1e-200, ErrBadInput, "not a positive float64"},
		{"sigma 1e200 (eps overflows)", 1, 1e200, ErrBadInput, "not a positive float64"},
		{"coordinates 1e150, default sigma", 1e150, 0, ot.ErrPrecision, "sigma >="},
		{"coordinates 1e160 (squares overflow)", 1e160, 0, ot.ErrBadInput, "overflow"},
	} {
		p := ot.Problem{X: scaled(x, c.scale), Y: scaled(y, c.scale), N: 60, M: 60, D: 2}
		for _, be := range []compute.Backend{compute.NewCPU(0), compute.NewCPUFast(0)} {
			br, err := New(be, p, Settings{Sigma: c.sigma})
			if err == nil {
				br.Free()
				t.Fatalf("%s: no error (converged %v, cost %g)", c.name, br.Static.Converged, br.Static.Cost)
			}
			if !errors.Is(err, c.wantErr) || !strings.Contains(err.Error(), c.wantMessage) {
				t.Errorf("%s: %v; want %v saying %q", c.name, err, c.wantErr, c.wantMessage)
			}
		}
	}
	// Coordinates at 1e150 with sigma 1e150: the unit problem, scaled.
	set := Settings{Sinkhorn: ot.Settings{Tol: 1e-9, MaxIter: 5000}}
	set.Sigma = 0.3
	unit, err := New(cpu(), ot.Problem{X: x, Y: y, N: 60, M: 60, D: 2}, set)
	if err != nil {
		t.Fatal(err)
	}
	defer unit.Free()
	set.Sigma = 0.3e150
	big, err := New(cpu(), ot.Problem{X: scaled(x, 1e150), Y: scaled(y, 1e150), N: 60, M: 60, D: 2}, set)
	if err != nil {
		t.Fatal(err)
	}
	defer big.Free()
	t.Logf("unit cost %.12g (%s); at 1e150 %.12g e300 (%s)", unit.Static.Cost, unit.Static.Status, big.Static.Cost/1e300, big.Static.Status)
	if !unit.Static.Converged || !big.Static.Converged || math.Abs(big.Static.Cost/1e300-unit.Static.Cost) > 1e-9*unit.Static.Cost {
		t.Errorf("1e150: cost %g e300 converged %v; unit %g converged %v", big.Static.Cost/1e300, big.Static.Converged, unit.Static.Cost, unit.Static.Converged)
	}
	is1, js1, err := unit.SamplePairs(500, 7)
	if err != nil {
		t.Fatal(err)
	}
	is2, js2, err := big.SamplePairs(500, 7)
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for k := range is1 {
		if is1[k] == is2[k] && js1[k] == js2[k] {
			same++
		}
	}
	t.Logf("%d of 500 sampled pairs agree", same)
	if same < 495 {
		t.Errorf("only %d of 500 pairs agree between the unit and the 1e150 bridge", same)
	}
}
