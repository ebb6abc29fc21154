package diffusion

import (
	"math"
	"testing"
)

// TestLinearSchedule checks the linear DDPM betas (Ho et al. 2020:
// 1e-4 .. 0.02 over T = 1000) and abar_n = prod (1 - beta) against a
// direct product, and that the interpolated schedule is exact at n/T.
func TestLinearSchedule(t *testing.T) {
	s := Linear(1000)
	betas := s.Betas()
	if betas[0] != 1e-4 || math.Abs(betas[999]-0.02) > 1e-17 {
		t.Fatalf("betas %g .. %g, want 1e-4 .. 0.02", betas[0], betas[999])
	}
	prod := 1.0
	for n := 1; n <= 1000; n++ {
		prod *= 1 - (1e-4 + float64(n-1)/999*(0.02-1e-4))
		if n%100 == 0 {
			got := Alpha(s, float64(n)/1000)
			if math.Abs(got*got-prod) > 1e-12*prod {
				t.Errorf("abar_%d = %.15g, product %.15g", n, got*got, prod)
			}
		}
	}
	// abar_1000 of the linear schedule is 4.04e-5 (Ho et al.'s schedule;
	// the product above).
	t.Logf("linear abar_T = %.4g", prod)
	if math.Abs(prod-4.0358e-5) > 1e-8 {
		t.Errorf("abar_T = %g, want 4.0358e-5", prod)
	}
}

// TestCosineSchedule checks abar_n = f(n)/f(0) of Nichol and Dhariwal
// (eq. (17)) where beta is not clipped.
func TestCosineSchedule(t *testing.T) {
	s := Cosine(1000)
	f := func(n int) float64 {
		c := math.Cos((float64(n)/1000 + 0.008) / 1.008 * math.Pi / 2)
		return c * c
	}
	for _, n := range []int{1, 10, 250, 500, 750, 990} {
		want := f(n) / f(0)
		if got := s.AlphaBar(n); math.Abs(got-want) > 1e-12 {
			t.Errorf("cosine abar_%d = %.15g, want %.15g", n, got, want)
		}
	}
	if b := s.Betas(); b[999] != 0.999 {
		t.Errorf("last cosine beta %g, want the clip 0.999", b[999])
	}
	if !(s.AlphaBar(1000) > 0) {
		t.Error("cosine abar_T must stay positive (clipping)")
	}
}

// TestVPSchedule checks log alpha of the continuous VP SDE against
// -1/2 int_0^t beta(s) ds by the trapezoid rule, and DLogAlpha against
// central differences.
func TestVPSchedule(t *testing.T) {
	s := VP{}
	for _, tt := range []float64{0.1, 0.5, 1} {
		const k = 10000
		integral := 0.0
		for i := range k {
			a, b := float64(i)/k*tt, float64(i+1)/k*tt
			integral += (0.1 + a*19.9 + 0.1 + b*19.9) / 2 * (b - a)
		}
		if got := s.LogAlpha(tt); math.Abs(got+integral/2) > 1e-9 {
			t.Errorf("VP log alpha(%g) = %.12g, want %.12g", tt, got, -integral/2)
		}
		h := 1e-6
		fd := (s.LogAlpha(tt+h) - s.LogAlpha(tt-h)) / (2 * h)
		if math.Abs(fd-s.DLogAlpha(tt)) > 1e-6 {
			t.Errorf("VP dlogalpha(%g) = %g, finite difference %g", tt, s.DLogAlpha(tt), fd)
		}
	}
}

