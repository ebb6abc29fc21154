package ui

import (
	"fmt"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/solvers/ot"
)

// The /ot page's model is play's (play.OT, play.OTFrame); these names keep
// the scripts and tests that knew them in ui.
const (
	OTPath      = play.OTPath
	MaxOTPoints = play.MaxOTPoints
)

// OTSchema is the URL state of /ot (play.OTSchema).
var OTSchema = play.OTSchema

// firstTwo is play.FirstTwo: the first two coordinates of a cloud's
// first points, for a 2-D figure.
var firstTwo = play.FirstTwo

// otSets are the 2-D data sets /ot offers (play.OTSets).
var otSets = play.OTSets

// OTFrame is what /ot publishes as window.otplayResult: the page's state
// and the frame's numbers.
type OTFrame struct {
	PageResult
	play.OTFrame
}

// OTProblem is the problem of an /ot URL state (play.OT.Problem).
func OTProblem(st State) (ot.Problem, error) {
	o, err := play.ParseOT(st)
	if err != nil {
		return ot.Problem{}, err
	}
	return o.Problem()
}

// OTSettings are the solver settings of an /ot URL state
// (play.OT.Settings).
func OTSettings(st State) ot.Settings {
	o, _ := play.ParseOT(st)
	return o.Settings()
}

// The /check page's computation is play's (play.SoftMinCheck); these
// names keep the scripts and tests that knew them in ui.
type (
	SoftMinCheck = play.SoftMinCheck
	CheckTimings = play.CheckTimings
)

// Limits of /check and the shift between its clouds (play's).
const (
	MaxCheckPoints = play.MaxCheckPoints
	MaxCheckDim    = play.MaxCheckDim
	MaxCheckPairs  = play.MaxCheckPairs
	CloudShift     = play.CloudShift
)

// MaxRelDiff is play.MaxRelDiff.
func MaxRelDiff(got, want []float64, floor float64) float64 { return play.MaxRelDiff(got, want, floor) }

func init() {
	RegisterView(OTPath, func() app.Composer { return newOTPage() })
}

// OTPage is the /ot page: entropic OT between two clouds, stepped; a thin
// view over play.OT on the page skeleton, with hover read-outs, uploads
// and painting of its own.
type OTPage struct {
	app.Compo
	pageSkeleton[play.OTFrame]

	hover *otHover // the point under the mouse on the plan view
	// uploads are the clouds uploaded or painted for x and y (nil: the
	// URL's data set); uploadErr says why the last upload was refused.
	uploads   [2]*play.Cloud
	uploadErr string
	// Painting (see ot_paint.go): the mode ("", "x" or "y"), whether a
	// stroke is on, its points in data coordinates and canvas pixels.
	paintMode string
	painting  bool
	painted   []float64
	paintedPx []float64
	// queries are the entropic map's query points (x, y pairs, data
	// coordinates), added by clicks in the "map" mode.
	queries []float64
	// ran is the state of the run shown now (its potentials warm-start
	// the next run where warm=yes).
	ran *play.OT
}

func newOTPage() *OTPage {
	p := &OTPage{}
	p.pageSkeleton = pageSkeleton[play.OTFrame]{
		Path: OTPath, Title: "Entropic OT · otplay", Schema: OTSchema,
		Start: func(st State) (play.Start[play.OTFrame], error) {
			o, err := play.ParseOT(st)
			o.Clouds = p.uploads
			// warm=yes: the potentials of the run shown now, used by the
			// model only if they solve the same problem (play.OT.From).
			if f := p.frame(); o.Warm && f != nil && p.ran != nil {
				o.From = f.Potentials(*p.ran)
			}
			p.ran = &o
			return o.Start, err
		},
		StepsPerFrame: func(st State) int { return st.Int("steps") },
		Publish:       func(r PageResult, f play.OTFrame) any { return OTFrame{r, f} },
	}
	return p
}

// reset starts the run again (after an upload or a stroke).
func (p *OTPage) reset(ctx app.Context) { p.pageSkeleton.reset() }

// onHover picks the point under the mouse on the plan view (in canvas
// pixels: the canvas may be scaled down at phone width).
func (p *OTPage) onHover(ctx app.Context, e app.Event) {
	f := p.frame()
	px, py, on := canvasPixel(e)
	if f == nil || f.Result == nil || !on {
		return
	}
	h, ok := hoverPick(f.Plan, f.Problem, px, py)
	switch {
	case !ok && p.hover == nil:
		ctx.PreventUpdate()
	case !ok:
		p.hover = nil
	case p.hover != nil && *p.hover == h:
		ctx.PreventUpdate()
	default:
		p.hover = &h
	}
}

