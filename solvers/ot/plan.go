package ot

import (
	"container/heap"
	"fmt"
	"math"
	"slices"

	"github.com/otplay/otplay/compute"
)

// device holds a Result's problem and potentials uploaded to a Backend.
type device struct {
	b            compute.Backend
	x, y, la, lb compute.Array
	f, g         compute.Array
	n, m, d      int
	eps          float64
	cost         compute.Cost // the power of |x - y| (no matrix)
	freeList     []compute.Array
}

func (r *Result) checkUsable() error {
	if r == nil || r.F == nil || r.G == nil {
		return badInput("empty Result")
	}
	if len(r.F) != r.prob.N || len(r.G) != r.prob.M {
		return badInput("Result potentials have %d and %d values for N = %d, M = %d", len(r.F), len(r.G), r.prob.N, r.prob.M)
	}
	return nil
}

// upload puts the Result's problem and potentials on b. Free with free.
func (r *Result) upload(b compute.Backend) (*device, error) {
	if b == nil {
		return nil, badInput("backend is nil")
	}
	if err := r.checkUsable(); err != nil {
		return nil, err
	}
	p := r.prob
	dv := &device{b: b, n: p.N, m: p.M, d: p.D, eps: r.Eps, cost: compute.Cost{P: p.P}}
	var err error
	up := func(v []float64) compute.Array {
		if err != nil {
			return nil
		}
		var a compute.Array
		a, err = b.Upload(v)
		if err == nil {
			dv.freeList = append(dv.freeList, a)
		}
		return a
	}
	dv.x, dv.y = up(p.X), up(p.Y)
	dv.la, dv.lb = up(logs(p.A)), up(logs(p.B))
	dv.f, dv.g = up(r.F), up(r.G)
	if err != nil {
		dv.free()
		return nil, err
	}
	return dv, nil
}

func (dv *device) free() {
	for _, a := range dv.freeList {
		dv.b.Free(a)
	}
	dv.freeList = nil
}

// softMean returns, for each of the n points pts, the weighted mean of
// the column points (toY) or the row points (!toY) under the plan's
// conditional law of the columns or rows: Backend.SoftMeanY with c = 1,
// the values read from the cost's own points.
func (dv *device) softMean(pts []float64, n int, toY bool) ([]float64, error) {
	b := dv.b
	xa, err := b.Upload(pts)
	if err != nil {
		return nil, err
	}
	defer b.Free(xa)
	dst, err := b.Alloc(n * dv.d)
	if err != nil {
		return nil, err
	}
	defer b.Free(dst)
	pr := compute.Pairs{X: xa, Y: dv.y, N: n, M: dv.m, D: dv.d, LogW: dv.lb, G: dv.g, Eps: dv.eps, Cost: dv.cost}
	if !toY {
		pr = compute.Pairs{X: xa, Y: dv.x, N: n, M: dv.n, D: dv.d, LogW: dv.la, G: dv.f, Eps: dv.eps, Cost: dv.cost}
	}
	if err := b.SoftMeanY(dst, pr, 1); err != nil {
		return nil, err
	}
	out := make([]float64, n*dv.d)
	return out, b.Read(out, dst)
}

func checkPoints(name string, pts []float64, d int) (int, error) {
	if d < 1 || len(pts) == 0 || len(pts)%d != 0 {
		return 0, badInput("%s has %d values, not a non-empty multiple of D = %d", name, len(pts), d)
	}
	return len(pts) / d, checkFinite(name, pts)
}

// Transport evaluates the entropic map estimator of Pooladian and
// Niles-Weed 2021 ("Entropic estimation of optimal transport maps", eq.
// (3)) at new points xnew (k x D, row-major):
//
//	T(x) = sum_j w_j(x) y_j,  w_j(x) ∝ b_j exp((G_j - |x - y_j|^2)/eps),
//
// the barycentric projection of the plan extended out of sample. It
// returns k x D values.
func (r *Result) Transport(b compute.Backend, xnew []float64) ([]float64, error) {
	return r.mapPoints(b, xnew, true)
}

// TransportBack is the estimator of the inverse map, from the Y side:
// T'(y) = sum_i w_i(y) x_i with w_i(y) ∝ a_i exp((F_i - |y - x_i|^2)/eps).
func (r *Result) TransportBack(b compute.Backend, ynew []float64) ([]float64, error) {
	return r.mapPoints(b, ynew, false)
}

