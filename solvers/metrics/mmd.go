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

// MMDHost is MMD computed by the plain double loops in float64 on the
// host (the reference of the tests; O((n + m)^2 d)): MMDReference with
// the bandwidth resolved first (h <= 0: MedianBandwidth of x and y).
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
		h = 1 // most points coincide; the median distance is 0
	}
	r, err := NewMMDReference(y, m, d, h)
	if err != nil {
		return MMDResult{}, err
	}
	return r.MMD(x, n)
}

// MMDReference computes MMDHost's statistic between many samples x and
// one fixed reference sample y (m x d) with a fixed bandwidth h: the
// y-y kernel sum is computed once, and each sum over pairs of one sample
// runs over i < j only (k is symmetric), so a call costs n m + n (n-1)/2
// kernel evaluations instead of MMDHost's (n + m)^2. Pages that score
// every sampler step against the data use it (500 x 500 points: 375,000
// exponentials a call).
type MMDReference struct {
	y    []float64
	m, d int
	h    float64
	yy   float64 // sum over j != j' of k(y_j, y_j')
}

// NewMMDReference returns the reference of y (m x d, m >= 2) with the
// Gaussian kernel exp(-|a - b|^2 / (2 h^2)). h must be finite and
// positive (a median bandwidth depends on x, so MMDHost resolves it per
// call); bad h, sizes and non-finite values are errors (ErrBadInput).
func NewMMDReference(y []float64, m, d int, h float64) (*MMDReference, error) {
	if err := checkCloud("y", y, m, d); err != nil {
		return nil, err
	}
	if !(h > 0) || math.IsInf(h, 0) {
		return nil, inputErr("bandwidth h = %v: want a finite h > 0", h)
	}
	return &MMDReference{y: y, m: m, d: d, h: h, yy: 2 * pairSum(y, m, d, h)}, nil
}

// Bandwidth is the kernel's h.
func (r *MMDReference) Bandwidth() float64 { return r.h }

// MMD returns the unbiased MMD_u^2 (Gretton et al. 2012, eq. (3))
// between x (n x d, n >= 2) and the reference.
func (r *MMDReference) MMD(x []float64, n int) (MMDResult, error) {
	if err := checkCloud("x", x, n, r.d); err != nil {
		return MMDResult{}, err
	}
	d, c := r.d, -1/(2*r.h*r.h)
	xy := 0.0
	for i := range n {
		for j := range r.m {
			xy += math.Exp(c * sqDist(x[i*d:(i+1)*d], r.y[j*d:(j+1)*d]))
		}
	}
	fn, fm := float64(n), float64(r.m)
	v := 2*pairSum(x, n, d, r.h)/(fn*(fn-1)) + r.yy/(fm*(fm-1)) - 2*xy/(fn*fm)
	return MMDResult{MMD2: v, MMD: math.Sqrt(max(v, 0)), Bandwidth: r.h}, nil
}

// pairSum is sum_{i < j} k(x_i, x_j).
func pairSum(x []float64, n, d int, h float64) float64 {
	c := -1 / (2 * h * h)
	s := 0.0
	for i := range n {
		for j := i + 1; j < n; j++ {
			s += math.Exp(c * sqDist(x[i*d:(i+1)*d], x[j*d:(j+1)*d]))
		}
	}
	return s
}

func sqDist(a, b []float64) float64 {
	var s float64
	for i := range a {
		t := a[i] - b[i]
		s += t * t
	}
	return s
}
