package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/play"
)

// BarycenterPath is the route of the barycenter page (play.BarycenterPath).
const BarycenterPath = play.BarycenterPath

// BarycenterResult is what /barycenter publishes as window.otplayResult.
type BarycenterResult struct {
	PageResult
	play.BarycenterFrame
}

func init() {
	RegisterView(BarycenterPath, func() app.Composer { return newBarycenterPage() })
}

// BarycenterPage is the /barycenter page: a thin view over
// play.Barycenter on the page skeleton. Step computes one more cell of the
// square (one barycenter), Play fills the square.
type BarycenterPage struct {
	app.Compo
	pageSkeleton[play.BarycenterFrame]
}

func newBarycenterPage() *BarycenterPage {
	p := &BarycenterPage{}
	p.pageSkeleton = pageSkeleton[play.BarycenterFrame]{
		Path: BarycenterPath, Title: "Barycenters · otplay", Schema: play.BarycenterSchema,
		Start: func(st State) (play.Start[play.BarycenterFrame], error) {
			b, err := play.ParseBarycenter(st)
			return b.Start, err
		},
		Publish: func(r PageResult, f play.BarycenterFrame) any { return BarycenterResult{r, f} },
	}
	return p
}

// Render shows the controls, the square of barycenters and the numbers.
func (p *BarycenterPage) Render() app.UI {
	l := p.layout("Wasserstein barycenters of shapes", nil)
	f := p.frame()
	var view Figure
	if f != nil {
		view = f.View
		if f.TimingsMS != nil {
			l.Timings = []Timing{{"last cell", ms(f.TimingsMS["last cell"])}, {"all cells", ms(f.TimingsMS["all cells"])}}
		}
	}
	return l.Render(
		p.controls(),
		app.Div().Class("otplay-hero").Body(
			app.Div().Class("otplay-main-view otplay-view").DataSet("view", "barycenter-view").Body(&Plot{ID: "barycenter-view", Figure: view}),
			app.Div().Class("otplay-side").Body(p.renderStats()),
		),
	)
}

func (p *BarycenterPage) renderStats() app.UI {
	f := p.frame()
	if err := p.update.Err; err != nil {
		return app.Div().ID("barycenter-stats").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + err.Error())
	}
	if f == nil {
		return app.Div().ID("barycenter-stats").DataSet("status", "opening").Class("otplay-result").Text("Opening the backend and drawing the shapes ...")
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
	conv := "every cell so far"
	if !f.Converged {
		conv = "no: " + f.LastStatus
	}
	last := "none yet (press Step or Play)"
	if f.LastCell >= 0 {
		ws := make([]string, len(f.LastWeights))
		for i, w := range f.LastWeights {
			ws[i] = g(w)
		}
		last = fmt.Sprintf("cell %d, weights (%s), %d iterations", f.LastCell, strings.Join(ws, ", "), f.LastIters)
	}
	status := "ready"
	if f.Finished() {
		status = "done"
	}
	return app.Div().ID("barycenter-stats").Class("otplay-result").
		DataSet("status", status).DataSet("done", f.Done).DataSet("total", f.Total).
		Body(app.Table().Body(
			resultRow("barycenters", fmt.Sprintf("%d of %d", f.Done, f.Total)),
			resultRow("last", last),
			resultRow("converged (POT's test, tol 1e-4)", conv),
			resultRow("iterations in all", strconv.Itoa(f.Iterations)),
			resultRow("worst error / marginal error", g(f.WorstErr)+" / "+g(f.WorstMarginal)),
			resultRow("precision", f.Precision),
			resultRow("image side", fmt.Sprintf("%d x %d pixels", f.Size, f.Size)),
			app.If(f.Preset != nil, func() app.UI { return resultRow("preset", f.Preset.Text()) }),
		))
}