func (r *Result) mapPoints(b compute.Backend, pts []float64, toY bool) ([]float64, error) {
	if err := r.requirePoints("the entropic map (Transport)"); err != nil {
		return nil, err
	}
	k, err := checkPoints("points", pts, r.prob.D)
	if err != nil {
		return nil, err
	}
	dv, err := r.upload(b)
	if err != nil {
		return nil, err
	}
	defer dv.free()
	return dv.softMean(pts, k, toY)
}

// Barycentric returns the barycentric projection of the plan at the
// source points, sum_j P_ij y_j / sum_j P_ij (N x D), computed by one
// SoftMean without forming P (Transport at X).
func (r *Result) Barycentric(b compute.Backend) ([]float64, error) {
	if err := r.checkUsable(); err != nil {
		return nil, err
	}
	return r.Transport(b, r.prob.X)
}

// Grid is a regular 2-D grid for heatmaps: NX x NY points from (X0, Y0) to
// (X1, Y1) inclusive, stored row-major with x varying fastest (point
// r*NX + c is (X0 + c (X1-X0)/(NX-1), Y0 + r (Y1-Y0)/(NY-1))).
type Grid struct {
	X0, X1, Y0, Y1 float64
	NX, NY         int
}

// Points returns the grid's NX*NY points (2 floats each).
func (gr Grid) Points() ([]float64, error) {
	if gr.NX < 2 || gr.NY < 2 {
		return nil, badInput("grid of %d x %d: need at least 2 x 2", gr.NX, gr.NY)
	}
	if gr.NX*gr.NY > 1<<24 {
		return nil, badInput("grid of %d x %d points exceeds 2^24", gr.NX, gr.NY)
	}
	for _, v := range []float64{gr.X0, gr.X1, gr.Y0, gr.Y1} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, badInput("grid bounds must be finite")
		}
	}
	pts := make([]float64, 0, 2*gr.NX*gr.NY)
	for r := range gr.NY {
		for c := range gr.NX {
			pts = append(pts, gr.X0+float64(c)*(gr.X1-gr.X0)/float64(gr.NX-1), gr.Y0+float64(r)*(gr.Y1-gr.Y0)/float64(gr.NY-1))
		}
	}
	return pts, nil
}

// PotentialsAt extends the potentials to new points z (k x D) by their
// c-transforms (Feydy et al. 2019, eq. (8); Pooladian and Niles-Weed 2021):
//
//	f(z) = -eps log sum_j b_j exp((G_j - |z - y_j|^2)/eps)
//	g(z) = -eps log sum_i a_i exp((F_i - |z - x_i|^2)/eps)
//
// which agree with F and G at the data points at convergence (Balanced;
// for Unbalanced and Partial they are the balanced c-transforms).
func (r *Result) PotentialsAt(b compute.Backend, z []float64) (f, g []float64, err error) {
	if err := r.requirePoints("PotentialsAt"); err != nil {
		return nil, nil, err
	}
	k, err := checkPoints("points", z, r.prob.D)
	if err != nil {
		return nil, nil, err
	}
	dv, err := r.upload(b)
	if err != nil {
		return nil, nil, err
	}
	defer dv.free()
	za, err := b.Upload(z)
	if err != nil {
		return nil, nil, err
	}
	defer b.Free(za)
	dst, err := b.Alloc(k)
	if err != nil {
		return nil, nil, err
	}
	defer b.Free(dst)
	f, g = make([]float64, k), make([]float64, k)
	if err := b.SoftMin(dst, compute.Pairs{X: za, Y: dv.y, N: k, M: dv.m, D: dv.d, LogW: dv.lb, G: dv.g, Eps: dv.eps, Cost: dv.cost}); err != nil {
		return nil, nil, err
	}
	if err := b.Read(f, dst); err != nil {
		return nil, nil, err
	}
	if err := b.SoftMin(dst, compute.Pairs{X: za, Y: dv.x, N: k, M: dv.n, D: dv.d, LogW: dv.la, G: dv.f, Eps: dv.eps, Cost: dv.cost}); err != nil {
		return nil, nil, err
	}
	return f, g, b.Read(g, dst)
}

