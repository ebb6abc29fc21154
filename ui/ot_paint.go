package ui

import (
	"fmt"
	"math"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/play"
)

// Painting on the /ot plan view: with the paint mode on "x" or "y",
// pressing the mouse and dragging adds points of that cloud where the
// pointer passes (one every otPaintSpacing canvas pixels); releasing it
// restarts the run with the cloud so extended, kept like an upload (not in
// the URL; "use the data set" goes back).

// otPaintSpacing is the least distance, in canvas pixels, between two
// painted points of one stroke.
const otPaintSpacing = 6.0

// canvasPixel returns the event's position on its canvas in canvas pixels
// (the canvas may be scaled down by CSS at phone width).
func canvasPixel(e app.Event) (px, py float64, ok bool) {
	c := e.Get("target")
	if c.Get("tagName").String() != "CANVAS" {
		return 0, 0, false
	}
	// The canvas's width is the figure's drawn width times the device
	// pixel ratio (Plot draws at the screen's resolution).
	scale := 1.0
	if w, cw := c.Get("width").Float(), c.Get("clientWidth").Float(); cw > 0 {
		scale = w / cw
		if dpr := app.Window().Get("devicePixelRatio").Float(); dpr >= 1 {
			scale /= dpr
		}
	}
	return e.Get("offsetX").Float() * scale, e.Get("offsetY").Float() * scale, true
}

// paintControl is the mode selector.
func (p *OTPage) paintControl() app.UI {
	opts := []app.UI{}
	for _, m := range [][2]string{{"", "hover: where a point's mass goes"}, {"x", "paint points of X (source)"}, {"y", "paint points of Y (target)"}, {"map", "click: map a point z to T(z)"}} {
		o := app.Option().Value(m[0]).Text(m[1])
		if p.paintMode == m[0] {
			o = o.Selected(true)
		}
		opts = append(opts, o)
	}
	return app.Label().Class("otplay-field").Body(
		app.B().Text("mouse on the plan view "),
		app.Select().ID("paint-mode").Body(opts...).OnChange(p.onPaintMode),
		app.Small().Class("otplay-help").Text("paint: press and drag to add points; release to solve again with them (kept like an upload, not in the URL). map: click or tap to add a query point z; its arrow goes to the entropic map T(z) of the current iterate"),
		app.If(len(p.queries) > 0, func() app.UI {
			return app.Button().ID("clear-queries").Text(fmt.Sprintf("clear the %d query points", len(p.queries)/2)).OnClick(p.onClearQueries)
		}),
	)
}

func (p *OTPage) onPaintMode(ctx app.Context, e app.Event) {
	p.paintMode = ctx.JSSrc().Get("value").String()
	p.hover = nil
}

func (p *OTPage) onPointerDown(ctx app.Context, e app.Event) {
	if p.paintMode == "map" {
		p.addQuery(e)
		return
	}
	if p.paintMode == "" || p.frame() == nil || p.frame().Result == nil {
		return
	}
	e.PreventDefault()
	p.painting, p.painted = true, nil
	p.paintAt(e)
}

// onPointerMove paints while a stroke is on, hovers otherwise.
func (p *OTPage) onPointerMove(ctx app.Context, e app.Event) {
	if p.painting {
		p.paintAt(e)
		return
	}
	if p.paintMode == "" {
		p.onHover(ctx, e)
	} else if p.paintMode == "map" {
		ctx.PreventUpdate()
	}
}

func (p *OTPage) paintAt(e app.Event) {
	px, py, ok := canvasPixel(e)
	if !ok {
		return
	}
	if k := len(p.paintedPx); k > 0 && math.Hypot(px-p.paintedPx[k-2], py-p.paintedPx[k-1]) < otPaintSpacing {
		return
	}
	x, y := PlotTransform("ot-plan", p.frame().Plan).Inverse(px, py)
	p.painted = append(p.painted, x, y)
	p.paintedPx = append(p.paintedPx, px, py)
}

// onPointerUp ends a stroke: the painted points join their cloud (up to
// MaxOTPoints) and the run starts again.
func (p *OTPage) onPointerUp(ctx app.Context, e app.Event) {
	if !p.painting {
		if p.paintMode == "" {
			p.onHoverEnd(ctx, e)
		}
		return
	}
	p.painting = false
	added := p.painted
	p.painted, p.paintedPx = nil, nil
	f := p.frame()
	if len(added) == 0 || f == nil {
		return
	}
	base, n, slot := f.Problem.X, f.Problem.N, 0
	if p.paintMode == "y" {
		base, n, slot = f.Problem.Y, f.Problem.M, 1
	}
	pts := make([]float64, 0, 2*n+len(added))
	for i := 0; i < n; i++ {
		pts = append(pts, base[i*f.Problem.D], play.Coord(base, f.Problem.D, i, 1))
	}
	room := 2 * (MaxOTPoints - n)
	if len(added) > room {
		added = added[:max(room, 0)]
	}
	pts = append(pts, added...)
	name := "painted"
	if old := p.uploads[slot]; old != nil && old.Name != name {
		name = old.Name + " + painted"
	}
	p.uploads[slot] = &play.Cloud{Name: name, Points: pts, N: len(pts) / 2}
	p.reset(ctx)
}

// paintPreview is the stroke in progress, drawn over the plan view.
func (p *OTPage) paintPreview() []PointSet {
	if !p.painting || len(p.painted) == 0 {
		return nil
	}
	color := Palette[0]
	if p.paintMode == "y" {
		color = Palette[1]
	}
	return []PointSet{{XY: append([]float64(nil), p.painted...), Color: color, Radius: 4, Label: fmt.Sprintf("+%d painted", len(p.painted)/2)}}
}

// addQuery adds the clicked point of the plan view to the query points of
// the entropic map (page-local, like painting; at most
// play.MaxOTQueries, the oldest dropped first).
func (p *OTPage) addQuery(e app.Event) {
	px, py, ok := canvasPixel(e)
	if f := p.frame(); ok && f != nil {
		e.PreventDefault()
		x, y := PlotTransform("ot-plan", f.Plan).Inverse(px, py)
		p.queries = append(p.queries, x, y)
		if len(p.queries) > 2*play.MaxOTQueries {
			p.queries = p.queries[2:]
		}
	}
}

func (p *OTPage) onClearQueries(ctx app.Context, e app.Event) { p.queries = nil }

// mapArrows draws the query points' arrows z -> T(z) on the frame's
// plan, or says why the map is not defined (nil, "" without queries).
func (p *OTPage) mapArrows(f *play.OTFrame) (*LineSet, *PointSet, app.UI) {
	if len(p.queries) == 0 || f == nil {
		return nil, nil, nil
	}
	tz, err := f.MapPoints(p.queries)
	if err != nil {
		return nil, nil, app.P().ID("ot-map").Class("otplay-error").Text(err.Error())
	}
	lines, pts := play.OTMapArrows(p.queries, tz)
	last := len(tz) - 2
	text := fmt.Sprintf("%d query points; the last, z = (%.3g, %.3g), maps to T(z) = (%.3g, %.3g)", len(tz)/2, p.queries[last], p.queries[last+1], tz[last], tz[last+1])
	return &lines, &pts, app.P().ID("ot-map").Class("otplay-hover").DataSet("count", len(tz)/2).
		DataSet("zx", p.queries[last]).DataSet("zy", p.queries[last+1]).DataSet("tx", tz[last]).DataSet("ty", tz[last+1]).Text(text)
}
