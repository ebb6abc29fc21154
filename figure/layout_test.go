package figure

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
)

// sampleFigures are figures like the playground's: a plan view, a log
// chart, a heatmap with a colourbar, an empty chart, long labels, at
// desktop and phone sizes.
func sampleFigures() map[string]Figure {
	cloud := func(n int, s float64) []float64 {
		xy := make([]float64, 0, 2*n)
		for i := 0; i < n; i++ {
			a := float64(i) * 2.4
			xy = append(xy, s*math.Cos(a)*float64(i)/float64(n), s*math.Sin(a)*float64(i)/float64(n))
		}
		return xy
	}
	resid := make([]float64, 0, 400)
	for i := 1; i <= 200; i++ {
		resid = append(resid, float64(i), math.Pow(10, -0.04*float64(i)))
	}
	vals := make([]float64, 32*32)
	for k := range vals {
		vals[k] = -4 + 4*float64(k)/float64(len(vals))
	}
	figs := map[string]Figure{
		"plan": {Width: 520, Height: 440, Title: "X, Y and the plan's largest entries", EqualAspect: true, XLabel: "x₁", YLabel: "x₂",
			Points: []PointSet{{XY: cloud(300, 1.9), Label: "X (source)"}, {XY: cloud(200, 1.2), Label: "Y (target)"}},
			Lines:  []LineSet{{Segs: []float64{0, 0, 1, 1}, Label: "plan"}}},
		"chart": {Width: 520, Height: 220, Title: "marginal error |P1 − a|₁ + |Pᵀ1 − b|₁ per iteration", LogY: true, XLabel: "iteration", YLabel: "error",
			Curves: []Curve{{XY: resid, Label: "residual", Color: "#d62728"}}},
		"heat": {Width: 300, Height: 300, Title: "plan P (log10 P/max)", XLabel: "column j", YLabel: "row i",
			Heatmaps: []Heatmap{{Cols: 32, Rows: 32, Values: vals, Min: -4, Max: 0, Label: "log10 P/max"}}},
		"potential": {Width: 300, Height: 260, Title: "potential f over the plane, with X", EqualAspect: true,
			Heatmaps: []Heatmap{{Cols: 32, Rows: 32, Values: vals, X0: -2, X1: 2, Y0: -2, Y1: 2}},
			Points:   []PointSet{{XY: cloud(50, 1.5), Color: "#ffffff", Radius: 1.5}}},
		"empty": {Width: 520, Height: 220, Title: "residual", LogY: true, Curves: []Curve{{Label: "residual"}}},
		"huge":  {Width: 400, Height: 240, Curves: []Curve{{XY: []float64{-3e9, 1e-7, 8e9, 9e-7}, Label: "a very long legend label that goes on and on"}}},
		"loglog": {Width: 480, Height: 300, LogX: true, LogY: true, XLabel: "NFE", YLabel: "sliced W₂",
			Curves: []Curve{{XY: []float64{1, 0.5, 10, 0.1, 100, 0.02, 1000, 0.015}, Label: "a"}, {XY: []float64{2, 0.4, 20, 0.2}, Dash: []float64{6, 3}, Label: "b"}},
			Points: []PointSet{{XY: []float64{1, 0.5, 10, 0.1}, Label: "samples"}}},
		"many": {Width: 520, Height: 260, Legend: LegendTop, Curves: []Curve{{XY: []float64{0, 1, 1, 2}, Label: "full (t = 1, N(0, I))"}, {XY: []float64{0, 2, 1, 3}, Label: "truncated (prior)"}, {XY: []float64{0, 3, 1, 1}, Label: "third"}, {XY: []float64{0, 0, 1, 1}, Label: "fourth curve"}}},
	}
	for name, f := range figs { // the same at phone width
		p := f
		p.Width, p.Height = 358, f.Height*358/f.Width
		figs[name+"@phone"] = p
	}
	return figs
}

