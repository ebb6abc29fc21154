package barycenter

import (
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/kernel"
)

// Images are K images (histograms) on one regular H x W grid, and the
// weights of their barycenter.
type Images struct {
	// Images holds the K images row-major, K x H x W (POT's A). Non-
	// negative, finite, equal masses.
	Images  []float64
	K, H, W int
	// Weights are the barycentric weights (K, non-negative, sum 1); nil
	// means uniform.
	Weights []float64
}

// Convolutional computes the entropic barycenter of images by Bregman
// projections whose Gibbs kernel is a separable Gaussian convolution
// (Solomon et al. 2015, "Convolutional Wasserstein Distances", Algorithm
// 2), in the log domain: POT's convolutional_barycenter2d(A, reg, weights,
// method="sinkhorn_log"). It is Entropic's iteration with the kernel
// applied by kernel.GridConvolver on the backend (two 1-D convolutions,
// O(H W (H + W)) per application; pixels of each axis at linspace(0, 1,
// n)), images stabilised as log(a + 1e-30). The arrays stay on the
// backend; every 10 iterations (POT's check) the potentials are read back
// and the error measured in float64 on the host.
//
// On float32 backends kernel entries below exp(-69) of a row's largest
// are floored (see kernel.GridConvolver): for eps < 1/69 the barycenter
// differs from float64 results in the far tails; Status says so.
func Convolutional(be compute.Backend, p Images, s Settings) (*Result, error) {
	return convBarycenter(be, p, s, false)
}

// ConvolutionalDebiased is Convolutional with the debiasing potential of
// Janati et al. 2020 (Algorithm 1), POT's
// convolutional_barycenter2d_debiased(..., method="sinkhorn_log"): after
// each update log b += c, then 10 steps c = (c + log b - Conv(c)) / 2.
// POT stops only after iteration 21.
func ConvolutionalDebiased(be compute.Backend, p Images, s Settings) (*Result, error) {
	return convBarycenter(be, p, s, true)
}

// gridArrays allocates and frees a solve's backend arrays.
type gridArrays struct {
	be   compute.Backend
	list []compute.Array
	err  error
}

func (ga *gridArrays) upload(v []float64) compute.Array {
	if ga.err != nil {
		return nil
	}
	a, err := ga.be.Upload(v)
	if err != nil {
		ga.err = fmt.Errorf("barycenter: upload of %d values: %w", len(v), err)
		return nil
	}
	ga.list = append(ga.list, a)
	return a
}

func (ga *gridArrays) free() {
	for _, a := range ga.list {
		ga.be.Free(a)
	}
}

func convBarycenter(be compute.Backend, p Images, s Settings, debiased bool) (*Result, error) {
	start := time.Now()
	if be == nil {
		return nil, badInput("nil backend")
	}
	s, err := s.withDefaults(DefaultMaxIter, DefaultTol, true)
	if err != nil {
		return nil, err
	}
	k, h, w := p.K, p.H, p.W
	if h < 2 || w < 2 || h > kernel.MaxGridSide || w > kernel.MaxGridSide {
		return nil, badInput("grid %d x %d: sides must be in [2, %d]", h, w, kernel.MaxGridSide)
	}
	n := h * w
	if err := checkHists("images", p.Images, k, n); err != nil {
		return nil, err
	}
	wts, err := checkWeights(p.Weights, k)
	if err != nil {
		return nil, err
	}
	prec := compute.PrecisionOf(be.Info())
	const maxC = 2 // the unit square's squared diagonal
	if !prec.Resolvable(maxC, s.Eps) {
		return nil, precisionError(s.Eps, maxC, prec)
	}
	conv, err := kernel.NewGridConvolver(be, h, w, 1/float64(h-1), 1/float64(w-1), s.Eps)
	if err != nil {
		return nil, fmt.Errorf("barycenter: %w", err)
	}
	defer conv.Free()
	res := &Result{Method: "convolutional", Backend: be.Info().Name, Precision: prec.Name,
		PrecisionFloor: prec.Floor(maxC, s.Eps), Tol: s.Tol}
	if debiased {
		res.Method = "convolutional-debiased"
	}
	b := bregman{be: be, k: k, n: n, weights: wts, s: s, debiased: debiased, stab: gridStab,
		checkAt: checkEvery - 1, apply: conv.Apply}
	if err := b.run(p.Images, res); err != nil {
		return nil, err
	}
	if prec.Name != "float64" && 1/s.Eps > -math.Log(1e-30) {
		res.Status += fmt.Sprintf("; on %s the kernel is floored at exp(-69) of each row's largest entry (eps = %g < 1/69), so the far tails differ from a float64 run", prec.Name, s.Eps)
	}
	res.Time = time.Since(start)
	return res, nil
}

// bregman is the log-domain iteration of iterative Bregman projections
// (Benamou et al. 2015; debiased: Janati et al. 2020, Algorithm 1) on a
// backend, for any kernel given as apply(dst, l) = log sum_q exp(l_q -
// C(p, q)/eps) (symmetric costs): the grid convolution or the fused
// soft-min over support points. The schedule is POT's: the error
// is measured (in float64 on the host, after reading the potentials back)
// at iterations it with it % 10 == checkAt (0-based), and at the last.
type bregman struct {
	be       compute.Backend
	k, n     int
	weights  []float64
	s        Settings
	debiased bool
	stab     float64 // log(a + stab)
	checkAt  int
	apply    func(dst, logw compute.Array) error
}

