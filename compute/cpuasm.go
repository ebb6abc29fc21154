package compute

import "os"

// The assembly loops of the fast CPU paths (cpu and cpu32): the vector
// loops of cpusimd_amd64.go and cpuhd_amd64.go, which need the
// GOEXPERIMENT=simd build, written out in AVX2 and FMA assembly
// (cpuasm_amd64.s) so that a plain `go build` or `go install` runs them
// too. The assembly is generated with avo (github.com/mmcloughlin/avo
// v0.6.0) by the module in internal/asmgen:
//
//	go generate ./compute
//
// Five kernels are archsimd twins, operation for operation, so both give
// the same bits (TestAsmMatchesSIMD, in the GOEXPERIMENT=simd build): the
// exp sums and weights (expSumAVX2, expShiftAVX2: sumExp4, expShift4), the
// d = 2 logits (logits4x2AVX2), the high-d expanded-form logits
// (logits4DotAVX2) and cpu32's float32 row (softMinRow32AVX2). Three have
// no twin: the d = 2 block bounds (bound2AVX2, columnBlocks.bound four
// blocks at a time; TestBound2Asm), the direct-form logits for d = 1 and
// 3 .. dotMinDim-1 (logits4SoAAVX2, four columns per vector over a
// block's coordinates laid out apart, where the archsimd loop logits4Vec
// vectorises over coordinates and sums each pair's lanes: 2.7x less CPU
// at d = 8; TestLogitsSoAAsm) and the one-pass soft-min below. Two more
// read the stored cost matrix (logitsDenseAVX2, logitsDense32AVX2:
// costcache.go), twins of the pure Go loop of denseLogits, which the
// archsimd loops run too (TestCostCacheMatchesFused, every loop kind). The loops
// are chosen at run time (loopKind): the assembly where the CPU has AVX2
// and FMA (golang.org/x/sys/cpu), else the archsimd loops where they are
// built in, else pure Go (every other architecture, and amd64 without
// AVX2). OTPLAY_CPU_LOOPS=go, simd or asm picks one that is available (for
// measurements and tests; Info().API names the loops in use).
//
// The one-pass soft-min (softMin4x2AVX2, d = 2, float64): the two-pass
// loops of cpu64.go take a row's largest logit first and sum e^(v - max)
// after, over logits held in a buffer; the one-pass kernel sums e^(v - shift) at once, with the
// shift a lower bound of the maximum that columnBlocks.bound computes
// anyway (the exact logit of a few columns). Any shift below the maximum
// gives the same sum to rounding (each term keeps its relative accuracy,
// and the largest is at least 1), as long as e^(max - shift) does not
// overflow: exponents are capped at softMinCap, and a sum of 1e250 or
// more (or not a number) sends the four rows to the two-pass loops, so
// every accepted sum had all its exponents below 576. It saves the
// logits' store and reload and the pass for the maximum.

//go:generate sh -c "cd internal/asmgen && go run . -out ../../cpuasm_amd64.s -stubs ../../cpuasm_amd64.go -pkg compute"

// loopKind names the inner loops a fast CPU path runs.
type loopKind uint8

const (
	loopsGo   loopKind = iota // pure Go, scalar
	loopsSIMD                 // archsimd (GOEXPERIMENT=simd, AVX2 and FMA)
	loopsAsm                  // AVX2 and FMA assembly (cpuasm_amd64.s)
)

func (k loopKind) String() string {
	return [...]string{"go", "simd", "asm"}[k]
}

// vector reports whether k runs vector loops.
func (k loopKind) vector() bool { return k != loopsGo }

// describe is k for Info().API.
func (k loopKind) describe() string {
	return [...]string{"Go", "Go, archsimd AVX2+FMA loops", "Go, AVX2+FMA assembly loops"}[k]
}

// availableLoops returns the loop kinds this build runs on this CPU,
// pure Go first.
func availableLoops() []loopKind {
	ks := []loopKind{loopsGo}
	if simd64 {
		ks = append(ks, loopsSIMD)
	}
	if hasAsm {
		ks = append(ks, loopsAsm)
	}
	return ks
}

// defaultLoops is the fastest available loop kind, or the one that
// OTPLAY_CPU_LOOPS names where it is available.
func defaultLoops() loopKind {
	ks := availableLoops()
	if want := os.Getenv("OTPLAY_CPU_LOOPS"); want != "" {
		for _, k := range ks {
			if k.String() == want {
				return k
			}
		}
	}
	return ks[len(ks)-1]
}

// softMinCap caps the exponents of the one-pass soft-min (see the top of
// this file): e^700 = 1e304 is finite.
const softMinCap = 700

// sumExpVec returns sum_j e^(v[j] - shift) (each exponent clamped at
// sumFloor; len(v) a multiple of 4) on vector loops k.
func sumExpVec(k loopKind, v []float64, shift float64) float64 {
	if k == loopsAsm {
		return expSumAVX2(v, shift)
	}
	return sumExp4(v, shift)
}

// expShiftVec sets w[j] = e^(v[j] - shift), each exponent clamped at
// sumFloor (len(v) a multiple of 4, len(w) >= len(v)), on vector loops k.
func expShiftVec(k loopKind, w, v []float64, shift float64) {
	if k == loopsAsm {
		expShiftAVX2(w[:len(v)], v, shift)
		return
	}
	expShift4(w[:len(v)], v, shift)
}

