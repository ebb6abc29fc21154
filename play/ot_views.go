package play

import (
	"fmt"
	"math"
	"sort"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/ot"
)

// The /ot views beyond the numbers: the plan's strongest links over the
// clouds, the residual per iteration, the plan matrix as a heatmap, both
// potentials as heatmaps over the plane, and the plan row or column of a
// hovered point. The plan comes from the Result's potentials on the host
// (ot.Result.PlanEntry and friends).

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

// planLines returns one segment x_i -> y_j per top-k entry, with opacity
// P_ij / max P (the strongest link of the plan is opaque).
func planLines(p ot.Problem, idx []int, val []float64, k int) (segs, alpha []float64) {
	top := 0.0
	for _, v := range val {
		top = math.Max(top, v)
	}
	if !(top > 0) {
		return nil, nil
	}
	d := p.D
	for i := 0; i < p.N; i++ {
		for t := 0; t < k; t++ {
			j, v := idx[i*k+t], val[i*k+t]
			if j < 0 || !(v > 0) {
				continue
			}
			segs = append(segs, p.X[i*d], Coord(p.X, d, i, 1), p.Y[j*d], Coord(p.Y, d, j, 1))
			alpha = append(alpha, v/top)
		}
	}
	return segs, alpha
}

// OTPlanFigure is the plan view: both clouds and the plan lines segs (x0,
// y0, x1, y1 each) with opacities alpha.
func OTPlanFigure(p ot.Problem, segs, alpha []float64) figure.Figure {
	return figure.Figure{
		Width: 520, Height: 440, Title: "X, Y and the plan's largest entries", EqualAspect: true,
		Lines: []figure.LineSet{{Segs: segs, Alpha: alpha, Color: "#555555", Width: 1}},
		Points: []figure.PointSet{
			{XY: FirstTwo(p.X, p.D, MaxOTPoints), Label: "X (source)", Radius: 2.5},
			{XY: FirstTwo(p.Y, p.D, MaxOTPoints), Label: "Y (target)", Radius: 2.5},
		},
	}
}

func otChart(f OTFrame) figure.Figure {
	xy := make([]float64, 0, 2*len(f.Residuals))
	for i, v := range f.Residuals {
		xy = append(xy, float64(f.ResidualIters[i]), v)
	}
	title := "marginal error |P1 - a|_1 + |P'1 - b|_1"
	if f.Method == "unbalanced" || f.Method == "partial" {
		title = "relative change of the scalings"
	}
	return figure.Figure{Width: 520, Height: 220, Title: title + " (log scale) per iteration", LogY: true, XLabel: "iteration", YLabel: "residual",
		Curves: []figure.Curve{{XY: xy, Label: "residual", Color: "#d62728"}}}
}

