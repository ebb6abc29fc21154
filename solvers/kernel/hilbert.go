package kernel

import (
	"fmt"
	"math"
	"sort"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
)

// DefaultHilbertFeatures is HilbertSettings.Features' default.
const DefaultHilbertFeatures = 128

// HilbertSettings configure HilbertDivergence. The zero value means the
// documented defaults.
type HilbertSettings struct {
	// Features is the number D of random Fourier features (default
	// DefaultHilbertFeatures, at most compute.MaxDim).
	Features int
	// Bandwidth is sigma of the Gaussian kernel
	// k(x, y) = exp(-|x - y|^2 / (2 sigma^2)) (default: the median
	// heuristic, the median distance between the pooled points).
	Bandwidth float64
	// Seed draws the frequencies and phases (Philox).
	Seed uint64
	// OT are the Sinkhorn settings of the three problems; Eps is in units
	// of the feature-space cost, which lies in [0, 4] (about 2 - 2 k).
	OT ot.Settings
}

// HilbertResult is a Hilbert Sinkhorn divergence with its features.
type HilbertResult struct {
	*ot.DivergenceResult
	// Bandwidth is the sigma used; Features the number of features.
	Bandwidth float64
	Features  int
}

// RFFEmbed maps the k points pts (k x d) to D random Fourier features of
// the Gaussian kernel k(x, y) = exp(-|x - y|^2 / (2 sigma^2)) (Rahimi and
// Recht 2007, "Random Features for Large-Scale Kernel Machines", NIPS,
// Alg. 1):
//
//	phi(x)_l = sqrt(2/D) cos(w_l . x + b_l),  w_l ~ N(0, I/sigma^2), b_l ~ U[0, 2 pi),
//
// so that E[phi(x) . phi(y)] = k(x, y). The frequencies come from Philox
// counters of seed, so the same seed embeds both clouds alike. It panics
// if the shapes do not match.
func RFFEmbed(pts []float64, k, d, D int, sigma float64, seed uint64) []float64 {
	if k < 1 || d < 1 || len(pts) != k*d || D < 1 {
		panic("kernel: RFFEmbed: pts is not k x d, or D < 1")
	}
	out := make([]float64, k*D)
	scale := math.Sqrt(2 / float64(D))
	for l := range D {
		w := make([]float64, d)
		for c := range d {
			w[c] = compute.NormalAt(seed, uint64(l*(d+1)+c)) / sigma
		}
		b := 2 * math.Pi * compute.UniformAt(seed^0x5bd1e995, uint64(l))
		for i := range k {
			z := b
			for c := range d {
				z += w[c] * pts[i*d+c]
			}
			out[i*D+l] = scale * math.Cos(z)
		}
	}
	return out
}

// HilbertDivergence is the Hilbert Sinkhorn divergence of Li, Wang, Li,
// Pang and Xu 2021 ("Hilbert Sinkhorn Divergence for Optimal Transport",
// CVPR, eq. (7)): the Sinkhorn divergence of Feydy et al. 2019 (eq. (4))
// with the ground cost of a reproducing-kernel Hilbert space, the squared
// distance between kernel embeddings
//
//	c_H(x, y) = |phi(x) - phi(y)|_H^2 = k(x, x) + k(y, y) - 2 k(x, y) = 2 - 2 k(x, y)
//
// for the Gaussian kernel, approximated with D random Fourier features
// (RFFEmbed; SBDS's "RFF cost"): both clouds are embedded in R^D and
// ot.DivergenceDetail runs on the embeddings with its |u - v|^2 cost, on
// the backend. The cost is bounded (<= 4), so eps is on that scale, and
// the divergence compares the clouds through the kernel's features
// rather than their coordinates. The feature error is O(1/sqrt(D)) per
// cost entry (TestHilbertDivergence measures it against the exact
// kernel cost).
func HilbertDivergence(be compute.Backend, p ot.Problem, s HilbertSettings) (*HilbertResult, error) {
	if p.D < 1 || len(p.X) != p.N*p.D || len(p.Y) != p.M*p.D || p.N < 1 || p.M < 1 {
		return nil, fmt.Errorf("%w: HilbertDivergence: X is %d values for N = %d, Y %d for M = %d, D = %d", ErrBadArgument, len(p.X), p.N, len(p.Y), p.M, p.D)
	}
	D := s.Features
	if D == 0 {
		D = DefaultHilbertFeatures
	}
	if D < 1 || D > compute.MaxDim {
		return nil, fmt.Errorf("%w: HilbertDivergence: Features = %d outside [1, %d]", ErrBadArgument, D, compute.MaxDim)
	}
	sigma := s.Bandwidth
	if sigma == 0 {
		sigma = medianDistance(p.X, p.Y, p.N, p.M, p.D)
	}
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return nil, fmt.Errorf("%w: HilbertDivergence: bandwidth %g must be positive (all points equal?)", ErrBadArgument, sigma)
	}
	fx := RFFEmbed(p.X, p.N, p.D, D, sigma, s.Seed)
	fy := RFFEmbed(p.Y, p.M, p.D, D, sigma, s.Seed)
	dr, err := ot.DivergenceDetail(be, ot.Problem{X: fx, Y: fy, N: p.N, M: p.M, D: D, A: p.A, B: p.B}, s.OT)
	if err != nil {
		return nil, err
	}
	return &HilbertResult{DivergenceResult: dr, Bandwidth: sigma, Features: D}, nil
}

// HilbertBandwidth is HilbertDivergence's default Gaussian bandwidth for
// the clouds x (n x d) and y (m x d): the median heuristic (see
// medianDistance), so that a caller that embeds the clouds itself
// (RFFEmbed) uses the same sigma.
func HilbertBandwidth(x, y []float64, n, m, d int) float64 { return medianDistance(x, y, n, m, d) }

// medianDistance is the median heuristic's bandwidth: the median of
// |z_i - z_j| over pairs of the pooled points (at most 500 of them, the
// first of each cloud in proportion).
func medianDistance(x, y []float64, n, m, d int) float64 {
	var pool [][]float64
	kx := min(n, max(1, 500*n/(n+m)))
	ky := min(m, max(1, 500-kx))
	for i := range kx {
		pool = append(pool, x[i*d:(i+1)*d])
	}
	for j := range ky {
		pool = append(pool, y[j*d:(j+1)*d])
	}
	var ds []float64
	for i := range pool {
		for j := i + 1; j < len(pool); j++ {
			ds = append(ds, math.Sqrt(sqDist(pool[i], pool[j])))
		}
	}
	if len(ds) == 0 {
		return 0
	}
	sort.Float64s(ds)
	return ds[len(ds)/2]
}
