package compute

import (
	"math"
	"testing"
)

// The expanded-form cost of the fast paths (cpuhd.go) from d = dotMinDim:
// the float64 soft-min (vector loops; the scalar ones, direct form, too)
// equals the plain loop
// (NewCPURef) to the conformance tolerance 1e-13 relative, and within the
// bound of cpuhd.go, 2 (d + 3) u max(|x_c|^2 + |y_c|^2), on clouds far from
// the origin (offset 100: without the centring the norms would be 1e4
// times the spread and the bound 1e-10), at d = 16, 64 and 130 (not a
// multiple of 4), column counts that leave a last group of four and of
// padding, and eps from 1e-3 to 10.
func TestSoftMinHighDimMatchesReference(t *testing.T) {
	ref := NewCPURef(0)
	var worst, worstBound float64
	for _, d := range []int{dotMinDim, 64, 130} {
		for _, n := range []int{1, 5, 37, 300} {
			for _, eps := range []float64{1e-3, 0.05 * float64(d) / 2, 10} {
				m := n + 3
				xs, ys := make([]float64, n*d), make([]float64, m*d)
				for i := range xs {
					xs[i] = NormalAt(4, uint64(i)) + 100
				}
				for i := range ys {
					ys[i] = NormalAt(5, uint64(i)) + 101
				}
				lw := make([]float64, m)
				for j := range lw {
					lw[j] = -math.Log(float64(m)) + 0.1*NormalAt(6, uint64(j))
				}
				want := runSoftMin(t, ref, xs, ys, lw, n, m, d, eps)
				// The bound of cpuhd.go, with the clouds centred on the
				// columns' mean (101 in every coordinate, to O(1/sqrt(m))).
				var r2 float64
				for i := range n {
					for j := range m {
						var s float64
						for k := range d {
							a, b := xs[i*d+k]-101, ys[j*d+k]-101
							s += a*a + b*b
						}
						r2 = max(r2, s)
					}
				}
				bound := 2 * float64(d+3) * 0x1p-53 * r2 * 1.5 // 1.5: the mean is the sample's
				for _, b := range everyLoops(NewCPU) {
					got := runSoftMin(t, b, xs, ys, lw, n, m, d, eps)
					for i := range want {
						e := math.Abs(got[i] - want[i])
						worst = max(worst, e/math.Abs(want[i]))
						worstBound = max(worstBound, e/bound)
						if !(e <= 1e-13*math.Abs(want[i])) || !(e <= bound) {
							t.Fatalf("d=%d n=%d eps=%g row %d (loops %v): fast %.17g, reference %.17g (rel %.3g, bound %.3g)", d, n, eps, i, b.loops, got[i], want[i], e/math.Abs(want[i]), bound)
						}
					}
				}
			}
		}
	}
	t.Logf("loops %v; worst relative difference %.3g, %.3g of the bound", availableLoops(), worst, worstBound)
}

// The float32-grade backend (cpu32) takes the same expanded form at high d
// and stays within its float32 tolerance of the reference.
func TestSoftMinHighDimCPU32(t *testing.T) {
	fast, ref := NewCPUFast(0), NewCPURef(0)
	for _, d := range []int{dotMinDim, 64} {
		n, m := 41, 29
		xs, ys := make([]float64, n*d), make([]float64, m*d)
		for i := range xs {
			xs[i] = NormalAt(7, uint64(i))
		}
		for i := range ys {
			ys[i] = NormalAt(8, uint64(i)) + 1
		}
		lw := make([]float64, m)
		for j := range lw {
			lw[j] = -math.Log(float64(m))
		}
		eps := 0.05 * float64(d) / 2
		want := runSoftMin(t, ref, xs, ys, lw, n, m, d, eps)
		got := runSoftMin(t, fast, xs, ys, lw, n, m, d, eps)
		for i := range want {
			if e := math.Abs(got[i]-want[i]) / math.Abs(want[i]); !(e <= 1e-6) {
				t.Fatalf("d=%d row %d: cpu32 %.9g, reference %.9g (rel %.3g)", d, i, got[i], want[i], e)
			}
		}
	}
}

func runSoftMin(t *testing.T, b *CPU, xs, ys, lw []float64, n, m, d int, eps float64) []float64 {
	t.Helper()
	x, _ := b.Upload(xs)
	y, _ := b.Upload(ys)
	w, _ := b.Upload(lw)
	dst, _ := b.Alloc(n)
	if err := b.SoftMin(dst, Pairs{X: x, Y: y, N: n, M: m, D: d, LogW: w, Eps: eps}); err != nil {
		t.Fatal(err)
	}
	return Data(dst)
}