func (p *OTPage) onHoverEnd(ctx app.Context, e app.Event) { p.hover = nil }

// otHoverText describes the hovered point's row or column.
func otHoverText(info play.OTHoverInfo) app.UI {
	other, verb := "y", "sends"
	if info.Set == "y" {
		other, verb = "x", "receives"
	}
	text := fmt.Sprintf("%s_%d %s mass %.4g", info.Set, info.Index, verb, info.Mass)
	for k, j := range info.Top {
		sep := ": "
		if k > 0 {
			sep = ", "
		}
		text += fmt.Sprintf("%s%.0f%% %s %s_%d", sep, 100*info.Share[k], map[bool]string{true: "to", false: "from"}[info.Set == "x"], other, j)
	}
	return app.P().ID("ot-hover").Class("otplay-hover").
		DataSet("set", info.Set).DataSet("index", info.Index).DataSet("mass", info.Mass).
		Text(text + " (red lines: every partner with at least 1% of the largest share)")
}

// Render shows the controls, the numbers, the plan and the chart.
func (p *OTPage) Render() app.UI {
	l := p.layout("Entropic OT: Sinkhorn, step by step",
		map[string]app.UI{"x": p.uploadControl("x"), "y": p.uploadControl("y")},
		p.uploadError(), p.paintControl())
	f := p.frame()
	if f != nil && f.TimingsMS != nil {
		l.Timings = []Timing{
			{"setup", ms(f.TimingsMS["setup"])},
			{"last iterations", ms(f.TimingsMS["step"])},
			{"last frame", ms(f.TimingsMS["frame"])},
		}
	}
	var plan, chart, heat, potF, potG Figure
	var hover app.UI
	if f != nil {
		plan, chart, heat, potF, potG = f.Plan, f.Chart, f.Heat, f.PotF, f.PotG
		if h := p.hover; h != nil {
			if info, err := f.Hover(h.set, h.index); err == nil {
				plan.Lines = append(append([]LineSet{}, plan.Lines...), info.Lines)
				hover = otHoverText(info)
			}
		}
	}
	mapLines, mapPts, mapText := p.mapArrows(f)
	if mapLines != nil {
		plan.Lines = append(append([]LineSet{}, plan.Lines...), *mapLines)
		plan.Points = append(append([]PointSet{}, plan.Points...), *mapPts)
	}
	if pv := p.paintPreview(); pv != nil {
		plan.Points = append(append([]PointSet{}, plan.Points...), pv...)
	}
	if hover == nil {
		hover = app.P().ID("ot-hover").Class("otplay-hover").Text("Hover over a point of the plan view to see where its mass goes.")
	}
	return l.Render(
		p.controls(),
		app.Div().Class("otplay-hero").Body(
			app.Div().Class("otplay-hoverable otplay-main-view otplay-view").DataSet("view", "ot-plan").DataSet("paint", p.paintMode).
				On("pointerdown", p.onPointerDown).On("pointermove", p.onPointerMove).
				On("pointerup", p.onPointerUp).On("pointerleave", p.onPointerUp).On("pointercancel", p.onPointerUp).Body(
				&Plot{ID: "ot-plan", Figure: plan},
			),
			app.Div().Class("otplay-side").Body(
				p.renderStats(),
				hover,
				app.If(mapText != nil, func() app.UI { return mapText }),
			),
		),
		app.Div().Class("otplay-views").Body(
			viewBox("ot-chart", &Plot{ID: "ot-chart", Figure: chart}),
			viewBox("ot-heat", &Plot{ID: "ot-heat", Figure: heat}),
			viewBox("ot-f", &Plot{ID: "ot-f", Figure: potF}),
			viewBox("ot-g", &Plot{ID: "ot-g", Figure: potG}),
		),
		exportBar("ot", []string{"ot-plan", "ot-chart", "ot-heat", "ot-f", "ot-g"}, p.otExportFiles(), &p.exported),
	)
}

// uploadError says why the last upload was refused (nil: none).
func (p *OTPage) uploadError() app.UI {
	if p.uploadErr == "" {
		return nil
	}
	return app.P().ID("upload-error").Class("otplay-error").Text("Upload refused: " + p.uploadErr)
}

