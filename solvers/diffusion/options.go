package diffusion

import (
	"math"
	"slices"
	"strings"

	"github.com/otplay/otplay/compute"
)

// Sampler options of the seed code (SPOT's predictor-corrector sampler,
// FastSB-OT's dynamic thresholding and score scaling), each derived from
// its paper. They apply to every fixed-step sampler (not ODEAdaptive,
// whose error control assumes the plain ODE); RESULTS.md measures each.

// Corrector names a corrector run after every predictor step of Sample
// (predictor-corrector sampling, Song et al. 2021, "Score-Based
// Generative Modeling through Stochastic Differential Equations",
// section 4.2 and Alg. 5).
type Corrector int

const (
	// NoCorrector is plain sampling.
	NoCorrector Corrector = iota
	// Langevin runs CorrectorSteps steps of Langevin MCMC at the new time
	// t with the step size of Song et al. 2021, Alg. 5 (VP):
	//
	//	z ~ N(0, I),  g = score(x, t) = (alpha_t D(x, t) - x) / sigma_t^2,
	//	e = 2 a (r |z| / |g|)^2,  x <- x + e g + sqrt(2 e) z,
	//
	// with r = SNR (default DefaultSNR) and a = 1 - beta = abar_t /
	// abar_{t - 1/1000} (their alpha_i of the 1000-step discretisation).
	// |z| and |g| are norms over the whole batch (their code averages
	// per-sample norms; the ratio is the same up to the spread across
	// samples). One model evaluation per step. (The seed's
	// LangevinCorrector uses e = 2 (r sigma_t)^2, the same step when
	// |g| = |z| / sigma_t, i.e. for a Gaussian of variance sigma_t^2.)
	Langevin
	// Tweedie moves x part of the way to the mean that Tweedie's formula
	// (Robbins 1956; Efron 2011, eq. (2.8)) gives for the clean signal,
	// x <- (1 - m) x + m alpha_t E[x_0 | x_t = x], with m = TweedieMix
	// (default 0.5, the seed's TweedieCorrector). One model evaluation.
	// It is not an MCMC step: it shrinks the noise part of x, so the
	// state no longer has the marginal of time t (RESULTS.md measures
	// what that costs).
	Tweedie
	// Adaptive is the seed's AdaptiveCorrector: with the relative change
	// of the predictor step, err = |x_t - x_prev| / |x_t|, it runs
	// min(floor(sqrt(err / AdaptiveTol)), 3) Langevin steps when err >
	// AdaptiveTol (default DefaultAdaptiveTol) and none otherwise.
	Adaptive
)

var correctorNames = [...]string{"none", "langevin", "tweedie", "adaptive"}

// CorrectorNames lists the names ParseCorrector accepts.
func CorrectorNames() []string { return append([]string(nil), correctorNames[:]...) }

func (c Corrector) String() string {
	if c < 0 || int(c) >= len(correctorNames) {
		return "Corrector(?)"
	}
	return correctorNames[c]
}

// ParseCorrector returns the Corrector of a name ("none", "langevin",
// "tweedie", "adaptive"; "" is none).
func ParseCorrector(name string) (Corrector, error) {
	if name == "" {
		return NoCorrector, nil
	}
	for i, n := range correctorNames {
		if strings.EqualFold(n, name) {
			return Corrector(i), nil
		}
	}
	return 0, inputErr("unknown corrector %q (valid: %s)", name, strings.Join(correctorNames[:], ", "))
}

// Defaults of the corrector settings.
const (
	// DefaultSNR is Langevin's r: 0.16, the value of Song et al. 2021's
	// configurations (and of the seed's LangevinCorrector).
	DefaultSNR = 0.16
	// DefaultTweedieMix is Tweedie's m (the seed's mixing = 0.5).
	DefaultTweedieMix = 0.5
	// DefaultAdaptiveTol is Adaptive's threshold (the seed's
	// error_threshold = 0.1).
	DefaultAdaptiveTol = 0.1
	// maxAdaptiveSteps is the seed's max_corrections.
	maxAdaptiveSteps = 3
	// correctorKey offsets the Philox key of the corrector's noise from
	// the sampler's (Settings.Seed), so the two streams never overlap.
	correctorKey = 0x9e3779b97f4a7c15
)