// No label overlaps another or leaves the canvas; tick and axis labels and
// the legend stay outside the data area; the note is inside it.
func TestLayoutNoOverlaps(t *testing.T) {
	for name, f := range sampleFigures() {
		L := f.Layout()
		canvas := Rect{X: 0, Y: 0, W: L.Width, H: L.Height}
		if L.Area.W < 60 || L.Area.H < 40 {
			t.Errorf("%s: data area %+v too small", name, L.Area)
		}
		for i, a := range L.Labels {
			if a.Box.X < canvas.X-0.5 || a.Box.Y < canvas.Y-0.5 || a.Box.X+a.Box.W > canvas.W+0.5 || a.Box.Y+a.Box.H > canvas.H+0.5 {
				t.Errorf("%s: %s label %q box %+v leaves the %gx%g canvas", name, a.Role, a.Text, a.Box, canvas.W, canvas.H)
			}
			if a.Role != "note" && a.Box.Overlaps(L.Area) {
				t.Errorf("%s: %s label %q box %+v overlaps the data area %+v", name, a.Role, a.Text, a.Box, L.Area)
			}
			for _, b := range L.Labels[i+1:] {
				if a.Box.Overlaps(b.Box) {
					t.Errorf("%s: %s label %q %+v overlaps %s label %q %+v", name, a.Role, a.Text, a.Box, b.Role, b.Text, b.Box)
				}
			}
			for _, cb := range L.Colorbars {
				if a.Box.Overlaps(cb.Bar) {
					t.Errorf("%s: %s label %q overlaps a colourbar", name, a.Role, a.Text)
				}
			}
		}
		if L.LegendBox.W > 0 && L.LegendBox.Overlaps(L.Area) {
			t.Errorf("%s: legend %+v overlaps the data area %+v", name, L.LegendBox, L.Area)
		}
		for _, e := range L.Legend {
			if L.Area.Contains(e.X, e.Y) {
				t.Errorf("%s: legend glyph of %q inside the data area", name, e.Label)
			}
		}
		nx, ny := 0, 0
		for _, a := range L.Labels {
			switch a.Role {
			case "xtick":
				nx++
			case "ytick":
				ny++
			}
		}
		if nx < 2 || ny < 2 {
			t.Errorf("%s: %d x and %d y tick labels, want at least 2 each", name, nx, ny)
		}
	}
}

// Legend glyphs are the layers' own: dots for point sets, segments (with
// their dash) for curves and lines.
func TestLegendGlyphs(t *testing.T) {
	L := sampleFigures()["loglog"].Layout()
	want := map[string]string{"a": "segment", "b": "segment", "samples": "dot"}
	if len(L.Legend) != 3 {
		t.Fatalf("legend %+v", L.Legend)
	}
	for _, e := range L.Legend {
		if want[e.Label] != e.Glyph {
			t.Errorf("entry %q glyph %q, want %q", e.Label, e.Glyph, want[e.Label])
		}
		if e.Label == "b" && len(e.Dash) != 2 {
			t.Errorf("entry b lost its dash: %v", e.Dash)
		}
	}
	// Right of the data area by default; above it when asked (or cramped).
	if L.LegendBox.X < L.Area.X+L.Area.W {
		t.Errorf("legend %+v not right of the data area %+v", L.LegendBox, L.Area)
	}
	M := sampleFigures()["many"].Layout()
	if M.LegendBox.Y+M.LegendBox.H > M.Area.Y {
		t.Errorf("top legend %+v not above the data area %+v", M.LegendBox, M.Area)
	}
	// A square point cloud keeps more room with its legend on top.
	sq := Figure{Width: 520, Height: 520, Title: "t = 0.180", EqualAspect: true, XMin: -4, XMax: 4, YMin: -4, YMax: 4,
		Points: []PointSet{{XY: []float64{0, 0}, Label: "source x_i (t=0)"}, {XY: []float64{1, 1}, Label: "target y_j (t=1)"}}}
	if P := sq.Layout(); P.LegendBox.Y+P.LegendBox.H > P.Area.Y {
		t.Errorf("plan view legend %+v not above the data area %+v", P.LegendBox, P.Area)
	}
	// More entries than rows: the last row counts the rest.
	var many []Curve
	for i := 0; i < 30; i++ {
		many = append(many, Curve{XY: []float64{0, float64(i), 1, float64(i)}, Label: "c"})
	}
	if L := (Figure{Width: 520, Height: 220, Curves: many}).Layout(); len(L.Legend) == 0 || len(L.Legend) >= 30 || L.Labels[len(L.Labels)-1].Text != fmt.Sprintf("+%d more", 30-len(L.Legend)) {
		t.Errorf("crowded legend: %d entries, last label %q", len(L.Legend), L.Labels[len(L.Labels)-1].Text)
	}
	if h := (Figure{Legend: LegendHidden, Curves: []Curve{{XY: []float64{0, 0, 1, 1}, Label: "x"}}}).Layout(); len(h.Legend) != 0 {
		t.Errorf("hidden legend has %d entries", len(h.Legend))
	}
}

// A log axis is labelled at powers of ten in superscript form, never in
// e-notation of a fractional exponent.
func TestLogAxisLabels(t *testing.T) {
	L := sampleFigures()["chart"].Layout()
	var ys []string
	for _, a := range L.Labels {
		if a.Role == "ytick" {
			ys = append(ys, a.Text)
			if !strings.HasPrefix(a.Text, "10") && !strings.Contains(a.Text, "×10") {
				t.Errorf("log tick label %q", a.Text)
			}
		}
	}
	if strings.Join(ys, " ") != "10⁻⁶ 10⁻³ 10⁰" {
		t.Errorf("log y labels %v, want every third decade (the data run 10⁻⁰·⁰⁴ to 10⁻⁸)", ys)
	}
}

