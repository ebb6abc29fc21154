//go:build goexperiment.simd && amd64

package compute

import (
	"math"
	"testing"
)

// TestSumExp4 checks the vector exp of the float64 fast path, lane by
// lane, against the correctly rounded e^t (bigExp) on [-708, 0], its
// domain in the soft-min sums, and its clamp below: at most 1 ulp.
func TestSumExp4(t *testing.T) {
	if !simd64 {
		t.Skip("no AVX2 and FMA on this CPU: the vector loops do not run")
	}
	var worst int64
	check := func(x float64) {
		// One live lane: the others hold -Inf, which the clamp turns into
		// e^-708 = 3.3e-308, below half an ulp of any e^x with x >= -660.
		got := sumExp4([]float64{x, math.Inf(-1), math.Inf(-1), math.Inf(-1)}, 0)
		want := bigExp(x) + 3*bigExp(-708)
		d := ulpDiff(got, want)
		worst = max(worst, d)
		if d > 1 {
			t.Fatalf("sumExp4 lane e^%v = %v, want %v (%d ulps)", x, got, want, d)
		}
	}
	for i := 0; i <= 40_000; i++ {
		check(-660 * float64(i) / 40_000)
	}
	for _, x := range []float64{0, -0x1p-60, -math.Ln2 / 2, -math.Ln2, -1, -700, -708} {
		check(x)
	}
	got := sumExp4([]float64{-1e300, math.Inf(-1), -709, -800}, 0)
	if want := 4 * bigExp(-708); ulpDiff(got, want) > 1 {
		t.Errorf("sumExp4 below the clamp = %v, want 4 e^-708 = %v", got, want)
	}
	t.Logf("vector exp on [-660, 0]: worst %d ulp", worst)
}

// The assembly loops (cpuasm_amd64.s) give the same bits as their
// archsimd twins on the same inputs: the exp sums and weights, the d = 2
// logits and lane maxima, the high-d expanded-form logits, and cpu32's
// float32 row.
func TestAsmMatchesSIMD(t *testing.T) {
	if !hasAsm || !simd64 {
		t.Skip("no AVX2 and FMA on this CPU: neither vector loop runs")
	}
	const m = 36 // a group of eight columns, then one of four
	v := make([]float64, m)
	for j := range v {
		v[j] = -30 * math.Abs(NormalAt(7, uint64(j)))
	}
	v[5] = math.Inf(-1)
	if a, b := expSumAVX2(v, -2), sumExp4(v, -2); a != b {
		t.Errorf("exp sum: asm %v, archsimd %v", a, b)
	}
	wa, wb := make([]float64, m), make([]float64, m)
	expShiftAVX2(wa, v, 1.5)
	expShift4(wb, v, 1.5)
	for j := range wa {
		if wa[j] != wb[j] {
			t.Fatalf("exp weight %d: asm %v, archsimd %v", j, wa[j], wb[j])
		}
	}
	for _, d := range []int{2, dotMinDim, 37} {
		xs, ys, h := normals(8, 9*d, 0), normals(9, m*d, 0.5), normals(10, m, 0)
		h[m-1] = math.Inf(-1)
		cb := newColumnBlocks(ys, h, d)
		var xn []float64
		x := xs
		if d >= dotMinDim {
			cb.centre()
			x, xn = centredRows(xs, cb.mean, 9, d)
		}
		rows := [4]int{3, 0, 8, 5}
		mc := len(cb.h)
		kept := identity(len(cb.start) - 1)
		bufA, bufS := make([]float64, 4*mc), make([]float64, 4*mc)
		mxA := cb.logits(bufA, kept, x, xn, rows, 7, loopsAsm)
		mxS := cb.logits(bufS, kept, x, xn, rows, 7, loopsSIMD)
		if mxA != mxS {
			t.Errorf("d=%d maxima: asm %v, archsimd %v", d, mxA, mxS)
		}
		for j := range bufA {
			if bufA[j] != bufS[j] && !(math.IsNaN(bufA[j]) && math.IsNaN(bufS[j])) {
				t.Fatalf("d=%d logit %d: asm %v, archsimd %v", d, j, bufA[j], bufS[j])
			}
		}
	}
	y0, y1, h := make([]float32, 40), make([]float32, 40), make([]float32, 40)
	for j := range h {
		y0[j], y1[j], h[j] = float32(NormalAt(11, uint64(j))), float32(NormalAt(12, uint64(j))), float32(NormalAt(13, uint64(j)))
	}
	h[39] = -1e30
	var a, b [16]float32
	softMinRow32(loopsAsm, &a, 0.3, -0.7, y0, y1, h)
	softMinRow32(loopsSIMD, &b, 0.3, -0.7, y0, y1, h)
	if a != b {
		t.Errorf("float32 row: asm %v, archsimd %v", a, b)
	}
}
