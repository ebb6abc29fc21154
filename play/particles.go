package play

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/otplay/otplay/solvers/data"
)

// Views of moving particles in the plane (/bridge; /diffusion and
// /truncate draw the same way): a fixed window, a grid of field arrows,
// trails behind the first particles.
const (
	// ParticleWindow is the half-width of the fixed view [-w, w]^2: the
	// toys fill about [-2, 2]^2 and the prior N(0, I) about [-3, 3]^2.
	ParticleWindow = 3.2
	// FieldGrid is the side of the grid of field arrows.
	FieldGrid = 17
	// TrailPoints is how many particles draw trails.
	TrailPoints = 1000
	// MaxFigurePoints caps the points of a cloud drawn in a figure.
	MaxFigurePoints = 2048
)

// FieldGridPoints are the centres of the arrow grid (FieldGrid^2 points
// covering [-ParticleWindow, ParticleWindow]^2, row-major from the bottom
// left).
func FieldGridPoints() []float64 {
	g := FieldGrid
	step := 2 * ParticleWindow / float64(g)
	pts := make([]float64, 0, 2*g*g)
	for r := 0; r < g; r++ {
		for c := 0; c < g; c++ {
			pts = append(pts, -ParticleWindow+(float64(c)+0.5)*step, -ParticleWindow+(float64(r)+0.5)*step)
		}
	}
	return pts
}

// ArrowSegments draws vectors at points as arrows (a shaft and two head
// strokes). Lengths are to scale up to the 90th percentile of the
// magnitudes, which is drawn maxLen long; longer vectors are clipped to
// maxLen (a score grows linearly away from the data, and scaling by the
// largest vector would shrink the informative arrows near the data to
// dots).
func ArrowSegments(pts, vec []float64, maxLen float64) []float64 {
	var mags []float64
	for i := 0; i+1 < len(vec); i += 2 {
		if l := math.Hypot(vec[i], vec[i+1]); l > 0 && !math.IsInf(l, 0) && !math.IsNaN(l) {
			mags = append(mags, l)
		}
	}
	if len(mags) == 0 {
		return nil
	}
	slices.Sort(mags)
	top := mags[min(len(mags)-1, int(0.9*float64(len(mags))))]
	segs := make([]float64, 0, 6*len(pts))
	for i := 0; i+1 < len(pts); i += 2 {
		vx, vy := vec[i]/top*maxLen, vec[i+1]/top*maxLen
		if l := math.Hypot(vx, vy); l > maxLen {
			vx, vy = vx/l*maxLen, vy/l*maxLen
		}
		if math.IsNaN(vx) || math.IsNaN(vy) || math.Hypot(vx, vy) < 1e-3*maxLen {
			continue
		}
		x0, y0 := pts[i], pts[i+1]
		x1, y1 := x0+vx, y0+vy
		segs = append(segs, x0, y0, x1, y1)
		// Head: two strokes at ±25 degrees, a quarter of the length.
		for _, a := range []float64{0.44, -0.44} {
			c, s := math.Cos(a), math.Sin(a)
			hx, hy := -(vx*c-vy*s)/4, -(vx*s+vy*c)/4
			segs = append(segs, x1, y1, x1+hx, y1+hy)
		}
	}
	return segs
}

// ResamplePoints draws k points of s uniformly with replacement (PCG of
// seed): new particles from an uploaded cloud.
func ResamplePoints(s data.Set, k int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x757031)) // "up1"
	out := make([]float64, 0, 2*k)
	for i := 0; i < k; i++ {
		j := rng.IntN(s.N)
		out = append(out, s.Points[2*j], s.Points[2*j+1])
	}
	return out
}