func (b *bregman) run(hists []float64, res *Result) error {
	be, k, n, s := b.be, b.k, b.n, b.s
	ga := &gridArrays{be: be}
	defer ga.free()
	zeros := make([]float64, n)
	logA := make([]compute.Array, k)
	g := make([]compute.Array, k)
	lku := make([]compute.Array, k)
	la := make([]float64, n)
	for r := 0; r < k; r++ {
		for i, v := range hists[r*n : (r+1)*n] {
			la[i] = math.Log(v + b.stab)
		}
		logA[r] = ga.upload(la)
		g[r] = ga.upload(zeros)
		lku[r] = ga.upload(zeros)
	}
	f := ga.upload(zeros)
	logBar := ga.upload(zeros)
	cdeb := ga.upload(zeros)
	tmp := ga.upload(zeros)
	if ga.err != nil {
		return ga.err
	}
	gh, lh := make([]float64, k*n), make([]float64, k*n)
	marg, bar := make([]float64, k*n), make([]float64, n)
	measure := func() error {
		for r := 0; r < k; r++ {
			if err := be.Read(gh[r*n:(r+1)*n], g[r]); err != nil {
				return err
			}
			if err := be.Read(lh[r*n:(r+1)*n], lku[r]); err != nil {
				return err
			}
		}
		if err := be.Read(bar, logBar); err != nil {
			return err
		}
		for i := range bar {
			bar[i] = math.Exp(bar[i])
		}
		for i := range marg {
			marg[i] = math.Exp(gh[i] + lh[i])
		}
		res.Err = stdSum(marg, k, n)
		res.MarginalError = marginalError(marg, bar, k, n)
		return nil
	}
	axpby := func(dst, x, y compute.Array, a, c float64) error {
		return be.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: x, Y: y, A: a, B: c})
	}
	step := func(it int) (done bool, err error) {
		for r := 0; r < k; r++ {
			// f = log a_k - K(g_k); l_k = K(f); log b += w_k l_k.
			if err := b.apply(f, g[r]); err != nil {
				return false, err
			}
			if err := axpby(f, logA[r], f, 1, -1); err != nil {
				return false, err
			}
			if err := b.apply(lku[r], f); err != nil {
				return false, err
			}
			if r == 0 {
				err = axpby(logBar, lku[r], nil, b.weights[r], 0)
			} else {
				err = axpby(logBar, logBar, lku[r], 1, b.weights[r])
			}
			if err != nil {
				return false, err
			}
		}
		if b.debiased {
			if err := axpby(logBar, logBar, cdeb, 1, 1); err != nil {
				return false, err
			}
			// c = (c + log b - K(c)) / 2, ten times (c is read by nothing
			// else this iteration, so doing this before the check is
			// POT's order for images and equivalent for histograms).
			for range 10 {
				if err := b.apply(tmp, cdeb); err != nil {
					return false, err
				}
				if err := axpby(cdeb, cdeb, logBar, 0.5, 0.5); err != nil {
					return false, err
				}
				if err := axpby(cdeb, cdeb, tmp, 1, -0.5); err != nil {
					return false, err
				}
			}
		}
		check := it%checkEvery == b.checkAt
		if check || it == s.MaxIter-1 {
			if err := measure(); err != nil {
				return false, err
			}
			if math.IsNaN(res.Err) || math.IsInf(res.Err, 0) {
				return false, numericalError(res.Method, it+1, s.Eps)
			}
		}
		if check {
			if s.Progress != nil {
				s.Progress(it+1, s.MaxIter, res.Err)
			}
			if res.Err < s.Tol && (!b.debiased || it > 20) {
				res.Converged = true
				return true, nil
			}
		}
		for r := 0; r < k; r++ {
			if err := axpby(g[r], logBar, lku[r], 1, -1); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	for it := 0; it < s.MaxIter; it++ {
		res.Iterations = it + 1
		done, err := step(it)
		if err != nil {
			return fmt.Errorf("barycenter: %s at iteration %d: %w", res.Method, it+1, err)
		}
		if done {
			break
		}
	}
	res.Barycenter = make([]float64, n)
	if err := be.Read(res.Barycenter, logBar); err != nil {
		return fmt.Errorf("barycenter: %w", err)
	}
	for i, v := range res.Barycenter {
		res.Barycenter[i] = math.Exp(v)
	}
	res.describe()
	return nil
}

func precisionError(eps, maxC float64, prec compute.Precision) error {
	hint := ""
	if prec.Name != "float64" {
		hint = " or a float64 backend"
	}
	return fmt.Errorf("%w: eps = %g with costs up to %g: %s rounding moves kernel entries by a factor e^%.3g (machine epsilon max C / eps > 1); use eps >= %.3g%s",
		ErrPrecision, eps, maxC, prec.Name, prec.Floor(maxC, eps), prec.MinEps(maxC, 1), hint)
}

func numericalError(method string, it int, eps float64) error {
	return fmt.Errorf("%w: %s: non-finite error at iteration %d (eps = %g): raise eps", ErrNumerical, method, it, eps)
}
