package ui

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/figure"
)

// The figure model lives in package figure (no go-app, usable natively
// and by the CLI's SVG export); these aliases keep the pages' code as it
// was.
type (
	Figure       = figure.Figure
	PointSet     = figure.PointSet
	LineSet      = figure.LineSet
	Curve        = figure.Curve
	Heatmap      = figure.Heatmap
	Transform    = figure.Transform
	Canvas2D     = figure.Canvas2D
	Recorder     = figure.Recorder
	LegendPlace  = figure.LegendPlace
	FigureLayout = figure.Layout
)

// Palette is the color cycle of layers that name none (Tableau 10).
var Palette = figure.Palette

// Viridis maps s in [0, 1] to matplotlib's Viridis scale.
func Viridis(s float64) (r, g, b byte) { return figure.Viridis(s) }

// Plot is the canvas component that shows a Figure. ID must be unique on
// the page (the browser side finds its canvas by it). The figure is drawn
// after every render that changes it, at the device's pixel ratio; on a
// screen narrower than the figure it is laid out again at the displayed
// width (text keeps its size; PlotTransform gives the map as drawn).
// Moving the mouse over the data area shows a read-out (data
// coordinates, the nearest point, the heatmap cell's value) in a small
// overlay; the canvas's data-ticks attribute lists the tick labels drawn.
type Plot struct {
	app.Compo
	ID     string
	Figure Figure

	drawn  figurePrint   // what the canvas shows
	shown  Figure        // the figure drawn last, for the hover read-out
	layout FigureLayout  // its layout
	hover  hoverListener // the browser's mousemove listener (plot_js.go)
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
	fmt.Fprintf(h, "%d %d %q %q %q %v %v %v %v %v %v %v %d %q|", f.Width, f.Height, f.Title, f.XLabel, f.YLabel,
		f.XMin, f.XMax, f.YMin, f.YMax, f.EqualAspect, f.LogX, f.LogY, f.Legend, f.Note)
	for _, m := range f.Heatmaps {
		fmt.Fprintf(h, "h%d %d %v %v %v %v %v %v %q|", m.Cols, m.Rows, m.X0, m.X1, m.Y0, m.Y1, m.Min, m.Max, m.Label)
		nums(m.Values)
	}
	for _, l := range f.Lines {
		fmt.Fprintf(h, "l%v %q %v %q|", l.Opacity, l.Color, l.Width, l.Label)
		nums(l.Segs)
		nums(l.Alpha)
		nums(l.Dash)
	}
	for _, c := range f.Curves {
		fmt.Fprintf(h, "c%q %v %q|", c.Color, c.Width, c.Label)
		nums(c.XY)
		nums(c.Dash)
	}
	for _, p := range f.Points {
		fmt.Fprintf(h, "p%q %v %q|", p.Color, p.Radius, p.Label)
		nums(p.XY)
	}
	return figurePrint{sum: h.Sum64(), ok: true}
}

func (a figurePrint) equal(b figurePrint) bool { return a.ok && b.ok && a.sum == b.sum }

// Render returns the canvas, scaled down with its aspect ratio on narrow
// screens, and the read-out overlay; the pixels are drawn afterwards.
func (p *Plot) Render() app.UI {
	w, h := p.Figure.Size()
	return app.Div().
		Class("otplay-plot-box").
		Style("position", "relative").
		Style("max-width", "100%").
		Body(
			app.Canvas().
				ID(p.ID).
				Class("otplay-plot").
				Attr("role", "img").
				Aria("label", plotLabel(p.Figure)).
				Width(int(w)).
				Height(int(h)).
				Style("width", fmt.Sprintf("%dpx", int(w))).
				Style("max-width", "100%"). // narrow screens: scale down,
				Style("height", "auto").    // keeping the aspect ratio
				Style("aspect-ratio", fmt.Sprintf("%d / %d", int(w), int(h))),
			app.Div().
				ID(p.ID+"-readout").
				Class("otplay-plot-readout").
				Aria("live", "polite").
				Style("position", "absolute").
				Style("display", "none").
				Style("pointer-events", "none").
				Style("font", "11px "+figure.Font).
				Style("background", "rgba(255,255,255,0.92)").
				Style("border", "1px solid #999").
				Style("border-radius", "3px").
				Style("padding", "1px 4px").
				Style("white-space", "nowrap").
				Style("z-index", "2"),
		)
}

// plotLabel names a figure for screen readers: its title and axis titles.
func plotLabel(f Figure) string {
	s := f.Title
	if s == "" {
		s = "plot"
	}
	if f.XLabel != "" || f.YLabel != "" {
		s += fmt.Sprintf(" (x: %s, y: %s)", f.XLabel, f.YLabel)
	}
	return s
}

// OnMount draws the figure once the canvas is in the document and starts
// the hover read-out and the redraw when the canvas's displayed size
// changes (a phone turned sideways lays its figures out again).
func (p *Plot) OnMount(ctx app.Context) {
	p.drawn = figurePrint{}
	ctx.Defer(p.draw)
	ctx.Defer(func(app.Context) { p.hover = listenHover(p.ID, p.readout, func() { p.draw(app.Context{}) }) })
}

// OnDismount stops the hover read-out and the resize redraw.
func (p *Plot) OnDismount() { p.hover.release() }

// OnUpdate redraws the figure after the parent changed it.
func (p *Plot) OnUpdate(ctx app.Context) { ctx.Defer(p.draw) }

func (p *Plot) draw(ctx app.Context) {
	f := atDisplaySize(p.ID, p.Figure)
	fp := printOf(f)
	if fp.equal(p.drawn) {
		return
	}
	if err := f.Validate(); err != nil {
		app.Log("otplay plot:", err)
		return
	}
	layout := f.Layout()
	if err := drawOnCanvas(p.ID, f, layout); err != nil {
		app.Log("otplay plot:", err)
		return
	}
	p.drawn, p.shown, p.layout = fp, f, layout
	drawnSizes.Store(p.ID, [2]int{f.Width, f.Height})
}

// atDisplaySize returns f resized to the width its canvas is displayed at,
// when a narrow screen shows it smaller than f.Width (the height keeps the
// aspect ratio): the figure is then laid out for that width, with text at
// its full size, instead of being drawn large and scaled down.
func atDisplaySize(id string, f Figure) Figure {
	w, h := f.Size()
	dw := displayWidth(id)
	if !(dw > 60 && dw < w-0.5) {
		return f
	}
	f.Width, f.Height = int(math.Round(dw)), int(math.Round(h*dw/w))
	return f
}

// drawnSizes holds the size, in CSS pixels, each Plot (by ID) last drew
// its figure at.
var drawnSizes sync.Map

// PlotTransform returns the map from f's plotted coordinates to canvas
// pixels as the Plot with this ID draws it (at its displayed size, see
// Plot), for pages that turn pointer positions into data: f.Transform()
// until the Plot has drawn.
func PlotTransform(id string, f Figure) Transform {
	if v, ok := drawnSizes.Load(id); ok {
		if wh := v.([2]int); wh[0] > 0 && (wh[0] != f.Width || wh[1] != f.Height) {
			f.Width, f.Height = wh[0], wh[1]
		}
	}
	return f.Transform()
}

// readout is the hover text at a canvas pixel (CSS pixels of the
// figure's own size); "" outside the data area or before the first draw.
func (p *Plot) readout(px, py float64) string {
	if !p.drawn.ok {
		return ""
	}
	return p.shown.Hover(p.layout, px, py).Text
}
