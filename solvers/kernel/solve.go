package kernel

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
)

// ErrBadArgument is wrapped by every error about the caller's input (it is
// compute.ErrBadArgument).
var ErrBadArgument = compute.ErrBadArgument

// ErrUnstable is wrapped when a scaling-form tier's kernel underflows or
// its scalings leave the floating-point range (eps too small for the
// tier), or a Nystrom kernel is not positive. Use Full instead.
var ErrUnstable = errors.New("kernel: tier numerically unstable at this eps")

// Defaults, used where a Settings field is zero.
const (
	// DefaultMaxIter bounds the Sinkhorn iterations.
	DefaultMaxIter = 1000
	// DefaultTol is the target marginal error |P1 - a|_1 + |P^T 1 - b|_1.
	DefaultTol = 1e-6
	// DefaultCheckEvery: the marginal error is read back every 10
	// iterations (each read waits for the device).
	DefaultCheckEvery = 10
	// DefaultFeatures is r for RFF: kernel error ~ 1/sqrt(r).
	DefaultFeatures = 1000
	// DefaultLandmarks is s for Nystrom (an s x s eigendecomposition on
	// the host, ~0.1 s at s = 500).
	DefaultLandmarks = 500
	// errorPairs is the number of random pairs (i, j) on which the kernel
	// approximation error is measured.
	errorPairs = 512
)

// Problem is balanced entropic OT between two point clouds with cost
// |x - y|^2 (no 1/2).
type Problem struct {
	X, Y []float64 // N x D and M x D, row-major
	N, M int
	D    int
	// A and B are the weights (nil: uniform). Each is normalised to mass 1
	// (balanced OT).
	A, B []float64
	Eps  float64
}

// Settings of Solve. The zero value means the documented defaults.
type Settings struct {
	// Tier forces a tier (default Auto: Choose decides).
	Tier Tier
	// MaxIter (default DefaultMaxIter), Tol (default DefaultTol),
	// CheckEvery (default DefaultCheckEvery). A negative Tol never stops
	// early and judges Converged against -Tol.
	MaxIter    int
	Tol        float64
	CheckEvery int
	// Features is r for RFF (default DefaultFeatures, lowered to fit
	// MemBytes); Landmarks is s for Nystrom (default DefaultLandmarks).
	Features  int
	Landmarks int
	// Seed draws the features or landmarks (default 0).
	Seed uint64
	// MemBytes is the budget for factors (default DefaultMemBytes).
	MemBytes int64
}

func (s Settings) withDefaults() Settings {
	if s.MaxIter == 0 {
		s.MaxIter = DefaultMaxIter
	}
	if s.Tol == 0 {
		s.Tol = DefaultTol
	}
	if s.CheckEvery == 0 {
		s.CheckEvery = DefaultCheckEvery
	}
	if s.Features == 0 {
		s.Features = DefaultFeatures
	}
	if s.Landmarks == 0 {
		s.Landmarks = DefaultLandmarks
	}
	if s.MemBytes == 0 {
		s.MemBytes = DefaultMemBytes
	}
	return s
}

func (s Settings) check() error {
	switch {
	case s.MaxIter < 1:
		return fmt.Errorf("%w: MaxIter = %d must be >= 1", ErrBadArgument, s.MaxIter)
	case math.IsNaN(s.Tol) || math.IsInf(s.Tol, 0):
		return fmt.Errorf("%w: Tol = %g must be finite (negative: never stop early)", ErrBadArgument, s.Tol)
	case s.CheckEvery < 1:
		return fmt.Errorf("%w: CheckEvery = %d must be >= 1", ErrBadArgument, s.CheckEvery)
	case s.Features < 1 || s.Landmarks < 1:
		return fmt.Errorf("%w: Features = %d and Landmarks = %d must be >= 1", ErrBadArgument, s.Features, s.Landmarks)
	}
	return nil
}

// Result of a solve, with the fields of the ot package's result.
type Result struct {
	Tier Tier
	// Reason says why the tier was chosen ("forced" when Settings.Tier was
	// set).
	Reason string
	// F and G are the dual potentials: the plan is
	// P_ij = a_i b_j exp((F_i + G_j - C_ij) / eps) (with the tier's
	// approximate kernel in place of exp(-C/eps) for rff and nystrom).
	F, G []float64
	// U and V are the scalings of the scaling-form tiers (P = diag(U) K~
	// diag(V)), U = a exp(F/eps), V = b exp(G/eps); nil for full and grid.
	U, V []float64
	// Cost is <P, C>, the transport cost of the plan.
	Cost float64
	// Objective is the dual value <a, F> + <b, G> (= <P, C> + eps
	// KL(P | a x b) at convergence).
	Objective float64
	// MarginalError is |P1 - a|_1 + |P^T 1 - b|_1 of the returned plan,
	// measured as Check says: in float64 on the host where affordable
	// (HostCheckPairs, HostFactorFloats).
	MarginalError float64
	Iterations    int
	// Converged says MarginalError <= Tol.
	Converged bool
	// Tol is the tolerance Converged was judged against (|Settings.Tol|).
	Tol float64
	// Precision is the backend's ("float64" or "float32"); PrecisionFloor
	// the relative error its rounding puts on the plan's marginals: for
	// full, machine epsilon max C / eps; for rff and nystrom, the largest
	// cancellation in the kernel products (see factoredCheck); 0 where not
	// measured.
	Precision      string
	PrecisionFloor float64
	// Check says how MarginalError was measured; Status says, in words,
	// whether the solve converged and why not, with what to do.
	Check, Status string
	Time          time.Duration
	// ErrorEstimate is the relative RMS error of the approximate kernel,
	// sqrt(sum (K~ - K)^2 / sum K^2) over 512 random pairs (rff, nystrom);
	// 0 for the exact tiers (full, grid, up to float rounding).
	ErrorEstimate float64
	// Rank is the number of features or landmarks kept (rff, nystrom).
	Rank int
}

