package ui

import (
	"fmt"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/ot"
)

// OTPath is the route of the entropic OT page.
const OTPath = "/ot"

// otSets are the 2-D data sets the /ot page offers.
var otSets = []string{"8gaussians", "moons", "circles", "gaussian", "uniform", "25gaussians", "swissroll", "checkerboard", "spirals", "pinwheel", "rings"}

// MaxOTPoints bounds n and m on /ot: each iteration is two soft-mins over
// n*m pairs and each frame reads back the top-k plan entries, so 2048^2
// pairs keep a frame well under a second on the wasm CPU backend.
const MaxOTPoints = 2048

// OTSchema is the URL state of /ot. Defaults: 200 points of 8gaussians
// to 200 of moons (both fill about [-2, 2]^2), eps = 0.05 (a sharp plan
// that converges in tens of iterations at that scale), balanced, two plan
// lines per point, one iteration per frame.
var OTSchema = Schema{
	{Name: "x", Label: "Source points", Group: "Data", Kind: KindChoice, Default: "8gaussians", Choices: otSets, Help: "n points x_i of this set (seed), each of weight a_i = 1/n; or your own file"},
	{Name: "y", Label: "Target points", Group: "Data", Kind: KindChoice, Default: "moons", Choices: otSets, Help: "m points y_j of this set (seed + 1), each of weight b_j = 1/m"},
	{Name: "n", Label: "Number of source points n", Group: "Data", Kind: KindInt, Default: "200", Min: 1, Max: MaxOTPoints, Slider: true, Log: true, Help: "each iteration costs O(n m)"},
	{Name: "m", Label: "Number of target points m", Group: "Data", Kind: KindInt, Default: "200", Min: 1, Max: MaxOTPoints, Slider: true, Log: true, Help: "target points"},
	{Name: "seed", Label: "Random seed", Group: "Data", Advanced: true, Kind: KindInt, Default: "0", Min: 0, Max: 1 << 53, Help: "data seed (the target uses seed + 1)"},
	{Name: "method", Label: "Problem", Group: "Transport", Kind: KindChoice, Default: "balanced", Choices: []string{"balanced", "unbalanced", "partial", "divergence"},
		Help: "balanced: P1 = a, P'1 = b; unbalanced: marginals penalised by τ KL; partial: move only some mass; divergence: the debiased Sinkhorn divergence S"},
	{Name: "eps", Label: "Blur ε", Group: "Transport", Kind: KindFloat, Default: "0.05", Min: 0, MinOpen: true, Max: 100, Slider: true, Log: true, SliderMin: 1e-3, SliderMax: 10,
		Math: `<msub><mi>P</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>=</mo><msub><mi>a</mi><mi>i</mi></msub><msub><mi>b</mi><mi>j</mi></msub><msup><mi>e</mi><mrow><mo>(</mo><msub><mi>f</mi><mi>i</mi></msub><mo>+</mo><msub><mi>g</mi><mi>j</mi></msub><mo>−</mo><msub><mi>C</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>)</mo><mo>/</mo><mi>ε</mi></mrow></msup>`,
		Help: "C_ij = |x_i − y_j|²; small ε: a sharp plan, slow to converge; large ε: a blurry one"},
	{Name: "tau", Label: "Marginal penalty τ", Group: "Transport", ShownWhen: "method=unbalanced", Kind: KindFloat, Default: "1", Min: 0, MinOpen: true, Max: 1e6, Slider: true, Log: true, SliderMin: 1e-2, SliderMax: 1e3,
		Math: `<mo>+</mo><mi>τ</mi><mi>KL</mi><mo>(</mo><mi>P</mi><mn>1</mn><mo>|</mo><mi>a</mi><mo>)</mo><mo>+</mo><mi>τ</mi><mi>KL</mi><mo>(</mo><msup><mi>P</mi><mo>⊤</mo></msup><mn>1</mn><mo>|</mo><mi>b</mi><mo>)</mo>`,
		Help: "small τ lets mass be created or destroyed (outliers are left alone); τ → ∞ is balanced"},
	{Name: "mass", Label: "Transported mass", Group: "Transport", ShownWhen: "method=partial", Kind: KindFloat, Default: "0.5", Min: 0, MinOpen: true, Max: 1, Slider: true, SliderMin: 0.01, SliderMax: 1,
		Math: `<munder><mo>∑</mo><mrow><mi>i</mi><mi>j</mi></mrow></munder><msub><mi>P</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>=</mo><mi>m</mi><mo>,</mo><mspace width="0.5em"/><mi>P</mi><mn>1</mn><mo>≤</mo><mi>a</mi><mo>,</mo><mspace width="0.5em"/><msup><mi>P</mi><mo>⊤</mo></msup><mn>1</mn><mo>≤</mo><mi>b</mi>`,
		Help: "the fraction m of min(|a|, |b|) = 1 that is moved"},
	{Name: "steps", Label: "Iterations per frame", Group: "Transport", Advanced: true, Kind: KindInt, Default: "1", Min: 1, Max: 100, Slider: true,
		Math: `<msub><mi>f</mi><mi>i</mi></msub><mo>←</mo><mo>−</mo><mi>ε</mi><mi>log</mi><munder><mo>∑</mo><mi>j</mi></munder><msub><mi>b</mi><mi>j</mi></msub><msup><mi>e</mi><mrow><mo>(</mo><msub><mi>g</mi><mi>j</mi></msub><mo>−</mo><msub><mi>C</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>)</mo><mo>/</mo><mi>ε</mi></mrow></msup>`,
		Help: "Sinkhorn iterations between two pictures; then g likewise"},
	{Name: "tier", Label: "Also solve with a kernel approximation", Group: "Transport", Advanced: true, Kind: KindChoice, Default: "none", Choices: []string{"none", "auto", "full", "rff", "nystrom"}, Help: "K = exp(−C/ε) applied exactly (full) or as K ≈ Φ_x Φ_y' (rff: positive random features; nystrom: landmarks), O((n+m) r) per iteration"},
	{Name: "k", Label: "Plan lines per source point", Group: "Display", Kind: KindInt, Default: "2", Min: 0, Max: 10, Slider: true, Help: "each point's k largest P_ij, opacity P_ij / max P"},
	computeParam,
}

