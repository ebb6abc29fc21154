package bridge

import (
	"math"
	"sort"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
)

// MMDTimesFine is the number of intervals of the fine grid MMDTimes
// measures on.
const MMDTimesFine = 64

// MMDTimes returns a decreasing time grid t_0 = tStart > ... > t_steps =
// tEnd that spaces the marginals of the forward process evenly in MMD, the
// MMD-adaptive time steps of SBDS: the marginal q_t of the data y (n x d,
// at most 256 of its points are used) is x_t = alpha_t y + sigma_t z with
// one fixed noise draw z (Philox, seed), so that consecutive marginals are
// coupled; on a fine grid of MMDTimesFine + 1 times uniform in logSNR
// lambda between tStart and tEnd, the increments
//
//	Delta_k = MMD(q_{t_k}, q_{t_{k+1}})
//
// (Gretton et al. 2012, "A Kernel Two-Sample Test", JMLR 13, eq. (5),
// the biased V-statistic, nonnegative where the unbiased estimate of
// nearly equal marginals is noise around 0; Gaussian kernel with the
// median bandwidth of each pair, metrics.MedianBandwidth) are summed, and the grid is the
// fine grid's cumulative sum inverted at steps equal increments (linear
// within a fine interval). Steps land where the marginals change fastest:
// for data with structure at small scales, near t = 0. The cost is
// 64 MMDs of 256 points on the host, independent of the sampler.
func MMDTimes(s diffusion.Schedule, y []float64, n, d, steps int, tStart, tEnd float64, seed uint64) ([]float64, error) {
	if s == nil || n < 1 || d < 1 || len(y) != n*d {
		return nil, badInput("MMDTimes: schedule and data (n x d) must be set, got %d values for n = %d, d = %d", len(y), n, d)
	}
	if steps < 1 || !(tEnd > 0 && tEnd < tStart && tStart <= 1) {
		return nil, badInput("MMDTimes: want steps >= 1 and 0 < tEnd < tStart <= 1, got %d, %g, %g", steps, tStart, tEnd)
	}
	m := min(n, 256)
	z := make([]float64, m*d)
	for k := range z {
		z[k] = compute.NormalAt(seed, uint64(k))
	}
	l0, l1 := diffusion.Lambda(s, tStart), diffusion.Lambda(s, tEnd)
	fine := make([]float64, MMDTimesFine+1)
	for k := range fine {
		fine[k] = diffusion.TimeOfLambda(s, l0+(l1-l0)*float64(k)/MMDTimesFine)
	}
	fine[0], fine[MMDTimesFine] = tStart, tEnd
	marginal := func(t float64) []float64 {
		a, sg := diffusion.Alpha(s, t), diffusion.Sigma(s, t)
		x := make([]float64, m*d)
		for k := range x {
			x[k] = a*y[k] + sg*z[k]
		}
		return x
	}
	cum := make([]float64, MMDTimesFine+1)
	prev := marginal(fine[0])
	for k := 1; k <= MMDTimesFine; k++ {
		cur := marginal(fine[k])
		cum[k] = cum[k-1] + mmdV(prev, cur, m, d)
		prev = cur
	}
	total := cum[MMDTimesFine]
	ts := make([]float64, steps+1)
	ts[0], ts[steps] = tStart, tEnd
	if !(total > 0) {
		// No measurable change (e.g. a single point): uniform in lambda.
		for i := 1; i < steps; i++ {
			ts[i] = diffusion.TimeOfLambda(s, l0+(l1-l0)*float64(i)/float64(steps))
		}
		return ts, nil
	}
	for i := 1; i < steps; i++ {
		target := total * float64(i) / float64(steps)
		k := sort.SearchFloat64s(cum, target) // cum[k-1] < target <= cum[k]
		k = min(max(k, 1), MMDTimesFine)
		f := (target - cum[k-1]) / math.Max(cum[k]-cum[k-1], 1e-300)
		ts[i] = fine[k-1] + f*(fine[k]-fine[k-1])
	}
	for i := 1; i <= steps; i++ {
		if !(ts[i] < ts[i-1]) {
			return nil, badInput("MMDTimes: %d steps between %g and %g are too many for the measured MMD profile (t_%d = %g not below %g)", steps, tStart, tEnd, i, ts[i], ts[i-1])
		}
	}
	return ts, nil
}

// mmdV is the biased (V-statistic) MMD of two m-point clouds with the
// Gaussian kernel exp(-|x - y|^2 / (2 h^2)), h the median bandwidth.
func mmdV(x, y []float64, m, d int) float64 {
	h := metrics.MedianBandwidth(x, y, d)
	if !(h > 0) {
		h = 1
	}
	k := func(p, q []float64, i, j int) float64 {
		s := 0.0
		for c := range d {
			t := p[i*d+c] - q[j*d+c]
			s += t * t
		}
		return math.Exp(-s / (2 * h * h))
	}
	var kxx, kyy, kxy float64
	for i := range m {
		for j := range m {
			kxx += k(x, x, i, j)
			kyy += k(y, y, i, j)
			kxy += k(x, y, i, j)
		}
	}
	v := (kxx + kyy - 2*kxy) / float64(m*m)
	return math.Sqrt(max(v, 0))
}
