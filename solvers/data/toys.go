package data

import (
	"math"
	"math/rand/v2"
)

// pcgStream is the second word of every PCG state built from a seed: the
// ASCII bytes of "otplay". A seed thus names the same stream everywhere.
const pcgStream = 0x6f74706c6179

// newRand returns the generator of a seed: math/rand/v2's PCG seeded with
// (seed, pcgStream).
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, pcgStream))
}

// toyScale is the factor applied to the FFJORD definitions so that the
// sets fill roughly [-2, 2]^2 with per-coordinate standard deviation near
// 1 (FFJORD's own sets fill roughly [-4, 4]^2; scale=2 restores them).
const toyScale = 0.5

// generator draws n points (row-major, d columns) and optional labels.
type generator func(r *rand.Rand, n, d int) (pts []float64, labels []int)

// shuffle permutes the points (rows of d) and labels together.
func shuffle(r *rand.Rand, pts []float64, labels []int, d int) {
	n := len(pts) / d
	r.Shuffle(n, func(i, j int) {
		for k := 0; k < d; k++ {
			pts[i*d+k], pts[j*d+k] = pts[j*d+k], pts[i*d+k]
		}
		if labels != nil {
			labels[i], labels[j] = labels[j], labels[i]
		}
	})
}

// moons is scikit-learn's make_moons(n, noise=0.1) (outer half circle
// (cos t, sin t), inner (1 - cos t, 1/2 - sin t), t on an even grid of
// [0, pi], shuffled, Gaussian noise of std 0.1) with FFJORD's affine map
// 2x + (-1, -0.2) (Grathwohl et al. 2019, toy_data.py), times 1/2.
// Extent about [-1.6, 1.6] x [-0.9, 0.9]. Labels: 0 outer, 1 inner moon.
func moons(r *rand.Rand, n, _ int) ([]float64, []int) {
	nOut := n / 2
	nIn := n - nOut
	pts := make([]float64, 0, 2*n)
	labels := make([]int, 0, n)
	for i := 0; i < nOut; i++ {
		t := linspace(0, math.Pi, nOut, i, true)
		pts = append(pts, math.Cos(t), math.Sin(t))
		labels = append(labels, 0)
	}
	for i := 0; i < nIn; i++ {
		t := linspace(0, math.Pi, nIn, i, true)
		pts = append(pts, 1-math.Cos(t), 1-math.Sin(t)-0.5)
		labels = append(labels, 1)
	}
	shuffle(r, pts, labels, 2)
	for i := 0; i < n; i++ {
		x := pts[2*i] + 0.1*r.NormFloat64()
		y := pts[2*i+1] + 0.1*r.NormFloat64()
		pts[2*i] = toyScale * (2*x - 1)
		pts[2*i+1] = toyScale * (2*y - 0.2)
	}
	return pts, labels
}

// linspace returns the i-th of n points evenly spaced on [a, b]
// (numpy.linspace, endpoint included when endpoint is true).
func linspace(a, b float64, n, i int, endpoint bool) float64 {
	div := float64(n)
	if endpoint {
		if n == 1 {
			return a
		}
		div = float64(n - 1)
	}
	return a + (b-a)*float64(i)/div
}

// circles is scikit-learn's make_circles(n, factor=0.5, noise=0.08)
// (outer unit circle and inner circle of radius 1/2, angles on an even
// grid, shuffled, noise of std 0.08) times FFJORD's 3, times 1/2: radii
// 1.5 and 0.75. Labels: 0 outer, 1 inner circle.
func circles(r *rand.Rand, n, _ int) ([]float64, []int) {
	nOut := n / 2
	nIn := n - nOut
	pts := make([]float64, 0, 2*n)
	labels := make([]int, 0, n)
	for i := 0; i < nOut; i++ {
		t := linspace(0, 2*math.Pi, nOut, i, false)
		pts = append(pts, math.Cos(t), math.Sin(t))
		labels = append(labels, 0)
	}
	for i := 0; i < nIn; i++ {
		t := linspace(0, 2*math.Pi, nIn, i, false)
		pts = append(pts, 0.5*math.Cos(t), 0.5*math.Sin(t))
		labels = append(labels, 1)
	}
	shuffle(r, pts, labels, 2)
	for i := range pts {
		pts[i] = toyScale * 3 * (pts[i] + 0.08*r.NormFloat64())
	}
	return pts, labels
}

