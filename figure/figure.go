package figure

import (
	"fmt"
	"math"
)

// Figure is a 2-D plot: data layers drawn in a data window mapped onto a
// Width x Height canvas, with axes, tick labels, axis titles, a legend and
// a colourbar per heatmap around the data area. The zero window (XMin ==
// XMax or YMin == YMax) fits the data with a 5% margin.
type Figure struct {
	Width, Height int // CSS pixels; 0 means 480 x 360
	// Title is drawn above the data area; XLabel under the x tick labels;
	// YLabel turned a quarter left of the y tick labels.
	Title, XLabel, YLabel string
	// The data window, in data units (also on log axes); see Figure.
	XMin, XMax, YMin, YMax float64
	// EqualAspect makes one data unit as long on both axes (point clouds):
	// the window widens along the axis that has room to spare.
	EqualAspect bool
	// LogX and LogY plot log10 of that coordinate for every layer, with
	// ticks at powers of ten labelled 10ᵏ; non-positive values are
	// dropped (a gap in a curve).
	LogX, LogY bool
	// Legend places the entries of the labelled layers outside the data
	// area; the zero value chooses right of it when that leaves the data
	// area 60% of the width (and, under EqualAspect, a larger scale than
	// above it would), above it otherwise.
	Legend LegendPlace
	// Note is shown in the data area while no layer has a finite point;
	// "" means EmptyNote.
	Note string

	Heatmaps []Heatmap  // drawn first
	Lines    []LineSet  // then segments (plans)
	Curves   []Curve    // then curves (charts)
	Points   []PointSet // points on top
}

// EmptyNote is the note of a figure with no data yet (a chart before the
// first iteration).
const EmptyNote = "no data yet — press Step or Play"

// LegendPlace is where the legend goes.
type LegendPlace int

const (
	LegendAuto   LegendPlace = iota // right or top, whichever leaves the data more room (see Figure.Legend)
	LegendRight                     // a column right of the data area (and its colourbars)
	LegendTop                       // rows between the title and the data area
	LegendHidden                    // no legend
)

// PointSet is a cloud of discs.
type PointSet struct {
	XY     []float64 // x0, y0, x1, y1, ...
	Color  string    // CSS color; "" means the palette color of its index
	Radius float64   // CSS pixels; 0 means 2.5
	Label  string    // legend entry, drawn with a dot ("" for none)
}

// LineSet is a set of segments with per-segment opacity: the lines of a
// transport plan, with alpha proportional to the plan's mass.
type LineSet struct {
	Segs  []float64 // x0, y0, x1, y1 per segment
	Alpha []float64 // opacity per segment in [0, 1], or nil for Opacity everywhere
	// Opacity is used where Alpha is nil; 0 means 0.5.
	Opacity float64
	Color   string    // "" means #444444
	Width   float64   // CSS pixels; 0 means 1
	Dash    []float64 // dash pattern in CSS pixels (on, off, ...); nil is solid
	Label   string    // legend entry, drawn with a segment ("" for none)
}

// Curve is a polyline through data points, for charts (marginal error per
// iteration, loss per step). A NaN, an infinity or (on a log axis) a
// non-positive value breaks it.
type Curve struct {
	XY    []float64 // x0, y0, x1, y1, ...
	Color string    // "" means the palette color of its index
	Width float64   // 0 means 1.5
	Dash  []float64 // dash pattern in CSS pixels; nil is solid
	Label string    // legend entry, drawn with a segment ("" for none)
}

// Heatmap is a grid of values drawn as colored cells over a data rectangle
// (a plan matrix, a density on a grid), with a colourbar beside the data
// area showing its scale.
type Heatmap struct {
	Cols, Rows int
	Values     []float64 // Rows*Cols, row-major, row 0 at the top; NaN is transparent
	// The data rectangle covered; all zero means [0, Cols] x [0, Rows].
	X0, X1, Y0, Y1 float64
	// The value range mapped to the color scale; Min == Max means the
	// finite range of Values.
	Min, Max float64
	// Label is the colourbar's title ("" for none).
	Label string
}

// Palette is the color cycle of layers that name none (Tableau 10).
var Palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

// PaletteColor returns c, or the palette color of index i when c is "".
func PaletteColor(c string, i int) string {
	if c != "" {
		return c
	}
	return Palette[i%len(Palette)]
}

