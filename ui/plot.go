package ui

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Canvas2D is the part of the browser's CanvasRenderingContext2D a Figure
// is drawn with, in CSS pixels with y pointing down. The browser
// implementation lives in plot_js.go; Recorder implements it for tests.
type Canvas2D interface {
	// Clear fills the whole canvas with a CSS color.
	Clear(color string)
	// SetStyle sets the fill and stroke color, the global alpha and the
	// line width for what follows.
	SetStyle(color string, alpha, lineWidth float64)
	// FillCircle fills a disc.
	FillCircle(x, y, r float64)
	// Segment strokes a straight line.
	Segment(x0, y0, x1, y1 float64)
	// Polyline strokes a path through the points (x, y interleaved).
	Polyline(xy []float64)
	// StrokeRect strokes a rectangle outline.
	StrokeRect(x, y, w, h float64)
	// Text draws a label with its left end at (x, y) (alphabetic baseline).
	Text(x, y float64, s string)
	// Image draws an RGBA pixel grid (cols x rows, row 0 on top, 4 bytes
	// per pixel) stretched onto the rectangle, without smoothing.
	Image(x, y, w, h float64, cols, rows int, rgba []byte)
}

// Figure is a 2-D plot: data layers drawn in a data window mapped onto a
// Width x Height canvas. The zero window (XMin == XMax or YMin == YMax)
// fits the data with a margin.
type Figure struct {
	Width, Height int // CSS pixels; 0 means 480 x 360
	Title         string
	// The data window; see Figure.
	XMin, XMax, YMin, YMax float64
	// EqualAspect makes one data unit as long on both axes (point clouds).
	EqualAspect bool
	// LogY plots log10(y) for Curves (error charts); non-positive values
	// are dropped.
	LogY bool

	Heatmaps []Heatmap  // drawn first
	Lines    []LineSet  // then segments (plans)
	Curves   []Curve    // then curves (charts)
	Points   []PointSet // points on top
}

// PointSet is a cloud of discs.
type PointSet struct {
	XY     []float64 // x0, y0, x1, y1, ...
	Color  string    // CSS color; "" means the palette color of its index
	Radius float64   // CSS pixels; 0 means 2.5
	Label  string    // legend entry ("" for none)
}

// LineSet is a set of segments with per-segment opacity: the lines of a
// transport plan, with alpha proportional to the plan's mass.
type LineSet struct {
	Segs  []float64 // x0, y0, x1, y1 per segment
	Alpha []float64 // opacity per segment in [0, 1], or nil for Opacity everywhere
	// Opacity is used where Alpha is nil; 0 means 0.5.
	Opacity float64
	Color   string  // "" means #444
	Width   float64 // CSS pixels; 0 means 1
}

// Curve is a polyline through data points, for charts (marginal error per
// iteration, loss per step).
type Curve struct {
	XY    []float64 // x0, y0, x1, y1, ...
	Color string
	Width float64 // 0 means 1.5
	Label string
}

// Heatmap is a grid of values drawn as colored cells over a data rectangle
// (a plan matrix, a density on a grid).
type Heatmap struct {
	Cols, Rows int
	Values     []float64 // Rows*Cols, row-major, row 0 at the top; NaN is transparent
	// The data rectangle covered; all zero means [0, Cols] x [0, Rows].
	X0, X1, Y0, Y1 float64
	// The value range mapped to the color scale; Min == Max means the
	// finite range of Values.
	Min, Max float64
}

// Palette is the color cycle of layers that name none (Tableau 10).
var Palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

