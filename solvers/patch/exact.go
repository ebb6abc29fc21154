package patch

import (
	"math"

	"github.com/otplay/otplay/compute"
)

// exactColour solves exact OT between k = min(Subsample, n, m) pixels
// drawn uniformly without replacement from each image: with uniform
// weights on equal counts the optimal plan is a permutation (Birkhoff),
// found by the Hungarian algorithm (assignment). The map is extended to
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
	assign := hungarian(cost, k)
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

// hungarian returns the assignment sigma (row i -> column sigma[i]) that
// minimises sum_i cost[i*n + sigma(i)] over permutations of n: the
// Hungarian algorithm with potentials and shortest augmenting paths
// (Kuhn 1955; Munkres 1957; the O(n^3) form of Jonker and Volgenant 1987).
func hungarian(cost []float64, n int) []int {
	inf := math.Inf(1)
	u := make([]float64, n+1)
	v := make([]float64, n+1)
	p := make([]int, n+1) // p[j]: row matched to column j (1-based), 0 = free
	way := make([]int, n+1)
	minv := make([]float64, n+1)
	used := make([]bool, n+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j] = inf
			used[j] = false
		}
		for {
			used[j0] = true
			i0, delta, j1 := p[j0], inf, 0
			row := cost[(i0-1)*n:]
			for j := 1; j <= n; j++ {
				if used[j] {
					continue
				}
				cur := row[j-1] - u[i0] - v[j]
				if cur < minv[j] {
					minv[j] = cur
					way[j] = j0
				}
				if minv[j] < delta {
					delta = minv[j]
					j1 = j
				}
			}
			for j := 0; j <= n; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	sigma := make([]int, n)
	for j := 1; j <= n; j++ {
		sigma[p[j]-1] = j - 1
	}
	return sigma
}
