package compute

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// TestInfinitePotential: a column whose bias h_j = logw_j + g_j/eps is
// +Inf (here g_j = +Inf) makes every row's sum sum_j e^(h_j - C_ij/eps)
// +Inf, so the soft-min f_i = -eps log(+Inf) is -Inf, and the soft-mean
// is the limit of its weights, equal over the +Inf columns and 0
// elsewhere: the plain mean of those columns' values. Every CPU backend
// and loop kind agrees, with one and with several such columns (two
// give e^(Inf - Inf) = NaN in a running maximum), below, at and above the
// cost cache's dimension (three calls, as a stored matrix would take),
// n != m.
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
				for call := range 3 {
					got, gotMean := reduceBoth(t, b, p, y)
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

// TestNaNPotential: a column potential g_j = NaN, or a column y_j with a
// NaN coordinate, makes every row's sum, and so every soft-min and
// soft-mean, NaN on every CPU backend (as the reference's loops give),
// and never panics.
func TestNaNPotential(t *testing.T) {
	const n, m = 37, 70
	bs := []*CPU{NewCPURef(0)}
	bs = append(bs, everyLoops(NewCPU)...)
	bs = append(bs, everyLoops(NewCPUFast)...)
	for _, d := range []int{1, 2, 3, 8, costCacheMinDim - 1, costCacheMinDim, 64} {
		for _, b := range bs {
			for _, inY := range []bool{false, true} {
				name := fmt.Sprintf("%s/%v/d=%d/NaN in y: %v", b.Info().Name, b.loops, d, inY)
				g, yv := normals(5, m, 0), normals(2, m*d, 0)
				if inY {
					yv[10*d+d/2] = math.NaN()
				} else {
					g[10] = math.NaN()
				}
				up := func(v []float64) Array {
					a, err := b.Upload(v)
					if err != nil {
						t.Fatal(err)
					}
					return a
				}
				x, y := up(normals(1, n*d, 0)), up(yv)
				p := Pairs{X: x, Y: y, N: n, M: m, D: d, G: up(g), Eps: 0.5}
				for call := range 3 {
					got, gotMean := reduceBoth(t, b, p, y)
					for i, v := range got {
						if !math.IsNaN(v) {
							t.Fatalf("%s call %d: soft-min f[%d] = %g, want NaN", name, call, i, v)
						}
					}
					for i, v := range gotMean {
						if !math.IsNaN(v) {
							t.Fatalf("%s call %d: soft-mean[%d] = %g, want NaN", name, call, i, v)
						}
					}
				}
			}
		}
	}
}

// TestNonFinitePoints: a point with a NaN or infinite coordinate, a row
// x_5 or columns y_j, gives on every CPU backend what the reference's
// plain loops give (an infinite coordinate a cost of +Inf: the row's
// soft-min +Inf and soft-mean NaN, the columns no weight; NaN: NaN),
// without a panic: cpu's soft-mean took a padding column's logit, NaN
// where the maximum was, as a term and indexed the values at -1, and from
// dotMinDim the expanded form |x|^2 - 2 x.y + |y|^2 gave Inf - Inf.
func TestNonFinitePoints(t *testing.T) {
	const n, m, bad = 37, 70, 5
	bs := []*CPU{NewCPURef(0)}
	bs = append(bs, everyLoops(NewCPU)...)
	bs = append(bs, everyLoops(NewCPUFast)...)
	same := func(got, want float64) bool {
		if math.IsNaN(want) || math.IsInf(want, 0) {
			return math.IsNaN(got) == math.IsNaN(want) && math.IsInf(got, 1) == math.IsInf(want, 1) && math.IsInf(got, -1) == math.IsInf(want, -1)
		}
		return math.Abs(got-want) <= 1e-5*(1+math.Abs(want))
	}
	for _, d := range []int{1, 2, 3, 8, costCacheMinDim - 1, costCacheMinDim, 64} {
		for _, c := range []struct {
			inY bool
			v   float64
		}{{false, math.NaN()}, {false, math.Inf(1)}, {false, math.Inf(-1)}, {true, math.NaN()}, {true, math.Inf(-1)}} {
			var wantF, wantMean []float64
			for _, b := range bs {
				name := fmt.Sprintf("%s/%v/d=%d/%v in y: %v", b.Info().Name, b.loops, d, c.v, c.inY)
				xv, yv := normals(1, n*d, 0), normals(2, m*d, 0)
				if c.inY {
					for j := 3; j < m; j += 9 {
						yv[j*d+d/2] = c.v
					}
				} else {
					xv[bad*d+d/2] = c.v
				}
				up := func(v []float64) Array {
					a, err := b.Upload(v)
					if err != nil {
						t.Fatal(err)
					}
					return a
				}
				x, y, vals := up(xv), up(yv), up(normals(3, m*d, 0))
				p := Pairs{X: x, Y: y, N: n, M: m, D: d, G: up(normals(5, m, 0)), Eps: 0.5}
				for call := range 3 {
					got, gotMean := reduceBoth(t, b, p, vals)
					if wantF == nil {
						wantF, wantMean = slices.Clone(got), slices.Clone(gotMean) // cpuref
					}
					for i, v := range got {
						if !same(v, wantF[i]) {
							t.Fatalf("%s call %d: soft-min f[%d] = %g, reference %g", name, call, i, v, wantF[i])
						}
					}
					for i, v := range gotMean {
						if !same(v, wantMean[i]) {
							t.Fatalf("%s call %d: soft-mean[%d] = %g, reference %g", name, call, i, v, wantMean[i])
						}
					}
				}
			}
		}
	}
}

// reduceBoth returns the soft-min and the soft-mean of the values v
// (p.D a row) of p on b.
func reduceBoth(t *testing.T, b *CPU, p Pairs, v Array) (f, mean []float64) {
	t.Helper()
	fa, err := b.Alloc(p.N)
	if err != nil {
		t.Fatal(err)
	}
	ma, err := b.Alloc(p.N * p.D)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free(fa)
	defer b.Free(ma)
	if err := b.SoftMin(fa, p); err != nil {
		t.Fatal(err)
	}
	if err := b.SoftMean(ma, p, v, p.D); err != nil {
		t.Fatal(err)
	}
	f, mean = make([]float64, p.N), make([]float64, p.N*p.D)
	if err := b.Read(f, fa); err != nil {
		t.Fatal(err)
	}
	if err := b.Read(mean, ma); err != nil {
		t.Fatal(err)
	}
	return f, mean
}

// TestNaNPointAfterWrite: the scan for non-finite points (cpuArray.allFinite) is
// kept per version of the Array, so a NaN written by Write after a clean
// call, or through the slice Data handed out, is still seen.
func TestNaNPointAfterWrite(t *testing.T) {
	const n, m, d = 37, 70, 16
	for _, b := range []*CPU{NewCPU(0), NewCPUFast(0)} {
		xv := normals(1, n*d, 0)
		x, err := b.Upload(xv)
		if err != nil {
			t.Fatal(err)
		}
		y, err := b.Upload(normals(2, m*d, 0))
		if err != nil {
			t.Fatal(err)
		}
		p := Pairs{X: x, Y: y, N: n, M: m, D: d, Eps: 0.5}
		check := func(what string, bad ...int) {
			t.Helper()
			f, mean := reduceBoth(t, b, p, y)
			for i := range n {
				nan := slices.Contains(bad, i)
				if math.IsNaN(f[i]) != nan || math.IsNaN(mean[i*d]) != nan {
					t.Fatalf("%s %s: row %d: soft-min %g, soft-mean %g; want NaN: %v", b.Info().Name, what, i, f[i], mean[i*d], nan)
				}
			}
		}
		check("clean")
		xv[3*d] = math.NaN()
		if err := b.Write(x, xv); err != nil {
			t.Fatal(err)
		}
		check("after Write", 3)
		xv[3*d] = 0
		if err := b.Write(x, xv); err != nil {
			t.Fatal(err)
		}
		check("after Write, clean again")
		Data(x)[7*d+1] = math.NaN()
		check("after a write through Data", 7)
	}
}

// TestNoWeightRow: with every log-weight -Inf no column has weight, so
// the soft-min is -eps log 0 = +Inf and the soft-mean 0 / 0 = NaN, as in
// the reference loops (rowLSE, rowMean); -Inf is no special input to
// allFinite, so the fast loops see it. The float32 vector loop at d = 2
// (softMin2D) started its maxima at its padding's -1e30 and gave
// 2.08e29 (-eps ln 2 (-1e30)) at eps = 0.3.
func TestNoWeightRow(t *testing.T) {
	const n, eps = 5, 0.3
	bs := []*CPU{NewCPURef(0)}
	bs = append(bs, everyLoops(NewCPU)...)
	bs = append(bs, everyLoops(NewCPUFast)...)
	for _, d := range []int{1, 2, 3, 8, 64} {
		for _, m := range []int{1, 9, 70} {
			for _, b := range bs {
				name := fmt.Sprintf("%s/%v/d=%d/m=%d", b.Info().Name, b.loops, d, m)
				lw := make([]float64, m)
				for j := range lw {
					lw[j] = math.Inf(-1)
				}
				up := func(v []float64) Array {
					a, err := b.Upload(v)
					if err != nil {
						t.Fatal(err)
					}
					return a
				}
				x, y := up(normals(1, n*d, 0)), up(normals(2, m*d, 0))
				p := Pairs{X: x, Y: y, N: n, M: m, D: d, LogW: up(lw), G: up(normals(5, m, 0)), Eps: eps}
				got, gotMean := reduceBoth(t, b, p, y)
				for i, v := range got {
					if !math.IsInf(v, 1) {
						t.Errorf("%s: soft-min f[%d] = %g, want +Inf", name, i, v)
						break
					}
				}
				for i, v := range gotMean {
					if !math.IsNaN(v) {
						t.Errorf("%s: soft-mean[%d] = %g, want NaN", name, i, v)
						break
					}
				}
			}
		}
	}
}
