package ui

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/solvers/diffusion"
)

// The /truncate model is play's (play.Truncate, play.TruncateFrame);
// these names keep the scripts and tests that knew them in ui.
const (
	TruncatePath         = play.TruncatePath
	MaxTruncateParticles = play.MaxTruncateParticles
	MaxTruncateSteps     = play.MaxTruncateSteps
	TruncatePublished    = play.TruncatePublished
)

// TruncateSchema is the URL state of /truncate (play.TruncateSchema).
var TruncateSchema = play.TruncateSchema

// TruncateSide is one sampler's progress on /truncate (play.TruncateSide).
type TruncateSide = play.TruncateSide

func init() {
	RegisterView(TruncatePath, func() app.Composer { return newTruncatePage() })
}

// TruncateFrame is what /truncate publishes as window.otplayResult: the
// page's result (page, done, error, backend, playing) and the model's
// frame (play.TruncateFrame).
type TruncateFrame struct {
	PageResult
	play.TruncateFrame
}

// parseTruncate is the typed state of a /truncate URL state with the
// upload (shared with /diffusion) in it.
func parseTruncate(st State) (play.Truncate, error) {
	t, err := play.ParseTruncate(st)
	t.Upload = uploadedPoints(DiffusionPath + ":data")
	return t, err
}

// TruncatePage is the /truncate page: a thin view over play.Truncate
// (truncated diffusion with a fitted prior) on the page skeleton. The
// progress line counts the setup's phases (the MLP's Adam steps, the
// prior's Sinkhorn iterations or Adam steps, the ladder's rungs); then
// Step, Play, Pause and Reset drive the full and the truncated sampler
// together. The T_trunc slider navigates at once. URL parameters: see
// play.TruncateSchema; the published frame is TruncateFrame.
type TruncatePage struct {
	app.Compo
	pageSkeleton[play.TruncateFrame]

	uploadErr string
}

func newTruncatePage() *TruncatePage {
	p := &TruncatePage{}
	p.pageSkeleton = pageSkeleton[play.TruncateFrame]{
		Path: TruncatePath, Title: "Truncated diffusion · otplay", Schema: TruncateSchema,
		Start: func(st State) (play.Start[play.TruncateFrame], error) {
			t, err := parseTruncate(st)
			return t.Start, err
		},
		Publish: func(r PageResult, f play.TruncateFrame) any { return TruncateFrame{r, f} },
	}
	return p
}

// onUpload takes an uploaded cloud as the data (the same slot as
// /diffusion's data=upload).
func (p *TruncatePage) onUpload(ctx app.Context, e app.Event) {
	handlePointUpload(ctx, "upload-data", DiffusionPath+":data", "data", MaxDiffusionData, p.state, ctx.Page().URL().Path,
		func(app.Context) { p.reset() }, func(s string) { p.uploadErr = s })
}

// onSlider applies a new T_trunc from the slider at once.
func (p *TruncatePage) onSlider(ctx app.Context, e app.Event) {
	st, err := p.state.With("ttrunc", ctx.JSSrc().Get("value").String())
	if err != nil {
		p.stateErr = err.Error()
		return
	}
	ctx.Navigate(PageURL(ctx.Page().URL().Path, st))
}

var truncateTimingLabel = map[string]string{"model": "model", "fit": "prior fit", "ladder": "quality ladder", "step": "last step"}

