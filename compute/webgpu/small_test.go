package webgpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/shaders"
)

// TestSmallForms runs the unrolled d <= 3 soft-min and soft-mean in every
// form (two-pass, online, lazy) with and without the polynomial exp2
// (every row, every second or third row) against the float64 CPU backend, at the
// conformance tolerances (soft-min: 3e-6 of max|f| + max C + eps;
// soft-mean: min(2e-3, 1e-4 + 1e-7 max C / eps) of max|V|). N = 130, M =
// 600: two 256-column tiles in each of the two column splits lavapipe
// gets (TargetGroups 64). Three potentials g:
// zero; rising by 4 eps a column, so that the second tile of each split
// (its last 44 columns) rises at least 176 - 60 nats (the costs span at
// most d/eps = 60) above the first tile's maximum and the lazy form must
// sum it again (without the retry its sum overflows to +Inf); falling the
// same way (the first tile holds the maximum, later tiles underflow).
func TestSmallForms(t *testing.T) {
	be := gputest.Raw(t)
	saved := be.Small
	defer func() { be.Small = saved }()
	cpu := compute.NewCPU(0)
	const n, m, eps = 130, 600, 0.05
	for d := 1; d <= 3; d++ {
		x := make([]float64, n*d)
		y := make([]float64, m*d)
		for i := range x {
			x[i] = compute.UniformAt(uint64(10+d), uint64(i))
		}
		for i := range y {
			y[i] = compute.UniformAt(uint64(20+d), uint64(i))
		}
		for _, gname := range []string{"zero", "rising", "falling"} {
			g := make([]float64, m)
			for j := range g {
				switch gname {
				case "rising":
					g[j] = 4 * eps * float64(j)
				case "falling":
					g[j] = -4 * eps * float64(j)
				}
			}
			wantF, wantM := smallRun(t, cpu, x, y, g, n, m, d, eps)
			maxC := float64(d)
			for _, o := range []shaders.SmallOptions{{Form: shaders.TwoPass}, {Form: shaders.OnePass}, {Form: shaders.Lazy},
				{Form: shaders.Lazy, PolyEvery: 1}, {Form: shaders.TwoPass, PolyEvery: 3}, {Form: shaders.OnePass, PolyEvery: 2}} {
				be.Small = o
				name := fmt.Sprintf("d=%d g=%s %v", d, gname, be.Small)
				gotF, gotM := smallRun(t, be, x, y, g, n, m, d, eps)
				scale := maxAbs(wantF) + maxC + eps
				for i := range wantF {
					if e := math.Abs(gotF[i]-wantF[i]) / scale; !(e <= 3e-6) {
						t.Errorf("%s: soft-min row %d = %.8g, want %.8g (error %.2g of scale)", name, i, gotF[i], wantF[i], e)
						break
					}
				}
				tol := min(2e-3, 1e-4+1e-7*maxC/eps)
				for i := range wantM {
					if e := math.Abs(gotM[i] - wantM[i]); !(e <= tol) {
						t.Errorf("%s: soft-mean entry %d = %.8g, want %.8g", name, i, gotM[i], wantM[i])
						break
					}
				}
			}
		}
	}
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}

// smallRun returns the soft-min f_i and the soft-mean of V = Y on be.
func smallRun(t *testing.T, be compute.Backend, x, y, g []float64, n, m, d int, eps float64) (f, mean []float64) {
	t.Helper()
	return pairsRun(t, be, x, y, g, y, n, m, d, d, eps)
}
