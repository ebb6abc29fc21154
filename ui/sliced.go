package ui

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/sliced"
)

// SlicedPath is the route of the sliced Wasserstein page.
const SlicedPath = "/sliced"

// Limits of /sliced: each direction sorts n + m projections; the page
// keeps L * (n + m) below a few million so that the wasm CPU backend
// answers in about a second.
const (
	MaxSlicedPoints      = 4096
	MaxSlicedProjections = 2000
)

// SlicedSchema is the URL state of /sliced. Defaults: 300 points of
// 8gaussians and of moons, 100 random directions (Monte-Carlo error of
// SW_2^2 near 10%: visible on the running curve), seed 0.
var SlicedSchema = Schema{
	{Name: "x", Label: "Source points", Group: "Data", Kind: KindChoice, Default: "8gaussians", Choices: otSets, Help: "n points x_i of this set (seed), weights 1/n"},
	{Name: "y", Label: "Target points", Group: "Data", Kind: KindChoice, Default: "moons", Choices: otSets, Help: "m points y_j of this set (seed + 1), weights 1/m"},
	{Name: "n", Label: "Number of source points n", Group: "Data", Kind: KindInt, Default: "300", Min: 1, Max: MaxSlicedPoints, Slider: true, Log: true, Help: "each direction sorts n + m projections"},
	{Name: "m", Label: "Number of target points m", Group: "Data", Kind: KindInt, Default: "300", Min: 1, Max: MaxSlicedPoints, Slider: true, Log: true, Help: "target points"},
	{Name: "seed", Label: "Random seed", Group: "Data", Advanced: true, Kind: KindInt, Default: "0", Min: 0, Max: 1 << 53, Help: "data seed (target: seed + 1) and direction seed"},
	{Name: "L", Label: "Directions L", Group: "Slicing", Kind: KindInt, Default: "100", Min: 1, Max: MaxSlicedProjections, Slider: true, Log: true,
		Math: `<msubsup><mi>SW</mi><mn>2</mn><mn>2</mn></msubsup><mo>=</mo><mfrac><mn>1</mn><mi>L</mi></mfrac><munderover><mo>∑</mo><mrow><mi>l</mi><mo>=</mo><mn>1</mn></mrow><mi>L</mi></munderover><msubsup><mi>W</mi><mn>2</mn><mn>2</mn></msubsup><mo>(</mo><mo>⟨</mo><mi>x</mi><mo>,</mo><msub><mi>θ</mi><mi>l</mi></msub><mo>⟩</mo><mo>,</mo><mo>⟨</mo><mi>y</mi><mo>,</mo><msub><mi>θ</mi><mi>l</mi></msub><mo>⟩</mo><mo>)</mo>`,
		Help: "the Monte-Carlo error falls like 1/√L"},
	{Name: "sampling", Label: "Directions drawn by", Group: "Slicing", Kind: KindChoice, Default: "random", Choices: []string{"random", "qmc"}, Help: "random: θ_l i.i.d. uniform on the sphere; qmc: randomised quasi-Monte-Carlo, error nearer 1/L"},
	computeParam,
}

// SlicedTours are the /sliced page's presets.
var SlicedTours = []Tour{
	{Name: "Few directions, a noisy distance", Query: "L=5",
		Caption: "With five directions the sliced distance is a rough Monte-Carlo estimate: its standard error is a large part of the value. Step through the directions to see how differently the clouds project."},
	{Name: "Many directions", Query: "L=2000",
		Caption: "With 2000 directions the standard error shrinks like 1/√L. The curve of the running estimate flattens as directions are added."},
	{Name: "Quasi-Monte-Carlo directions", Query: "L=100&sampling=qmc",
		Caption: "Spreading the directions evenly over the circle instead of drawing them at random cuts the error for the same L. Compare the running estimate's curve with the random tour's."},
	{Name: "Identical shapes", Query: "x=moons&y=moons",
		Caption: "Two samples of the same shape have a small but non-zero sliced distance: the sampling noise of finite clouds. Increase n and m to watch it shrink."},
}

func init() {
	Register(Page{
		Path:    SlicedPath,
		Title:   "Sliced OT",
		Summary: "The sliced Wasserstein distance: project on random directions, match the sorted projections, average. Browse the directions and watch the estimate converge.",
		Schema:  SlicedSchema,
		Tours:   SlicedTours,
		New:     func() app.Composer { return &SlicedPage{} },
	})
}