// OTTours are the /ot page's presets.
var OTTours = []Tour{
	{Name: "Sharp versus blurry plans", Query: "eps=0.5&k=4",
		Caption: "With a large blur ε every source point spreads its mass over many targets, and the plan lines fan out. Slide ε down to 0.005 and Apply: the plan sharpens towards a map, and Sinkhorn needs many more iterations to converge."},
	{Name: "Sharp plan at small ε", Query: "eps=0.005&k=1&steps=10",
		Caption: "At ε = 0.005 the plan is nearly a one-to-one matching: each point keeps a single strong line. Play, and watch the marginal error fall slowly; small ε costs iterations."},
	{Name: "Outliers ignored by unbalanced OT", Query: "method=unbalanced&tau=0.05&x=uniform&y=25gaussians&k=3",
		Caption: "The outer ring of the 5×5 grid of targets lies outside the square of sources, and balanced OT must still fill it. With a small marginal penalty τ those far clusters receive little mass (hover over one): unbalanced OT destroys and creates mass rather than pay to move it far."},
	{Name: "Partial transport of half the mass", Query: "method=partial&mass=0.5&x=gaussian&y=8gaussians",
		Caption: "Only half of the mass moves, and it is the cheapest half: the targets nearest the source take it. Hover over a target point to see how much it receives."},
	{Name: "Sinkhorn divergence versus the biased cost", Query: "method=divergence&x=moons&y=moons&eps=0.5",
		Caption: "Between a cloud and a second sample of the same shape OT_ε stays positive, a bias that grows with ε. The divergence S subtracts the self terms OT(a,a) and OT(b,b), so it is near zero when the clouds agree."},
}

func init() {
	Register(Page{
		Path:    OTPath,
		Title:   "Entropic OT",
		Summary: "Sinkhorn between two point clouds, one iteration at a time: the plan's strongest links and the marginal error as it converges. Balanced, unbalanced and partial.",
		Schema:  OTSchema,
		Tours:   OTTours,
		New:     func() app.Composer { return &OTPage{} },
	})
}

