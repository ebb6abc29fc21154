package diffusion

import (
	"math"

	"github.com/otplay/otplay/compute"
)

// GMM is the exact denoiser of an isotropic Gaussian mixture
// p_0 = sum_k pi_k N(mu_k, s_k^2 I). The forward process keeps it a
// mixture, p_t = sum_k pi_k N(alpha mu_k, v_k I) with v_k = alpha^2 s_k^2 +
// sigma^2, so with responsibilities
//
//	r_k(x) proportional to pi_k v_k^(-d/2) exp(-|x - alpha mu_k|^2 / (2 v_k))
//
// the posterior mean and the score are (Bishop 2006, eq. (2.116) per
// component)
//
//	E[x_0 | x_t = x] = sum_k r_k(x) (mu_k + (alpha s_k^2 / v_k)(x - alpha mu_k)),
//	grad log p_t(x)  = (alpha E[x_0 | x] - x) / sigma^2.
//
// When every s_k is equal the responsibilities are one SoftMeanY on the
// backend (Y = alpha mu, Eps = 2 v, LogW = log pi, V = mu = Y / alpha,
// c = 1/alpha; SoftMean with V = mu below alpha = 1e-6) and
// D = c x + (1 - c alpha) sum_k r_k mu_k with c = alpha s^2 / v. With
// unequal s_k Predict reads x back and evaluates the mixture on the host
// in float64 (one readback per call; fine for the test and teaching sizes
// a mixture model is for).
type GMM struct {
	Weights []float64 // K, normalised
	Means   []float64 // K x d
	Stds    []float64 // K
	d       int

	b      compute.Backend
	means  compute.Array
	scaled compute.Array
	logw   compute.Array
	mean   compute.Array // n x d scratch, grown on demand
	equal  bool
}

// NewGMM returns the mixture of K = len(weights) components in dimension
// d (means K x d row-major, stds K positive) on backend b. Weights must be
// positive; they are normalised.
func NewGMM(b compute.Backend, weights, means, stds []float64, d int) (*GMM, error) {
	k := len(weights)
	switch {
	case k < 1:
		return nil, inputErr("gmm: no components (weights is empty)")
	case d < 1 || d > compute.MaxDim:
		return nil, inputErr("gmm: dimension d = %d outside [1, %d]", d, compute.MaxDim)
	case len(means) != k*d:
		return nil, inputErr("gmm: means has %d values, want K*d = %d*%d", len(means), k, d)
	case len(stds) != k:
		return nil, inputErr("gmm: stds has %d values, want K = %d", len(stds), k)
	}
	if err := compute.CheckFinite("means", means); err != nil {
		return nil, err
	}
	total := 0.0
	for i, w := range weights {
		if !(w > 0) || math.IsInf(w, 0) {
			return nil, inputErr("gmm: weights[%d] = %v must be positive and finite", i, w)
		}
		total += w
	}
	g := &GMM{Weights: make([]float64, k), Means: append([]float64(nil), means...), Stds: append([]float64(nil), stds...), d: d, b: b, equal: true}
	lw := make([]float64, k)
	for i, w := range weights {
		g.Weights[i] = w / total
		lw[i] = math.Log(g.Weights[i])
	}
	for i, s := range stds {
		if !(s >= 0) || math.IsInf(s, 0) {
			return nil, inputErr("gmm: stds[%d] = %v must be >= 0 and finite", i, s)
		}
		if s != stds[0] {
			g.equal = false
		}
	}
	if b == nil {
		return g, nil
	}
	var err error
	if g.means, err = b.Upload(means); err != nil {
		return nil, err
	}
	if g.scaled, err = b.Alloc(k * d); err != nil {
		g.Free()
		return nil, err
	}
	if g.logw, err = b.Upload(lw); err != nil {
		g.Free()
		return nil, err
	}
	return g, nil
}

func (g *GMM) Dim() int               { return g.d }
func (g *GMM) Prediction() Prediction { return PredictData }

// Components returns K.
func (g *GMM) Components() int { return len(g.Weights) }

// Predict writes E[x_0 | x_t = x] into dst (see GMM).
func (g *GMM) Predict(dst, x compute.Array, n int, at Time) error {
	if g.b == nil {
		return inputErr("gmm: made without a backend; use PredictHost")
	}
	if err := checkBatch("gmm", dst, x, n, g.d); err != nil {
		return err
	}
	if err := checkTime("gmm", at); err != nil {
		return err
	}
	if !g.equal {
		xs := make([]float64, n*g.d)
		if err := g.b.Read(xs, x); err != nil {
			return err
		}
		out := make([]float64, n*g.d)
		if err := g.PredictHost(out, xs, at); err != nil {
			return err
		}
		return g.b.Write(dst, out)
	}
	if g.mean == nil || g.mean.Len() != n*g.d {
		g.b.Free(g.mean)
		var err error
		if g.mean, err = g.b.Alloc(n * g.d); err != nil {
			g.mean = nil
			return err
		}
	}
	s2 := g.Stds[0] * g.Stds[0]
	v := at.Alpha*at.Alpha*s2 + at.Sigma*at.Sigma
	c := at.Alpha * s2 / v
	if err := g.b.Map(g.scaled, compute.MapArgs{Op: compute.OpAxpby, X: g.means, A: at.Alpha}); err != nil {
		return err
	}
	p := compute.Pairs{X: x, Y: g.scaled, N: n, M: len(g.Weights), D: g.d, LogW: g.logw, Eps: 2 * v}
	var err error
	if valuesFromY(at.Alpha) {
		err = g.b.SoftMeanY(g.mean, p, 1/at.Alpha) // the means m_k = (alpha m_k) / alpha
	} else {
		err = g.b.SoftMean(g.mean, p, g.means, g.d)
	}
	if err != nil {
		return err
	}
	return g.b.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: x, Y: g.mean, A: c, B: 1 - c*at.Alpha})
}

