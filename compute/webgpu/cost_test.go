package webgpu_test

import (
	"fmt"
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

// TestCostNaNPoints: a NaN coordinate under the other point costs gives
// NaN, as compute's reference loops give: the soft-min and soft-mean of a
// NaN row, and of every row for a NaN column. At P = 1.5 powerCost took
// pow(NaN, 0.75), which lavapipe computes from the exponent bits (finite:
// WGSL leaves pow of NaN indeterminate), so the NaN column got no weight
// and the NaN row a finite soft-min.
func TestCostNaNPoints(t *testing.T) {
	be := gputest.Raw(t)
	ref := compute.NewCPURef(0)
	const n, m, eps = 9, 70, 0.3
	for _, cost := range []compute.Cost{{P: 1}, {P: 1.5}, {Differences: true}} {
		for _, d := range []int{1, 3} {
			for _, col := range []bool{false, true} {
				x, y, g := uniforms(1, n*d), uniforms(2, m*d), uniforms(3, m)
				if col {
					y[5*d] = math.NaN()
				} else {
					x[4*d] = math.NaN()
				}
				run := func(b compute.Backend) (f, mean []float64) {
					up := func(v []float64) compute.Array {
						a, err := b.Upload(v)
						if err != nil {
							t.Fatal(err)
						}
						t.Cleanup(func() { b.Free(a) })
						return a
					}
					ya := up(y)
					p := compute.Pairs{X: up(x), Y: ya, N: n, M: m, D: d, G: up(g), Eps: eps, Cost: cost}
					fa, ma := up(make([]float64, n)), up(make([]float64, n*d))
					if err := b.SoftMin(fa, p); err != nil {
						t.Fatal(err)
					}
					if err := b.SoftMean(ma, p, ya, d); err != nil {
						t.Fatal(err)
					}
					f, mean = make([]float64, n), make([]float64, n*d)
					if err := b.Read(f, fa); err != nil {
						t.Fatal(err)
					}
					if err := b.Read(mean, ma); err != nil {
						t.Fatal(err)
					}
					return f, mean
				}
				wantF, wantM := run(ref)
				gotF, gotM := run(be)
				name := fmt.Sprintf("P=%g differences=%v d=%d NaN column=%v", cost.P, cost.Differences, d, col)
				checkSpecial(t, name+": soft-min f", gotF, wantF, 1e-4, 0)
				checkSpecial(t, name+": soft-mean", gotM, wantM, 1e-3, 1)
			}
		}
	}
}
