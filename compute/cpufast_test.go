package compute

import (
	"math"
	"testing"
)

func TestExpNonPos(t *testing.T) {
	var worst float64
	for i := 0; i <= 200000; i++ {
		x := -745 * float64(i) / 200000
		want := math.Exp(x)
		got := expNonPos(x)
		if want == 0 || want < 1e-300 {
			if got > 1e-300 {
				t.Fatalf("expNonPos(%g) = %g, want ~0", x, got)
			}
			continue
		}
		worst = max(worst, math.Abs(got-want)/want)
	}
	if worst > 1e-9 {
		t.Errorf("expNonPos: worst relative error %.3g, documented < 1e-9", worst)
	}
	t.Logf("expNonPos worst relative error on [-708, 0]: %.3g", worst)
}

// The fast soft-min on every loop kind (the vector ones in float32) agrees
// with the float64 reference to float32 grade.
func TestSoftMinFastPaths(t *testing.T) {
	ref := NewCPU(0)
	t.Logf("loops: %v", availableLoops())
	for _, n := range []int{1, 7, 8, 9, 1000} {
		xs := make([]float64, 2*n)
		ys := make([]float64, 2*(n+3))
		for i := range xs {
			xs[i] = NormalAt(1, uint64(i))
		}
		for i := range ys {
			ys[i] = NormalAt(2, uint64(i)) + 1
		}
		lw := make([]float64, n+3)
		for j := range lw {
			lw[j] = -math.Log(float64(n + 3))
		}
		lw[0] = math.Inf(-1) // a column of zero weight
		for _, eps := range []float64{1e-3, 0.05, 10} {
			bes := append([]*CPU{ref}, everyLoops(NewCPUFast)...)
			outs := make([][]float64, len(bes))
			for k, b := range bes {
				x, _ := b.Upload(xs)
				y, _ := b.Upload(ys)
				w, _ := b.Upload(lw)
				dst, _ := b.Alloc(n)
				if err := b.SoftMin(dst, Pairs{X: x, Y: y, N: n, M: n + 3, D: 2, LogW: w, Eps: eps}); err != nil {
					t.Fatal(err)
				}
				outs[k] = Data(dst)
			}
			for i := range outs[0] {
				scale := math.Abs(outs[0][i]) + 20 + eps
				for k, b := range bes[1:] {
					if e := math.Abs(outs[k+1][i]-outs[0][i]) / scale; !(e <= 3e-6) {
						t.Fatalf("n=%d eps=%g row %d: loops %v %g, reference %g (rel %g)", n, eps, i, b.loops, outs[k+1][i], outs[0][i], e)
					}
				}
			}
		}
	}
}

// cpu32's soft-mean on every loop kind (the vector ones run softMean64
// at grade32) agrees with the float64 reference to float32 grade: 1e-6 of
// max|V| (about 4 here), with a column of zero weight.
func TestSoftMeanFastPaths(t *testing.T) {
	ref := NewCPURef(0)
	for _, d := range []int{2, 3, 64} {
		for _, eps := range []float64{1e-2, 0.5 * float64(d)} {
			const n, m, dv = 37, 301, 2
			xs, ys, vs := normals(1, n*d, 0), normals(2, m*d, 0.5), normals(3, m*dv, 0)
			lw := normals(4, m, -math.Log(m))
			lw[7] = math.Inf(-1)
			run := func(b *CPU) []float64 {
				x, _ := b.Upload(xs)
				y, _ := b.Upload(ys)
				w, _ := b.Upload(lw)
				v, _ := b.Upload(vs)
				dst, _ := b.Alloc(n * dv)
				if err := b.SoftMean(dst, Pairs{X: x, Y: y, N: n, M: m, D: d, LogW: w, Eps: eps}, v, dv); err != nil {
					t.Fatal(err)
				}
				return Data(dst)
			}
			want := run(ref)
			for _, b := range everyLoops(NewCPUFast) {
				got := run(b)
				for i := range want {
					if e := math.Abs(got[i] - want[i]); !(e <= 4e-6) {
						t.Fatalf("d=%d eps=%g loops %v entry %d: %.9g, reference %.9g", d, eps, b.loops, i, got[i], want[i])
					}
				}
			}
		}
	}
}