// PotentialsOnGrid evaluates PotentialsAt on a 2-D grid (for heatmaps);
// the problem must be 2-D. Values are in the grid's point order.
func (r *Result) PotentialsOnGrid(b compute.Backend, gr Grid) (f, g []float64, err error) {
	if r.prob.D != 2 {
		return nil, nil, badInput("PotentialsOnGrid needs 2-D points, have D = %d (use PotentialsAt)", r.prob.D)
	}
	pts, err := gr.Points()
	if err != nil {
		return nil, nil, err
	}
	return r.PotentialsAt(b, pts)
}

// planBlockRows bounds the rows of one dense block (block*M <= 2^22).
func planBlockRows(m int) int { return max(1, (1<<22)/m) }

// planner computes blocks of rows of the plan on the device as
//
//	P_ij = exp((2 x_i.y_j + U_i + V_j)/eps),
//	U_i = F_i + eps log a_i - |x_i|^2,  V_j = G_j + eps log b_j - |y_j|^2
//
// with one MatMul and two broadcast Maps (points centred first, so the
// float32 expansion of |x - y|^2 loses little).
type planner struct {
	r    *Result
	b    compute.Backend
	ys   compute.Array // centred Y
	v    compute.Array // V_j
	o    []float64
	rows int
}

func newPlanner(b compute.Backend, r *Result) (*planner, error) {
	if b == nil {
		return nil, badInput("backend is nil")
	}
	if err := r.checkUsable(); err != nil {
		return nil, err
	}
	p := r.prob
	pl := &planner{r: r, b: b, rows: planBlockRows(p.M)}
	if !p.squaredCost() {
		return pl, nil // blocks on the host (hostPlanBlock)
	}
	pl.o = centre(p.Problem)
	ys := make([]float64, len(p.Y))
	v := make([]float64, p.M)
	for j := range p.M {
		s := 0.0
		for k := range p.D {
			t := p.Y[j*p.D+k] - pl.o[k]
			ys[j*p.D+k] = t
			s += t * t
		}
		v[j] = r.G[j] + r.Eps*math.Log(p.B[j]) - s
	}
	var err error
	if pl.ys, err = b.Upload(ys); err != nil {
		return nil, err
	}
	if pl.v, err = b.Upload(v); err != nil {
		b.Free(pl.ys)
		return nil, err
	}
	return pl, nil
}

func (pl *planner) free() { pl.b.Free(pl.ys); pl.b.Free(pl.v) }

// block writes rows [i0, i1) of the plan into dst ((i1-i0) x M).
func (pl *planner) block(dst []float64, i0, i1 int) error {
	r, b, p := pl.r, pl.b, pl.r.prob
	if !p.squaredCost() {
		r.hostPlanBlock(dst, i0, i1)
		return nil
	}
	n := i1 - i0
	xs := make([]float64, n*p.D)
	u := make([]float64, n)
	for i := i0; i < i1; i++ {
		s := 0.0
		for k := range p.D {
			t := p.X[i*p.D+k] - pl.o[k]
			xs[(i-i0)*p.D+k] = t
			s += t * t
		}
		u[i-i0] = r.F[i] + r.Eps*math.Log(p.A[i]) - s
	}
	xa, err := b.Upload(xs)
	if err != nil {
		return err
	}
	defer b.Free(xa)
	ua, err := b.Upload(u)
	if err != nil {
		return err
	}
	defer b.Free(ua)
	s, err := b.Alloc(n * p.M)
	if err != nil {
		return err
	}
	defer b.Free(s)
	if err := b.MatMul(s, xa, pl.ys, n, p.D, p.M, false, true); err != nil {
		return err
	}
	if err := b.Map(s, compute.MapArgs{Op: compute.OpAxpby, X: s, Y: ua, YDiv: p.M, A: 2, B: 1}); err != nil {
		return err
	}
	if err := b.Map(s, compute.MapArgs{Op: compute.OpExp, X: s, Y: pl.v, YMod: p.M, A: 1 / r.Eps, B: 1 / r.Eps}); err != nil {
		return err
	}
	if err := b.Read(dst[:n*p.M], s); err != nil {
		return err
	}
	// Potentials far from a plan (or an eps the backend cannot resolve)
	// overflow exp: say so rather than hand out Inf or NaN entries.
	for t, v := range dst[:n*p.M] {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: plan entry (%d, %d) = %v at eps = %g: the potentials do not define a finite plan on this backend (%s)", ErrNumerical, i0+t/p.M, t%p.M, v, r.Eps, r.Status)
		}
	}
	return nil
}

