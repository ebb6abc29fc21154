package ui

import (
	"encoding/json"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// CheckPath is the route of the backend check page.
const CheckPath = "/check"

// CheckSchema is the URL state of /check. Defaults: 1024 x 1024 points in
// 2-D (a million pairs: a visible GPU speed-up, a sub-second float64
// reference in wasm), eps = 0.5 (on the scale of the clouds' squared
// distances, so many pairs contribute), seed 1.
var CheckSchema = Schema{
	{Name: "n", Label: "Points in X", Group: "Problem", Kind: KindInt, Default: "1024", Min: 1, Max: MaxCheckPoints, Slider: true, Log: true, Help: "n × d Philox normals"},
	{Name: "m", Label: "Points in Y", Group: "Problem", Kind: KindInt, Default: "1024", Min: 1, Max: MaxCheckPoints, Slider: true, Log: true, Help: "m × d Philox normals"},
	{Name: "d", Label: "Dimension d", Group: "Problem", Kind: KindInt, Default: "2", Min: 1, Max: MaxCheckDim, Help: "coordinates per point"},
	{Name: "eps", Label: "Temperature ε", Group: "Problem", Kind: KindFloat, Default: "0.5", Min: 0, MinOpen: true, Max: 1e6, Slider: true, Log: true, SliderMin: 1e-3, SliderMax: 100,
		Math: `<msub><mi>out</mi><mi>i</mi></msub><mo>=</mo><mo>−</mo><mi>ε</mi><mi>log</mi><munder><mo>∑</mo><mi>j</mi></munder><mfrac><mn>1</mn><mi>m</mi></mfrac><msup><mi>e</mi><mrow><mo>−</mo><msup><mrow><mo>|</mo><msub><mi>x</mi><mi>i</mi></msub><mo>−</mo><msub><mi>y</mi><mi>j</mi></msub><mo>|</mo></mrow><mn>2</mn></msup><mo>/</mo><mi>ε</mi></mrow></msup>`,
		Help: "the soft-min that every OT solver here is built on"},
	{Name: "seed", Label: "Random seed", Group: "Problem", Advanced: true, Kind: KindInt, Default: "1", Min: 0, Max: 1 << 53, Help: "Philox seed of the clouds"},
	computeParam,
}

// CheckTours are the /check page's presets.
var CheckTours = []Tour{
	{Name: "A small check", Query: "n=64&m=64",
		Caption: "64 × 64 points: the GPU and the float64 CPU reference agree to float32 precision. The timings are dominated by the fixed cost of a dispatch."},
	{Name: "Low temperature", Query: "eps=0.001",
		Caption: "At ε = 0.001 the soft-min is nearly a hard minimum and the exponentials underflow unless shifted. The GPU's log-sum-exp keeps the agreement."},
	{Name: "Many dimensions", Query: "d=16&n=512&m=512",
		Caption: "In 16 dimensions every squared distance is a longer sum, and float32 rounding grows with it. The relative error stays small."},
}

// Float32Tolerance is the relative difference (MaxRelDiff with floor eps)
// below which the page calls a float32 GPU soft-min in agreement with the
// float64 reference. Each cost |x_i - y_j|^2 is computed in float32
// (relative error ~1e-7 times a few), and the log-sum-exp over M terms
// adds ~1e-7 * log M; the measured difference on SwiftShader is ~1e-6
// at M = 1024. 1e-4 leaves a wide margin while catching any wrong kernel
// (a missing 1/eps, a wrong weight, a wrong shift is off by >1e-2).
const Float32Tolerance = 1e-4

func init() {
	Register(Page{
		Path:    CheckPath,
		Title:   "Backend check",
		Summary: "Opens WebGPU (or says why not), runs one soft-min on two point clouds and compares it with the float64 CPU reference.",
		Schema:  CheckSchema,
		Tours:   CheckTours,
		New:     func() app.Composer { return &CheckPage{} },
	})
}

// CheckResult is what /check publishes as window.otplayResult (and in
// its postMessage to an embedding page) once it is done.
type CheckResult struct {
	Page    string        `json:"page"`
	Done    bool          `json:"done"`
	Error   string        `json:"error,omitempty"`
	Backend BackendStatus `json:"backend"`
	N       int           `json:"n"`
	M       int           `json:"m"`
	D       int           `json:"d"`
	Eps     float64       `json:"eps"`
	Seed    uint64        `json:"seed"`
	// Values are the backend's soft-min outputs (N of them).
	Values []float64 `json:"values,omitempty"`
	// MaxRelDiff is MaxRelDiff(Values, float64 reference, Eps); Agree says
	// it is within Tolerance.
	MaxRelDiff float64 `json:"maxRelDiff"`
	Tolerance  float64 `json:"tolerance"`
	Agree      bool    `json:"agree"`
	// TimingsMS are in milliseconds: open, upload, first, repeat, reference.
	TimingsMS map[string]float64 `json:"timingsMs"`
}

// computeMu serialises work on the shared backends (a Backend is not safe
// for concurrent use, and a page may be re-run while a run is going).
var computeMu sync.Mutex

// RunCheck opens the backend named by the state and runs the check: the
// soft-min on it, then (unless it is the CPU reference itself) on the
// float64 CPU reference. It blocks; in the browser call it from a
// goroutine.
func RunCheck(st State) CheckResult {
	c := checkFromState(st)
	r := CheckResult{Page: CheckPath, N: c.N, M: c.M, D: c.D, Eps: c.Eps, Seed: c.Seed, Tolerance: Float32Tolerance}
	if err := c.Validate(); err != nil {
		r.Done, r.Error = true, err.Error()
		return r
	}
	computeMu.Lock()
	defer computeMu.Unlock()
	status := OpenBackend(st.String("backend"))
	r.Backend = status
	out, t, err := c.Run(status.Backend)
	if err != nil {
		r.Done, r.Error = true, status.Kind+" backend: "+err.Error()
		return r
	}
	r.Values = out
	ref := out
	if status.Kind != KindCPU {
		ref, t.Reference, err = c.Reference()
		if err != nil {
			r.Done, r.Error = true, "cpu reference: "+err.Error()
			return r
		}
	}
	r.MaxRelDiff = MaxRelDiff(out, ref, c.Eps)
	if math.IsInf(r.MaxRelDiff, 0) || math.IsNaN(r.MaxRelDiff) {
		r.MaxRelDiff = -1 // JSON has no Inf; -1 marks an unusable comparison
	}
	r.Agree = r.MaxRelDiff >= 0 && r.MaxRelDiff <= r.Tolerance
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	r.TimingsMS = map[string]float64{
		"open": ms(status.Open), "upload": ms(t.Upload), "first": ms(t.First),
		"repeat": ms(t.Repeat), "reference": ms(t.Reference),
	}
	r.Done = true
	return r
}

// CheckPage is the /check page. Its state lives in the URL; OnNav reads it
// and starts the run in a goroutine, whose result is dispatched back.
type CheckPage struct {
	app.Compo

	path     string
	embed    bool
	state    State
	stateErr string
	result   *CheckResult
	gen      int // navigation generation: results of older runs are dropped
	fig      Figure

	// form holds the text of the inputs until Run is pressed.
	form *paramForm
}

// OnNav reads the URL state and starts the check (in the browser only:
// server-side prerendering shows the form and "running").
func (p *CheckPage) OnNav(ctx app.Context) {
	u := ctx.Page().URL()
	p.path, p.embed = u.Path, IsEmbed(u)
	ctx.Page().SetTitle("Backend check · otplay")
	st, err := CheckSchema.Decode(u.Query())
	p.state, p.stateErr, p.result = st, "", nil
	if err != nil {
		p.stateErr = err.Error()
	}
	p.checkForm().load(st)
	p.fig = checkFigure(st)
	p.gen++
	if !app.IsClient {
		return
	}
	gen := p.gen
	ctx.Async(func() {
		r := RunCheck(st)
		ctx.Dispatch(func(ctx app.Context) {
			if p.gen != gen {
				return
			}
			p.result = &r
			// Published after the render, so that a script that sees the
			// result also sees the page showing it.
			ctx.Defer(func(app.Context) { publishResult(CheckPath, r) })
		})
	})
}

// Render shows the form, the backend, the result and the clouds.
func (p *CheckPage) Render() app.UI {
	if p.state.Schema() == nil { // before the first OnNav
		p.state = CheckSchema.Defaults()
		p.fig = checkFigure(p.state)
	}
	l := Layout{Path: CheckPath, Title: "Backend check: soft-min, GPU vs CPU", Embed: p.embed}
	if r := p.result; r != nil {
		l.Status = &r.Backend
		if r.Error == "" {
			l.Timings = []Timing{
				{"open backend", ms(r.TimingsMS["open"])},
				{"upload", ms(r.TimingsMS["upload"])},
				{"first soft-min", ms(r.TimingsMS["first"])},
				{"soft-min (warm)", ms(r.TimingsMS["repeat"])},
			}
			if r.Backend.Kind != KindCPU {
				l.Timings = append(l.Timings, Timing{"float64 CPU reference", ms(r.TimingsMS["reference"])})
			}
		}
	}
	if !p.embed {
		l.Panel = p.checkForm().render(p.onRun, nil)
	}
	l.Query, l.StateError = p.state.Encode(), p.stateErr
	if p.result == nil && p.stateErr == "" {
		l.Progress = &Progress{Phase: "Opening the backend and running the soft-min on it and on the float64 CPU"}
	}
	return l.Render(
		app.Div().Class("otplay-hero").Body(
			app.Div().Class("otplay-main-view otplay-view").DataSet("view", "check-clouds").Body(&Plot{ID: "check-clouds", Figure: p.fig}),
			app.Div().Class("otplay-side").Body(p.renderResult()),
		),
	)
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// checkForm is the page's form (made on first use).
func (p *CheckPage) checkForm() *paramForm {
	if p.form == nil {
		p.form = newParamForm(CheckSchema, p.state)
		p.form.applyID, p.form.applyText = "run", "Run"
	}
	return p.form
}

// onRun validates the form into a state and navigates to its URL (the URL
// is the state: OnNav runs the check).
func (p *CheckPage) onRun(ctx app.Context, e app.Event) {
	st, err := p.form.state(p.state)
	if err != nil {
		p.stateErr = err.Error()
		return
	}
	ctx.Navigate(PageURL(p.path, st))
}

func (p *CheckPage) renderResult() app.UI {
	r := p.result
	if r == nil {
		return app.Div().ID("check-result").DataSet("status", "running").Class("otplay-result").
			Text("Running the soft-min ...")
	}
	if r.Error != "" {
		return app.Div().ID("check-result").DataSet("status", "error").Class("otplay-result otplay-error").
			Text("Failed: " + r.Error)
	}
	verdict := "agree"
	if !r.Agree {
		verdict = "DISAGREE"
	}
	var sum float64
	for _, v := range r.Values {
		sum += v
	}
	rows := []app.UI{
		resultRow("backend", r.Backend.Badge()),
		resultRow("problem", strconv.Itoa(r.N)+" x "+strconv.Itoa(r.M)+" points in "+strconv.Itoa(r.D)+"-D, eps = "+strconv.FormatFloat(r.Eps, 'g', -1, 64)+", seed "+strconv.FormatUint(r.Seed, 10)),
		resultRow("mean soft-min", strconv.FormatFloat(sum/float64(len(r.Values)), 'g', 8, 64)),
	}
	if r.Backend.Kind == KindCPU {
		rows = append(rows, resultRow("agreement", "the CPU backend is the float64 reference itself"))
	} else {
		rows = append(rows, resultRow("max relative difference vs float64 CPU",
			strconv.FormatFloat(r.MaxRelDiff, 'e', 2, 64)+" (tolerance "+strconv.FormatFloat(r.Tolerance, 'g', -1, 64)+"): "+verdict))
	}
	return app.Div().ID("check-result").Class("otplay-result").
		DataSet("status", "done").
		DataSet("backend", r.Backend.Kind).
		DataSet("agree", map[bool]string{true: "yes", false: "no"}[r.Agree]). // not "true": go-app renders that as a bare attribute
		Body(app.Table().Body(rows...))
}

// figureMaxPoints caps the points drawn per cloud (drawing is the slow part
// beyond that, and a thousand points already show the shape).
const figureMaxPoints = 2048

// checkFromState reads the check's problem from a /check state.
func checkFromState(st State) SoftMinCheck {
	return SoftMinCheck{N: st.Int("n"), M: st.Int("m"), D: st.Int("d"), Eps: st.Float("eps"), Seed: uint64(st.Int("seed"))}
}

// checkFigure plots the first two coordinates of both clouds.
func checkFigure(st State) Figure {
	c := checkFromState(st)
	f := Figure{Width: 480, Height: 360, Title: "clouds X and Y (first two coordinates)", EqualAspect: true}
	if c.Validate() != nil {
		return f
	}
	x, y := c.Clouds()
	f.Points = []PointSet{
		{XY: firstTwo(x, c.D, figureMaxPoints), Label: "X", Radius: 1.8},
		{XY: firstTwo(y, c.D, figureMaxPoints), Label: "Y", Radius: 1.8},
	}
	return f
}

// resultJSON is the JSON publishResult sends.
func resultJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
