package ui

import (
	"math"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The figure model's own tests are in package figure; these cover the
// component: its markup, the redraw print and the hover read-out.

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
		func(f *Figure) { f.Heatmaps[0].Label = "mass" },
		func(f *Figure) { f.Lines[0].Alpha[0] = 0.6 },
		func(f *Figure) { f.Lines[0].Dash = []float64{2, 2} },
		func(f *Figure) { f.Curves[0].XY = append(f.Curves[0].XY, 4, 5) },
		func(f *Figure) { f.Points[0].XY[0] = -0.5 },
		func(f *Figure) { f.Points[0].Label = "Y" },
		func(f *Figure) { f.Lines[0].Color = "#d62728" },
		func(f *Figure) { f.Title = "u" },
		func(f *Figure) { f.XLabel = "x" },
		func(f *Figure) { f.YLabel = "y" },
		func(f *Figure) { f.LogX = true },
		func(f *Figure) { f.Legend = 2 },
		func(f *Figure) { f.Note = "wait" },
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

// The component renders the canvas at the figure's size with its
// read-out overlay, and reads out the figure it drew.
func TestPlotRenderAndReadout(t *testing.T) {
	f := Figure{Width: 400, Height: 300, XMin: 0, XMax: 10, YMin: 0, YMax: 1, XLabel: "iteration",
		Curves: []Curve{{XY: []float64{2, 0.5, 8, 0.25}, Label: "residual"}}}
	p := &Plot{ID: "p1", Figure: f}
	html := app.HTMLString(p)
	for _, want := range []string{`id="p1"`, `width="400"`, `height="300"`, `id="p1-readout"`, `class="otplay-plot"`, `role="img"`, `aria-label="plot (x: iteration, y: )"`} {
		if !strings.Contains(html, want) {
			t.Errorf("markup lacks %s:\n%s", want, html)
		}
	}
	if p.readout(200, 150) != "" {
		t.Error("read-out before the first draw")
	}
	p.draw(app.Context{})
	L := f.Layout()
	px, py := L.Transform.Apply(8, 0.25)
	if got := p.readout(px+2, py-1); got != "residual #1: (8, 0.25)" {
		t.Errorf("read-out near the second point = %q", got)
	}
	if got := p.readout(1, 1); got != "" {
		t.Errorf("read-out outside the data area = %q", got)
	}
	// A malformed figure is not drawn (the last good one stays).
	p.Figure = Figure{Curves: []Curve{{XY: []float64{1}}}}
	p.draw(app.Context{})
	if got := p.readout(px+2, py-1); got != "residual #1: (8, 0.25)" {
		t.Errorf("read-out after a malformed figure = %q", got)
	}
}

// count is the number of recorded operations that start with prefix.
func count(ops []string, prefix string) int {
	n := 0
	for _, o := range ops {
		if strings.HasPrefix(o, prefix) {
			n++
		}
	}
	return n
}

// near reports |a - b| <= tol.
func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