// PlanDense materialises the plan P (N x M, row-major) for inspection,
// refusing N*M > MaxDense.
func (r *Result) PlanDense(b compute.Backend) ([]float64, error) {
	if err := r.checkUsable(); err != nil {
		return nil, err
	}
	p := r.prob
	if p.N*p.M > MaxDense {
		return nil, badInput("dense plan of %d x %d = %d entries exceeds %d (use PlanTopK)", p.N, p.M, p.N*p.M, MaxDense)
	}
	pl, err := newPlanner(b, r)
	if err != nil {
		return nil, err
	}
	defer pl.free()
	out := make([]float64, p.N*p.M)
	for i0 := 0; i0 < p.N; i0 += pl.rows {
		i1 := min(i0+pl.rows, p.N)
		if err := pl.block(out[i0*p.M:], i0, i1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PlanTopK returns the k largest entries of each row of the plan: for row
// i, idx[i*k+t] is a column and val[i*k+t] its P_ij, in decreasing order
// (k is capped at M). Rows are computed in blocks of at most 2^22 entries
// on the device and reduced on the host, so memory stays O(N k + 2^22)
// whatever N*M.
func (r *Result) PlanTopK(b compute.Backend, k int) (idx []int, val []float64, err error) {
	if err := r.checkUsable(); err != nil {
		return nil, nil, err
	}
	p := r.prob
	if k < 1 {
		return nil, nil, badInput("k = %d must be >= 1", k)
	}
	k = min(k, p.M)
	pl, err := newPlanner(b, r)
	if err != nil {
		return nil, nil, err
	}
	defer pl.free()
	idx = make([]int, p.N*k)
	val = make([]float64, p.N*k)
	buf := make([]float64, pl.rows*p.M)
	h := &topHeap{}
	for i0 := 0; i0 < p.N; i0 += pl.rows {
		i1 := min(i0+pl.rows, p.N)
		if err := pl.block(buf, i0, i1); err != nil {
			return nil, nil, err
		}
		for i := i0; i < i1; i++ {
			row := buf[(i-i0)*p.M : (i-i0+1)*p.M]
			h.reset()
			for j, v := range row {
				if h.Len() < k {
					heap.Push(h, entry{j, v})
				} else if v > h.e[0].v {
					h.e[0] = entry{j, v}
					heap.Fix(h, 0)
				}
			}
			top := slices.Clone(h.e)
			slices.SortFunc(top, func(a, b entry) int {
				switch {
				case a.v > b.v:
					return -1
				case a.v < b.v:
					return 1
				}
				return a.j - b.j
			})
			for t, e := range top {
				idx[i*k+t], val[i*k+t] = e.j, e.v
			}
		}
	}
	return idx, val, nil
}

type entry struct {
	j int
	v float64
}

// topHeap is a min-heap of entries by value.
type topHeap struct{ e []entry }

func (h *topHeap) reset()             { h.e = h.e[:0] }
func (h *topHeap) Len() int           { return len(h.e) }
func (h *topHeap) Less(a, b int) bool { return h.e[a].v < h.e[b].v }
func (h *topHeap) Swap(a, b int)      { h.e[a], h.e[b] = h.e[b], h.e[a] }
func (h *topHeap) Push(x any)         { h.e = append(h.e, x.(entry)) }
func (h *topHeap) Pop() any {
	x := h.e[len(h.e)-1]
	h.e = h.e[:len(h.e)-1]
	return x
}

// EntropicMap solves balanced entropic OT between p's clouds and returns
// the entropic map estimator (Pooladian and Niles-Weed 2021, eq. (3))
// evaluated at xnew, with the Result for further use.
func EntropicMap(b compute.Backend, p Problem, s Settings, xnew []float64) ([]float64, *Result, error) {
	if _, err := checkPoints("xnew", xnew, p.D); err != nil {
		return nil, nil, err
	}
	r, err := Sinkhorn(b, p, s)
	if err != nil {
		return nil, nil, err
	}
	t, err := r.Transport(b, xnew)
	return t, r, err
}
