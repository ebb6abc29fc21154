package ui

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
)

// The /diffusion model is play's (play.Diffusion, play.DiffusionFrame);
// these names keep the scripts, tests and pages that knew them in ui.
const (
	DiffusionPath         = play.DiffusionPath
	MaxDiffusionData      = play.MaxDiffusionData
	MaxDiffusionParticles = play.MaxDiffusionParticles
	MaxDiffusionSteps     = play.MaxDiffusionSteps
	MaxDiffusionTrain     = play.MaxDiffusionTrain
	DiffusionPublished    = play.DiffusionPublished

	diffusionFieldGrid     = play.FieldGrid
	diffusionWindow        = play.ParticleWindow
	diffusionTrailPoints   = play.TrailPoints
	diffusionQualityPoints = play.QualityPoints
)

// DiffusionSchema is the URL state of /diffusion (play.DiffusionSchema).
var DiffusionSchema = play.DiffusionSchema

// arrowSegments draws a field's vectors as arrows (play.ArrowSegments).
var arrowSegments = play.ArrowSegments

func init() {
	RegisterView(DiffusionPath, func() app.Composer { return &DiffusionPage{} })
}

// DiffusionFrame is what /diffusion publishes as window.otplayResult: the
// page, whether a frame was computed, the run's error, backend and
// playing, and the model's frame (play.DiffusionFrame).
type DiffusionFrame struct {
	Page    string        `json:"page"`
	Done    bool          `json:"done"` // a frame was computed (not: finished)
	Error   string        `json:"error,omitempty"`
	Backend BackendStatus `json:"backend"`
	Playing bool          `json:"playing"`
	play.DiffusionFrame
}

// parseDiffusion is the typed state of a /diffusion URL state with the
// page's upload (if any) in it.
func parseDiffusion(st State) (play.Diffusion, error) {
	d, err := play.ParseDiffusion(st)
	d.Upload = uploadedPoints(DiffusionPath + ":data")
	return d, err
}

// DiffusionPage is the /diffusion page: a thin view over play.Diffusion
// (the reverse process of package diffusion on a cloud of particles),
// driven by a play.Runner: Step, Play (15 ms between frames), Pause and
// Reset act on the real sampler; a lost GPU device restarts the run on
// the CPU. It draws the particles with trails and the field
// (diffusion-view), the MMD of the denoised estimate per NFE
// (diffusion-quality) and, for the MLP, the training loss
// (diffusion-loss); the side panel holds the form and an upload of the
// data. URL parameters: see play.DiffusionSchema; the published frame is
// DiffusionFrame.
type DiffusionPage struct {
	app.Compo

	stopLost func() // ends the device-loss subscription (OnMount)

	path      string
	embed     bool
	state     State
	stateErr  string
	form      *paramForm
	uploadErr string

	runner *play.Runner[play.DiffusionFrame]
	update play.Update[play.DiffusionFrame]
	status *BackendStatus
	opened sync.Map // compute.Backend -> BackendStatus, from the Runner's Open
}

func (p *DiffusionPage) onUpload(ctx app.Context, e app.Event) {
	handlePointUpload(ctx, "upload-data", DiffusionPath+":data", "data", MaxDiffusionData, p.state, p.path, p.reset,
		func(s string) { p.uploadErr = s })
}

// OnMount subscribes to device losses: when the GPU device behind the
// page's run is lost, the run starts again on the CPU.
func (p *DiffusionPage) OnMount(ctx app.Context) {
	p.stopLost = onBackendLost(func(lost compute.Backend, now BackendStatus) {
		if r := p.runner; r != nil {
			r.Restart(lost)
		}
	})
}

// OnNav reads the URL state and starts a run.
func (p *DiffusionPage) OnNav(ctx app.Context) {
	u := ctx.Page().URL()
	p.path, p.embed = u.Path, IsEmbed(u)
	ctx.Page().SetTitle("Diffusion · otplay")
	st, err := DiffusionSchema.Decode(u.Query())
	p.state, p.stateErr = st, ""
	if err != nil {
		p.stateErr = err.Error()
	}
	if p.form == nil {
		p.form = newParamForm(DiffusionSchema, st)
	}
	p.form.load(st)
	p.reset(ctx)
}

