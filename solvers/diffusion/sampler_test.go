package diffusion

import (
	"errors"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/metrics"
)

var allSamplers = []Sampler{DDPM, DDIM, DPMPP2M, DPMPP3M, DPMPP2S, Heun, EulerMaruyama, ODEAdaptive}

// TestReproducible runs every sampler twice with one seed: the results
// must be bitwise equal on the CPU, deterministic modes must not depend
// on the seed, and stochastic ones must.
func TestReproducible(t *testing.T) {
	b, g, x0 := mixtureSetup(t, 32)
	s := Linear(1000)
	for _, sm := range allSamplers {
		for _, det := range []bool{false, true} {
			set := Settings{Sampler: sm, Steps: 8, Seed: 42, Deterministic: det, FinalDenoise: true, Churn: 1}
			a, ra := runSampler(t, b, g, s, x0, set)
			c, _ := runSampler(t, b, g, s, x0, set)
			for i := range a {
				if math.Float64bits(a[i]) != math.Float64bits(c[i]) {
					t.Fatalf("%v det=%v: run 2 differs at %d: %v vs %v", sm, det, i, a[i], c[i])
				}
			}
			set.Seed = 43
			o, _ := runSampler(t, b, g, s, x0, set)
			stochastic := !det && (sm.Stochastic() || sm == Heun) // Heun with Churn = 1
			if diff := maxAbsDiff(a, o); stochastic != (diff > 0) {
				t.Errorf("%v det=%v: another seed changes the sample by %g (stochastic = %v)", sm, det, diff, stochastic)
			}
			if ra.NFE < ra.Steps {
				t.Errorf("%v: NFE %d < steps %d", sm, ra.NFE, ra.Steps)
			}
		}
	}
}

// TestDDIMEta1IsDDPM: the DDPM sampler is DDIM with eta = 1, bit for bit.
func TestDDIMEta1IsDDPM(t *testing.T) {
	b, g, x0 := mixtureSetup(t, 16)
	s := Cosine(1000)
	a, _ := runSampler(t, b, g, s, x0, Settings{Sampler: DDPM, Steps: 10, Seed: 1})
	c, _ := runSampler(t, b, g, s, x0, Settings{Sampler: DDIM, Eta: 1, Steps: 10, Seed: 1})
	if d := maxAbsDiff(a, c); d != 0 {
		t.Errorf("DDPM and DDIM(eta=1) differ by %g", d)
	}
}

// TestDDPMMatchesHoAlgorithm2 compares the DDPM sampler over every step
// of a T = 50 linear schedule with a host transcription of Ho et al.
// 2020, Alg. 2: x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps) / sqrt(1 -
// beta_t) + sigma_t z, sigma_t^2 = beta_t (1 - abar_{t-1}) / (1 - abar_t),
// the last step without noise, fed the same Philox normals.
func TestDDPMMatchesHoAlgorithm2(t *testing.T) {
	const T = 50
	s := Linear(T)
	b, g, x0 := mixtureSetup(t, 8)
	times := make([]float64, T)
	for i := range times {
		times[i] = float64(T-i) / T
	}
	got, res := runSampler(t, b, g, s, x0, Settings{Sampler: DDPM, Times: times, Seed: 9, FinalDenoise: true})
	if res.NFE != T {
		t.Errorf("NFE = %d, want %d", res.NFE, T)
	}
	betas := s.Betas()
	x := append([]float64(nil), x0...)
	nd := uint64(len(x))
	for step, tn := 0, T; tn >= 1; step, tn = step+1, tn-1 {
		at := At(s, float64(tn)/T)
		den := make([]float64, len(x))
		g.PredictHost(den, x, at)
		abar, abarPrev := s.AlphaBar(tn), s.AlphaBar(tn-1)
		beta := betas[tn-1]
		sig := math.Sqrt(beta * (1 - abarPrev) / (1 - abar))
		for i := range x {
			eps := (x[i] - at.Alpha*den[i]) / at.Sigma
			x[i] = (x[i] - beta/math.Sqrt(1-abar)*eps) / math.Sqrt(1-beta)
			if tn > 1 {
				x[i] += sig * compute.NormalAt(9, uint64(step+1)*nd+uint64(i))
			}
		}
	}
	if d := maxAbsDiff(got, x); d > 1e-10 {
		t.Errorf("DDPM sampler differs from Ho et al. Alg. 2 by %g", d)
	}
}

