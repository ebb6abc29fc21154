package sliced

import (
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
)

// Sampling says how the directions are drawn.
type Sampling int

const (
	// Random draws i.i.d. directions uniform on the sphere S^{d-1}:
	// normalised standard normal vectors from the Philox stream of the
	// seed (compute.NormalAt, counter l*d + k for coordinate k of
	// direction l), the same on every backend. This is POT's
	// get_random_projections, with a different random stream.
	Random Sampling = iota
	// QMC draws randomised quasi-Monte-Carlo directions (Nguyen, Bariletto
	// and Ho 2024, "Quasi-Monte Carlo for 3D Sliced Wasserstein", ICLR):
	//   d = 2: angles pi (l + U) / L, an evenly spaced half circle with a
	//          random offset U (W_2 of a projection does not change when
	//          theta becomes -theta, so the half circle suffices);
	//   d = 3: the spherical Fibonacci lattice z_l = 1 - (2l+1)/L,
	//          phi_l = 2 pi l / golden ratio (Gonzalez 2010, "Measurement
	//          of areas on a sphere using Fibonacci and latitude-longitude
	//          lattices", Math. Geosci. 42) under a uniform random rotation
	//          (Shoemake 1992, "Uniform random rotations", Graphics Gems III);
	//   d >= 4: the Halton sequence (Halton 1960) with a random shift
	//          modulo 1 (Cranley and Patterson 1976), mapped to normal
	//          vectors by the inverse normal CDF and normalised.
	// Each is unbiased for the uniform measure on the sphere (thanks to the
	// random offset, rotation or shift) and has lower variance than Random.
	QMC
)

func (s Sampling) String() string {
	switch s {
	case Random:
		return "random"
	case QMC:
		return "qmc"
	}
	return fmt.Sprintf("Sampling(%d)", int(s))
}

// ParseSampling reads "random" or "qmc".
func ParseSampling(s string) (Sampling, error) {
	switch s {
	case "random", "":
		return Random, nil
	case "qmc":
		return QMC, nil
	}
	return 0, fmt.Errorf("%w: sampling %q: want random or qmc", ErrBadArgument, s)
}

// Directions returns L unit directions in dimension d (row-major, L x d)
// drawn by sampling with the given seed. The same arguments always give
// the same directions.
func Directions(sampling Sampling, L, d int, seed uint64) ([]float64, error) {
	if L < 1 || L > MaxProjections {
		return nil, fmt.Errorf("%w: projections = %d outside [1, %d]", ErrBadArgument, L, MaxProjections)
	}
	if d < 1 || d > MaxDim {
		return nil, fmt.Errorf("%w: dimension d = %d outside [1, %d]", ErrBadArgument, d, MaxDim)
	}
	theta := make([]float64, L*d)
	if d == 1 {
		for l := range theta {
			theta[l] = 1 // the only direction, up to a sign that W_2 ignores
		}
		return theta, nil
	}
	switch sampling {
	case Random:
		for l := 0; l < L; l++ {
			row := theta[l*d : (l+1)*d]
			for k := range row {
				row[k] = compute.NormalAt(seed, uint64(l*d+k))
			}
			normalise(row)
		}
	case QMC:
		switch d {
		case 2:
			u := compute.UniformAt(seed, 0)
			for l := 0; l < L; l++ {
				phi := math.Pi * (float64(l) + u) / float64(L)
				theta[2*l], theta[2*l+1] = math.Cos(phi), math.Sin(phi)
			}
		case 3:
			rot := randomRotation(seed)
			golden := (1 + math.Sqrt(5)) / 2
			for l := 0; l < L; l++ {
				z := 1 - (2*float64(l)+1)/float64(L)
				r := math.Sqrt(max(0, 1-z*z))
				phi := 2 * math.Pi * float64(l) / golden
				p := [3]float64{r * math.Cos(phi), r * math.Sin(phi), z}
				for k := 0; k < 3; k++ {
					theta[3*l+k] = rot[k][0]*p[0] + rot[k][1]*p[1] + rot[k][2]*p[2]
				}
				normalise(theta[3*l : 3*l+3])
			}
		default:
			primes := firstPrimes(d)
			shift := make([]float64, d)
			for k := range shift {
				shift[k] = compute.UniformAt(seed, uint64(k))
			}
			const tiny = 1.0 / (1 << 53)
			for l := 0; l < L; l++ {
				row := theta[l*d : (l+1)*d]
				for k := range row {
					u := radicalInverse(uint64(l+1), primes[k]) + shift[k]
					u -= math.Floor(u)
					u = min(max(u, tiny), 1-tiny)
					row[k] = math.Sqrt2 * math.Erfinv(2*u-1)
				}
				normalise(row)
			}
		}
	default:
		return nil, fmt.Errorf("%w: unknown sampling %d", ErrBadArgument, int(sampling))
	}
	return theta, nil
}

// normalise scales v to unit length (a zero vector becomes e_0, an event
// of probability below 2^-24 per coordinate).
func normalise(v []float64) {
	var s float64
	for _, x := range v {
		s += x * x
	}
	if s == 0 {
		v[0] = 1
		return
	}
	s = 1 / math.Sqrt(s)
	for k := range v {
		v[k] *= s
	}
}

// randomRotation returns the rotation matrix of a uniform random unit
// quaternion (Shoemake 1992) drawn from the Philox stream of seed.
func randomRotation(seed uint64) [3][3]float64 {
	u1 := compute.UniformAt(seed, 0)
	u2 := 2 * math.Pi * compute.UniformAt(seed, 1)
	u3 := 2 * math.Pi * compute.UniformAt(seed, 2)
	a, b := math.Sqrt(1-u1), math.Sqrt(u1)
	w, x, y, z := a*math.Sin(u2), a*math.Cos(u2), b*math.Sin(u3), b*math.Cos(u3)
	return [3][3]float64{
		{1 - 2*(y*y+z*z), 2 * (x*y - w*z), 2 * (x*z + w*y)},
		{2 * (x*y + w*z), 1 - 2*(x*x+z*z), 2 * (y*z - w*x)},
		{2 * (x*z - w*y), 2 * (y*z + w*x), 1 - 2*(x*x+y*y)},
	}
}

// radicalInverse reflects the base-b digits of i about the radix point
// (the van der Corput sequence in base b).
func radicalInverse(i, b uint64) float64 {
	var r float64
	f := 1 / float64(b)
	for inv := f; i > 0; i /= b {
		r += float64(i%b) * inv
		inv *= f
	}
	return r
}

// firstPrimes returns the first n primes.
func firstPrimes(n int) []uint64 {
	ps := make([]uint64, 0, n)
	for c := uint64(2); len(ps) < n; c++ {
		prime := true
		for _, p := range ps {
			if p*p > c {
				break
			}
			if c%p == 0 {
				prime = false
				break
			}
		}
		if prime {
			ps = append(ps, c)
		}
	}
	return ps
}
