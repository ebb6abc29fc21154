package ui

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
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
)

// DiffusionSchema is the URL state of /diffusion (play.DiffusionSchema).
var DiffusionSchema = play.DiffusionSchema

func init() {
	RegisterView(DiffusionPath, func() app.Composer { return newDiffusionPage() })
}

// DiffusionFrame is what /diffusion publishes as window.otplayResult: the
// page's result (page, done, error, backend, playing) and the model's
// frame (play.DiffusionFrame).
type DiffusionFrame struct {
	PageResult
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
// (the reverse process of package diffusion on a cloud of particles) on
// the page skeleton: Step, Play, Pause and Reset act on the real sampler;
// a lost GPU device restarts the run on the CPU. It draws the particles
// with trails and the field (diffusion-view), the MMD of the denoised
// estimate per NFE (diffusion-quality) and, for the MLP, the training
// loss (diffusion-loss); the side panel holds the form and an upload of
// the data. URL parameters: see play.DiffusionSchema; the published frame
// is DiffusionFrame.
type DiffusionPage struct {
	app.Compo
	pageSkeleton[play.DiffusionFrame]

	uploadErr string
}

func newDiffusionPage() *DiffusionPage {
	p := &DiffusionPage{}
	p.pageSkeleton = pageSkeleton[play.DiffusionFrame]{
		Path: DiffusionPath, Title: "Diffusion · otplay", Schema: DiffusionSchema,
		Start: func(st State) (play.Start[play.DiffusionFrame], error) {
			d, err := parseDiffusion(st)
			return d.Start, err
		},
		Publish: func(r PageResult, f play.DiffusionFrame) any { return DiffusionFrame{r, f} },
	}
	return p
}

func (p *DiffusionPage) onUpload(ctx app.Context, e app.Event) {
	handlePointUpload(ctx, "upload-data", DiffusionPath+":data", "data", MaxDiffusionData, p.state, ctx.Page().URL().Path,
		func(app.Context) { p.reset() }, func(s string) { p.uploadErr = s })
}

// Render shows the form, the controls, the numbers and the views.
func (p *DiffusionPage) Render() app.UI {
	l := p.layout("Diffusion: the reverse process, step by step", map[string]app.UI{
		"data": pointUploadField("upload-data", "or upload your own (CSV or .npy, 2 columns)", p.onUpload),
	})
	f := p.frame()
	// Before the first frame the views say what they wait for (the
	// progress line says how far it is), not "press Step".
	view, quality, loss := setupFigure(), setupFigure(), setupFigure()
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
	views := []app.UI{&Plot{ID: "diffusion-view", Figure: view}, &Plot{ID: "diffusion-quality", Figure: quality}}
	canvases := []string{"diffusion-view", "diffusion-quality"}
	if p.state.String("model") == "mlp" {
		views = append(views, &Plot{ID: "diffusion-loss", Figure: loss})
		canvases = append(canvases, "diffusion-loss")
	}
	return l.Render(
		app.If(p.uploadErr != "", func() app.UI { return app.P().ID("upload-error").Class("otplay-error").Text(p.uploadErr) }),
		p.controls(),
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
	v, _ := json.MarshalIndent(DiffusionFrame{p.result(), *p.frame()}, "", " ")
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
	mmd := func(v float64) string { return mmdText(v, 6) }
	steps := strconv.Itoa(f.Steps)
	if f.Steps == 0 {
		steps = "adaptive"
	}
	quality := "-"
	if len(f.Quality) > 0 {
		quality = mmd(f.Quality[len(f.Quality)-1])
	}
	rows := []app.UI{
		resultRow("step", strconv.Itoa(f.Step)+" of "+steps),
		resultRow("time t", g(f.T)),
		resultRow("NFE", strconv.Itoa(f.NFE)),
		resultRow("MMD(denoised, data)", quality),
		resultRow("particle mean", g(f.Mean[0])+", "+g(f.Mean[1])),
	}
	if f.Preset != nil {
		rows = append(rows, resultRow("preset", f.Preset.Text()))
	}
	if f.Features > 0 {
		rows = append(rows, resultRow("RFF score",
			"D = "+strconv.Itoa(f.Features)+" features; "+strconv.Itoa(f.RFFFallback)+" point evaluations on the Gaussian fallback (density not 3 standard errors above 0)"))
	}
	if f.BatchOT != nil {
		rows = append(rows, resultRow("batch OT start", f.BatchOT.Text()))
	}
	if f.HierarchicalIterations > 0 {
		rows = append(rows, resultRow("Sinkhorn iterations (hierarchical)", strconv.Itoa(f.HierarchicalIterations)))
	}
	if f.Finished() {
		rows = append(rows, resultRow("MMD(sample, data)", mmd(f.SampleMMD)))
		if f.Class >= 0 {
			// The fidelity-diversity trade-off of guidance (play.ClassReadout).
			rows = append(rows,
				resultRow("class accuracy (class "+strconv.Itoa(f.Class)+", W = "+g(f.Guidance)+")", strconv.FormatFloat(100*f.ClassAccuracy, 'f', 1, 64)+" %"),
				resultRow("spread (class's own)", g(f.Spread)+" ("+g(f.ClassSpread)+")"))
		}
	}
	if len(f.Loss) > 0 {
		rows = append(rows, resultRow("final training loss", g(f.Loss[len(f.Loss)-1])))
	}
	return app.Div().ID("diffusion-stats").Class("otplay-result").
		DataSet("status", f.Phase).DataSet("step", f.Step).
		Body(app.Table().Body(rows...))
}

// setupFigure is a view's empty figure while its run sets up.
func setupFigure() Figure { return Figure{Note: "drawn once the setup above is done"} }

// mmdText reads an MMD with digits significant digits: 0 means the
// unbiased estimate of MMD^2 came out <= 0 (metrics.MMDResult), i.e. the
// two samples cannot be told apart at this size; a bare "0" would claim
// more than that.
func mmdText(v float64, digits int) string {
	if v == 0 {
		return "0 (unbiased MMD² ≤ 0: no difference measurable at this sample size)"
	}
	return strconv.FormatFloat(v, 'g', digits, 64)
}
