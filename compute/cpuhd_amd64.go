//go:build goexperiment.simd && amd64

package compute

import "simd/archsimd"

// logits4DotVec is logits4 by the expanded form of cpuhd.go over the
// centred rows x (squared norms xn) and columns (norms yn), in the
// GOEXPERIMENT=simd build (AVX2 and FMA; logits4DotAVX2 is its assembly twin): the inner products of four rows and eight columns as eight
// vector accumulators, two per row, whose lanes are the columns: per
// coordinate k two loads of four columns' y[k] (yt, the columns of each
// group of four interleaved: yt[g*4d + 4k + c] = y_{4g+c}[k]), four
// broadcasts of x_r[k] and eight fused multiply-adds, in eight independent
// chains; a last group of four columns alone. The logits and the rows'
// maxima are taken in vector lanes too (scalar, they took half the time). The sums run over k
// in order, with one rounding per multiply-add
// (the bound of cpuhd.go holds).
func logits4DotVec(dst *[4][]float64, mx *[4]float64, x, xn, yt, yn, h []float64, d int, rows [4]int, inv float64) {
	r0, r1, r2, r3 := rows[0], rows[1], rows[2], rows[3]
	x0, x1, x2, x3 := x[r0*d:r0*d+d], x[r1*d:r1*d+d], x[r2*d:r2*d+d], x[r3*d:r3*d+d]
	m := len(h)
	b0, b1, b2, b3 := dst[0][:m], dst[1][:m], dst[2][:m], dst[3][:m]
	yn = yn[:m]
	// The rows' running maxima by lane, in memory: live across the inner
	// loop, in registers they push its accumulators onto the stack.
	var mv [4][4]float64
	for r := range mv {
		mv[r] = [4]float64{mx[r], mx[r], mx[r], mx[r]}
	}
	finish := func(j int, c0, c1, c2, c3 archsimd.Float64x4) {
		logitLanes(b0[j:j+4], &mv[0], c0, xn[r0], h[j:j+4], yn[j:j+4], inv)
		logitLanes(b1[j:j+4], &mv[1], c1, xn[r1], h[j:j+4], yn[j:j+4], inv)
		logitLanes(b2[j:j+4], &mv[2], c2, xn[r2], h[j:j+4], yn[j:j+4], inv)
		logitLanes(b3[j:j+4], &mv[3], c3, xn[r3], h[j:j+4], yn[j:j+4], inv)
	}
	zero := archsimd.BroadcastFloat64x4(0)
	j := 0
	for ; j+7 < m; j += 8 {
		g, e := yt[j*d:j*d+4*d], yt[j*d+4*d:j*d+8*d]
		x0, x1, x2, x3 := x0[:d], x1[:d], x2[:d], x3[:d]
		c0, c1, c2, c3 := zero, zero, zero, zero
		f0, f1, f2, f3 := zero, zero, zero, zero
		for k := range x0 {
			yk := archsimd.LoadFloat64x4Slice(g[4*k : 4*k+4])
			zk := archsimd.LoadFloat64x4Slice(e[4*k : 4*k+4])
			b := archsimd.BroadcastFloat64x4(x0[k])
			c0, f0 = b.MulAdd(yk, c0), b.MulAdd(zk, f0)
			b = archsimd.BroadcastFloat64x4(x1[k])
			c1, f1 = b.MulAdd(yk, c1), b.MulAdd(zk, f1)
			b = archsimd.BroadcastFloat64x4(x2[k])
			c2, f2 = b.MulAdd(yk, c2), b.MulAdd(zk, f2)
			b = archsimd.BroadcastFloat64x4(x3[k])
			c3, f3 = b.MulAdd(yk, c3), b.MulAdd(zk, f3)
		}
		finish(j, c0, c1, c2, c3)
		finish(j+4, f0, f1, f2, f3)
	}
	for ; j+3 < m; j += 4 {
		g := yt[j*d : j*d+4*d]
		x0, x1, x2, x3 := x0[:d], x1[:d], x2[:d], x3[:d]
		c0, c1, c2, c3 := zero, zero, zero, zero
		for k := range x0 {
			yk := archsimd.LoadFloat64x4Slice(g[4*k : 4*k+4])
			c0 = archsimd.BroadcastFloat64x4(x0[k]).MulAdd(yk, c0)
			c1 = archsimd.BroadcastFloat64x4(x1[k]).MulAdd(yk, c1)
			c2 = archsimd.BroadcastFloat64x4(x2[k]).MulAdd(yk, c2)
			c3 = archsimd.BroadcastFloat64x4(x3[k]).MulAdd(yk, c3)
		}
		finish(j, c0, c1, c2, c3)
	}
	for r, v := range mv {
		mx[r] = max(v[0], v[1], v[2], v[3])
	}
}

// logitLanes stores the logits h_c - max(xn + yn_c - 2 c_c, 0) inv of one
// row and four columns (inner products c) in dst and raises the lanes of
// the row's running maximum mv.
func logitLanes(dst []float64, mv *[4]float64, c archsimd.Float64x4, xn float64, h, yn []float64, inv float64) {
	n := archsimd.BroadcastFloat64x4(xn)
	v := n.Add(archsimd.LoadFloat64x4Slice(yn)).Sub(c.Add(c)).Max(archsimd.BroadcastFloat64x4(0))
	v = archsimd.LoadFloat64x4Slice(h).Sub(v.Mul(archsimd.BroadcastFloat64x4(inv)))
	v.StoreSlice(dst)
	archsimd.LoadFloat64x4(mv).Max(v).Store(mv)
}
