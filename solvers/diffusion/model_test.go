package diffusion

import (
	"errors"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
)

// TestConvertDefinitions builds x = alpha x0 + sigma eps from known x0 and
// eps and checks that every conversion maps the exact prediction of one
// kind to the exact prediction of another (definitions in Prediction).
func TestConvertDefinitions(t *testing.T) {
	b := compute.NewCPU(1)
	at := At(Cosine(1000), 0.37)
	x0 := []float64{0.3, -1.2, 2.5}
	eps := []float64{-0.7, 0.1, 1.9}
	x := make([]float64, 3)
	exact := map[Prediction][]float64{}
	for _, p := range []Prediction{PredictNoise, PredictData, PredictScore, PredictVelocity} {
		exact[p] = make([]float64, 3)
	}
	for i := range x {
		x[i] = at.Alpha*x0[i] + at.Sigma*eps[i]
		exact[PredictNoise][i] = eps[i]
		exact[PredictData][i] = x0[i]
		exact[PredictScore][i] = -eps[i] / at.Sigma
		exact[PredictVelocity][i] = at.Alpha*eps[i] - at.Sigma*x0[i]
	}
	xa, _ := b.Upload(x)
	for from, y := range exact {
		ya, _ := b.Upload(y)
		for to, want := range exact {
			dst, _ := b.Alloc(3)
			if err := Convert(b, dst, xa, ya, from, to, at); err != nil {
				t.Fatal(err)
			}
			got := make([]float64, 3)
			b.Read(got, dst)
			host := make([]float64, 3)
			ConvertHost(host, x, y, from, to, at)
			for i := range got {
				if math.Abs(got[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) || got[i] != host[i] {
					t.Errorf("%v -> %v: [%d] = %.15g, want %.15g (host %.15g)", from, to, i, got[i], want[i], host[i])
				}
			}
		}
	}
	if _, _, err := ConvertCoefficients(PredictData, PredictNoise, Time{T: 0, Alpha: 1, Sigma: 0}); !errors.Is(err, ErrBadInput) {
		t.Errorf("data -> noise at sigma = 0: error %v, want ErrBadInput", err)
	}
}

// bruteDenoiser is E[x0 | x] for a weighted point set by the textbook
// formula, in float64 with a max shift.
func bruteDenoiser(x, data, w []float64, d int, at Time) []float64 {
	n, m := len(x)/d, len(data)/d
	out := make([]float64, len(x))
	for i := range n {
		logp := make([]float64, m)
		mx := math.Inf(-1)
		for j := range m {
			var r2 float64
			for k := range d {
				u := x[i*d+k] - at.Alpha*data[j*d+k]
				r2 += u * u
			}
			logp[j] = math.Log(w[j]) - r2/(2*at.Sigma*at.Sigma)
			mx = max(mx, logp[j])
		}
		var z float64
		for j := range m {
			logp[j] = math.Exp(logp[j] - mx)
			z += logp[j]
		}
		for j := range m {
			for k := range d {
				out[i*d+k] += logp[j] / z * data[j*d+k]
			}
		}
	}
	return out
}

func TestEmpiricalMatchesBruteForce(t *testing.T) {
	b := compute.NewCPU(1)
	const m, d, n = 37, 3, 11
	data := make([]float64, m*d)
	for i := range data {
		data[i] = compute.NormalAt(1, uint64(i))
	}
	w := make([]float64, m)
	for j := range w {
		w[j] = 0.5 + compute.UniformAt(2, uint64(j))
	}
	x := make([]float64, n*d)
	for i := range x {
		x[i] = compute.NormalAt(3, uint64(i))
	}
	for _, weights := range [][]float64{nil, w} {
		e, err := NewEmpirical(b, data, m, d, weights)
		if err != nil {
			t.Fatal(err)
		}
		ww := weights
		if ww == nil {
			ww = make([]float64, m)
			for j := range ww {
				ww[j] = 1
			}
		}
		for _, tt := range []float64{0.02, 0.3, 0.9} {
			at := At(Linear(1000), tt)
			xa, _ := b.Upload(x)
			dst, _ := b.Alloc(n * d)
			if err := e.Predict(dst, xa, n, at); err != nil {
				t.Fatal(err)
			}
			got := make([]float64, n*d)
			b.Read(got, dst)
			want := bruteDenoiser(x, data, ww, d, at)
			if diff := maxAbsDiff(got, want); diff > 1e-12 {
				t.Errorf("weights=%v t=%g: max |empirical - brute force| = %g", weights != nil, tt, diff)
			}
		}
	}
}

// TestGMMPaths checks the backend (equal stds, SoftMean) path against the
// host float64 mixture formula, and the host score against central
// differences of log p_t.
func TestGMMPaths(t *testing.T) {
	b := compute.NewCPU(1)
	w, mu := []float64{0.2, 0.5, 0.3}, []float64{-1, 0, 1, 1, 0, -2}
	g, err := NewGMM(b, w, mu, []float64{0.4, 0.4, 0.4}, 2)
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{0.1, 0.2, -1.5, 0.3, 2, -1, 0, 0}
	for _, tt := range []float64{0.05, 0.5, 0.95} {
		at := At(VP{}, tt)
		xa, _ := b.Upload(x)
		dst, _ := b.Alloc(len(x))
		if err := g.Predict(dst, xa, 4, at); err != nil {
			t.Fatal(err)
		}
		got := make([]float64, len(x))
		b.Read(got, dst)
		want := make([]float64, len(x))
		g.PredictHost(want, x, at)
		if diff := maxAbsDiff(got, want); diff > 1e-12 {
			t.Errorf("t=%g: backend and host GMM denoisers differ by %g", tt, diff)
		}
	}
	// score vs d/dx log p_t for unequal stds
	g2, _ := NewGMM(nil, w, mu, []float64{0.2, 0.5, 0.9}, 2)
	at := At(VP{}, 0.3)
	logp := func(p []float64) float64 {
		var s float64
		for c := range 3 {
			v := at.Alpha*at.Alpha*g2.Stds[c]*g2.Stds[c] + at.Sigma*at.Sigma
			r2 := 0.0
			for k := range 2 {
				u := p[k] - at.Alpha*mu[c*2+k]
				r2 += u * u
			}
			s += g2.Weights[c] * math.Exp(-r2/(2*v)) / (2 * math.Pi * v)
		}
		return math.Log(s)
	}
	score := make([]float64, len(x))
	g2.ScoreHost(score, x, at)
	for i := 0; i < 4; i++ {
		for k := range 2 {
			p := []float64{x[2*i], x[2*i+1]}
			p[k] += 1e-6
			lp := logp(p)
			p[k] -= 2e-6
			lm := logp(p)
			fd := (lp - lm) / 2e-6
			if math.Abs(fd-score[2*i+k]) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Errorf("score[%d][%d] = %g, finite difference %g", i, k, score[2*i+k], fd)
			}
		}
	}
}

