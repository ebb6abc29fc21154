package ui

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/ot"
)

// The /bridge page's model is play's (play.Bridge, play.BridgeFrame).
const (
	BridgePath         = play.BridgePath
	MaxBridgePoints    = play.MaxBridgePoints
	MaxBridgeParticles = play.MaxBridgeParticles
	MaxBridgeSteps     = play.MaxBridgeSteps
	BridgePublished    = play.BridgePublished
)

// BridgeSchema is the URL state of /bridge (play.BridgeSchema).
var BridgeSchema = play.BridgeSchema

// BridgeFrame is what /bridge publishes as window.otplayResult.
type BridgeFrame struct {
	PageResult
	play.BridgeFrame
}

func init() {
	RegisterView(BridgePath, func() app.Composer { return newBridgePage() })
}

// BridgePage is the /bridge page: the Schrödinger bridge of play.Bridge
// (static solution by Sinkhorn at eps = 2 sigma^2, 40 bridge paths over
// t, the drift as arrows, new particles moved by the bridge SDE one
// Euler-Maruyama step per Step) on the page skeleton. Uploaded clouds
// (x or y = upload) come from the point-upload store shared with
// /diffusion.
type BridgePage struct {
	app.Compo
	pageSkeleton[play.BridgeFrame]
	uploadErr string
}

func newBridgePage() *BridgePage {
	p := &BridgePage{}
	p.pageSkeleton = pageSkeleton[play.BridgeFrame]{
		Path: BridgePath, Title: "Bridges · otplay", Schema: BridgeSchema,
		Start: func(st State) (play.Start[play.BridgeFrame], error) {
			s, err := bridgeModel(st)
			return s.Start, err
		},
		Publish: func(r PageResult, f play.BridgeFrame) any { return BridgeFrame{r, f} },
	}
	return p
}

// bridgeUploads are the uploaded clouds the state names (nil where none
// was uploaded: the model then says what to do).
func bridgeUploads(s play.Bridge) [2]*data.Set {
	var up [2]*data.Set
	for k, name := range []string{s.X, s.Y} {
		if name != play.UploadChoice {
			continue
		}
		if c, err := pointSet(BridgePath+":"+[]string{"x", "y"}[k], name, MaxBridgePoints, 0); err == nil {
			up[k] = &c
		}
	}
	return up
}

// bridgeModel is the typed state of a /bridge URL state with the page's
// uploads.
func bridgeModel(st State) (play.Bridge, error) {
	s, err := play.ParseBridge(st)
	s.Uploads = bridgeUploads(s)
	return s, err
}

// BridgeProblem is the static problem of a /bridge URL state, uploads
// included (play.Bridge.Problem).
func BridgeProblem(st State) (ot.Problem, error) {
	s, err := bridgeModel(st)
	if err != nil {
		return ot.Problem{}, err
	}
	return s.Problem()
}

// BridgeParticles are the new particles of a /bridge URL state
// (play.Bridge.ParticlesAt0).
func BridgeParticles(st State) ([]float64, error) {
	s, err := bridgeModel(st)
	if err != nil {
		return nil, err
	}
	return s.ParticlesAt0()
}

func (p *BridgePage) onUploadX(ctx app.Context, e app.Event) {
	handlePointUpload(ctx, "upload-x", BridgePath+":x", "x", MaxBridgePoints, p.state, ctx.Page().URL().Path, p.rerun, func(s string) { p.uploadErr = s })
}

func (p *BridgePage) onUploadY(ctx app.Context, e app.Event) {
	handlePointUpload(ctx, "upload-y", BridgePath+":y", "y", MaxBridgePoints, p.state, ctx.Page().URL().Path, p.rerun, func(s string) { p.uploadErr = s })
}

func (p *BridgePage) rerun(app.Context) { p.reset() }

