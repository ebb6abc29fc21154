package patch

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/imageio"
	"github.com/otplay/otplay/solvers/ot"
)

// Method selects the colour-transfer solver.
type Method string

// Colour-transfer methods (see the package doc).
const (
	Entropic Method = "entropic"
	Sliced   Method = "sliced"
	Exact    Method = "exact"
)

// ParseMethod returns the Method named s.
func ParseMethod(s string) (Method, error) {
	switch Method(s) {
	case Entropic, Sliced, Exact:
		return Method(s), nil
	}
	return "", fmt.Errorf("method %q: want entropic, sliced or exact", s)
}

// ErrSettings is wrapped by every error about a Settings or ColorSettings
// field. Use errors.Is.
var ErrSettings = errors.New("patch: bad settings")

func settingsErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSettings, fmt.Sprintf(format, args...))
}

// ColorSettings tunes TransferColor. The zero value means the documented
// defaults, set in (ColorSettings).withDefaults.
type ColorSettings struct {
	// Method is Entropic (default), Sliced or Exact.
	Method Method
	// Space is the colour space the transport runs in: imageio.RGB
	// (default; colours in [0, 1]^3) or imageio.Lab (L*a*b* divided by
	// 100, so L in [0, 1] and eps has a similar meaning).
	Space imageio.Space
	// Eps is the entropic regularisation (Entropic; in squared colour
	// units; default DefaultColorEps) and the kernel width of the
	// out-of-sample extension (Exact; default DefaultExtensionEps).
	Eps float64
	// Mass in (0, 1) transports only that fraction of the colour mass
	// (entropic partial OT, Entropic only); the pixels whose colours find
	// no partner keep their colour. 0 or 1 means balanced transport.
	Mass float64
	// Bins is the number of histogram bins per channel with which Entropic
	// quantises both colour clouds (default DefaultBins, at most 64); a
	// negative value keeps every pixel as a point (only for small images:
	// the plan is N x M).
	Bins int
	// Iterations is the number of random rotations of Sliced (default
	// DefaultSlicedIterations).
	Iterations int
	// Subsample is the number of pixels drawn from each image for Exact
	// (default DefaultSubsample, at most MaxSubsample).
	Subsample int
	// Seed seeds the Philox stream of Sliced's rotations and Exact's
	// subsample.
	Seed uint64
	// MaxIter is passed to the entropic solver (solvers/ot; 0 means its
	// default, 1000). Tol is its stopping marginal error (0 means
	// DefaultColorTol).
	MaxIter int
	Tol     float64
}

// Defaults of ColorSettings.
const (
	// DefaultColorEps: with colours in [0, 1]^3, eps = 5e-3 is a blur of
	// about 0.07 per channel (sqrt(eps)), the size of a 16-bin histogram
	// cell, so the plan does not resolve below the quantisation; Sinkhorn
	// then converges in a few hundred iterations (measured: 355-695 on the
	// shipped photographs at 160 x 107).
	DefaultColorEps = 5e-3
	// DefaultExtensionEps: Exact's kernel exp(-|q - x|^2/eps) has a
	// width of sqrt(1e-3) = 0.03 per channel, about the spacing of 1000
	// subsampled colours of a photograph, so it interpolates between
	// neighbouring displacements without averaging distant ones.
	DefaultExtensionEps = 1e-3
	// DefaultBins: 16^3 = 4096 cells; a photograph occupies 500-2000 of
	// them, so the plan is at most 4096 x 4096.
	DefaultBins = 16
	// DefaultSlicedIterations: Pitie et al. (2007, sec. 4) report that the
	// iterative distribution transfer converges in about 10-20 rotations
	// in 3-D; 30 leaves a margin.
	DefaultSlicedIterations = 30
	// DefaultSubsample: the exact assignment is O(n^3) on the host; 1000
	// points take about a second on one core.
	DefaultSubsample = 1000
	// MaxSubsample bounds Exact's subsample (an n x n cost matrix on the
	// host).
	MaxSubsample = 4000
	// DefaultColorTol: a marginal error of 1e-3 misplaces 0.1% of the
	// colour mass, invisible in the result, and stops Sinkhorn several
	// hundred iterations before solvers/ot's float32-floor default.
	DefaultColorTol = 1e-3
	// MaxBins bounds ColorSettings.Bins.
	MaxBins = 64
)