// The colourbar's scale is the heatmap's: its ends are Min and Max (or the
// data's range), its tick labels lie within them.
func TestColorbarMatchesHeatmap(t *testing.T) {
	L := sampleFigures()["heat"].Layout()
	if len(L.Colorbars) != 1 {
		t.Fatalf("%d colourbars", len(L.Colorbars))
	}
	cb := L.Colorbars[0]
	if cb.Lo != -4 || cb.Hi != 0 || cb.Label != "log10 P/max" {
		t.Errorf("colourbar %g..%g %q, want -4..0 and the heatmap's label", cb.Lo, cb.Hi, cb.Label)
	}
	if !near(cb.Y(cb.Hi), cb.Bar.Y, 1e-9) || !near(cb.Y(cb.Lo), cb.Bar.Y+cb.Bar.H, 1e-9) {
		t.Errorf("bar ends at %g and %g, bar %+v", cb.Y(cb.Hi), cb.Y(cb.Lo), cb.Bar)
	}
	var labels []string
	for _, a := range L.Labels {
		if a.Role == "colorbar" {
			labels = append(labels, a.Text)
		}
	}
	if strings.Join(labels, " ") != "−4 −3 −2 −1 0" {
		t.Errorf("colourbar labels %v", labels)
	}
	// Without Min/Max: the finite range of the values.
	h := Figure{Heatmaps: []Heatmap{{Cols: 3, Rows: 1, Values: []float64{2, math.NaN(), 7}}}}
	if cb := h.Layout().Colorbars[0]; cb.Lo != 2 || cb.Hi != 7 {
		t.Errorf("data range colourbar %g..%g, want 2..7", cb.Lo, cb.Hi)
	}
	// The strip runs Viridis from the top (maximum) down.
	var r Recorder
	if err := sampleFigures()["heat"].Draw(&r); err != nil {
		t.Fatal(err)
	}
	if count(r.Ops, "image") != 2 {
		t.Errorf("want the heatmap and its strip: %d images", count(r.Ops, "image"))
	}
}

// An empty chart draws its axes and the note.
func TestEmptyFigureShowsAxesAndNote(t *testing.T) {
	f := sampleFigures()["empty"]
	var r Recorder
	if err := f.Draw(&r); err != nil {
		t.Fatal(err)
	}
	L := f.Layout()
	if !L.Empty {
		t.Error("Layout.Empty false for a chart with no data")
	}
	found := false
	for _, tx := range r.Texts {
		found = found || tx.S == EmptyNote
	}
	if !found || count(r.Ops, "rect") == 0 || len(L.XTicks) == 0 {
		t.Errorf("empty chart: note %v, frame %d, x ticks %d", found, count(r.Ops, "rect"), len(L.XTicks))
	}
	f.Note = "choose a data set"
	if L := f.Layout(); L.Labels[len(L.Labels)-1].Text != "choose a data set" {
		t.Errorf("custom note: %+v", L.Labels[len(L.Labels)-1])
	}
	if (Figure{Points: []PointSet{{XY: []float64{1, 2}}}}).Layout().Empty {
		t.Error("a figure with a point is not empty")
	}
}

// Hover maps a pixel to data coordinates and back, and finds the nearest
// point and the heatmap cell.
func TestHoverRoundTrip(t *testing.T) {
	for name, f := range sampleFigures() {
		L := f.Layout()
		for _, q := range [][2]float64{{0.25, 0.75}, {0.5, 0.5}, {0.9, 0.1}} {
			x, y := L.XMin+q[0]*(L.XMax-L.XMin), L.YMin+q[1]*(L.YMax-L.YMin)
			px, py := L.Transform.Apply(x, y)
			r := f.Hover(L, px, py)
			if !r.Inside {
				t.Errorf("%s: pixel (%g, %g) of (%g, %g) not inside", name, px, py, x, y)
				continue
			}
			wx, wy := f.DataX(x), f.DataY(y)
			if !near(r.X, wx, 1e-9*math.Max(1, math.Abs(wx))) || !near(r.Y, wy, 1e-9*math.Max(1, math.Abs(wy))) {
				t.Errorf("%s: hover (%g, %g) reads (%g, %g), want (%g, %g)", name, px, py, r.X, r.Y, wx, wy)
			}
		}
		if r := f.Hover(L, 1, 1); r.Inside || r.Text != "" {
			t.Errorf("%s: corner pixel reads %+v", name, r)
		}
	}
	f := Figure{Width: 300, Height: 300, XMin: 0, XMax: 4, YMin: 0, YMax: 2,
		Heatmaps: []Heatmap{{Cols: 4, Rows: 2, Values: []float64{0, 1, 2, 3, 4, 5, 6, 7}, X0: 0, X1: 4, Y0: 0, Y1: 2, Label: "mass"}},
		Points:   []PointSet{{XY: []float64{1, 1, 3.2, 0.4}, Label: "Y"}}}
	L := f.Layout()
	px, py := L.Transform.Apply(3.25, 0.45) // a few pixels from point 1, in cell (row 1, col 3)
	r := f.Hover(L, px, py)
	if !r.HasPoint || r.Index != 1 || r.LayerLabel != "Y" || r.PointX != 3.2 {
		t.Errorf("nearest point %+v, want Y #1", r)
	}
	if !r.HasValue || r.Row != 1 || r.Col != 3 || r.Value != 7 || !strings.Contains(r.Text, "mass 7") {
		t.Errorf("cell %+v, want row 1 col 3 value 7", r)
	}
}

