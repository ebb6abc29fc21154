//go:build goexperiment.simd && amd64

package compute

import (
	"math"
	"simd/archsimd"
)

// simdSoftMin reports whether the vector soft-min runs on this machine:
// built with GOEXPERIMENT=simd (the Makefile sets it) on an amd64 CPU
// with AVX2 and FMA.
var simdSoftMin = archsimd.X86.AVX2() && archsimd.X86.FMA()

var hasAVX = archsimd.X86.AVX()

// clearUpperBits clears the upper halves of the AVX registers
// (VZEROUPPER) where the CPU has them. Built with GOEXPERIMENT=simd, Go's
// asynchronous preemption restores full vector registers and leaves them
// dirty, after which every scalar SSE instruction pays a merge with the
// upper half: the scalar float64 kernels ran 25-30% slower (measured on
// the 2-core EPYC VM, GODEBUG=asyncpreemptoff=1 removed it). The scalar
// kernels call this once per block of rows.
func clearUpperBits() {
	if hasAVX {
		archsimd.ClearAVXUpperBits()
	}
}

// softMinRow32SIMD is softMinRow32 (cpuasm.go) in archsimd: one row of
// softMin2D, its two passes over the columns eight at a time.
func softMinRow32SIMD(out *[16]float32, x0s, x1s float32, y0, y1, hh []float32) {
	m8 := len(hh)
	x0 := archsimd.BroadcastFloat32x8(x0s)
	x1 := archsimd.BroadcastFloat32x8(x1s)
	mx := archsimd.BroadcastFloat32x8(-1e30)
	for j := 0; j < m8; j += 8 {
		a := x0.Sub(archsimd.LoadFloat32x8Slice(y0[j : j+8]))
		b := x1.Sub(archsimd.LoadFloat32x8Slice(y1[j : j+8]))
		mx = mx.Max(archsimd.LoadFloat32x8Slice(hh[j : j+8]).Sub(a.MulAdd(a, b.Mul(b))))
	}
	s := archsimd.BroadcastFloat32x8(0)
	for j := 0; j < m8; j += 8 {
		a := x0.Sub(archsimd.LoadFloat32x8Slice(y0[j : j+8]))
		b := x1.Sub(archsimd.LoadFloat32x8Slice(y1[j : j+8]))
		v := archsimd.LoadFloat32x8Slice(hh[j : j+8]).Sub(a.MulAdd(a, b.Mul(b)))
		s = s.Add(exp2x8(v.Sub(mx)))
	}
	mx.StoreSlice(out[:8])
	s.StoreSlice(out[8:])
}

var (
	x8Ln2  = archsimd.BroadcastFloat32x8(math.Ln2)
	x8Min  = archsimd.BroadcastFloat32x8(-126)
	x8One  = archsimd.BroadcastFloat32x8(1)
	x8C2   = archsimd.BroadcastFloat32x8(1.0 / 2)
	x8C3   = archsimd.BroadcastFloat32x8(1.0 / 6)
	x8C4   = archsimd.BroadcastFloat32x8(1.0 / 24)
	x8C5   = archsimd.BroadcastFloat32x8(1.0 / 120)
	x8C6   = archsimd.BroadcastFloat32x8(1.0 / 720)
	x8Bias = archsimd.BroadcastInt32x8(127)
)

// exp2x8 returns 2^t for t <= 0, lane-wise (see softMin2D): t clamped
// at -126, k = round(t), a degree-6 Taylor polynomial of e^((t - k) ln 2)
// (relative error < 2e-7), times 2^k built in the exponent bits.
func exp2x8(t archsimd.Float32x8) archsimd.Float32x8 {
	t = t.Max(x8Min)
	k := t.RoundToEven()
	u := t.Sub(k).Mul(x8Ln2)
	p := x8C6.MulAdd(u, x8C5)
	p = p.MulAdd(u, x8C4)
	p = p.MulAdd(u, x8C3)
	p = p.MulAdd(u, x8C2)
	p = p.MulAdd(u, x8One)
	p = p.MulAdd(u, x8One)
	scale := k.ConvertToInt32().Add(x8Bias).ShiftAllLeft(23).AsFloat32x8()
	return p.Mul(scale)
}