// OTFrame is the state of an /ot run after some iterations: what the page
// shows, and what it publishes as window.otplayResult.
type OTFrame struct {
	Page      string        `json:"page"`
	Done      bool          `json:"done"` // a frame has been computed (not: converged)
	Error     string        `json:"error,omitempty"`
	Backend   BackendStatus `json:"backend"`
	Method    string        `json:"method"`
	N         int           `json:"n"` // source points (the data set's or an upload's)
	M         int           `json:"m"`
	Iteration int           `json:"iteration"`
	Eps       float64       `json:"eps"` // the eps of the next iteration
	Converged bool          `json:"converged"`
	// Status is the solver's sentence on convergence: converged or not,
	// why, and what to do about it (ot.Result.Status).
	Status  string `json:"status,omitempty"`
	Playing bool   `json:"playing"`
	// Cost is <P, C>, Objective OT_eps (see ot.Result), MarginalError the
	// marginal error of the current plan, Mass its total mass.
	Cost          float64 `json:"cost"`
	Objective     float64 `json:"objective"`
	MarginalError float64 `json:"marginalError"`
	Mass          float64 `json:"mass"`
	// Divergence (method divergence) is the Sinkhorn divergence of the
	// current iterate, S = Objective - (SelfX + SelfY)/2, with SelfX =
	// OT_eps(a, a) and SelfY = OT_eps(b, b) solved when the run starts.
	Divergence float64 `json:"divergence,omitempty"`
	SelfX      float64 `json:"selfX,omitempty"`
	SelfY      float64 `json:"selfY,omitempty"`
	// Tier is the one-shot kernel-tier solve (URL parameter tier), nil
	// for tier=none.
	Tier *OTTierResult `json:"tier,omitempty"`
	// Residuals at the iterations ResidualIters (one per iteration).
	Residuals     []float64 `json:"residuals"`
	ResidualIters []int     `json:"residualIters"`
	// TimingsMS: "step" (the last frame's iterations), "frame" (step +
	// summary + plan lines, with readbacks), "setup" (data and upload).
	TimingsMS map[string]float64 `json:"timingsMs"`

	plan  Figure // points and plan lines
	chart Figure // residual per iteration
	heat  Figure // the plan matrix, sorted
	potF  Figure // potential f over the plane
	potG  Figure // potential g over the plane
	prob  ot.Problem
	res   *ot.Result // this frame's Result (hover reads its potentials)
}

// otRun is one solver on one problem: created by OnNav and Reset,
// advanced by Step and Play from goroutines (under computeMu), closed when
// replaced.
type otRun struct {
	st      State
	status  BackendStatus
	prob    ot.Problem
	sv      *ot.Solver
	closed  atomic.Bool
	playing atomic.Bool
	setup   time.Duration
	err     error
	res     *ot.Result // the latest frame's Result (for the export)
	// selfX, selfY are OT_eps(a, a) and OT_eps(b, b) (method divergence).
	selfX, selfY float64
	tier         *OTTierResult
	// The heatmaps of the last frame that refreshed them (see
	// otLiveViewPairs).
	heat, potF, potG Figure
	viewsAt          time.Time
}

// otViewGap is the least time between two refreshes of the heatmaps while
// playing (drawing five canvases per frame would halve the frame rate).
const otViewGap = 400 * time.Millisecond

// otProblem builds the problem of a state: data.Generate of x with seed
// and of y with seed+1, uniform weights.
func otProblem(st State) (ot.Problem, error) {
	seed := uint64(st.Int("seed"))
	xs, err := data.Generate(st.String("x"), st.Int("n"), data.Options{Seed: seed})
	if err != nil {
		return ot.Problem{}, fmt.Errorf("x: %w", err)
	}
	ys, err := data.Generate(st.String("y"), st.Int("m"), data.Options{Seed: seed + 1})
	if err != nil {
		return ot.Problem{}, fmt.Errorf("y: %w", err)
	}
	return ot.Problem{X: xs.Points, Y: ys.Points, N: xs.N, M: ys.N, D: xs.D}, nil
}

// withUploads replaces the generated clouds by the uploaded ones (nil
// entries keep the data set).
func withUploads(p ot.Problem, up [2]*otUpload) ot.Problem {
	if u := up[0]; u != nil {
		p.X, p.N = u.pts, u.n
	}
	if u := up[1]; u != nil {
		p.Y, p.M = u.pts, u.n
	}
	return p
}