// The SVG is well-formed XML with the figure's tick labels, title and
// legend as text, one polyline per curve piece.
func TestWriteSVG(t *testing.T) {
	f := sampleFigures()["loglog"]
	f.Title = `a <title> & "quotes"`
	var b bytes.Buffer
	if err := WriteSVG(&b, f); err != nil {
		t.Fatal(err)
	}
	texts, polylines := svgTexts(t, b.Bytes())
	joined := strings.Join(texts, "|")
	for _, want := range []string{"10⁰", "10¹", "10²", "10³", "NFE", "sliced W₂", "samples", f.Title} {
		if !strings.Contains(joined, want) {
			t.Errorf("SVG texts %q lack %q", texts, want)
		}
	}
	if polylines != 2 {
		t.Errorf("%d polylines, want 2", polylines)
	}
	// Panels: both figures, under one title.
	b.Reset()
	if err := WriteSVGPanels(&b, "two", 2, sampleFigures()["chart"], sampleFigures()["heat"]); err != nil {
		t.Fatal(err)
	}
	texts, _ = svgTexts(t, b.Bytes())
	if joined := strings.Join(texts, "|"); !strings.Contains(joined, "two") || !strings.Contains(joined, "log10 P/max") || !strings.Contains(joined, "residual") {
		t.Errorf("panel texts %q", texts)
	}
	if err := WriteSVG(&b, Figure{Curves: []Curve{{XY: []float64{1}}}}); err == nil {
		t.Error("malformed figure written without error")
	}
}

func svgTexts(t *testing.T, doc []byte) (texts []string, polylines int) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	in := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return texts, polylines
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			in = e.Name.Local == "text"
			if e.Name.Local == "polyline" {
				polylines++
			}
		case xml.CharData:
			if in {
				texts = append(texts, string(e))
			}
		case xml.EndElement:
			in = false
		}
	}
}

// Extreme and degenerate data lay out without panics: a finite transform,
// distinct tick labels in order, every label on the canvas.
func TestLayoutExtremeRanges(t *testing.T) {
	ranges := [][4]float64{
		{0, 0, 0, 0}, {1e9, 1e9 + 1e-6, -1e-300, 1e-300}, {-1e300, 1e300, 5, 5}, {1e-12, 3e-12, -7, -6.99999},
		{math.MaxFloat64 / 4, math.MaxFloat64 / 2, 0, 1}, {-3, -3, 1e15, 1e15 + 1},
	}
	for _, r := range ranges {
		for _, log := range []bool{false, true} {
			f := Figure{Width: 358, Height: 200, LogX: log, LogY: log, Curves: []Curve{{XY: []float64{r[0], r[2], r[1], r[3], math.NaN(), 1}, Label: "c"}}}
			L := f.Layout()
			for _, v := range []float64{L.Transform.AX, L.Transform.BX, L.Transform.AY, L.Transform.BY} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("%v log=%v: transform %+v", r, log, L.Transform)
					break
				}
			}
			prev := map[string]string{}
			for _, lb := range L.Labels {
				if lb.Role != "xtick" && lb.Role != "ytick" {
					continue
				}
				if prev[lb.Role] == lb.Text {
					t.Errorf("%v log=%v: repeated %s label %q", r, log, lb.Role, lb.Text)
				}
				prev[lb.Role] = lb.Text
				if lb.Box.X < -0.5 || lb.Box.X+lb.Box.W > L.Width+0.5 {
					t.Errorf("%v log=%v: %s label %q at %+v off the canvas", r, log, lb.Role, lb.Text, lb.Box)
				}
			}
			var rec Recorder
			if err := f.Draw(&rec); err != nil {
				t.Error(err)
			}
		}
	}
}
