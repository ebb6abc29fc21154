package sliced

import (
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
)

// ErrBadArgument is wrapped by every error about the caller's input (it is
// compute.ErrBadArgument, so one errors.Is covers both packages).
var ErrBadArgument = compute.ErrBadArgument

// Limits on the input.
const (
	MaxProjections = 1 << 20
	MaxDim         = 1 << 16
)

// DefaultProjections is the number of directions when Settings.Projections
// is 0: 200, which puts the Monte-Carlo standard error of SW_2^2 near 7%
// of its value for isotropic data (POT's default is 50).
const DefaultProjections = 200

// chunkElems bounds the projections held on the backend at once (L x n
// floats per set): 2^22 floats is 16 MiB in float32, well inside WebGPU's
// default 128 MiB storage binding.
const chunkElems = 1 << 22

// Measure is a discrete measure: N points of dimension D (row-major) with
// weights (nil: uniform 1/N; otherwise nonnegative, normalised to mass 1).
type Measure struct {
	Points  []float64
	N, D    int
	Weights []float64
}

func (m Measure) check(name string) error {
	switch {
	case m.N < 1:
		return fmt.Errorf("%w: %s: N = %d: the set is empty", ErrBadArgument, name, m.N)
	case m.D < 1 || m.D > MaxDim:
		return fmt.Errorf("%w: %s: dimension D = %d outside [1, %d]", ErrBadArgument, name, m.D, MaxDim)
	case len(m.Points) != m.N*m.D:
		return fmt.Errorf("%w: %s: %d coordinates, want N*D = %d*%d", ErrBadArgument, name, len(m.Points), m.N, m.D)
	}
	if err := compute.CheckFinite(name+".Points", m.Points); err != nil {
		return err
	}
	return checkWeights(name+".Weights", m.Weights, m.N)
}

func checkWeights(name string, w []float64, n int) error {
	if w == nil {
		return nil
	}
	if len(w) != n {
		return fmt.Errorf("%w: %s has %d entries, want %d", ErrBadArgument, name, len(w), n)
	}
	if err := compute.CheckFinite(name, w); err != nil {
		return err
	}
	var s float64
	for i, x := range w {
		if x < 0 {
			return fmt.Errorf("%w: %s[%d] = %g is negative", ErrBadArgument, name, i, x)
		}
		s += x
	}
	if !(s > 0) {
		return fmt.Errorf("%w: %s sums to %g; want a positive mass", ErrBadArgument, name, s)
	}
	return nil
}

// checkLine validates a 1-D point set and its weights.
func checkLine(name string, u, w []float64, wname string) error {
	if len(u) == 0 {
		return fmt.Errorf("%w: %s is empty", ErrBadArgument, name)
	}
	if err := compute.CheckFinite(name, u); err != nil {
		return err
	}
	return checkWeights(wname, w, len(u))
}

// Settings of Distance. The zero value means the documented defaults.
type Settings struct {
	// Projections is the number of directions L (default
	// DefaultProjections = 200).
	Projections int
	// Sampling draws the directions (default Random).
	Sampling Sampling
	// Seed selects the directions (default 0).
	Seed uint64
	// Directions, when set, are used instead of drawing them (L x D,
	// row-major; POT's `projections` argument transposed), each row
	// scaled to unit length (a zero row is refused; POT uses rows as
	// given, which agrees for unit rows); Projections, Sampling and Seed
	// are then ignored.
	Directions []float64
	// P is the order p >= 1 of SW_p (POT's p); 0 means 2.
	P float64
}

// Path says where Distance computed the 1-D transports.
type Path string

const (
	// PathDevice: uniform weights and N == M; projection (MatMul), sort
	// (SortRows), squared differences (Map) and per-direction sums (MatMul
	// with a ones vector) all run on the backend, which returns L numbers.
	PathDevice Path = "device"
	// PathDeviceSortHostMerge: uniform weights, N != M; projection and
	// sort on the backend, the quantile merge of the sorted rows
	// (O(N + M) per direction) on the host.
	PathDeviceSortHostMerge Path = "device sort, host quantile merge"
	// PathHostArgsort: weighted measures; projection on the backend, the
	// argsort (which the weights must follow) and the merge on the host.
	PathHostArgsort Path = "device projection, host argsort and merge"
)