// simd64 reports whether the float64 fast path runs its vector loops
// (Float64x4, AVX2 and FMA): the same condition as simdSoftMin.
var simd64 = simdSoftMin

var (
	f4Log2E = archsimd.BroadcastFloat64x4(math.Log2E)
	f4Magic = archsimd.BroadcastFloat64x4(roundMagic)
	f4Ln2Hi = archsimd.BroadcastFloat64x4(-ln2Hi)
	f4Ln2Lo = archsimd.BroadcastFloat64x4(-ln2Lo)
	f4Floor = archsimd.BroadcastFloat64x4(sumFloor)
	f4Bias  = archsimd.BroadcastInt64x4(int64(math.Float64bits(roundMagic)) - 1023)
	f4C     = [14]archsimd.Float64x4{}
)

func init() {
	f := 1.0
	for i := range f4C {
		if i > 0 {
			f *= float64(i)
		}
		f4C[i] = archsimd.BroadcastFloat64x4(1 / f)
	}
}

// exp4 returns e^t lane-wise for t in [sumFloor, 0] (t is clamped below
// at sumFloor = -708, so every result is a normal number): k = round(t /
// ln 2), r = t - k ln 2 in two FMA steps, e^r by its Taylor polynomial of
// degree 13 (truncation below 5e-18, the scalar exp of the first version
// of this file, measured at most 1 ulp), times 2^k built in the exponent
// bits. TestSumExp4 checks it against the correctly rounded e^t.
func exp4(t archsimd.Float64x4) archsimd.Float64x4 {
	t = t.Max(f4Floor)
	kb := t.MulAdd(f4Log2E, f4Magic)
	k := kb.Sub(f4Magic)
	r := k.MulAdd(f4Ln2Hi, t)
	r = k.MulAdd(f4Ln2Lo, r)
	p := f4C[13].MulAdd(r, f4C[12])
	p = p.MulAdd(r, f4C[11])
	p = p.MulAdd(r, f4C[10])
	p = p.MulAdd(r, f4C[9])
	p = p.MulAdd(r, f4C[8])
	p = p.MulAdd(r, f4C[7])
	p = p.MulAdd(r, f4C[6])
	p = p.MulAdd(r, f4C[5])
	p = p.MulAdd(r, f4C[4])
	p = p.MulAdd(r, f4C[3])
	p = p.MulAdd(r, f4C[2])
	p = p.MulAdd(r, f4C[1])
	p = p.MulAdd(r, f4C[0])
	scale := kb.AsInt64x4().Sub(f4Bias).ShiftAllLeft(52).AsFloat64x4()
	return p.Mul(scale)
}

// sumExp4 returns sum_j e^(v[j] - shift) (each exponent clamped at
// sumFloor, as sumExp with floor sumFloor) four columns at a time; len(v)
// must be a multiple of 4.
func sumExp4(v []float64, shift float64) float64 {
	sh := archsimd.BroadcastFloat64x4(shift)
	acc := archsimd.BroadcastFloat64x4(0)
	for j := 0; j+4 <= len(v); j += 4 {
		acc = acc.Add(exp4(archsimd.LoadFloat64x4Slice(v[j : j+4]).Sub(sh)))
	}
	var a [4]float64
	acc.Store(&a)
	return (a[0] + a[1]) + (a[2] + a[3])
}

// expShift4 sets w[j] = e^(v[j] - shift) (each exponent clamped at
// sumFloor) four columns at a time; len(v) must be a multiple of 4.
func expShift4(w, v []float64, shift float64) {
	sh := archsimd.BroadcastFloat64x4(shift)
	for j := 0; j+4 <= len(v); j += 4 {
		exp4(archsimd.LoadFloat64x4Slice(v[j : j+4]).Sub(sh)).StoreSlice(w[j : j+4])
	}
}

