package ui

import (
	"encoding/json"
	"fmt"
	"github.com/otplay/otplay/compute"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/solvers/bridge"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/ot"
)

// BridgePath is the route of the Schrodinger bridge page.
const BridgePath = "/bridge"

// Limits of /bridge: the static bridge is a Sinkhorn solve of n x m
// pairs; every simulation step one soft-mean of particles x m pairs.
const (
	MaxBridgePoints    = 2048
	MaxBridgeParticles = 5000
	MaxBridgeSteps     = 1000
	// bridgePathCount is how many static bridge paths the view draws.
	bridgePathCount = 40
	// bridgePathTimes is the number of times each drawn path is sampled at.
	bridgePathTimes = 33
	// BridgePublished is how many particles a frame publishes.
	BridgePublished = 256
)

// BridgeSchema is the URL state of /bridge. Defaults: 200 points of
// 8gaussians to 200 of moons, sigma = 0.2 (eps = 2 sigma^2 = 0.08, a
// sharp plan at the toys' scale), 300 new particles simulated in 50
// Euler-Maruyama steps.
var BridgeSchema = Schema{
	{Name: "x", Label: "Source points μ", Group: "Data", Kind: KindChoice, Default: "8gaussians", Choices: pointSets, Help: "source data set μ at t = 0 (seed; upload: your CSV or .npy of 2-D points)"},
	{Name: "y", Label: "Target points ν", Group: "Data", Kind: KindChoice, Default: "moons", Choices: pointSets, Help: "target data set ν at t = 1 (seed + 1; upload as for x)"},
	{Name: "n", Label: "Number of source points", Group: "Data", Slider: true, Log: true, Kind: KindInt, Default: "200", Min: 1, Max: MaxBridgePoints, Help: "source points x_i"},
	{Name: "m", Label: "Number of target points", Group: "Data", Slider: true, Log: true, Kind: KindInt, Default: "200", Min: 1, Max: MaxBridgePoints, Help: "target points y_j"},
	{Name: "sigma", Label: "Noise σ", Group: "Bridge", Slider: true, Log: true, SliderMin: 0.01, SliderMax: 5, Math: `<mi>d</mi><mi>X</mi><mo>=</mo><mi>v</mi><mo>(</mo><mi>X</mi><mo>,</mo><mi>t</mi><mo>)</mo><mi>d</mi><mi>t</mi><mo>+</mo><mi>σ</mi><mi>d</mi><mi>W</mi><mo>,</mo><mspace width="0.5em"/><mi>ε</mi><mo>=</mo><mn>2</mn><msup><mi>σ</mi><mn>2</mn></msup>`, Kind: KindFloat, Default: "0.2", Min: 0, MinOpen: true, Max: 5, Help: "reference process dX = σ dW; the static bridge is entropic OT with ε = 2σ² and cost |x-y|²"},
	{Name: "particles", Label: "Particles", Group: "Bridge", Slider: true, Log: true, Kind: KindInt, Default: "300", Min: 1, Max: MaxBridgeParticles, Help: "new particles drawn from the source set (seed + 2), moved by dX = v(X,t) dt + σ dW"},
	{Name: "steps", Label: "Time steps", Group: "Bridge", Slider: true, Log: true, Kind: KindInt, Default: "50", Min: 1, Max: MaxBridgeSteps, Help: "Euler-Maruyama steps: X_{k+1} = X_k + h v(X_k, t_k) + σ √h Z_k, h = 1/steps"},
	{Name: "noise", Label: "Simulate", Group: "Bridge", Advanced: true, Kind: KindChoice, Default: "sde", Choices: []string{"sde", "drift"}, Help: "sde: the bridge's law; drift: the drift alone (no σ √h Z term), a diagnostic"},
	{Name: "seed", Label: "Random seed", Group: "Bridge", Advanced: true, Kind: KindInt, Default: "0", Min: 0, Max: 1 << 53, Help: "seed of the data, the particles, the paths and the noise"},
	{Name: "field", Label: "Arrows show", Group: "Display", Kind: KindChoice, Default: "drift", Choices: []string{"drift", "none"}, Help: "arrows: the drift v(x,t) = (E[Y | X_t = x] - x)/(1 - t), E[Y|x] = Σ_j w_j(x) y_j, w_j ∝ b_j e^{G_j/ε - |x-y_j|²/(ε(1-t))}"},
	{Name: "trail", Label: "Trail length", Group: "Display", Slider: true, Kind: KindInt, Default: "8", Min: 0, Max: 50, Help: "trail length: the last positions drawn behind each particle"},
	computeParam,
}