// OnDismount stops the run.
func (p *DiffusionPage) OnDismount() {
	if p.stopLost != nil {
		p.stopLost()
	}
	if p.runner != nil {
		p.runner.Close()
	}
}

// reset starts a fresh run of the current state (in the browser only).
func (p *DiffusionPage) reset(ctx app.Context) {
	if !app.IsClient {
		return
	}
	if p.runner == nil {
		p.runner = &play.Runner[play.DiffusionFrame]{
			Open: func() (compute.Backend, error) {
				st := OpenBackend(p.state.String(BackendParam.Name))
				p.opened.Store(st.Backend, st)
				return st.Backend, nil
			},
			Lost: func(b compute.Backend, err error) { BackendLost(b, err) },
			Show: func(u play.Update[play.DiffusionFrame]) {
				var status *BackendStatus
				if v, ok := p.opened.Load(u.Backend); ok && u.Backend != nil {
					s := v.(BackendStatus)
					status = &s
				}
				ctx.Dispatch(func(ctx app.Context) { p.show(ctx, u, status) })
			},
		}
	}
	d, err := parseDiffusion(p.state)
	if err != nil {
		p.runner.Reset(func(context.Context, compute.Backend, func(play.Progress)) (play.Run[play.DiffusionFrame], error) {
			return nil, err
		})
		return
	}
	p.runner.Reset(d.Start)
}

// show makes u the displayed update and publishes it once rendered.
func (p *DiffusionPage) show(ctx app.Context, u play.Update[play.DiffusionFrame], status *BackendStatus) {
	p.update, p.status = u, status
	if !u.HasFrame && u.Err == nil {
		return
	}
	r := p.result()
	ctx.Defer(func(app.Context) { publishResult(DiffusionPath, r) })
}

// result is what the page publishes now.
func (p *DiffusionPage) result() DiffusionFrame {
	r := DiffusionFrame{Page: DiffusionPath, Done: p.update.HasFrame || p.update.Err != nil, Playing: p.update.Playing, DiffusionFrame: p.update.Frame}
	if p.update.Err != nil {
		r.Error = p.update.Err.Error()
		r.Phase = "finished"
	}
	if p.status != nil {
		r.Backend = *p.status
	}
	return r
}

func (p *DiffusionPage) onStep(ctx app.Context, e app.Event) {
	if p.runner != nil {
		p.runner.Step()
	}
}

func (p *DiffusionPage) onPlay(ctx app.Context, e app.Event) {
	if p.runner != nil {
		p.runner.Play()
	}
}

func (p *DiffusionPage) onPause(ctx app.Context, e app.Event) {
	if p.runner != nil {
		p.runner.Pause()
	}
}

func (p *DiffusionPage) onReset(ctx app.Context, e app.Event) { p.reset(ctx) }

func (p *DiffusionPage) onApply(ctx app.Context, e app.Event) {
	st, err := p.form.state(p.state)
	if err != nil {
		p.stateErr = err.Error()
		return
	}
	ctx.Navigate(PageURL(p.path, st))
}

// frame is the latest frame, nil before the first or after an error.
func (p *DiffusionPage) frame() *play.DiffusionFrame {
	if !p.update.HasFrame || p.update.Err != nil {
		return nil
	}
	f := p.update.Frame
	return &f
}