// validateOptions checks the corrector, thresholding and score-scaling
// settings and fills their defaults.
func validateOptions(set *Settings) error {
	if set.Corrector < 0 || int(set.Corrector) >= len(correctorNames) {
		return inputErr("unknown corrector %d", int(set.Corrector))
	}
	if set.Corrector != NoCorrector && set.Sampler == ODEAdaptive {
		return inputErr("corrector %v: not with ode-adaptive (its error control assumes the plain ODE); use a fixed-step sampler", set.Corrector)
	}
	if set.Hierarchical.On {
		if set.Sampler == ODEAdaptive {
			return inputErr("hierarchical smoothing: not with ode-adaptive (its error control assumes the plain ODE); use a fixed-step sampler")
		}
		if err := validateHierarchical(&set.Hierarchical); err != nil {
			return err
		}
	}
	if set.CorrectorSteps == 0 {
		set.CorrectorSteps = 1
	}
	if set.SNR == 0 {
		set.SNR = DefaultSNR
	}
	if set.TweedieMix == 0 {
		set.TweedieMix = DefaultTweedieMix
	}
	if set.AdaptiveTol == 0 {
		set.AdaptiveTol = DefaultAdaptiveTol
	}
	if set.ThresholdBound == 0 {
		set.ThresholdBound = 1
	}
	if set.ScoreScale == 0 {
		set.ScoreScale = 1
	}
	pos := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
	switch {
	case set.CorrectorSteps < 1 || set.CorrectorSteps > 1000:
		return inputErr("corrector steps = %d outside [1, 1000]", set.CorrectorSteps)
	case !pos(set.SNR):
		return inputErr("snr = %v must be positive and finite", set.SNR)
	case !(set.TweedieMix > 0 && set.TweedieMix <= 1):
		return inputErr("tweedie mix = %v outside (0, 1]", set.TweedieMix)
	case !pos(set.AdaptiveTol):
		return inputErr("adaptive tolerance = %v must be positive and finite", set.AdaptiveTol)
	case !(set.Threshold >= 0 && set.Threshold <= 1):
		return inputErr("threshold percentile = %v outside [0, 1] (0: off)", set.Threshold)
	case !pos(set.ThresholdBound):
		return inputErr("threshold bound = %v must be positive and finite", set.ThresholdBound)
	case !pos(set.ScoreScale):
		return inputErr("score scale = %v must be positive and finite", set.ScoreScale)
	}
	return nil
}

// wrapModel applies score scaling and dynamic thresholding to model; the
// returned function frees the wrappers' scratch.
func wrapModel(b compute.Backend, model Model, set Settings) (Model, func()) {
	var sc *scaledScore
	if set.ScoreScale != 1 {
		sc = &scaledScore{b: b, inner: model, k: set.ScoreScale}
		model = sc
	}
	if set.Threshold > 0 {
		model = &thresholded{b: b, inner: model, p: set.Threshold, bound: set.ThresholdBound}
	}
	return model, func() {
		if sc != nil && sc.den != nil {
			b.Free(sc.den)
		}
	}
}

// scaledScore is the model whose score is k times inner's (the seed's
// guidance_scale, "score direction scaling, not CFG"): the score of
// p_t^k up to normalisation, a temperature 1/k (Dhariwal and Nichol 2021,
// section 4.1, scale a gradient of log p by s to sample p^s; Ho and
// Salimans 2022, eq. (7), the same with the unconditional model). From
// score = (alpha D - x) / sigma^2, k score is the score of the denoiser
//
//	D_k = (1 - k) x / alpha + k D,
//
// which is Guided with the "model" x / alpha (score 0) in the
// unconditional slot. k > 1 sharpens modes, k < 1 flattens them.
type scaledScore struct {
	b     compute.Backend
	inner Model
	k     float64
	den   compute.Array
}