// TestCallback checks the per-step callback: one call per step with the
// state read back, the last equal to the result, and that an error stops.
func TestCallback(t *testing.T) {
	b, g, x0 := mixtureSetup(t, 4)
	s := VP{}
	for _, sm := range allSamplers {
		var calls []Step
		set := Settings{Sampler: sm, Steps: 6, Callback: func(st Step) error { calls = append(calls, st); return nil }}
		out, res := runSampler(t, b, g, s, x0, set)
		if len(calls) != res.Steps || len(calls) == 0 {
			t.Fatalf("%v: %d callbacks for %d steps", sm, len(calls), res.Steps)
		}
		last := calls[len(calls)-1]
		if maxAbsDiff(last.X, out) != 0 || last.TNext != res.Times[len(res.Times)-1] || last.NFE > res.NFE {
			t.Errorf("%v: last callback state differs from the result", sm)
		}
		for i, c := range calls {
			if c.Index != i || !(c.TNext < c.T) || !(c.DLambda > 0) || len(c.Denoised) != len(out) {
				t.Errorf("%v: callback %d = index %d, t %g -> %g, dlambda %g, %d denoised", sm, i, c.Index, c.T, c.TNext, c.DLambda, len(c.Denoised))
			}
		}
		stop := errors.New("stop")
		x, _ := b.Upload(x0)
		_, err := Sample(b, g, s, x, 4, Settings{Sampler: sm, Steps: 6, Callback: func(Step) error { return stop }})
		if !errors.Is(err, stop) {
			t.Errorf("%v: callback error not returned: %v", sm, err)
		}
	}
}

// TestAdaptive checks the adaptive solver against the exact Gaussian flow
// at two tolerances, and that a too-large first step is rejected and
// counted.
func TestAdaptive(t *testing.T) {
	s := VP{}
	b, m, x0, want := gaussianSetup(t, s, 16, 1e-3)
	var prevErr float64
	var prevNFE int
	for i, tol := range []float64{1e-3, 1e-6} {
		got, res := runSampler(t, b, m, s, x0, Settings{Sampler: ODEAdaptive, Steps: 1, RTol: tol, ATol: tol, TEnd: 1e-3})
		e := maxAbsDiff(got, want)
		t.Logf("tol %g: error %.3g, %d accepted, %d rejected, %d NFE", tol, e, res.Steps, res.Rejected, res.NFE)
		if e > 20*tol {
			t.Errorf("tol %g: error %g", tol, e)
		}
		if res.Rejected < 1 {
			t.Errorf("tol %g: a first step over the whole range was not rejected", tol)
		}
		if res.NFE != 6*(res.Steps+res.Rejected)+1 {
			t.Errorf("NFE %d, want 6 per trial + 1 = %d", res.NFE, 6*(res.Steps+res.Rejected)+1)
		}
		if i > 0 && !(e < prevErr/100 && res.NFE > prevNFE) {
			t.Errorf("tighter tolerance: error %g (was %g), NFE %d (was %d)", e, prevErr, res.NFE, prevNFE)
		}
		prevErr, prevNFE = e, res.NFE
	}
	x, _ := b.Upload(x0)
	if _, err := Sample(b, m, s, x, 16, Settings{Sampler: ODEAdaptive, Steps: 1, RTol: 1e-12, ATol: 1e-12, MaxSteps: 5}); err == nil {
		t.Error("MaxSteps = 5 at tolerance 1e-12 did not fail")
	}
}