// BridgeTours are the /bridge page's presets.
var BridgeTours = []Tour{
	{Name: "A little noise: nearly straight paths", Query: "sigma=0.05",
		Caption: "With small σ the bridge is close to the optimal transport map and the particles move almost in straight lines. The static problem is entropic OT with a small ε = 2σ²."},
	{Name: "Much noise: wandering paths", Query: "sigma=1",
		Caption: "With σ = 1 the paths wander and cross before landing on the target. The endpoints still follow the target law: the drift corrects the noise."},
	{Name: "Drift alone", Query: "noise=drift&sigma=0.3",
		Caption: "Without the noise term the particles follow the drift of the bridge only, which is not the bridge's law. The endpoints bunch together: the noise is part of the process."},
}

func init() {
	Register(Page{
		Path:    BridgePath,
		Title:   "Bridges",
		Summary: "Schrödinger bridges between two point clouds from their entropic plan: bridge paths over t, the drift field, and new particles carried across by the bridge SDE, step by step.",
		Schema:  BridgeSchema,
		Tours:   BridgeTours,
		New:     func() app.Composer { return &BridgePage{} },
	})
}

// BridgeFrame is the state of a /bridge run: what the page shows and
// publishes as window.otplayResult.
type BridgeFrame struct {
	Page     string        `json:"page"`
	Done     bool          `json:"done"`
	Error    string        `json:"error,omitempty"`
	Backend  BackendStatus `json:"backend"`
	State    string        `json:"state"`
	Playing  bool          `json:"playing"`
	Finished bool          `json:"finished"`
	// Step of Steps taken, time T reached.
	Step  int     `json:"step"`
	Steps int     `json:"steps"`
	T     float64 `json:"t"`
	// The static bridge: eps = 2 sigma^2 and the Sinkhorn solve.
	Eps           float64 `json:"eps"`
	Iterations    int     `json:"iterations"`
	Converged     bool    `json:"converged"`
	Cost          float64 `json:"cost"`
	MarginalError float64 `json:"marginalError"`
	// X holds the first BridgePublished particles (n x 2), Mean the mean
	// of all; Nearest[k] the mean distance of the particles to their
	// nearest target point after step k (Nearest[0]: at t = 0).
	Particles int        `json:"particles"`
	X         []float64  `json:"x"`
	Mean      [2]float64 `json:"mean"`
	Nearest   []float64  `json:"nearest"`
	NearestT  []float64  `json:"nearestT"`
	// TimingsMS: "open", "setup" (data, Sinkhorn, paths), "step" (the
	// last simulation step), "frame" (step + field + readbacks).
	TimingsMS map[string]float64 `json:"timingsMs"`

	view, chart Figure
	allX        []float64
}

// BridgeProblem is the problem of a state: x with seed, y with seed+1
// (package data; an upload: its first n or m points), uniform weights.
func BridgeProblem(st State) (ot.Problem, error) {
	seed := uint64(st.Int("seed"))
	xs, err := pointSet(BridgePath+":x", st.String("x"), st.Int("n"), seed)
	if err != nil {
		return ot.Problem{}, fmt.Errorf("x: %w", err)
	}
	ys, err := pointSet(BridgePath+":y", st.String("y"), st.Int("m"), seed+1)
	if err != nil {
		return ot.Problem{}, fmt.Errorf("y: %w", err)
	}
	return ot.Problem{X: xs.Points, Y: ys.Points, N: xs.N, M: ys.N, D: 2}, nil
}

// BridgeParticles are the new particles of a state: particles points of
// the source set drawn with seed+2 (the same law as the source, none of
// its points); for an uploaded source, its points drawn with replacement.
func BridgeParticles(st State) ([]float64, error) {
	if st.String("x") == uploadChoice {
		s, err := pointSet(BridgePath+":x", uploadChoice, MaxBridgePoints, 0)
		if err != nil {
			return nil, fmt.Errorf("particles: %w", err)
		}
		return resamplePoints(s, st.Int("particles"), uint64(st.Int("seed"))+2), nil
	}
	s, err := data.Generate(st.String("x"), st.Int("particles"), data.Options{Seed: uint64(st.Int("seed")) + 2})
	if err != nil {
		return nil, fmt.Errorf("particles: %w", err)
	}
	return s.Points, nil
}

