package exact

import (
	"math"

	"github.com/otplay/otplay/compute"
)

// Assignment solves the linear assignment problem on an n x n cost matrix
// (row-major): it returns perm with row i assigned to column perm[i],
// minimising sum_i cost[i*n+perm[i]], and that minimum.
//
// The method is the Hungarian algorithm in its shortest-augmenting-path
// form with dual potentials u, v (Kuhn 1955; Jonker and Volgenant 1987,
// sec. 2): rows are inserted one at a time, each by a Dijkstra search over
// reduced costs cost[i][j] - u[i] - v[j] >= 0, after which the potentials
// are updated so reduced costs stay non-negative. O(n^3) time, O(n)
// memory besides the costs.
func Assignment(cost []float64, n int) (perm []int, total float64, err error) {
	if n < 1 {
		return nil, 0, badInput("assignment of size %d", n)
	}
	if len(cost) != n*n {
		return nil, 0, badInput("cost has %d values, want n*n = %d", len(cost), n*n)
	}
	if err := checkFinite("cost", cost); err != nil {
		return nil, 0, err
	}
	// 1-based arrays as in the classical presentation: column 0 is a
	// virtual column holding the row being inserted.
	inf := math.Inf(1)
	u := make([]float64, n+1)
	v := make([]float64, n+1)
	rowOf := make([]int, n+1) // rowOf[j]: row assigned to column j (0 = none)
	way := make([]int, n+1)
	minv := make([]float64, n+1)
	used := make([]bool, n+1)
	for i := 1; i <= n; i++ {
		compute.YieldDue() // in the browser, a turn for the page every 25 ms
		rowOf[0] = i
		j0 := 0
		for j := range minv {
			minv[j] = inf
			used[j] = false
		}
		for {
			used[j0] = true
			i0 := rowOf[j0]
			delta, j1 := inf, 0
			row := cost[(i0-1)*n : i0*n]
			ui := u[i0]
			for j := 1; j <= n; j++ {
				if used[j] {
					continue
				}
				cur := row[j-1] - ui - v[j]
				if cur < minv[j] {
					minv[j] = cur
					way[j] = j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= n; j++ {
				if used[j] {
					u[rowOf[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if rowOf[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			rowOf[j0] = rowOf[j1]
			j0 = j1
		}
	}
	perm = make([]int, n)
	for j := 1; j <= n; j++ {
		perm[rowOf[j]-1] = j - 1
	}
	for i, j := range perm {
		total += cost[i*n+j]
	}
	return perm, total, nil
}

// Solve computes exact OT with squared Euclidean cost between uniform
// measures on n points x and m points y in dimension d (row-major): EMD
// with nil weights on SquaredEuclidean(x, y), without a pivot cap (the
// block search on a strongly feasible tree does not cycle, so it ends).
// Use EMD for weights, other costs, the potentials and a cap.
func Solve(x, y []float64, n, m, d int) (*Result, error) {
	switch {
	case n < 1:
		return nil, badInput("n = %d: x is empty", n)
	case m < 1:
		return nil, badInput("m = %d: y is empty", m)
	case d < 1:
		return nil, badInput("dimension d = %d", d)
	case len(x) != n*d:
		return nil, badInput("x has %d values, want n*d = %d*%d", len(x), n, d)
	case len(y) != m*d:
		return nil, badInput("y has %d values, want m*d = %d*%d", len(y), m, d)
	case n > MaxArcs/m:
		return nil, badInput("exact OT between %d and %d points: %d pairs exceed %d", n, m, n*m, MaxArcs)
	}
	if err := checkFinite("x", x); err != nil {
		return nil, err
	}
	if err := checkFinite("y", y); err != nil {
		return nil, err
	}
	return SolveCost(SquaredEuclidean(x, y, n, m, d), n, m)
}
