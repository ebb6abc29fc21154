package truncate

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/nn"
	"github.com/otplay/otplay/solvers/ot"
)

// ErrBadInput is wrapped by every error about a caller's arguments (T_trunc
// outside [1, T], unknown prior names, bad sizes, NaN data...).
var ErrBadInput = errors.New("truncate: bad input")

func badInput(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, a...))
}

// Prior names the distribution the truncated reverse process starts from.
type Prior int

const (
	// Gaussian is the plain start x_{T_trunc} ~ N(0, I): the baseline,
	// exact only when T_trunc = T (up to abar_T > 0).
	Gaussian Prior = iota
	// Sliced is a map f(z) = z + g(z), g an MLP, trained so that f(N(0, I))
	// matches q(x_{T_trunc}) in the sliced Wasserstein distance (see
	// FitPrior).
	Sliced
	// Entropic is the entropic map estimator of Pooladian and Niles-Weed
	// 2021 from N(0, I) samples to samples of q(x_{T_trunc}).
	Entropic
)

// PriorNames lists the names ParsePrior accepts, in Prior order.
var PriorNames = []string{"gaussian", "sliced", "entropic"}

func (p Prior) String() string {
	if p < 0 || int(p) >= len(PriorNames) {
		return fmt.Sprintf("Prior(%d)", int(p))
	}
	return PriorNames[p]
}

// ParsePrior returns the Prior of a name.
func ParsePrior(name string) (Prior, error) {
	for k, n := range PriorNames {
		if name == n {
			return Prior(k), nil
		}
	}
	return 0, badInput("unknown prior %q (want %s)", name, strings.Join(PriorNames, ", "))
}

// Defaults of Settings.
const (
	// DefaultFitSamples is the number of forward-diffused data points the
	// entropic prior is fitted to (and of Gaussian sources): 2000.
	DefaultFitSamples = 2000
	// DefaultEntropicEpsFrac sets the entropic prior's eps to 0.01 times
	// the total variance of its targets (about 0.01 for the 2-D toys,
	// a smoothing over a few neighbours at 2000 points).
	DefaultEntropicEpsFrac = 0.01
	// DefaultSlicedSteps, DefaultSlicedBatch, DefaultSlicedProjections and
	// DefaultSlicedLR: 600 Adam steps on batches of 256 points with 64
	// random directions per step at learning rate 2e-3 (cosine decay to
	// LR/10) fit the 2-D toys in about 2 s on the CPU backend.
	DefaultSlicedSteps       = 600
	DefaultSlicedBatch       = 256
	DefaultSlicedProjections = 64
	DefaultSlicedLR          = 2e-3
)

// DefaultSlicedHidden is the prior network's default shape: two hidden
// layers of 64 SiLU units.
var DefaultSlicedHidden = []int{64, 64}

// Settings configure FitPrior. Only TTrunc and Prior are required; zero
// fields mean the documented defaults.
type Settings struct {
	// Schedule of the diffusion (default diffusion.Linear(1000)). T is its
	// number of steps (diffusion.DefaultT for a continuous schedule).
	Schedule diffusion.Schedule
	// TTrunc in [1, T] is the step the reverse process starts from: time
	// t = TTrunc / T.
	TTrunc int
	Prior  Prior
	// Seed keys every random draw of the fit (Philox).
	Seed uint64
	// FitSamples is the number of target samples x_{T_trunc} (and
	// Gaussian sources) of the entropic prior (default
	// DefaultFitSamples).
	FitSamples int
	// EpsFrac is the entropic prior's eps as a fraction of the targets'
	// total variance (default DefaultEntropicEpsFrac).
	EpsFrac float64
	// Sinkhorn tunes the entropic prior's solver. Eps is set from
	// EpsFrac; a zero Tol means 1e-3 (the L1 marginal error: a prior
	// needs no more) and a zero Scaling means 0.5 (GeomLoss's
	// eps-scaling, which cuts the iterations at small eps); package ot's
	// defaults otherwise.
	Sinkhorn ot.Settings
	// SlicedSteps, SlicedBatch, SlicedProjections, SlicedLR and
	// SlicedHidden configure the sliced prior's training (defaults
	// above).
	SlicedSteps       int
	SlicedBatch       int
	SlicedProjections int
	SlicedLR          float64
	SlicedHidden      []int
	// Progress, if set, is called on FitPrior's goroutine as the fit
	// goes, with the phase (PhaseSliced or PhaseSinkhorn), the work done
	// and the phase's total: the sliced prior after every
	// max(1, SlicedSteps/100) Adam steps (done = steps taken, total =
	// SlicedSteps); the entropic prior after each residual check of
	// Sinkhorn (done = iterations, total = its MaxIter; a Sinkhorn.Progress
	// of the caller's is called too). done never decreases within a
	// phase, and each phase that completes ends with done == total (a
	// Sinkhorn that converges early jumps there). The Gaussian prior has
	// no phase.
	Progress func(phase string, done, total int)
}