func (p *OTPage) renderStats() app.UI {
	f := p.frame()
	if err := p.update.Err; err != nil {
		return app.Div().ID("ot-stats").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + err.Error())
	}
	if f == nil {
		return app.Div().ID("ot-stats").DataSet("status", "opening").Class("otplay-result").Text("Opening the backend and uploading the clouds ...")
	}
	conv := f.Convergence()
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 7, 64) }
	return app.Div().ID("ot-stats").Class("otplay-result").
		DataSet("status", "ready").
		DataSet("iteration", f.Iteration).
		Body(app.Table().Body(
			resultRow("method", f.Method+", eps = "+g(f.Eps)+", cost "+otCostText(f)),
			resultRow("iteration", strconv.Itoa(f.Iteration)),
			resultRow("converged", conv),
			resultRow("transport cost <P, C>", g(f.Cost)),
			resultRow("objective OT_eps", g(f.Objective)),
			resultRow("marginal error", g(f.MarginalError)),
			resultRow("plan mass", g(f.Mass)),
			app.If(f.Richardson != nil, func() app.UI { return otRichardsonRow(f.Richardson, g) }),
			app.If(f.Warm != nil, func() app.UI { return otWarmRow(f) }),
			app.If(f.Tier != nil, func() app.UI { return otTierRow(f.Tier, g) }),
			app.If(f.Method == "divergence", func() app.UI {
				return resultRow("Sinkhorn divergence S = OT(a,b) - (OT(a,a) + OT(b,b))/2", g(f.Divergence)+" (OT(a,a) = "+g(f.SelfX)+", OT(b,b) = "+g(f.SelfY)+")")
			}),
			app.If(f.Preset != nil, func() app.UI { return resultRow("preset", f.Preset.Text()) }),
			app.If(f.Hilbert != nil, func() app.UI {
				return resultRow("Hilbert divergence S",
					g(f.Divergence)+" (OT(a,a) = "+g(f.SelfX)+", OT(b,b) = "+g(f.SelfY)+"; Gaussian σ = "+g(f.Hilbert.Bandwidth)+", D = "+strconv.Itoa(f.Hilbert.Features)+" features)")
			}),
		))
}

// otWarmRow says where the warm start came from and, once converged, the
// iterations it saved against the cold solve (or cost: a warm start is
// not always shorter).
func otWarmRow(f *play.OTFrame) app.UI {
	w := f.Warm
	text := fmt.Sprintf("from the potentials at eps = %.4g; from zeros: %d iterations", w.FromEps, w.ColdIterations)
	saved := w.ColdIterations - f.Iteration
	switch {
	case !f.Converged:
	case saved >= 0:
		text += fmt.Sprintf(", so %d saved", saved)
	default:
		text += fmt.Sprintf(", so %d more (this start was no better than zeros)", -saved)
	}
	return app.Tr().ID("ot-warm").DataSet("cold", w.ColdIterations).DataSet("saved", saved).Body(
		app.Th().Text("warm start"), valueCell(text))
}

// otRichardsonRow shows the extrapolated cost beside the plain one.
func otRichardsonRow(r *play.OTRichardson, g func(float64) string) app.UI {
	text := fmt.Sprintf("%s (2 × %s at eps/2 − %s at eps; %d iterations)", g(r.Cost), g(r.Fine), g(r.Coarse), r.Iterations)
	if !r.Converged {
		text += ", not converged"
	}
	return app.Tr().ID("ot-richardson").DataSet("cost", r.Cost).Body(
		app.Th().Text("Richardson-extrapolated cost"), valueCell(text))
}

// button returns a button; the disabled attribute is set only when true
// (go-app's server-side HTML writes disabled="false", which HTML reads as
// disabled). The buttons "step", "play" and "pause" get data-key, which
// opts them into the keyboard shortcuts (see KeyPlay).
func button(id, text string, disabled bool, h app.EventHandler) app.UI {
	b := app.Button().ID(id).Text(text).OnClick(h)
	if k := shortcutKey(id); k != "" {
		b = b.DataSet("key", k).Title(text + " (key: " + keyName(k) + ")")
	}
	if disabled {
		b = b.Disabled(true)
	}
	return b
}

// otCostText names the frame's ground cost: |x - y|^p, or the hilbert
// method's feature distance.
func otCostText(f *play.OTFrame) string {
	if f.Hilbert != nil {
		return "|φ(x) - φ(y)|² (random Fourier features of a Gaussian kernel)"
	}
	return "|x - y|^" + strconv.FormatFloat(f.P, 'g', 6, 64)
}