// Result of Distance.
type Result struct {
	// SW is the sliced Wasserstein distance
	// SW_p = (mean_l W_p^p(theta_l# mu, theta_l# nu))^(1/p).
	SW float64
	// P is the order p.
	P float64
	// PerDirection[l] is W_p^p of the projections on direction l.
	PerDirection []float64
	// Running[k] is the estimate after the first k+1 directions:
	// (mean of PerDirection[:k+1])^(1/p) (the curve "as directions grow").
	Running []float64
	// StdErr is the Monte-Carlo standard error of SW_p^p (the sample
	// standard deviation of PerDirection over sqrt(L)); meaningful for
	// Random sampling.
	StdErr float64
	// Directions used, L x D.
	Directions []float64
	L, D       int
	Path       Path
	Time       time.Duration
}

// Distance computes the sliced p-Wasserstein distance between x and y
// (Rabin, Peyre, Delon and Bernot 2011, "Wasserstein barycenter and its
// application to texture mixing"; Bonneel, Rabin, Peyre and Pfister 2015,
// "Sliced and Radon Wasserstein barycenters of measures", eq. (5), there
// for p = 2):
//
//	SW_p(mu, nu)^p = E_{theta ~ U(S^{d-1})} W_p^p(theta# mu, theta# nu)
//
// estimated with L directions, each W_p^p exact by sorting (the monotone
// coupling is optimal for |u - v|^p, p >= 1). The convention is POT's
// sliced_wasserstein_distance(X, Y, a, b, n_projections=L, p=p), whose
// mean divides by n_projections: with projections given, pass
// n_projections = L to POT. See Path for what runs on the backend (p = 1
// and 2 keep the device path; other p merge the sorted rows on the
// host).
func Distance(be compute.Backend, x, y Measure, s Settings) (Result, error) {
	start := time.Now()
	if be == nil {
		return Result{}, fmt.Errorf("%w: nil backend", ErrBadArgument)
	}
	if err := x.check("x"); err != nil {
		return Result{}, err
	}
	if err := y.check("y"); err != nil {
		return Result{}, err
	}
	if x.D != y.D {
		return Result{}, fmt.Errorf("%w: x has dimension %d, y has %d", ErrBadArgument, x.D, y.D)
	}
	d := x.D
	p := s.P
	if p == 0 {
		p = 2
	}
	if !(p >= 1) || math.IsInf(p, 0) {
		return Result{}, fmt.Errorf("%w: P = %g: the order must be finite and >= 1", ErrBadArgument, s.P)
	}
	theta, L, err := settingsDirections(s, d)
	if err != nil {
		return Result{}, err
	}
	per, path, err := perDirection(be, x, y, theta, L, p)
	if err != nil {
		return Result{}, err
	}
	r := Result{PerDirection: per, Directions: theta, L: L, D: d, Path: path, P: p}
	root := func(v float64) float64 {
		if p == 2 {
			return math.Sqrt(v)
		}
		return math.Pow(v, 1/p)
	}
	r.Running = make([]float64, L)
	var sum, sumSq float64
	for l, w := range per {
		sum += w
		sumSq += w * w
		r.Running[l] = root(sum / float64(l+1))
	}
	mean := sum / float64(L)
	r.SW = root(mean)
	if L > 1 {
		v := (sumSq - float64(L)*mean*mean) / float64(L-1)
		r.StdErr = math.Sqrt(max(v, 0) / float64(L))
	}
	r.Time = time.Since(start)
	return r, nil
}

