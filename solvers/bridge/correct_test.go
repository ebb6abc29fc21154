package bridge

import (
	"errors"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/diffusion"
)

// correctedSW samples 1000 points with SampleCorrected and returns SW_2 to
// the held-out set and the run's result.
func correctedSW(t *testing.T, b compute.Backend, model diffusion.Model, ref, held []float64, smp diffusion.Sampler, steps, every int) (float64, CorrectResult) {
	t.Helper()
	const n = 400
	x, err := b.Alloc(n * 2)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free(x)
	if err := diffusion.InitialNoise(b, x, 3); err != nil {
		t.Fatal(err)
	}
	r, err := SampleCorrected(b, model, diffusion.Linear(1000), x, n, ref, len(ref)/2, CorrectSettings{
		Sampler: diffusion.Settings{Sampler: smp, Steps: steps, FinalDenoise: true, Seed: 4}, Every: every})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, n*2)
	if err := b.Read(out, x); err != nil {
		t.Fatal(err)
	}
	return sw(t, out, held), r
}

// TestCorrectionEffect measures the Sinkhorn correction (see
// SampleCorrected for the figures): with a misspecified model it must
// cut SW_2 to held-out data by at least a quarter at 16 steps; with the
// exact denoiser the effect is logged for both signs. With Every >= steps
// the run is the plain sampler, bit for bit.
func TestCorrectionEffect(t *testing.T) {
	b := cpu()
	ref := toy(t, "moons", 300, 1)
	held := toy(t, "moons", 1000, 2)
	exact, err := diffusion.NewEmpirical(b, ref, 300, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer exact.Free()
	wrong, err := diffusion.NewGMM(b, []float64{1}, []float64{0, 0}, []float64{0.8}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Free()
	for _, smp := range []diffusion.Sampler{diffusion.DDIM, diffusion.DPMPP2M} {
		plain, _ := correctedSW(t, b, wrong, ref, held, smp, 16, 1000)
		corr, r := correctedSW(t, b, wrong, ref, held, smp, 16, 1)
		t.Logf("one-Gaussian model, %v 16 steps: SW2 %.4f plain, %.4f corrected (%d corrections, NFE %d, %v in corrections)", smp, plain, corr, r.Corrections, r.NFE, r.CorrectTime)
		if r.Corrections != 15 || r.NFE != 17 {
			t.Errorf("%d corrections and NFE %d, want 15 and 17", r.Corrections, r.NFE)
		}
		if corr > 0.75*plain {
			t.Errorf("%v: correction did not cut SW2 by a quarter of a misspecified model: %.4f -> %.4f", smp, plain, corr)
		}
	}
	for _, c := range []struct {
		smp   diffusion.Sampler
		steps int
	}{{diffusion.DDIM, 16}, {diffusion.DPMPP2M, 8}} {
		smp, steps := c.smp, c.steps
		{
			plain, _ := correctedSW(t, b, exact, ref, held, smp, steps, 1000)
			corr, _ := correctedSW(t, b, exact, ref, held, smp, steps, 1)
			t.Logf("exact denoiser, %v %d steps: SW2 %.4f plain, %.4f corrected", smp, steps, plain, corr)
		}
	}
	// Every >= steps: identical to diffusion.Sample.
	const n = 300
	x1, _ := b.Alloc(n * 2)
	x2, _ := b.Alloc(n * 2)
	diffusion.InitialNoise(b, x1, 9)
	diffusion.InitialNoise(b, x2, 9)
	set := diffusion.Settings{Sampler: diffusion.DPMPP2M, Steps: 6, Seed: 2}
	if _, err := diffusion.Sample(b, exact, diffusion.Linear(1000), x1, n, set); err != nil {
		t.Fatal(err)
	}
	if _, err := SampleCorrected(b, exact, diffusion.Linear(1000), x2, n, ref, 300, CorrectSettings{Sampler: set, Every: 6}); err != nil {
		t.Fatal(err)
	}
	h1, h2 := make([]float64, 2*n), make([]float64, 2*n)
	b.Read(h1, x1)
	b.Read(h2, x2)
	for k := range h1 {
		if h1[k] != h2[k] {
			t.Fatalf("uncorrected run differs from diffusion.Sample at %d: %g vs %g", k, h2[k], h1[k])
		}
	}
}

func TestCorrectBadInput(t *testing.T) {
	b := cpu()
	ref := toy(t, "moons", 50, 1)
	e, _ := diffusion.NewEmpirical(b, ref, 50, 2, nil)
	defer e.Free()
	x, _ := b.Alloc(20)
	s := diffusion.Linear(1000)
	ok := diffusion.Settings{Steps: 4}
	for name, set := range map[string]CorrectSettings{
		"relax > 1": {Sampler: ok, Relax: 1.5},
		"relax < 0": {Sampler: ok, Relax: -0.1},
		"no steps":  {},
		"every < 0": {Sampler: ok, Every: -2},
		"iters < 0": {Sampler: ok, Iterations: -1},
		"eps < 0":   {Sampler: ok, EpsFrac: -1},
		"adaptive":  {Sampler: diffusion.Settings{Sampler: diffusion.ODEAdaptive, Steps: 4}},
		"one time":  {Sampler: diffusion.Settings{Times: []float64{0.5}}},
	} {
		if _, err := SampleCorrected(b, e, s, x, 10, ref, 50, set); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: err = %v, want ErrBadInput", name, err)
		}
	}
	if _, err := SampleCorrected(b, e, s, x, 10, ref[:7], 3, CorrectSettings{Sampler: ok}); !errors.Is(err, ErrBadInput) {
		t.Errorf("ragged reference: err = %v", err)
	}
}