// TestLambdaInverse checks TimeOfLambda(Lambda(t)) = t on every schedule
// and that lambda decreases.
func TestLambdaInverse(t *testing.T) {
	for _, s := range []Schedule{Linear(1000), Cosine(1000), VP{}} {
		prev := math.Inf(1)
		for _, tt := range []float64{1e-3, 0.01, 0.1, 0.3, 0.5, 0.77, 0.9, 0.999, 1} {
			l := Lambda(s, tt)
			if !(l < prev) {
				t.Errorf("%s: lambda(%g) = %g not below %g", s.Name(), tt, l, prev)
			}
			prev = l
			if back := TimeOfLambda(s, l); math.Abs(back-tt) > 1e-12 {
				t.Errorf("%s: TimeOfLambda(Lambda(%g)) = %.15g", s.Name(), tt, back)
			}
			at := At(s, tt)
			if math.Abs(at.Alpha*at.Alpha+at.Sigma*at.Sigma-1) > 1e-14 {
				t.Errorf("%s: alpha^2 + sigma^2 = %g at t = %g", s.Name(), at.Alpha*at.Alpha+at.Sigma*at.Sigma, tt)
			}
			if math.Abs(at.Lambda()-l) > 1e-12*math.Max(1, math.Abs(l)) {
				t.Errorf("%s: Time.Lambda %g, Lambda %g", s.Name(), at.Lambda(), l)
			}
			al := atLambda(s, l)
			if math.Abs(al.Alpha-at.Alpha) > 1e-12 || math.Abs(al.Sigma-at.Sigma) > 1e-12 {
				t.Errorf("%s: atLambda(%g) = %v, At = %v", s.Name(), l, al, at)
			}
		}
	}
}

// TestTimesGrids checks the three spacings' defining properties.
func TestTimesGrids(t *testing.T) {
	s := VP{}
	u, _ := Times(s, SpacingUniform, 4, 1, 0.2)
	for i, want := range []float64{1, 0.8, 0.6, 0.4, 0.2} {
		if math.Abs(u[i]-want) > 1e-15 {
			t.Errorf("uniform t_%d = %g, want %g", i, u[i], want)
		}
	}
	l, _ := Times(s, SpacingLogSNR, 5, 1, 1e-3)
	step := Lambda(s, l[1]) - Lambda(s, l[0])
	for i := 1; i < len(l); i++ {
		if d := Lambda(s, l[i]) - Lambda(s, l[i-1]); math.Abs(d-step) > 1e-9 {
			t.Errorf("logsnr step %d = %g, want %g", i, d, step)
		}
	}
	k, _ := Times(s, SpacingKarras, 6, 1, 1e-3)
	smax, smin := math.Exp(-Lambda(s, 1)), math.Exp(-Lambda(s, 1e-3))
	for i, tt := range k {
		want := math.Pow(math.Pow(smax, 1/7.0)+float64(i)/6*(math.Pow(smin, 1/7.0)-math.Pow(smax, 1/7.0)), 7)
		if got := math.Exp(-Lambda(s, tt)); math.Abs(got-want) > 1e-9*want {
			t.Errorf("karras sigma_%d = %g, want %g (Karras et al. eq. (5))", i, got, want)
		}
	}
	if _, err := Times(s, SpacingUniform, 0, 1, 0.1); err == nil {
		t.Error("steps = 0 accepted")
	}
	if _, err := Times(s, SpacingUniform, 3, 0.1, 0.5); err == nil {
		t.Error("t_end > t_start accepted")
	}
}

// TestGrid checks that Grid returns the times a sampler visits.
func TestGrid(t *testing.T) {
	b, g, x0 := mixtureSetup(t, 2)
	s := Cosine(1000)
	for _, sm := range allSamplers[:7] {
		set := Settings{Sampler: sm, Steps: 5, TStart: 0.8}
		grid, err := Grid(s, set)
		if err != nil {
			t.Fatal(err)
		}
		_, res := runSampler(t, b, g, s, x0, set)
		if len(grid) != len(res.Times) {
			t.Fatalf("%v: grid %v, visited %v", sm, grid, res.Times)
		}
		for i := range grid {
			if grid[i] != res.Times[i] {
				t.Errorf("%v: grid %v, visited %v", sm, grid, res.Times)
				break
			}
		}
	}
	if _, err := Grid(s, Settings{Sampler: DDIM}); err == nil {
		t.Error("Grid with steps = 0 accepted")
	}
}
