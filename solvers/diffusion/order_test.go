package diffusion

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
)

// gaussianSetup returns a single-Gaussian model N(mu, s^2 I) in 2-D on
// the CPU backend, n initial points at t = 1 and their exact image under
// the probability-flow ODE at tEnd.
func gaussianSetup(t *testing.T, s Schedule, n int, tEnd float64) (compute.Backend, Model, []float64, []float64) {
	t.Helper()
	b := compute.NewCPU(1)
	mu, std := []float64{0.5, -1}, 0.5
	g, err := NewGMM(b, []float64{1}, mu, []float64{std}, 2)
	if err != nil {
		t.Fatal(err)
	}
	x0 := make([]float64, n*2)
	for i := range x0 {
		x0[i] = compute.NormalAt(7, uint64(i))
	}
	want := make([]float64, len(x0))
	GaussianFlow(want, x0, mu, std, At(s, 1), At(s, tEnd))
	return b, g, x0, want
}

func maxAbsDiff(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

func runSampler(t *testing.T, b compute.Backend, m Model, s Schedule, x0 []float64, set Settings) ([]float64, Result) {
	t.Helper()
	x, err := b.Upload(x0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Sample(b, m, s, x, len(x0)/m.Dim(), set)
	if err != nil {
		t.Fatalf("%v: %v", set.Sampler, err)
	}
	out := make([]float64, len(x0))
	if err := b.Read(out, x); err != nil {
		t.Fatal(err)
	}
	return out, res
}

// slope fits log(err) = c - p log(steps) by least squares and returns p.
func slope(steps []int, errs []float64) float64 {
	var sx, sy, sxx, sxy float64
	for i := range steps {
		x, y := math.Log(float64(steps[i])), math.Log(errs[i])
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	k := float64(len(steps))
	return -(k*sxy - sx*sy) / (k*sxx - sx*sx)
}

// TestOrderGaussian measures the empirical order of every deterministic
// sampler against the exact probability-flow map of a single Gaussian
// (GaussianFlow), on the continuous VP schedule from t = 1 to 1e-3.
func TestOrderGaussian(t *testing.T) {
	s := VP{}
	const tEnd = 1e-3
	b, m, x0, want := gaussianSetup(t, s, 16, tEnd)
	cases := []struct {
		sampler Sampler
		steps   []int
		order   float64 // theoretical
		tol     float64 // accepted deviation of the fitted slope
	}{
		{DDIM, []int{20, 40, 80, 160}, 1, 0.15},
		{EulerMaruyama, []int{40, 80, 160, 320}, 1, 0.15},
		{DPMPP2M, []int{20, 40, 80, 160}, 2, 0.15},
		{DPMPP2S, []int{20, 40, 80, 160}, 2, 0.15},
		{Heun, []int{20, 40, 80, 160}, 2, 0.15},
		// For a single Gaussian 3M converges faster than its order (4.0
		// measured: the D''' term of its local error happens to be
		// small here), so only the lower bound is asserted.
		{DPMPP3M, []int{20, 40, 80, 160}, 3, -0.3},
	}
	for _, c := range cases {
		errs := make([]float64, len(c.steps))
		for i, n := range c.steps {
			got, res := runSampler(t, b, m, s, x0, Settings{Sampler: c.sampler, Steps: n, TEnd: tEnd, Deterministic: true})
			errs[i] = maxAbsDiff(got, want)
			wantNFE := n
			if c.sampler == DPMPP2S || c.sampler == Heun {
				wantNFE = 2 * n
			}
			if res.NFE != wantNFE || res.Steps != n {
				t.Errorf("%v steps=%d: NFE = %d, steps = %d, want %d, %d", c.sampler, n, res.NFE, res.Steps, wantNFE, n)
			}
		}
		p := slope(c.steps, errs)
		t.Logf("%-15v steps %v max error %.3g  order %.2f (theory %g)", c.sampler, c.steps, errs, p, c.order)
		if c.tol < 0 && p < c.order+c.tol || c.tol > 0 && math.Abs(p-c.order) > c.tol {
			t.Errorf("%v: empirical order %.2f, want %g +- %g (errors %v)", c.sampler, p, c.order, c.tol, errs)
		}
	}
}

// mixtureSetup is a three-component mixture with unequal spreads (the
// host path of GMM) and n starting points at t = 1.
func mixtureSetup(t *testing.T, n int) (compute.Backend, *GMM, []float64) {
	t.Helper()
	b := compute.NewCPU(1)
	g, err := NewGMM(b, []float64{0.5, 0.3, 0.2}, []float64{-1, 0, 1, 1, 0.5, -1}, []float64{0.3, 0.2, 0.5}, 2)
	if err != nil {
		t.Fatal(err)
	}
	x0 := make([]float64, n*2)
	for i := range x0 {
		x0[i] = compute.NormalAt(11, uint64(i))
	}
	return b, g, x0
}

// TestOrderMixture measures orders on a Gaussian mixture, where the
// flow has no closed form, against a reference solve by DOPRI5 at
// tolerance 1e-11, itself checked against DPM-Solver++ 3M with 2000
// steps.
func TestOrderMixture(t *testing.T) {
	s := VP{}
	const tEnd = 1e-3
	b, g, x0 := mixtureSetup(t, 16)
	ref, rres := runSampler(t, b, g, s, x0, Settings{Sampler: ODEAdaptive, Steps: 50, RTol: 1e-11, ATol: 1e-11, TEnd: tEnd})
	check, _ := runSampler(t, b, g, s, x0, Settings{Sampler: DPMPP3M, Steps: 2000, TEnd: tEnd})
	agree := maxAbsDiff(ref, check)
	t.Logf("reference: DOPRI5 %d steps (%d rejected, %d NFE); |ref - 3M(2000)| = %.3g", rres.Steps, rres.Rejected, rres.NFE, agree)
	if agree > 1e-7 {
		t.Fatalf("reference solutions disagree by %g", agree)
	}
	cases := []struct {
		sampler Sampler
		steps   []int
		order   float64
		tol     float64
	}{
		{DDIM, []int{320, 640, 1280, 2560}, 1, 0.15},
		{DPMPP2M, []int{40, 80, 160, 320}, 2, 0.2},
		{DPMPP2S, []int{40, 80, 160, 320}, 2, 0.2},
		{Heun, []int{40, 80, 160, 320}, 2, 0.2},
		{DPMPP3M, []int{40, 80, 160, 320}, 3, 0.35},
	}
	for _, c := range cases {
		errs := make([]float64, len(c.steps))
		for i, n := range c.steps {
			got, _ := runSampler(t, b, g, s, x0, Settings{Sampler: c.sampler, Steps: n, TEnd: tEnd, Deterministic: true})
			errs[i] = maxAbsDiff(got, ref)
		}
		p := slope(c.steps, errs)
		t.Logf("%-15v steps %v max error %.3g  order %.2f (theory %g)", c.sampler, c.steps, errs, p, c.order)
		if math.Abs(p-c.order) > c.tol {
			t.Errorf("%v: empirical order %.2f, want %g +- %g (errors %v)", c.sampler, p, c.order, c.tol, errs)
		}
	}
}
