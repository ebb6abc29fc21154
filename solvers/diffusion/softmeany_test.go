package diffusion

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
)

// softMeanRoutes is a backend that records each soft-mean it is asked
// for: the value scales of SoftMeanY, and how many SoftMean calls.
type softMeanRoutes struct {
	compute.Backend
	scales   []float64
	softMean int
}

func (r *softMeanRoutes) SoftMean(dst compute.Array, p compute.Pairs, v compute.Array, dv int) error {
	r.softMean++
	return r.Backend.SoftMean(dst, p, v, dv)
}

func (r *softMeanRoutes) SoftMeanY(dst compute.Array, p compute.Pairs, c float64) error {
	r.scales = append(r.scales, c)
	return r.Backend.SoftMeanY(dst, p, c)
}

// TestDenoisersTakeSoftMeanY: a sampler's every NFE of the exact
// denoiser (Empirical), and the GMM's backend path, run
// Backend.SoftMeanY with c = 1/alpha of the step (the route on which the
// GPU reads Y = alpha y once for the cost and the values), and SoftMean
// with the values y apart only below alpha = 1e-6; the samples equal
// those of the former route, SoftMean of the values y (modelValuesApart),
// to float64 rounding.
func TestDenoisersTakeSoftMeanY(t *testing.T) {
	const m, d, n = 40, 8, 9
	data := make([]float64, m*d)
	for i := range data {
		data[i] = compute.NormalAt(5, uint64(i))
	}
	rec := &softMeanRoutes{Backend: compute.NewCPU(1)}
	e, err := NewEmpirical(rec, data, m, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Free()
	s := Linear(1000)
	set := Settings{Sampler: DPMPP2M, Steps: 5, FinalDenoise: true}
	samples := func(model Model) []float64 {
		x, _ := rec.Alloc(n * d)
		defer rec.Free(x)
		out := make([]float64, n*d)
		if err := sampleOnce(rec, model, s, x, n, 7, set, out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := samples(e)
	if len(rec.scales) != 6 || rec.softMean != 0 {
		t.Fatalf("6 NFE ran %d SoftMeanY and %d SoftMean calls, want 6 and 0", len(rec.scales), rec.softMean)
	}
	for k, c := range rec.scales {
		if !(c > 1) || math.IsInf(c, 0) {
			t.Errorf("NFE %d: SoftMeanY scale %g, want 1/alpha > 1", k, c)
		}
	}
	rec.scales, rec.softMean = nil, 0
	want := samples(modelValuesApart{e})
	if len(rec.scales) != 0 || rec.softMean != 6 {
		t.Fatalf("the former route ran %d SoftMeanY and %d SoftMean calls, want 0 and 6", len(rec.scales), rec.softMean)
	}
	if diff := maxAbsDiff(got, want); diff > 1e-12 {
		t.Errorf("samples: max |SoftMeanY route - values apart| = %g", diff)
	}

	// Below minAlphaValuesY (here alpha = 1e-7) the values stay apart.
	rec.scales, rec.softMean = nil, 0
	x, _ := rec.Upload(data[:n*d])
	dst, _ := rec.Alloc(n * d)
	if err := e.Predict(dst, x, n, Time{T: 1, Alpha: 1e-7, Sigma: 1}); err != nil {
		t.Fatal(err)
	}
	if len(rec.scales) != 0 || rec.softMean != 1 {
		t.Errorf("alpha = 1e-7 ran %d SoftMeanY and %d SoftMean calls, want 0 and 1", len(rec.scales), rec.softMean)
	}

	g, err := NewGMM(rec, []float64{0.3, 0.7}, []float64{-1, 0, 0, 1, 2, 0, 0, 0, 1, -1, 0, 0, 0, 0, 0, 3}, []float64{0.5, 0.5}, d)
	if err != nil {
		t.Fatal(err)
	}
	rec.scales, rec.softMean = nil, 0
	at := At(s, 0.4)
	if err := g.Predict(dst, x, n, at); err != nil {
		t.Fatal(err)
	}
	if len(rec.scales) != 1 || rec.softMean != 0 || math.Abs(rec.scales[0]*at.Alpha-1) > 1e-15 {
		t.Errorf("GMM.Predict ran SoftMeanY with scales %v and %d SoftMean calls, want [1/alpha = %g] and 0", rec.scales, rec.softMean, 1/at.Alpha)
	}
}

// modelValuesApart is the exact denoiser on its former route: SoftMean
// with Y = alpha y and the values y as an array of their own.
type modelValuesApart struct{ *Empirical }

func (m modelValuesApart) Predict(dst, x compute.Array, n int, at Time) error {
	e := m.Empirical
	if err := e.b.Map(e.scaled, compute.MapArgs{Op: compute.OpAxpby, X: e.data, A: at.Alpha}); err != nil {
		return err
	}
	p := compute.Pairs{X: x, Y: e.scaled, N: n, M: e.m, D: e.d, LogW: e.logw, Eps: 2 * at.Sigma * at.Sigma}
	return e.b.SoftMean(dst, p, e.data, e.d)
}

// BenchmarkSampleValuesRoute times a whole 20-NFE DPM-Solver++(2M) run of
// the exact denoiser at d = 8 (Q = N = n), the sampler's step end to end,
// on the SoftMeanY route ("from-y-ms/run") and on the former one
// ("apart-ms/run", modelValuesApart), interleaved run by run (the order
// alternating) so that a shared machine's load falls on both alike; "ratio"
// is the first over the second, "cpu-ratio" the same in the process's CPU
// time (lavapipe's threads included), the steadier on a loaded machine:
//
//	go test ./solvers/diffusion -run - -bench SampleValuesRoute -benchtime 4x
func BenchmarkSampleValuesRoute(b *testing.B) {
	for _, bb := range benchBackends {
		b.Run(bb.name, func(b *testing.B) {
			be, wait := bb.get(b)
			const d = 8
			for _, n := range []int{1024, 2048} {
				b.Run(fmt.Sprintf("Q=N=%d", n), func(b *testing.B) {
					data := make([]float64, n*d)
					for i := range data {
						data[i] = compute.NormalAt(1, uint64(i))
					}
					e, err := NewEmpirical(be, data, n, d, nil)
					if err != nil {
						b.Fatal(err)
					}
					defer e.Free()
					x, _ := be.Alloc(n * d)
					defer be.Free(x)
					out := make([]float64, n*d)
					set := Settings{Sampler: DPMPP2M, Steps: 19, FinalDenoise: true}
					models := []Model{e, modelValuesApart{e}}
					for _, m := range models { // warm-up: pipelines
						if err := sampleOnce(be, m, Linear(1000), x, n, 0, set, out); err != nil {
							b.Fatal(err)
						}
					}
					if err := wait(); err != nil {
						b.Fatal(err)
					}
					var took [2]time.Duration
					var cpu [2]float64
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						for k := range 2 {
							route := (i + k) % 2
							start, cpu0 := time.Now(), processCPUSeconds()
							if err := sampleOnce(be, models[route], Linear(1000), x, n, uint64(i), set, out); err != nil {
								b.Fatal(err)
							}
							took[route] += time.Since(start)
							cpu[route] += processCPUSeconds() - cpu0
						}
					}
					b.ReportMetric(took[0].Seconds()*1000/float64(b.N), "from-y-ms/run")
					b.ReportMetric(took[1].Seconds()*1000/float64(b.N), "apart-ms/run")
					b.ReportMetric(took[0].Seconds()/took[1].Seconds(), "ratio")
					b.ReportMetric(cpu[0]*1000/float64(b.N), "from-y-cpu-ms/run")
					b.ReportMetric(cpu[1]*1000/float64(b.N), "apart-cpu-ms/run")
					b.ReportMetric(cpu[0]/cpu[1], "cpu-ratio")
				})
			}
		})
	}
}

// sampleOnce draws the initial noise of seed into x, runs Sample with
// set's sampler (which must take Steps + 1 NFE with FinalDenoise, else
// Steps) and reads the n samples back into out.
func sampleOnce(be compute.Backend, model Model, s Schedule, x compute.Array, n int, seed uint64, set Settings, out []float64) error {
	if err := InitialNoise(be, x, seed); err != nil {
		return err
	}
	res, err := Sample(be, model, s, x, n, set)
	if err != nil {
		return err
	}
	want := set.Steps
	if set.FinalDenoise {
		want++
	}
	if res.NFE != want {
		return fmt.Errorf("NFE %d, want %d", res.NFE, want)
	}
	return be.Read(out, x)
}