func paletteColor(c string, i int) string {
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
			return fmt.Errorf("plot: heatmap %d: %d values for %d x %d cells", i, len(h.Values), h.Rows, h.Cols)
		}
	}
	for i, l := range f.Lines {
		if len(l.Segs)%4 != 0 {
			return fmt.Errorf("plot: line set %d: %d coordinates, want 4 per segment", i, len(l.Segs))
		}
		if l.Alpha != nil && len(l.Alpha) != len(l.Segs)/4 {
			return fmt.Errorf("plot: line set %d: %d alphas for %d segments", i, len(l.Alpha), len(l.Segs)/4)
		}
	}
	for i, c := range f.Curves {
		if len(c.XY)%2 != 0 {
			return fmt.Errorf("plot: curve %d: odd coordinate count %d", i, len(c.XY))
		}
	}
	for i, p := range f.Points {
		if len(p.XY)%2 != 0 {
			return fmt.Errorf("plot: point set %d: odd coordinate count %d", i, len(p.XY))
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

// plotMargin is the blank border, in CSS pixels, around the data area
// (room for the title and the range labels).
const plotMargin = 24

// Transform maps data coordinates to canvas pixels: px = AX*x + BX,
// py = AY*y + BY (AY < 0: y up on screen).
type Transform struct{ AX, BX, AY, BY float64 }

// Apply maps a data point to the canvas.
func (t Transform) Apply(x, y float64) (float64, float64) { return t.AX*x + t.BX, t.AY*y + t.BY }

// Window returns the data window the figure shows: the explicit one, or
// the bounding box of all layers widened by 5% (and to a unit box around
// a single point).
func (f Figure) Window() (xmin, xmax, ymin, ymax float64) {
	if f.XMin < f.XMax && f.YMin < f.YMax {
		return f.XMin, f.XMax, f.YMin, f.YMax
	}
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	add := func(x, y float64) {
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			return
		}
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
		ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
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
			if y, ok := f.curveY(c.XY[i+1]); ok {
				add(c.XY[i], y)
			}
		}
	}
	for _, h := range f.Heatmaps {
		x0, x1, y0, y1 := h.rect()
		add(x0, y0)
		add(x1, y1)
	}
	if xmin > xmax { // nothing to show
		return -1, 1, -1, 1
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
	return xmin, xmax, ymin, ymax
}

func (f Figure) curveY(y float64) (float64, bool) {
	if !f.LogY {
		return y, true
	}
	if !(y > 0) {
		return 0, false
	}
	return math.Log10(y), true
}

func (h Heatmap) rect() (x0, x1, y0, y1 float64) {
	if h.X0 == 0 && h.X1 == 0 && h.Y0 == 0 && h.Y1 == 0 {
		return 0, float64(h.Cols), 0, float64(h.Rows)
	}
	return h.X0, h.X1, h.Y0, h.Y1
}

// Transform returns the map from the figure's data window onto its canvas,
// inside the margin, with equal scales when EqualAspect is set (the data
// window is then centred).
func (f Figure) Transform() Transform {
	w, h := f.Size()
	xmin, xmax, ymin, ymax := f.Window()
	aw, ah := math.Max(w-2*plotMargin, 1), math.Max(h-2*plotMargin, 1)
	sx, sy := aw/(xmax-xmin), ah/(ymax-ymin)
	ox, oy := float64(plotMargin), float64(plotMargin)
	if f.EqualAspect {
		s := math.Min(sx, sy)
		ox += (aw - s*(xmax-xmin)) / 2
		oy += (ah - s*(ymax-ymin)) / 2
		sx, sy = s, s
	}
	// px = ox + (x - xmin) sx; py = oy + (ymax - y) sy
	return Transform{AX: sx, BX: ox - xmin*sx, AY: -sy, BY: oy + ymax*sy}
}

// Draw draws the figure onto c: background, frame, heatmaps, lines,
// curves, points, the title, the window's range labels and the legend.
func (f Figure) Draw(c Canvas2D) error {
	if err := f.Validate(); err != nil {
		return err
	}
	w, h := f.Size()
	t := f.Transform()
	c.Clear("#ffffff")
	for _, hm := range f.Heatmaps {
		x0, x1, y0, y1 := hm.rect()
		px0, py0 := t.Apply(x0, y1) // top-left
		px1, py1 := t.Apply(x1, y0)
		c.SetStyle("#000000", 1, 1)
		c.Image(px0, py0, px1-px0, py1-py0, hm.Cols, hm.Rows, hm.RGBA())
	}
	for _, l := range f.Lines {
		color := l.Color
		if color == "" {
			color = "#444444"
		}
		width := l.Width
		if width <= 0 {
			width = 1
		}
		op := l.Opacity
		if op <= 0 {
			op = 0.5
		}
		for s := 0; s < len(l.Segs)/4; s++ {
			a := op
			if l.Alpha != nil {
				a = math.Max(0, math.Min(1, l.Alpha[s]))
			}
			if !(a > 0.004) { // invisible at 8-bit alpha: skip the draw call
				continue
			}
			c.SetStyle(color, a, width)
			x0, y0 := t.Apply(l.Segs[4*s], l.Segs[4*s+1])
			x1, y1 := t.Apply(l.Segs[4*s+2], l.Segs[4*s+3])
			c.Segment(x0, y0, x1, y1)
		}
	}
	for i, cu := range f.Curves {
		width := cu.Width
		if width <= 0 {
			width = 1.5
		}
		c.SetStyle(paletteColor(cu.Color, i), 1, width)
		var path []float64
		flush := func() {
			if len(path) >= 4 {
				c.Polyline(path)
			}
			path = path[:0]
		}
		for k := 0; k+1 < len(cu.XY); k += 2 {
			y, ok := f.curveY(cu.XY[k+1])
			if !ok || math.IsNaN(cu.XY[k]) || math.IsNaN(y) {
				flush() // a gap in the curve
				continue
			}
			px, py := t.Apply(cu.XY[k], y)
			path = append(path, px, py)
		}
		flush()
	}
	for i, p := range f.Points {
		r := p.Radius
		if r <= 0 {
			r = 2.5
		}
		c.SetStyle(paletteColor(p.Color, i), 1, 1)
		for k := 0; k+1 < len(p.XY); k += 2 {
			if math.IsNaN(p.XY[k]) || math.IsNaN(p.XY[k+1]) {
				continue
			}
			x, y := t.Apply(p.XY[k], p.XY[k+1])
			c.FillCircle(x, y, r)
		}
	}
	// Frame, title, range labels.
	c.SetStyle("#999999", 1, 1)
	c.StrokeRect(plotMargin-0.5, plotMargin-0.5, w-2*plotMargin+1, h-2*plotMargin+1)
	c.SetStyle("#333333", 1, 1)
	if f.Title != "" {
		c.Text(plotMargin, plotMargin-8, f.Title)
	}
	xmin, xmax, ymin, ymax := f.Window()
	ylab := func(v float64) string {
		if f.LogY {
			return "1e" + fmt.Sprintf("%.3g", v)
		}
		return fmt.Sprintf("%.3g", v)
	}
	c.Text(plotMargin, h-6, fmt.Sprintf("x: [%.3g, %.3g]", xmin, xmax))
	c.Text(w/2, h-6, fmt.Sprintf("y: [%s, %s]", ylab(ymin), ylab(ymax)))
	// Legend, top right, one entry per labelled layer.
	ly := float64(plotMargin) + 14
	legend := func(color, label string) {
		c.SetStyle(color, 1, 2)
		c.Segment(w-plotMargin-110, ly-4, w-plotMargin-96, ly-4)
		c.SetStyle("#333333", 1, 1)
		c.Text(w-plotMargin-90, ly, label)
		ly += 14
	}
	for i, cu := range f.Curves {
		if cu.Label != "" {
			legend(paletteColor(cu.Color, i), cu.Label)
		}
	}
	for i, p := range f.Points {
		if p.Label != "" {
			legend(paletteColor(p.Color, i), p.Label)
		}
	}
	return nil
}

// RGBA returns the heatmap's pixels (Rows x Cols, 4 bytes each) through
// the Viridis color scale; NaN cells are transparent.
func (h Heatmap) RGBA() []byte {
	lo, hi := h.Min, h.Max
	if !(lo < hi) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, v := range h.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		if !(lo < hi) { // constant or empty: middle of the scale
			lo, hi = lo-1, lo+1
		}
	}
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
// Viridis scale, linearly interpolated between nine anchors.
func Viridis(s float64) (r, g, b byte) {
	s = math.Max(0, math.Min(1, s))
	u := s * 8
	i := min(int(u), 7)
	f := u - float64(i)
	a, c := viridisAnchors[i], viridisAnchors[i+1]
	mix := func(k int) byte { return byte(math.Round(a[k] + f*(c[k]-a[k]))) }
	return mix(0), mix(1), mix(2)
}

// Plot is the canvas component that shows a Figure. ID must be unique on
// the page (the browser side finds its canvas by it). The figure is drawn
// after every render that changes it.
type Plot struct {
	app.Compo
	ID     string
	Figure Figure

	drawn figurePrint // what the canvas shows
}

// figurePrint identifies what a figure draws: a hash of its scalars,
// labels, colours and every number of every layer (FNV-1a over the bits).
// Hashing is far cheaper than drawing, so a Plot whose parent re-renders
// with an unchanged figure (a page that plays redraws every view) skips
// the canvas work.
type figurePrint struct {
	sum uint64
	ok  bool
}

func printOf(f Figure) figurePrint {
	h := fnv.New64a()
	var b [8]byte
	num := func(v float64) {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	nums := func(v []float64) {
		num(float64(len(v)))
		for _, x := range v {
			num(x)
		}
	}
	fmt.Fprintf(h, "%d %d %q %v %v %v %v %v %v|", f.Width, f.Height, f.Title, f.XMin, f.XMax, f.YMin, f.YMax, f.EqualAspect, f.LogY)
	for _, m := range f.Heatmaps {
		fmt.Fprintf(h, "h%d %d %v %v %v %v %v %v|", m.Cols, m.Rows, m.X0, m.X1, m.Y0, m.Y1, m.Min, m.Max)
		nums(m.Values)
	}
	for _, l := range f.Lines {
		fmt.Fprintf(h, "l%v %q %v|", l.Opacity, l.Color, l.Width)
		nums(l.Segs)
		nums(l.Alpha)
	}
	for _, c := range f.Curves {
		fmt.Fprintf(h, "c%q %v %q|", c.Color, c.Width, c.Label)
		nums(c.XY)
	}
	for _, p := range f.Points {
		fmt.Fprintf(h, "p%q %v %q|", p.Color, p.Radius, p.Label)
		nums(p.XY)
	}
	return figurePrint{sum: h.Sum64(), ok: true}
}

func (a figurePrint) equal(b figurePrint) bool { return a.ok && b.ok && a.sum == b.sum }

// Render returns the canvas element; its pixels are drawn afterwards.
func (p *Plot) Render() app.UI {
	w, h := p.Figure.Size()
	return app.Canvas().
		ID(p.ID).
		Class("otplay-plot").
		Width(int(w)).
		Height(int(h)).
		Style("width", fmt.Sprintf("%dpx", int(w))).
		Style("max-width", "100%"). // narrow screens: scale down,
		Style("height", "auto").    // keeping the aspect ratio
		Style("aspect-ratio", fmt.Sprintf("%d / %d", int(w), int(h)))
}

// OnMount draws the figure once the canvas is in the document.
func (p *Plot) OnMount(ctx app.Context) {
	p.drawn = figurePrint{}
	ctx.Defer(p.draw)
}

// OnUpdate redraws the figure after the parent changed it.
func (p *Plot) OnUpdate(ctx app.Context) { ctx.Defer(p.draw) }

func (p *Plot) draw(ctx app.Context) {
	fp := printOf(p.Figure)
	if fp.equal(p.drawn) {
		return
	}
	if err := drawOnCanvas(p.ID, p.Figure); err != nil {
		app.Log("otplay plot:", err)
		return
	}
	p.drawn = fp
}