// otPlanHeatmap is the plan matrix with rows (x) and columns (y) sorted by
// ot.PrincipalOrder, binned to at most OTHeatmapCells per side (a cell
// holds the total mass of its points), on a log color scale over the top
// four decades (so that the entropic blur is visible beside the peaks).
func otPlanHeatmap(p ot.Problem, res *ot.Result) (figure.Figure, error) {
	rows, cols := ot.PrincipalOrder(p)
	nr, nc := min(p.N, OTHeatmapCells), min(p.M, OTHeatmapCells)
	cells, err := res.PlanBinned(rows, cols, nr, nc)
	if err != nil {
		return figure.Figure{}, err
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
	return figure.Figure{
		Width: 300, Height: 300,
		Title: fmt.Sprintf("plan P (%d x %d, sorted; log10 P/max)", p.N, p.M),
		XMin:  0, XMax: float64(nc), YMin: 0, YMax: float64(nr),
		Heatmaps: []figure.Heatmap{{Cols: nc, Rows: nr, Values: vals, X0: 0, X1: float64(nc), Y0: 0, Y1: float64(nr), Min: -4, Max: 0}},
	}, nil
}

// otPotentialFigures are the potentials f and g extended to the plane
// (ot.Result.PotentialsOnGrid: their c-transforms, Feydy et al. 2019 eq.
// (8)) over the plan view's window, each with its cloud on top.
func otPotentialFigures(b compute.Backend, p ot.Problem, res *ot.Result, window figure.Figure) (f, g figure.Figure, err error) {
	xmin, xmax, ymin, ymax := window.Window()
	gr := ot.Grid{X0: xmin, X1: xmax, Y0: ymin, Y1: ymax, NX: OTPotentialGrid, NY: OTPotentialGrid}
	fv, gv, err := res.PotentialsOnGrid(b, gr)
	if err != nil {
		return f, g, err
	}
	fig := func(v []float64, title string, pts []float64, color string) figure.Figure {
		// Grid rows run upwards; heatmap rows run downwards.
		flip := make([]float64, len(v))
		for r := 0; r < gr.NY; r++ {
			copy(flip[(gr.NY-1-r)*gr.NX:(gr.NY-r)*gr.NX], v[r*gr.NX:(r+1)*gr.NX])
		}
		dx, dy := (xmax-xmin)/float64(gr.NX-1)/2, (ymax-ymin)/float64(gr.NY-1)/2
		return figure.Figure{
			Width: 300, Height: 260, Title: title, EqualAspect: true,
			XMin: xmin - dx, XMax: xmax + dx, YMin: ymin - dy, YMax: ymax + dy,
			Heatmaps: []figure.Heatmap{{Cols: gr.NX, Rows: gr.NY, Values: flip, X0: xmin - dx, X1: xmax + dx, Y0: ymin - dy, Y1: ymax + dy}},
			Points:   []figure.PointSet{{XY: FirstTwo(pts, p.D, MaxOTPoints), Color: color, Radius: 1.5}},
		}
	}
	return fig(fv, "potential f over the plane, with X", p.X, "#ffffff"),
		fig(gv, "potential g over the plane, with Y", p.Y, "#ffffff"), nil
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
	Lines figure.LineSet `json:"-"`
}

// Hover computes the row (set "x") or column (set "y") of point index of
// the frame's plan, on the host.
func (f OTFrame) Hover(set string, index int) (OTHoverInfo, error) {
	prob, res := f.Problem, f.Result
	if res == nil {
		return OTHoverInfo{}, fmt.Errorf("no plan yet")
	}
	var v []float64
	var err error
	from, to := prob.X, prob.Y
	if set == "x" {
		v, err = res.PlanRow(index)
	} else {
		v, err = res.PlanColumn(index)
		from, to = prob.Y, prob.X
	}
	if err != nil {
		return OTHoverInfo{}, err
	}
	info := OTHoverInfo{Set: set, Index: index}
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
	x0, y0 := from[index*prob.D], Coord(from, prob.D, index, 1)
	info.Lines = figure.LineSet{Color: "#d62728", Width: 1.5}
	for k, x := range v {
		if top > 0 && x >= 0.01*top {
			info.Lines.Segs = append(info.Lines.Segs, x0, y0, to[k*prob.D], Coord(to, prob.D, k, 1))
			info.Lines.Alpha = append(info.Lines.Alpha, x/top)
		}
	}
	return info, nil
}

// Convergence says whether the run converged and why, or why not yet,
// from the solver's own state: the residual against the tolerance, the
// iteration cap. Once the run has stopped (converged, or at the cap) the
// solver's own sentence says it, with what to do; while it runs, a short
// "not yet" does (the solver's advice to raise MaxIter would be noise
// mid-run).
func (f OTFrame) Convergence() string {
	if f.Status != "" && f.Iteration > 0 && f.Finished() {
		return f.Status
	}
	last := math.NaN()
	if len(f.Residuals) > 0 {
		last = f.Residuals[len(f.Residuals)-1]
	}
	switch {
	case f.Converged:
		return fmt.Sprintf("yes: the residual %.3g is below the tolerance %g", last, ot.DefaultTol)
	case f.Iteration >= ot.DefaultMaxIter:
		return fmt.Sprintf("no: stopped at the %d-iteration cap with residual %.3g (tolerance %g); a larger ε converges faster", ot.DefaultMaxIter, last, ot.DefaultTol)
	case f.Iteration == 0:
		return "not yet: no iteration run (press Step or Play)"
	}
	return fmt.Sprintf("not yet: residual %.3g, tolerance %g", last, ot.DefaultTol)
}
