package diffusion

import (
	"fmt"
	"math"
	"slices"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/kernel"
)

// RFFScoreModel is the score model of SBDS's "RFF kernel-derivative
// score": the exact score of the diffused empirical data set,
//
//	grad log p_t(x),  p_t(x) = (1/M) sum_j N(x; alpha_t y_j, sigma_t^2 I),
//
// estimated through D random Fourier features (kernel.RFFScore: Rahimi
// and Recht 2007, "Random features for large-scale kernel machines",
// eq. (2), for the features; Sriperumbudur et al. 2017, JMLR 18, sec. 4,
// for the kernel-derivative score). At each time the feature mean of the
// centres alpha_t y_j is refitted with bandwidth sigma_t (O(M D d)), and
// each point then costs O(D d) instead of the Empirical model's O(M d).
// As D grows the score tends to the Empirical model's exactly (the
// feature inner product is an unbiased Monte Carlo estimate of the
// Gaussian kernel with error O(1/sqrt(D))); where the estimated density
// is not ConfidenceZ standard errors above 0 (far from the data, or at
// small sigma_t, where the kernel is narrow and p_t ~ 1/M at a data
// point while the feature noise is ~ 1/sqrt(D): D must grow like M^2
// there; kernel.RFFScore.ScoreConfident) the score falls back to that
// of the data's moment-matched isotropic Gaussian diffused to t,
// -(x - alpha_t m) / (alpha_t^2 v + sigma_t^2) (m the data's mean, v its
// mean coordinate variance): bounded, it keeps such points near their
// place at small sigma_t and pulls far ones in at large sigma_t, where
// a zero score would give E[x_0|x] = x/alpha_t, hundreds of times x.
//
// The work runs on the backend (MatMul, Map with OpSin, OpStep): the
// frequencies W0 (D x d standard normals NormalAt(seed, l(d+1)+c), those
// of kernel.RFFScore before the 1/sigma_t) and phases b stay on the
// device; each call fits c_l = (2/D) (1/M) sum_j cos(alpha_t W0_l . y_j /
// sigma_t + b_l) (an M x D product), then for the batch A = X W0^T /
// sigma_t + b, p = cos(A) c, p2 = cos(A)^2 c^2, G = (-sin(A) * c) W0 /
// sigma_t, and the score G/p where p > ConfidenceZ sqrt(p2), the
// Gaussian fallback elsewhere (a 0/1 mask, no branch). The batch is not
// read back; one number is (Backend.Sum of the mask, for Unreliable, and
// through a 0 * score term non-finite scores are detected there). Scratch:
// M x D and 2 n x D values.
//
// Measured (BenchmarkRFFScoreModel: n = 500, M = 2000, D = 1024, 26 NFE;
// the dev VM, 2 shared cores, no GPU, load ~6): cpu 3.2-3.7 s against
// 1.5-1.8 s for the former host formula; lavapipe 26.9 s against 2.2 s,
// its MatMul of these skinny shapes being slow (0.42 s for the
// 2000 x 2 x 1024 fit product, 0.28 s for the 1 x 2000 x 1024 column sum,
// 0.11 s for the batch's). The point is a real GPU, where the host path
// took 1-29 s (RESULTS.md); not measured there yet. So on the CPU
// backends (Info().Name "cpu": cpu, cpuref, cpu32), where the backend and
// the host are the same cores, Predict computes the former host formula
// (kernel.RFFScore.ScoreConfident and the fallback), measured 2x faster
// there; the backend path serves the GPU.
type RFFScoreModel struct {
	b        compute.Backend
	m, d     int
	features int
	seed     uint64
	onHost   bool      // the host formula (CPU backends)
	hostData []float64 // M x d, for the host formula
	hostX    []float64 // scratch: the batch, then its score
	mean     []float64 // d: the data's mean
	variance float64   // the data's mean coordinate variance

	data, w0, phase, meanDev compute.Array // M x d, D x d, D, d
	fitWeights               compute.Array // 1 x M, all 2/(D M)
	c, c2                    compute.Array // D: the fitted weights and their squares
	fit                      compute.Array // M x D: the centres' features
	// per batch size n (reallocated when n changes)
	n                  int
	cosA, sinA         compute.Array // n x D each
	p, p2, ok, okp     compute.Array // n each
	g, exact, fallback compute.Array // n x d each
	// Unreliable counts the points, over all calls, whose estimated
	// density was not ConfidenceZ standard errors above 0 (Gaussian
	// fallback score).
	Unreliable int
}

