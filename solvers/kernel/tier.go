package kernel

import (
	"fmt"
	"math"
)

// Tier is a way to apply the Gibbs kernel K = exp(-C/eps) in Sinkhorn.
type Tier int

const (
	// Auto lets Solve call Choose.
	Auto Tier = iota
	// Full: log-domain Sinkhorn with the fused soft-min (Backend.SoftMin),
	// O(n m d) per iteration, O(n + m) memory, exact, any eps.
	Full
	// RFF: positive random features (Scetbon and Cuturi 2020), K ~ Phi_x
	// Phi_y^T with r features, O((n + m) r) per iteration.
	RFF
	// Nystrom: landmark approximation K ~ K_xl K_ll^+ K_ly (Altschuler et
	// al. 2019) with s landmarks, O((n + m) s) per iteration.
	Nystrom
	// Grid: convolutional Sinkhorn on a regular grid (Solomon et al. 2015)
	// for histograms, O(H W (H + W)) per iteration.
	Grid
)

var tierNames = [...]string{"auto", "full", "rff", "nystrom", "grid"}

func (t Tier) String() string {
	if t < 0 || int(t) >= len(tierNames) {
		return fmt.Sprintf("Tier(%d)", int(t))
	}
	return tierNames[t]
}

// ParseTier reads "auto", "full", "rff", "nystrom" or "grid".
func ParseTier(s string) (Tier, error) {
	for i, n := range tierNames {
		if n == s {
			return Tier(i), nil
		}
	}
	return 0, fmt.Errorf("%w: tier %q: want auto, full, rff, nystrom or grid", ErrBadArgument, s)
}

// Policy thresholds, documented where they are set.
const (
	// FullPairs: up to 2^26 (67 million) pairs per iteration the exact
	// fused solver costs ~0.1 s per iteration on a laptop GPU (the cost
	// is computed on the fly, so memory never limits it): use it.
	FullPairs = 1 << 26
	// NystromEpsPerDim and RFFEpsPerDim: the low-rank tiers need eps
	// large against the typical squared distance, which for data at
	// otplay's unit scale (per-coordinate std ~ 1) grows like 2d. Measured
	// (Gaussian vs uniform clouds, n = 800, see the package tests): at
	// eps/d >= 0.3 Nystrom with 500 landmarks reaches cost errors of
	// 1e-5 (d = 2) to 0.4% (d = 8), far better than 1000 positive
	// features (0.4% to 1%); at eps/d = 0.125 Nystrom's kernel sums turn
	// negative while RFF, positive by construction, still gives a few
	// percent in d <= 3; below eps/d = 0.1 neither is usable.
	NystromEpsPerDim = 0.3
	RFFEpsPerDim     = 0.1
	// MaxRFFDim: positive features' variance grows exponentially with d
	// (Scetbon and Cuturi 2020, Lemma 1's constant); beyond d = 3 they
	// are not used.
	MaxRFFDim = 3
	// DefaultMemBytes is the memory budget when Settings.MemBytes is 0.
	DefaultMemBytes = 1 << 30
	// minRank: fewer features or landmarks than this are not worth it.
	minRank = 64
)

// Choose picks a tier for point clouds of n and m points in dimension d,
// regularisation eps (in the units of |x - y|^2, data at unit scale), and
// a memory budget in bytes for the factors (each low-rank tier stores
// (n + m) x rank floats, twice). It returns the tier and a sentence
// saying why. Choose never returns Grid (histograms on grids are a
// different input: see ChooseGrid).
//
// The policy: Full while n m <= FullPairs (exact and fast enough); else,
// if rank >= 64 factors fit the memory budget, Nystrom when eps/d >=
// NystromEpsPerDim, RFF when eps/d >= RFFEpsPerDim and d <= MaxRFFDim;
// else Full (exact but slow), with the reason. Solve with Auto falls back
// from Nystrom to RFF to Full when a tier reports ErrUnstable, and says
// so in Result.Reason.
func Choose(n, m, d int, eps float64, memBytes int64) (Tier, string) {
	if memBytes <= 0 {
		memBytes = DefaultMemBytes
	}
	pairs := float64(n) * float64(m)
	if pairs <= float64(fullPairs) {
		return Full, fmt.Sprintf("n*m = %.3g <= %d pairs: the exact log-domain solver is fast enough", pairs, fullPairs)
	}
	rank := maxRank(n, m, memBytes)
	if rank < minRank {
		return Full, fmt.Sprintf("memory %d bytes holds only rank %d factors; exact log-domain solver (needs O(n+m) memory)", memBytes, rank)
	}
	perDim := eps / float64(d)
	switch {
	case perDim >= nystromEpsPerDim:
		return Nystrom, fmt.Sprintf("n*m = %.3g pairs, eps/d = %.3g >= %g: Nystrom landmarks, rank up to %d", pairs, perDim, NystromEpsPerDim, min(rank, DefaultLandmarks))
	case perDim >= RFFEpsPerDim && d <= MaxRFFDim:
		return RFF, fmt.Sprintf("n*m = %.3g pairs, eps/d = %.3g in [%g, %g), d = %d <= %d: positive random features, rank up to %d", pairs, perDim, RFFEpsPerDim, NystromEpsPerDim, d, MaxRFFDim, min(rank, DefaultFeatures))
	}
	return Full, fmt.Sprintf("eps/d = %.3g too small for a low-rank kernel in d = %d; exact log-domain solver (slow: %.3g pairs per iteration)", perDim, d, pairs)
}

// fullPairs is FullPairs, lowered by tests to exercise the large-n policy
// on small problems.
var fullPairs = FullPairs

// nystromEpsPerDim is NystromEpsPerDim, lowered by a test to reach the
// Nystrom -> RFF fallback.
var nystromEpsPerDim = NystromEpsPerDim

// maxRank is the largest rank whose two factor copies fit in memBytes
// (float64).
func maxRank(n, m int, memBytes int64) int {
	r := float64(memBytes) / (2 * 8 * float64(n+m))
	return int(math.Min(r, 1<<20))
}

// ChooseGrid picks a tier for two histograms on an h x w grid: Grid
// (separable convolution, O(h w (h + w)) per iteration) unless the grid is
// small enough (h w <= 2^13 cells, 67 million pairs) for Full to be as
// fast and exact for any eps.
func ChooseGrid(h, w int, eps float64, memBytes int64) (Tier, string) {
	cells := h * w
	if float64(cells)*float64(cells) <= FullPairs {
		return Full, fmt.Sprintf("%d x %d grid: %d^2 pairs <= %d, the exact solver is as fast", h, w, cells, FullPairs)
	}
	return Grid, fmt.Sprintf("%d x %d grid: separable log-domain convolution, %d x %d per iteration instead of %d^2", h, w, cells, h+w, cells)
}