// SlicedResult is what /sliced publishes as window.otplayResult.
type SlicedResult struct {
	Page    string        `json:"page"`
	Done    bool          `json:"done"`
	Error   string        `json:"error,omitempty"`
	Backend BackendStatus `json:"backend"`
	// SW is SW_2 over L directions, StdErr the Monte-Carlo standard error
	// of SW_2^2, Running[k] the estimate after k+1 directions, Path where
	// the 1-D problems were solved (see sliced.Path).
	SW      float64   `json:"sw"`
	StdErr  float64   `json:"stdErr"`
	Running []float64 `json:"running"`
	L       int       `json:"L"`
	Path    string    `json:"path"`
	// Shown is the index of the displayed direction, ShownW2Sq its W_2^2
	// (computed on the host in float64).
	Shown     int                `json:"shown"`
	ShownW2Sq float64            `json:"shownW2Sq"`
	TimingsMS map[string]float64 `json:"timingsMs"`
}

// slicedRun is a computed distance with what the views need.
type slicedRun struct {
	st    State
	x, y  sliced.Measure
	res   sliced.Result
	out   SlicedResult
	shown int
	slice sliced.Slice // the shown direction's 1-D problem
	view  Figure
	curve Figure
}

// slicedMeasures builds the two measures of a state from package data,
// as the /ot page does (x with seed, y with seed+1).
func slicedMeasures(st State) (x, y sliced.Measure, err error) {
	p, err := otProblem(st)
	if err != nil {
		return x, y, err
	}
	return sliced.Measure{Points: p.X, N: p.N, D: p.D}, sliced.Measure{Points: p.Y, N: p.M, D: p.D}, nil
}

// SlicedMeasures is slicedMeasures for tests and scripts.
func SlicedMeasures(st State) (x, y sliced.Measure, err error) { return slicedMeasures(st) }

// SlicedSettings are the sliced.Settings of a state.
func SlicedSettings(st State) sliced.Settings {
	s := sliced.Settings{Projections: st.Int("L"), Seed: uint64(st.Int("seed"))}
	if st.String("sampling") == "qmc" {
		s.Sampling = sliced.QMC
	}
	return s
}

// RunSliced computes the distance on the state's backend and the view of
// direction 0. It blocks; in the browser call it from a goroutine.
func RunSliced(st State) *slicedRun {
	computeMu.Lock()
	defer computeMu.Unlock()
	r := &slicedRun{st: st, out: SlicedResult{Page: SlicedPath, Done: true}}
	status := OpenBackend(st.String("backend"))
	r.out.Backend = status
	var err error
	if r.x, r.y, err = slicedMeasures(st); err != nil {
		r.out.Error = err.Error()
		return r
	}
	if st.Int("L")*(r.x.N+r.y.N) > 8<<20 {
		r.out.Error = fmt.Sprintf("L*(n+m) = %d: want at most %d (fewer directions or points)", st.Int("L")*(r.x.N+r.y.N), 8<<20)
		return r
	}
	start := time.Now()
	r.res, err = sliced.Distance(status.Backend, r.x, r.y, SlicedSettings(st))
	if IsDeviceLost(err) {
		// Switch every page off the lost device, and compute here again
		// on the CPU.
		status = BackendLost(status.Backend, err)
		r.out.Backend = status
		start = time.Now()
		r.res, err = sliced.Distance(status.Backend, r.x, r.y, SlicedSettings(st))
	}
	if err != nil {
		r.out.Error = status.Kind + " backend: " + err.Error()
		return r
	}
	d := time.Since(start)
	r.out.SW, r.out.StdErr, r.out.Running, r.out.L, r.out.Path = r.res.SW, r.res.StdErr, r.res.Running, r.res.L, string(r.res.Path)
	r.out.TimingsMS = map[string]float64{"open": float64(status.Open) / 1e6, "distance": float64(d) / 1e6}
	r.curve = slicedCurve(r.res)
	if err := r.show(0); err != nil {
		r.out.Error = err.Error()
	}
	return r
}