func (s ColorSettings) withDefaults() (ColorSettings, error) {
	if s.Method == "" {
		s.Method = Entropic
	}
	if s.Space == "" {
		s.Space = imageio.RGB
	}
	if s.Eps == 0 {
		s.Eps = DefaultColorEps
		if s.Method == Exact {
			s.Eps = DefaultExtensionEps
		}
	}
	if s.Bins == 0 {
		s.Bins = DefaultBins
	}
	if s.Iterations == 0 {
		s.Iterations = DefaultSlicedIterations
	}
	if s.Subsample == 0 {
		s.Subsample = DefaultSubsample
	}
	if s.Tol == 0 {
		s.Tol = DefaultColorTol
	}
	if s.Mass == 1 {
		s.Mass = 0
	}
	if _, err := ParseMethod(string(s.Method)); err != nil {
		return s, settingsErr("%v", err)
	}
	if _, err := imageio.ParseSpace(string(s.Space)); err != nil {
		return s, settingsErr("%v", err)
	}
	switch {
	case !(s.Eps > 0) || math.IsInf(s.Eps, 0):
		return s, settingsErr("eps = %g must be positive and finite", s.Eps)
	case math.IsNaN(s.Mass) || s.Mass < 0 || s.Mass > 1:
		return s, settingsErr("mass = %g outside (0, 1]", s.Mass)
	case s.Mass > 0 && s.Method != Entropic:
		return s, settingsErr("mass = %g: partial transport needs method entropic (got %s)", s.Mass, s.Method)
	case s.Bins > MaxBins || s.Bins == 1:
		return s, settingsErr("bins = %d outside [2, %d] (or negative for no quantisation)", s.Bins, MaxBins)
	case s.Iterations < 1:
		return s, settingsErr("iterations = %d must be >= 1", s.Iterations)
	case s.Subsample < 2 || s.Subsample > MaxSubsample:
		return s, settingsErr("subsample = %d outside [2, %d]", s.Subsample, MaxSubsample)
	case s.MaxIter < 0:
		return s, settingsErr("max iterations = %d must be >= 0", s.MaxIter)
	}
	return s, nil
}

// ColorResult reports a colour transfer.
type ColorResult struct {
	Method Method
	Space  imageio.Space
	// Cost is the transport cost in squared colour units (of Space): for
	// Entropic <P, C> of the plan between the quantised clouds (mass Mass
	// for partial); for Sliced and Exact the mean squared displacement
	// mean_i |T(x_i) - x_i|^2 of the final map over the source pixels
	// (Exact: over the subsample, the optimal assignment cost).
	Cost float64
	// SourcePoints and TargetPoints are the sizes of the point clouds the
	// transport ran on (bins, subsample or pixels).
	SourcePoints, TargetPoints int
	// Iterations, Converged, MarginalError: the entropic solver's (Sliced
	// reports its rotations; Exact 0 and true).
	Iterations    int
	Converged     bool
	MarginalError float64
	Backend       string
	Time          time.Duration
}

// TransferColor returns src with its colour distribution transported onto
// tgt's: every pixel is a point of Space, and the transport map between
// the two colour clouds, computed by s.Method, is applied to every source
// pixel (see the package doc for each method and its out-of-sample
// extension). The result is in RGB, clamped to [0, 1].
func TransferColor(b compute.Backend, src, tgt *imageio.Image, s ColorSettings) (*imageio.Image, *ColorResult, error) {
	start := time.Now()
	if b == nil {
		return nil, nil, settingsErr("backend is nil")
	}
	if err := src.Validate("source image"); err != nil {
		return nil, nil, err
	}
	if err := tgt.Validate("target image"); err != nil {
		return nil, nil, err
	}
	s, err := s.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	x, err := colourPoints(src, s.Space)
	if err != nil {
		return nil, nil, err
	}
	y, err := colourPoints(tgt, s.Space)
	if err != nil {
		return nil, nil, err
	}
	var mapped []float64
	var res *ColorResult
	switch s.Method {
	case Entropic:
		mapped, res, err = entropicColour(b, x, y, s)
	case Sliced:
		mapped, res, err = slicedTransfer(b, x, y, 3, s.Iterations, s.Seed)
	case Exact:
		mapped, res, err = exactColour(b, x, y, s)
	}
	if err != nil {
		return nil, nil, err
	}
	out, err := colourImage(mapped, src.Width, src.Height, s.Space)
	if err != nil {
		return nil, nil, err
	}
	res.Method, res.Space, res.Backend, res.Time = s.Method, s.Space, b.Info().Name, time.Since(start)
	return out, res, nil
}

