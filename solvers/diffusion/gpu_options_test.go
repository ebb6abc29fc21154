package diffusion

import (
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestGPUOptions runs the sampler options and guidance on both backends
// from the same noise (Philox streams are shared, the corrector's too):
// guided exact mixtures, each corrector, thresholding and score scaling.
func TestGPUOptions(t *testing.T) {
	g := gputest.Backend(t)
	c := compute.NewCPU(0)
	const n = 256
	x0 := make([]float64, n*2)
	for i := range x0 {
		x0[i] = compute.NormalAt(4, uint64(i))
	}
	s := Linear(1000)
	for _, tc := range []struct {
		name   string
		w      float64
		set    Settings
		maxErr float64
	}{
		{"guided W=2", 2, Settings{Sampler: DPMPP2M, Steps: 10, FinalDenoise: true}, 2e-4},
		{"langevin", 1, Settings{Sampler: DDPM, Steps: 10, Seed: 3, Corrector: Langevin, CorrectorSteps: 2}, 2e-4},
		{"tweedie", 1, Settings{Sampler: DDIM, Steps: 10, Corrector: Tweedie}, 2e-4},
		{"adaptive", 1, Settings{Sampler: DDIM, Steps: 10, Seed: 3, Corrector: Adaptive, AdaptiveTol: 0.01}, 2e-4},
		{"threshold", 1, Settings{Sampler: DPMPP2M, Steps: 10, FinalDenoise: true, Threshold: 0.9, ThresholdBound: 1}, 2e-4},
		{"score scale", 1, Settings{Sampler: DPMPP2M, Steps: 10, FinalDenoise: true, ScoreScale: 1.3}, 2e-4},
	} {
		var outs [2][]float64
		var nfe [2]int
		for k, b := range []compute.Backend{c, g} {
			all, err := NewGMM(b, []float64{1, 2, 1}, []float64{-1, 0, 0, 1, 1, 0}, []float64{0.25, 0.25, 0.25}, 2)
			if err != nil {
				t.Fatal(err)
			}
			class, err := NewGMM(b, []float64{1}, []float64{0, 1}, []float64{0.25}, 2)
			if err != nil {
				t.Fatal(err)
			}
			guided, err := NewGuided(b, class, all, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			x := upload(t, b, x0)
			res, err := Sample(b, guided, s, x, n, tc.set)
			if err != nil {
				t.Fatalf("%s on %s: %v", tc.name, b.Info().Name, err)
			}
			outs[k], nfe[k] = read(t, b, x), res.NFE
			guided.Free()
			class.Free()
			all.Free()
		}
		err := relClose(outs[1], outs[0])
		t.Logf("%-12s max |gpu - cpu| = %.2g (NFE %d / %d)", tc.name, err, nfe[0], nfe[1])
		if err > tc.maxErr || nfe[0] != nfe[1] {
			t.Errorf("%s: GPU run differs from CPU by %g (NFE %d / %d)", tc.name, err, nfe[0], nfe[1])
		}
	}
}
