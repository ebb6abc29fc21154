package figure

import (
	"math"
)

// Align is the horizontal anchor of a text.
type Align int

const (
	AlignLeft Align = iota
	AlignCenter
	AlignRight
)

// Baseline is the vertical anchor of a text.
type Baseline int

const (
	BaselineAlphabetic Baseline = iota
	BaselineMiddle
)

// TextStyle is how a text is set: its size in CSS pixels, weight,
// anchor, and a quarter turn to the left (axis titles along y, centred on
// the anchor).
type TextStyle struct {
	Size     float64
	Bold     bool
	Align    Align
	Baseline Baseline
	Rotate   bool
}

// Canvas2D is what a Figure is drawn with, in CSS pixels with y pointing
// down: the browser's CanvasRenderingContext2D (package ui), an SVG
// document (WriteSVG) and Recorder (tests) implement it.
type Canvas2D interface {
	// Clear fills the whole canvas with a CSS color.
	Clear(color string)
	// SetStyle sets the fill and stroke color, the global alpha and the
	// line width for what follows.
	SetStyle(color string, alpha, lineWidth float64)
	// SetDash sets the stroke's dash pattern (on, off, ... in CSS pixels);
	// nil is solid.
	SetDash(pattern []float64)
	// FillCircle fills a disc.
	FillCircle(x, y, r float64)
	// FillRect fills a rectangle.
	FillRect(x, y, w, h float64)
	// Segment strokes a straight line.
	Segment(x0, y0, x1, y1 float64)
	// Polyline strokes a path through the points (x, y interleaved).
	Polyline(xy []float64)
	// StrokeRect strokes a rectangle outline.
	StrokeRect(x, y, w, h float64)
	// Text draws a label anchored at (x, y) in the fill color.
	Text(x, y float64, s string, st TextStyle)
	// Image draws an RGBA pixel grid (cols x rows, row 0 on top, 4 bytes
	// per pixel) stretched onto the rectangle, without smoothing.
	Image(x, y, w, h float64, cols, rows int, rgba []byte)
	// Clip limits what follows to a rectangle; Unclip lifts it.
	Clip(x, y, w, h float64)
	Unclip()
}

// Colours of the furniture.
const (
	background = "#ffffff"
	gridColor  = "#ececec"
	frameColor = "#999999"
	inkColor   = "#333333"
	noteColor  = "#777777"
)

// Draw draws the figure onto c: background, grid, heatmaps, lines,
// curves and points clipped to the data area, then the frame, ticks, tick
// labels, axis titles, title, colourbars, legend, and the note of an
// empty figure. A malformed figure (Validate) draws nothing and returns
// the error.
func (f Figure) Draw(c Canvas2D) error {
	if err := f.Validate(); err != nil {
		return err
	}
	L := f.Layout()
	f.DrawWithLayout(c, L)
	return nil
}