// colourPoints returns the pixels of img as points of space (Lab / 100).
func colourPoints(img *imageio.Image, space imageio.Space) ([]float64, error) {
	c, err := img.Convert(imageio.RGB, space)
	if err != nil {
		return nil, err
	}
	if space == imageio.Lab {
		for i := range c.Pix {
			c.Pix[i] /= 100
		}
	}
	return c.Pix, nil
}

// colourImage turns points of space back into an RGB image clamped to [0, 1].
func colourImage(pts []float64, w, h int, space imageio.Space) (*imageio.Image, error) {
	img := &imageio.Image{Width: w, Height: h, Pix: pts}
	if space == imageio.Lab {
		for i := range pts {
			pts[i] *= 100
		}
		var err error
		if img, err = img.Convert(imageio.Lab, imageio.RGB); err != nil {
			return nil, err
		}
	}
	for i, v := range img.Pix {
		img.Pix[i] = min(max(v, 0), 1)
	}
	return img, nil
}

// quantized is a weighted point cloud standing for a larger one.
type quantized struct {
	pos []float64 // n x 3 mean colour of each occupied cell
	w   []float64 // n weights (pixel fractions), summing to 1
}

// quantize bins the 3-D points pts on a bins^3 grid spanning their
// bounding box and returns, for every occupied cell, the mean of its
// points and the fraction of points in it. bins < 0 returns every point
// with weight 1/n.
func quantize(pts []float64, bins int) quantized {
	n := len(pts) / 3
	if bins < 0 {
		w := make([]float64, n)
		for i := range w {
			w[i] = 1 / float64(n)
		}
		return quantized{pos: append([]float64(nil), pts...), w: w}
	}
	var lo, hi [3]float64
	for c := range 3 {
		lo[c], hi[c] = math.Inf(1), math.Inf(-1)
	}
	for i, v := range pts {
		lo[i%3] = min(lo[i%3], v)
		hi[i%3] = max(hi[i%3], v)
	}
	cell := func(v float64, c int) int {
		if hi[c] == lo[c] {
			return 0
		}
		return min(int((v-lo[c])/(hi[c]-lo[c])*float64(bins)), bins-1)
	}
	slot := make([]int32, bins*bins*bins)
	var q quantized
	var count []float64
	for i := 0; i < n; i++ {
		p := pts[3*i : 3*i+3]
		k := (cell(p[0], 0)*bins+cell(p[1], 1))*bins + cell(p[2], 2)
		if slot[k] == 0 {
			q.pos = append(q.pos, 0, 0, 0)
			count = append(count, 0)
			slot[k] = int32(len(count))
		}
		j := int(slot[k]) - 1
		count[j]++
		q.pos[3*j] += p[0]
		q.pos[3*j+1] += p[1]
		q.pos[3*j+2] += p[2]
	}
	q.w = make([]float64, len(count))
	for j, c := range count {
		q.pos[3*j] /= c
		q.pos[3*j+1] /= c
		q.pos[3*j+2] /= c
		q.w[j] = c / float64(n)
	}
	return q
}

// uniqueColours returns the distinct colours of pts (u, 3 values each)
// and, for every point, the index of its colour in u.
func uniqueColours(pts []float64) (u []float64, inverse []int) {
	n := len(pts) / 3
	seen := make(map[[3]float64]int, n/4)
	inverse = make([]int, n)
	for i := 0; i < n; i++ {
		k := [3]float64{pts[3*i], pts[3*i+1], pts[3*i+2]}
		j, ok := seen[k]
		if !ok {
			j = len(u) / 3
			seen[k] = j
			u = append(u, k[0], k[1], k[2])
		}
		inverse[i] = j
	}
	return u, inverse
}

