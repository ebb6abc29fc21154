package diffusion

import (
	"errors"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
)

// TestThresholdRow checks dynamic thresholding on rows worked by hand
// (the quantile interpolates linearly, as numpy.quantile does).
func TestThresholdRow(t *testing.T) {
	cases := []struct {
		row      []float64
		p, bound float64
		want     []float64
	}{
		// |row| sorted 0.5, 2, 3; median 2 > 1: clip to [-2, 2], / 2.
		{[]float64{0.5, -3, 2}, 0.5, 1, []float64{0.25, -1, 1}},
		// p = 1: s = max |row| = 3, nothing clipped, / 3.
		{[]float64{0.5, -3, 2}, 1, 1, []float64{0.5 / 3, -1, 2.0 / 3}},
		// p = 0.995: rank 1.99, s = 2 + 0.99 (3 - 2) = 2.99.
		{[]float64{0.5, -3, 2}, 0.995, 1, []float64{0.5 / 2.99, -1, 2 / 2.99}},
		// Inside the bound: unchanged.
		{[]float64{0.2, -0.3}, 1, 1, []float64{0.2, -0.3}},
		// Bound 2: s = 4, x 2/4.
		{[]float64{1, -4}, 1, 2, []float64{0.5, -2}},
	}
	for _, c := range cases {
		got := append([]float64(nil), c.row...)
		ThresholdRow(got, c.p, c.bound, nil)
		if d := maxAbsDiff(got, c.want); d > 1e-12 {
			t.Errorf("ThresholdRow(%v, p=%g, R=%g) = %v, want %v", c.row, c.p, c.bound, got, c.want)
		}
	}
}

// TestThresholdedSampleStaysInBox: with p = 1 and bound R every x_0
// prediction lies in [-R, R], so the final denoised sample does too,
// although the model's data (a ring of radius 2) reaches beyond it.
func TestThresholdedSampleStaysInBox(t *testing.T) {
	b := compute.NewCPU(1)
	g := ringMixture(t, b)
	x0 := make([]float64, 400)
	for i := range x0 {
		x0[i] = compute.NormalAt(3, uint64(i))
	}
	plain, _ := runSampler(t, b, g, Linear(DefaultT), x0, Settings{Sampler: DPMPP2M, Steps: 10, FinalDenoise: true})
	got, _ := runSampler(t, b, g, Linear(DefaultT), x0, Settings{Sampler: DPMPP2M, Steps: 10, FinalDenoise: true, Threshold: 1, ThresholdBound: 1.5})
	maxAbs := func(v []float64) float64 {
		m := 0.0
		for _, x := range v {
			m = max(m, math.Abs(x))
		}
		return m
	}
	if maxAbs(plain) < 1.8 || maxAbs(got) > 1.5+1e-12 {
		t.Errorf("max |x|: plain %g (want the ring's ~2), thresholded at R = 1.5: %g", maxAbs(plain), maxAbs(got))
	}
}