// show selects direction l for the view: the 1-D problem on the host, its
// matching drawn between the points.
func (r *slicedRun) show(l int) error {
	L, d := r.res.L, r.res.D
	if L == 0 {
		return nil
	}
	l = ((l % L) + L) % L
	sl, err := sliced.Slices(r.x, r.y, r.res.Directions[l*d:(l+1)*d])
	if err != nil {
		return err
	}
	r.shown, r.slice = l, sl[0]
	r.out.Shown, r.out.ShownW2Sq = l, sl[0].W2Sq
	r.view = slicedView(r.x, r.y, sl[0], l)
	return nil
}

// slicedView draws both clouds, the direction as a line through the
// centre of the window, the projections as points on it, and the 1-D
// plan lifted back to the points (x_I -- y_J, opacity by mass).
func slicedView(x, y sliced.Measure, s sliced.Slice, l int) Figure {
	th := [2]float64{s.Direction[0], 0}
	if len(s.Direction) > 1 {
		th[1] = s.Direction[1]
	}
	f := Figure{Width: 520, Height: 440, EqualAspect: true,
		Title: fmt.Sprintf("direction %d: W2^2 of the projections = %.4g", l, s.W2Sq)}
	// Window from the clouds, then the projections placed on the line.
	f.Points = []PointSet{
		{XY: firstTwo(x.Points, x.D, MaxSlicedPoints), Label: "X", Radius: 2},
		{XY: firstTwo(y.Points, y.D, MaxSlicedPoints), Label: "Y", Radius: 2},
	}
	xmin, xmax, ymin, ymax := f.Window()
	f.XMin, f.XMax, f.YMin, f.YMax = xmin, xmax, ymin, ymax
	cx, cy := (xmin+xmax)/2, (ymin+ymax)/2
	half := math.Hypot(xmax-xmin, ymax-ymin) / 2
	on := func(t float64) (float64, float64) { return cx + t*th[0], cy + t*th[1] }
	ax0, ay0 := on(-half)
	ax1, ay1 := on(half)
	// The centre's own projection, so points sit at their projection.
	c0 := cx*th[0] + cy*th[1]
	line := func(p []float64) []float64 {
		out := make([]float64, 0, 2*len(p))
		for _, v := range p {
			px, py := on(v - c0)
			out = append(out, px, py)
		}
		return out
	}
	var segs, alpha []float64
	top := 0.0
	for _, m := range s.Plan {
		top = math.Max(top, m.Mass)
	}
	for _, m := range s.Plan {
		segs = append(segs, x.Points[m.I*x.D], secondCoord(x, m.I), y.Points[m.J*y.D], secondCoord(y, m.J))
		alpha = append(alpha, 0.6*m.Mass/top)
	}
	f.Lines = []LineSet{
		{Segs: segs, Alpha: alpha, Color: "#555555"},
		{Segs: []float64{ax0, ay0, ax1, ay1}, Opacity: 0.9, Color: "#2ca02c", Width: 2},
	}
	f.Points = append(f.Points,
		PointSet{XY: line(s.ProjX), Color: "#1f77b4", Radius: 1.5},
		PointSet{XY: line(s.ProjY), Color: "#ff7f0e", Radius: 1.5})
	return f
}

func secondCoord(m sliced.Measure, i int) float64 {
	if m.D < 2 {
		return 0
	}
	return m.Points[i*m.D+1]
}

// slicedCurve is the running estimate of SW_2 against the number of
// directions.
func slicedCurve(r sliced.Result) Figure {
	xy := make([]float64, 0, 2*len(r.Running))
	for k, v := range r.Running {
		xy = append(xy, float64(k+1), v)
	}
	return Figure{Width: 520, Height: 220, Title: "SW_2 estimate after k directions", XLabel: "directions k", YLabel: "SW₂",
		Curves: []Curve{{XY: xy, Label: "running SW_2", Color: "#9467bd"}}}
}

// SlicedPage is the /sliced page.
type SlicedPage struct {
	app.Compo
	path     string
	embed    bool
	state    State
	stateErr string
	run      *slicedRun
	gen      int
	exported exportStatus
	stopLost func()
	form     *paramForm
}

