package diffusion

import (
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/solvers/nn"
)

// TestGuidedGaussianClosedForm checks classifier-free guidance against a
// closed form. For two Gaussians of equal variance, N(mu_c, s^2 I) (the
// class) and N(mu_u, s^2 I) (the marginal), the noised scores are linear
// in x with the same slope, so the guided score (1 - W) s_u + W s_c is
// exactly the score of N((1 - W) mu_u + W mu_c, s^2 I) at every t: the
// guided probability-flow ODE is GaussianFlow of that Gaussian. DPM-Solver++
// 2M with 200 steps must land on it for W = 0 (unconditional), 1
// (conditional), 0.5 and 3 (guided).
func TestGuidedGaussianClosedForm(t *testing.T) {
	b := compute.NewCPU(1)
	s := VP{}
	muC, muU, std := []float64{2, 0.5}, []float64{-1, 1}, 0.4
	cond, err := NewGMM(b, []float64{1}, muC, []float64{std}, 2)
	if err != nil {
		t.Fatal(err)
	}
	uncond, err := NewGMM(b, []float64{1}, muU, []float64{std}, 2)
	if err != nil {
		t.Fatal(err)
	}
	n := 64
	x0 := make([]float64, n*2)
	for i := range x0 {
		x0[i] = compute.NormalAt(11, uint64(i))
	}
	tEnd := s.DefaultTEnd()
	for _, w := range []float64{0, 0.5, 1, 3} {
		g, err := NewGuided(b, cond, uncond, w)
		if err != nil {
			t.Fatal(err)
		}
		mu := []float64{(1-w)*muU[0] + w*muC[0], (1-w)*muU[1] + w*muC[1]}
		want := make([]float64, len(x0))
		GaussianFlow(want, x0, mu, std, At(s, 1), At(s, tEnd))
		got, _ := runSampler(t, b, g, s, x0, Settings{Sampler: DPMPP2M, Steps: 200})
		// 1.3e-4 is the sampler's own error at 200 steps (W = 1 is a
		// single Gaussian model): guidance adds none.
		if d := maxAbsDiff(got, want); d > 2e-4 {
			t.Errorf("W = %g: guided DPM-Solver++ 2M differs from the exact flow of N(%v, %g^2) by %g", w, mu, std, d)
		}
		g.Free()
	}
	if _, err := NewGuided(b, cond, uncond, math.NaN()); !errors.Is(err, ErrBadInput) {
		t.Errorf("NaN weight: err = %v, want ErrBadInput", err)
	}
}

// noiseModel wraps a model as a noise predictor (Convert), to test Guided
// across parameterisations.
type noiseModel struct {
	b     compute.Backend
	inner Model
	tmp   compute.Array
}

func (m *noiseModel) Dim() int               { return m.inner.Dim() }
func (m *noiseModel) Prediction() Prediction { return PredictNoise }
func (m *noiseModel) Predict(dst, x compute.Array, n int, at Time) error {
	if m.tmp == nil {
		m.tmp, _ = m.b.Alloc(n * m.inner.Dim())
	}
	if err := m.inner.Predict(m.tmp, x, n, at); err != nil {
		return err
	}
	return Convert(m.b, dst, x, m.tmp, m.inner.Prediction(), PredictNoise, at)
}

