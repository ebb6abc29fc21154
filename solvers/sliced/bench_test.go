package sliced

import (
	"fmt"
	"os"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/data"
)

// BenchmarkDistance: SW_2 with 200 random directions between two Gaussian
// clouds of n points (uniform weights, the all-device path), at the sizes
// of bench/sliced_pot.py. The GPU runs only with OTPLAY_BENCH_GPU=1 (on
// lavapipe its figures say nothing about real hardware).
func BenchmarkDistance(b *testing.B) {
	backends := []struct {
		name string
		open func(testing.TB) compute.Backend
	}{
		{"cpu", func(testing.TB) compute.Backend { return compute.NewCPU(0) }},
	}
	if os.Getenv("OTPLAY_BENCH_GPU") == "1" {
		backends = append(backends, struct {
			name string
			open func(testing.TB) compute.Backend
		}{"gpu", func(t testing.TB) compute.Backend { return gputest.Backend(t) }})
	}
	for _, be := range backends {
		for _, d := range []int{2, 64} {
			for _, n := range []int{1000, 4000} {
				b.Run(fmt.Sprintf("%s/d=%d/n=%d", be.name, d, n), func(b *testing.B) {
					bk := be.open(b)
					x, _ := data.Generate("gaussian", n, data.Options{D: d, Seed: 1})
					y, _ := data.Generate("gaussian", n, data.Options{D: d, Seed: 2})
					X, Y := Measure{Points: x.Points, N: n, D: d}, Measure{Points: y.Points, N: n, D: d}
					for b.Loop() {
						if _, err := Distance(bk, X, Y, Settings{Projections: 200}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
