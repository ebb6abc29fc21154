package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/play"
)

// The /sliced page's model is play's (play.Sliced, play.SlicedFrame).
const (
	SlicedPath           = play.SlicedPath
	MaxSlicedPoints      = play.MaxSlicedPoints
	MaxSlicedProjections = play.MaxSlicedProjections
)

// SlicedSchema is the URL state of /sliced (play.SlicedSchema).
var SlicedSchema = play.SlicedSchema

// SlicedResult is what /sliced publishes as window.otplayResult.
type SlicedResult struct {
	PageResult
	play.SlicedFrame
}

// SlicedExport is the JSON export of /sliced (play.SlicedExport).
type SlicedExport = play.SlicedExport

func init() {
	RegisterView(SlicedPath, func() app.Composer { return newSlicedPage() })
}

// SlicedPage is the /sliced page: the distance computed once, its
// directions browsed with Previous and Next (steps of the run), on the
// page skeleton; its form is live (every change recomputes).
type SlicedPage struct {
	app.Compo
	pageSkeleton[play.SlicedFrame]
}

func newSlicedPage() *SlicedPage {
	p := &SlicedPage{}
	p.pageSkeleton = pageSkeleton[play.SlicedFrame]{
		Path: SlicedPath, Title: "Sliced OT · otplay", Schema: SlicedSchema,
		Start: func(st State) (play.Start[play.SlicedFrame], error) {
			s, err := play.ParseSliced(st)
			return s.Start, err
		},
		Publish:  func(r PageResult, f play.SlicedFrame) any { return SlicedResult{r, f} },
		LiveForm: true,
	}
	return p
}

// onShow moves the displayed direction by delta (host work only: one
// sort of n + m projections).
func (p *SlicedPage) onShow(delta int) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if p.runner != nil {
			p.runner.StepBy(delta)
		}
	}
}

// Render shows the numbers, the direction view and the running curve.
func (p *SlicedPage) Render() app.UI {
	l := p.layout("Sliced Wasserstein distance", nil)
	if l.Progress != nil && l.Progress.Phase == openingPhase {
		l.Progress = &Progress{Phase: "Projecting the clouds on the directions and sorting"}
	}
	f := p.frame()
	var stats app.UI
	var view, curve Figure
	switch {
	case p.update.Err != nil:
		stats = app.Div().ID("sliced-stats").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + p.update.Err.Error())
	case f == nil:
		stats = app.Div().ID("sliced-stats").DataSet("status", "running").Class("otplay-result").Text("Projecting and sorting ...")
	default:
		l.Timings = []Timing{{"sliced distance", ms(f.TimingsMS["distance"])}}
		g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
		stats = app.Div().ID("sliced-stats").Class("otplay-result").
			DataSet("status", "done").DataSet("shown", f.Shown).
			Body(app.Table().Body(
				resultRow("SW_"+g(f.P), g(f.SW)+" over "+strconv.Itoa(f.L)+" directions"),
				resultRow("standard error of SW_p^p, p = "+g(f.P), g(f.StdErr)),
				app.If(f.MaxDirection != nil, func() app.UI {
					return app.Tr().ID("sliced-max").DataSet("maxsw", f.MaxSW).Body(app.Th().Text("max-SW_2 (red direction)"),
						valueCell(g(f.MaxSW)+" along ("+g(f.MaxDirection[0])+", "+g(f.MaxDirection[len(f.MaxDirection)-1])+")"))
				}),
				resultRow("1-D problems solved", f.Path),
				resultRow("shown direction", strconv.Itoa(f.Shown)+": W_2^2 = "+g(f.ShownW2Sq)),
			))
		view, curve = f.View, f.Curve
	}
	ready := p.ready()
	return l.Render(
		app.Div().Class("otplay-controls").Body(
			button("prev", "Previous direction", !ready, p.onShow(-1)),
			button("next", "Next direction", !ready, p.onShow(1)),
		),
		app.Div().Class("otplay-hero").Body(
			app.Div().Class("otplay-main-view otplay-view").DataSet("view", "sliced-view").Body(&Plot{ID: "sliced-view", Figure: view}),
			app.Div().Class("otplay-side").Body(stats),
		),
		app.Div().Class("otplay-views").Body(
			viewBox("sliced-curve", &Plot{ID: "sliced-curve", Figure: curve}),
		),
		exportBar("sliced", []string{"sliced-view", "sliced-curve"}, p.slicedExportFiles(), &p.exported),
	)
}
