package webgpu_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// softMinSizes is 1e3 and 1e4, plus 1e5 with OTPLAY_BENCH_LARGE=1 (meant
// for a real GPU: on lavapipe or the CPU it takes minutes).
func softMinSizes() []int {
	s := []int{1000, 10000}
	if os.Getenv("OTPLAY_BENCH_LARGE") == "1" {
		s = append(s, 100000)
	}
	return s
}

// benchSoftMin times one soft-min over N = M points uniform in [0, 1]^2
// (eps 0.05), reporting pairs per second and the share of the H100's
// exp-throughput bound (4.18e12 exp/s). GPU work is waited for in each
// iteration. cost is the ground cost (the zero value: |x - y|^2); with
// matrix, the N x N matrix of uniform [0, 1) costs replaces the points.
func benchSoftMin(b *testing.B, be compute.Backend, n int, cost compute.Cost, matrix bool) {
	x, _ := be.Alloc(2 * n)
	y, _ := be.Alloc(2 * n)
	out, _ := be.Alloc(n)
	defer be.Free(x)
	defer be.Free(y)
	defer be.Free(out)
	if err := be.Uniform(x, 1, 0); err != nil {
		b.Fatal(err)
	}
	if err := be.Uniform(y, 2, 0); err != nil {
		b.Fatal(err)
	}
	p := compute.Pairs{X: x, Y: y, N: n, M: n, D: 2, Eps: 0.05, Cost: cost}
	if matrix {
		c, err := be.Alloc(n * n)
		if err != nil {
			b.Fatal(err)
		}
		defer be.Free(c)
		if err := be.Uniform(c, 3, 0); err != nil {
			b.Fatal(err)
		}
		p = compute.Pairs{N: n, M: n, Eps: 0.05, Cost: compute.Cost{Matrix: c}}
	}
	wait := func() {
		if g, ok := be.(*webgpu.Backend); ok {
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := be.SoftMin(out, p); err != nil {
		b.Fatal(err)
	}
	wait()
	b.ResetTimer()
	for range b.N {
		if err := be.SoftMin(out, p); err != nil {
			b.Fatal(err)
		}
		wait()
	}
	pairs := float64(n) * float64(n) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(pairs, "pairs/s")
	b.ReportMetric(100*pairs/4.18e12, "%H100-exp-bound")
}

func BenchmarkSoftMin(b *testing.B) {
	for _, n := range softMinSizes() {
		b.Run(fmt.Sprintf("cpu/n=%d", n), func(b *testing.B) { benchSoftMin(b, compute.NewCPU(0), n, compute.Cost{}, false) })
		b.Run(fmt.Sprintf("cpu32/n=%d", n), func(b *testing.B) { benchSoftMin(b, compute.NewCPUFast(0), n, compute.Cost{}, false) })
		b.Run(fmt.Sprintf("gpu/n=%d", n), func(b *testing.B) { benchSoftMin(b, gputest.Backend(b), n, compute.Cost{}, false) })
	}
}

// BenchmarkSoftMinCost times the soft-min for the other ground costs
// (softmin_cost.wgsl on the GPU, the float64 loop on the CPU): |x - y|^1,
// |x - y|^1.5 and a dense matrix, at N = M = 1000 and 2000 (4e6 entries,
// the matrix limit).
func BenchmarkSoftMinCost(b *testing.B) {
	for _, n := range []int{1000, 2000} {
		for _, c := range []struct {
			name   string
			cost   compute.Cost
			matrix bool
		}{{"p=1", compute.Cost{P: 1}, false}, {"p=1.5", compute.Cost{P: 1.5}, false}, {"matrix", compute.Cost{}, true}} {
			b.Run(fmt.Sprintf("cpu/%s/n=%d", c.name, n), func(b *testing.B) { benchSoftMin(b, compute.NewCPU(0), n, c.cost, c.matrix) })
			b.Run(fmt.Sprintf("gpu/%s/n=%d", c.name, n), func(b *testing.B) { benchSoftMin(b, gputest.Backend(b), n, c.cost, c.matrix) })
		}
		b.Run(fmt.Sprintf("gpu/p=2/n=%d", n), func(b *testing.B) { benchSoftMin(b, gputest.Backend(b), n, compute.Cost{}, false) })
	}
}

// BenchmarkSoftMinDifferences times |x - y|^2 fused (the zero Cost, the
// unrolled d <= 3 kernels) against the same cost summed from coordinate
// differences (Cost.Differences, softmin_cost.wgsl), which
// HierarchicalSmooth of solvers/diffusion takes where the float32 floor
// exceeds its marginal limit.
func BenchmarkSoftMinDifferences(b *testing.B) {
	for _, n := range []int{500, 2000, 10000} {
		for _, c := range []struct {
			name string
			cost compute.Cost
		}{{"fused", compute.Cost{}}, {"differences", compute.Cost{Differences: true}}} {
			b.Run(fmt.Sprintf("gpu/%s/n=%d", c.name, n), func(b *testing.B) { benchSoftMin(b, gputest.Backend(b), n, c.cost, false) })
		}
	}
}
