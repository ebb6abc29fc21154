package diffusion

import (
	"fmt"
	"math"

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
// a zero score would give E[x_0|x] = x/alpha_t, hundreds of times x. The work is done on the
// host (the batch is read back once per evaluation), whatever the backend.
type RFFScoreModel struct {
	b        compute.Backend
	data     []float64 // M x d
	m, d     int
	features int
	seed     uint64
	mean     []float64 // d: the data's mean
	variance float64   // the data's mean coordinate variance
	host     []float64 // scratch: x, then the score
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
	r := &RFFScoreModel{b: b, data: append([]float64(nil), data...), m: m, d: d, features: features, seed: seed, mean: make([]float64, d)}
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
	return r, nil
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
	centres := make([]float64, len(r.data))
	for i, v := range r.data {
		centres[i] = at.Alpha * v
	}
	s, err := kernel.NewRFFScore(centres, r.m, r.d, r.features, at.Sigma, r.seed)
	if err != nil {
		return err
	}
	if cap(r.host) < n*r.d {
		r.host = make([]float64, n*r.d)
	}
	h := r.host[:n*r.d]
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