// eightGaussians is FFJORD's 8gaussians: a uniformly chosen centre among
// the 8 points 4 (cos k pi/4, sin k pi/4) (in FFJORD's order) plus
// N(0, 0.5^2 I), divided by 1.414, times 1/2: centres at radius 1.414,
// std 0.177. Labels: the centre index 0..7.
func eightGaussians(r *rand.Rand, n, _ int) ([]float64, []int) {
	s := 1 / math.Sqrt2
	centres := [8][2]float64{{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {s, s}, {s, -s}, {-s, s}, {-s, -s}}
	pts := make([]float64, 2*n)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		k := r.IntN(8)
		labels[i] = k
		for c := 0; c < 2; c++ {
			pts[2*i+c] = toyScale * (0.5*r.NormFloat64() + 4*centres[k][c]) / 1.414
		}
	}
	return pts, labels
}

// twentyFiveGaussians is the 25gaussians set of Gulrajani et al. 2017
// ("Improved Training of Wasserstein GANs", gan_toy.py): a uniformly
// chosen centre 2 (i, j), i, j in {-2, ..., 2}, plus N(0, 0.05^2 I), all
// divided by 2.828. It is used as is (already unit scale): centres on a
// grid of step 0.707 in [-1.414, 1.414]^2, std 0.0177. Labels: the centre
// index 5 (i+2) + (j+2).
func twentyFiveGaussians(r *rand.Rand, n, _ int) ([]float64, []int) {
	pts := make([]float64, 2*n)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		k := r.IntN(25)
		labels[i] = k
		cx, cy := float64(k/5-2), float64(k%5-2)
		pts[2*i] = (0.05*r.NormFloat64() + 2*cx) / 2.828
		pts[2*i+1] = (0.05*r.NormFloat64() + 2*cy) / 2.828
	}
	return pts, labels
}

// swissRoll is FFJORD's swissroll: scikit-learn's make_swiss_roll(n,
// noise=1) (t = 1.5 pi (1 + 2U), the (t cos t, t sin t) coordinates plus
// N(0, 1) noise), divided by 5, times 1/2. Extent about [-1.5, 1.5]^2. No
// labels.
func swissRoll(r *rand.Rand, n, _ int) ([]float64, []int) {
	pts := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		t := 1.5 * math.Pi * (1 + 2*r.Float64())
		pts[2*i] = toyScale * (t*math.Cos(t) + r.NormFloat64()) / 5
		pts[2*i+1] = toyScale * (t*math.Sin(t) + r.NormFloat64()) / 5
	}
	return pts, nil
}

// checkerboard is FFJORD's checkerboard: x1 ~ U[-2, 2), x2 ~ U[0, 1) -
// 2B + (floor(x1) mod 2) with B a fair bit, times 2, times 1/2: uniform
// on the 8 dark squares of a 4 x 4 board covering [-2, 2]^2. No labels.
func checkerboard(r *rand.Rand, n, _ int) ([]float64, []int) {
	pts := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		x1 := 4*r.Float64() - 2
		x2 := r.Float64() - float64(2*r.IntN(2))
		x2 += math.Mod(math.Floor(x1)+4, 2) // Python's floor(x1) % 2 is >= 0
		pts[2*i] = toyScale * 2 * x1
		pts[2*i+1] = toyScale * 2 * x2
	}
	return pts, nil
}