// OnNav reads the state and computes the distance.
func (p *SlicedPage) OnNav(ctx app.Context) {
	u := ctx.Page().URL()
	p.path, p.embed = u.Path, IsEmbed(u)
	ctx.Page().SetTitle("Sliced OT · otplay")
	st, err := SlicedSchema.Decode(u.Query())
	p.state, p.stateErr, p.run = st, "", nil
	if err != nil {
		p.stateErr = err.Error()
	}
	if p.form == nil {
		p.form = newParamForm(SlicedSchema, st)
		p.form.live = true
	}
	p.form.load(st)
	p.compute(ctx)
}

// OnMount subscribes to device losses: a page whose distance came from a
// lost GPU device computes it again on the CPU, whose badge says why.
func (p *SlicedPage) OnMount(ctx app.Context) {
	p.stopLost = onBackendLost(func(lost compute.Backend, now BackendStatus) {
		ctx.Dispatch(func(ctx app.Context) {
			if r := p.run; r != nil && r.out.Backend.Backend == lost {
				p.compute(ctx)
			}
		})
	})
}

// OnDismount ends the subscription.
func (p *SlicedPage) OnDismount() {
	if p.stopLost != nil {
		p.stopLost()
	}
}

// compute runs the page's state in the background.
func (p *SlicedPage) compute(ctx app.Context) {
	st := p.state
	p.gen++
	if !app.IsClient {
		return
	}
	gen := p.gen
	ctx.Async(func() {
		r := RunSliced(st)
		ctx.Dispatch(func(ctx app.Context) {
			if p.gen != gen {
				return
			}
			p.run = r
			out := r.out
			ctx.Defer(func(app.Context) { publishResult(SlicedPath, out) })
		})
	})
}

// onShow moves the displayed direction by delta (host work only: one
// sort of n + m projections).
func (p *SlicedPage) onShow(delta int) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		r := p.run
		if r == nil || r.out.Error != "" {
			return
		}
		if err := r.show(r.shown + delta); err != nil {
			r.out.Error = err.Error()
		}
		out := r.out
		ctx.Defer(func(app.Context) { publishResult(SlicedPath, out) })
	}
}

// Render shows the numbers, the direction view and the running curve.
func (p *SlicedPage) Render() app.UI {
	if p.state.Schema() == nil {
		p.state = SlicedSchema.Defaults()
	}
	l := Layout{Path: SlicedPath, Title: "Sliced Wasserstein distance", Embed: p.embed}
	r := p.run
	var stats app.UI
	var view, curve Figure
	switch {
	case r == nil:
		stats = app.Div().ID("sliced-stats").DataSet("status", "running").Class("otplay-result").Text("Projecting and sorting ...")
	case r.out.Error != "":
		l.Status = &r.out.Backend
		stats = app.Div().ID("sliced-stats").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + r.out.Error)
	default:
		l.Status = &r.out.Backend
		l.Timings = []Timing{{"sliced distance", ms(r.out.TimingsMS["distance"])}}
		g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
		stats = app.Div().ID("sliced-stats").Class("otplay-result").
			DataSet("status", "done").DataSet("shown", r.shown).
			Body(app.Table().Body(
				resultRow("SW_2", g(r.out.SW)+" over "+strconv.Itoa(r.out.L)+" directions"),
				resultRow("standard error of SW_2^2", g(r.out.StdErr)),
				resultRow("1-D problems solved", r.out.Path),
				resultRow("shown direction", strconv.Itoa(r.shown)+": W_2^2 = "+g(r.out.ShownW2Sq)),
			))
		view, curve = r.view, r.curve
	}
	ready := r != nil && r.out.Error == ""
	if !p.embed {
		if p.form == nil {
			p.form = newParamForm(SlicedSchema, p.state)
			p.form.live = true
		}
		l.Panel = p.form.render(p.onApply, nil)
	}
	l.Query, l.StateError = p.state.Encode(), p.stateErr
	if r == nil && p.stateErr == "" {
		l.Progress = &Progress{Phase: "Projecting the clouds on the directions and sorting"}
	}
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

// onApply applies the form (live: every change recomputes).
func (p *SlicedPage) onApply(ctx app.Context, e app.Event) {
	st, err := p.form.state(p.state)
	if err != nil {
		p.stateErr = err.Error()
		return
	}
	ctx.Navigate(PageURL(p.path, st))
}