// BridgeSettings are the bridge's settings of a state (Sigma; package
// ot's defaults for the Sinkhorn solve).
func BridgeSettings(st State) bridge.Settings { return bridge.Settings{Sigma: st.Float("sigma")} }

// BridgeSimSettings are the simulation settings of a state (no callback).
func BridgeSimSettings(st State) bridge.SimSettings {
	return bridge.SimSettings{Steps: st.Int("steps"), Seed: uint64(st.Int("seed")), Deterministic: st.String("noise") == "drift"}
}

// meanNearest is the mean over the particles x (n x 2) of the distance
// to the nearest of the points y (m x 2), on the host.
func meanNearest(x, y []float64) float64 {
	n, m := len(x)/2, len(y)/2
	if n == 0 || m == 0 {
		return math.NaN()
	}
	s := 0.0
	for i := 0; i < n; i++ {
		best := math.Inf(1)
		for j := 0; j < m; j++ {
			dx, dy := x[2*i]-y[2*j], x[2*i+1]-y[2*j+1]
			best = math.Min(best, dx*dx+dy*dy)
		}
		s += math.Sqrt(best)
	}
	return s / float64(n)
}

// runBridge opens the backend and performs a run (see runBridgeOn).
func runBridge(st State, g *stepGate, emit func(BridgeFrame)) {
	computeMu.Lock()
	status := OpenBackend(st.String("backend"))
	computeMu.Unlock()
	runBridgeOn(status, st, g, emit)
}

// runBridgeOn solves the static bridge, draws the paths shown, and
// simulates the particles with a callback that emits a frame after every
// step and waits at the gate for the next.
func runBridgeOn(status BackendStatus, st State, g *stepGate, emit func(BridgeFrame)) {
	computeMu.Lock()
	defer computeMu.Unlock()
	b := status.Backend
	base := BridgeFrame{Page: BridgePath, Done: true, Backend: status, State: st.Encode(), Particles: st.Int("particles"),
		Steps: st.Int("steps"), TimingsMS: map[string]float64{"open": float64(status.Open) / 1e6}}
	fail := func(err error) {
		f := base
		f.Error = err.Error()
		emit(f)
	}
	start := time.Now()
	prob, err := BridgeProblem(st)
	if err != nil {
		fail(err)
		return
	}
	x0, err := BridgeParticles(st)
	if err != nil {
		fail(err)
		return
	}
	br, err := bridge.New(b, prob, BridgeSettings(st))
	if err != nil {
		fail(fmt.Errorf("%s backend: %w", status.Kind, err))
		return
	}
	defer br.Free()
	base.Eps = br.Eps
	if s := br.Static; s != nil {
		base.Iterations, base.Converged, base.Cost, base.MarginalError = s.Iterations, s.Converged, s.Cost, s.MarginalError
	}
	times := make([]float64, bridgePathTimes)
	for k := range times {
		times[k] = float64(k) / float64(bridgePathTimes-1)
	}
	paths, err := br.Paths(times, min(bridgePathCount, prob.N*prob.M), uint64(st.Int("seed"))+3)
	if err != nil {
		fail(err)
		return
	}
	base.TimingsMS["setup"] = float64(time.Since(start)) / 1e6

	n := st.Int("particles")
	var trails [][]float64
	frame := base
	show := func(step int, t float64, x []float64, stepMS float64, fs time.Time) error {
		frame.Step, frame.T, frame.allX = step, t, x
		frame.X = append([]float64(nil), x[:2*min(n, BridgePublished)]...)
		frame.Mean = [2]float64{}
		for i := 0; i < n; i++ {
			frame.Mean[0] += x[2*i] / float64(n)
			frame.Mean[1] += x[2*i+1] / float64(n)
		}
		frame.Nearest = append(frame.Nearest, meanNearest(x[:2*min(n, 1000)], prob.Y))
		frame.NearestT = append(frame.NearestT, t)
		if st.Int("trail") > 0 {
			trails = append(trails, append([]float64(nil), x[:2*min(n, diffusionTrailPoints)]...))
			if len(trails) > st.Int("trail")+1 {
				trails = trails[1:]
			}
		}
		var pts, vec []float64
		if st.String("field") == "drift" && t < 1 {
			pts = diffusionGridPoints()
			var err error
			if vec, err = br.DriftHost(pts, t); err != nil {
				return err
			}
		}
		frame.view = bridgeViewFigure(prob, paths, times, t, x, trails, pts, vec)
		frame.chart = bridgeChart(frame.Nearest, frame.NearestT)
		frame.Finished = step >= frame.Steps
		frame.Playing = g.playing.Load() && !frame.Finished
		frame.TimingsMS = map[string]float64{}
		for k, v := range base.TimingsMS {
			frame.TimingsMS[k] = v
		}
		frame.TimingsMS["step"] = stepMS
		frame.TimingsMS["frame"] = float64(time.Since(fs)) / 1e6
		f := frame
		f.Nearest = append([]float64(nil), frame.Nearest...)
		f.NearestT = append([]float64(nil), frame.NearestT...)
		emit(f)
		return nil
	}
	if err := show(0, 0, x0, 0, time.Now()); err != nil {
		fail(err)
		return
	}
	if err := g.wait(); err != nil {
		return
	}
	resumed := time.Now()
	set := BridgeSimSettings(st)
	set.Callback = func(step int, t float64, x []float64) error {
		stepMS := float64(time.Since(resumed)) / 1e6
		if err := show(step+1, t, x, stepMS, time.Now()); err != nil {
			return err
		}
		if step+1 >= set.Steps {
			return nil
		}
		if err := g.wait(); err != nil {
			return err
		}
		resumed = time.Now()
		return nil
	}
	if _, err := br.Simulate(x0, set); err != nil && err != errRunStopped {
		fail(err)
	}
}