// Render shows the form, the controls, the numbers and the views.
func (p *DiffusionPage) Render() app.UI {
	if p.state.Schema() == nil {
		p.state = DiffusionSchema.Defaults()
	}
	if p.form == nil {
		p.form = newParamForm(DiffusionSchema, p.state)
	}
	l := Layout{Path: DiffusionPath, Title: "Diffusion: the reverse process, step by step", Embed: p.embed, Status: p.status}
	f := p.frame()
	var view, quality, loss Figure
	if f != nil {
		view, quality, loss = f.View, f.QualityChart, f.LossChart
		for _, k := range []string{"setup", "train", "step", "frame"} {
			if v, ok := f.TimingsMS[k]; ok {
				l.Timings = append(l.Timings, Timing{diffusionTimingLabel[k], ms(v)})
			}
		}
		if p.status != nil {
			l.Timings = append([]Timing{{diffusionTimingLabel["open"], ms(float64(p.status.Open) / 1e6)}}, l.Timings...)
		}
	}
	sampling := f != nil && !f.Finished()
	playing := sampling && p.update.Playing
	busy := p.runner != nil && p.runner.Busy()
	controls := app.Div().Class("otplay-controls").Body(
		button("step", "Step", !sampling || playing || busy, p.onStep),
		button("play", "Play", !sampling || playing || busy, p.onPlay),
		button("pause", "Pause", !playing, p.onPause),
		button("reset", "Reset", p.runner == nil, p.onReset),
	)
	views := []app.UI{&Plot{ID: "diffusion-view", Figure: view}, &Plot{ID: "diffusion-quality", Figure: quality}}
	canvases := []string{"diffusion-view", "diffusion-quality"}
	if p.state.String("model") == "mlp" {
		views = append(views, &Plot{ID: "diffusion-loss", Figure: loss})
		canvases = append(canvases, "diffusion-loss")
	}
	if !p.embed {
		l.Panel = p.form.render(p.onApply, map[string]app.UI{
			"data": pointUploadField("upload-data", "or upload your own (CSV or .npy, 2 columns)", p.onUpload),
		})
	}
	l.Query, l.StateError = p.state.Encode(), p.stateErr
	l.Progress = p.update.Progress
	if l.Progress == nil && f == nil && p.update.Err == nil {
		l.Progress = &Progress{Phase: "Opening the backend"}
	}
	return l.Render(
		app.If(p.uploadErr != "", func() app.UI { return app.P().ID("upload-error").Class("otplay-error").Text(p.uploadErr) }),
		controls,
		app.Div().Class("otplay-hero").Body(
			app.Div().Class("otplay-main-view otplay-view").DataSet("view", "diffusion-view").Body(views[0]),
			app.Div().Class("otplay-side").Body(p.renderStats()),
		),
		app.Div().Class("otplay-views").Body(boxViews(canvases[1:], views[1:])...),
		app.If(!p.embed, func() app.UI {
			return exportButtons("diffusion", canvases, p.particlesCSV, p.frameJSON)
		}),
	)
}

var diffusionTimingLabel = map[string]string{"open": "backend open", "setup": "setup", "train": "training", "step": "last step", "frame": "last frame"}

func (p *DiffusionPage) particlesCSV() string {
	f := p.frame()
	if f == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := 0; i+1 < len(f.All); i += 2 {
		b.WriteString(strconv.FormatFloat(f.All[i], 'g', -1, 64) + "," + strconv.FormatFloat(f.All[i+1], 'g', -1, 64) + "\n")
	}
	return b.String()
}

func (p *DiffusionPage) frameJSON() string {
	if p.frame() == nil {
		return "{}"
	}
	v, _ := json.MarshalIndent(p.result(), "", " ")
	return string(v)
}

func (p *DiffusionPage) renderStats() app.UI {
	if err := p.update.Err; err != nil {
		return app.Div().ID("diffusion-stats").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + err.Error())
	}
	f := p.frame()
	if f == nil {
		status, text := "opening", "Opening the backend and building the model ..."
		if pr := p.update.Progress; pr != nil {
			text = pr.Phase + " ..."
			if pr.Unit == "Adam steps" {
				status = "training"
			}
		}
		return app.Div().ID("diffusion-stats").DataSet("status", status).Class("otplay-result").Text(text)
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	steps := strconv.Itoa(f.Steps)
	if f.Steps == 0 {
		steps = "adaptive"
	}
	quality := "-"
	if len(f.Quality) > 0 {
		quality = g(f.Quality[len(f.Quality)-1])
	}
	rows := []app.UI{
		resultRow("step", strconv.Itoa(f.Step)+" of "+steps),
		resultRow("time t", g(f.T)),
		resultRow("NFE", strconv.Itoa(f.NFE)),
		resultRow("MMD(denoised, data)", quality),
		resultRow("particle mean", g(f.Mean[0])+", "+g(f.Mean[1])),
	}
	if f.Finished() {
		rows = append(rows, resultRow("MMD(sample, data)", g(f.SampleMMD)))
	}
	if len(f.Loss) > 0 {
		rows = append(rows, resultRow("final training loss", g(f.Loss[len(f.Loss)-1])))
	}
	return app.Div().ID("diffusion-stats").Class("otplay-result").
		DataSet("status", f.Phase).DataSet("step", f.Step).
		Body(app.Table().Body(rows...))
}
