package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/otplay/otplay/compute"
)

// ErrBadInput is wrapped by every error about the caller's arguments.
var ErrBadInput = errors.New("metrics: bad input")

func inputErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}

// MMDResult is an MMD estimate.
type MMDResult struct {
	// MMD2 is the unbiased estimate MMD_u^2 of Gretton et al. 2012 ("A
	// Kernel Two-Sample Test", JMLR 13, eq. (3)); it can be slightly
	// negative when the two distributions agree.
	MMD2 float64
	// MMD is sqrt(max(MMD2, 0)).
	MMD float64
	// Bandwidth is the kernel's h: k(a, b) = exp(-|a - b|^2 / (2 h^2)).
	Bandwidth float64
}

// MedianSubsample bounds the points MedianBandwidth looks at: the pooled
// sample is thinned by a fixed stride to at most this many points, so
// the median costs at most ~5e5 distances.
const MedianSubsample = 1000

// MedianBandwidth returns the median heuristic bandwidth: the median of
// the pairwise Euclidean distances |z_i - z_j|, i < j, of the pooled
// sample z = x ∪ y (Gretton et al. 2012, section 8), computed on at most
// MedianSubsample points taken at a fixed stride (deterministic).
func MedianBandwidth(x, y []float64, d int) float64 {
	pool := append(append([]float64(nil), x...), y...)
	n := len(pool) / d
	stride := max(1, (n+MedianSubsample-1)/MedianSubsample)
	var pts [][]float64
	for i := 0; i < n; i += stride {
		pts = append(pts, pool[i*d:(i+1)*d])
	}
	dist := make([]float64, 0, len(pts)*(len(pts)-1)/2)
	for i := range pts {
		for j := i + 1; j < len(pts); j++ {
			var s float64
			for k := range d {
				t := pts[i][k] - pts[j][k]
				s += t * t
			}
			dist = append(dist, math.Sqrt(s))
		}
	}
	if len(dist) == 0 {
		return 1
	}
	slices.Sort(dist)
	m := len(dist) / 2
	if len(dist)%2 == 0 {
		return 0.5 * (dist[m-1] + dist[m])
	}
	return dist[m]
}

func checkCloud(name string, x []float64, n, d int) error {
	switch {
	case n < 2:
		return inputErr("%s: n = %d points, want >= 2 (the unbiased estimator excludes i = j)", name, n)
	case d < 1 || d > compute.MaxDim:
		return inputErr("%s: dimension d = %d outside [1, %d]", name, d, compute.MaxDim)
	case len(x) != n*d:
		return inputErr("%s: %d values, want n*d = %d*%d", name, len(x), n, d)
	}
	return compute.CheckFinite(name, x)
}

// MMD estimates the squared maximum mean discrepancy between the samples
// x (n x d) and y (m x d) with the Gaussian kernel k(a, b) = exp(-|a -
// b|^2 / (2 h^2)), by the unbiased statistic (Gretton et al. 2012, eq. (3))
//
//	MMD_u^2 = sum_{i != j} k(x_i, x_j) / (n (n-1)) + sum_{i != j} k(y_i, y_j) / (m (m-1))
//	        - 2 sum_{i, j} k(x_i, y_j) / (n m).
//
// bandwidth <= 0 means MedianBandwidth. On the backend each kernel sum is
// one fused SoftMin with Eps = 2 h^2 (dst_i = -Eps log sum_j k(x_i, y_j)),
// an exp Map and a Sum; the diagonal terms k(x_i, x_i) = 1 are
// subtracted. O((n + m)^2 d) work, no matrix stored.
func MMD(b compute.Backend, x []float64, n int, y []float64, m int, d int, bandwidth float64) (MMDResult, error) {
	if err := checkCloud("x", x, n, d); err != nil {
		return MMDResult{}, err
	}
	if err := checkCloud("y", y, m, d); err != nil {
		return MMDResult{}, err
	}
	if math.IsNaN(bandwidth) || math.IsInf(bandwidth, 0) {
		return MMDResult{}, inputErr("bandwidth = %v is not finite", bandwidth)
	}
	h := bandwidth
	if h <= 0 {
		h = MedianBandwidth(x, y, d)
	}
	if !(h > 0) {
		h = 1 // every point coincides; any bandwidth gives MMD 0
	}
	eps := 2 * h * h
	xa, err := b.Upload(x)
	if err != nil {
		return MMDResult{}, err
	}
	defer b.Free(xa)
	ya, err := b.Upload(y)
	if err != nil {
		return MMDResult{}, err
	}
	defer b.Free(ya)
	kernelSum := func(p, q compute.Array, np, nq int) (float64, error) {
		sm, err := b.Alloc(np)
		if err != nil {
			return 0, err
		}
		defer b.Free(sm)
		ex, err := b.Alloc(np)
		if err != nil {
			return 0, err
		}
		defer b.Free(ex)
		if err := b.SoftMin(sm, compute.Pairs{X: p, Y: q, N: np, M: nq, D: d, Eps: eps}); err != nil {
			return 0, err
		}
		if err := b.Map(ex, compute.MapArgs{Op: compute.OpExp, X: sm, A: -1 / eps}); err != nil {
			return 0, err
		}
		return b.Sum(ex)
	}
	kxx, err := kernelSum(xa, xa, n, n)
	if err != nil {
		return MMDResult{}, err
	}
	kyy, err := kernelSum(ya, ya, m, m)
	if err != nil {
		return MMDResult{}, err
	}
	kxy, err := kernelSum(xa, ya, n, m)
	if err != nil {
		return MMDResult{}, err
	}
	fn, fm := float64(n), float64(m)
	v := (kxx-fn)/(fn*(fn-1)) + (kyy-fm)/(fm*(fm-1)) - 2*kxy/(fn*fm)
	return MMDResult{MMD2: v, MMD: math.Sqrt(max(v, 0)), Bandwidth: h}, nil
}

// MMDHost is MMD computed by the plain double loop in float64 on the
// host (the reference of the tests; O((n + m)^2 d)).
func MMDHost(x []float64, n int, y []float64, m int, d int, bandwidth float64) (MMDResult, error) {
	if err := checkCloud("x", x, n, d); err != nil {
		return MMDResult{}, err
	}
	if err := checkCloud("y", y, m, d); err != nil {
		return MMDResult{}, err
	}
	h := bandwidth
	if h <= 0 {
		h = MedianBandwidth(x, y, d)
	}
	if !(h > 0) {
		h = 1
	}
	k := func(a, b []float64) float64 {
		var s float64
		for i := range a {
			t := a[i] - b[i]
			s += t * t
		}
		return math.Exp(-s / (2 * h * h))
	}
	sum := func(p []float64, np int, q []float64, nq int, skipDiag bool) float64 {
		var s float64
		for i := range np {
			for j := range nq {
				if skipDiag && i == j {
					continue
				}
				s += k(p[i*d:(i+1)*d], q[j*d:(j+1)*d])
			}
		}
		return s
	}
	fn, fm := float64(n), float64(m)
	v := sum(x, n, x, n, true)/(fn*(fn-1)) + sum(y, m, y, m, true)/(fm*(fm-1)) - 2*sum(x, n, y, m, false)/(fn*fm)
	return MMDResult{MMD2: v, MMD: math.Sqrt(max(v, 0)), Bandwidth: h}, nil
}