// logits4x2Asm is logits4x2Vec in assembly, with the four rows'
// destinations buf[r*stride:][:len(h)].
func logits4x2Asm(buf []float64, stride int, mx *[4]float64, x, y0, y1, h []float64, rows [4]int, inv float64) {
	m := len(h)
	if m == 0 {
		return
	}
	_ = buf[3*stride+m-1]
	var xr [8]float64
	var mv [16]float64
	for r, i := range rows {
		xr[2*r], xr[2*r+1] = x[2*i], x[2*i+1]
		mv[4*r], mv[4*r+1], mv[4*r+2], mv[4*r+3] = mx[r], mx[r], mx[r], mx[r]
	}
	logits4x2AVX2(&buf[0], stride, &mv, &xr, y0[:m], y1[:m], h, -inv)
	for r := range 4 {
		mx[r] = max(mv[4*r], mv[4*r+1], mv[4*r+2], mv[4*r+3])
	}
}

// logits4DotAsm is logits4DotVec in assembly, with the four rows'
// destinations buf[r*stride:][:len(h)].
func logits4DotAsm(buf []float64, stride int, mx *[4]float64, x, xn, yt, yn, h []float64, d int, rows [4]int, inv float64) {
	m := len(h)
	if m == 0 {
		return
	}
	_ = buf[3*stride+m-1]
	var xp [4]*float64
	var xnr [4]float64
	var mv [16]float64
	for r, i := range rows {
		_ = x[i*d+d-1]
		xp[r] = &x[i*d]
		xnr[r] = xn[i]
		mv[4*r], mv[4*r+1], mv[4*r+2], mv[4*r+3] = mx[r], mx[r], mx[r], mx[r]
	}
	logits4DotAVX2(&buf[0], stride, &mv, &xp, d, &xnr, yt[:m*d], yn[:m], h, inv)
	for r := range 4 {
		mx[r] = max(mv[4*r], mv[4*r+1], mv[4*r+2], mv[4*r+3])
	}
}

// soa lays out each block's columns for logits4SoA: block b (columns j0
// .. j1-1, mb = j1 - j0 of them) at ys[j0*(d+1):], its coordinate k of
// column j at k*mb + j - j0 and h_j after the d coordinates, at d*mb + j
// - j0.
func (cb *columnBlocks) soa() {
	d := cb.d
	cb.ys = make([]float64, len(cb.h)*(d+1))
	for b := range len(cb.start) - 1 {
		j0, j1 := cb.start[b], cb.start[b+1]
		mb, blk := j1-j0, cb.ys[j0*(d+1):j1*(d+1)]
		for j := j0; j < j1; j++ {
			for k := range d {
				blk[k*mb+j-j0] = cb.y[j*d+k]
			}
			blk[d*mb+j-j0] = cb.h[j]
		}
	}
}

// logits4SoA is logits4 (four rows, one block of columns laid out by
// soa: ys) in assembly for any d: four columns per vector, the rows'
// coordinates broadcast, sum_k (x_k - y_k)^2 by fused multiply-adds in
// order of k (the direct form, as logits4), then h - sum inv; the rows'
// destinations are buf[r*stride:][:mb].
func logits4SoA(buf []float64, stride int, mx *[4]float64, x, ys []float64, d int, rows [4]int, inv float64) {
	mb := len(ys) / (d + 1)
	if mb == 0 {
		return
	}
	_ = buf[3*stride+mb-1]
	var xp [4]*float64
	var mv [16]float64
	for r, i := range rows {
		_ = x[i*d+d-1]
		xp[r] = &x[i*d]
		mv[4*r], mv[4*r+1], mv[4*r+2], mv[4*r+3] = mx[r], mx[r], mx[r], mx[r]
	}
	logits4SoAAVX2(&buf[0], stride, &mv, &xp, d, ys, mb, -inv)
	for r := range 4 {
		mx[r] = max(mv[4*r], mv[4*r+1], mv[4*r+2], mv[4*r+3])
	}
}

// softMinRow32 is one row of softMin2DSIMD on loops k (loopsSIMD or
// loopsAsm): the lane-wise maxima of the logits over the columns (len a
// multiple of 8) in out[:8], and the lane-wise sums of 2^(v - max) in
// out[8:].
func softMinRow32(k loopKind, out *[16]float32, x0, x1 float32, y0, y1, h []float32) {
	if k == loopsAsm {
		softMinRow32AVX2(out, x0, x1, y0[:len(h)], y1[:len(h)], h)
		return
	}
	softMinRow32SIMD(out, x0, x1, y0, y1, h)
}

// softMin4x2 adds to s[4r + l], lane l of row r of rows, the terms
// e^(v_rj - shift[r]) over the columns j = l mod 4 (len(h) a multiple of
// 4), with v_rj = h_j - |x_r - y_j|^2 inv and each exponent clamped to
// [sumFloor, softMinCap]: the one-pass soft-min of the top of this file,
// in assembly.
func softMin4x2(s *[16]float64, x []float64, rows [4]int, shift *[4]float64, y0, y1, h []float64, inv float64) {
	if len(h) == 0 {
		return
	}
	var xr [48]float64
	for r, i := range rows {
		for l := range 4 {
			xr[12*r+l], xr[12*r+4+l], xr[12*r+8+l] = x[2*i], x[2*i+1], shift[r]
		}
	}
	softMin4x2AVX2(s, &xr, y0[:len(h)], y1[:len(h)], h, -inv)
}