// settingsDirections returns the directions of s in dimension d.
func settingsDirections(s Settings, d int) ([]float64, int, error) {
	if s.Directions != nil {
		if len(s.Directions) == 0 || len(s.Directions)%d != 0 {
			return nil, 0, fmt.Errorf("%w: Directions has %d values, not a multiple of D = %d", ErrBadArgument, len(s.Directions), d)
		}
		if err := compute.CheckFinite("Directions", s.Directions); err != nil {
			return nil, 0, err
		}
		theta := make([]float64, len(s.Directions))
		for l := range len(theta) / d {
			row := s.Directions[l*d : (l+1)*d]
			norm := 0.0
			for _, v := range row {
				norm += v * v
			}
			if norm == 0 {
				return nil, 0, fmt.Errorf("%w: direction %d is zero", ErrBadArgument, l)
			}
			norm = math.Sqrt(norm)
			for k, v := range row {
				theta[l*d+k] = v / norm
			}
		}
		return theta, len(theta) / d, nil
	}
	L := s.Projections
	if L == 0 {
		L = DefaultProjections
	}
	theta, err := Directions(s.Sampling, L, d, s.Seed)
	return theta, L, err
}

// perDirection returns W_p^p of the projections of x and y on each of the
// L directions theta (L x d), in chunks of directions that fit chunkElems.
func perDirection(be compute.Backend, x, y Measure, theta []float64, L int, p float64) ([]float64, Path, error) {
	n, m, d := x.N, y.N, x.D
	path := PathDevice
	switch {
	case x.Weights != nil || y.Weights != nil:
		path = PathHostArgsort
	case n != m || (p != 1 && p != 2):
		path = PathDeviceSortHostMerge
	}
	X, err := be.Upload(x.Points)
	if err != nil {
		return nil, "", fmt.Errorf("sliced: upload x: %w", err)
	}
	defer be.Free(X)
	Y, err := be.Upload(y.Points)
	if err != nil {
		return nil, "", fmt.Errorf("sliced: upload y: %w", err)
	}
	defer be.Free(Y)
	var ones compute.Array
	if path == PathDevice {
		o := make([]float64, n)
		for i := range o {
			o[i] = 1
		}
		if ones, err = be.Upload(o); err != nil {
			return nil, "", err
		}
		defer be.Free(ones)
	}
	var wx, wy []float64
	if path == PathHostArgsort {
		wx, wy = normalised(x.Weights, n), normalised(y.Weights, m)
	}
	per := make([]float64, 0, L)
	chunk := max(1, chunkElems/max(n, m))
	for l0 := 0; l0 < L; l0 += chunk {
		lc := min(chunk, L-l0)
		w, err := chunkWp(be, X, Y, ones, n, m, d, theta[l0*d:(l0+lc)*d], lc, path, wx, wy, p)
		if err != nil {
			return nil, "", err
		}
		per = append(per, w...)
	}
	return per, path, nil
}