// OTSettings are the solver settings of a state: Eps, and TauA = TauB =
// tau (unbalanced) or Mass = mass * min(|a|, |b|) = mass (partial: uniform
// weights have total mass 1); CheckEvery = 1 for one chart point per
// iteration; the ot package's defaults otherwise (Tol 1e-6, MaxIter 1000).
func OTSettings(st State) ot.Settings {
	s := ot.Settings{Eps: st.Float("eps"), CheckEvery: 1}
	switch st.String("method") {
	case "unbalanced":
		s.TauA, s.TauB = st.Float("tau"), st.Float("tau")
	case "partial":
		s.Mass = st.Float("mass")
	}
	return s
}

// OTProblem is the problem of an /ot URL state (for tests and scripts
// that check the page against a native solve).
func OTProblem(st State) (ot.Problem, error) { return otProblem(st) }

// newOTRun opens the backend and the solver (blocking: call it from a
// goroutine in the browser).
func newOTRun(st State) *otRun { return newOTRunWith(st, [2]*otUpload{}) }

// newOTRunWith is newOTRun on uploaded clouds where given.
func newOTRunWith(st State, up [2]*otUpload) *otRun {
	computeMu.Lock()
	defer computeMu.Unlock()
	r := &otRun{st: st}
	start := time.Now()
	r.status = OpenBackend(st.String("backend"))
	r.prob, r.err = otProblem(st)
	r.prob = withUploads(r.prob, up)
	if r.err == nil {
		r.tier = otTierSolve(st, r.status.Backend, r.prob)
	}
	if r.err == nil && st.String("method") == "divergence" {
		r.selfX, r.selfY, r.err = selfTerms(r.status.Backend, r.prob, OTSettings(st))
	}
	if r.err == nil {
		r.sv, r.err = ot.NewSolver(r.status.Backend, r.prob, OTSettings(st))
	}
	r.setup = time.Since(start) - r.status.Open
	return r
}

// selfTerms solves the two symmetric problems of the Sinkhorn divergence
// (Feydy et al. 2019, eq. (4)): OT_eps(a, a) and OT_eps(b, b), each to
// convergence (ot.Sinkhorn on the cloud against itself).
func selfTerms(b compute.Backend, p ot.Problem, s ot.Settings) (sx, sy float64, err error) {
	for k, c := range [][]float64{p.X, p.Y} {
		n := p.N
		if k == 1 {
			n = p.M
		}
		res, err := ot.Sinkhorn(b, ot.Problem{X: c, Y: c, N: n, M: n, D: p.D}, s)
		if err != nil {
			return 0, 0, fmt.Errorf("self term %s: %w", []string{"OT(a, a)", "OT(b, b)"}[k], err)
		}
		if k == 0 {
			sx = res.Objective
		} else {
			sy = res.Objective
		}
	}
	return sx, sy, nil
}

// close frees the solver; later frames report the run as closed.
func (r *otRun) close() {
	if r.closed.Swap(true) {
		return
	}
	computeMu.Lock()
	defer computeMu.Unlock()
	if r.sv != nil {
		r.sv.Close()
	}
}

