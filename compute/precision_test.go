package compute

import (
	"math"
	"testing"
)

// TestPrecisionFacts: the precision of each CPU backend, its machine
// epsilon and underflow scale, against the float64 and float32 facts
// themselves (math.Nextafter, math.SmallestNonzero-style limits).
func TestPrecisionFacts(t *testing.T) {
	if p := PrecisionOf(NewCPU(1).Info()); p != Float64 {
		t.Errorf("cpu: %v, want float64", p)
	}
	if p := PrecisionOf(NewCPUFast(1).Info()); p != Float32 {
		t.Errorf("cpu32: %v, want float32", p)
	}
	if p := PrecisionOf(Info{}); p != Float32 {
		t.Errorf("a backend that does not say: %v, want the conservative float32", p)
	}
	if Float64.Epsilon != math.Nextafter(1, 2)-1 {
		t.Errorf("float64 epsilon %g", Float64.Epsilon)
	}
	if Float32.Epsilon != float64(math.Nextafter32(1, 2)-1) {
		t.Errorf("float32 epsilon %g", Float32.Epsilon)
	}
	// exp(LogTiny) is the smallest normal; a little below it underflows
	// out of the normals in that precision.
	if got := math.Exp(Float64.LogTiny); math.Abs(got-0x1p-1022)/0x1p-1022 > 1e-12 {
		t.Errorf("exp(float64 LogTiny) = %g", got)
	}
	if got := float32(math.Exp(Float32.LogTiny)); math.Abs(float64(got)-0x1p-126)/0x1p-126 > 1e-6 {
		t.Errorf("exp(float32 LogTiny) = %g", got)
	}
	if u := Float32.UnderflowCost(0.01); math.Abs(u-0.873) > 1e-3 {
		t.Errorf("float32 kernel underflows at C = %g for eps = 0.01, want 0.873", u)
	}
	// The floor and the eps that meets it are inverse.
	if f := Float32.Floor(25, Float32.MinEps(25, 1e-3)); math.Abs(f-1e-3) > 1e-15 {
		t.Errorf("Floor(MinEps(1e-3)) = %g", f)
	}
	if Float64.Resolvable(25, 1e-20) || !Float64.Resolvable(25, 1e-12) || Float32.Resolvable(25, 1e-8) || !Float32.Resolvable(25, 1e-4) {
		t.Errorf("Resolvable: the unit-data limits are about 5.7e-15 (float64) and 3e-6 (float32)")
	}
}

// TestEvalPlan: the float64 plan sums against a direct double loop, for
// all pairs and for a sample of rows and columns.
func TestEvalPlan(t *testing.T) {
	n, m, d := 37, 23, 3
	x, y := make([]float64, n*d), make([]float64, m*d)
	for i := range x {
		x[i] = NormalAt(1, uint64(i))
	}
	for i := range y {
		y[i] = NormalAt(2, uint64(i)) + 0.5
	}
	a, b, f, g := make([]float64, n), make([]float64, m), make([]float64, n), make([]float64, m)
	for i := range a {
		a[i], f[i] = 1/float64(n), 0.3*NormalAt(3, uint64(i))
	}
	for j := range b {
		b[j], g[j] = 1/float64(m), 0.3*NormalAt(4, uint64(j))
	}
	eps := 0.7
	P := func(i, j int) (float64, float64) {
		c := 0.0
		for k := range d {
			t := x[i*d+k] - y[j*d+k]
			c += t * t
		}
		return a[i] * b[j] * math.Exp((f[i]+g[j]-c)/eps), c
	}
	check := func(ps PlanSums, rows, cols []int) {
		for t2, i := range rows {
			var rs, rc float64
			for j := range m {
				p, c := P(i, j)
				rs += p
				rc += p * c
			}
			if math.Abs(ps.RowSum[t2]-rs) > 1e-15 || math.Abs(ps.RowCost[t2]-rc) > 1e-14 {
				t.Errorf("row %d: sum %g cost %g, want %g %g", i, ps.RowSum[t2], ps.RowCost[t2], rs, rc)
			}
		}
		for t2, j := range cols {
			cs := 0.0
			for i := range n {
				p, _ := P(i, j)
				cs += p
			}
			if math.Abs(ps.ColSum[t2]-cs) > 1e-15 {
				t.Errorf("column %d: sum %g, want %g", j, ps.ColSum[t2], cs)
			}
		}
	}
	all := func(k int) []int { return SampleIndices(k, k, 0) }
	check(EvalPlan(x, y, n, m, d, a, b, f, g, eps, nil, nil), all(n), all(m))
	rows, cols := SampleIndices(n, 5, 9), SampleIndices(m, 4, 10)
	if len(rows) != 5 || len(cols) != 4 || rows[0] >= rows[1] {
		t.Fatalf("samples %v %v", rows, cols)
	}
	check(EvalPlan(x, y, n, m, d, a, b, f, g, eps, rows, cols), rows, cols)
}

// BenchmarkEvalPlan times the float64 host check over all pairs (2-D):
// 2048 x 2048 is HostCheckPairs of package ot.
func BenchmarkEvalPlan(b *testing.B) {
	for _, n := range []int{512, 2048} {
		b.Run(fmtInt(n), func(b *testing.B) {
			x, y := make([]float64, 2*n), make([]float64, 2*n)
			w, pot := make([]float64, n), make([]float64, n)
			for i := range x {
				x[i], y[i] = NormalAt(1, uint64(i)), NormalAt(2, uint64(i))
			}
			for i := range w {
				w[i] = 1 / float64(n)
			}
			for range b.N {
				EvalPlan(x, y, n, n, 2, w, w, pot, pot, 0.05, nil, nil)
			}
		})
	}
}

func fmtInt(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return "n=" + s
}
