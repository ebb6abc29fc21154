package bridge

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
)

// TestMMDTimes: the grid runs from tStart down to tEnd, and the MMDs
// between consecutive marginals on it, measured directly, are far more
// even than on the grid uniform in logSNR (max/min ratio), which is what
// "spaced evenly in MMD" means.
func TestMMDTimes(t *testing.T) {
	set, err := data.Parse("moons:256:seed=1")
	if err != nil {
		t.Fatal(err)
	}
	s := diffusion.Linear(diffusion.DefaultT)
	const steps = 8
	tEnd := s.DefaultTEnd()
	ts, err := MMDTimes(s, set.Points, set.N, set.D, steps, 1, tEnd, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != steps+1 || ts[0] != 1 || ts[steps] != tEnd {
		t.Fatalf("grid %v: want %d times from 1 to %g", ts, steps+1, tEnd)
	}
	uni, err := diffusion.Times(s, diffusion.SpacingLogSNR, steps, 1, tEnd)
	if err != nil {
		t.Fatal(err)
	}
	z := make([]float64, len(set.Points))
	for k := range z {
		z[k] = compute.NormalAt(99, uint64(k))
	}
	spread := func(grid []float64) float64 {
		lo, hi := math.Inf(1), 0.0
		for i := 1; i < len(grid); i++ {
			var pair [2][]float64
			for p, tt := range []float64{grid[i-1], grid[i]} {
				a, sg := diffusion.Alpha(s, tt), diffusion.Sigma(s, tt)
				pair[p] = make([]float64, len(z))
				for k := range z {
					pair[p][k] = a*set.Points[k] + sg*z[k]
				}
			}
			v := vstatMMD(pair[0], pair[1], set.N, set.D)
			lo, hi = min(lo, v), max(hi, v)
		}
		return hi / lo
	}
	sm, su := spread(ts), spread(uni)
	t.Logf("MMD grid %v; max/min step MMD %.2f (uniform in logSNR: %.2f)", ts, sm, su)
	if !(sm < 3 && sm < su/2) {
		t.Errorf("step MMDs vary by %.2f on the MMD grid, %.2f uniform in logSNR: want < 3 and half", sm, su)
	}
	if _, err := MMDTimes(s, set.Points, set.N, set.D, 0, 1, tEnd, 0); err == nil {
		t.Error("steps = 0: no error")
	}
}

// vstatMMD is the biased MMD (Gretton et al. 2012, eq. (5)) with the
// median bandwidth, written out for the test.
func vstatMMD(x, y []float64, n, d int) float64 {
	h := metrics.MedianBandwidth(x, y, d)
	sum := func(p, q []float64) float64 {
		s := 0.0
		for i := range n {
			for j := range n {
				r := 0.0
				for c := range d {
					t := p[i*d+c] - q[j*d+c]
					r += t * t
				}
				s += math.Exp(-r / (2 * h * h))
			}
		}
		return s
	}
	return math.Sqrt(max(sum(x, x)+sum(y, y)-2*sum(x, y), 0)) / float64(n)
}
