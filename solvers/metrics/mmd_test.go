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

// TestCompare checks the quality report: all metrics present, zero-ish
// for two samples of one law, larger for shifted data, and the sliced and
// Sinkhorn values for a translation by s: SW_2^2 = |s|^2 / d (the mean
// of squared projections over the sphere; 200 random directions give
// ~0.035 standard error on SW_2 here) and S_eps = |s|^2 (for a
// translation the entropic plans of (x, x + s) and (x, x) coincide up to
// the shift, so OT_eps(a, b) - OT_eps(a, a) = |s|^2 and the two self terms
// are equal).
func TestCompare(t *testing.T) {
	b := compute.NewCPU(0)
	const n = 400
	x := gaussianCloud(n, 2, []float64{0, 0}, 0.3, 1)
	same := gaussianCloud(n, 2, []float64{0, 0}, 0.3, 2)
	shifted := make([]float64, len(x))
	for i := range x {
		shifted[i] = x[i]
		if i%2 == 0 {
			shifted[i] += 2
		}
	}
	q0, err := Compare(b, x, n, same, n, 2, CompareSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.05 * 2 * 0.09; math.Abs(*q0.SinkhornEps-want) > 0.2*want {
		t.Errorf("default eps %g, want ~0.05 x total variance = %g", *q0.SinkhornEps, want)
	}
	q1, err := Compare(b, x, n, shifted, n, 2, CompareSettings{SinkhornEps: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if q0.MMD2 == nil || q0.SlicedW2 == nil || q0.SinkhornDivergence == nil || q0.SinkhornConverged == nil {
		t.Fatalf("missing fields: %+v", q0)
	}
	t.Logf("same law: mmd2 %.4g sw2 %.4g S %.4g; shift 2: mmd2 %.4g sw2 %.4g S %.4g (converged %v)",
		*q0.MMD2, *q0.SlicedW2, *q0.SinkhornDivergence, *q1.MMD2, *q1.SlicedW2, *q1.SinkhornDivergence, *q1.SinkhornConverged)
	if *q0.SlicedW2 > 0.1 || *q0.SinkhornDivergence > 0.02 || !*q0.SinkhornConverged {
		t.Errorf("same law: sliced %g, sinkhorn %g", *q0.SlicedW2, *q0.SinkhornDivergence)
	}
	// a pure translation by (2, 0): SW_2^2 = 4/2 exactly (every direction)
	if math.Abs(*q1.SlicedW2-math.Sqrt2) > 0.1 {
		t.Errorf("shift: sliced W2 %g, want sqrt 2", *q1.SlicedW2)
	}
	if math.Abs(*q1.SinkhornDivergence-4) > 0.2 || !*q1.SinkhornConverged {
		t.Errorf("shift: Sinkhorn divergence %g (converged %v), want ~4", *q1.SinkhornDivergence, *q1.SinkhornConverged)
	}
}

// TestMMDReference: the cached reference gives the statistic of the plain
// i != j double loops written out here (an independent brute force of
// Gretton et al.'s eq. (3)), for several samples against one reference,
// and refuses a bad bandwidth and a sample of one point.
func TestMMDReference(t *testing.T) {
	const d = 2
	y := gaussianCloud(90, d, []float64{0, 1}, 0.8, 4)
	ref, err := NewMMDReference(y, 90, d, 0.7)
	if err != nil {
		t.Fatal(err)
	}
	k := func(a, b []float64) float64 {
		return math.Exp(-((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1])) / (2 * 0.7 * 0.7))
	}
	brute := func(x []float64) float64 {
		n, m := len(x)/d, len(y)/d
		var xx, yy, xy float64
		for i := range n {
			for j := range n {
				if i != j {
					xx += k(x[i*d:], x[j*d:])
				}
			}
			for j := range m {
				xy += k(x[i*d:], y[j*d:])
			}
		}
		for i := range m {
			for j := range m {
				if i != j {
					yy += k(y[i*d:], y[j*d:])
				}
			}
		}
		fn, fm := float64(n), float64(m)
		return xx/(fn*(fn-1)) + yy/(fm*(fm-1)) - 2*xy/(fn*fm)
	}
	for _, x := range [][]float64{gaussianCloud(70, d, []float64{1, 0}, 1, 5), y[:80], gaussianCloud(2, d, []float64{0, 0}, 1, 6)} {
		got, err := ref.MMD(x, len(x)/d)
		if err != nil {
			t.Fatal(err)
		}
		want := brute(x)
		if math.Abs(got.MMD2-want) > 1e-12 || got.MMD != math.Sqrt(max(want, 0)) && math.Abs(got.MMD-math.Sqrt(max(want, 0))) > 1e-12 {
			t.Errorf("%d points: MMD2 %.15g, brute force %.15g", len(x)/d, got.MMD2, want)
		}
	}
	for _, h := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := NewMMDReference(y, 90, d, h); !errors.Is(err, ErrBadInput) {
			t.Errorf("h = %v: error %v, want ErrBadInput", h, err)
		}
	}
	if _, err := ref.MMD([]float64{1, 2}, 1); !errors.Is(err, ErrBadInput) {
		t.Errorf("one point: error %v, want ErrBadInput", err)
	}
}
