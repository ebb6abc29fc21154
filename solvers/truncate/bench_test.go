package truncate

import (
	"fmt"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// Benchmarks of the prior fits on moons (seeded): 100 Adam steps of the
// sliced prior (batch 256 and 1024, 64 directions) and the entropic
// prior's Sinkhorn solve at T_trunc = 50 (K = 1000 and 4000). Run with
//
//	go test -run '^$' -bench . -benchtime 1x ./solvers/truncate/
func benchFit(b *testing.B, be compute.Backend, p Prior, sizes []int) {
	data := toy(b, "moons", 2000, 1)
	for _, k := range sizes {
		b.Run(fmt.Sprintf("%v/%d", p, k), func(b *testing.B) {
			s := Settings{TTrunc: 50, Prior: p, FitSamples: k, SlicedBatch: k, SlicedSteps: 100}
			for i := 0; i < b.N; i++ {
				f, err := FitPrior(be, data, 2000, 2, s)
				if err != nil {
					b.Fatal(err)
				}
				if p == Entropic {
					b.ReportMetric(float64(f.Entropic.Iterations), "iters")
				}
				f.Free()
			}
		})
	}
}

func BenchmarkSlicedFitCPU(b *testing.B) { benchFit(b, compute.NewCPU(0), Sliced, []int{256}) }
func BenchmarkSlicedFitGPU(b *testing.B) {
	benchFit(b, gputest.Backend(b), Sliced, []int{256, 1024})
}
func BenchmarkEntropicFitCPU(b *testing.B) { benchFit(b, compute.NewCPU(0), Entropic, []int{1000}) }
func BenchmarkEntropicFitGPU(b *testing.B) {
	benchFit(b, gputest.Backend(b), Entropic, []int{1000, 4000})
}
