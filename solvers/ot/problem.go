package ot

import (
	"errors"
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
)

// Problem is a pair of weighted point clouds: N points X (row-major N x D)
// with weights A, and M points Y (M x D) with weights B. A nil weight
// vector means uniform weights 1/N (1/M).
//
// The ground cost is C_ij = |x_i - y_j|^2 by default; P selects
// |x_i - y_j|_2^P instead (P = 1 is POT's ot.dist(x, y, 'euclidean'), a
// general P is ot.dist(x, y, 'euclidean')**P, see compute.Cost). Cost, if
// set, is a dense N x M cost matrix (POT's M, row-major, at most
// MaxCostMatrix entries) that replaces the points: X and Y are then nil
// and D is 0. Methods defined through the points (Divergence, Transport,
// PotentialsAt, EntropicMap) need the squared cost or points.
//
// Weights must be positive and finite. Balanced methods (Sinkhorn,
// Divergence, EntropicMap) refuse total masses that differ by more than
// 1e-9 relative (they never rescale silently); Unbalanced and Partial take
// the masses as given.
type Problem struct {
	X, Y    []float64
	N, M, D int
	A, B    []float64
	P       float64   // exponent of the cost |x - y|_2^P; 0 means 2
	Cost    []float64 // dense N x M cost matrix replacing X and Y, or nil
}

// Settings tunes the entropic solvers. The zero value means the documented
// defaults, set in (Settings).withDefaults.
type Settings struct {
	// Eps is the entropic regularisation eps > 0 in the objective
	// <P, C> + eps KL(P | a x b), in units of the cost (|x - y|^2 by
	// default; POT's reg). 0 means DefaultEps.
	Eps float64
	// MaxIter bounds the number of iterations (one iteration updates both
	// potentials; each eps-scaling stage counts as one). 0 means
	// DefaultMaxIter.
	MaxIter int
	// Tol stops the solver once the residual is <= Tol: the backend's own
	// residual (Result.Errors) first, then the float64 check on the host
	// (Result.Residual), which alone decides Converged. 0 means DefaultTol.
	// A negative Tol never stops early (every MaxIter iteration runs) and
	// Converged is judged against -Tol; NeverStop is the usual value.
	Tol float64
	// CheckEvery is the number of iterations between residual checks
	// (each check reads one number back from the device). 0 means
	// DefaultCheckEvery.
	CheckEvery int
	// Scaling in (0, 1) turns on eps-scaling (annealing) as in GeomLoss
	// (Feydy et al. 2019, sec. 3.3; Schmitzer 2019): one iteration at each
	// eps = diameter^2, diameter^2 Scaling^2, diameter^2 Scaling^4, ...,
	// down to Eps, then iterations at Eps until convergence. diameter is
	// the diagonal of the bounding box of X and Y; for other costs the
	// stages start at their scale instead (diameter^P, or max |C_ij| of a
	// cost matrix; see maxCostOf). GeomLoss's default is
	// 0.5. 0 means no scaling. Ignored when a warm start is given;
	// unsupported by Partial.
	Scaling float64
	// StageTol > 0 makes each eps-scaling stage iterate until the
	// backend's residual is <= StageTol (checked every CheckEvery
	// iterations; the stages share at most half of MaxIter) instead of
	// GeomLoss's single iteration per stage: the annealing of Schmitzer
	// 2019 ("Stabilized sparse scaling algorithms for entropy regularized
	// transport problems", SIAM J. Sci. Comput., sec. 3.2), which solves
	// small eps in float64 where one iteration per stage stalls. Measured
	// on moons:200 vs 8gaussians:200 at eps = 1e-5 (float64): StageTol
	// 1e-3 converges to the exact cost; one iteration per stage is still
	// at marginal error 0.13 after 5000 iterations. 0 means one iteration
	// per stage.
	StageTol float64
	// Symmetric updates both potentials from the previous pair and
	// averages, f <- (f + T(g))/2, g <- (g + T(f))/2 (GeomLoss's
	// symmetric Sinkhorn, Feydy et al. 2019, eq. (19)), instead of the
	// alternating f <- T(g), g <- T(f). Balanced problems only.
	Symmetric bool
	// F and G warm-start the potentials (lengths N and M, in the
	// convention of Result.F/G). nil means zeros.
	F, G []float64
	// TauA and TauB are the KL penalties on the two marginals of
	// Unbalanced (POT's reg_m, a pair in current POT). 0 or +Inf means a
	// hard constraint.
	TauA, TauB float64
	// UnbalancedReg is Unbalanced's entropic term: RegEntropy (the zero
	// value, POT 0.8.2's) or RegKL (current POT's default).
	UnbalancedReg UnbalancedReg
	// Mass is the total mass transported by Partial (POT's m). 0 means
	// min(|a|, |b|).
	Mass float64
	// Progress, if set, is called after each residual check with the
	// iteration count, MaxIter and the residual (for progress bars).
	Progress func(iter, maxIter int, residual float64)
}

