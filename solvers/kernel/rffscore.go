package kernel

import (
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
)

// RFFScore is the score of a Gaussian kernel density estimate through
// random Fourier features: for centres z_1..z_n and bandwidth sigma,
//
//	p(x) = (1/n) sum_i k(x, z_i),  k(x, z) = exp(-|x - z|^2 / (2 sigma^2)),
//
// whose score is grad log p(x) = sum_i k(x, z_i) (z_i - x) / (sigma^2
// sum_i k(x, z_i)) (for the diffused data of a VP process, z_i = alpha_t
// y_i and sigma = sigma_t, the exact score of the empirical data
// distribution at time t). With the features of RFFEmbed,
// k(x, z) ~ phi(x) . phi(z), so p(x) ~ phi(x) . mu with mu = (1/n)
// sum_i phi(z_i), and the kernel derivative is
//
//	grad p(x) ~ sum_l mu_l grad phi_l(x) = -sqrt(2/D) sum_l mu_l sin(w_l . x + b_l) w_l,
//
// so the score costs O(D d) per point after an O(n D d) fit, instead of
// O(n d) (the RFF kernel-derivative score of SBDS; Rahimi and Recht 2007
// for the features, Sriperumbudur et al. 2017, "Density estimation in
// infinite dimensional exponential families", JMLR 18, sec. 4, for
// kernel-derivative score estimates). Where p is small against the
// feature noise O(1/sqrt(D)) the estimate of p can be near zero or
// negative: Score reports such points (its error grows there).
type RFFScore struct {
	d, D  int
	sigma float64
	w, b  []float64 // D x d frequencies, D phases
	mu    []float64 // D
}

// NewRFFScore fits the feature mean of the n centres z (n x d). It uses
// the frequencies of RFFEmbed(…, D, sigma, seed).
func NewRFFScore(z []float64, n, d, D int, sigma float64, seed uint64) (*RFFScore, error) {
	switch {
	case n < 1 || d < 1 || len(z) != n*d:
		return nil, fmt.Errorf("%w: NewRFFScore: %d values for n = %d, d = %d", ErrBadArgument, len(z), n, d)
	case D < 1:
		return nil, fmt.Errorf("%w: NewRFFScore: D = %d features", ErrBadArgument, D)
	case !(sigma > 0) || math.IsInf(sigma, 0):
		return nil, fmt.Errorf("%w: NewRFFScore: bandwidth %g must be positive", ErrBadArgument, sigma)
	}
	s := &RFFScore{d: d, D: D, sigma: sigma, w: make([]float64, D*d), b: make([]float64, D), mu: make([]float64, D)}
	for l := range D {
		for c := range d {
			s.w[l*d+c] = compute.NormalAt(seed, uint64(l*(d+1)+c)) / sigma
		}
		s.b[l] = 2 * math.Pi * compute.UniformAt(seed^0x5bd1e995, uint64(l))
	}
	phi := RFFEmbed(z, n, d, D, sigma, seed)
	for i := range n {
		for l := range D {
			s.mu[l] += phi[i*D+l] / float64(n)
		}
	}
	return s, nil
}

// Score writes grad log p at the k points x (k x d) into dst (k x d) and
// returns how many points had an estimated density p(x) <= 0, where the
// score is set to 0 (no direction can be read from the features there).
func (s *RFFScore) Score(dst, x []float64) (nonpositive int) {
	return s.ScoreConfident(dst, x, 0, nil)
}

// ScoreConfident is Score with a confidence floor: p(x) = sum_l t_l is a
// sum of D feature terms t_l = sqrt(2/D) cos(w_l . x + b_l) mu_l, whose
// standard error is estimated by sqrt(sum_l t_l^2); where p(x) is not
// above z such standard errors (z = 3: three sigma; z = 0: Score) the
// ratio grad p / p is noise (a tiny positive p gives an arbitrarily large
// score) and the score is set to 0. It returns how many points were so
// set; ok, when not nil (one per point), is set to whether each was not.
func (s *RFFScore) ScoreConfident(dst, x []float64, z float64, ok []bool) (unreliable int) {
	d, D := s.d, s.D
	scale := math.Sqrt(2 / float64(D))
	g := make([]float64, d)
	for i := 0; i < len(x)/d; i++ {
		pt := x[i*d : (i+1)*d]
		p, p2 := 0.0, 0.0
		clear(g)
		for l := range D {
			arg := s.b[l]
			for c := range d {
				arg += s.w[l*d+c] * pt[c]
			}
			t := scale * math.Cos(arg) * s.mu[l]
			p += t
			p2 += t * t
			f := -scale * math.Sin(arg) * s.mu[l]
			for c := range d {
				g[c] += f * s.w[l*d+c]
			}
		}
		out := dst[i*d : (i+1)*d]
		confident := p > 0 && p > z*math.Sqrt(p2)
		if ok != nil {
			ok[i] = confident
		}
		if !confident {
			unreliable++
			clear(out)
			continue
		}
		for c := range d {
			out[c] = g[c] / p
		}
	}
	return unreliable
}
