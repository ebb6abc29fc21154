package patch

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
)

// slicedW2 returns SW_2 between the point sets x (n x d) and y (m x d):
// sqrt of the mean over 256 Philox directions of W_2^2 of the projections
// (1-D OT by sorting, quantiles of y interpolated at (i + 1/2)/n).
func slicedW2(x, y []float64, d int) float64 {
	n, m := len(x)/d, len(y)/d
	px, py := make([]float64, n), make([]float64, m)
	var total float64
	const dirs = 256
	for k := 0; k < dirs; k++ {
		dir := make([]float64, d)
		var norm float64
		for i := range dir {
			dir[i] = compute.NormalAt(77, uint64(k*d+i))
			norm += dir[i] * dir[i]
		}
		for i := range dir {
			dir[i] /= math.Sqrt(norm)
		}
		for i := range px {
			px[i] = 0
			for j := 0; j < d; j++ {
				px[i] += x[i*d+j] * dir[j]
			}
		}
		for i := range py {
			py[i] = 0
			for j := 0; j < d; j++ {
				py[i] += y[i*d+j] * dir[j]
			}
		}
		slices.Sort(px)
		slices.Sort(py)
		var w float64
		for i, v := range px {
			t := v - quantile(py, (float64(i)+0.5)/float64(n))
			w += t * t
		}
		total += w / float64(n)
	}
	return math.Sqrt(total / dirs)
}

// guidedComparison samples n digits with DDIM in the given steps from the
// exact denoiser of 1000 training digits (diffusion.Empirical), plain and
// with patch-OT guidance, from the same noise, and returns both sample
// sets, their NFE, the held-out digits and the guided model.
func guidedComparison(t testing.TB, b compute.Backend, n, steps int, gs GuidanceSettings) (plain, guided, held []float64, nfePlain, nfeGuided int, g *GuidedModel) {
	px, _, err := data.Digits()
	if err != nil {
		t.Fatal(err)
	}
	const d, nTrain = 64, 1000
	train := px[:nTrain*d]
	held = px[nTrain*d:]
	model, err := diffusion.NewEmpirical(b, train, nTrain, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Free()
	sched := diffusion.Cosine(1000)
	sample := func(m diffusion.Model) ([]float64, int) {
		x, err := b.Alloc(n * d)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Free(x)
		if err := diffusion.InitialNoise(b, x, 5); err != nil {
			t.Fatal(err)
		}
		r, err := diffusion.Sample(b, m, sched, x, n, diffusion.Settings{Sampler: diffusion.DDIM, Steps: steps, FinalDenoise: true})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, n*d)
		if err := b.Read(out, x); err != nil {
			t.Fatal(err)
		}
		return out, r.NFE
	}
	plain, nfePlain = sample(model)
	gs.Height, gs.Width, gs.Channels = 8, 8, 1
	g, err = NewGuidedModel(b, model, gs)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Free()
	guided, nfeGuided = sample(g)
	return plain, guided, held, nfePlain, nfeGuided, g
}

// Guidance is a drop-in diffusion.Model: the same NFE as the plain
// sampler, every evaluation guided, finite samples that differ from the
// plain ones. (The quality comparison needs hundreds of samples and runs
// as BenchmarkGuidedSampling; the CPU reference is too slow for it here.)
func TestGuidedModel(t *testing.T) {
	b := compute.NewCPU(0)
	plain, guided, _, nfe0, nfe1, g := guidedComparison(t, b, 12, 3, GuidanceSettings{Stride: 2})
	if nfe0 != nfe1 || nfe0 != 4 {
		t.Errorf("NFE plain %d, guided %d: want both 4 (3 steps + final denoise)", nfe0, nfe1)
	}
	if g.Calls != nfe1 {
		t.Errorf("%d guided calls for %d evaluations", g.Calls, nfe1)
	}
	var diff float64
	for i := range plain {
		if math.IsNaN(guided[i]) || math.IsInf(guided[i], 0) {
			t.Fatalf("guided sample value %d = %g", i, guided[i])
		}
		diff = max(diff, math.Abs(plain[i]-guided[i]))
		if math.Abs(guided[i]) > 1.5 {
			t.Fatalf("guided sample value %d = %g, far outside the data range [-1, 1]", i, guided[i])
		}
	}
	if diff < 1e-3 {
		t.Errorf("guidance changed the samples by at most %.3g", diff)
	}
	for _, s := range []GuidanceSettings{{Mass: 2}, {Weight: -0.1}, {Weight: 1.5}, {EpsScale: -1}, {MaxIter: -1}, {TMax: -1}} {
		s.Height, s.Width, s.Channels = 8, 8, 1
		if _, err := NewGuidedModel(b, nil, s); err == nil {
			t.Errorf("settings %+v: no error", s)
		}
	}
	model, _ := diffusion.NewEmpirical(b, make([]float64, 64*2), 2, 64, nil)
	defer model.Free()
	if _, err := NewGuidedModel(b, model, GuidanceSettings{Height: 8, Width: 7, Channels: 1}); err == nil {
		t.Error("image shape 8 x 7 for a 64-D model: no error")
	}
	if _, err := NewGuidedModel(b, model, GuidanceSettings{Height: 8, Width: 8, Channels: 1, Size: 9}); err == nil {
		t.Error("patch 9 on 8 x 8 images: no error")
	}
}

// BenchmarkGuidedSampling measures the effect of patch-OT guidance on
// sample quality at equal NFE: 256 digits by DDIM from the exact denoiser
// of 1000 training digits, quality = SW_2 to the 797 held-out digits
// (lower is better; sw_floor is 256 training digits' own score), plain and
// guided from the same noise. Run it on the GPU
// (OTPLAY_BENCH_BACKEND=gpu); it reports the metrics, not a pass/fail.
func BenchmarkGuidedSampling(b *testing.B) {
	px, _, err := data.Digits()
	if err != nil {
		b.Fatal(err)
	}
	floor := slicedW2(px[:256*64], px[1000*64:], 64)
	for _, be := range []string{"cpu", "gpu"} {
		if !benchOnly(be) {
			continue
		}
		for _, steps := range []int{4, 10, 25} {
			for _, gs := range []GuidanceSettings{{}, {Weight: 0.6}, {Mass: 1}, {TMax: 0.5}} {
				name := fmt.Sprintf("%s/steps=%d/w=%g,m=%g,tmax=%g", be, steps, gs.Weight, gs.Mass, gs.TMax)
				b.Run(name, func(b *testing.B) {
					backend := benchBackend(b, be)
					var sp, sg float64
					var nfe int
					for b.Loop() {
						plain, guided, held, n0, n1, _ := guidedComparison(b, backend, 256, steps, gs)
						if n0 != n1 {
							b.Fatalf("NFE %d vs %d", n0, n1)
						}
						nfe = n0
						sp, sg = slicedW2(plain, held, 64), slicedW2(guided, held, 64)
					}
					b.ReportMetric(sp, "sw_plain")
					b.ReportMetric(sg, "sw_guided")
					b.ReportMetric(floor, "sw_floor")
					b.ReportMetric(float64(nfe), "nfe")
				})
			}
		}
	}
}