// Validate reports malformed layers (odd coordinate counts, a Values
// length that is not Rows*Cols, mismatched Alpha), naming the layer.
func (f Figure) Validate() error {
	for i, h := range f.Heatmaps {
		if h.Cols < 1 || h.Rows < 1 || len(h.Values) != h.Cols*h.Rows {
			return fmt.Errorf("figure: heatmap %d: %d values for %d x %d cells", i, len(h.Values), h.Rows, h.Cols)
		}
	}
	for i, l := range f.Lines {
		if len(l.Segs)%4 != 0 {
			return fmt.Errorf("figure: line set %d: %d coordinates, want 4 per segment", i, len(l.Segs))
		}
		if l.Alpha != nil && len(l.Alpha) != len(l.Segs)/4 {
			return fmt.Errorf("figure: line set %d: %d alphas for %d segments", i, len(l.Alpha), len(l.Segs)/4)
		}
	}
	for i, c := range f.Curves {
		if len(c.XY)%2 != 0 {
			return fmt.Errorf("figure: curve %d: odd coordinate count %d", i, len(c.XY))
		}
	}
	for i, p := range f.Points {
		if len(p.XY)%2 != 0 {
			return fmt.Errorf("figure: point set %d: odd coordinate count %d", i, len(p.XY))
		}
	}
	return nil
}

// Size returns the canvas size in CSS pixels, with the defaults applied.
func (f Figure) Size() (w, h float64) {
	if f.Width <= 0 || f.Height <= 0 {
		return 480, 360
	}
	return float64(f.Width), float64(f.Height)
}

// Transform maps plotted coordinates (data, or log10 of data on a log
// axis) to canvas pixels: px = AX*x + BX, py = AY*y + BY (AY < 0: y up on
// screen).
type Transform struct{ AX, BX, AY, BY float64 }

// Apply maps a plotted point to the canvas.
func (t Transform) Apply(x, y float64) (float64, float64) { return t.AX*x + t.BX, t.AY*y + t.BY }

// Inverse maps a canvas pixel back to plotted coordinates.
func (t Transform) Inverse(px, py float64) (x, y float64) {
	return (px - t.BX) / t.AX, (py - t.BY) / t.AY
}

// PlotX returns the plotted coordinate of a data x: x itself, or log10(x)
// on a log axis; ok is false for a value that cannot be drawn (NaN, an
// infinity, or non-positive on a log axis).
func (f Figure) PlotX(x float64) (float64, bool) { return plotted(x, f.LogX) }

// PlotY is PlotX for y.
func (f Figure) PlotY(y float64) (float64, bool) { return plotted(y, f.LogY) }

// DataX inverts PlotX (10^x on a log axis).
func (f Figure) DataX(x float64) float64 { return unplotted(x, f.LogX) }

// DataY inverts PlotY.
func (f Figure) DataY(y float64) float64 { return unplotted(y, f.LogY) }

func plotted(v float64, log bool) (float64, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	if !log {
		return v, true
	}
	if !(v > 0) {
		return 0, false
	}
	return math.Log10(v), true
}

func unplotted(v float64, log bool) float64 {
	if log {
		return math.Pow(10, v)
	}
	return v
}

// point maps a data point to plotted coordinates.
func (f Figure) point(x, y float64) (float64, float64, bool) {
	px, okx := f.PlotX(x)
	py, oky := f.PlotY(y)
	return px, py, okx && oky
}

// HasData reports whether any layer has a point that can be drawn.
func (f Figure) HasData() bool {
	_, _, _, _, ok := f.dataBox()
	return ok
}

// dataBox is the bounding box of every drawable point, in plotted units.
func (f Figure) dataBox() (xmin, xmax, ymin, ymax float64, ok bool) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	add := func(x, y float64) {
		if px, py, ok := f.point(x, y); ok {
			xmin, xmax = math.Min(xmin, px), math.Max(xmax, px)
			ymin, ymax = math.Min(ymin, py), math.Max(ymax, py)
		}
	}
	for _, p := range f.Points {
		for i := 0; i+1 < len(p.XY); i += 2 {
			add(p.XY[i], p.XY[i+1])
		}
	}
	for _, l := range f.Lines {
		for i := 0; i+1 < len(l.Segs); i += 2 {
			add(l.Segs[i], l.Segs[i+1])
		}
	}
	for _, c := range f.Curves {
		for i := 0; i+1 < len(c.XY); i += 2 {
			add(c.XY[i], c.XY[i+1])
		}
	}
	for _, h := range f.Heatmaps {
		if h.Cols < 1 || h.Rows < 1 {
			continue
		}
		x0, x1, y0, y1 := h.Rect()
		add(x0, y0)
		add(x1, y1)
	}
	return xmin, xmax, ymin, ymax, xmin <= xmax
}