// chunkWp handles lc directions (see Path).
func chunkWp(be compute.Backend, X, Y, ones compute.Array, n, m, d int, theta []float64, lc int, path Path, wx, wy []float64, p float64) ([]float64, error) {
	T, err := be.Upload(theta)
	if err != nil {
		return nil, err
	}
	defer be.Free(T)
	// px[l*n + i] = theta_l . x_i: (lc x d) times (n x d)^T.
	px, err := be.Alloc(lc * n)
	if err != nil {
		return nil, err
	}
	defer be.Free(px)
	py, err := be.Alloc(lc * m)
	if err != nil {
		return nil, err
	}
	defer be.Free(py)
	if err := be.MatMul(px, T, X, lc, d, n, false, true); err != nil {
		return nil, fmt.Errorf("sliced: project x: %w", err)
	}
	if err := be.MatMul(py, T, Y, lc, d, m, false, true); err != nil {
		return nil, fmt.Errorf("sliced: project y: %w", err)
	}
	out := make([]float64, lc)
	if path == PathHostArgsort {
		hx, hy := make([]float64, lc*n), make([]float64, lc*m)
		if err := be.Read(hx, px); err != nil {
			return nil, err
		}
		if err := be.Read(hy, py); err != nil {
			return nil, err
		}
		su, sv := make([]float64, n), make([]float64, m)
		au, bv := make([]float64, n), make([]float64, m)
		for l := 0; l < lc; l++ {
			u, v := hx[l*n:(l+1)*n], hy[l*m:(l+1)*m]
			for k, i := range argsort(u) {
				su[k], au[k] = u[i], wx[i]
			}
			for k, j := range argsort(v) {
				sv[k], bv[k] = v[j], wy[j]
			}
			out[l] = wpSortedWeighted(su, au, sv, bv, p)
		}
		return out, nil
	}
	if err := be.SortRows(px, lc, n); err != nil {
		return nil, fmt.Errorf("sliced: sort x: %w", err)
	}
	if err := be.SortRows(py, lc, m); err != nil {
		return nil, fmt.Errorf("sliced: sort y: %w", err)
	}
	if path == PathDeviceSortHostMerge {
		hx, hy := make([]float64, lc*n), make([]float64, lc*m)
		if err := be.Read(hx, px); err != nil {
			return nil, err
		}
		if err := be.Read(hy, py); err != nil {
			return nil, err
		}
		for l := 0; l < lc; l++ {
			out[l] = wpSortedUniform(hx[l*n:(l+1)*n], hy[l*m:(l+1)*m], p)
		}
		return out, nil
	}
	// Equal sizes, uniform weights: the sorted rows pair up index by index.
	// px <- (px - py)^2 (p = 2) or |px - py| (p = 1), then row sums by a
	// product with ones.
	if p == 1 {
		if err := be.Map(px, compute.MapArgs{Op: compute.OpAbs, X: px, Y: py, A: 1, B: -1}); err != nil {
			return nil, err
		}
	} else {
		if err := be.Map(px, compute.MapArgs{Op: compute.OpAxpby, X: px, Y: py, A: 1, B: -1}); err != nil {
			return nil, err
		}
		if err := be.Map(px, compute.MapArgs{Op: compute.OpMul, X: px, Y: px, A: 1}); err != nil {
			return nil, err
		}
	}
	sums, err := be.Alloc(lc)
	if err != nil {
		return nil, err
	}
	defer be.Free(sums)
	if err := be.MatMul(sums, px, ones, lc, n, 1, false, false); err != nil {
		return nil, err
	}
	if err := be.Read(out, sums); err != nil {
		return nil, err
	}
	for l := range out {
		out[l] /= float64(n)
	}
	return out, nil
}

// Slice is one direction's 1-D problem, for display: the projections of
// both sets and their exact 1-D transport.
type Slice struct {
	Direction    []float64
	ProjX, ProjY []float64 // in point order
	OneD                   // W2Sq, the argsorts and the monotone plan
}

// Slices returns the 1-D problems of the given directions (L x D,
// row-major), computed on the host in float64: the per-direction view of
// the /sliced page (the matching drawn as segments between sorted
// projections). Use Directions to draw the same directions as Distance.
func Slices(x, y Measure, theta []float64) ([]Slice, error) {
	if err := x.check("x"); err != nil {
		return nil, err
	}
	if err := y.check("y"); err != nil {
		return nil, err
	}
	d := x.D
	if y.D != d {
		return nil, fmt.Errorf("%w: x has dimension %d, y has %d", ErrBadArgument, d, y.D)
	}
	if len(theta) == 0 || len(theta)%d != 0 {
		return nil, fmt.Errorf("%w: directions have %d values, not a positive multiple of D = %d", ErrBadArgument, len(theta), d)
	}
	if err := compute.CheckFinite("directions", theta); err != nil {
		return nil, err
	}
	L := len(theta) / d
	out := make([]Slice, L)
	for l := range out {
		t := theta[l*d : (l+1)*d]
		px, py := project(x, t), project(y, t)
		od, err := Transport1D(px, x.Weights, py, y.Weights)
		if err != nil {
			return nil, err
		}
		out[l] = Slice{Direction: t, ProjX: px, ProjY: py, OneD: od}
	}
	return out, nil
}

// project returns theta . x_i for every point (host, float64).
func project(x Measure, theta []float64) []float64 {
	p := make([]float64, x.N)
	d := x.D
	for i := range p {
		var s float64
		for k, t := range theta {
			s += t * x.Points[i*d+k]
		}
		p[i] = s
	}
	return p
}
