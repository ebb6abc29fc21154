package diffusion

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// h100ExpBound is the H100's exp throughput, 4.18e12 exp/s (132 SMs x 16
// SFU ops/clock/SM x 1.98 GHz), the roofline of the fused reductions
// (the same figure as `otplay bench`): one exp per (query, data) pair.
const h100ExpBound = 4.18e12

// benchSizes returns the Q = N sizes of a backend: 1e4 and 1e5 on a
// hardware GPU; 1e3 and 1e4 on the CPU and on software adapters
// (lavapipe, SwiftShader), where 1e5 takes minutes per NFE.
// OTPLAY_BENCH_SIZES overrides, e.g. OTPLAY_BENCH_SIZES=1e5 or 3e4,1e5.
func benchSizes(be compute.Backend) []int {
	if s := os.Getenv("OTPLAY_BENCH_SIZES"); s != "" {
		var out []int
		for _, f := range splitComma(s) {
			v, err := strconv.ParseFloat(f, 64)
			if err == nil && v >= 1 {
				out = append(out, int(v))
			}
		}
		return out
	}
	info := be.Info()
	dev := strings.ToLower(info.Device + " " + info.Notes)
	software := strings.Contains(dev, "llvmpipe") || strings.Contains(dev, "lavapipe") || strings.Contains(dev, "swiftshader")
	if info.Name == "gpu" && !software {
		return []int{10000, 100000}
	}
	return []int{1000, 10000}
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

type benchBackend struct {
	name string
	get  func(b *testing.B) (compute.Backend, func() error)
}

var benchBackends = []benchBackend{
	{"cpu", func(b *testing.B) (compute.Backend, func() error) {
		return compute.NewCPU(0), func() error { return nil }
	}},
	{"gpu", func(b *testing.B) (compute.Backend, func() error) { g := gputest.Raw(b); return g, g.Wait }},
}

// benchData is Q = N points in 2-D: data uniform on [-2, 2]^2, queries
// standard normal (x_t at mid time).
func benchData(n int) (data, x []float64) {
	data, x = make([]float64, 2*n), make([]float64, 2*n)
	for i := range data {
		data[i] = 4*compute.UniformAt(1, uint64(i)) - 2
		x[i] = compute.NormalAt(2, uint64(i))
	}
	return
}

// BenchmarkEmpiricalDenoiser times one NFE of the exact denoiser (one
// fused SoftMean over Q x N pairs in 2-D, plus the alpha-scaling Map) at
// t = 0.5 of the linear schedule, and reports pairs per second and the
// fraction of the H100 exp bound (%exp-bound). On the GPU each timed
// iteration waits for its dispatches (one NFE's latency, submission
// included: tens of microseconds against ~6 ms for Q = N = 1e5 at 40% of
// the bound). (Queued multi-second dispatches once crashed lavapipe:
// wgpu-native's 5-second blocking wait, which the gpu package no longer
// uses; see its package doc.)
//
//	go test ./solvers/diffusion -run XXX -bench EmpiricalDenoiser/gpu -benchtime 20x
func BenchmarkEmpiricalDenoiser(b *testing.B) {
	for _, bb := range benchBackends {
		b.Run(bb.name, func(b *testing.B) {
			be, wait := bb.get(b)
			for _, n := range benchSizes(be) {
				b.Run(fmt.Sprintf("Q=N=%d", n), func(b *testing.B) {
					data, x := benchData(n)
					e, err := NewEmpirical(be, data, n, 2, nil)
					if err != nil {
						b.Fatal(err)
					}
					defer e.Free()
					xa, _ := be.Upload(x)
					dst, _ := be.Alloc(2 * n)
					defer be.Free(xa)
					defer be.Free(dst)
					at := At(Linear(1000), 0.5)
					if err := e.Predict(dst, xa, n, at); err != nil { // warm-up: pipelines
						b.Fatal(err)
					}
					if err := wait(); err != nil {
						b.Fatal(err)
					}
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						if err := e.Predict(dst, xa, n, at); err != nil {
							b.Fatal(err)
						}
						if err := wait(); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					sec := b.Elapsed().Seconds() / float64(b.N)
					pairs := float64(n) * float64(n)
					b.ReportMetric(pairs/sec, "pairs/s")
					b.ReportMetric(100*pairs/sec/h100ExpBound, "%exp-bound")
				})
			}
		})
	}
}

// BenchmarkSample20NFE times a whole DPM-Solver++(2M) run of 19 steps
// plus the final denoising (20 NFE) with the exact denoiser, end to end:
// initial noise on the backend, the sampler, and the read-back of the Q x
// 2 samples.
//
//	go test ./solvers/diffusion -run XXX -bench Sample20NFE/gpu -benchtime 3x
func BenchmarkSample20NFE(b *testing.B) {
	for _, bb := range benchBackends {
		b.Run(bb.name, func(b *testing.B) {
			be, wait := bb.get(b)
			for _, n := range benchSizes(be) {
				b.Run(fmt.Sprintf("Q=N=%d", n), func(b *testing.B) {
					data, _ := benchData(n)
					e, err := NewEmpirical(be, data, n, 2, nil)
					if err != nil {
						b.Fatal(err)
					}
					defer e.Free()
					x, _ := be.Alloc(2 * n)
					defer be.Free(x)
					out := make([]float64, 2*n)
					s := Linear(1000)
					set := Settings{Sampler: DPMPP2M, Steps: 19, FinalDenoise: true}
					if err := wait(); err != nil {
						b.Fatal(err)
					}
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						if err := sampleOnce(be, e, s, x, n, uint64(i), set, out); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					sec := b.Elapsed().Seconds() / float64(b.N)
					b.ReportMetric(sec*1000, "ms/run")
					b.ReportMetric(100*20*float64(n)*float64(n)/sec/h100ExpBound, "%exp-bound")
				})
			}
		})
	}
}

// BenchmarkTrainStep times one denoising-score-matching step (batch 256,
// hidden 64 x 3: forward, backward, Adam) per backend.
func BenchmarkTrainStep(b *testing.B) {
	for _, bb := range benchBackends {
		b.Run(bb.name, func(b *testing.B) {
			be, _ := bb.get(b)
			mix, _ := NewGMM(nil, []float64{1, 1}, []float64{-1, 0, 1, 0}, []float64{0.2, 0.2}, 2)
			data := mix.Sample(2000, 1)
			b.ResetTimer()
			_, res, err := Train(be, Linear(1000), data, 2000, 2, TrainSettings{Steps: b.N, LogEvery: b.N})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(res.Duration.Microseconds())/1000/float64(b.N), "ms/step")
		})
	}
}