// diffusionGridPoints are the centres of the arrow grid of the particle
// views (diffusionFieldGrid^2 points covering [-3.2, 3.2]^2).
func diffusionGridPoints() []float64 {
	g := diffusionFieldGrid
	step := 2 * diffusionWindow / float64(g)
	pts := make([]float64, 0, 2*g*g)
	for r := 0; r < g; r++ {
		for c := 0; c < g; c++ {
			pts = append(pts, -diffusionWindow+(float64(c)+0.5)*step, -diffusionWindow+(float64(r)+0.5)*step)
		}
	}
	return pts
}

// bridgeViewFigure draws the source (blue) and target (orange) clouds, the
// static bridge paths (grey polylines up to time t, faint after), the drift
// arrows (green), the trails and the particles (purple).
func bridgeViewFigure(p ot.Problem, paths [][]float64, times []float64, t float64, x []float64, trails [][]float64, pts, vec []float64) Figure {
	w := diffusionWindow
	f := Figure{Width: 520, Height: 520, EqualAspect: true, XMin: -w, XMax: w, YMin: -w, YMax: w,
		Title: fmt.Sprintf("t = %.3f", t)}
	var done, ahead []float64
	for k := 1; k < len(times); k++ {
		for i := 0; i+1 < len(paths[k]); i += 2 {
			seg := []float64{paths[k-1][i], paths[k-1][i+1], paths[k][i], paths[k][i+1]}
			if times[k] <= t+1e-12 {
				done = append(done, seg...)
			} else {
				ahead = append(ahead, seg...)
			}
		}
	}
	f.Lines = []LineSet{
		{Segs: ahead, Opacity: 0.15, Color: "#555555"},
		{Segs: done, Opacity: 0.7, Color: "#555555", Width: 1.2},
	}
	if len(vec) > 0 {
		f.Lines = append(f.Lines, LineSet{Segs: arrowSegments(pts, vec, 0.9*2*w/diffusionFieldGrid), Opacity: 0.8, Color: "#2ca02c", Width: 1.2})
	}
	if len(trails) > 1 {
		var segs, alpha []float64
		for k := 1; k < len(trails); k++ {
			a, b := trails[k-1], trails[k]
			op := 0.6 * float64(k) / float64(len(trails)-1)
			for i := 0; i+1 < len(b) && i+1 < len(a); i += 2 {
				segs = append(segs, a[i], a[i+1], b[i], b[i+1])
				alpha = append(alpha, op)
			}
		}
		f.Lines = append(f.Lines, LineSet{Segs: segs, Alpha: alpha, Color: "#9467bd", Width: 1})
	}
	f.Points = []PointSet{
		{XY: firstTwo(p.X, 2, figureMaxPoints), Color: "#1f77b4", Radius: 2, Label: "source x_i (t=0)"},
		{XY: firstTwo(p.Y, 2, figureMaxPoints), Color: "#ff7f0e", Radius: 2, Label: "target y_j (t=1)"},
		{XY: x, Color: "#9467bd", Radius: 1.8, Label: "particles X_t"},
	}
	if len(paths) > 0 {
		// The paths' positions at the shown time, on top.
		k := int(math.Round(t * float64(len(times)-1)))
		f.Points = append(f.Points, PointSet{XY: paths[min(max(k, 0), len(paths)-1)], Color: "#333333", Radius: 2.2})
	}
	return f
}