// Window returns the data window the figure shows, in plotted units
// (log10 of the data on a log axis): the explicit one, or the bounding box
// of all layers widened by 5% (and to a unit box around a single point);
// [-1, 1] on an axis with nothing to show. Before EqualAspect; see
// Layout.Window for the window as drawn.
func (f Figure) Window() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax, _ = f.window()
	return xmin, xmax, ymin, ymax
}

// window is Window, and whether any layer has a drawable point.
func (f Figure) window() (xmin, xmax, ymin, ymax float64, hasData bool) {
	xmin, xmax, ymin, ymax, hasData = f.dataBox()
	if f.XMin < f.XMax && f.YMin < f.YMax {
		x0, okx0 := f.PlotX(f.XMin)
		x1, okx1 := f.PlotX(f.XMax)
		y0, oky0 := f.PlotY(f.YMin)
		y1, oky1 := f.PlotY(f.YMax)
		if okx0 && okx1 && oky0 && oky1 {
			return x0, x1, y0, y1, hasData
		}
	}
	if !hasData { // nothing to show
		return -1, 1, -1, 1, false
	}
	pad := func(lo, hi float64) (float64, float64) {
		if hi-lo < 1e-12*math.Max(1, math.Abs(lo)) {
			return lo - 0.5, hi + 0.5
		}
		m := 0.05 * (hi - lo)
		return lo - m, hi + m
	}
	xmin, xmax = pad(xmin, xmax)
	ymin, ymax = pad(ymin, ymax)
	return xmin, xmax, ymin, ymax, true
}

// Rect returns the data rectangle the heatmap covers.
func (h Heatmap) Rect() (x0, x1, y0, y1 float64) {
	if h.X0 == 0 && h.X1 == 0 && h.Y0 == 0 && h.Y1 == 0 {
		return 0, float64(h.Cols), 0, float64(h.Rows)
	}
	return h.X0, h.X1, h.Y0, h.Y1
}

// Range returns the value range mapped onto the colour scale: Min and Max
// when Min < Max, else the finite range of Values (widened by 1 either side
// when constant, [-1, 1] when there is none).
func (h Heatmap) Range() (lo, hi float64) {
	if h.Min < h.Max {
		return h.Min, h.Max
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range h.Values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo > hi {
		return -1, 1
	}
	if !(lo < hi) { // constant: middle of the scale
		return lo - 1, lo + 1
	}
	return lo, hi
}

// RGBA returns the heatmap's pixels (Rows x Cols, 4 bytes each) through
// the Viridis color scale over Range; NaN cells are transparent.
func (h Heatmap) RGBA() []byte {
	lo, hi := h.Range()
	px := make([]byte, 4*len(h.Values))
	for k, v := range h.Values {
		if math.IsNaN(v) {
			continue
		}
		r, g, b := Viridis((v - lo) / (hi - lo))
		px[4*k], px[4*k+1], px[4*k+2], px[4*k+3] = r, g, b, 255
	}
	return px
}

// viridisAnchors are matplotlib's Viridis at s = 0, 1/8, ..., 1.
var viridisAnchors = [9][3]float64{
	{68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
	{39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37},
}

// Viridis maps s in [0, 1] (clamped) to an RGB color of matplotlib's
// Viridis scale (van der Walt and Smith 2015), linearly interpolated
// between nine anchors.
func Viridis(s float64) (r, g, b byte) {
	if math.IsNaN(s) {
		s = 0
	}
	s = math.Max(0, math.Min(1, s))
	u := s * 8
	i := min(int(u), 7)
	f := u - float64(i)
	a, c := viridisAnchors[i], viridisAnchors[i+1]
	mix := func(k int) byte { return byte(math.Round(a[k] + f*(c[k]-a[k]))) }
	return mix(0), mix(1), mix(2)
}
