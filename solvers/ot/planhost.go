package ot

import (
	"math"
	"sort"
)

// Host views of the plan, for inspection at interactive rates. Every
// method's plan is
//
//	P_ij = a_i b_j exp((F_i + G_j - C_ij) / Eps)
//
// (see Result; C_ij = |x_i - y_j|^2, |x_i - y_j|^P or the cost matrix's
// entry), so with the potentials on the host a row or a column costs
// O(M D) or O(N D) and needs no device round trip; PlanTopKHost and
// PlanBinned cost one pass of N*M exponentials. Use PlanDense and
// PlanTopK (on a Backend) for large problems.

// PlanEntry returns P_ij computed on the host from the potentials (0 where
// the exponential overflows to NaN). It panics if i or j is out of range.
func (r *Result) PlanEntry(i, j int) float64 { return r.planEntry(r.hostCost(), i, j) }

// hostCost is C(i, j) of the Result's problem in float64.
func (r *Result) hostCost() func(i, j int) float64 {
	return hostCost(r.prob.Problem, r.prob.X, r.prob.Y)
}

func (r *Result) planEntry(cost func(i, j int) float64, i, j int) float64 {
	v := r.prob.A[i] * r.prob.B[j] * math.Exp((r.F[i]+r.G[j]-cost(i, j))/r.Eps)
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// PlanRow returns row i of the plan: what x_i sends to each y_j.
func (r *Result) PlanRow(i int) ([]float64, error) {
	if err := r.checkUsable(); err != nil {
		return nil, err
	}
	if i < 0 || i >= r.prob.N {
		return nil, badInput("row %d outside [0, %d)", i, r.prob.N)
	}
	row, cost := make([]float64, r.prob.M), r.hostCost()
	for j := range row {
		row[j] = r.planEntry(cost, i, j)
	}
	return row, nil
}

// PlanColumn returns column j of the plan: what y_j receives from each x_i.
func (r *Result) PlanColumn(j int) ([]float64, error) {
	if err := r.checkUsable(); err != nil {
		return nil, err
	}
	if j < 0 || j >= r.prob.M {
		return nil, badInput("column %d outside [0, %d)", j, r.prob.M)
	}
	col, cost := make([]float64, r.prob.N), r.hostCost()
	for i := range col {
		col[i] = r.planEntry(cost, i, j)
	}
	return col, nil
}

// PlanTopKHost is PlanTopK on the host: the k largest entries of each row
// (idx[i*k+t] a column, val[i*k+t] its P_ij, decreasing; -1 and 0 where a
// row has fewer than k positive entries; k is capped at M), by insertion
// into a sorted k-list over each row. It avoids PlanTopK's device work and
// N*M readback, which dominate for the small problems of an interactive
// page.
func (r *Result) PlanTopKHost(k int) (idx []int, val []float64, err error) {
	if err := r.checkUsable(); err != nil {
		return nil, nil, err
	}
	if k < 1 {
		return nil, nil, badInput("k = %d must be >= 1", k)
	}
	p, cost := r.prob, r.hostCost()
	k = min(k, p.M)
	idx, val = make([]int, p.N*k), make([]float64, p.N*k)
	for i := 0; i < p.N; i++ {
		ri, rv := idx[i*k:(i+1)*k], val[i*k:(i+1)*k]
		for t := range ri {
			ri[t] = -1
		}
		for j := 0; j < p.M; j++ {
			v := r.planEntry(cost, i, j)
			if !(v > rv[k-1]) {
				continue
			}
			t := k - 1
			for ; t > 0 && v > rv[t-1]; t-- {
				rv[t], ri[t] = rv[t-1], ri[t-1]
			}
			rv[t], ri[t] = v, j
		}
	}
	return idx, val, nil
}

// PlanBinned returns the plan with its rows listed in the order rows and
// its columns in the order cols (permutations of 0..N-1 and 0..M-1, e.g.
// from PrincipalOrder), binned to nr x nc cells (row-major): consecutive
// rows (columns) of the order share a cell, whose value is their total
// mass. nr and nc are capped at N and M; the cells sum to the plan's mass.
func (r *Result) PlanBinned(rows, cols []int, nr, nc int) ([]float64, error) {
	if err := r.checkUsable(); err != nil {
		return nil, err
	}
	p := r.prob
	if len(rows) != p.N || len(cols) != p.M {
		return nil, badInput("orders of %d rows and %d columns for N = %d, M = %d", len(rows), len(cols), p.N, p.M)
	}
	if nr < 1 || nc < 1 {
		return nil, badInput("%d x %d cells: want at least one", nr, nc)
	}
	nr, nc = min(nr, p.N), min(nc, p.M)
	cells, cost := make([]float64, nr*nc), r.hostCost()
	for si, i := range rows {
		row := cells[si*nr/p.N*nc:]
		for sj, j := range cols {
			row[sj*nc/p.M] += r.planEntry(cost, i, j)
		}
	}
	return cells, nil
}

// PrincipalOrder sorts the points of both clouds by their projection on
// the principal axis of the two clouds together (the top eigenvector of
// the covariance of their first two coordinates; a 1-D problem sorts by
// its coordinate): the order in which a plan heatmap lists rows and
// columns, so that a map that roughly preserves that axis puts its mass
// near the diagonal. Ties keep index order. A problem given by a cost
// matrix (no points) keeps index order.
func PrincipalOrder(p Problem) (rows, cols []int) {
	if p.X == nil || p.Y == nil {
		return identity(p.N), identity(p.M)
	}
	second := func(pts []float64, i int) float64 {
		if p.D < 2 {
			return 0
		}
		return pts[i*p.D+1]
	}
	var mx, my, sxx, sxy, syy float64
	n := float64(p.N + p.M)
	each := func(f func(x, y float64)) {
		for i := 0; i < p.N; i++ {
			f(p.X[i*p.D], second(p.X, i))
		}
		for j := 0; j < p.M; j++ {
			f(p.Y[j*p.D], second(p.Y, j))
		}
	}
	each(func(x, y float64) { mx += x / n; my += y / n })
	each(func(x, y float64) {
		sxx += (x - mx) * (x - mx)
		sxy += (x - mx) * (y - my)
		syy += (y - my) * (y - my)
	})
	// Top eigenvector of [[sxx, sxy], [sxy, syy]].
	theta := 0.5 * math.Atan2(2*sxy, sxx-syy)
	ux, uy := math.Cos(theta), math.Sin(theta)
	order := func(pts []float64, k int) []int {
		idx := make([]int, k)
		proj := make([]float64, k)
		for i := range idx {
			idx[i] = i
			proj[i] = pts[i*p.D]*ux + second(pts, i)*uy
		}
		sort.SliceStable(idx, func(s, t int) bool { return proj[idx[s]] < proj[idx[t]] })
		return idx
	}
	return order(p.X, p.N), order(p.Y, p.M)
}

// identity is 0, 1, ..., n-1.
func identity(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}