// bridgeChart is the particles' mean distance to the nearest target point
// against t.
func bridgeChart(v, t []float64) Figure {
	xy := make([]float64, 0, 2*len(v))
	for i := range v {
		xy = append(xy, t[i], v[i])
	}
	return Figure{Width: 520, Height: 220, Title: "mean distance of the particles to the nearest target point (log scale)", LogY: true, XLabel: "time t", YLabel: "distance",
		Curves: []Curve{{XY: xy, Color: "#d62728", Label: "distance"}}}
}

type bridgeRun struct {
	st   State
	gate *stepGate
}

// BridgePage is the /bridge page: the Schrodinger bridge of package
// bridge between two data sets (static solution by Sinkhorn at eps =
// 2 sigma^2), 40 bridge paths drawn over t (bridge.Paths at 33 times; the
// part up to the current t darker), the drift v(x, t) as arrows
// (bridge.DriftHost), and new particles (the source set drawn with
// seed + 2) moved by bridge.Simulate, whose per-step callback waits at a
// stepGate (Step, Play, Pause, Reset as on /diffusion). The chart is the
// particles' mean distance to the nearest target point against t. URL
// parameters: see BridgeSchema; the published frame is BridgeFrame.
type BridgePage struct {
	app.Compo

	stopLost func() // ends the device-loss subscription (OnMount)

	path      string
	embed     bool
	state     State
	stateErr  string
	form      *paramForm
	run       *bridgeRun
	frame     *BridgeFrame
	uploadErr string
}

func (p *BridgePage) onUploadX(ctx app.Context, e app.Event) {
	handlePointUpload(ctx, "upload-x", BridgePath+":x", "x", MaxBridgePoints, p.state, p.path, p.reset, func(s string) { p.uploadErr = s })
}

func (p *BridgePage) onUploadY(ctx app.Context, e app.Event) {
	handlePointUpload(ctx, "upload-y", BridgePath+":y", "y", MaxBridgePoints, p.state, p.path, p.reset, func(s string) { p.uploadErr = s })
}

// OnNav reads the URL state and starts a run.
func (p *BridgePage) OnNav(ctx app.Context) {
	u := ctx.Page().URL()
	p.path, p.embed = u.Path, IsEmbed(u)
	ctx.Page().SetTitle("Bridges · otplay")
	st, err := BridgeSchema.Decode(u.Query())
	p.state, p.stateErr = st, ""
	if err != nil {
		p.stateErr = err.Error()
	}
	if p.form == nil {
		p.form = newParamForm(BridgeSchema, st)
	}
	p.form.load(st)
	p.reset(ctx)
}

// OnDismount stops the run.
func (p *BridgePage) OnDismount() {
	if p.stopLost != nil {
		p.stopLost()
	}
	if p.run != nil {
		p.run.gate.stop()
	}
}

func (p *BridgePage) reset(ctx app.Context) {
	if p.run != nil {
		p.run.gate.stop()
	}
	p.frame, p.run = nil, nil
	if !app.IsClient {
		return
	}
	r := &bridgeRun{st: p.state, gate: newStepGate()}
	p.run = r
	ctx.Async(func() {
		runBridge(r.st, r.gate, func(f BridgeFrame) {
			ctx.Dispatch(func(ctx app.Context) {
				if p.run != r {
					return
				}
				p.frame = &f
				ctx.Defer(func(app.Context) { publishResult(BridgePath, f) })
			})
		})
	})
}

func (p *BridgePage) onStep(ctx app.Context, e app.Event) {
	if p.run != nil {
		p.run.gate.step()
	}
}

func (p *BridgePage) onPlay(ctx app.Context, e app.Event) {
	if p.run != nil && p.frame != nil {
		p.run.gate.play()
		f := *p.frame
		f.Playing = !f.Finished
		p.frame = &f
	}
}

func (p *BridgePage) onPause(ctx app.Context, e app.Event) {
	if p.run != nil && p.frame != nil {
		p.run.gate.pause()
		f := *p.frame
		f.Playing = false
		p.frame = &f
	}
}

