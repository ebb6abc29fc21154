package diffusion

import (
	"math"

	"github.com/otplay/otplay/compute"
)

// Empirical is the exact denoiser of a finite data set {y_j} with weights
// w_j: under the forward process x_t = alpha x_0 + sigma noise with x_0
// drawn from sum_j w_j delta_{y_j}, Bayes' rule gives
//
//	E[x_0 | x_t = x] = sum_j p_j(x) y_j,
//	p_j(x) proportional to w_j exp(-|x - alpha y_j|^2 / (2 sigma^2)),
//
// the posterior mean used as the "optimal denoiser" of Karras et al. 2022
// (EDM, eq. (57)) and of Kadkhodaie et al. 2024. It is one fused
// Backend.SoftMeanY with Y = alpha * data, Eps = 2 sigma^2 = 2 (1 - abar_t),
// the values V = Y / alpha = data (c = 1/alpha, so the GPU reads Y once
// for the cost and the values; SoftMean with V = data below alpha = 1e-6)
// and LogW = log w: O(N M d) work, no N x M matrix. Sampling with
// it reproduces (memorises) the data set as sigma -> 0.
type Empirical struct {
	b      compute.Backend
	data   compute.Array // M x d
	scaled compute.Array // alpha * data, refreshed per call
	logw   compute.Array // M log-weights, or nil (uniform)
	m, d   int
}

// NewEmpirical uploads the data set (m points of dimension d, row-major)
// and its weights (nil: uniform; else m positive finite numbers, any
// total) to b.
func NewEmpirical(b compute.Backend, data []float64, m, d int, weights []float64) (*Empirical, error) {
	if m < 1 || d < 1 || d > compute.MaxDim {
		return nil, inputErr("empirical: m = %d points of dimension d = %d (want m >= 1, 1 <= d <= %d)", m, d, compute.MaxDim)
	}
	if len(data) != m*d {
		return nil, inputErr("empirical: data has %d values, want m*d = %d*%d", len(data), m, d)
	}
	if err := compute.CheckFinite("data", data); err != nil {
		return nil, err
	}
	e := &Empirical{b: b, m: m, d: d}
	var err error
	if weights != nil {
		if len(weights) != m {
			return nil, inputErr("empirical: weights has %d values, want m = %d", len(weights), m)
		}
		lw := make([]float64, m)
		for j, w := range weights {
			if !(w > 0) || math.IsInf(w, 0) {
				return nil, inputErr("empirical: weights[%d] = %v must be positive and finite", j, w)
			}
			lw[j] = math.Log(w)
		}
		if e.logw, err = b.Upload(lw); err != nil {
			return nil, err
		}
	}
	if e.data, err = b.Upload(data); err != nil {
		e.Free()
		return nil, err
	}
	if e.scaled, err = b.Alloc(m * d); err != nil {
		e.Free()
		return nil, err
	}
	return e, nil
}

func (e *Empirical) Dim() int               { return e.d }
func (e *Empirical) Prediction() Prediction { return PredictData }

// Len returns the number of data points.
func (e *Empirical) Len() int { return e.m }

// Predict writes E[x_0 | x_t = x] into dst (see Empirical); sigma must be
// positive (at sigma = 0 the posterior is the nearest data point, a limit
// no sampler here evaluates).
func (e *Empirical) Predict(dst, x compute.Array, n int, at Time) error {
	if err := checkBatch("empirical", dst, x, n, e.d); err != nil {
		return err
	}
	if err := checkTime("empirical", at); err != nil {
		return err
	}
	if err := e.b.Map(e.scaled, compute.MapArgs{Op: compute.OpAxpby, X: e.data, A: at.Alpha}); err != nil {
		return err
	}
	p := compute.Pairs{X: x, Y: e.scaled, N: n, M: e.m, D: e.d, LogW: e.logw, Eps: 2 * at.Sigma * at.Sigma}
	if valuesFromY(at.Alpha) {
		return e.b.SoftMeanY(dst, p, 1/at.Alpha)
	}
	return e.b.SoftMean(dst, p, e.data, e.d)
}

// minAlphaValuesY is the smallest alpha for which the denoisers (Empirical,
// GMM) read their values from the scaled columns Y = alpha y as
// Backend.SoftMeanY(c = 1/alpha): c Y = y exactly in real arithmetic, and
// float32's relative rounding of alpha y carries over to y unchanged.
// Only far below 1e-6 does float32 lose alpha y (subnormal under 1.2e-38 /
// |y|, flushed to 0 on some GPUs) and then c itself (past 3.4e38); alphas
// below 1e-6 (near 0 at the end of some schedules) take SoftMean with the
// values y, a wide margin (c <= 1e6 on the SoftMeanY route).
const minAlphaValuesY = 1e-6

// valuesFromY says whether a denoiser at alpha takes SoftMeanY.
func valuesFromY(alpha float64) bool { return alpha >= minAlphaValuesY && !math.IsInf(alpha, 0) }

// Free releases the backend arrays.
func (e *Empirical) Free() {
	e.b.Free(e.data)
	e.b.Free(e.scaled)
	e.b.Free(e.logw)
}