// ConfidenceZ is the number of standard errors the RFF density estimate
// must exceed for its score to be used (see RFFScoreModel; 5 measured
// better than 3 on 8gaussians: sliced W2 0.29 against 0.30 at D = 1024,
// 0.41 against 0.61 at D = 8192): without it a
// density estimate just above 0 gives an unbounded score and throws
// points far off (measured: sliced W2 307 on 8gaussians at D = 64).
const ConfidenceZ = 5

// NewRFFScoreModel keeps the data set (m points of dimension d) for an
// RFF score with the given number of features and frequency seed.
func NewRFFScoreModel(b compute.Backend, data []float64, m, d, features int, seed uint64) (*RFFScoreModel, error) {
	if b == nil {
		return nil, inputErr("rff: nil backend")
	}
	return newRFFScoreModel(b, data, m, d, features, seed, b.Info().Name == "cpu")
}

// newRFFScoreModel is NewRFFScoreModel with the path chosen (onHost: the
// host formula; else the backend's kernels, which the tests also run on
// the CPU backend).
func newRFFScoreModel(b compute.Backend, data []float64, m, d, features int, seed uint64, onHost bool) (*RFFScoreModel, error) {
	if m < 1 || d < 1 || d > compute.MaxDim {
		return nil, inputErr("rff: m = %d points of dimension d = %d (want m >= 1, 1 <= d <= %d)", m, d, compute.MaxDim)
	}
	if len(data) != m*d {
		return nil, inputErr("rff: data has %d values, want m*d = %d*%d", len(data), m, d)
	}
	if features < 1 || features > 1<<20 {
		return nil, inputErr("rff: %d features (want 1 .. 2^20)", features)
	}
	if err := compute.CheckFinite("data", data); err != nil {
		return nil, err
	}
	r := &RFFScoreModel{b: b, m: m, d: d, features: features, seed: seed, onHost: onHost, mean: make([]float64, d)}
	for j := range m {
		for c := range d {
			r.mean[c] += data[j*d+c] / float64(m)
		}
	}
	for j := range m {
		for c := range d {
			dv := data[j*d+c] - r.mean[c]
			r.variance += dv * dv / float64(m*d)
		}
	}
	if onHost {
		r.hostData = append([]float64(nil), data...)
		return r, nil
	}
	w0 := make([]float64, features*d)
	phase := make([]float64, features)
	for l := range features {
		for c := range d {
			w0[l*d+c] = compute.NormalAt(seed, uint64(l*(d+1)+c))
		}
		phase[l] = 2 * math.Pi * compute.UniformAt(seed^0x5bd1e995, uint64(l))
	}
	fitWeights := make([]float64, m)
	for j := range fitWeights {
		fitWeights[j] = 2 / (float64(features) * float64(m))
	}
	var err error
	for _, u := range []struct {
		dst *compute.Array
		v   []float64
	}{{&r.data, data}, {&r.w0, w0}, {&r.phase, phase}, {&r.meanDev, r.mean}, {&r.fitWeights, fitWeights}} {
		if *u.dst, err = b.Upload(u.v); err != nil {
			r.Free()
			return nil, err
		}
	}
	for _, u := range []struct {
		a   *compute.Array
		len int
	}{{&r.c, features}, {&r.c2, features}, {&r.fit, m * features}} {
		if *u.a, err = b.Alloc(u.len); err != nil {
			r.Free()
			return nil, err
		}
	}
	return r, nil
}

// Free releases the backend arrays.
func (r *RFFScoreModel) Free() {
	r.freeBatch()
	for _, a := range []*compute.Array{&r.data, &r.w0, &r.phase, &r.meanDev, &r.fitWeights, &r.c, &r.c2, &r.fit} {
		if *a != nil {
			r.b.Free(*a)
			*a = nil
		}
	}
}

