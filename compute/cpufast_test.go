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
