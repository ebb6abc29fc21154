package diffusion

import (
	"math"
	"testing"
)

// TestQuadraticSigmoidSchedules checks the betas against their formulas
// computed independently, the ends abar_T quoted in the doc comments, and
// that ParseSchedule knows both names.
func TestQuadraticSigmoidSchedules(t *testing.T) {
	for _, c := range []struct {
		name  string
		s     *Discrete
		beta  func(frac float64) float64
		abarT float64
	}{
		{"quadratic", Quadratic(1000), func(f float64) float64 { return 1e-4 + 0.0199*f*f }, 1.14e-3},
		{"sigmoid", Sigmoid(1000), func(f float64) float64 { return 1e-4 + 0.0199/(1+math.Exp(-(-6+12*f))) }, 3.97e-5},
	} {
		betas := c.s.Betas()
		logAbar := 0.0
		for i, b := range betas {
			want := c.beta(float64(i) / 999)
			if math.Abs(b-want) > 1e-15 {
				t.Fatalf("%s: beta_%d = %g, want %g", c.name, i+1, b, want)
			}
			if i > 0 && !(b >= betas[i-1]) {
				t.Fatalf("%s: beta_%d = %g < beta_%d = %g", c.name, i+1, b, i, betas[i-1])
			}
			logAbar += math.Log(1 - want)
		}
		if got := c.s.AlphaBar(1000); math.Abs(got-math.Exp(logAbar)) > 1e-12 || math.Abs(got-c.abarT)/c.abarT > 0.05 {
			t.Errorf("%s: abar_T = %g, product of (1 - beta) %g, doc %g", c.name, got, math.Exp(logAbar), c.abarT)
		}
		p, err := ParseSchedule(c.name)
		if err != nil || p.Name() != c.name {
			t.Errorf("ParseSchedule(%q) = %v, %v", c.name, p, err)
		}
		// LogAlpha is exact at the grid points.
		if got := c.s.LogAlpha(0.5); math.Abs(got-0.5*math.Log(c.s.AlphaBar(500))) > 1e-12 {
			t.Errorf("%s: log alpha(0.5) = %g, want %g", c.name, got, 0.5*math.Log(c.s.AlphaBar(500)))
		}
	}
}