// spirals is FFJORD's 2spirals: t = sqrt(U) 3 pi, arm point
// (-t cos t + U/2, t sin t + U/2), the second arm its negation, divided by
// 3, plus N(0, 0.1^2 I), times 1/2. Point i belongs to arm i mod 2 (so any
// n works). Extent about [-1.7, 1.7]^2. Labels: the arm 0 or 1.
func spirals(r *rand.Rand, n, _ int) ([]float64, []int) {
	pts := make([]float64, 2*n)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		t := math.Sqrt(r.Float64()) * 540 * 2 * math.Pi / 360
		x := -math.Cos(t)*t + 0.5*r.Float64()
		y := math.Sin(t)*t + 0.5*r.Float64()
		if i%2 == 1 {
			x, y = -x, -y
		}
		labels[i] = i % 2
		pts[2*i] = toyScale * (x/3 + 0.1*r.NormFloat64())
		pts[2*i+1] = toyScale * (y/3 + 0.1*r.NormFloat64())
	}
	return pts, labels
}

// pinwheel is FFJORD's pinwheel (after Johnson et al. 2016, "Composing
// graphical models with neural networks"): 5 classes, radial std 0.3,
// tangential std 0.1, rate 0.25; the feature f = (1 + 0.3 z1, 0.1 z2) is
// rotated by the angle 2 pi c / 5 + 0.25 exp(f1) (as FFJORD's einsum
// does it), times 2, times 1/2. Point i belongs to class i mod 5; the
// points are shuffled. Extent about [-2, 2]^2. Labels: the class 0..4.
func pinwheel(r *rand.Rand, n, _ int) ([]float64, []int) {
	const classes, radial, tangential, rate = 5, 0.3, 0.1, 0.25
	pts := make([]float64, 2*n)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		c := i % classes
		labels[i] = c
		f0 := 1 + radial*r.NormFloat64()
		f1 := tangential * r.NormFloat64()
		a := 2*math.Pi*float64(c)/classes + rate*math.Exp(f0)
		cs, sn := math.Cos(a), math.Sin(a)
		// einsum("ti,tij->tj") with R = [[cos, -sin], [sin, cos]].
		pts[2*i] = toyScale * 2 * (f0*cs + f1*sn)
		pts[2*i+1] = toyScale * 2 * (-f0*sn + f1*cs)
	}
	shuffle(r, pts, labels, 2)
	return pts, labels
}

// rings is FFJORD's rings: four concentric circles of radii 1, 0.75,
// 0.5, 0.25 (n/4 evenly spaced angles each, the innermost takes the
// remainder), times 3, shuffled, plus N(0, 0.08^2 I), times 1/2: radii
// 1.5 to 0.375. Labels: the ring 0 (outer) .. 3 (inner).
func rings(r *rand.Rand, n, _ int) ([]float64, []int) {
	q := n / 4
	counts := [4]int{q, q, q, n - 3*q}
	radii := [4]float64{1, 0.75, 0.5, 0.25}
	pts := make([]float64, 0, 2*n)
	labels := make([]int, 0, n)
	for k, c := range counts {
		for i := 0; i < c; i++ {
			t := linspace(0, 2*math.Pi, c, i, false)
			pts = append(pts, 3*radii[k]*math.Cos(t), 3*radii[k]*math.Sin(t))
			labels = append(labels, k)
		}
	}
	shuffle(r, pts, labels, 2)
	for i := range pts {
		pts[i] = toyScale * (pts[i] + 0.08*r.NormFloat64())
	}
	return pts, labels
}

// gaussian draws n standard normal points in d dimensions. No labels.
func gaussian(r *rand.Rand, n, d int) ([]float64, []int) {
	pts := make([]float64, n*d)
	for i := range pts {
		pts[i] = r.NormFloat64()
	}
	return pts, nil
}

// uniform draws n points uniform on the cube [-1, 1]^d. No labels.
func uniform(r *rand.Rand, n, d int) ([]float64, []int) {
	pts := make([]float64, n*d)
	for i := range pts {
		pts[i] = 2*r.Float64() - 1
	}
	return pts, nil
}