// TestScoreScale: the scaled model's score is k times the model's
// (through ConvertHost, independent of the wrapper's formula), and k > 1
// tightens the modes of a sample.
func TestScoreScale(t *testing.T) {
	b := compute.NewCPU(1)
	g := ringMixture(t, b)
	at := At(Linear(DefaultT), 0.3)
	x := []float64{0.3, -0.2, 1.5, 0.7, -2, 1}
	xa, _ := b.Upload(x)
	k := 1.7
	m := &scaledScore{b: b, inner: g, k: k}
	out, _ := b.Alloc(6)
	if err := m.Predict(out, xa, 3, at); err != nil {
		t.Fatal(err)
	}
	dk, d := make([]float64, 6), make([]float64, 6)
	b.Read(dk, out)
	g.PredictHost(d, x, at)
	sk, s := make([]float64, 6), make([]float64, 6)
	ConvertHost(sk, x, dk, PredictData, PredictScore, at)
	ConvertHost(s, x, d, PredictData, PredictScore, at)
	for i := range s {
		if math.Abs(sk[i]-k*s[i]) > 1e-9*math.Max(1, math.Abs(s[i])) {
			t.Fatalf("scaled score[%d] = %g, want %g x %g", i, sk[i], k, s[i])
		}
	}
	// Spread around the nearest ring centre: smaller with k = 2.
	x0 := make([]float64, 2000)
	for i := range x0 {
		x0[i] = compute.NormalAt(5, uint64(i))
	}
	spreadTo := func(pts []float64) float64 {
		c := []float64{2, 0, 0, 2, -2, 0, 0, -2}
		s := 0.0
		for i := 0; i < len(pts); i += 2 {
			bd := math.Inf(1)
			for k := 0; k < 8; k += 2 {
				bd = min(bd, math.Hypot(pts[i]-c[k], pts[i+1]-c[k+1]))
			}
			s += bd * bd
		}
		return math.Sqrt(s / float64(len(pts)/2))
	}
	plain, _ := runSampler(t, b, g, Linear(DefaultT), x0, Settings{Sampler: DPMPP2M, Steps: 20, FinalDenoise: true})
	sharp, _ := runSampler(t, b, g, Linear(DefaultT), x0, Settings{Sampler: DPMPP2M, Steps: 20, FinalDenoise: true, ScoreScale: 2})
	t.Logf("RMS distance to the nearest centre: k = 1 %.4f, k = 2 %.4f (component std 0.2 gives %.4f)", spreadTo(plain), spreadTo(sharp), 0.2*math.Sqrt2)
	if !(spreadTo(sharp) < 0.85*spreadTo(plain)) {
		t.Errorf("score scale 2 did not tighten the modes: %g vs %g", spreadTo(sharp), spreadTo(plain))
	}
}

// TestTweedieCorrectorStep: one DDIM step with the Tweedie corrector
// equals the plain step followed by (1 - m) x + m alpha D(x) on the host.
func TestTweedieCorrectorStep(t *testing.T) {
	b := compute.NewCPU(1)
	g := ringMixture(t, b)
	s := Linear(DefaultT)
	x0 := []float64{0.4, -1.1, 2.2, 0.3, -0.5, 0.9}
	times := []float64{0.8, 0.5}
	plain, _ := runSampler(t, b, g, s, x0, Settings{Sampler: DDIM, Times: times})
	got, res := runSampler(t, b, g, s, x0, Settings{Sampler: DDIM, Times: times, Corrector: Tweedie, TweedieMix: 0.3})
	at := At(s, 0.5)
	d := make([]float64, 6)
	g.PredictHost(d, plain, at)
	for i := range d {
		want := 0.7*plain[i] + 0.3*at.Alpha*d[i]
		if math.Abs(got[i]-want) > 1e-12 {
			t.Fatalf("x[%d] = %g, want %g", i, got[i], want)
		}
	}
	if res.NFE != 2 {
		t.Errorf("NFE = %d, want 2 (predictor + corrector)", res.NFE)
	}
}

