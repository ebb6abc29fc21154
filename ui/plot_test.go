package ui

import (
	"math"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestTransformMapsWindowToMargins(t *testing.T) {
	f := Figure{Width: 400, Height: 300, XMin: -1, XMax: 3, YMin: 0, YMax: 10}
	tr := f.Transform()
	// Bottom-left of the window to the bottom-left inner corner, top-right
	// to the top-right one (y up on screen).
	x, y := tr.Apply(-1, 0)
	if !near(x, plotMargin, 1e-9) || !near(y, 300-plotMargin, 1e-9) {
		t.Errorf("(-1, 0) -> (%g, %g), want (%d, %d)", x, y, plotMargin, 300-plotMargin)
	}
	x, y = tr.Apply(3, 10)
	if !near(x, 400-plotMargin, 1e-9) || !near(y, plotMargin, 1e-9) {
		t.Errorf("(3, 10) -> (%g, %g), want (%d, %d)", x, y, 400-plotMargin, plotMargin)
	}
	// Equal aspect: one unit is as long on both axes, window centred.
	f.EqualAspect = true
	tr = f.Transform()
	if !near(tr.AX, -tr.AY, 1e-12) {
		t.Errorf("EqualAspect scales %g and %g", tr.AX, -tr.AY)
	}
	// The y range (10) binds: 252 px / 10 units; x is centred.
	if !near(-tr.AY, (300-2*plotMargin)/10.0, 1e-12) {
		t.Errorf("scale %g, want %g", -tr.AY, (300-2*plotMargin)/10.0)
	}
	xl, _ := tr.Apply(-1, 0)
	xr, _ := tr.Apply(3, 0)
	if !near((xl+xr)/2, 200, 1e-9) {
		t.Errorf("x centre %g, want 200", (xl+xr)/2)
	}
}

func TestWindowFitsData(t *testing.T) {
	f := Figure{Points: []PointSet{{XY: []float64{0, 0, 10, 20, math.NaN(), 5}}}}
	xmin, xmax, ymin, ymax := f.Window()
	// 5% padding of the ranges 10 and 20; the NaN point ignored.
	if !near(xmin, -0.5, 1e-12) || !near(xmax, 10.5, 1e-12) || !near(ymin, -1, 1e-12) || !near(ymax, 21, 1e-12) {
		t.Errorf("window [%g, %g] x [%g, %g]", xmin, xmax, ymin, ymax)
	}
	// A single point gets a unit box; nothing at all gets [-1, 1]^2.
	one := Figure{Points: []PointSet{{XY: []float64{2, 3}}}}
	if a, b, c, d := one.Window(); a != 1.5 || b != 2.5 || c != 2.5 || d != 3.5 {
		t.Errorf("single point window %g %g %g %g", a, b, c, d)
	}
	if a, b, c, d := (Figure{}).Window(); a != -1 || b != 1 || c != -1 || d != 1 {
		t.Errorf("empty window %g %g %g %g", a, b, c, d)
	}
	// LogY: curves are fitted in log10, non-positive values dropped.
	lf := Figure{LogY: true, Curves: []Curve{{XY: []float64{0, 1e-6, 1, 1e-2, 2, 0, 3, -1}}}}
	_, _, ymin, ymax = lf.Window()
	if !near(ymin, -6-0.2, 1e-9) || !near(ymax, -2+0.2, 1e-9) {
		t.Errorf("log window y [%g, %g], want [-6.2, -1.8]", ymin, ymax)
	}
}

func count(ops []string, prefix string) int {
	n := 0
	for _, o := range ops {
		if strings.HasPrefix(o, prefix) {
			n++
		}
	}
	return n
}

func TestDrawLayers(t *testing.T) {
	f := Figure{
		Width: 200, Height: 200, XMin: 0, XMax: 1, YMin: 0, YMax: 1,
		Points: []PointSet{{XY: []float64{0, 0, 1, 1, 0.5, 0.5}, Label: "X"}, {XY: []float64{0.25, 0.75}, Color: "red", Radius: 4}},
		Lines: []LineSet{{
			Segs:  []float64{0, 0, 1, 1, 0, 1, 1, 0, 0.5, 0, 0.5, 1},
			Alpha: []float64{1, 0.001, 0.3}, // the middle one is invisible: skipped
		}},
		Curves:   []Curve{{XY: []float64{0, 0, 0.5, math.NaN(), 0.6, 0.6, 1, 1}, Label: "err"}},
		Heatmaps: []Heatmap{{Cols: 2, Rows: 3, Values: []float64{0, 1, 2, 3, 4, math.NaN()}, X0: 0, X1: 1, Y0: 0, Y1: 1}},
	}
	var r Recorder
	if err := f.Draw(&r); err != nil {
		t.Fatal(err)
	}
	if r.Ops[0] != "clear #ffffff" {
		t.Errorf("first op %q, want the background", r.Ops[0])
	}
	if n := count(r.Ops, "circle"); n != 4 {
		t.Errorf("%d circles, want 4", n)
	}
	// Inner area 152 px: (0,0) -> (24, 176), (1,1) -> (176, 24).
	for _, want := range []string{"circle 24.00 176.00 2.50", "circle 176.00 24.00 2.50", "circle 100.00 100.00 2.50", "circle 62.00 62.00 4.00",
		"segment 24.00 176.00 176.00 24.00", "segment 100.00 176.00 100.00 24.00", "style #444444 0.3 1", "style red 1 1"} {
		if count(r.Ops, want) != 1 {
			t.Errorf("no %q in %v", want, r.Ops)
		}
	}
	// 2 plan segments + 2 legend strokes; the alpha-0.001 one skipped.
	if n := count(r.Ops, "segment"); n != 4 {
		t.Errorf("%d segments, want 4 (2 visible plan lines, 2 legend marks)", n)
	}
	// The NaN splits the curve; the first piece has 1 point and is not drawn.
	if n := count(r.Ops, "polyline 2"); n != 1 {
		t.Errorf("polylines %v, want one of 2 points", r.Ops)
	}
	if n := count(r.Ops, "image"); n != 1 || count(r.Ops, "image 24.00 24.00 152.00 152.00 2x3 24") != 1 {
		t.Errorf("heatmap op missing or wrong: %v", r.Ops)
	}
	// Layer order: heatmap, then lines, then curves, then points.
	idx := func(prefix string) int {
		for i, o := range r.Ops {
			if strings.HasPrefix(o, prefix) {
				return i
			}
		}
		return -1
	}
	if !(idx("image") < idx("segment") && idx("segment") < idx("polyline") && idx("polyline") < idx("circle")) {
		t.Errorf("layer order wrong: %v", r.Ops)
	}
}

func TestFigureValidate(t *testing.T) {
	bad := []Figure{
		{Points: []PointSet{{XY: []float64{1}}}},
		{Lines: []LineSet{{Segs: []float64{1, 2, 3}}}},
		{Lines: []LineSet{{Segs: []float64{1, 2, 3, 4}, Alpha: []float64{1, 1}}}},
		{Curves: []Curve{{XY: []float64{1, 2, 3}}}},
		{Heatmaps: []Heatmap{{Cols: 2, Rows: 2, Values: []float64{1, 2, 3}}}},
		{Heatmaps: []Heatmap{{Cols: 0, Rows: 0}}},
	}
	for i, f := range bad {
		if err := f.Validate(); err == nil {
			t.Errorf("figure %d: no error", i)
		}
		var r Recorder
		if err := f.Draw(&r); err == nil || len(r.Ops) != 0 {
			t.Errorf("figure %d: Draw = %v after %d ops, want an error before drawing", i, err, len(r.Ops))
		}
	}
}

func TestViridisAndHeatmapColors(t *testing.T) {
	// matplotlib's viridis(0) = #440154, viridis(1) = #fde725, viridis(0.5) = #21918c.
	checks := []struct {
		s       float64
		r, g, b byte
	}{{0, 68, 1, 84}, {1, 253, 231, 37}, {0.5, 33, 144, 141}, {-3, 68, 1, 84}, {7, 253, 231, 37}}
	for _, c := range checks {
		r, g, b := Viridis(c.s)
		if r != c.r || g != c.g || b != c.b {
			t.Errorf("Viridis(%g) = %d,%d,%d, want %d,%d,%d", c.s, r, g, b, c.r, c.g, c.b)
		}
	}
	h := Heatmap{Cols: 3, Rows: 1, Values: []float64{-2, 0, math.NaN()}}
	px := h.RGBA()
	if len(px) != 12 {
		t.Fatalf("%d bytes", len(px))
	}
	if px[0] != 68 || px[1] != 1 || px[2] != 84 || px[3] != 255 {
		t.Errorf("minimum cell %v, want viridis(0) opaque", px[0:4])
	}
	if px[4] != 253 || px[5] != 231 || px[6] != 37 {
		t.Errorf("maximum cell %v, want viridis(1)", px[4:8])
	}
	if px[11] != 0 {
		t.Errorf("NaN cell alpha %d, want transparent", px[11])
	}
	// An explicit range clamps.
	h = Heatmap{Cols: 2, Rows: 1, Values: []float64{5, -5}, Min: 0, Max: 1}
	px = h.RGBA()
	if px[0] != 253 || px[4] != 68 {
		t.Errorf("clamped cells %v", px)
	}
}

// The figure print changes with any drawn number, label or colour, and not
// otherwise (a Plot skips redrawing an unchanged figure).
func TestFigurePrint(t *testing.T) {
	base := func() Figure {
		return Figure{Width: 300, Height: 200, Title: "t",
			Heatmaps: []Heatmap{{Cols: 2, Rows: 1, Values: []float64{1, 2}}},
			Lines:    []LineSet{{Segs: []float64{0, 0, 1, 1}, Alpha: []float64{0.5}}},
			Curves:   []Curve{{XY: []float64{0, 1, 2, 3}}},
			Points:   []PointSet{{XY: []float64{0.5, 0.5}, Label: "X"}}}
	}
	p0 := printOf(base())
	if !p0.equal(printOf(base())) {
		t.Error("equal figures print differently")
	}
	if (figurePrint{}).equal(figurePrint{}) {
		t.Error("the zero print (nothing drawn yet) counts as drawn")
	}
	changes := []func(*Figure){
		func(f *Figure) { f.Heatmaps[0].Values[1] = 2.0000001 },
		func(f *Figure) { f.Lines[0].Alpha[0] = 0.6 },
		func(f *Figure) { f.Curves[0].XY = append(f.Curves[0].XY, 4, 5) },
		func(f *Figure) { f.Points[0].XY[0] = -0.5 },
		func(f *Figure) { f.Points[0].Label = "Y" },
		func(f *Figure) { f.Lines[0].Color = "#d62728" },
		func(f *Figure) { f.Title = "u" },
		func(f *Figure) { f.Points = append(f.Points, PointSet{}) },
	}
	for k, change := range changes {
		f := base()
		change(&f)
		if p0.equal(printOf(f)) {
			t.Errorf("change %d left the print unchanged", k)
		}
	}
}
