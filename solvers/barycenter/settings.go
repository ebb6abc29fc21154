package barycenter

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// ErrBadInput wraps every error about the caller's input; use errors.Is.
var ErrBadInput = errors.New("barycenter: bad input")

// ErrPrecision reports an eps the backend cannot resolve: machine epsilon
// times the largest cost over eps exceeds 1, so rounding the costs alone
// moves every kernel entry by more than a factor e
// (compute.Precision.Resolvable, as solvers/ot refuses with its
// ErrPrecision).
var ErrPrecision = errors.New("barycenter: eps below the backend's precision")

// ErrNumerical reports NaN or infinite values appearing while iterating.
var ErrNumerical = errors.New("barycenter: numerical failure")

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}

// Settings tunes the iterations. The zero value means the documented
// defaults.
type Settings struct {
	// Eps is the entropic regularisation (POT's reg): the kernel is
	// exp(-C/eps). Required (> 0) for the entropic methods; ignored by
	// FreeSupport.
	Eps float64
	// MaxIter bounds the iterations. 0 means DefaultMaxIter for the
	// Bregman methods and DefaultFreeMaxIter for the free-support ones
	// (POT's numItermax of barycenter_sinkhorn and of
	// free_support_barycenter).
	MaxIter int
	// Tol is POT's stopThr: the Bregman methods stop once Result.Err <=
	// Tol (checked every 10 iterations), the free-support ones once the
	// squared displacement of the support is <= Tol. 0 means DefaultTol
	// or DefaultFreeTol.
	Tol float64
	// InnerTol is the marginal-error tolerance of each Sinkhorn solve of
	// FreeSupportEntropic (solvers/ot's Settings.Tol; each solve runs at
	// most InnerMaxIter iterations). 0 means 1e-9 on float64 backends and
	// 1e-5 on float32 ones, whose rounding floor lies near 1e-6.
	InnerTol float64
	// InnerMaxIter bounds the iterations of each inner Sinkhorn solve. 0
	// means 10000.
	InnerMaxIter int
	// Progress, if set, is called at every check with the iteration, the
	// iteration bound and the current error.
	Progress func(iter, maxIter int, err float64)
}

// Defaults of Settings.
const (
	// DefaultMaxIter is POT's numItermax of barycenter_sinkhorn.
	DefaultMaxIter = 1000
	// DefaultTol is POT's stopThr of barycenter_sinkhorn.
	DefaultTol = 1e-4
	// DefaultFreeMaxIter and DefaultFreeTol are POT's numItermax and
	// stopThr of free_support_barycenter.
	DefaultFreeMaxIter = 100
	DefaultFreeTol     = 1e-7
	// checkEvery is POT's: the error is computed every 10 iterations.
	checkEvery = 10
	// logStab is POT's stabilisation of log(a + 1e-15) (histograms) and
	// log(a + 1e-30) (images, its stabThr).
	histStab = 1e-15
	gridStab = 1e-30
	// weightTol is how far the weights' sum may be from 1 (float32 files
	// sum to 1 within about 1e-7).
	weightTol = 1e-6
)

func (s Settings) withDefaults(maxIter int, tol float64, needEps bool) (Settings, error) {
	if s.MaxIter == 0 {
		s.MaxIter = maxIter
	}
	if s.Tol == 0 {
		s.Tol = tol
	}
	if s.InnerMaxIter == 0 {
		s.InnerMaxIter = 10000
	}
	switch {
	case needEps && (!(s.Eps > 0) || math.IsInf(s.Eps, 0)):
		return s, badInput("eps = %g must be positive and finite", s.Eps)
	case s.MaxIter < 0:
		return s, badInput("MaxIter = %d must be >= 0", s.MaxIter)
	case math.IsNaN(s.Tol) || s.Tol < 0:
		return s, badInput("Tol = %g must be >= 0", s.Tol)
	case math.IsNaN(s.InnerTol) || s.InnerTol < 0:
		return s, badInput("InnerTol = %g must be >= 0", s.InnerTol)
	case s.InnerMaxIter < 0:
		return s, badInput("InnerMaxIter = %d must be >= 0", s.InnerMaxIter)
	}
	return s, nil
}