// PredictHost is Predict in float64 on host slices (the reference the
// backend path is tested against); dst and x hold n x d values.
func (g *GMM) PredictHost(dst, x []float64, at Time) error {
	d, k := g.d, len(g.Weights)
	if len(x)%d != 0 || len(dst) != len(x) || len(x) == 0 {
		return inputErr("gmm: x has %d values and dst %d, want equal multiples of d = %d", len(x), len(dst), d)
	}
	if err := checkTime("gmm", at); err != nil {
		return err
	}
	al, si2 := at.Alpha, at.Sigma*at.Sigma
	logr := make([]float64, k)
	for i := 0; i < len(x)/d; i++ {
		xi := x[i*d : i*d+d]
		mx := math.Inf(-1)
		for c := range k {
			v := al*al*g.Stds[c]*g.Stds[c] + si2
			var r2 float64
			for j, t := range xi {
				u := t - al*g.Means[c*d+j]
				r2 += u * u
			}
			logr[c] = math.Log(g.Weights[c]) - 0.5*float64(d)*math.Log(v) - r2/(2*v)
			mx = max(mx, logr[c])
		}
		var z float64
		for c := range k {
			logr[c] = math.Exp(logr[c] - mx)
			z += logr[c]
		}
		out := dst[i*d : i*d+d]
		clear(out)
		for c := range k {
			v := al*al*g.Stds[c]*g.Stds[c] + si2
			cc := al * g.Stds[c] * g.Stds[c] / v
			r := logr[c] / z
			for j, t := range xi {
				mu := g.Means[c*d+j]
				out[j] += r * (mu + cc*(t-al*mu))
			}
		}
	}
	return nil
}

// ScoreHost writes grad log p_t(x) = (alpha D(x) - x)/sigma^2 into dst.
func (g *GMM) ScoreHost(dst, x []float64, at Time) error {
	if err := g.PredictHost(dst, x, at); err != nil {
		return err
	}
	s2 := at.Sigma * at.Sigma
	for i := range dst {
		dst[i] = (at.Alpha*dst[i] - x[i]) / s2
	}
	return nil
}

// Sample draws n points of p_0 on the host from the Philox stream of seed
// (counters [0, n(d+2))): component by inverse CDF on a uniform, then
// mean + std * normal.
func (g *GMM) Sample(n int, seed uint64) []float64 {
	d := g.d
	out := make([]float64, n*d)
	for i := range n {
		u := compute.UniformAt(seed, uint64(i))
		c, acc := len(g.Weights)-1, 0.0
		for k, w := range g.Weights {
			acc += w
			if u < acc {
				c = k
				break
			}
		}
		for j := range d {
			z := compute.NormalAt(seed, uint64(n+i*d+j))
			out[i*d+j] = g.Means[c*d+j] + g.Stds[c]*z
		}
	}
	return out
}

// GaussianFlow is the exact solution of the probability-flow ODE (Song et
// al. 2021, eq. (13)) for a single Gaussian p_0 = N(mu, s^2 I): the map
// x -> (x - alpha_t mu) / sqrt(v_t), v_t = alpha_t^2 s^2 + sigma_t^2, is
// constant along trajectories, so a point x at time from moves to
//
//	alpha_to mu + sqrt(v_to / v_from) (x - alpha_from mu)
//
// at time to. It is the reference of the samplers' order tests.
func GaussianFlow(dst, x, mu []float64, s float64, from, to Time) {
	d := len(mu)
	vf := from.Alpha*from.Alpha*s*s + from.Sigma*from.Sigma
	vt := to.Alpha*to.Alpha*s*s + to.Sigma*to.Sigma
	r := math.Sqrt(vt / vf)
	for i := range x {
		m := mu[i%d]
		dst[i] = to.Alpha*m + r*(x[i]-from.Alpha*m)
	}
}

// Free releases the backend arrays.
func (g *GMM) Free() {
	if g.b == nil {
		return
	}
	g.b.Free(g.means)
	g.b.Free(g.scaled)
	g.b.Free(g.logw)
	g.b.Free(g.mean)
}