// advance runs k iterations (k may be 0: the current state) and builds the
// frame.
func (r *otRun) advance(k int) OTFrame {
	f := OTFrame{Page: OTPath, Done: true, Backend: r.status, Method: r.st.String("method")}
	if r.err != nil {
		f.Error = r.err.Error()
		return f
	}
	computeMu.Lock()
	defer computeMu.Unlock()
	if r.closed.Load() {
		f.Error = "this run was reset"
		return f
	}
	start := time.Now()
	if err := r.sv.Step(k); err != nil {
		return r.failed(f, err)
	}
	step := time.Since(start)
	res, err := r.sv.Result()
	if err != nil {
		return r.failed(f, err)
	}
	r.res = res
	f.N, f.M, f.Tier = r.prob.N, r.prob.M, r.tier
	f.Iteration, f.Eps, f.Converged = r.sv.Iterations(), r.sv.Eps(), r.sv.Converged()
	f.Cost, f.Objective, f.MarginalError, f.Mass = res.Cost, res.Objective, res.MarginalError, res.Mass
	f.Status = res.Status
	if r.st.String("method") == "divergence" {
		f.SelfX, f.SelfY = r.selfX, r.selfY
		f.Divergence = res.Objective - (r.selfX+r.selfY)/2
	}
	errs, iters := r.sv.Errors()
	f.Residuals, f.ResidualIters = append([]float64{}, errs...), append([]int{}, iters...)
	var segs, alpha []float64
	if k := r.st.Int("k"); k > 0 {
		idx, val := planTopKHost(r.prob, res, k) // = res.PlanTopK, without the n*m readback
		segs, alpha = planLines(r.prob, idx, val, min(k, r.prob.M))
	}
	f.TimingsMS = map[string]float64{
		"step":  float64(step) / float64(time.Millisecond),
		"frame": float64(time.Since(start)) / float64(time.Millisecond),
		"setup": float64(r.setup) / float64(time.Millisecond),
	}
	f.plan = otPlanFigure(r.prob, segs, alpha)
	f.chart = otChart(f)
	f.Playing = r.playing.Load()
	// The heatmaps: on every frame that is not part of a Play; while
	// playing, on small problems and at most every otViewGap.
	if !f.Playing || r.heat.Heatmaps == nil || (r.prob.N*r.prob.M <= otLiveViewPairs && time.Since(r.viewsAt) >= otViewGap) {
		r.viewsAt = time.Now()
		r.heat = otPlanHeatmap(r.prob, res)
		if r.prob.D == 2 {
			if r.potF, r.potG, err = otPotentialFigures(r.status.Backend, r.prob, res, f.plan); err != nil {
				return r.failed(f, err)
			}
		}
	}
	f.heat, f.potF, f.potG = r.heat, r.potF, r.potG
	f.prob, f.res = r.prob, res
	f.TimingsMS["views"] = float64(time.Since(start))/float64(time.Millisecond) - f.TimingsMS["frame"]
	return f
}

// failed ends a frame on an error. A lost GPU device (IsDeviceLost) is
// reported to BackendLost, which switches every page on that device to the
// CPU; the page's listener then restarts the run there.
func (r *otRun) failed(f OTFrame, err error) OTFrame {
	f.Error = err.Error()
	if IsDeviceLost(err) {
		go BackendLost(r.status.Backend, err) // computeMu is held: report from outside
	}
	return f
}

// planLines returns one segment x_i -> y_j per top-k entry, with opacity
// P_ij / max P (the strongest link of the plan is opaque).
func planLines(p ot.Problem, idx []int, val []float64, k int) (segs, alpha []float64) {
	top := 0.0
	for _, v := range val {
		top = math.Max(top, v)
	}
	if !(top > 0) {
		return nil, nil
	}
	d := p.D
	for i := 0; i < p.N; i++ {
		for t := 0; t < k; t++ {
			j, v := idx[i*k+t], val[i*k+t]
			if j < 0 || !(v > 0) {
				continue
			}
			segs = append(segs, p.X[i*d], p.X[i*d+1], p.Y[j*d], p.Y[j*d+1])
			alpha = append(alpha, v/top)
		}
	}
	return segs, alpha
}

func otPlanFigure(p ot.Problem, segs, alpha []float64) Figure {
	return Figure{
		Width: 520, Height: 440, Title: "X, Y and the plan's largest entries", EqualAspect: true,
		Lines: []LineSet{{Segs: segs, Alpha: alpha, Color: "#555555", Width: 1}},
		Points: []PointSet{
			{XY: firstTwo(p.X, p.D, MaxOTPoints), Label: "X (source)", Radius: 2.5},
			{XY: firstTwo(p.Y, p.D, MaxOTPoints), Label: "Y (target)", Radius: 2.5},
		},
	}
}

func otChart(f OTFrame) Figure {
	xy := make([]float64, 0, 2*len(f.Residuals))
	for i, v := range f.Residuals {
		xy = append(xy, float64(f.ResidualIters[i]), v)
	}
	title := "marginal error |P1 - a|_1 + |P'1 - b|_1"
	if f.Method == "unbalanced" || f.Method == "partial" {
		title = "relative change of the scalings"
	}
	return Figure{Width: 520, Height: 220, Title: title + " (log scale) per iteration", LogY: true, XLabel: "iteration", YLabel: "residual",
		Curves: []Curve{{XY: xy, Label: "residual", Color: "#d62728"}}}
}