// TestGuidedMixedPredictions: a noise-predicting conditional model and a
// data-predicting unconditional one give the same guided denoiser as two
// data models (the combination commutes with the affine conversions).
func TestGuidedMixedPredictions(t *testing.T) {
	b := compute.NewCPU(1)
	cond := ringMixture(t, b)
	uncond, err := NewGMM(b, []float64{1, 2}, []float64{1, 1, -1, 0}, []float64{0.3, 0.3}, 2)
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{0.3, -0.2, 1.5, 0.7, -2, 1}
	xa, _ := b.Upload(x)
	at := At(Linear(DefaultT), 0.4)
	for _, w := range []float64{0, 2.5} {
		ref, _ := NewGuided(b, cond, uncond, w)
		mixed, _ := NewGuided(b, &noiseModel{b: b, inner: cond}, uncond, w)
		want, got := make([]float64, 6), make([]float64, 6)
		for _, c := range []struct {
			m   Model
			dst []float64
		}{{ref, want}, {mixed, got}} {
			out, _ := b.Alloc(6)
			if err := Denoise(b, c.m, out, xa, 3, at); err != nil {
				t.Fatal(err)
			}
			b.Read(c.dst, out)
		}
		// The reference by hand: (1 - W) D_u + W D_c on the host.
		du, dc := make([]float64, 6), make([]float64, 6)
		uncond.PredictHost(du, x, at)
		cond.PredictHost(dc, x, at)
		for i := range want {
			if h := (1-w)*du[i] + w*dc[i]; math.Abs(h-want[i]) > 1e-12 {
				t.Fatalf("W = %g: guided D[%d] = %g, host (1-W) D_u + W D_c = %g", w, i, want[i], h)
			}
		}
		if d := maxAbsDiff(got, want); d > 1e-10 {
			t.Errorf("W = %g: noise-conditional guided model differs from the data one by %g", w, d)
		}
	}
}

// labelledRing draws n points of the four-Gaussian ring (centres (2,0),
// (0,2), (-2,0), (0,-2), std 0.2) with their component as label.
func labelledRing(n int, seed uint64) ([]float64, []int, []float64) {
	centres := []float64{2, 0, 0, 2, -2, 0, 0, -2}
	pts, labels := make([]float64, n*2), make([]int, n)
	for i := range n {
		k := i % 4
		labels[i] = k
		pts[2*i] = centres[2*k] + 0.2*compute.NormalAt(seed, uint64(2*i))
		pts[2*i+1] = centres[2*k+1] + 0.2*compute.NormalAt(seed, uint64(2*i+1))
	}
	return pts, labels, centres
}

// nearestCentre returns the index of the centre nearest to p.
func nearestCentre(p, centres []float64) int {
	best, bd := 0, math.Inf(1)
	for k := range len(centres) / 2 {
		if d := math.Hypot(p[0]-centres[2*k], p[1]-centres[2*k+1]); d < bd {
			best, bd = k, d
		}
	}
	return best
}