// Phases of Settings.Progress.
const (
	PhaseSliced   = "training the sliced prior"
	PhaseSinkhorn = "Sinkhorn for the entropic prior"
)

// T returns the number of steps of the schedule (DefaultT for continuous
// ones).
func T(s diffusion.Schedule) int {
	if s.Steps() > 0 {
		return s.Steps()
	}
	return diffusion.DefaultT
}

func (s Settings) withDefaults() (Settings, error) {
	if s.Schedule == nil {
		s.Schedule = diffusion.Linear(diffusion.DefaultT)
	}
	if T := T(s.Schedule); s.TTrunc < 1 || s.TTrunc > T {
		return s, badInput("TTrunc = %d outside [1, T] = [1, %d]", s.TTrunc, T)
	}
	if s.Prior < 0 || int(s.Prior) >= len(PriorNames) {
		return s, badInput("unknown prior %d", int(s.Prior))
	}
	if s.FitSamples == 0 {
		s.FitSamples = DefaultFitSamples
	}
	if s.EpsFrac == 0 {
		s.EpsFrac = DefaultEntropicEpsFrac
	}
	if s.SlicedSteps == 0 {
		s.SlicedSteps = DefaultSlicedSteps
	}
	if s.SlicedBatch == 0 {
		s.SlicedBatch = DefaultSlicedBatch
	}
	if s.SlicedProjections == 0 {
		s.SlicedProjections = DefaultSlicedProjections
	}
	if s.SlicedLR == 0 {
		s.SlicedLR = DefaultSlicedLR
	}
	if s.SlicedHidden == nil {
		s.SlicedHidden = DefaultSlicedHidden
	}
	switch {
	case s.FitSamples < 1:
		return s, badInput("FitSamples = %d must be >= 1", s.FitSamples)
	case !(s.EpsFrac > 0) || math.IsInf(s.EpsFrac, 0):
		return s, badInput("EpsFrac = %g must be positive and finite", s.EpsFrac)
	case s.SlicedSteps < 1:
		return s, badInput("SlicedSteps = %d must be >= 1", s.SlicedSteps)
	case s.SlicedBatch < 2:
		return s, badInput("SlicedBatch = %d must be >= 2", s.SlicedBatch)
	case s.SlicedProjections < 1:
		return s, badInput("SlicedProjections = %d must be >= 1", s.SlicedProjections)
	case !(s.SlicedLR > 0) || math.IsInf(s.SlicedLR, 0):
		return s, badInput("SlicedLR = %g must be positive and finite", s.SlicedLR)
	}
	for k, h := range s.SlicedHidden {
		if h < 1 || h > nn.MaxWidth {
			return s, badInput("SlicedHidden[%d] = %d outside [1, %d]", k, h, nn.MaxWidth)
		}
	}
	return s, nil
}

// Fitted is a prior fitted to q(x_{T_trunc}) of one data set, ready to
// sample on its backend.
type Fitted struct {
	Prior  Prior
	TTrunc int
	T      int
	Time   diffusion.Time // the start time t = TTrunc/T, alpha and sigma there
	D      int
	// FitTime is the wall time of FitPrior.
	FitTime time.Duration
	// Losses is the sliced prior's batch loss (SW_2^2 estimate) every 50
	// steps; nil for the others.
	Losses []float64
	// Entropic is the entropic prior's Sinkhorn result (nil for the
	// others).
	Entropic *ot.Result

	be  compute.Backend
	net *nn.Net
}

// Free releases the prior's backend arrays.
func (f *Fitted) Free() {
	if f.net != nil {
		f.net.Free()
		f.net = nil
	}
}

// Net returns the sliced prior's network as a host MLP (nil for the other
// priors).
func (f *Fitted) Net() (*nn.MLP, error) {
	if f.net == nil {
		return nil, nil
	}
	return f.net.MLP()
}