// Defaults of Settings, used where a field is zero.
const (
	// DefaultEps suits data of unit scale (GeomLoss's blur 0.1 squared).
	DefaultEps = 0.01
	// DefaultMaxIter is POT's numItermax.
	DefaultMaxIter = 1000
	// DefaultTol is the float64 marginal error a Result must meet to be
	// Converged. float32 backends (the GPU, cpu32) often stop just above
	// it, at their rounding floor (measured: 2.7e-6 on the GPU for
	// moons:200 vs 8gaussians:200 at eps = 0.1), and their Status says so.
	// POT's stopThr is 1e-9; pass Tol = 1e-9 for POT-level precision on
	// the CPU backend.
	DefaultTol = 1e-6
	// DefaultCheckEvery matches POT's check of the error every 10
	// iterations.
	DefaultCheckEvery = 10
	// NeverStop is a Tol that runs all MaxIter iterations and judges
	// Converged against DefaultTol (the CLI's --tol 0).
	NeverStop = -DefaultTol
	// HostCheckPairs bounds the float64 host check of a Result: up to
	// 2^22 pairs (n = m = 2048) every pair is evaluated; above, a uniform
	// sample of rows and columns of about as many pairs, with a bound of
	// the estimate plus 3 standard errors. Measured on the 2-core
	// development VM under a load average of 23 (BenchmarkEvalPlan in
	// package compute): 20 ms at 512 x 512, 0.59 s at 2048 x 2048. In the
	// browser (GOOS=js, one thread) the bound is 2^18 pairs.
	HostCheckPairs = 1 << 22
)

// MaxDense is the largest N*M for which PlanDense materialises the plan.
const MaxDense = 4_000_000

// ErrBadInput wraps every error about the caller's input; use errors.Is.
var ErrBadInput = errors.New("ot: bad input")

// ErrNumerical reports NaN or infinite values appearing while iterating
// (eps too small for the backend's precision, or overflow).
var ErrNumerical = errors.New("ot: numerical failure")

// ErrPrecision reports an eps the backend cannot resolve: rounding the
// costs alone would move every plan entry by more than a factor e
// (compute.Precision.Resolvable). The message names the floor and what to
// do (a larger eps, the float64 backend, or the exact solver).
var ErrPrecision = errors.New("ot: eps below the backend's precision")

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}

// withDefaults returns s with zero fields replaced by their defaults, and
// checks the values.
func (s Settings) withDefaults() (Settings, error) {
	if s.Eps == 0 {
		s.Eps = DefaultEps
	}
	if s.MaxIter == 0 {
		s.MaxIter = DefaultMaxIter
	}
	if s.Tol == 0 {
		s.Tol = DefaultTol
	}
	if s.CheckEvery == 0 {
		s.CheckEvery = DefaultCheckEvery
	}
	if s.TauA == 0 {
		s.TauA = math.Inf(1)
	}
	if s.TauB == 0 {
		s.TauB = math.Inf(1)
	}
	switch {
	case !(s.Eps > 0) || math.IsInf(s.Eps, 0):
		return s, badInput("Eps = %g must be positive and finite", s.Eps)
	case s.MaxIter < 0:
		return s, badInput("MaxIter = %d must be >= 0", s.MaxIter)
	case math.IsNaN(s.Tol):
		return s, badInput("Tol is NaN")
	case s.CheckEvery < 0:
		return s, badInput("CheckEvery = %d must be >= 1", s.CheckEvery)
	case math.IsNaN(s.StageTol) || s.StageTol < 0 || math.IsInf(s.StageTol, 0):
		return s, badInput("StageTol = %g must be 0 (one iteration per stage) or positive", s.StageTol)
	case math.IsNaN(s.Scaling) || s.Scaling < 0 || s.Scaling >= 1:
		return s, badInput("Scaling = %g must be 0 (off) or in (0, 1)", s.Scaling)
	case !(s.TauA > 0):
		return s, badInput("TauA = %g must be positive (or 0/+Inf for a hard constraint)", s.TauA)
	case !(s.TauB > 0):
		return s, badInput("TauB = %g must be positive (or 0/+Inf for a hard constraint)", s.TauB)
	case s.UnbalancedReg != RegEntropy && s.UnbalancedReg != RegKL:
		return s, badInput("UnbalancedReg = %v: want RegEntropy or RegKL", s.UnbalancedReg)
	case math.IsNaN(s.Mass) || s.Mass < 0 || math.IsInf(s.Mass, 0):
		return s, badInput("Mass = %g outside (0, min(|a|, |b|)] (0 means the largest)", s.Mass)
	}
	return s, nil
}