// Result is a barycenter and how it was reached.
type Result struct {
	// Barycenter is the histogram (n, or H*W row-major) of the Bregman
	// methods, or the K x D support points of the free-support ones.
	Barycenter []float64
	// Weights are the masses of the free-support points (uniform 1/K, as
	// POT's default b); nil for histograms.
	Weights []float64
	// Iterations run (POT's log["niter"] + 1).
	Iterations int
	// Converged says Err <= Tol at a check.
	Converged bool
	// Err is the last stopping criterion measured: POT's err (Bregman
	// methods) or the squared displacement of the support (free support).
	Err float64
	// Tol is the tolerance Err was compared with.
	Tol float64
	// MarginalError is max_k |P_k^T 1 - b|_1 for the Bregman methods,
	// measured in float64 on the host at the last iteration; for free
	// support the largest marginal error of the inner entropic solves (0
	// for exact plans).
	MarginalError float64
	// Objective is sum_k w_k <P_k, C> for free support (the weighted sum
	// of the transport costs to the final support, exact W_2^2 for
	// FreeSupport); 0 for the Bregman methods.
	Objective float64
	// Precision ("float64"/"float32") and PrecisionFloor = machine epsilon
	// max C / eps: marginal errors much below the floor cannot be measured
	// on the backend.
	Precision      string
	PrecisionFloor float64
	// Method names the algorithm ("entropic", "debiased",
	// "convolutional", "convolutional-debiased", "free-support",
	// "free-support-entropic").
	Method string
	// Backend is the Info().Name of the backend that computed, "host" for
	// the float64 host loops.
	Backend string
	// Status is a sentence for people: converged or not, and what to do.
	Status string
	Time   time.Duration
}

func (r *Result) describe() {
	if r.Converged {
		r.Status = fmt.Sprintf("converged in %d iterations: error %.3g <= tol %.3g", r.Iterations, r.Err, r.Tol)
		return
	}
	r.Status = fmt.Sprintf("not converged after %d iterations: error %.3g > tol %.3g (raise MaxIter or eps, or loosen tol)", r.Iterations, r.Err, r.Tol)
	// The floor bounds marginal errors; free support's Tol is on the
	// squared displacement, another quantity.
	if r.PrecisionFloor > 0 && r.Tol < 10*r.PrecisionFloor && !strings.HasPrefix(r.Method, "free-support") {
		r.Status += fmt.Sprintf("; tol is near the %s precision floor %.3g", r.Precision, r.PrecisionFloor)
	}
}

// checkWeights returns w (or uniform weights for nil) after checking
// length k, finiteness, non-negativity and a sum of 1 within weightTol.
func checkWeights(w []float64, k int) ([]float64, error) {
	if w == nil {
		u := make([]float64, k)
		for i := range u {
			u[i] = 1 / float64(k)
		}
		return u, nil
	}
	if len(w) != k {
		return nil, badInput("%d weights for %d measures", len(w), k)
	}
	s := 0.0
	for i, t := range w {
		if !(t >= 0) || math.IsInf(t, 0) {
			return nil, badInput("weights[%d] = %v: weights must be non-negative and finite", i, t)
		}
		s += t
	}
	if math.Abs(s-1) > weightTol {
		return nil, badInput("weights sum to %.9g, want 1 (within %g)", s, weightTol)
	}
	return w, nil
}

// checkHists checks k histograms of n cells each (row-major): finite,
// non-negative, positive and equal masses (within 1e-6 relative).
func checkHists(name string, h []float64, k, n int) error {
	if k < 1 || n < 1 {
		return badInput("%s: %d measures of %d cells", name, k, n)
	}
	if len(h) != k*n {
		return badInput("%s has %d values, want %d x %d", name, len(h), k, n)
	}
	var first float64
	for r := 0; r < k; r++ {
		s := 0.0
		for i, t := range h[r*n : (r+1)*n] {
			if !(t >= 0) || math.IsInf(t, 0) {
				return badInput("%s[%d][%d] = %v: masses must be non-negative and finite", name, r, i, t)
			}
			s += t
		}
		if !(s > 0) {
			return badInput("%s[%d] has no mass", name, r)
		}
		if r == 0 {
			first = s
		} else if math.Abs(s-first) > 1e-6*first {
			return badInput("%s[%d] has mass %.9g but %s[0] has %.9g: normalise them to equal masses", name, r, s, name, first)
		}
	}
	return nil
}

func checkFinite(name string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return badInput("%s[%d] = %v is not finite", name, i, x)
		}
	}
	return nil
}

// stdSum returns POT's err: sum over cells i of the (population) standard
// deviation over k of m[k][i] (K rows of n).
func stdSum(m []float64, k, n int) float64 {
	e := 0.0
	for i := 0; i < n; i++ {
		mean := 0.0
		for r := 0; r < k; r++ {
			mean += m[r*n+i]
		}
		mean /= float64(k)
		v := 0.0
		for r := 0; r < k; r++ {
			d := m[r*n+i] - mean
			v += d * d
		}
		e += math.Sqrt(v / float64(k))
	}
	return e
}

// marginalError returns max_k sum_i |m[k][i] - bar[i]|.
func marginalError(m, bar []float64, k, n int) float64 {
	worst := 0.0
	for r := 0; r < k; r++ {
		e := 0.0
		for i := 0; i < n; i++ {
			e += math.Abs(m[r*n+i] - bar[i])
		}
		worst = math.Max(worst, e)
	}
	return worst
}