// FitPrior fits the prior s.Prior to q(x_t), t = TTrunc / T, the law of
// x_t = alpha_t y + sigma_t z for y drawn from the data (n x d, row-major)
// and z ~ N(0, I) (Ho et al. 2020, eq. (4)): the "OT prior" of truncated
// diffusion (Lyu et al. 2022, "Accelerating diffusion models via early
// stop of the diffusion process"; Zheng et al. 2023, "Truncated diffusion
// probabilistic models"; the map from N(0, I) learned by OT as in
// "Diffusion model acceleration using optimal transport").
//
//   - Gaussian: nothing to fit.
//   - Entropic: Sinkhorn between K = FitSamples normals z_k and K targets
//     alpha_t y_{j_k} + sigma_t z'_k (y_{j_k} uniform over the data), at
//     eps = EpsFrac Var(targets); the prior is the entropic map
//     T(z) = sum_k w_k(z) x_k, w_k ∝ exp((G_k - |z - z_k|^2)/eps)
//     (Pooladian and Niles-Weed 2021, eq. (3)) at fresh normals.
//   - Sliced: f(z) = z + g(z) with g an MLP (nn, SiLU, He init; f starts
//     near the identity, the Gaussian prior), trained by Adam to minimise
//     the sliced Wasserstein loss SW_2^2(f(z), x_t) on batches (see
//     slicedLoss), the generator objective of Deshpande et al. 2018
//     ("Generative modeling using the sliced Wasserstein distance", eq. (6)).
func FitPrior(b compute.Backend, data []float64, n, d int, s Settings) (*Fitted, error) {
	start := time.Now()
	if b == nil {
		return nil, badInput("backend is nil")
	}
	s, err := s.withDefaults()
	if err != nil {
		return nil, err
	}
	if n < 1 || d < 1 || len(data) != n*d {
		return nil, badInput("data has %d values, want n x d = %d x %d (both >= 1)", len(data), n, d)
	}
	if d > compute.MaxDim {
		return nil, badInput("dimension d = %d above %d", d, compute.MaxDim)
	}
	if err := compute.CheckFinite("data", data); err != nil {
		return nil, err
	}
	T := T(s.Schedule)
	f := &Fitted{Prior: s.Prior, TTrunc: s.TTrunc, T: T, D: d, be: b,
		Time: diffusion.At(s.Schedule, float64(s.TTrunc)/float64(T))}
	switch s.Prior {
	case Entropic:
		if err := f.fitEntropic(data, n, s); err != nil {
			return nil, err
		}
	case Sliced:
		if err := f.fitSliced(data, n, s); err != nil {
			f.Free()
			return nil, err
		}
	}
	f.FitTime = time.Since(start)
	return f, nil
}

// Counter blocks of the fit's Philox streams (one seed, disjoint ranges).
const (
	streamIndex  = 1 << 40
	streamNoise  = 2 << 40
	streamSource = 3 << 40
	streamDirs   = 4 << 40
)

// targets returns k samples of q(x_t): data rows drawn uniformly (Philox
// uniforms of seed at counters streamIndex + off + i) pushed forward with
// normals at streamNoise + off*d + ...
func targets(data []float64, n, d, k int, at diffusion.Time, seed, off uint64) []float64 {
	out := make([]float64, k*d)
	for i := 0; i < k; i++ {
		j := int(compute.UniformAt(seed, streamIndex+off+uint64(i)) * float64(n))
		j = min(j, n-1)
		for c := 0; c < d; c++ {
			z := compute.NormalAt(seed, streamNoise+off*uint64(d)+uint64(i*d+c))
			out[i*d+c] = at.Alpha*data[j*d+c] + at.Sigma*z
		}
	}
	return out
}

func normals(k, d int, seed, off uint64) []float64 {
	out := make([]float64, k*d)
	for i := range out {
		out[i] = compute.NormalAt(seed, off+uint64(i))
	}
	return out
}

