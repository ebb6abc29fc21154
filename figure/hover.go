package figure

import (
	"fmt"
	"math"
	"strconv"
)

// Readout is what lies under a canvas pixel: its data coordinates, the
// nearest point of a point set or curve within HoverRadius pixels, and the
// value of the heatmap cell under it.
type Readout struct {
	Inside bool    // the pixel is in the data area
	X, Y   float64 // data coordinates (10^plotted on a log axis)

	HasPoint       bool
	Layer          string  // "points" or "curve"
	LayerIndex     int     // index in Figure.Points or Figure.Curves
	Index          int     // the point's index in its layer
	LayerLabel     string  // the layer's legend label
	PointX, PointY float64 // the point's data coordinates

	HasValue   bool
	Heatmap    int // index in Figure.Heatmaps
	Row, Col   int
	Value      float64
	ValueLabel string // the heatmap's Label

	Text string // one line for a tooltip; "" outside the data area
}

// HoverRadius is how near, in CSS pixels, a point must be to be picked.
const HoverRadius = 12.0

// Hover returns the readout at canvas pixel (px, py) (CSS pixels of the
// figure's own size) for a layout computed by f.Layout(). The data
// coordinates round-trip: Hover at the pixel where Transform puts (x, y)
// reads (x, y) back.
func (f Figure) Hover(L Layout, px, py float64) Readout {
	var r Readout
	if !L.Area.Contains(px, py) {
		return r
	}
	r.Inside = true
	x, y := L.Transform.Inverse(px, py)
	r.X, r.Y = f.DataX(x), f.DataY(y)
	best := HoverRadius * HoverRadius
	look := func(layer string, li int, label string, xy []float64) {
		for k := 0; k+1 < len(xy); k += 2 {
			qx, qy, ok := f.point(xy[k], xy[k+1])
			if !ok {
				continue
			}
			sx, sy := L.Transform.Apply(qx, qy)
			if d := (sx-px)*(sx-px) + (sy-py)*(sy-py); d <= best {
				best = d
				r.HasPoint, r.Layer, r.LayerIndex, r.Index, r.LayerLabel = true, layer, li, k/2, label
				r.PointX, r.PointY = xy[k], xy[k+1]
			}
		}
	}
	for i, c := range f.Curves {
		look("curve", i, c.Label, c.XY)
	}
	for i, p := range f.Points {
		look("points", i, p.Label, p.XY)
	}
	for i := len(f.Heatmaps) - 1; i >= 0; i-- { // the topmost heatmap first
		h := f.Heatmaps[i]
		if h.Cols < 1 || h.Rows < 1 || len(h.Values) != h.Cols*h.Rows {
			continue
		}
		x0, x1, y0, y1 := h.Rect()
		if !(x0 < x1 && y0 < y1) || r.X < x0 || r.X > x1 || r.Y < y0 || r.Y > y1 {
			continue
		}
		col := min(h.Cols-1, int((r.X-x0)/(x1-x0)*float64(h.Cols)))
		row := min(h.Rows-1, int((y1-r.Y)/(y1-y0)*float64(h.Rows))) // row 0 on top
		v := h.Values[row*h.Cols+col]
		if math.IsNaN(v) {
			continue
		}
		r.HasValue, r.Heatmap, r.Row, r.Col, r.Value, r.ValueLabel = true, i, row, col, v, h.Label
		break
	}
	r.Text = fmt.Sprintf("x %s, y %s", num(r.X), num(r.Y))
	if r.HasPoint {
		name := r.LayerLabel
		if name == "" {
			name = r.Layer
		}
		r.Text = fmt.Sprintf("%s #%d: (%s, %s)", name, r.Index, num(r.PointX), num(r.PointY))
	}
	if r.HasValue {
		name := r.ValueLabel
		if name == "" {
			name = "value"
		}
		r.Text += fmt.Sprintf("; %s %s (cell %d, %d)", name, num(r.Value), r.Row, r.Col)
	}
	return r
}

// num formats a read-out number with four significant digits and a true
// minus sign.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'g', 4, 64)
	if len(s) > 0 && s[0] == '-' {
		s = "−" + s[1:]
	}
	return s
}
