package diffusion

import (
	"math"
	"math/rand/v2"

	"github.com/otplay/otplay/compute"
)

// TiedGMMFit is a Gaussian mixture p(x) = sum_k pi_k N(mu_k, s^2 I) with
// one isotropic standard deviation s shared by every component, as
// FitTiedGMM returns it.
type TiedGMMFit struct {
	Weights []float64 // K, summing to 1
	Means   []float64 // K x d, row-major
	Std     float64   // s, shared
	// LogLikelihood is sum_i log p(x_i) of the data under the returned
	// parameters (before the floor of Std at 1e-3).
	LogLikelihood float64
	// Iterations is the number of EM steps (M-steps) taken, at most
	// GMMFitMaxIterations; Converged reports that the last one gained
	// less than 1e-9 per point in log-likelihood.
	Iterations int
	Converged  bool
}

// Stds is Std repeated once per component: the stds argument of NewGMM.
func (f TiedGMMFit) Stds() []float64 {
	s := make([]float64, len(f.Weights))
	for i := range s {
		s[i] = f.Std
	}
	return s
}

// GMMFitMaxIterations bounds the EM steps of one FitTiedGMM run.
const GMMFitMaxIterations = 100

// GMMFitStarts is the number of k-means++ starts FitTiedGMM tries (EM
// finds a local optimum; 8 starts put one centre on each cluster of
// 8gaussians in the tests).
const GMMFitStarts = 8

// FitTiedGMM fits K = k components (at most n) to the points x (n x d,
// row-major) by expectation-maximisation (Dempster, Laird and Rubin 1977;
// Bishop 2006, section 9.2.2): the E-step's responsibilities (9.23) in
// the log domain, the M-step's weights (9.26) and means (9.24), and the
// variance of (9.25) pooled over components and coordinates for the
// tied isotropic covariance,
//
//	s^2 = sum_i sum_k r_ik |x_i - mu_k|^2 / (n d).
//
// Each run starts from k-means++ centres (Arthur and Vassilvitskii 2007)
// drawn from the stream (seed, start) with s^2 the mean squared distance
// to the nearest centre, and stops after GMMFitMaxIterations steps or when the
// log-likelihood gains less than 1e-9 per point; the best of GMMFitStarts
// runs by likelihood is returned. An empty component keeps its mean and a
// weight of 1e-12; s^2 is floored at 1e-6 and s at 1e-3. A shared s
// keeps GMM on its one-SoftMean backend path.
//
// It returns an error when n, d, k or len(x) disagree (wrapping the
// package's input error) or when x is not finite (compute.CheckFinite's).
func FitTiedGMM(x []float64, n, d, k int, seed uint64) (TiedGMMFit, error) {
	if n < 1 || d < 1 || len(x) != n*d || k < 1 {
		return TiedGMMFit{}, inputErr("gmm fit: %d points of dimension %d (%d values), %d components", n, d, len(x), k)
	}
	if err := compute.CheckFinite("x", x); err != nil {
		return TiedGMMFit{}, err
	}
	k = min(k, n)
	var best TiedGMMFit
	for start := uint64(0); start < GMMFitStarts; start++ {
		f := fitTiedGMMOnce(x, n, d, k, seed, start)
		if start == 0 || f.LogLikelihood > best.LogLikelihood {
			best = f
		}
	}
	return best, nil
}

// fitTiedGMMOnce is one EM run from the k-means++ centres of stream
// (seed, start).
func fitTiedGMMOnce(x []float64, n, d, k int, seed, start uint64) TiedGMMFit {
	rng := rand.New(rand.NewPCG(seed, 0x676d6d+start)) // "gmm"
	dist := func(i int, mu []float64) float64 {
		s := 0.0
		for c := range d {
			v := x[i*d+c] - mu[c]
			s += v * v
		}
		return s
	}
	means := make([]float64, 0, k*d)
	means = append(means, x[rng.IntN(n)*d:][:d]...)
	near := make([]float64, n)
	for i := range near {
		near[i] = dist(i, means[:d])
	}
	for len(means) < k*d {
		total := 0.0
		for _, v := range near {
			total += v
		}
		pick := rng.IntN(n)
		if total > 0 {
			u := rng.Float64() * total
			for i, v := range near {
				if u -= v; u <= 0 {
					pick = i
					break
				}
			}
		}
		mu := x[pick*d:][:d]
		means = append(means, mu...)
		for i := range near {
			near[i] = math.Min(near[i], dist(i, mu))
		}
	}
	weights := make([]float64, k)
	for j := range weights {
		weights[j] = 1 / float64(k)
	}
	v := 0.0 // s², from the k-means++ spread
	for _, w := range near {
		v += w
	}
	v = math.Max(v/float64(n*d), 1e-6)
	resp := make([]float64, n*k)
	// estep fills resp (r_ik = pi_k N(x_i; mu_k, s² I) / p(x_i), in the
	// log domain) and returns sum_i log p(x_i).
	estep := func() float64 {
		ll := 0.0
		for i := range n {
			top := math.Inf(-1)
			for j := range k {
				r := math.Log(weights[j]) - dist(i, means[j*d:][:d])/(2*v)
				resp[i*k+j] = r
				top = math.Max(top, r)
			}
			s := 0.0
			for j := range k {
				s += math.Exp(resp[i*k+j] - top)
			}
			for j := range k {
				resp[i*k+j] = math.Exp(resp[i*k+j]-top) / s
			}
			ll += top + math.Log(s) - float64(d)/2*math.Log(2*math.Pi*v)
		}
		return ll
	}
	fit := TiedGMMFit{Weights: weights, Means: means}
	prev := math.Inf(-1)
	mu := make([]float64, d)
	for {
		ll := estep()
		gain := ll - prev
		prev = ll
		if gain < 1e-9*float64(n) {
			fit.Converged = true
			break
		}
		if fit.Iterations == GMMFitMaxIterations {
			break
		}
		fit.Iterations++
		// M-step.
		for j := range k {
			nj := 0.0
			clear(mu)
			for i := range n {
				r := resp[i*k+j]
				nj += r
				for c := range d {
					mu[c] += r * x[i*d+c]
				}
			}
			if nj < 1e-12 {
				weights[j] = 1e-12
				continue
			}
			weights[j] = nj / float64(n)
			for c := range mu {
				means[j*d+c] = mu[c] / nj
			}
		}
		sq := 0.0
		for i := range n {
			for j := range k {
				sq += resp[i*k+j] * dist(i, means[j*d:][:d])
			}
		}
		v = math.Max(sq/float64(n*d), 1e-6)
	}
	fit.Std = math.Max(math.Sqrt(v), 1e-3)
	fit.LogLikelihood = prev
	total := 0.0
	for _, w := range weights {
		total += w
	}
	for j := range weights {
		weights[j] /= total
	}
	return fit
}