func (f *Fitted) fitEntropic(data []float64, n int, s Settings) error {
	k, d := s.FitSamples, f.D
	y := targets(data, n, d, k, f.Time, s.Seed, 0)
	z := normals(k, d, s.Seed, streamSource)
	set := s.Sinkhorn
	set.Eps = s.EpsFrac * totalVariance(y, k, d)
	if set.Tol == 0 {
		set.Tol = 1e-3
	}
	if set.Scaling == 0 && set.F == nil && set.G == nil {
		set.Scaling = 0.5
	}
	if set.MaxIter == 0 {
		set.MaxIter = ot.DefaultMaxIter
	}
	done := 0
	if s.Progress != nil {
		callers := set.Progress
		set.Progress = func(iter, maxIter int, residual float64) {
			if callers != nil {
				callers(iter, maxIter, residual)
			}
			if iter > done && iter <= set.MaxIter {
				done = iter
				s.Progress(PhaseSinkhorn, done, set.MaxIter)
			}
		}
	}
	r, err := ot.Sinkhorn(f.be, ot.Problem{X: z, Y: y, N: k, M: k, D: d}, set)
	if err != nil {
		return err
	}
	if s.Progress != nil && done < set.MaxIter {
		s.Progress(PhaseSinkhorn, set.MaxIter, set.MaxIter)
	}
	f.Entropic = r
	return nil
}

// totalVariance is E|r - mean(r)|^2 of m points in dimension d.
func totalVariance(r []float64, m, d int) float64 {
	v := 0.0
	for c := 0; c < d; c++ {
		mean := 0.0
		for j := 0; j < m; j++ {
			mean += r[j*d+c]
		}
		mean /= float64(m)
		for j := 0; j < m; j++ {
			v += (r[j*d+c] - mean) * (r[j*d+c] - mean)
		}
	}
	return v / float64(m)
}

// Sample writes n samples of the prior into x (n x D on the prior's
// backend), from the Philox normals of seed at counters [0, n D) (the
// same start diffusion.InitialNoise gives the Gaussian prior).
func (f *Fitted) Sample(x compute.Array, n int, seed uint64) error {
	if x == nil || n < 1 || x.Len() != n*f.D {
		return badInput("x must hold n x d = %d x %d values", n, f.D)
	}
	if err := f.be.Normal(x, seed, 0); err != nil {
		return err
	}
	switch f.Prior {
	case Entropic:
		if f.Entropic == nil {
			return badInput("entropic prior not fitted")
		}
		z := make([]float64, n*f.D)
		if err := f.be.Read(z, x); err != nil {
			return err
		}
		tz, err := f.Entropic.Transport(f.be, z)
		if err != nil {
			return err
		}
		return f.be.Write(x, tz)
	case Sliced:
		if f.net == nil {
			return badInput("sliced prior not fitted or freed")
		}
		g, err := f.be.Alloc(n * f.D)
		if err != nil {
			return err
		}
		defer f.be.Free(g)
		if err := f.net.Forward(g, x, nil, n); err != nil {
			return err
		}
		sum, err := f.be.Alloc(n * f.D)
		if err != nil {
			return err
		}
		defer f.be.Free(sum)
		if err := f.be.Map(sum, compute.MapArgs{Op: compute.OpAxpby, X: x, Y: g, A: 1, B: 1}); err != nil {
			return err
		}
		return f.be.Copy(x, sum)
	}
	return nil
}

// SampleReverse draws n samples into x: the prior at t = TTrunc/T, then
// the reverse process from there with model and the sampler settings set
// (set.TStart is set to the prior's time; set.Times, if given, must start
// there). steps = 0 is allowed and means no sampler step: the model's
// denoised estimate at t (one NFE). It returns the sampler's result.
func (f *Fitted) SampleReverse(model diffusion.Model, sched diffusion.Schedule, x compute.Array, n int, seed uint64, set diffusion.Settings) (diffusion.Result, error) {
	if model == nil || sched == nil {
		return diffusion.Result{}, badInput("model and schedule must be set")
	}
	if model.Dim() != f.D {
		return diffusion.Result{}, badInput("model dimension %d, prior dimension %d", model.Dim(), f.D)
	}
	if err := f.Sample(x, n, seed); err != nil {
		return diffusion.Result{}, err
	}
	if set.Times != nil && set.Times[0] != f.Time.T {
		return diffusion.Result{}, badInput("Times[0] = %g, want the prior's time %g", set.Times[0], f.Time.T)
	}
	if set.Times == nil && set.Steps == 0 {
		tmp, err := f.be.Alloc(n * f.D)
		if err != nil {
			return diffusion.Result{}, err
		}
		defer f.be.Free(tmp)
		if err := diffusion.Denoise(f.be, model, tmp, x, n, f.Time); err != nil {
			return diffusion.Result{}, err
		}
		return diffusion.Result{NFE: 1, Times: []float64{f.Time.T}}, f.be.Copy(x, tmp)
	}
	set.TStart = f.Time.T
	return diffusion.Sample(f.be, model, sched, x, n, set)
}