// OTPage is the /ot page: entropic OT between two clouds, stepped.
type OTPage struct {
	app.Compo

	path     string
	embed    bool
	state    State
	stateErr string
	run      *otRun
	frame    *OTFrame
	form     *paramForm
	exported exportStatus
	// stopLost ends the device-loss subscription (see OnMount).
	stopLost func()
	hover    *otHover // the point under the mouse on the plan view
	// uploads are the clouds uploaded for x and y (nil: the URL's data
	// set); uploadErr says why the last upload was refused.
	uploads   [2]*otUpload
	uploadErr string
	gen       int // counts resets: only the latest one's run is kept
	// Painting (see ot_paint.go): the mode ("", "x" or "y"), whether a
	// stroke is on, its points in data coordinates and canvas pixels.
	paintMode string
	painting  bool
	painted   []float64
	paintedPx []float64
	ctx       *app.Context // the page's context, from OnNav
}

// onHover picks the point under the mouse on the plan view (in canvas
// pixels: the canvas may be scaled down at phone width).
func (p *OTPage) onHover(ctx app.Context, e app.Event) {
	f := p.frame
	px, py, on := canvasPixel(e)
	if f == nil || f.res == nil || !on {
		return
	}
	h, ok := hoverPick(f.plan, f.prob, px, py)
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
func otHoverText(info OTHoverInfo) app.UI {
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

// OnMount subscribes to device losses: when the run's GPU device is lost
// the page starts again on the CPU backend, whose badge says why.
func (p *OTPage) OnMount(ctx app.Context) {
	p.stopLost = onBackendLost(func(lost compute.Backend, now BackendStatus) {
		ctx.Dispatch(func(ctx app.Context) {
			if r := p.run; r != nil && r.status.Backend == lost {
				p.reset(ctx)
			}
		})
	})
}

// OnNav reads the URL state and starts a fresh run.
func (p *OTPage) OnNav(ctx app.Context) {
	p.ctx = &ctx
	u := ctx.Page().URL()
	p.path, p.embed = u.Path, IsEmbed(u)
	ctx.Page().SetTitle("Entropic OT · otplay")
	st, err := OTSchema.Decode(u.Query())
	p.state, p.stateErr = st, ""
	if err != nil {
		p.stateErr = err.Error()
	}
	if p.form == nil {
		p.form = newParamForm(OTSchema, st)
	}
	p.form.load(st)
	p.reset(ctx)
}

// OnDismount stops and frees the run.
func (p *OTPage) OnDismount() {
	if p.stopLost != nil {
		p.stopLost()
	}
	if p.run != nil {
		p.run.playing.Store(false)
		go p.run.close()
	}
}

// reset replaces the run by a new one at iteration 0.
//
// It works through the page's own context (kept by OnNav): the context of
// an event handler dies with its element, and a reset may remove it.
func (p *OTPage) reset(ctx app.Context) {
	if p.ctx != nil {
		ctx = *p.ctx
	}
	if old := p.run; old != nil {
		old.playing.Store(false)
		ctx.Async(old.close)
	}
	p.frame = nil
	p.run = nil
	p.gen++
	if !app.IsClient {
		return
	}
	st, up, gen := p.state, p.uploads, p.gen
	ctx.Async(func() {
		r := newOTRunWith(st, up)
		f := r.advance(0)
		ctx.Dispatch(func(ctx app.Context) {
			if p.gen != gen {
				r.close() // navigated or reset meanwhile: a later run replaces it
				return
			}
			p.run = r
			p.show(ctx, f)
		})
	})
}

// show makes f the displayed frame and publishes it once rendered (so
// that a script that sees the frame also sees the page showing it).
func (p *OTPage) show(ctx app.Context, f OTFrame) {
	p.frame = &f
	ctx.Defer(func(app.Context) { publishResult(OTPath, f) })
}

func (p *OTPage) onStep(ctx app.Context, e app.Event) {
	r := p.run
	if r == nil || r.playing.Load() {
		return
	}
	ctx.Async(func() {
		f := r.advance(1)
		ctx.Dispatch(func(ctx app.Context) {
			if p.run == r {
				p.show(ctx, f)
			}
		})
	})
}

// otFrameGap is the pause between frames while playing, so that the page
// stays responsive (the wasm has one thread).
const otFrameGap = 15 * time.Millisecond

func (p *OTPage) onPlay(ctx app.Context, e app.Event) {
	r := p.run
	if r == nil || r.playing.Swap(true) {
		return
	}
	steps := p.state.Int("steps")
	maxIter := ot.DefaultMaxIter
	ctx.Async(func() {
		for r.playing.Load() && !r.closed.Load() {
			f := r.advance(steps)
			stop := f.Error != "" || f.Converged || f.Iteration >= maxIter
			if stop {
				r.playing.Store(false)
				if f.Error == "" {
					f = r.advance(0) // the last frame with every view refreshed
				}
				f.Playing = false
			}
			ctx.Dispatch(func(ctx app.Context) {
				if p.run == r {
					f.Playing = r.playing.Load() // Pause may have come meanwhile
					p.show(ctx, f)
				}
			})
			if stop {
				return
			}
			time.Sleep(otFrameGap)
		}
	})
	p.frame = p.frameWithPlaying(true)
}

func (p *OTPage) onPause(ctx app.Context, e app.Event) {
	if r := p.run; r != nil {
		r.playing.Store(false)
		if f := p.frameWithPlaying(false); f != nil {
			p.show(ctx, *f) // publish: scripts see the pause
		}
		// Refresh the views that playing left as they were.
		ctx.Async(func() {
			f := r.advance(0)
			ctx.Dispatch(func(ctx app.Context) {
				if p.run == r && !r.playing.Load() {
					p.show(ctx, f)
				}
			})
		})
	}
}

func (p *OTPage) onReset(ctx app.Context, e app.Event) { p.reset(ctx) }

func (p *OTPage) frameWithPlaying(on bool) *OTFrame {
	if p.frame == nil {
		return nil
	}
	f := *p.frame
	f.Playing = on
	return &f
}

// onApply validates the form into a state and navigates to its URL.
func (p *OTPage) onApply(ctx app.Context, e app.Event) {
	st, err := p.form.state(p.state)
	if err != nil {
		p.stateErr = err.Error()
		return
	}
	ctx.Navigate(PageURL(p.path, st))
}

// Render shows the controls, the numbers, the plan and the chart.
func (p *OTPage) Render() app.UI {
	if p.state.Schema() == nil {
		p.state = OTSchema.Defaults()
	}
	l := Layout{Path: OTPath, Title: "Entropic OT: Sinkhorn, step by step", Embed: p.embed}
	f := p.frame
	if f != nil {
		l.Status = &f.Backend
		if f.TimingsMS != nil {
			l.Timings = []Timing{
				{"setup", ms(f.TimingsMS["setup"])},
				{"last iterations", ms(f.TimingsMS["step"])},
				{"last frame", ms(f.TimingsMS["frame"])},
			}
		}
	}
	playing := f != nil && f.Playing
	ready := p.run != nil && f != nil && f.Error == ""
	controls := app.Div().Class("otplay-controls").Body(
		button("step", "Step", !ready || playing, p.onStep),
		button("play", "Play", !ready || playing, p.onPlay),
		button("pause", "Pause", !playing, p.onPause),
		button("reset", "Reset", p.run == nil, p.onReset),
	)
	var plan, chart, heat, potF, potG Figure
	var hover app.UI
	if f != nil {
		plan, chart, heat, potF, potG = f.plan, f.chart, f.heat, f.potF, f.potG
		if h := p.hover; h != nil && f.res != nil && ((h.set == "x" && h.index < f.prob.N) || (h.set == "y" && h.index < f.prob.M)) {
			info := otHoverInfo(f.prob, f.res, *h)
			plan.Lines = append(append([]LineSet{}, plan.Lines...), info.lines)
			hover = otHoverText(info)
		}
	}
	if pv := p.paintPreview(); pv != nil {
		plan.Points = append(append([]PointSet{}, plan.Points...), pv...)
	}
	if hover == nil {
		hover = app.P().ID("ot-hover").Class("otplay-hover").Text("Hover over a point of the plan view to see where its mass goes.")
	}
	if !p.embed {
		l.Panel = p.renderPanel()
	}
	l.Query, l.StateError = p.state.Encode(), p.stateErr
	if f == nil && p.stateErr == "" {
		l.Progress = &Progress{Phase: "Opening the backend and building the two clouds"}
	}
	return l.Render(
		controls,
		app.Div().Class("otplay-hero").Body(
			app.Div().Class("otplay-hoverable otplay-main-view otplay-view").DataSet("view", "ot-plan").DataSet("paint", p.paintMode).
				On("pointerdown", p.onPointerDown).On("pointermove", p.onPointerMove).
				On("pointerup", p.onPointerUp).On("pointerleave", p.onPointerUp).On("pointercancel", p.onPointerUp).Body(
				&Plot{ID: "ot-plan", Figure: plan},
			),
			app.Div().Class("otplay-side").Body(
				p.renderStats(),
				hover,
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

func (p *OTPage) renderPanel() app.UI {
	if p.form == nil {
		p.form = newParamForm(OTSchema, p.state)
	}
	var uploadErr app.UI
	if p.uploadErr != "" {
		uploadErr = app.P().ID("upload-error").Class("otplay-error").Text("Upload refused: " + p.uploadErr)
	}
	return app.Div().Body(
		p.form.render(p.onApply, map[string]app.UI{"x": p.uploadControl("x"), "y": p.uploadControl("y")}),
		uploadErr,
		p.paintControl(),
	)
}

func (p *OTPage) renderStats() app.UI {
	f := p.frame
	if f == nil {
		return app.Div().ID("ot-stats").DataSet("status", "opening").Class("otplay-result").Text("Opening the backend and uploading the clouds ...")
	}
	if f.Error != "" {
		return app.Div().ID("ot-stats").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + f.Error)
	}
	conv := otConvergence(f)
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 7, 64) }
	return app.Div().ID("ot-stats").Class("otplay-result").
		DataSet("status", "ready").
		DataSet("iteration", f.Iteration).
		Body(app.Table().Body(
			resultRow("method", f.Method+", eps = "+g(f.Eps)),
			resultRow("iteration", strconv.Itoa(f.Iteration)),
			resultRow("converged", conv),
			resultRow("transport cost <P, C>", g(f.Cost)),
			resultRow("objective OT_eps", g(f.Objective)),
			resultRow("marginal error", g(f.MarginalError)),
			resultRow("plan mass", g(f.Mass)),
			app.If(f.Tier != nil, func() app.UI { return otTierRow(f.Tier, g) }),
			app.If(f.Method == "divergence", func() app.UI {
				return resultRow("Sinkhorn divergence S = OT(a,b) - (OT(a,a) + OT(b,b))/2", g(f.Divergence)+" (OT(a,a) = "+g(f.SelfX)+", OT(b,b) = "+g(f.SelfY)+")")
			}),
		))
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

// otConvergence says whether the run converged and why, or why not yet,
// from the solver's own state: the residual against the tolerance, the
// iteration cap. Once the run has stopped (converged, or at the cap) the
// solver's own sentence says it, with what to do; while it runs, a short
// "not yet" does (the solver's advice to raise MaxIter would be noise
// mid-run).
func otConvergence(f *OTFrame) string {
	if f.Status != "" && f.Iteration > 0 && (f.Converged || f.Iteration >= ot.DefaultMaxIter) {
		return f.Status
	}
	last := math.NaN()
	if len(f.Residuals) > 0 {
		last = f.Residuals[len(f.Residuals)-1]
	}
	switch {
	case f.Converged:
		return fmt.Sprintf("yes: the residual %.3g is below the tolerance %g", last, ot.DefaultTol)
	case f.Iteration >= ot.DefaultMaxIter:
		return fmt.Sprintf("no: stopped at the %d-iteration cap with residual %.3g (tolerance %g); a larger ε converges faster", ot.DefaultMaxIter, last, ot.DefaultTol)
	case f.Iteration == 0:
		return "not yet: no iteration run (press Step or Play)"
	}
	return fmt.Sprintf("not yet: residual %.3g, tolerance %g", last, ot.DefaultTol)
}
