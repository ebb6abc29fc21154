package compute

import (
	"fmt"
	"math"
	"testing"
)

// BenchmarkSinkhornIterationCPU times one balanced log-domain Sinkhorn
// iteration (two soft-mins over N x N pairs, f from g and g from f) on
// each CPU backend: the CPU rows of issue 14's table. The data are those
// of bench/pot/sinkhorn_pot.py, which times POT's sinkhorn_log on the
// same problem: N = M standard normal points in dimension d, the second
// cloud shifted by 1, uniform weights, eps = 0.05 d/2 (0.05 at d = 2).
// Sizes n = 1000 and 4000, d = 2 and 64. Run it built both ways:
//
//	GOEXPERIMENT=simd go test ./compute -run - -bench SinkhornIterationCPU
//	GOEXPERIMENT= go test ./compute -run - -bench SinkhornIterationCPU
func BenchmarkSinkhornIterationCPU(b *testing.B) {
	for _, d := range []int{2, 64} {
		for _, n := range []int{1000, 4000} {
			for _, be := range []*CPU{NewCPU(0), NewCPURef(0), NewCPUFast(0)} {
				b.Run(fmt.Sprintf("%s/d=%d/n=%d", be.Info().Name, d, n), func(b *testing.B) {
					benchSinkhornIteration(b, be, n, d)
				})
			}
		}
	}
}

func benchSinkhornIteration(b *testing.B, be *CPU, n, d int) {
	xs, ys := make([]float64, n*d), make([]float64, n*d)
	for i := range xs {
		xs[i] = NormalAt(1, uint64(i))
		ys[i] = NormalAt(2, uint64(i)) + 1
	}
	lw := make([]float64, n)
	for i := range lw {
		lw[i] = -math.Log(float64(n))
	}
	x, _ := be.Upload(xs)
	y, _ := be.Upload(ys)
	logw, _ := be.Upload(lw)
	f, _ := be.Alloc(n)
	g, _ := be.Alloc(n)
	eps := 0.05 * float64(d) / 2
	p := Pairs{X: x, Y: y, N: n, M: n, D: d, LogW: logw, G: g, Eps: eps}
	q := p.Swap(logw, f)
	step := func() {
		if err := be.SoftMin(f, p); err != nil {
			b.Fatal(err)
		}
		if err := be.SoftMin(g, q); err != nil {
			b.Fatal(err)
		}
	}
	step()
	step() // the second call of each direction stores its cost matrix (costcache.go)
	b.ResetTimer()
	c0 := cpuSeconds()
	for range b.N {
		step()
	}
	b.ReportMetric((cpuSeconds()-c0)*1e3/float64(b.N), "cpu-ms/iter")
	b.ReportMetric(float64(2*n*n)*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/iter")
}
