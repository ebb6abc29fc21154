package metrics

import (
	"errors"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
)

func gaussianCloud(n, d int, mu []float64, s float64, seed uint64) []float64 {
	x := make([]float64, n*d)
	for i := range x {
		x[i] = mu[i%d] + s*compute.NormalAt(seed, uint64(i))
	}
	return x
}

// TestMMDMatchesHost compares the fused backend estimate with the plain
// double loop, fixed and median bandwidths.
func TestMMDMatchesHost(t *testing.T) {
	b := compute.NewCPU(1)
	x := gaussianCloud(50, 3, []float64{0, 0, 0}, 1, 1)
	y := gaussianCloud(40, 3, []float64{0.5, 0, -0.2}, 1.2, 2)
	for _, h := range []float64{0, 0.7, 3} {
		got, err := MMD(b, x, 50, y, 40, 3, h)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := MMDHost(x, 50, y, 40, 3, h)
		if math.Abs(got.MMD2-want.MMD2) > 1e-12 || got.Bandwidth != want.Bandwidth {
			t.Errorf("h=%g: MMD2 = %.15g (h %g), host %.15g (h %g)", h, got.MMD2, got.Bandwidth, want.MMD2, want.Bandwidth)
		}
	}
}

// TestMMDClosedForm checks the estimate between two Gaussians
// N(mu1, s^2 I), N(mu2, s^2 I) against the closed form
// MMD^2 = 2 c (1 - exp(-|mu1 - mu2|^2 / (2 (h^2 + 2 s^2)))),
// c = (h^2 / (h^2 + 2 s^2))^(d/2), and that it is ~0 for equal laws.
func TestMMDClosedForm(t *testing.T) {
	b := compute.NewCPU(0)
	const n, d, s, h = 1500, 2, 0.5, 1.0
	x := gaussianCloud(n, d, []float64{0, 0}, s, 3)
	y := gaussianCloud(n, d, []float64{1, 0}, s, 4)
	z := gaussianCloud(n, d, []float64{0, 0}, s, 5)
	c := math.Pow(h*h/(h*h+2*s*s), d/2.0)
	want := 2 * c * (1 - math.Exp(-1/(2*(h*h+2*s*s))))
	got, err := MMD(b, x, n, y, n, d, h)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := MMD(b, x, n, z, n, d, h)
	t.Logf("MMD^2 = %.5f, closed form %.5f; equal laws %.2g", got.MMD2, want, same.MMD2)
	if math.Abs(got.MMD2-want) > 0.02 { // ~1.5 standard errors at n = 1500 (variance ~ 4 Var(h)/n)
		t.Errorf("MMD^2 = %g, closed form %g", got.MMD2, want)
	}
	if math.Abs(same.MMD2) > 0.003 {
		t.Errorf("MMD^2 of equal laws = %g, want ~0", same.MMD2)
	}
}

func TestMedianBandwidth(t *testing.T) {
	// Points 0, 1, 3 on a line: distances 1, 2, 3 -> median 2.
	if h := MedianBandwidth([]float64{0, 1}, []float64{3}, 1); h != 2 {
		t.Errorf("median bandwidth %g, want 2", h)
	}
}

func TestMMDBadInput(t *testing.T) {
	b := compute.NewCPU(1)
	ok := []float64{0, 1, 2, 3}
	cases := []struct {
		name string
		run  func() error
	}{
		{"n=1", func() error { _, err := MMD(b, []float64{1, 2}, 1, ok, 2, 2, 0); return err }},
		{"len", func() error { _, err := MMD(b, ok, 3, ok, 2, 2, 0); return err }},
		{"nan", func() error { _, err := MMD(b, []float64{0, math.NaN(), 1, 1}, 2, ok, 2, 2, 0); return err }},
		{"d=0", func() error { _, err := MMD(b, ok, 2, ok, 2, 0, 0); return err }},
		{"inf h", func() error { _, err := MMD(b, ok, 2, ok, 2, 2, math.Inf(1)); return err }},
	}
	for _, c := range cases {
		if err := c.run(); err == nil || !(errors.Is(err, ErrBadInput) || errors.Is(err, compute.ErrBadArgument)) {
			t.Errorf("%s: error %v, want a bad-input error", c.name, err)
		}
	}
}
