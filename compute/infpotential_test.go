package compute

import (
	"fmt"
	"math"
	"testing"
)

// TestInfinitePotential: a column whose bias h_j = logw_j + g_j/eps is
// +Inf (here g_j = +Inf) makes every row's sum sum_j e^(h_j - C_ij/eps)
// +Inf, so the soft-min f_i = -eps log(+Inf) is -Inf, and the soft-mean
// is the limit of its weights, equal over the +Inf columns and 0
// elsewhere: the plain mean of those columns' values. Every CPU backend
// and loop kind agrees, with one and with several such columns (two
// give e^(Inf - Inf) = NaN in a running maximum), below, at and above the
// cost cache's dimension (three calls: fused, built, read), n != m.
func TestInfinitePotential(t *testing.T) {
	const n, m = 37, 70
	bs := []*CPU{NewCPURef(0)}
	bs = append(bs, everyLoops(NewCPU)...)
	bs = append(bs, everyLoops(NewCPUFast)...)
	for _, d := range []int{1, 2, 3, 8, costCacheMinDim - 1, costCacheMinDim, 64} {
		for _, inf := range [][]int{{10}, {10, 30, 69}} {
			for _, b := range bs {
				name := fmt.Sprintf("%s/%v/d=%d/+Inf at %v", b.Info().Name, b.loops, d, inf)
				g, lw := normals(5, m, 0), normals(6, m, -math.Log(m))
				for _, j := range inf {
					g[j] = math.Inf(1)
				}
				lw[20] = math.Inf(-1) // a column of zero weight beside them
				up := func(v []float64) Array {
					a, err := b.Upload(v)
					if err != nil {
						t.Fatal(err)
					}
					return a
				}
				yv := normals(2, m*d, 0)
				x, y := up(normals(1, n*d, 0)), up(yv)
				p := Pairs{X: x, Y: y, N: n, M: m, D: d, LogW: up(lw), G: up(g), Eps: 0.5}
				wantMean := make([]float64, d)
				for _, j := range inf {
					for k := range d {
						wantMean[k] += yv[j*d+k]
					}
				}
				for k := range wantMean {
					wantMean[k] /= float64(len(inf))
				}
				f, mean := up(make([]float64, n)), up(make([]float64, n*d))
				got, gotMean := make([]float64, n), make([]float64, n*d)
				for call := range 3 {
					if err := b.SoftMin(f, p); err != nil {
						t.Fatal(err)
					}
					if err := b.SoftMean(mean, p, y, d); err != nil {
						t.Fatal(err)
					}
					if err := b.Read(got, f); err != nil {
						t.Fatal(err)
					}
					if err := b.Read(gotMean, mean); err != nil {
						t.Fatal(err)
					}
					for i, v := range got {
						if !math.IsInf(v, -1) {
							t.Fatalf("%s call %d: soft-min f[%d] = %g, want -Inf", name, call, i, v)
						}
					}
					for i, v := range gotMean {
						if w := wantMean[i%d]; !(math.Abs(v-w) <= 1e-12*(1+math.Abs(w))) {
							t.Fatalf("%s call %d: soft-mean[%d] = %g, want %g (the mean of the +Inf columns' values)", name, call, i, v, w)
						}
					}
				}
			}
		}
	}
}
