package ui

import (
	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/solvers/ot"
)

// The /ot views' figures and hover read-outs are play's (play.OTFrame);
// what stays here depends on the canvas as drawn (PlotTransform).

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
			qx, qy := t.Apply(pts[i*prob.D], play.Coord(pts, prob.D, i, 1))
			if d := (qx-px)*(qx-px) + (qy-py)*(qy-py); d < best {
				best, h, ok = d, otHover{set: set, index: i}, true
			}
		}
	}
	look("x", prob.X, prob.N)
	look("y", prob.Y, prob.M)
	return h, ok
}

// OTPlanPixel is where the /ot plan view draws point i of set "x" or "y"
// of the problem, in canvas pixels (for scripts and tests that hover it).
func OTPlanPixel(p ot.Problem, set string, i int) (px, py float64) {
	pts := p.X
	if set == "y" {
		pts = p.Y
	}
	return play.OTPlanFigure(p, nil, nil).Transform().Apply(pts[i*p.D], play.Coord(pts, p.D, i, 1))
}
