package patch

import (
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/exact"
)

// exactColour solves exact OT between k = min(Subsample, n, m) pixels
// drawn uniformly without replacement from each image: with uniform
// weights on equal counts the optimal plan is a permutation (Birkhoff),
// found by solvers/exact's Assignment (Hungarian algorithm). The map is extended to
// every pixel by kernel regression of the displacements of the
// subsample (Nadaraya-Watson with a Gaussian kernel of variance eps/2):
//
//	T(q) = q + sum_i exp(-|q - x_i|^2/eps) (y_sigma(i) - x_i) / sum_i exp(-|q - x_i|^2/eps)
//
// one SoftMean on the Backend over the distinct source colours; on the
// subsample itself and as eps -> 0 it is the optimal assignment.
func exactColour(b compute.Backend, x, y []float64, s ColorSettings) ([]float64, *ColorResult, error) {
	const d = 3
	n, m := len(x)/d, len(y)/d
	k := min(s.Subsample, n, m)
	xs := subsample(x, d, k, s.Seed, 0)
	ys := subsample(y, d, k, s.Seed, 1)
	cost := make([]float64, k*k)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			var c float64
			for l := 0; l < d; l++ {
				t := xs[i*d+l] - ys[j*d+l]
				c += t * t
			}
			cost[i*k+j] = c
		}
	}
	assign, _, err := exact.Assignment(cost, k)
	if err != nil {
		return nil, nil, err
	}
	disp := make([]float64, k*d)
	var total float64
	for i, j := range assign {
		total += cost[i*k+j]
		for l := 0; l < d; l++ {
			disp[i*d+l] = ys[j*d+l] - xs[i*d+l]
		}
	}
	u, inverse := uniqueColours(x)
	nu := len(u) / d
	a := &arena{b: b}
	defer a.free()
	ua, xa, da, dst := a.upload(u), a.upload(xs), a.upload(disp), a.alloc(nu*d)
	if a.err != nil {
		return nil, nil, a.err
	}
	a.do(b.SoftMean(dst, compute.Pairs{X: ua, Y: xa, N: nu, M: k, D: d, Eps: s.Eps}, da, d))
	mv := a.read(dst)
	if a.err != nil {
		return nil, nil, a.err
	}
	out := make([]float64, len(x))
	for i, j := range inverse {
		for l := 0; l < d; l++ {
			out[i*d+l] = x[i*d+l] + mv[j*d+l]
		}
	}
	return out, &ColorResult{Cost: total / float64(k), SourcePoints: k, TargetPoints: k, Converged: true}, nil
}

// subsample returns k of the n = len(pts)/d points, drawn uniformly
// without replacement (a partial Fisher-Yates shuffle on the Philox
// stream of seed, counters from stream<<40).
func subsample(pts []float64, d, k int, seed uint64, stream uint64) []float64 {
	n := len(pts) / d
	if k >= n {
		return append([]float64(nil), pts...)
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	out := make([]float64, 0, k*d)
	for i := 0; i < k; i++ {
		j := i + int(compute.UniformAt(seed, stream<<40+uint64(i))*float64(n-i))
		j = min(j, n-1)
		perm[i], perm[j] = perm[j], perm[i]
		out = append(out, pts[perm[i]*d:perm[i]*d+d]...)
	}
	return out
}