func (m *scaledScore) Dim() int               { return m.inner.Dim() }
func (m *scaledScore) Prediction() Prediction { return PredictData }
func (m *scaledScore) Predict(dst, x compute.Array, n int, at Time) error {
	if err := checkTime("score scale", at); err != nil {
		return err
	}
	if m.den == nil || m.den.Len() != n*m.Dim() {
		m.b.Free(m.den)
		var err error
		if m.den, err = m.b.Alloc(n * m.Dim()); err != nil {
			m.den = nil
			return err
		}
	}
	if err := Denoise(m.b, m.inner, m.den, x, n, at); err != nil {
		return err
	}
	return m.b.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: x, Y: m.den, A: (1 - m.k) / at.Alpha, B: m.k})
}

// thresholded is dynamic thresholding (Saharia et al. 2022, "Photorealistic
// Text-to-Image Diffusion Models with Deep Language Understanding"
// (Imagen), section 2.3): at every model evaluation, for each sample, s =
// the p-th percentile of |x_0 prediction| over its coordinates; if s > R
// (R = 1 in the paper, for data in [-1, 1]) the prediction is clipped to
// [-s, s] and scaled by R/s, so it stays in [-R, R]:
//
//	x_0 <- clip(x_0, -s, s) R / s,   s = max(R, percentile_p |x_0|).
//
// The paper's form is R = 1; a bound R is the same rule for data in
// [-R, R] (the operation commutes with scaling the data by R). The
// percentile interpolates linearly between order statistics (numpy's
// and torch.quantile's default, the seed's). Each evaluation reads the
// prediction back to the host and writes it again: one round trip per
// model evaluation.
type thresholded struct {
	b        compute.Backend
	inner    Model
	p, bound float64
	host     []float64
	abs      []float64
}

func (m *thresholded) Dim() int               { return m.inner.Dim() }
func (m *thresholded) Prediction() Prediction { return PredictData }
func (m *thresholded) Predict(dst, x compute.Array, n int, at Time) error {
	if err := Denoise(m.b, m.inner, dst, x, n, at); err != nil {
		return err
	}
	d := m.Dim()
	m.host = slices.Grow(m.host[:0], n*d)[:n*d]
	if err := m.b.Read(m.host, dst); err != nil {
		return err
	}
	for i := range n {
		ThresholdRow(m.host[i*d:(i+1)*d], m.p, m.bound, &m.abs)
	}
	return m.b.Write(dst, m.host)
}

// ThresholdRow applies dynamic thresholding (see thresholded) to one
// sample's x_0 prediction in place: s = max(bound, the p-quantile of
// |row|), row = clip(row, -s, s) bound / s. scratch, if not nil, is
// reused for the sorted absolute values.
func ThresholdRow(row []float64, p, bound float64, scratch *[]float64) {
	var abs []float64
	if scratch != nil {
		abs = slices.Grow((*scratch)[:0], len(row))[:len(row)]
		*scratch = abs
	} else {
		abs = make([]float64, len(row))
	}
	for j, v := range row {
		abs[j] = math.Abs(v)
	}
	slices.Sort(abs)
	rank := p * float64(len(abs)-1)
	lo := int(math.Floor(rank))
	hi := min(lo+1, len(abs)-1)
	s := abs[lo] + (abs[hi]-abs[lo])*(rank-float64(lo))
	if !(s > bound) {
		return
	}
	for j, v := range row {
		row[j] = min(max(v, -s), s) * bound / s
	}
}