// TestLangevinCorrector: Langevin MCMC at a fixed time t samples p_t.
// With the exact model of a Gaussian N(mu, s^2 I), p_t = N(alpha_t mu,
// v_t I), v_t = alpha_t^2 s^2 + sigma_t^2. One DDIM step from t = 0.9
// to 0.1, started from N(0, 9 I) (not p_0.9), lands off p_0.1; 150
// Langevin steps (r = 0.16) at t = 0.1 bring the mean to p_0.1's and the
// standard deviation to the stationary one of the unadjusted Langevin
// chain with step e = 2 r^2 v on a Gaussian, sqrt(v / (1 - r^2)) (its
// known O(e) bias: 1.3% here). The corrector costs one NFE per step; Adaptive
// runs 0 to 3 Langevin steps per step, depending on its tolerance.
func TestLangevinCorrector(t *testing.T) {
	b := compute.NewCPU(1)
	mu, std := []float64{0.5, -1}, 0.3
	g, err := NewGMM(b, []float64{1}, mu, []float64{std}, 2)
	if err != nil {
		t.Fatal(err)
	}
	n := 4000
	x0 := make([]float64, 2*n)
	for i := range x0 {
		x0[i] = 3 * compute.NormalAt(9, uint64(i))
	}
	s := VP{}
	at := At(s, 0.1)
	wantSD := math.Sqrt(at.Alpha*at.Alpha*std*std + at.Sigma*at.Sigma)
	moments := func(pts []float64) (meanErr, sd float64) {
		var m [2]float64
		for i, v := range pts {
			m[i%2] += v / float64(n)
		}
		ss := 0.0
		for i, v := range pts {
			ss += (v - m[i%2]) * (v - m[i%2])
		}
		return math.Hypot(m[0]-at.Alpha*mu[0], m[1]-at.Alpha*mu[1]), math.Sqrt(ss / float64(len(pts)))
	}
	set := Settings{Sampler: DDIM, Times: []float64{0.9, 0.1}, Seed: 2}
	plain, r0 := runSampler(t, b, g, s, x0, set)
	r := DefaultSNR
	set.Corrector, set.CorrectorSteps = Langevin, 150
	corr, r1 := runSampler(t, b, g, s, x0, set)
	m0, sd0 := moments(plain)
	m1, sd1 := moments(corr)
	ula := wantSD / math.Sqrt(1-r*r)
	t.Logf("p_0.1: sd %.4f (ULA's stationary %.4f); one DDIM step: mean error %.4f, sd %.4f; + 150 Langevin steps: mean error %.4f, sd %.4f", wantSD, ula, m0, sd0, m1, sd1)
	// Sampling error of 4000 points: mean ~ sd/sqrt(n) = 0.007, sd ~ 1%.
	if m1 > 0.03 || math.Abs(sd1-ula) > 0.02*ula {
		t.Errorf("after Langevin: mean error %g, sd %g; want p_0.1's mean and ULA's sd %g", m1, sd1, ula)
	}
	if !(math.Abs(sd0-wantSD) > 0.2*wantSD) {
		t.Errorf("the test is void: the plain step's sd %g is already near p_0.1's %g", sd0, wantSD)
	}
	if r1.NFE != r0.NFE+150 {
		t.Errorf("NFE with 150 Langevin steps = %d, want %d", r1.NFE, r0.NFE+150)
	}
	set = Settings{Sampler: EulerMaruyama, Steps: 10, Seed: 2, Corrector: Adaptive, AdaptiveTol: 1e6}
	_, ra := runSampler(t, b, g, s, x0, set)
	set.AdaptiveTol = 1e-12
	_, rb := runSampler(t, b, g, s, x0, set)
	if ra.NFE != 10 || rb.NFE != 10+3*10 {
		t.Errorf("adaptive NFE: tolerance 1e6 %d (want 10), 1e-12 %d (want 40)", ra.NFE, rb.NFE)
	}
}

func TestOptionsBadInput(t *testing.T) {
	b := compute.NewCPU(1)
	g := ringMixture(t, b)
	x, _ := b.Alloc(4)
	for _, set := range []Settings{
		{Sampler: ODEAdaptive, Steps: 5, Corrector: Langevin},
		{Sampler: DDIM, Steps: 5, Corrector: Corrector(9)},
		{Sampler: DDIM, Steps: 5, Threshold: 1.5},
		{Sampler: DDIM, Steps: 5, Threshold: 0.9, ThresholdBound: -1},
		{Sampler: DDIM, Steps: 5, ScoreScale: math.Inf(1)},
		{Sampler: DDIM, Steps: 5, Corrector: Tweedie, TweedieMix: 2},
		{Sampler: DDIM, Steps: 5, Corrector: Langevin, SNR: -1},
	} {
		if _, err := Sample(b, g, Linear(DefaultT), x, 2, set); !errors.Is(err, ErrBadInput) {
			t.Errorf("%+v: err = %v, want ErrBadInput", set, err)
		}
	}
	if _, err := ParseCorrector("metropolis"); !errors.Is(err, ErrBadInput) {
		t.Errorf("ParseCorrector(metropolis) = %v", err)
	}
	for _, n := range CorrectorNames() {
		if c, err := ParseCorrector(n); err != nil || c.String() != n {
			t.Errorf("ParseCorrector(%q) = %v, %v", n, c, err)
		}
	}
}