func (r *RFFScoreModel) freeBatch() {
	for _, a := range []*compute.Array{&r.cosA, &r.sinA, &r.p, &r.p2, &r.ok, &r.okp, &r.g, &r.exact, &r.fallback} {
		if *a != nil {
			r.b.Free(*a)
			*a = nil
		}
	}
	r.n = 0
}

// scratch sizes the per-batch arrays for n points.
func (r *RFFScoreModel) scratch(n int) error {
	if n == r.n {
		return nil
	}
	r.freeBatch()
	D, d := r.features, r.d
	for _, u := range []struct {
		a   *compute.Array
		len int
	}{{&r.cosA, n * D}, {&r.sinA, n * D}, {&r.p, n}, {&r.p2, n}, {&r.ok, n}, {&r.okp, n},
		{&r.g, n * d}, {&r.exact, n * d}, {&r.fallback, n * d}} {
		var err error
		if *u.a, err = r.b.Alloc(u.len); err != nil {
			r.freeBatch()
			return err
		}
	}
	r.n = n
	return nil
}

func (r *RFFScoreModel) Dim() int               { return r.d }
func (r *RFFScoreModel) Prediction() Prediction { return PredictScore }

// Predict writes the RFF estimate of grad log p_t(x) into dst.
func (r *RFFScoreModel) Predict(dst, x compute.Array, n int, at Time) error {
	if err := checkBatch("rff", dst, x, n, r.d); err != nil {
		return err
	}
	if err := checkTime("rff", at); err != nil {
		return err
	}
	if r.onHost {
		return r.predictHost(dst, x, n, at)
	}
	if err := r.scratch(n); err != nil {
		return err
	}
	b, m, d, D := r.b, r.m, r.d, r.features
	over := 1 / at.Sigma
	// The fit: c = (2/(D M)) 1^T cos(alpha_t Y W0^T / sigma_t + b).
	if err := b.MatMul(r.fit, r.data, r.w0, m, d, D, false, true); err != nil {
		return err
	}
	if err := b.Map(r.fit, compute.MapArgs{Op: compute.OpSin, X: r.fit, Y: r.phase, YMod: D, A: at.Alpha * over, B: 1, C: math.Pi / 2}); err != nil {
		return err
	}
	if err := b.MatMul(r.c, r.fitWeights, r.fit, 1, m, D, false, false); err != nil {
		return err
	}
	if err := b.Map(r.c2, compute.MapArgs{Op: compute.OpMul, X: r.c, Y: r.c, A: 1}); err != nil {
		return err
	}
	// The batch: A = X W0^T / sigma_t + b (its product in sinA first).
	if err := b.MatMul(r.sinA, x, r.w0, n, d, D, false, true); err != nil {
		return err
	}
	if err := b.Map(r.cosA, compute.MapArgs{Op: compute.OpSin, X: r.sinA, Y: r.phase, YMod: D, A: over, B: 1, C: math.Pi / 2}); err != nil {
		return err
	}
	if err := b.Map(r.sinA, compute.MapArgs{Op: compute.OpSin, X: r.sinA, Y: r.phase, YMod: D, A: over, B: 1}); err != nil {
		return err
	}
	// p = cos(A) c, p2 = cos(A)^2 c^2, G = (-sin(A) * c) W0 / sigma_t.
	if err := b.MatMul(r.p, r.cosA, r.c, n, D, 1, false, false); err != nil {
		return err
	}
	if err := b.Map(r.cosA, compute.MapArgs{Op: compute.OpMul, X: r.cosA, Y: r.cosA, A: 1}); err != nil {
		return err
	}
	if err := b.MatMul(r.p2, r.cosA, r.c2, n, D, 1, false, false); err != nil {
		return err
	}
	if err := b.Map(r.sinA, compute.MapArgs{Op: compute.OpMul, X: r.sinA, Y: r.c, YMod: D, A: -1}); err != nil {
		return err
	}
	if err := b.MatMul(r.g, r.sinA, r.w0, n, D, d, false, false); err != nil {
		return err
	}
	// ok = [p - z sqrt(p2) > 0]; okp = ok p + 1 - ok (p where ok, else 1,
	// so that G/okp is finite everywhere).
	if err := b.Map(r.p2, compute.MapArgs{Op: compute.OpSqrt, X: r.p2, A: 1}); err != nil {
		return err
	}
	if err := b.Map(r.ok, compute.MapArgs{Op: compute.OpStep, X: r.p, Y: r.p2, A: 1, B: -ConfidenceZ}); err != nil {
		return err
	}
	if err := b.Map(r.okp, compute.MapArgs{Op: compute.OpMul, X: r.ok, Y: r.p, A: 1}); err != nil {
		return err
	}
	if err := b.Map(r.okp, compute.MapArgs{Op: compute.OpAxpby, X: r.okp, Y: r.ok, A: 1, B: -1, C: 1}); err != nil {
		return err
	}
	// exact = ok G / (sigma_t okp); fallback = (1 - ok) (-(x - alpha_t m) / spread).
	if err := b.Map(r.exact, compute.MapArgs{Op: compute.OpDiv, X: r.g, Y: r.okp, YDiv: d, A: over}); err != nil {
		return err
	}
	if err := b.Map(r.exact, compute.MapArgs{Op: compute.OpMul, X: r.exact, Y: r.ok, YDiv: d, A: 1}); err != nil {
		return err
	}
	spread := at.Alpha*at.Alpha*r.variance + at.Sigma*at.Sigma
	if err := b.Map(r.fallback, compute.MapArgs{Op: compute.OpAxpby, X: x, Y: r.meanDev, YMod: d, A: -1 / spread, B: at.Alpha / spread}); err != nil {
		return err
	}
	if err := b.Map(r.g, compute.MapArgs{Op: compute.OpMul, X: r.fallback, Y: r.ok, YDiv: d, A: -1}); err != nil {
		return err
	}
	if err := b.Map(r.fallback, compute.MapArgs{Op: compute.OpAxpby, X: r.fallback, Y: r.g, A: 1, B: 1}); err != nil {
		return err
	}
	if err := b.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: r.exact, Y: r.fallback, A: 1, B: 1}); err != nil {
		return err
	}
	// The one read-back: sum of ok (d times) + 0 * score, NaN if any
	// score is not finite.
	if err := b.Map(r.g, compute.MapArgs{Op: compute.OpAxpby, X: dst, Y: r.ok, YDiv: d, B: 1}); err != nil {
		return err
	}
	sum, err := b.Sum(r.g)
	if err != nil {
		return err
	}
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		return fmt.Errorf("rff: non-finite score at t = %v", at.T)
	}
	r.Unreliable += n - int(math.Round(sum/float64(d)))
	return nil
}

// predictHost is Predict by the host formula (kernel.RFFScore, the
// confidence floor and the Gaussian fallback), for the CPU backends.
func (r *RFFScoreModel) predictHost(dst, x compute.Array, n int, at Time) error {
	centres := make([]float64, len(r.hostData))
	for i, v := range r.hostData {
		centres[i] = at.Alpha * v
	}
	s, err := kernel.NewRFFScore(centres, r.m, r.d, r.features, at.Sigma, r.seed)
	if err != nil {
		return err
	}
	h := slices.Grow(r.hostX[:0], n*r.d)[:n*r.d]
	r.hostX = h
	if err := r.b.Read(h, x); err != nil {
		return err
	}
	out := make([]float64, n*r.d)
	ok := make([]bool, n)
	r.Unreliable += s.ScoreConfident(out, h, ConfidenceZ, ok)
	spread := at.Alpha*at.Alpha*r.variance + at.Sigma*at.Sigma
	for i, good := range ok {
		if !good {
			for c := range r.d {
				out[i*r.d+c] = -(h[i*r.d+c] - at.Alpha*r.mean[c]) / spread
			}
		}
	}
	for _, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("rff: non-finite score at t = %v", at.T)
		}
	}
	return r.b.Write(dst, out)
}
