package truncate

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/diffusion"
)

// CPU-vs-GPU agreement (GPU in float32). The sliced prior's first losses
// see the same batches, directions and initial network: they agree to
// float32 rounding of the forward pass (~1e-6 relative; bound 1e-4 on the
// first loss, 1e-2 after 20 Adam steps, where rounding has fed through
// the sorts and the updates). The entropic prior's samples are one
// SoftMean of unit-scale points with potentials agreeing to ~1e-5: bound
// 1e-3 absolute. A whole truncated run (entropic prior, 9 DDPM steps, the
// exact denoiser) shares its Philox noise: bound 1e-3 absolute. Measured
// on lavapipe: losses 9e-8 (first) and 6e-8 (step 21) relative; entropic
// prior samples 1.1e-4, the whole run 2.8e-5.
func TestGPUTruncateAgreement(t *testing.T) {
	g := gputest.Backend(t)
	c := compute.NewCPU(0)
	const m = 300
	tr := toy(t, "moons", m, 1)
	fit := func(b compute.Backend, p Prior) *Fitted {
		f, err := FitPrior(b, tr, m, 2, Settings{TTrunc: 10, Prior: p, FitSamples: m, SlicedSteps: 21, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	sc, sg := fit(c, Sliced), fit(g, Sliced)
	defer sc.Free()
	defer sg.Free()
	r0 := math.Abs(sc.Losses[0]-sg.Losses[0]) / sc.Losses[0]
	rl := math.Abs(sc.Losses[len(sc.Losses)-1]-sg.Losses[len(sg.Losses)-1]) / sc.Losses[len(sc.Losses)-1]
	t.Logf("sliced prior loss, CPU vs GPU: first step rel. diff %.2g, step 21 %.2g", r0, rl)
	if r0 > 1e-4 || rl > 1e-2 {
		t.Errorf("sliced losses differ: first %g, last %g", r0, rl)
	}
	ec, eg := fit(c, Entropic), fit(g, Entropic)
	emc, err := diffusion.NewEmpirical(c, tr, m, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer emc.Free()
	emg, err := diffusion.NewEmpirical(g, tr, m, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer emg.Free()
	const n = 200
	run := func(b compute.Backend, f *Fitted, model diffusion.Model, reverse bool) []float64 {
		x, err := b.Alloc(n * 2)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Free(x)
		if reverse {
			_, err = f.SampleReverse(model, diffusion.Linear(1000), x, n, 4, diffusion.Settings{Sampler: diffusion.DDPM, Steps: 9, FinalDenoise: true, Seed: 5})
		} else {
			err = f.Sample(x, n, 4)
		}
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, n*2)
		if err := b.Read(out, x); err != nil {
			t.Fatal(err)
		}
		return out
	}
	maxDiff := func(a, b []float64) float64 {
		w := 0.0
		for k := range a {
			w = math.Max(w, math.Abs(a[k]-b[k]))
		}
		return w
	}
	dp := maxDiff(run(c, ec, emc, false), run(g, eg, emg, false))
	dr := maxDiff(run(c, ec, emc, true), run(g, eg, emg, true))
	t.Logf("entropic prior samples: max |CPU - GPU| %.2g; after 9 DDPM steps %.2g", dp, dr)
	if dp > 1e-3 || dr > 1e-3 {
		t.Errorf("entropic prior: samples differ by %g, truncated runs by %g", dp, dr)
	}
}