// checked is a validated Problem with explicit weights and their totals.
type checked struct {
	Problem
	massA, massB float64
}

// validate checks p and returns it with explicit weights.
func validate(p Problem) (checked, error) {
	c := checked{Problem: p}
	if p.Cost != nil {
		if err := validateCostMatrix(p); err != nil {
			return c, err
		}
		return validWeights(c)
	}
	if err := validatePower(p.P); err != nil {
		return c, err
	}
	switch {
	case p.N < 1:
		return c, badInput("N = %d: the source cloud X is empty", p.N)
	case p.M < 1:
		return c, badInput("M = %d: the target cloud Y is empty", p.M)
	case p.D < 1:
		return c, badInput("D = %d: dimension must be >= 1", p.D)
	case len(p.X) != p.N*p.D:
		return c, badInput("X has %d values, want N*D = %d*%d", len(p.X), p.N, p.D)
	case len(p.Y) != p.M*p.D:
		return c, badInput("Y has %d values, want M*D = %d*%d", len(p.Y), p.M, p.D)
	}
	if err := checkFinite("X", p.X); err != nil {
		return c, err
	}
	if err := checkFinite("Y", p.Y); err != nil {
		return c, err
	}
	if d2 := compute.SquaredDiameter(p.X, p.Y, p.D); math.IsInf(d2, 0) {
		return c, badInput("the squared distances between the points overflow float64 (the bounding box of X and Y is wider than 1e154): rescale the data")
	}
	return validWeights(c)
}

// validWeights fills in and checks the weights of c.
func validWeights(c checked) (checked, error) {
	p := c.Problem
	var err error
	if c.A, c.massA, err = weights("A", p.A, p.N); err != nil {
		return c, err
	}
	if c.B, c.massB, err = weights("B", p.B, p.M); err != nil {
		return c, err
	}
	return c, nil
}

func checkFinite(name string, v []float64) error {
	for i, t := range v {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return badInput("%s[%d] = %v is not finite", name, i, t)
		}
	}
	return nil
}

// weights returns w (or uniform weights when w is nil) and its total,
// refusing negative, zero and non-finite entries.
func weights(name string, w []float64, n int) ([]float64, float64, error) {
	if w == nil {
		u := make([]float64, n)
		for i := range u {
			u[i] = 1 / float64(n)
		}
		return u, 1, nil
	}
	if len(w) != n {
		return nil, 0, badInput("%s has %d weights for %d points", name, len(w), n)
	}
	total := 0.0
	for i, t := range w {
		if !(t > 0) || math.IsInf(t, 0) {
			return nil, 0, badInput("%s[%d] = %v: weights must be positive and finite (drop zero-weight points)", name, i, t)
		}
		total += t
	}
	return w, total, nil
}

// requireEqualMass refuses a balanced problem whose masses differ.
func requireEqualMass(c checked) error {
	if math.Abs(c.massA-c.massB) > 1e-9*max(c.massA, c.massB) {
		return badInput("A sums to %g and B to %g: balanced OT needs equal total masses (normalise the weights, or use Unbalanced or Partial); nothing was rescaled", c.massA, c.massB)
	}
	return nil
}
