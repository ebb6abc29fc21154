package compute

import (
	"math"
	"testing"
)

// TestSoftMinDifferencesCPU: Cost.Differences takes the fast kernels on
// cpu and cpu32 below dotMinDim (they sum |x - y|^2 from the differences
// already) and the plain loop from dotMinDim on; at eps = 2e-8 on points
// of spread 4 (the float32 floor ~200, where the GPU's fused form is ~90
// nats off) both agree with cpuref's plain float64 loop in the exponent,
// on near pairs 1e-4 apart, to 1e-2 nats (the hierarchical sampler's
// marginal limit; cpu32 holds the scaled coordinates, ~3e4, in float32,
// which moves a pair's gap of ~0.5 nats by ~1e-3; cpu is 4e-16 off).
func TestSoftMinDifferencesCPU(t *testing.T) {
	for _, c := range []struct {
		p    Pairs
		fast bool
	}{
		{Pairs{D: 2, Cost: Cost{Differences: true}}, true},
		{Pairs{D: dotMinDim - 1, Cost: Cost{P: 2, Differences: true}}, true},
		{Pairs{D: dotMinDim, Cost: Cost{Differences: true}}, false},
		{Pairs{D: 2, Cost: Cost{P: 1, Differences: true}}, false},
		{Pairs{D: 2}, true},
		{Pairs{D: 2, Cost: Cost{P: 1}}, false},
	} {
		if got := fastCost(c.p); got != c.fast {
			t.Errorf("fastCost(D = %d, %+v) = %v, want %v", c.p.D, c.p.Cost, got, c.fast)
		}
	}
	const n, eps = 400, 2e-8
	x, logw := make([]float64, 2*n), make([]float64, n)
	for i := 0; i < n; i += 2 {
		a := float64(i/2%8) * math.Pi / 4
		x[2*i] = 2*math.Cos(a) + 0.02*NormalAt(91, uint64(2*i))
		x[2*i+1] = 2*math.Sin(a) + 0.02*NormalAt(91, uint64(2*i+1))
		x[2*i+2], x[2*i+3] = x[2*i]+1e-4, x[2*i+1]
		logw[i], logw[i+1] = 2*UniformAt(92, uint64(i))-1, 2*UniformAt(92, uint64(i+1))-1
	}
	run := func(b *CPU) []float64 {
		xa, _ := b.Upload(x)
		wa, _ := b.Upload(logw)
		dst, _ := b.Alloc(n)
		p := Pairs{X: xa, Y: xa, N: n, M: n, D: 2, LogW: wa, Eps: eps, Cost: Cost{Differences: true}}
		if err := b.SoftMin(dst, p); err != nil {
			t.Fatal(err)
		}
		return host(dst)
	}
	want := run(NewCPURef(1))
	for name, b := range map[string]*CPU{"cpu": NewCPU(1), "cpu32": NewCPUFast(1)} {
		got, e := run(b), 0.0
		for i := range got {
			e = max(e, math.Abs(got[i]-want[i])/eps)
		}
		if !(e <= 1e-2) {
			t.Errorf("%s: max exponent error %.3g nats against cpuref, want <= 1e-2", name, e)
		}
		t.Logf("%s: max exponent error %.3g nats", name, e)
	}
}