func (p *BridgePage) onReset(ctx app.Context, e app.Event) { p.reset(ctx) }

func (p *BridgePage) onApply(ctx app.Context, e app.Event) {
	st, err := p.form.state(p.state)
	if err != nil {
		p.stateErr = err.Error()
		return
	}
	ctx.Navigate(PageURL(p.path, st))
}

// Render shows the form, the controls, the numbers and the views.
func (p *BridgePage) Render() app.UI {
	if p.state.Schema() == nil {
		p.state = BridgeSchema.Defaults()
	}
	if p.form == nil {
		p.form = newParamForm(BridgeSchema, p.state)
	}
	l := Layout{Path: BridgePath, Title: "Schrödinger bridges: paths, drift and the bridge SDE", Embed: p.embed}
	f := p.frame
	var view, chart Figure
	var stats app.UI
	switch {
	case f == nil:
		stats = app.Div().ID("bridge-stats").DataSet("status", "opening").Class("otplay-result").Text("Solving the static bridge (Sinkhorn) ...")
	case f.Error != "":
		l.Status = &f.Backend
		stats = app.Div().ID("bridge-stats").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + f.Error)
	default:
		l.Status = &f.Backend
		view, chart = f.view, f.chart
		for _, k := range []string{"open", "setup", "step", "frame"} {
			l.Timings = append(l.Timings, Timing{map[string]string{"open": "backend open", "setup": "bridge + paths", "step": "last step", "frame": "last frame"}[k], ms(f.TimingsMS[k])})
		}
		g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
		conv := map[bool]string{true: "converged", false: "not converged"}[f.Converged]
		status := "stepping"
		if f.Finished {
			status = "finished"
		}
		stats = app.Div().ID("bridge-stats").Class("otplay-result").DataSet("status", status).DataSet("step", f.Step).Body(app.Table().Body(
			resultRow("static bridge", fmt.Sprintf("eps = 2 sigma^2 = %s, Sinkhorn %d iterations (%s), <P, C> = %s", g(f.Eps), f.Iterations, conv, g(f.Cost))),
			resultRow("step", fmt.Sprintf("%d of %d", f.Step, f.Steps)),
			resultRow("time t", g(f.T)),
			resultRow("particle mean", g(f.Mean[0])+", "+g(f.Mean[1])),
			resultRow("mean distance to the nearest target point", g(f.Nearest[len(f.Nearest)-1])),
		))
	}
	ready := f != nil && f.Error == "" && !f.Finished
	playing := ready && f.Playing
	if !p.embed {
		l.Panel = p.form.render(p.onApply, map[string]app.UI{
			"x": pointUploadField("upload-x", "or upload your own (CSV or .npy, 2 columns)", p.onUploadX),
			"y": pointUploadField("upload-y", "or upload your own", p.onUploadY),
		})
	}
	l.Query, l.StateError = p.state.Encode(), p.stateErr
	return l.Render(
		app.If(p.uploadErr != "", func() app.UI { return app.P().ID("upload-error").Class("otplay-error").Text(p.uploadErr) }),
		app.Div().Class("otplay-controls").Body(
			button("step", "Step", !ready || playing, p.onStep),
			button("play", "Play", !ready || playing, p.onPlay),
			button("pause", "Pause", !playing, p.onPause),
			button("reset", "Reset", p.run == nil, p.onReset),
		),
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

func (p *BridgePage) particlesCSV() string {
	if p.frame == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("x,y\n")
	x := p.frame.allX
	for i := 0; i+1 < len(x); i += 2 {
		b.WriteString(strconv.FormatFloat(x[i], 'g', -1, 64) + "," + strconv.FormatFloat(x[i+1], 'g', -1, 64) + "\n")
	}
	return b.String()
}

func (p *BridgePage) frameJSON() string {
	if p.frame == nil {
		return "{}"
	}
	v, _ := json.MarshalIndent(p.frame, "", " ")
	return string(v)
}

// OnMount subscribes to device losses: when the GPU device behind the
// page's run is lost, the run starts again on the CPU.
func (p *BridgePage) OnMount(ctx app.Context) {
	p.stopLost = restartOnLoss(ctx, func() compute.Backend {
		if p.frame == nil {
			return nil
		}
		return p.frame.Backend.Backend
	}, p.reset)
}
