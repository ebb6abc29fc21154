package webgpu_test

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestSoftMinCostLongRows runs the cost kernels over rows longer than
// lavapipe's loop limiter (65,535 iterations per invocation, see the
// README's known limits): M = 140,000 columns for |x - y|^1 and a dense
// 3 x 140,000 matrix (row-major and transposed), against the float64 CPU
// backend, at the conformance tolerance 3e-6 (max|f| + max C + eps).
func TestSoftMinCostLongRows(t *testing.T) {
	gpu := gputest.Backend(t)
	cpu := compute.NewCPU(0)
	const n, m, d = 3, 140000, 2
	x := make([]float64, n*d)
	y := make([]float64, m*d)
	for i := range x {
		x[i] = compute.NormalAt(1, uint64(i))
	}
	for i := range y {
		y[i] = compute.NormalAt(2, uint64(i))
	}
	c := make([]float64, n*m)
	ct := make([]float64, n*m)
	for i := range n {
		for j := range m {
			v := math.Abs(x[i*d]-y[j*d]) + math.Abs(x[i*d+1]-y[j*d+1])
			c[i*m+j], ct[j*n+i] = v, v
		}
	}
	// The last column carries almost all the weight: a loop stopped early
	// misses it.
	g := make([]float64, m)
	g[m-1] = 5
	for _, tc := range []struct {
		name       string
		cost       []float64
		p          float64
		transposed bool
	}{{"p=1", nil, 1, false}, {"matrix", c, 0, false}, {"matrix^T", ct, 0, true}} {
		run := func(be compute.Backend) []float64 {
			xa, _ := be.Upload(x)
			ya, _ := be.Upload(y)
			ga, _ := be.Upload(g)
			dst, _ := be.Alloc(n)
			defer func() { be.Free(xa); be.Free(ya); be.Free(ga); be.Free(dst) }()
			p := compute.Pairs{X: xa, Y: ya, N: n, M: m, D: d, G: ga, Eps: 0.1, Cost: compute.Cost{P: tc.p}}
			if tc.cost != nil {
				ca, err := be.Upload(tc.cost)
				if err != nil {
					t.Fatal(err)
				}
				defer be.Free(ca)
				p = compute.Pairs{N: n, M: m, G: ga, Eps: 0.1, Cost: compute.Cost{Matrix: ca, Transposed: tc.transposed}}
			}
			if err := be.SoftMin(dst, p); err != nil {
				t.Fatal(err)
			}
			out := make([]float64, n)
			if err := be.Read(out, dst); err != nil {
				t.Fatal(err)
			}
			return out
		}
		want, got := run(cpu), run(gpu)
		for i := range want {
			if e := math.Abs(got[i]-want[i]) / (math.Abs(want[i]) + 20); e > 3e-6 {
				t.Errorf("%s: row %d: GPU %.7g, CPU %.7g", tc.name, i, got[i], want[i])
			}
		}
	}
}
