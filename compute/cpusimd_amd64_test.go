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