// logits4x2Vec is logits4x2 over the columns in structure-of-arrays form
// (y0, y1: the coordinates; h: the biases; len a multiple of 4), four
// columns per vector.
func logits4x2Vec(dst *[4][]float64, mx *[4]float64, x, y0, y1, h []float64, rows [4]int, inv float64) {
	m := len(h)
	ninv := archsimd.BroadcastFloat64x4(-inv)
	var xa, xb [4]archsimd.Float64x4
	var mv [4]archsimd.Float64x4
	for r, i := range rows {
		xa[r] = archsimd.BroadcastFloat64x4(x[2*i])
		xb[r] = archsimd.BroadcastFloat64x4(x[2*i+1])
		mv[r] = archsimd.BroadcastFloat64x4(mx[r])
	}
	for j := 0; j+4 <= m; j += 4 {
		a0 := archsimd.LoadFloat64x4Slice(y0[j : j+4])
		a1 := archsimd.LoadFloat64x4Slice(y1[j : j+4])
		hj := archsimd.LoadFloat64x4Slice(h[j : j+4])
		for r := range 4 {
			t0, t1 := xa[r].Sub(a0), xb[r].Sub(a1)
			v := t0.MulAdd(t0, t1.Mul(t1)).MulAdd(ninv, hj)
			v.StoreSlice(dst[r][j : j+4])
			mv[r] = mv[r].Max(v)
		}
	}
	var a [4]float64
	for r := range 4 {
		mv[r].Store(&a)
		mx[r] = max(a[0], a[1], a[2], a[3])
	}
}

// logits4Vec is logits4 (any dimension d >= 4) with the coordinates four
// at a time: per column, one vector load of y_j serves the four rows, and
// each row accumulates (x - y)^2 by FMA in its own vector; the last d mod
// 4 coordinates are added in scalar.
func logits4Vec(dst *[4][]float64, mx *[4]float64, x, y, h []float64, d int, rows [4]int, inv float64) {
	b0, b1, b2, b3 := dst[0][:len(h)], dst[1][:len(h)], dst[2][:len(h)], dst[3][:len(h)]
	d4 := d &^ 3
	x0, x1, x2, x3 := x[rows[0]*d:rows[0]*d+d], x[rows[1]*d:rows[1]*d+d], x[rows[2]*d:rows[2]*d+d], x[rows[3]*d:rows[3]*d+d]
	m0, m1, m2, m3 := mx[0], mx[1], mx[2], mx[3]
	var a [4]float64
	for j, hj := range h {
		yj := y[j*d : j*d+d]
		zero := archsimd.BroadcastFloat64x4(0)
		c0, c1, c2, c3 := zero, zero, zero, zero
		for k := 0; k < d4; k += 4 {
			yk := archsimd.LoadFloat64x4Slice(yj[k : k+4])
			t0 := archsimd.LoadFloat64x4Slice(x0[k : k+4]).Sub(yk)
			t1 := archsimd.LoadFloat64x4Slice(x1[k : k+4]).Sub(yk)
			t2 := archsimd.LoadFloat64x4Slice(x2[k : k+4]).Sub(yk)
			t3 := archsimd.LoadFloat64x4Slice(x3[k : k+4]).Sub(yk)
			c0, c1, c2, c3 = t0.MulAdd(t0, c0), t1.MulAdd(t1, c1), t2.MulAdd(t2, c2), t3.MulAdd(t3, c3)
		}
		var s [4]float64
		for r, c := range [4]archsimd.Float64x4{c0, c1, c2, c3} {
			c.Store(&a)
			s[r] = (a[0] + a[1]) + (a[2] + a[3])
		}
		for k := d4; k < d; k++ {
			t := yj[k]
			s[0] += (x0[k] - t) * (x0[k] - t)
			s[1] += (x1[k] - t) * (x1[k] - t)
			s[2] += (x2[k] - t) * (x2[k] - t)
			s[3] += (x3[k] - t) * (x3[k] - t)
		}
		v0, v1, v2, v3 := hj-s[0]*inv, hj-s[1]*inv, hj-s[2]*inv, hj-s[3]*inv
		b0[j], b1[j], b2[j], b3[j] = v0, v1, v2, v3
		m0, m1, m2, m3 = max(m0, v0), max(m1, v1), max(m2, v2), max(m3, v3)
	}
	*mx = [4]float64{m0, m1, m2, m3}
}
