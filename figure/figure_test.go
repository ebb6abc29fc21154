package figure

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func count(ops []string, prefix string) int {
	n := 0
	for _, o := range ops {
		if strings.HasPrefix(o, prefix) {
			n++
		}
	}
	return n
}

func TestTransformMapsWindowToArea(t *testing.T) {
	f := Figure{Width: 400, Height: 300, XMin: -1, XMax: 3, YMin: 0, YMax: 10, XLabel: "x", YLabel: "y", Title: "t"}
	L := f.Layout()
	a := L.Area
	x, y := L.Transform.Apply(-1, 0)
	if !near(x, a.X, 1e-9) || !near(y, a.Y+a.H, 1e-9) {
		t.Errorf("(-1, 0) -> (%g, %g), want the area's bottom-left (%g, %g)", x, y, a.X, a.Y+a.H)
	}
	x, y = L.Transform.Apply(3, 10)
	if !near(x, a.X+a.W, 1e-9) || !near(y, a.Y, 1e-9) {
		t.Errorf("(3, 10) -> (%g, %g), want the area's top-right (%g, %g)", x, y, a.X+a.W, a.Y)
	}
	if a.X < 20 || a.Y < 15 || a.X+a.W > 400 || a.Y+a.H > 300-30 {
		t.Errorf("area %+v leaves no room for ticks and titles", a)
	}
	// Equal aspect: one unit is as long on both axes; the window widens
	// along x (the area is wider than the data) about its centre.
	f.EqualAspect = true
	L = f.Layout()
	tr := L.Transform
	if !near(tr.AX, -tr.AY, 1e-9) {
		t.Errorf("EqualAspect scales %g and %g", tr.AX, -tr.AY)
	}
	if !near(L.YMin, 0, 1e-9) || !near(L.YMax, 10, 1e-9) || !(L.XMin < -1) || !near((L.XMin+L.XMax)/2, 1, 1e-9) {
		t.Errorf("EqualAspect window [%g, %g] x [%g, %g]", L.XMin, L.XMax, L.YMin, L.YMax)
	}
	xl, _ := tr.Apply(L.XMin, 0)
	xr, _ := tr.Apply(L.XMax, 0)
	if !near(xl, L.Area.X, 1e-9) || !near(xr, L.Area.X+L.Area.W, 1e-9) {
		t.Errorf("widened window spans %g..%g px, area %+v", xl, xr, L.Area)
	}
	// Inverse undoes Apply.
	px, py := tr.Apply(0.3, 7)
	if ix, iy := tr.Inverse(px, py); !near(ix, 0.3, 1e-9) || !near(iy, 7, 1e-9) {
		t.Errorf("Inverse(Apply(0.3, 7)) = (%g, %g)", ix, iy)
	}
}

func TestWindowFitsData(t *testing.T) {
	f := Figure{Points: []PointSet{{XY: []float64{0, 0, 10, 20, math.NaN(), 5, math.Inf(1), 3}}}}
	xmin, xmax, ymin, ymax := f.Window()
	// 5% padding of the ranges 10 and 20; the NaN and Inf points ignored.
	if !near(xmin, -0.5, 1e-12) || !near(xmax, 10.5, 1e-12) || !near(ymin, -1, 1e-12) || !near(ymax, 21, 1e-12) {
		t.Errorf("window [%g, %g] x [%g, %g]", xmin, xmax, ymin, ymax)
	}
	one := Figure{Points: []PointSet{{XY: []float64{2, 3}}}}
	if a, b, c, d := one.Window(); a != 1.5 || b != 2.5 || c != 2.5 || d != 3.5 {
		t.Errorf("single point window %g %g %g %g", a, b, c, d)
	}
	if a, b, c, d := (Figure{}).Window(); a != -1 || b != 1 || c != -1 || d != 1 {
		t.Errorf("empty window %g %g %g %g", a, b, c, d)
	}
	// LogY: fitted in log10, non-positive values dropped.
	lf := Figure{LogY: true, Curves: []Curve{{XY: []float64{0, 1e-6, 1, 1e-2, 2, 0, 3, -1}}}}
	_, _, ymin, ymax = lf.Window()
	if !near(ymin, -6-0.2, 1e-9) || !near(ymax, -2+0.2, 1e-9) {
		t.Errorf("log window y [%g, %g], want [-6.2, -1.8]", ymin, ymax)
	}
	// An explicit window on a log axis is in data units.
	ex := Figure{LogX: true, XMin: 1, XMax: 1000, YMin: 0, YMax: 1}
	if a, b, _, _ := ex.Window(); !near(a, 0, 1e-12) || !near(b, 3, 1e-12) {
		t.Errorf("explicit log window x [%g, %g], want [0, 3]", a, b)
	}
}

