package diffusion

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/solvers/nn"
)

// ringMixture is four Gaussians on a circle of radius 2, std 0.2.
func ringMixture(t *testing.T, b compute.Backend) *GMM {
	t.Helper()
	g, err := NewGMM(b, []float64{1, 1, 1, 1}, []float64{2, 0, 0, 2, -2, 0, 0, -2}, []float64{0.2, 0.2, 0.2, 0.2}, 2)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestTrainMLP trains a small network on a four-Gaussian ring, saves and
// reloads it, and samples with it: the sample's MMD to fresh data must be
// far below that of the prior noise, and the loss must fall.
func TestTrainMLP(t *testing.T) {
	b := compute.NewCPU(0)
	g := ringMixture(t, b)
	data := g.Sample(2000, 1)
	s := Linear(DefaultT)
	m, res, err := Train(b, s, data, 2000, 2, TrainSettings{Hidden: []int{64, 64}, Steps: 800, Batch: 128, LR: 3e-3, Seed: 5, LogEvery: 100, Data: "ring"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trained %d steps in %v; losses %.3f", res.Steps, res.Duration, res.Losses)
	first, last := res.Losses[0], res.Losses[len(res.Losses)-1]
	if !(last < 0.8*first) || last > 0.6 {
		t.Errorf("loss %g -> %g: did not fall enough", first, last)
	}
	path := filepath.Join(t.TempDir(), "ring.json")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	model, sched, err := LoadMLP(b, path)
	if err != nil {
		t.Fatal(err)
	}
	if sched.Name() != "linear" || model.Prediction() != PredictNoise {
		t.Fatalf("loaded schedule %q prediction %v", sched.Name(), model.Prediction())
	}
	// The loaded model predicts exactly what the host network computes.
	xs := g.Sample(8, 9)
	xa, _ := b.Upload(xs)
	out, _ := b.Alloc(16)
	at := At(s, 0.3)
	if err := model.Predict(out, xa, 8, at); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, 16)
	b.Read(got, out)
	emb := make([]float64, m.Cond)
	m.TimeEmbedding.Embed(emb, 0.3)
	want := make([]float64, 16)
	m.ForwardHost(want, xs, emb, 8)
	if d := maxAbsDiff(got, want); d > 1e-12 {
		t.Errorf("loaded model differs from host forward by %g", d)
	}

	checkRingSample(t, b, model, sched, g, 25, "MLP")
}

// checkRingSample draws 1000 points with model (DPM-Solver++ 2M, steps
// steps) and requires their MMD^2 to fresh data of the ring g to be far
// below that of the prior noise.
func checkRingSample(t *testing.T, b compute.Backend, model Model, sched Schedule, g *GMM, steps int, what string) {
	t.Helper()
	n := 1000
	x, _ := b.Alloc(n * 2)
	InitialNoise(b, x, 3)
	noise := make([]float64, n*2)
	b.Read(noise, x)
	if _, err := Sample(b, model, sched, x, n, Settings{Sampler: DPMPP2M, Steps: steps, FinalDenoise: true}); err != nil {
		t.Fatal(err)
	}
	sample := make([]float64, n*2)
	b.Read(sample, x)
	fresh := g.Sample(n, 77)
	got1, _ := metrics.MMD(b, sample, n, fresh, n, 2, 1)
	got0, _ := metrics.MMD(b, noise, n, fresh, n, 2, 1)
	t.Logf("MMD^2 to fresh data: prior noise %.4f, %s + DPM-Solver++ 2M (%d steps) %.4f", got0.MMD2, what, steps, got1.MMD2)
	if !(got1.MMD2 < 0.2*got0.MMD2) {
		t.Errorf("%s sample MMD^2 %g not well below the noise's %g", what, got1.MMD2, got0.MMD2)
	}
}

func TestLoadMLPRejects(t *testing.T) {
	b := compute.NewCPU(1)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"format":"otplay-mlp","version":2}`), 0o644)
	if _, _, err := LoadMLP(b, bad); !errors.Is(err, nn.ErrBadModel) {
		t.Errorf("version 2: error %v, want ErrBadModel", err)
	}
	os.WriteFile(bad, []byte("garbage"), 0o644)
	if _, _, err := LoadMLP(b, bad); !errors.Is(err, nn.ErrBadModel) {
		t.Errorf("garbage: error %v, want ErrBadModel", err)
	}
	// A valid network that is not a diffusion model (no kind, out != in).
	m, _ := nn.New(nn.Config{In: 2, Out: 3, Hidden: []int{4}}, 1)
	m.Save(bad)
	if _, _, err := LoadMLP(b, bad); !errors.Is(err, nn.ErrBadModel) {
		t.Errorf("non-diffusion network: error %v, want ErrBadModel", err)
	}
	if _, _, err := LoadMLP(b, filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file accepted")
	}
	_ = math.Pi
}

// TestTrainReproducible: two runs with one seed give bit-identical
// weights on the CPU; another seed gives different ones.
func TestTrainReproducible(t *testing.T) {
	b := compute.NewCPU(0)
	g := ringMixture(t, nil)
	data := g.Sample(200, 1)
	set := TrainSettings{Hidden: []int{8, 8}, Steps: 15, Batch: 16, Seed: 4}
	a, _, err := Train(b, VP{}, data, 200, 2, set)
	if err != nil {
		t.Fatal(err)
	}
	c, _, _ := Train(b, VP{}, data, 200, 2, set)
	set.Seed = 5
	o, _, _ := Train(b, VP{}, data, 200, 2, set)
	same, differ := true, false
	for l := range a.Layers {
		for i := range a.Layers[l].W {
			same = same && math.Float64bits(a.Layers[l].W[i]) == math.Float64bits(c.Layers[l].W[i])
			differ = differ || a.Layers[l].W[i] != o.Layers[l].W[i]
		}
	}
	if !same || !differ {
		t.Errorf("same seed bitwise equal: %v; other seed differs: %v", same, differ)
	}
	if a.Meta[MetaSchedule] != "vp" || a.Meta[MetaKind] != "diffusion" || a.TimeEmbedding.Frequencies != 8 {
		t.Errorf("metadata %v, embedding %+v", a.Meta, a.TimeEmbedding)
	}
}

func TestTrainBadInput(t *testing.T) {
	b := compute.NewCPU(1)
	data := []float64{0, 0, 1, 1}
	cases := map[string]struct {
		data []float64
		n, d int
		set  TrainSettings
	}{
		"short data":  {data[:3], 2, 2, TrainSettings{}},
		"nan":         {[]float64{0, math.NaN(), 1, 1}, 2, 2, TrainSettings{}},
		"steps -1":    {data, 2, 2, TrainSettings{Steps: -1}},
		"batch -1":    {data, 2, 2, TrainSettings{Batch: -1}},
		"lr negative": {data, 2, 2, TrainSettings{LR: -1}},
		"t_min 2":     {data, 2, 2, TrainSettings{TMin: 2}},
	}
	for name, c := range cases {
		if _, _, err := Train(b, VP{}, c.data, c.n, c.d, c.set); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, _, err := Train(b, VP{}, data, 2, 2, TrainSettings{Hidden: []int{0}, Steps: 1}); !errors.Is(err, nn.ErrBadModel) {
		t.Errorf("hidden width 0: %v", err)
	}
}

// TestTrainEMA: with EMA set Train returns the moving average, which
// differs from the last iterate of the same run.
func TestTrainEMA(t *testing.T) {
	b := compute.NewCPU(1)
	data := ringMixture(t, nil).Sample(100, 1)
	set := TrainSettings{Hidden: []int{8}, Steps: 10, Batch: 8, Seed: 1}
	last, _, err := Train(b, VP{}, data, 100, 2, set)
	if err != nil {
		t.Fatal(err)
	}
	set.EMA = 0.5
	avg, _, err := Train(b, VP{}, data, 100, 2, set)
	if err != nil {
		t.Fatal(err)
	}
	if last.Layers[0].W[0] == avg.Layers[0].W[0] {
		t.Error("EMA weights equal the last iterate")
	}
	set.EMA = 1
	if _, _, err := Train(b, VP{}, data, 100, 2, set); !errors.Is(err, ErrBadInput) {
		t.Errorf("ema 1: %v", err)
	}
}