// entropicColour quantises both colour clouds, solves entropic (or
// partial) OT between the bins with solvers/ot, and maps every distinct
// source colour with the entropic map (see entropicMap).
func entropicColour(b compute.Backend, x, y []float64, s ColorSettings) ([]float64, *ColorResult, error) {
	qs, qt := quantize(x, s.Bins), quantize(y, s.Bins)
	p := ot.Problem{X: qs.pos, Y: qt.pos, N: len(qs.w), M: len(qt.w), D: 3, A: qs.w, B: qt.w}
	set := ot.Settings{Eps: s.Eps, MaxIter: s.MaxIter, Tol: s.Tol}
	var res *ot.Result
	var err error
	if s.Mass > 0 {
		set.Mass = s.Mass
		res, err = ot.Partial(b, p, set)
	} else {
		set.Scaling = 0.5
		res, err = ot.Sinkhorn(b, p, set)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("colour transfer: %w", err)
	}
	u, inverse := uniqueColours(x)
	mu, err := entropicMap(b, u, p, res, s.Mass > 0, nil)
	if err != nil {
		return nil, nil, err
	}
	out := make([]float64, len(x))
	for i, j := range inverse {
		copy(out[3*i:3*i+3], mu[3*j:3*j+3])
	}
	return out, &ColorResult{Cost: res.Cost, SourcePoints: p.N, TargetPoints: p.M,
		Iterations: res.Iterations, Converged: res.Converged, MarginalError: res.MarginalError}, nil
}

// entropicMap evaluates, at the points q (n x D, anywhere in space), the
// entropic map of the plan res between p.X and p.Y (Pooladian and
// Niles-Weed 2021, eq. (3)):
//
//	T(q) = sum_j b_j exp((G_j - |q - y_j|^2)/eps) y_j / sum_j b_j exp((G_j - |q - y_j|^2)/eps)
//
// one SoftMean on the Backend. With partial set, the plan transports only
// part of each source point's mass: the fraction rho_i = (P 1)_i / a_i at
// the source points is extended to q by the kernel regression
// rho(q) = sum_i a_i k(q, x_i) rho_i / sum_i a_i k(q, x_i),
// k = exp(-|q - x|^2/eps), and the map becomes k + rho(q) (T(q) - k)
// with k = keep (nil: q itself): colours the plan leaves untransported
// keep their value.
func entropicMap(b compute.Backend, q []float64, p ot.Problem, res *ot.Result, partial bool, keep []float64) ([]float64, error) {
	d, n := p.D, len(q)/p.D
	a := &arena{b: b}
	defer a.free()
	qa, xa, ya := a.upload(q), a.upload(p.X), a.upload(p.Y)
	la, lb, g := a.upload(logWeights(p.A, p.N)), a.upload(logWeights(p.B, p.M)), a.upload(res.G)
	dst := a.alloc(n * d)
	if a.err != nil {
		return nil, a.err
	}
	a.do(b.SoftMeanY(dst, compute.Pairs{X: qa, Y: ya, N: n, M: p.M, D: d, LogW: lb, G: g, Eps: res.Eps}, 1))
	out := a.read(dst)
	if !partial || a.err != nil {
		return out, a.err
	}
	// rho_i = (P 1)_i / a_i = exp((F_i - h_i)/eps), h the soft-min over
	// the columns (log b, G).
	h := a.alloc(p.N)
	if a.err != nil {
		return nil, a.err
	}
	a.do(b.SoftMin(h, compute.Pairs{X: xa, Y: ya, N: p.N, M: p.M, D: d, LogW: lb, G: g, Eps: res.Eps}))
	hv := a.read(h)
	if a.err != nil {
		return nil, a.err
	}
	rho := make([]float64, p.N)
	for i := range rho {
		rho[i] = min(math.Exp((res.F[i]-hv[i])/res.Eps), 1)
	}
	ra, rq := a.upload(rho), a.alloc(n)
	if a.err != nil {
		return nil, a.err
	}
	a.do(b.SoftMean(rq, compute.Pairs{X: qa, Y: xa, N: n, M: p.N, D: d, LogW: la, Eps: res.Eps}, ra, 1))
	r := a.read(rq)
	if a.err != nil {
		return nil, a.err
	}
	if keep == nil {
		keep = q
	}
	for i := range n {
		for k := range d {
			out[i*d+k] = keep[i*d+k] + r[i]*(out[i*d+k]-keep[i*d+k])
		}
	}
	return out, nil
}

// logWeights returns log w, or log(1/n) everywhere for nil w.
func logWeights(w []float64, n int) []float64 {
	l := make([]float64, n)
	for i := range l {
		if w == nil {
			l[i] = -math.Log(float64(n))
		} else {
			l[i] = math.Log(w[i])
		}
	}
	return l
}