// correct runs the corrector of the settings on the state r.x at time t
// (after the predictor step from the state now in r.xn).
func (r *run) correct(t float64) error {
	switch r.set.Corrector {
	case Langevin:
		return r.langevin(t, r.set.CorrectorSteps)
	case Tweedie:
		return r.tweedie(t)
	case Adaptive:
		change, err := r.sumSquares(r.x, r.xn, -1)
		if err != nil {
			return err
		}
		norm, err := r.sumSquares(r.x, nil, 0)
		if err != nil {
			return err
		}
		rel := math.Sqrt(change / max(norm, 1e-300))
		if !(rel > r.set.AdaptiveTol) {
			return nil
		}
		k := min(int(math.Sqrt(rel/r.set.AdaptiveTol)), maxAdaptiveSteps)
		return r.langevin(t, k)
	}
	return nil
}

// sumSquares returns sum_i (a_i + c b_i)^2 (b nil: sum a_i^2), reading
// back one number.
func (r *run) sumSquares(a, b compute.Array, c float64) (float64, error) {
	if err := r.ensureCorrectorScratch(); err != nil {
		return 0, err
	}
	src := a
	if b != nil {
		if err := r.b.Map(r.cdiff, compute.MapArgs{Op: compute.OpAxpby, X: a, Y: b, A: 1, B: c}); err != nil {
			return 0, err
		}
		src = r.cdiff
	}
	if err := r.b.Map(r.csq, compute.MapArgs{Op: compute.OpMul, X: src, Y: src, A: 1}); err != nil {
		return 0, err
	}
	return r.b.Sum(r.csq)
}

func (r *run) ensureCorrectorScratch() error {
	if r.csq != nil {
		return nil
	}
	arrs, err := r.allocN(4)
	if err != nil {
		return err
	}
	r.csq, r.cdiff, r.cden, r.cnoise = arrs[0], arrs[1], arrs[2], arrs[3]
	return nil
}

// langevin runs k Langevin corrector steps at time t (see Langevin).
func (r *run) langevin(t float64, k int) error {
	if err := r.ensureCorrectorScratch(); err != nil {
		return err
	}
	at := At(r.s, t)
	a := math.Exp(2 * (r.s.LogAlpha(t) - r.s.LogAlpha(max(t-1.0/DefaultT, 0))))
	nd := uint64(r.n * r.d)
	s2 := at.Sigma * at.Sigma
	for range k {
		if err := r.dn.eval(r.cden, r.x, at); err != nil {
			return err
		}
		// g = (alpha D - x) / sigma^2 into cdiff.
		if err := r.b.Map(r.cdiff, compute.MapArgs{Op: compute.OpAxpby, X: r.x, Y: r.cden, A: -1 / s2, B: at.Alpha / s2}); err != nil {
			return err
		}
		if err := r.b.Normal(r.cnoise, r.set.Seed+correctorKey, r.ncorr*nd); err != nil {
			return err
		}
		r.ncorr++
		gg, err := r.sumSquares(r.cdiff, nil, 0)
		if err != nil {
			return err
		}
		zz, err := r.sumSquares(r.cnoise, nil, 0)
		if err != nil {
			return err
		}
		if !(gg > 0) || math.IsInf(gg, 0) {
			continue // at the mode (or broken): no step
		}
		e := 2 * a * r.set.SNR * r.set.SNR * zz / gg
		if err := r.lin(r.xn, term{1, r.x}, term{e, r.cdiff}, term{math.Sqrt(2 * e), r.cnoise}); err != nil {
			return err
		}
		r.advance()
	}
	return nil
}

// tweedie moves x to (1 - m) x + m alpha_t D(x, t) (see Tweedie).
func (r *run) tweedie(t float64) error {
	if err := r.ensureCorrectorScratch(); err != nil {
		return err
	}
	at := At(r.s, t)
	if err := r.dn.eval(r.cden, r.x, at); err != nil {
		return err
	}
	m := r.set.TweedieMix
	if err := r.lin(r.xn, term{1 - m, r.x}, term{m * at.Alpha, r.cden}); err != nil {
		return err
	}
	r.advance()
	return nil
}