// TestForwardMoments checks that Forward samples N(alpha x0, sigma^2).
func TestForwardMoments(t *testing.T) {
	b := compute.NewCPU(0)
	const n = 200000
	x0 := make([]float64, n)
	for i := range x0 {
		x0[i] = 1.5
	}
	x0a, _ := b.Upload(x0)
	dst, _ := b.Alloc(n)
	noise, _ := b.Alloc(n)
	at := At(Linear(1000), 0.4)
	if err := Forward(b, dst, x0a, noise, at, 3, 0); err != nil {
		t.Fatal(err)
	}
	v := make([]float64, n)
	b.Read(v, dst)
	var mean, m2 float64
	for _, s := range v {
		mean += s / n
	}
	for _, s := range v {
		m2 += (s - mean) * (s - mean) / (n - 1)
	}
	// standard errors: sigma/sqrt(n) for the mean, sigma^2 sqrt(2/n) for the variance
	if math.Abs(mean-1.5*at.Alpha) > 4*at.Sigma/math.Sqrt(n) {
		t.Errorf("forward mean %g, want %g", mean, 1.5*at.Alpha)
	}
	if math.Abs(m2-at.Sigma*at.Sigma) > 4*at.Sigma*at.Sigma*math.Sqrt(2.0/n) {
		t.Errorf("forward variance %g, want %g", m2, at.Sigma*at.Sigma)
	}
	if err := Forward(b, dst, dst, noise, at, 3, 0); !errors.Is(err, ErrBadInput) {
		t.Errorf("aliased forward: error %v, want ErrBadInput", err)
	}
}

func TestModelBadInput(t *testing.T) {
	b := compute.NewCPU(1)
	if _, err := NewEmpirical(b, []float64{1, 2, 3}, 2, 2, nil); !errors.Is(err, ErrBadInput) {
		t.Errorf("short data: %v", err)
	}
	if _, err := NewEmpirical(b, []float64{1, math.NaN()}, 1, 2, nil); err == nil {
		t.Error("NaN data accepted")
	}
	if _, err := NewEmpirical(b, []float64{1, 2}, 1, 2, []float64{-1}); !errors.Is(err, ErrBadInput) {
		t.Errorf("negative weight: %v", err)
	}
	if _, err := NewGMM(b, nil, nil, nil, 2); !errors.Is(err, ErrBadInput) {
		t.Errorf("empty mixture: %v", err)
	}
	if _, err := NewGMM(b, []float64{1}, []float64{0, 0}, []float64{-1}, 2); !errors.Is(err, ErrBadInput) {
		t.Errorf("negative std: %v", err)
	}
	e, _ := NewEmpirical(b, []float64{1, 2}, 1, 2, nil)
	x, _ := b.Alloc(2)
	if err := e.Predict(x, x, 1, At(VP{}, 0.5)); !errors.Is(err, ErrBadInput) {
		t.Errorf("aliased predict: %v", err)
	}
	dst, _ := b.Alloc(2)
	if err := e.Predict(dst, x, 1, Time{T: 0, Alpha: 1, Sigma: 0}); !errors.Is(err, ErrBadInput) {
		t.Errorf("sigma = 0: %v", err)
	}
	for _, name := range []string{"ddpm", "DDIM", "ode-adaptive"} {
		if _, err := ParseSampler(name); err != nil {
			t.Errorf("ParseSampler(%q): %v", name, err)
		}
	}
	if _, err := ParseSampler("euler"); !errors.Is(err, ErrBadInput) {
		t.Errorf("unknown sampler: %v", err)
	}
	if _, err := ParseSchedule("sqrt"); err == nil {
		t.Error("unknown schedule accepted")
	}
}
