package ui

import (
	"fmt"
	"math"
	"sort"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
)

// The /ot views beyond the plan lines: the plan matrix as a heatmap, both
// potentials as heatmaps over the plane, and the plan row or column of a
// hovered point. They are all computed from the Result's potentials F and
// G read back to the host: every method's plan is
//
//	P_ij = a_i b_j exp((F_i + G_j - |x_i - y_j|^2) / eps)
//
// (ot.Result), so a row costs O(m) on the host and needs no device work.

// OTHeatmapCells bounds the plan heatmap's side: beyond it consecutive
// sorted points share a cell, whose value is their total mass.
const OTHeatmapCells = 160

// OTPotentialGrid is the side of the potentials' grid (ot.PotentialsOnGrid:
// two soft-mins of OTPotentialGrid^2 points against n or m).
const OTPotentialGrid = 48

// otLiveViewPairs bounds n*m for which the heatmaps are refreshed on
// every frame while playing; larger problems refresh them when a frame is
// not part of a Play (after Step, Pause or convergence), so that playing
// measures and shows the iterations themselves.
const otLiveViewPairs = 1 << 16

// planEntry is P_ij from the host copies of the potentials.
func planEntry(p ot.Problem, res *ot.Result, a, b []float64, i, j int) float64 {
	c := 0.0
	for k := 0; k < p.D; k++ {
		d := p.X[i*p.D+k] - p.Y[j*p.D+k]
		c += d * d
	}
	v := a[i] * b[j] * math.Exp((res.F[i]+res.G[j]-c)/res.Eps)
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// PlanRow returns row i of the plan (what x_i sends to each y_j), from
// the Result's potentials on the host.
func PlanRow(p ot.Problem, res *ot.Result, i int) []float64 {
	a, b := problemWeights(p)
	row := make([]float64, p.M)
	for j := range row {
		row[j] = planEntry(p, res, a, b, i, j)
	}
	return row
}

// PlanColumn returns column j of the plan (what y_j receives from each
// x_i).
func PlanColumn(p ot.Problem, res *ot.Result, j int) []float64 {
	a, b := problemWeights(p)
	col := make([]float64, p.N)
	for i := range col {
		col[i] = planEntry(p, res, a, b, i, j)
	}
	return col
}

func problemWeights(p ot.Problem) (a, b []float64) {
	a, b = p.A, p.B
	if a == nil {
		a = uniformWeights(p.N)
	}
	if b == nil {
		b = uniformWeights(p.M)
	}
	return a, b
}

// principalOrder sorts the points of both clouds by their projection on
// the principal axis of the two clouds together (the top eigenvector of
// their 2x2 covariance): the order in which the plan heatmap lists rows
// and columns, so that a map that roughly preserves that axis puts its
// mass near the diagonal.
func principalOrder(p ot.Problem) (rows, cols []int) {
	var mx, my, sxx, sxy, syy float64
	n := float64(p.N + p.M)
	pts := func(f func(x, y float64)) {
		for i := 0; i < p.N; i++ {
			f(p.X[i*p.D], coord(p.X, p.D, i, 1))
		}
		for j := 0; j < p.M; j++ {
			f(p.Y[j*p.D], coord(p.Y, p.D, j, 1))
		}
	}
	pts(func(x, y float64) { mx += x / n; my += y / n })
	pts(func(x, y float64) {
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
			proj[i] = pts[i*p.D]*ux + coord(pts, p.D, i, 1)*uy
		}
		sort.SliceStable(idx, func(s, t int) bool { return proj[idx[s]] < proj[idx[t]] })
		return idx
	}
	return order(p.X, p.N), order(p.Y, p.M)
}

func coord(pts []float64, d, i, k int) float64 {
	if k >= d {
		return 0
	}
	return pts[i*d+k]
}

// otPlanHeatmap is the plan matrix with rows (x) and columns (y) sorted by
// principalOrder, binned to at most OTHeatmapCells per side (a cell holds
// the total mass of its points), on a log color scale over the top four
// decades (so that the entropic blur is visible beside the peaks).
func otPlanHeatmap(p ot.Problem, res *ot.Result) Figure {
	rows, cols := principalOrder(p)
	a, b := problemWeights(p)
	nr, nc := min(p.N, OTHeatmapCells), min(p.M, OTHeatmapCells)
	cells := make([]float64, nr*nc)
	for si, i := range rows {
		r := si * nr / p.N
		for sj, j := range cols {
			cells[r*nc+sj*nc/p.M] += planEntry(p, res, a, b, i, j)
		}
	}
	top := 0.0
	for _, v := range cells {
		top = math.Max(top, v)
	}
	vals := make([]float64, len(cells))
	for k, v := range cells {
		if v > 0 && top > 0 {
			vals[k] = math.Max(math.Log10(v/top), -4)
		} else {
			vals[k] = -4
		}
	}
	return Figure{
		Width: 300, Height: 300,
		Title: fmt.Sprintf("plan P (%d x %d, sorted; log10 P/max)", p.N, p.M),
		XMin:  0, XMax: float64(nc), YMin: 0, YMax: float64(nr),
		Heatmaps: []Heatmap{{Cols: nc, Rows: nr, Values: vals, X0: 0, X1: float64(nc), Y0: 0, Y1: float64(nr), Min: -4, Max: 0}},
	}
}

// otPotentialFigures are the potentials f and g extended to the plane
// (ot.Result.PotentialsOnGrid: their c-transforms, Feydy et al. 2019 eq.
// (8)) over the plan view's window, each with its cloud on top.
func otPotentialFigures(b compute.Backend, p ot.Problem, res *ot.Result, window Figure) (f, g Figure, err error) {
	xmin, xmax, ymin, ymax := window.Window()
	gr := ot.Grid{X0: xmin, X1: xmax, Y0: ymin, Y1: ymax, NX: OTPotentialGrid, NY: OTPotentialGrid}
	fv, gv, err := res.PotentialsOnGrid(b, gr)
	if err != nil {
		return f, g, err
	}
	fig := func(v []float64, title string, pts []float64, color string) Figure {
		// Grid rows run upwards; heatmap rows run downwards.
		flip := make([]float64, len(v))
		for r := 0; r < gr.NY; r++ {
			copy(flip[(gr.NY-1-r)*gr.NX:(gr.NY-r)*gr.NX], v[r*gr.NX:(r+1)*gr.NX])
		}
		dx, dy := (xmax-xmin)/float64(gr.NX-1)/2, (ymax-ymin)/float64(gr.NY-1)/2
		return Figure{
			Width: 300, Height: 260, Title: title, EqualAspect: true,
			XMin: xmin - dx, XMax: xmax + dx, YMin: ymin - dy, YMax: ymax + dy,
			Heatmaps: []Heatmap{{Cols: gr.NX, Rows: gr.NY, Values: flip, X0: xmin - dx, X1: xmax + dx, Y0: ymin - dy, Y1: ymax + dy}},
			Points:   []PointSet{{XY: firstTwo(pts, p.D, MaxOTPoints), Color: color, Radius: 1.5}},
		}
	}
	return fig(fv, "potential f over the plane, with X", p.X, "#ffffff"),
		fig(gv, "potential g over the plane, with Y", p.Y, "#ffffff"), nil
}

// otHover is the point under the mouse on the plan view.
type otHover struct {
	set   string // "x" (a source point: its row) or "y" (a target: its column)
	index int
}

// hoverPick returns the point of the plan figure nearest to the canvas
// position (px, py) in canvas pixels, within 12 pixels; ok is false if
// none is that near.
func hoverPick(fig Figure, prob ot.Problem, px, py float64) (h otHover, ok bool) {
	t := PlotTransform("ot-plan", fig)
	best := 12.0 * 12.0
	look := func(set string, pts []float64, n int) {
		for i := 0; i < n; i++ {
			qx, qy := t.Apply(pts[i*prob.D], coord(pts, prob.D, i, 1))
			if d := (qx-px)*(qx-px) + (qy-py)*(qy-py); d < best {
				best, h, ok = d, otHover{set: set, index: i}, true
			}
		}
	}
	look("x", prob.X, prob.N)
	look("y", prob.Y, prob.M)
	return h, ok
}

// OTHoverInfo says where a hovered point's mass goes: its plan row (x_i)
// or column (y_j), its total, and the largest entries.
type OTHoverInfo struct {
	Set   string    `json:"set"`
	Index int       `json:"index"`
	Mass  float64   `json:"mass"` // sum of the row (column)
	Top   []int     `json:"top"`  // partners by decreasing mass
	Share []float64 `json:"share"`
	// Lines are the segments to every partner with at least 1% of the
	// largest entry, opacity by mass.
	lines LineSet
}

// otHoverInfo computes the hovered point's row or column on the host.
func otHoverInfo(prob ot.Problem, res *ot.Result, h otHover) OTHoverInfo {
	var v []float64
	from, to := prob.X, prob.Y
	if h.set == "x" {
		v = PlanRow(prob, res, h.index)
	} else {
		v = PlanColumn(prob, res, h.index)
		from, to = prob.Y, prob.X
	}
	info := OTHoverInfo{Set: h.set, Index: h.index}
	top := 0.0
	for _, x := range v {
		info.Mass += x
		top = math.Max(top, x)
	}
	idx := make([]int, len(v))
	for k := range idx {
		idx[k] = k
	}
	sort.SliceStable(idx, func(s, t int) bool { return v[idx[s]] > v[idx[t]] })
	for _, k := range idx[:min(3, len(idx))] {
		if v[k] > 0 && info.Mass > 0 {
			info.Top, info.Share = append(info.Top, k), append(info.Share, v[k]/info.Mass)
		}
	}
	x0, y0 := from[h.index*prob.D], coord(from, prob.D, h.index, 1)
	info.lines = LineSet{Color: "#d62728", Width: 1.5}
	for k, x := range v {
		if top > 0 && x >= 0.01*top {
			info.lines.Segs = append(info.lines.Segs, x0, y0, to[k*prob.D], coord(to, prob.D, k, 1))
			info.lines.Alpha = append(info.lines.Alpha, x/top)
		}
	}
	return info
}

// OTPlanPixel is where the /ot plan view draws point i of set "x" or "y"
// of the problem, in canvas pixels (for scripts and tests that hover it).
func OTPlanPixel(p ot.Problem, set string, i int) (px, py float64) {
	pts := p.X
	if set == "y" {
		pts = p.Y
	}
	return otPlanFigure(p, nil, nil).Transform().Apply(pts[i*p.D], coord(pts, p.D, i, 1))
}

// planTopKHost returns the k largest entries of each row of the plan
// (idx[i*k+t] a column, val[i*k+t] its P_ij, decreasing; -1 and 0 where a
// row has fewer than k positive entries), like ot.Result.PlanTopK but on
// the host from the potentials: one pass of n*m exponentials and no
// device round trip or n*m readback, which made PlanTopK most of a frame's
// time.
func planTopKHost(p ot.Problem, res *ot.Result, k int) (idx []int, val []float64) {
	k = min(k, p.M)
	a, b := problemWeights(p)
	idx, val = make([]int, p.N*k), make([]float64, p.N*k)
	for i := 0; i < p.N; i++ {
		ri, rv := idx[i*k:(i+1)*k], val[i*k:(i+1)*k]
		for t := range ri {
			ri[t] = -1
		}
		for j := 0; j < p.M; j++ {
			v := planEntry(p, res, a, b, i, j)
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
	return idx, val
}