func (p Problem) check() error {
	switch {
	case p.N < 1 || p.M < 1:
		return fmt.Errorf("%w: N = %d and M = %d: both sets must be non-empty", ErrBadArgument, p.N, p.M)
	case p.D < 1 || p.D > compute.MaxDim:
		return fmt.Errorf("%w: dimension D = %d outside [1, %d]", ErrBadArgument, p.D, compute.MaxDim)
	case len(p.X) != p.N*p.D:
		return fmt.Errorf("%w: X has %d values, want N*D = %d*%d", ErrBadArgument, len(p.X), p.N, p.D)
	case len(p.Y) != p.M*p.D:
		return fmt.Errorf("%w: Y has %d values, want M*D = %d*%d", ErrBadArgument, len(p.Y), p.M, p.D)
	case !(p.Eps > 0) || math.IsInf(p.Eps, 0):
		return fmt.Errorf("%w: eps = %g must be positive and finite", ErrBadArgument, p.Eps)
	}
	if err := compute.CheckFinite("X", p.X); err != nil {
		return err
	}
	if err := compute.CheckFinite("Y", p.Y); err != nil {
		return err
	}
	if err := checkWeights("A", p.A, p.N); err != nil {
		return err
	}
	return checkWeights("B", p.B, p.M)
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

// normalised returns w / sum(w), or uniform weights for nil.
func normalised(w []float64, n int) []float64 {
	out := make([]float64, n)
	if w == nil {
		for i := range out {
			out[i] = 1 / float64(n)
		}
		return out
	}
	var s float64
	for _, x := range w {
		s += x
	}
	for i, x := range w {
		out[i] = x / s
	}
	return out
}

// logZero stands for log 0 in log-weights: exp(logZero + anything
// reasonable) is exactly 0 in float32 and float64, and it stays finite
// on every backend (WGSL's log(0) is not defined).
const logZero = -1e30

func logs(w []float64) []float64 {
	out := make([]float64, len(w))
	for i, x := range w {
		if x > 0 {
			out[i] = math.Log(x)
		} else {
			out[i] = logZero
		}
	}
	return out
}

// Solve solves balanced entropic OT (DESIGN.md's convention: the plan of
// min <P, C> + eps KL(P | a x b), the same as POT's sinkhorn_log) with the
// tier of s.Tier, or the one Choose picks.
func Solve(be compute.Backend, p Problem, s Settings) (Result, error) {
	if be == nil {
		return Result{}, fmt.Errorf("%w: nil backend", ErrBadArgument)
	}
	if err := p.check(); err != nil {
		return Result{}, err
	}
	s = s.withDefaults()
	if err := s.check(); err != nil {
		return Result{}, err
	}
	tier, reason := s.Tier, "forced by Settings.Tier"
	if tier == Auto {
		tier, reason = Choose(p.N, p.M, p.D, p.Eps, s.MemBytes)
	}
	for {
		var (
			r   Result
			err error
		)
		switch tier {
		case Full:
			r, err = solveFull(be, p, s)
		case RFF, Nystrom:
			r, err = solveFactored(be, p, s, tier)
		case Grid:
			return Result{}, fmt.Errorf("%w: the grid tier takes histograms: use SolveGrid", ErrBadArgument)
		default:
			return Result{}, fmt.Errorf("%w: unknown tier %v", ErrBadArgument, tier)
		}
		if err != nil && s.Tier == Auto && errors.Is(err, ErrUnstable) && tier != Full {
			// Fall back: Nystrom -> RFF (positive, d <= MaxRFFDim) -> Full.
			next := Full
			if tier == Nystrom && p.D <= MaxRFFDim {
				next = RFF
			}
			reason += fmt.Sprintf("; %v was unstable (%v), fell back to %v", tier, err, next)
			tier = next
			continue
		}
		if err != nil {
			return Result{}, err
		}
		r.Tier, r.Reason = tier, reason
		return r, nil
	}
}