// Render shows the form, the controls, the numbers and the views.
func (p *BridgePage) Render() app.UI {
	l := p.layout("Schrödinger bridges: paths, drift and the bridge SDE", map[string]app.UI{
		"x": pointUploadField("upload-x", "or upload your own (CSV or .npy, 2 columns)", p.onUploadX),
		"y": pointUploadField("upload-y", "or upload your own", p.onUploadY),
	})
	if l.Progress != nil && l.Progress.Phase == openingPhase {
		l.Progress = &Progress{Phase: "Solving the static bridge (Sinkhorn)"}
	}
	f := p.frame()
	var view, chart Figure
	var stats app.UI
	switch {
	case p.update.Err != nil:
		stats = app.Div().ID("bridge-stats").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + p.update.Err.Error())
	case f == nil:
		stats = app.Div().ID("bridge-stats").DataSet("status", "opening").Class("otplay-result").Text("Solving the static bridge (Sinkhorn) ...")
	default:
		view, chart = f.View, f.Chart
		for _, k := range []string{"setup", "step", "frame"} {
			l.Timings = append(l.Timings, Timing{map[string]string{"setup": "bridge + paths", "step": "last step", "frame": "last frame"}[k], ms(f.TimingsMS[k])})
		}
		g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
		conv := map[bool]string{true: "converged", false: "not converged"}[f.Converged]
		status := "stepping"
		if f.Finished() {
			status = "finished"
		}
		stats = app.Div().ID("bridge-stats").Class("otplay-result").DataSet("status", status).DataSet("step", f.Step).Body(app.Table().Body(
			resultRow("static bridge", fmt.Sprintf("eps = 2 sigma^2 = %s, Sinkhorn %d iterations (%s), <P, C> = %s", g(f.Eps), f.Iterations, conv, g(f.Cost))),
			app.If(f.CoarseN > 0, func() app.UI {
				return resultRow("multiscale", fmt.Sprintf("coarse %d x %d points, %d iterations, then the full plan", f.CoarseN, f.CoarseM, f.CoarseIterations))
			}),
			resultRow("transport", bridgeTransportText(f)),
			resultRow("step", fmt.Sprintf("%d of %d", f.Step, f.Steps)),
			resultRow("time t", g(f.T)),
			resultRow("particle mean", g(f.Mean[0])+", "+g(f.Mean[1])),
			resultRow("distance to the target", g(f.Nearest[len(f.Nearest)-1])),
			resultRow("path energy", bridgePathEnergy(f)),
		))
	}
	return l.Render(
		app.If(p.uploadErr != "", func() app.UI { return app.P().ID("upload-error").Class("otplay-error").Text(p.uploadErr) }),
		p.controls(),
		app.Div().Class("otplay-hero").Body(
			app.Div().Class("otplay-main-view otplay-view").DataSet("view", "bridge-view").Body(&Plot{ID: "bridge-view", Figure: view}),
			app.Div().Class("otplay-side").Body(stats),
		),
		app.Div().Class("otplay-views").Body(
			viewBox("bridge-chart", &Plot{ID: "bridge-chart", Figure: chart}),
		),
		app.If(!p.embed, func() app.UI {
			return exportButtons("bridge", []string{"bridge-view", "bridge-chart"}, p.particlesCSV, p.frameJSON)
		}),
	)
}

// bridgePathEnergy is the path-energy read-out: the mean over the
// particles of sum_k |Delta_k|^2 / h (noise left out), known at t = 1.
func bridgePathEnergy(f *play.BridgeFrame) string {
	if f.PathEnergy == nil {
		return "at t = 1"
	}
	return strconv.FormatFloat(*f.PathEnergy, 'g', 6, 64) + " (mean Σ|step|²/h, noise left out)"
}

// bridgeTransportText names the step that moved the particles.
func bridgeTransportText(f *play.BridgeFrame) string {
	if f.Transport == "momentum" {
		return "momentum, β = " + strconv.FormatFloat(f.Momentum, 'g', -1, 64)
	}
	return f.Transport
}

func (p *BridgePage) particlesCSV() string {
	if f := p.frame(); f != nil {
		return f.ParticlesCSV()
	}
	return ""
}

func (p *BridgePage) frameJSON() string {
	f := p.frame()
	if f == nil {
		return "{}"
	}
	v, _ := json.MarshalIndent(BridgeFrame{p.result(), *f}, "", " ")
	return string(v)
}
