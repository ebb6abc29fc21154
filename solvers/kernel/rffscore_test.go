package kernel

import (
	"math"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

// exactKDEScore is grad log of (1/n) sum_i exp(-|x - z_i|^2/(2 sigma^2)),
// by brute force (log-sum-exp weights).
func exactKDEScore(z []float64, n, d int, sigma float64, x []float64) []float64 {
	lw := make([]float64, n)
	top := math.Inf(-1)
	for i := range n {
		lw[i] = -sqDist(x, z[i*d:(i+1)*d]) / (2 * sigma * sigma)
		top = max(top, lw[i])
	}
	out := make([]float64, d)
	s := 0.0
	for i := range n {
		w := math.Exp(lw[i] - top)
		s += w
		for c := range d {
			out[c] += w * (z[i*d+c] - x[c])
		}
	}
	for c := range d {
		out[c] /= s * sigma * sigma
	}
	return out
}

// TestRFFScore: the RFF kernel-derivative score approaches the exact
// score of the kernel density estimate as D grows, measured at the
// centres themselves (where the density is well above the feature noise):
// relative RMS error at D = 64, 256, 1024, mean of 3 seeds (measured:
// 1.96, 0.63, 0.29, about 1/sqrt(D); at D = 64 a few centres get a
// nonpositive density estimate, none from D = 256).
func TestRFFScore(t *testing.T) {
	set, _ := data.Parse("moons:300:seed=1")
	n, d := set.N, set.D
	const sigma = 0.3
	q := set.Points[:100*d]
	want := make([]float64, len(q))
	for i := range 100 {
		copy(want[i*d:], exactKDEScore(set.Points, n, d, sigma, q[i*d:(i+1)*d]))
	}
	norm := 0.0
	for _, v := range want {
		norm += v * v
	}
	prev := math.Inf(1)
	for _, D := range []int{64, 256, 1024} {
		errMean := 0.0
		for seed := range uint64(3) {
			s, err := NewRFFScore(set.Points, n, d, D, sigma, seed)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float64, len(q))
			if bad := s.Score(got, q); bad > 0 && D >= 256 {
				t.Errorf("D=%d seed %d: %d of 100 centres with a nonpositive density estimate", D, seed, bad)
			}
			e := 0.0
			for k := range got {
				e += (got[k] - want[k]) * (got[k] - want[k])
			}
			errMean += math.Sqrt(e/norm) / 3
		}
		t.Logf("D=%4d: relative RMS score error %.4f", D, errMean)
		if !(errMean < prev) {
			t.Errorf("D=%d: error %.4f not below %.4f at fewer features", D, errMean, prev)
		}
		prev = errMean
	}
	if prev > 0.4 {
		t.Errorf("D=1024: relative error %.3f above 0.4", prev)
	}
	if _, err := NewRFFScore(set.Points, n, d, 0, sigma, 0); err == nil {
		t.Error("D = 0: no error")
	}
}