// Render shows the T_trunc slider, the form, the controls, both sides and
// the quality chart.
func (p *TruncatePage) Render() app.UI {
	// T_trunc's slider applies at once (the form's text field waits for
	// Apply): one control, two ways to set it.
	slider := app.Input().ID("ttrunc-slider").Class("otplay-slider").Type("range").Min(2).Max(diffusion.DefaultT).Step(1).
		Aria("label", "Truncation step T_trunc").Value(p.state.String("ttrunc")).OnChange(p.onSlider)
	l := p.layout("Truncated diffusion with an OT prior", map[string]app.UI{
		"ttrunc": slider,
		"data":   pointUploadField("upload-data", "or upload your own (CSV or .npy, 2 columns)", p.onUpload),
	})
	f := p.frame()
	full, trunc, ladder := setupFigure(), setupFigure(), setupFigure()
	var stats app.UI
	switch {
	case p.update.Err != nil:
		stats = app.Div().ID("truncate-stats").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + p.update.Err.Error())
	case f == nil:
		text := "Opening the backend ..."
		if pr := p.update.Progress; pr != nil {
			text = pr.Phase + " ..."
		}
		stats = app.Div().ID("truncate-stats").DataSet("status", "opening").Class("otplay-result").Text(text)
	default:
		if p.status != nil {
			l.Timings = append(l.Timings, Timing{"backend open", ms(float64(p.status.Open) / 1e6)})
		}
		for _, k := range []string{"model", "fit", "ladder", "step"} {
			if v, ok := f.TimingsMS[k]; ok {
				l.Timings = append(l.Timings, Timing{truncateTimingLabel[k], ms(v)})
			}
		}
		full, trunc, ladder = f.FullView, f.TruncView, f.LadderChart
		g := func(v float64) string { return strconv.FormatFloat(v, 'g', 5, 64) }
		rows := []app.UI{
			resultRow("phase", f.Phase),
			resultRow("truncation", fmt.Sprintf("T_trunc = %d: start at t = %s", f.TTrunc, g(f.TStart))),
			resultRow("prior fit", fmt.Sprintf("%s prior: MMD(prior, q(x_t)) = %s", f.Prior, g(f.PriorMMD))),
			resultRow("full", fmt.Sprintf("step %d of %d, t = %s, NFE %d", f.Full.Step, f.Steps, g(f.Full.T), f.Full.NFE)),
			resultRow("truncated", fmt.Sprintf("step %d of %d, t = %s, NFE %d", f.Trunc.Step, f.Steps, g(f.Trunc.T), f.Trunc.NFE)),
		}
		if f.Finished() {
			rows = append(rows, resultRow("MMD(sample, data)", fmt.Sprintf("full %s, truncated %s", mmdText(f.Full.MMD, 5), mmdText(f.Trunc.MMD, 5))))
		}
		stats = app.Div().ID("truncate-stats").Class("otplay-result").DataSet("status", f.Phase).
			DataSet("step", f.Full.Step).Body(app.Table().Body(rows...))
	}
	return l.Render(
		app.If(p.uploadErr != "", func() app.UI { return app.P().ID("upload-error").Class("otplay-error").Text(p.uploadErr) }),
		p.controls(),
		app.Div().Class("otplay-hero").Body(
			app.Div().Class("otplay-main-view otplay-view otplay-pair").DataSet("view", "truncate-pair").Body(
				&Plot{ID: "truncate-full", Figure: full},
				&Plot{ID: "truncate-trunc", Figure: trunc},
			),
			app.Div().Class("otplay-side").Body(stats),
		),
		app.Div().Class("otplay-views").Body(
			viewBox("truncate-ladder", &Plot{ID: "truncate-ladder", Figure: ladder}),
		),
		app.If(!p.embed, func() app.UI {
			return exportButtons("truncate", []string{"truncate-full", "truncate-trunc", "truncate-ladder"}, p.particlesCSV, p.frameJSON)
		}),
	)
}

func (p *TruncatePage) particlesCSV() string {
	f := p.frame()
	if f == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("side,x,y\n")
	for _, s := range []struct {
		name string
		x    []float64
	}{{"full", f.Full.All}, {"truncated", f.Trunc.All}} {
		for i := 0; i+1 < len(s.x); i += 2 {
			b.WriteString(s.name + "," + strconv.FormatFloat(s.x[i], 'g', -1, 64) + "," + strconv.FormatFloat(s.x[i+1], 'g', -1, 64) + "\n")
		}
	}
	return b.String()
}

func (p *TruncatePage) frameJSON() string {
	f := p.frame()
	if f == nil {
		return "{}"
	}
	v, _ := json.MarshalIndent(TruncateFrame{p.result(), *f}, "", " ")
	return string(v)
}