// DrawWithLayout draws a valid figure with a layout computed by
// f.Layout().
func (f Figure) DrawWithLayout(c Canvas2D, L Layout) {
	a := L.Area
	t := L.Transform
	c.Clear(background)
	// Grid at the labelled ticks, under the data.
	c.SetStyle(gridColor, 1, 1)
	for _, tk := range L.XTicks {
		if !tk.IsMinor() {
			px, _ := t.Apply(tk.Value, 0)
			c.Segment(px, a.Y, px, a.Y+a.H)
		}
	}
	for _, tk := range L.YTicks {
		if !tk.IsMinor() {
			_, py := t.Apply(0, tk.Value)
			c.Segment(a.X, py, a.X+a.W, py)
		}
	}
	c.Clip(a.X, a.Y, a.W, a.H)
	for _, hm := range f.Heatmaps {
		x0, x1, y0, y1 := hm.Rect()
		px0, okx0 := f.PlotX(x0)
		px1, okx1 := f.PlotX(x1)
		py0, oky0 := f.PlotY(y0)
		py1, oky1 := f.PlotY(y1)
		if !(okx0 && okx1 && oky0 && oky1) {
			continue
		}
		cx0, cy0 := t.Apply(px0, py1) // top-left
		cx1, cy1 := t.Apply(px1, py0)
		c.SetStyle("#000000", 1, 1)
		c.Image(cx0, cy0, cx1-cx0, cy1-cy0, hm.Cols, hm.Rows, hm.RGBA())
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
		c.SetDash(l.Dash)
		for s := 0; s < len(l.Segs)/4; s++ {
			al := op
			if l.Alpha != nil {
				al = math.Max(0, math.Min(1, l.Alpha[s]))
			}
			if !(al > 0.004) { // invisible at 8-bit alpha: skip the draw call
				continue
			}
			x0, y0, ok0 := f.point(l.Segs[4*s], l.Segs[4*s+1])
			x1, y1, ok1 := f.point(l.Segs[4*s+2], l.Segs[4*s+3])
			if !ok0 || !ok1 {
				continue
			}
			c.SetStyle(color, al, width)
			px0, py0 := t.Apply(x0, y0)
			px1, py1 := t.Apply(x1, y1)
			c.Segment(px0, py0, px1, py1)
		}
		c.SetDash(nil)
	}
	for i, cu := range f.Curves {
		width := cu.Width
		if width <= 0 {
			width = 1.5
		}
		c.SetStyle(PaletteColor(cu.Color, i), 1, width)
		c.SetDash(cu.Dash)
		var path []float64
		flush := func() {
			if len(path) >= 4 {
				c.Polyline(path)
			}
			path = path[:0]
		}
		for k := 0; k+1 < len(cu.XY); k += 2 {
			x, y, ok := f.point(cu.XY[k], cu.XY[k+1])
			if !ok {
				flush() // a gap in the curve
				continue
			}
			px, py := t.Apply(x, y)
			path = append(path, px, py)
		}
		flush()
		c.SetDash(nil)
	}
	for i, p := range f.Points {
		r := p.Radius
		if r <= 0 {
			r = 2.5
		}
		c.SetStyle(PaletteColor(p.Color, i), 1, 1)
		for k := 0; k+1 < len(p.XY); k += 2 {
			x, y, ok := f.point(p.XY[k], p.XY[k+1])
			if !ok {
				continue
			}
			px, py := t.Apply(x, y)
			c.FillCircle(px, py, r)
		}
	}
	c.Unclip()

	// Frame and tick marks (outside the frame, minor ones half as long).
	c.SetStyle(frameColor, 1, 1)
	c.StrokeRect(a.X-0.5, a.Y-0.5, a.W+1, a.H+1)
	c.SetStyle(inkColor, 1, 1)
	for _, tk := range L.XTicks {
		px, _ := t.Apply(tk.Value, 0)
		n := TickLen
		if tk.IsMinor() {
			n /= 2
		}
		c.Segment(px, a.Y+a.H, px, a.Y+a.H+n)
	}
	for _, tk := range L.YTicks {
		_, py := t.Apply(0, tk.Value)
		n := TickLen
		if tk.IsMinor() {
			n /= 2
		}
		c.Segment(a.X-n, py, a.X, py)
	}

	// Colourbars: a Viridis strip, its frame and its ticks.
	for _, cb := range L.Colorbars {
		const steps = 64
		strip := make([]byte, 4*steps)
		for k := 0; k < steps; k++ { // row 0 on top: the maximum
			r, g, b := Viridis(1 - (float64(k)+0.5)/steps)
			strip[4*k], strip[4*k+1], strip[4*k+2], strip[4*k+3] = r, g, b, 255
		}
		b := cb.Bar
		c.SetStyle("#000000", 1, 1)
		c.Image(b.X, b.Y, b.W, b.H, 1, steps, strip)
		c.SetStyle(frameColor, 1, 1)
		c.StrokeRect(b.X-0.5, b.Y-0.5, b.W+1, b.H+1)
		c.SetStyle(inkColor, 1, 1)
		for _, tk := range cb.Ticks {
			if tk.Value < cb.Lo || tk.Value > cb.Hi {
				continue
			}
			y := cb.Y(tk.Value)
			n := TickLen / 2
			if tk.IsMinor() {
				n /= 2
			}
			c.Segment(b.X+b.W, y, b.X+b.W+n, y)
		}
	}

	// Legend glyphs: a dot for point layers, a segment for lines and curves.
	for _, e := range L.Legend {
		if e.Glyph == "dot" {
			c.SetStyle(e.Color, 1, 1)
			c.FillCircle(e.X, e.Y, e.Radius)
			continue
		}
		c.SetStyle(e.Color, 1, e.Width)
		c.SetDash(e.Dash)
		c.Segment(e.X-glyphW/2, e.Y, e.X+glyphW/2, e.Y)
		c.SetDash(nil)
	}

	// Every text last, over everything.
	for _, lb := range L.Labels {
		col := inkColor
		if lb.Role == "note" {
			col = noteColor
		}
		c.SetStyle(col, 1, 1)
		c.Text(lb.X, lb.Y, lb.Text, lb.Style)
	}
}

// TickLabels lists the labels of the x ticks, the y ticks and the
// colourbars' ticks as drawn, one group per axis ("x: 0 1 2; y: 10⁻³
// 10⁻²; colorbar: −4 −2 0"): what the browser puts in the canvas's
// data-ticks attribute for tests and assistive tools.
func (L Layout) TickLabels() string {
	var x, y, cb []string
	for _, lb := range L.Labels {
		switch lb.Role {
		case "xtick":
			x = append(x, lb.Text)
		case "ytick":
			y = append(y, lb.Text)
		case "colorbar":
			cb = append(cb, lb.Text)
		}
	}
	s := "x: " + join(x) + "; y: " + join(y)
	if len(cb) > 0 {
		s += "; colorbar: " + join(cb)
	}
	return s
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}