// TestQualityImprovesWithNFE samples the three-component mixture with
// the exact denoiser: the MMD^2 to fresh mixture samples (fixed bandwidth
// 1) must fall as the step count grows, for a deterministic and a
// stochastic sampler.
func TestQualityImprovesWithNFE(t *testing.T) {
	b := compute.NewCPU(0)
	g, _ := NewGMM(b, []float64{0.5, 0.3, 0.2}, []float64{-1, 0, 1, 1, 0.5, -1}, []float64{0.3, 0.2, 0.5}, 2)
	const n = 600
	fresh := g.Sample(n, 1234)
	x0 := make([]float64, n*2)
	for i := range x0 {
		x0[i] = compute.NormalAt(5, uint64(i))
	}
	s := Linear(1000)
	for _, c := range []struct {
		sm    Sampler
		steps []int
	}{{DDIM, []int{1, 3, 100}}, {DDPM, []int{2, 10, 200}}} {
		var mmds []float64
		for _, k := range c.steps {
			got, _ := runSampler(t, b, g, s, x0, Settings{Sampler: c.sm, Steps: k, Seed: 3, FinalDenoise: true})
			r, err := metrics.MMD(b, got, n, fresh, n, 2, 1)
			if err != nil {
				t.Fatal(err)
			}
			mmds = append(mmds, r.MMD2)
		}
		t.Logf("%v: steps %v -> MMD^2 %.4g", c.sm, c.steps, mmds)
		if !(mmds[0] > mmds[1] && mmds[1] > mmds[2]) {
			t.Errorf("%v: MMD^2 %v does not fall with steps %v", c.sm, mmds, c.steps)
		}
		if mmds[2] > 0.003 {
			t.Errorf("%v: MMD^2 %g at %d steps, want ~0", c.sm, mmds[2], c.steps[2])
		}
	}
}

func TestSampleBadInput(t *testing.T) {
	b, g, x0 := mixtureSetup(t, 4)
	x, _ := b.Upload(x0)
	s := VP{}
	cases := map[string]Settings{
		"steps 0":         {Sampler: DDIM},
		"steps -3":        {Sampler: DDIM, Steps: -3},
		"eta 2":           {Sampler: DDIM, Steps: 3, Eta: 2},
		"eta NaN":         {Sampler: DDIM, Steps: 3, Eta: math.NaN()},
		"unknown sampler": {Sampler: 99, Steps: 3},
		"t_end > t_start": {Sampler: DDIM, Steps: 3, TStart: 0.2, TEnd: 0.5},
		"t_start > 1":     {Sampler: DDIM, Steps: 3, TStart: 1.5},
		"times short":     {Sampler: DDIM, Times: []float64{0.5}},
		"times up":        {Sampler: DDIM, Times: []float64{0.5, 0.7}},
		"times zero":      {Sampler: DDIM, Times: []float64{0.5, 0}},
		"rtol negative":   {Sampler: ODEAdaptive, Steps: 3, RTol: -1},
		"churn NaN":       {Sampler: Heun, Steps: 3, Churn: math.NaN()},
	}
	for name, set := range cases {
		if _, err := Sample(b, g, s, x, 4, set); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: error %v, want ErrBadInput", name, err)
		}
	}
	if _, err := Sample(b, g, s, x, 3, Settings{Sampler: DDIM, Steps: 2}); !errors.Is(err, ErrBadInput) {
		t.Errorf("wrong n: %v", err)
	}
	if _, err := Sample(b, nil, s, x, 4, Settings{Sampler: DDIM, Steps: 2}); !errors.Is(err, ErrBadInput) {
		t.Errorf("nil model: %v", err)
	}
}

// TestTruncatedStart starts DDIM from x_t of real data at t = 0.3 (the
// forward process), as truncated diffusion does; with the exact mixture
// denoiser the result stays close in law to the data.
func TestTruncatedStart(t *testing.T) {
	b := compute.NewCPU(1)
	g, _ := NewGMM(b, []float64{1, 1}, []float64{-1, 0, 1, 0}, []float64{0.2, 0.2}, 2)
	const n = 400
	x0 := g.Sample(n, 8)
	x0a, _ := b.Upload(x0)
	xt, _ := b.Alloc(n * 2)
	noise, _ := b.Alloc(n * 2)
	s := VP{}
	if err := Forward(b, xt, x0a, noise, At(s, 0.3), 4, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := Sample(b, g, s, xt, n, Settings{Sampler: DPMPP2M, Steps: 20, TStart: 0.3, FinalDenoise: true}); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, n*2)
	b.Read(out, xt)
	r, _ := metrics.MMD(b, out, n, g.Sample(n, 99), n, 2, 1)
	if r.MMD2 > 0.005 {
		t.Errorf("MMD^2 from a truncated start = %g", r.MMD2)
	}
}