func TestDrawLayers(t *testing.T) {
	f := Figure{
		Width: 300, Height: 240, XMin: 0, XMax: 1, YMin: 0, YMax: 1,
		Points: []PointSet{{XY: []float64{0, 0, 1, 1, 0.5, 0.5}, Label: "X"}, {XY: []float64{0.25, 0.75}, Color: "red", Radius: 4}},
		Lines: []LineSet{{
			Segs:  []float64{0, 0, 1, 1, 0, 1, 1, 0, 0.5, 0, 0.5, 1},
			Alpha: []float64{1, 0.001, 0.3}, // the middle one is invisible: skipped
		}},
		Curves:   []Curve{{XY: []float64{0, 0, 0.5, math.NaN(), 0.6, 0.6, 1, 1}, Label: "err", Dash: []float64{4, 2}}},
		Heatmaps: []Heatmap{{Cols: 2, Rows: 3, Values: []float64{0, 1, 2, 3, 4, math.NaN()}, X0: 0, X1: 1, Y0: 0, Y1: 1}},
	}
	var r Recorder
	if err := f.Draw(&r); err != nil {
		t.Fatal(err)
	}
	if r.Ops[0] != "clear #ffffff" {
		t.Errorf("first op %q, want the background", r.Ops[0])
	}
	L := f.Layout()
	tr := L.Transform
	// 4 data discs + 1 legend dot (the labelled point set).
	if n := count(r.Ops, "circle"); n != 5 {
		t.Errorf("%d circles, want 4 points and 1 legend dot", n)
	}
	at := func(x, y float64) string {
		px, py := tr.Apply(x, y)
		return fmt.Sprintf("circle %.2f %.2f", px, py)
	}
	for _, want := range []string{at(0, 0) + " 2.50", at(1, 1) + " 2.50", at(0.25, 0.75) + " 4.00", "style #444444 0.3 1", "style red 1 1"} {
		if count(r.Ops, want) != 1 {
			t.Errorf("no %q in %v", want, r.Ops)
		}
	}
	if n := count(r.Ops, "dash [4 2]"); n != 2 {
		t.Errorf("%d dashed strokes, want the curve and its legend segment", n)
	}
	// The NaN splits the curve; the first piece has 1 point and is not drawn.
	if n := count(r.Ops, "polyline 2"); n != 1 || count(r.Ops, "polyline") != 1 {
		t.Errorf("polylines %v, want one of 2 points", r.Ops)
	}
	// Two images: the heatmap over its data rectangle, the colourbar strip.
	if n := count(r.Ops, "image"); n != 2 || count(r.Ops, fmt.Sprintf("image %.2f %.2f %.2f %.2f 2x3 24", L.Area.X, L.Area.Y, L.Area.W, L.Area.H)) != 1 {
		t.Errorf("heatmap op missing or wrong: %v", r.Ops)
	}
	// Layer order: heatmap, then plan lines, then curves, then points, all
	// inside the clip; the frame after.
	idx := func(prefix string) int {
		for i, o := range r.Ops {
			if strings.HasPrefix(o, prefix) {
				return i
			}
		}
		return -1
	}
	if !(idx("clip") < idx("image") && idx("image") < idx("style #444444") && idx("style #444444") < idx("polyline") && idx("polyline") < idx("circle") && idx("circle") < idx("unclip") && idx("unclip") < idx("rect")) {
		t.Errorf("layer order wrong: %v", r.Ops)
	}
	// Tick labels are drawn.
	texts := map[string]bool{}
	for _, tx := range r.Texts {
		texts[tx.S] = true
	}
	for _, want := range []string{"0.0", "0.5", "1.0", "X", "err"} {
		if !texts[want] {
			t.Errorf("no text %q among %v", want, r.Texts)
		}
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
	if px[0] != 68 || px[1] != 1 || px[2] != 84 || px[3] != 255 {
		t.Errorf("minimum cell %v, want viridis(0) opaque", px[0:4])
	}
	if px[4] != 253 || px[5] != 231 || px[6] != 37 {
		t.Errorf("maximum cell %v, want viridis(1)", px[4:8])
	}
	if px[11] != 0 {
		t.Errorf("NaN cell alpha %d, want transparent", px[11])
	}
	h = Heatmap{Cols: 2, Rows: 1, Values: []float64{5, -5}, Min: 0, Max: 1}
	px = h.RGBA()
	if px[0] != 253 || px[4] != 68 {
		t.Errorf("clamped cells %v", px)
	}
}

// BenchmarkLayoutAndDraw times a plan-view-sized figure (1024 points, 2048
// plan segments) laid out and drawn onto a Recorder.
func BenchmarkLayoutAndDraw(b *testing.B) {
	xy := make([]float64, 2048)
	segs := make([]float64, 8192)
	for i := range xy {
		xy[i] = math.Sin(float64(i) * 0.7)
	}
	for i := range segs {
		segs[i] = math.Cos(float64(i) * 0.3)
	}
	f := Figure{Width: 520, Height: 440, EqualAspect: true, Title: "plan",
		Points: []PointSet{{XY: xy, Label: "X"}}, Lines: []LineSet{{Segs: segs}}}
	for b.Loop() {
		var r Recorder
		f.Draw(&r)
	}
}

// BenchmarkLayout times the layout alone (ticks, margins, legend) of a
// log chart.
func BenchmarkLayout(b *testing.B) {
	xy := make([]float64, 0, 2000)
	for i := 1; i <= 1000; i++ {
		xy = append(xy, float64(i), math.Pow(10, -0.01*float64(i)))
	}
	f := Figure{Width: 520, Height: 220, LogY: true, Curves: []Curve{{XY: xy, Label: "residual"}}}
	for b.Loop() {
		f.Layout()
	}
}
