package bridge

import (
	"fmt"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/ot"
)

// Benchmarks of the bridge on a size ladder (2-D, seeded): the drift of n
// particles towards n target points (one SoftMean) and whole simulations
// of 100 Euler-Maruyama steps. The GPU variants skip where no adapter
// opens. Run with e.g.
//
//	go test -run '^$' -bench . -benchtime 3x ./solvers/bridge/
func benchBridge(b *testing.B, be compute.Backend, n int) *Bridge {
	b.Helper()
	src := make([]float64, 2*n)
	tgt := make([]float64, 2*n)
	for k := range src {
		src[k] = compute.NormalAt(1, uint64(k))
		tgt[k] = 0.5*compute.NormalAt(2, uint64(k)) + 1
	}
	// One Sinkhorn iteration: the cost of what is timed does not depend on
	// the potentials' accuracy. (ot.Sinkhorn with n = 16000 and 10
	// iterations once segfaulted lavapipe: wgpu-native's 5-second blocking
	// wait, which the gpu package no longer uses.)
	br, err := New(be, ot.Problem{X: src, Y: tgt, N: n, M: n, D: 2}, Settings{Sigma: 0.3, Sinkhorn: ot.Settings{MaxIter: 1}})
	if err != nil {
		b.Fatal(err)
	}
	return br
}

func benchDrift(b *testing.B, be compute.Backend, sizes []int) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			br := benchBridge(b, be, n)
			defer br.Free()
			x, _ := be.Upload(br.X)
			dst, _ := be.Alloc(len(br.X))
			defer be.Free(x)
			defer be.Free(dst)
			host := make([]float64, 2)
			part, _ := be.Alloc(2)
			defer be.Free(part)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := br.Drift(dst, x, n, 0.5); err != nil {
					b.Fatal(err)
				}
			}
			// one readback so queued GPU work is inside the timing
			if err := be.Copy(part, x); err == nil {
				be.Read(host, part)
			}
			b.ReportMetric(float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gpairs/s")
		})
	}
}

func BenchmarkDriftCPU(b *testing.B) { benchDrift(b, compute.NewCPU(0), []int{1000, 4000}) }
func BenchmarkDriftGPU(b *testing.B) {
	benchDrift(b, gputest.Backend(b), []int{1000, 4000, 16000, 65536})
}

func benchSimulate(b *testing.B, be compute.Backend, sizes []int) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d/steps=100", n), func(b *testing.B) {
			br := benchBridge(b, be, n)
			defer br.Free()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := br.Simulate(br.X, SimSettings{Steps: 100, Seed: uint64(i)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSimulateCPU(b *testing.B) { benchSimulate(b, compute.NewCPU(0), []int{1000}) }
func BenchmarkSimulateGPU(b *testing.B) {
	benchSimulate(b, gputest.Backend(b), []int{1000, 16000})
}

func benchPairs(b *testing.B, be compute.Backend, sizes []int) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			br := benchBridge(b, be, n)
			defer br.Free()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := br.SamplePairs(n, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSamplePairsCPU(b *testing.B) { benchPairs(b, compute.NewCPU(0), []int{1000}) }
func BenchmarkSamplePairsGPU(b *testing.B) {
	benchPairs(b, gputest.Backend(b), []int{1000, 16000})
}
