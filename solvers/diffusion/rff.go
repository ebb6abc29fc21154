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
// is not positive (far from the data, or at small sigma_t where the
// kernel is narrow against the feature noise) the score is set to 0,
// i.e. the denoiser returns x/alpha_t there. The work is done on the
// host (the batch is read back once per evaluation), whatever the backend.
type RFFScoreModel struct {
	b        compute.Backend
	data     []float64 // M x d
	m, d     int
	features int
	seed     uint64
	host     []float64 // scratch: x, then the score
	// Nonpositive counts the points, over all calls, whose estimated
	// density was not positive (score set to 0).
	Nonpositive int
}

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
	return &RFFScoreModel{b: b, data: append([]float64(nil), data...), m: m, d: d, features: features, seed: seed}, nil
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
	r.Nonpositive += s.Score(out, h)
	for _, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("rff: non-finite score at t = %v", at.T)
		}
	}
	return r.b.Write(dst, out)
}