// TestConditionalMLP trains a class-conditional MLP with label dropout on
// the labelled ring, reloads it from its file, and samples class 1:
// at W = 1 (the conditional model) almost every sample lies at centre 1
// and the sample is close (sliced W2) to the exact class-conditional
// model's sample (the mixture restricted to component 1) and far from
// the whole ring; at W = 0 (unconditional) the classes are balanced.
func TestConditionalMLP(t *testing.T) {
	b := compute.NewCPU(0)
	n := 2000
	data, labels, centres := labelledRing(n, 3)
	s := Linear(DefaultT)
	m, res, err := Train(b, s, data, n, 2, TrainSettings{Hidden: []int{64, 64}, Steps: 1000, Batch: 128, LR: 3e-3, Seed: 5, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trained %d steps in %v; last loss %.3f", res.Steps, res.Duration, res.Losses[len(res.Losses)-1])
	if m.Meta[MetaClasses] != "4" || m.Cond != (nn.TimeEmbedding{}).Dim()+4 {
		t.Fatalf("meta classes %q, cond %d", m.Meta[MetaClasses], m.Cond)
	}
	path := filepath.Join(t.TempDir(), "cond.json")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	model, _, err := LoadMLP(b, path)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Free()
	if model.Classes() != 4 {
		t.Fatalf("loaded Classes() = %d, want 4", model.Classes())
	}
	if _, err := model.Class(4); !errors.Is(err, ErrBadInput) {
		t.Errorf("Class(4) of 4: err = %v, want ErrBadInput", err)
	}
	c1, err := model.Class(1)
	if err != nil {
		t.Fatal(err)
	}
	q := 600
	draw := func(m Model) []float64 {
		x, _ := b.Alloc(q * 2)
		defer b.Free(x)
		InitialNoise(b, x, 9)
		if _, err := Sample(b, m, s, x, q, Settings{Sampler: DPMPP2M, Steps: 25, FinalDenoise: true}); err != nil {
			t.Fatal(err)
		}
		out := make([]float64, q*2)
		b.Read(out, x)
		return out
	}
	share := func(pts []float64, k int) float64 {
		c := 0
		for i := range q {
			if nearestCentre(pts[2*i:2*i+2], centres) == k {
				c++
			}
		}
		return float64(c) / float64(q)
	}
	for _, w := range []float64{0, 1, 3} {
		g, _ := NewGuided(b, c1, model, w)
		pts := draw(g)
		g.Free()
		sh := share(pts, 1)
		t.Logf("W = %g: share of samples at centre 1 = %.3f", w, sh)
		switch {
		case w == 0 && !(sh > 0.15 && sh < 0.35):
			t.Errorf("W = 0 (unconditional): share at centre 1 = %.3f, want about 1/4", sh)
		case w >= 1 && !(sh > 0.95):
			t.Errorf("W = %g: share at centre 1 = %.3f, want > 0.95", w, sh)
		}
		if w != 1 {
			continue
		}
		// The exact reference: the mixture restricted to class 1.
		exact, _ := NewGMM(b, []float64{1}, centres[2:4], []float64{0.2}, 2)
		ref := draw(exact)
		all := make([]float64, q*2)
		copy(all, data)
		near, err := metrics.Compare(b, pts, q, ref, q, 2, metrics.CompareSettings{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		far, _ := metrics.Compare(b, pts, q, all, q, 2, metrics.CompareSettings{Seed: 1})
		t.Logf("sliced W2 to the exact class-1 sample %.4f, to the whole ring %.4f", *near.SlicedW2, *far.SlicedW2)
		if !(*near.SlicedW2 < 0.15) || !(*near.SlicedW2 < 0.2**far.SlicedW2) {
			t.Errorf("sliced W2 to class 1 = %g, to the ring = %g: the conditional sample is not class 1's", *near.SlicedW2, *far.SlicedW2)
		}
	}
}

// TestUnconditionalMLPHasNoClasses: a model without labels (or an old file)
// loads with Classes() = 0 and refuses Class.
func TestUnconditionalMLPHasNoClasses(t *testing.T) {
	b := compute.NewCPU(1)
	data, _, _ := labelledRing(200, 1)
	m, _, err := Train(b, Linear(DefaultT), data, 200, 2, TrainSettings{Hidden: []int{8}, Steps: 2, Batch: 16})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Meta[MetaClasses]; ok {
		t.Fatalf("unconditional model has meta classes %q", m.Meta[MetaClasses])
	}
	model, err := NewMLP(b, m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := model.Class(0); model.Classes() != 0 || !errors.Is(err, ErrBadInput) {
		t.Errorf("Classes() = %d, Class(0) err = %v", model.Classes(), err)
	}
	// A file claiming classes its cond width lacks is refused.
	m.Meta[MetaClasses] = "3"
	if _, err := NewMLP(b, m); !errors.Is(err, nn.ErrBadModel) {
		t.Errorf("classes without cond room: err = %v, want ErrBadModel", err)
	}
	bad := []struct {
		labels []int
		drop   float64
	}{{[]int{0, 1}, 0}, {make([]int, 200), 1}, {append(make([]int, 199), -1), 0}}
	for _, c := range bad {
		if _, _, err := Train(b, Linear(DefaultT), data, 200, 2, TrainSettings{Steps: 1, Labels: c.labels, LabelDropout: c.drop}); !errors.Is(err, ErrBadInput) {
			t.Errorf("labels %d, dropout %g: err = %v, want ErrBadInput", len(c.labels), c.drop, err)
		}
	}
}
