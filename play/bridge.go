package play

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/bridge"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
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
	{Name: "x", Label: "Source points μ", Group: "Data", Kind: KindChoice, Default: "8gaussians", Choices: PointSets, Help: "source data set μ at t = 0 (seed; upload: your CSV or .npy of 2-D points)"},
	{Name: "y", Label: "Target points ν", Group: "Data", Kind: KindChoice, Default: "moons", Choices: PointSets, Help: "target data set ν at t = 1 (seed + 1; upload as for x)"},
	{Name: "n", Label: "Number of source points", Group: "Data", Slider: true, Log: true, Kind: KindInt, Default: "200", Min: 1, Max: MaxBridgePoints, Help: "source points x_i"},
	{Name: "m", Label: "Number of target points", Group: "Data", Slider: true, Log: true, Kind: KindInt, Default: "200", Min: 1, Max: MaxBridgePoints, Help: "target points y_j"},
	{Name: "sigma", Label: "Noise σ", Group: "Bridge", Slider: true, Log: true, SliderMin: 0.01, SliderMax: 5, Math: `<mi>d</mi><mi>X</mi><mo>=</mo><mi>v</mi><mo>(</mo><mi>X</mi><mo>,</mo><mi>t</mi><mo>)</mo><mi>d</mi><mi>t</mi><mo>+</mo><mi>σ</mi><mi>d</mi><mi>W</mi><mo>,</mo><mspace width="0.5em"/><mi>ε</mi><mo>=</mo><mn>2</mn><msup><mi>σ</mi><mn>2</mn></msup>`, Kind: KindFloat, Default: "0.2", Min: 0, MinOpen: true, Max: 5, Help: "reference process dX = σ dW; the static bridge is entropic OT with ε = 2σ² and cost |x-y|²"},
	{Name: "particles", Label: "Particles", Group: "Bridge", Slider: true, Log: true, Kind: KindInt, Default: "300", Min: 1, Max: MaxBridgeParticles, Help: "new particles drawn from the source set (seed + 2), moved by dX = v(X,t) dt + σ dW"},
	{Name: "steps", Label: "Time steps", Group: "Bridge", Slider: true, Log: true, Kind: KindInt, Default: "50", Min: 1, Max: MaxBridgeSteps, Help: "Euler-Maruyama steps: X_{k+1} = X_k + h v(X_k, t_k) + σ √h Z_k, h = 1/steps"},
	{Name: "noise", Label: "Simulate", Group: "Bridge", Advanced: true, Kind: KindChoice, Default: "sde", Choices: []string{"sde", "drift"}, Help: "sde: the bridge's law; drift: the drift alone (no σ √h Z term), a diagnostic"},
	{Name: "transport", Label: "Transport", Group: "Bridge", ShownWhen: "noise=sde", Kind: KindChoice, Default: "drift", Choices: bridgeTransports(), Help: "how the particles follow the drift: drift (Euler-Maruyama, the bridge SDE), momentum (a moving average of the drifts) or fisher (the drift times the particles' covariance); only drift is the bridge's law"},
	{Name: "momentum", Label: "Momentum β", Group: "Bridge", ShownWhen: "transport=momentum", Slider: true, SliderMin: 0.05, SliderMax: 0.99, Math: bridgeMomentumMath, Kind: KindFloat, Default: "0.9", Min: 0, MinOpen: true, Max: 0.999, Help: "momentum transport: the velocity v ← β v + (1 - β) drift, started at 0, moves the particles by h v (FastSB-OT's heavy ball)"},
	{Name: "multiscale", Label: "Multiscale K", Group: "Bridge", Slider: true, Kind: KindInt, Default: "0", Min: 0, Max: MaxBridgePoints, Help: "0: off; K: solve the Sinkhorn plan first between about K points of each cloud, then the full plan from those potentials (same plan to the tolerance, fewer fine iterations)"},
	{Name: "seed", Label: "Random seed", Group: "Bridge", Advanced: true, Kind: KindInt, Default: "0", Min: 0, Max: 1 << 53, Help: "seed of the data, the particles, the paths and the noise"},
	{Name: "field", Label: "Arrows show", Group: "Display", Kind: KindChoice, Default: "drift", Choices: []string{"drift", "none"}, Help: "arrows: the drift v(x,t) = (E[Y | X_t = x] - x)/(1 - t), E[Y|x] = Σ_j w_j(x) y_j, w_j ∝ b_j exp(G_j/ε - |x-y_j|²/(ε(1-t)))"},
	{Name: "trail", Label: "Trail length", Group: "Display", Slider: true, Kind: KindInt, Default: "8", Min: 0, Max: 50, Help: "trail length: the last positions drawn behind each particle"},
	ComputeParam,
}

// BridgeTours are the /bridge page's presets.
var BridgeTours = []Tour{
	{Name: "A little noise: nearly straight paths", Query: "sigma=0.05",
		Caption: "With small σ the bridge is close to the optimal transport map and the particles move almost in straight lines. The static problem is entropic OT with a small ε = 2σ²."},
	{Name: "Much noise: wandering paths", Query: "sigma=1",
		Caption: "With σ = 1 the paths wander and cross before landing on the target. The endpoints still follow the target law: the drift corrects the noise."},
	{Name: "Drift alone", Query: "noise=drift&sigma=0.3",
		Caption: "Without the noise term the particles follow the drift of the bridge only, which is not the bridge's law. The endpoints bunch together: the noise is part of the process."},
	{Name: "Momentum against drift on 8gaussians", Query: "x=gaussian&y=8gaussians&sigma=0.1&steps=10&transport=momentum",
		Caption: "With 10 steps to 8gaussians the momentum transport lands closer to the target than the drift (switch Transport to drift to compare; solvers/bridge/RESULTS.md measured SW₂ 0.120 against 0.139) at about twice the path energy. It does not always help: on checkerboard it landed further away, and it is not the bridge's law."},
}

// bridgeMomentumMath typesets the momentum transport's velocity update
// v <- beta v + (1 - beta) drift (the particles then move by h v).
const bridgeMomentumMath = `<mi>v</mi><mo>←</mo><mi>β</mi><mi>v</mi><mo>+</mo><mo stretchy="false">(</mo><mn>1</mn><mo>−</mo><mi>β</mi><mo stretchy="false">)</mo><mspace width="0.2em"/><mtext>drift</mtext>`

// bridgeTransports are the names of bridge.Transports.
func bridgeTransports() []string {
	var names []string
	for _, t := range bridge.Transports {
		names = append(names, string(t))
	}
	return names
}

func init() {
	Register(Page{
		Path:    BridgePath,
		Title:   "Bridges",
		Summary: "Schrödinger bridges between two point clouds from their entropic plan: bridge paths over t, the drift field, and new particles carried across by the bridge SDE, step by step.",
		Schema:  BridgeSchema,
		Tours:   BridgeTours,
	})
}

// Bridge is the typed state of /bridge.
type Bridge struct {
	X, Y      string // data sets (or UploadChoice: Uploads holds the cloud)
	N, M      int
	Sigma     float64
	Particles int
	Steps     int
	Noise     string // sde or drift
	// Transport (drift, momentum or fisher) moves the particles in sde
	// mode (Noise = drift: the drift alone); Momentum is its beta.
	Transport string
	Momentum  float64
	// Multiscale is NewMultiscale's coarse point count (0: single scale).
	Multiscale int
	Seed       uint64
	Field      string // drift or none
	Trail      int
	Backend    string
	// Uploads are the clouds of X and Y when they are UploadChoice.
	Uploads [2]*data.Set
}

// ParseBridge reads the typed state from a decoded /bridge state.
func ParseBridge(st State) (Bridge, error) {
	return Bridge{X: st.String("x"), Y: st.String("y"), N: st.Int("n"), M: st.Int("m"), Sigma: st.Float("sigma"),
		Particles: st.Int("particles"), Steps: st.Int("steps"), Noise: st.String("noise"),
		Transport: st.String("transport"), Momentum: st.Float("momentum"), Multiscale: st.Int("multiscale"), Seed: uint64(st.Int("seed")),
		Field: st.String("field"), Trail: st.Int("trail"), Backend: st.String("backend")}, nil
}

// State encodes the typed state as URL state (uploads are not in it).
func (s Bridge) State() (State, error) {
	return BridgeSchema.Make(map[string]string{
		"x": s.X, "y": s.Y, "n": strconv.Itoa(s.N), "m": strconv.Itoa(s.M), "sigma": FormatFloat(s.Sigma),
		"particles": strconv.Itoa(s.Particles), "steps": strconv.Itoa(s.Steps), "noise": s.Noise,
		"transport": s.Transport, "momentum": FormatFloat(s.Momentum), "multiscale": strconv.Itoa(s.Multiscale),
		"seed": strconv.FormatUint(s.Seed, 10), "field": s.Field, "trail": strconv.Itoa(s.Trail), "backend": s.Backend,
	})
}

// cloud is data set name with n points and seed, or the upload k (its
// first n points).
func (s Bridge) cloud(k int, name string, n int, seed uint64) (data.Set, error) {
	if name != UploadChoice {
		return data.Generate(name, n, data.Options{Seed: seed})
	}
	u := s.Uploads[k]
	if u == nil {
		return data.Set{}, fmt.Errorf("%s = upload: choose a CSV or .npy file of 2-D points first (uploads are not part of the URL)", []string{"x", "y"}[k])
	}
	c := *u
	if c.N > n {
		c.Points, c.N = c.Points[:2*n], n
	}
	return c, nil
}

// Problem is the static problem: X with Seed, Y with Seed + 1 (or the
// uploads), uniform weights.
func (s Bridge) Problem() (ot.Problem, error) {
	xs, err := s.cloud(0, s.X, s.N, s.Seed)
	if err != nil {
		return ot.Problem{}, fmt.Errorf("x: %w", err)
	}
	ys, err := s.cloud(1, s.Y, s.M, s.Seed+1)
	if err != nil {
		return ot.Problem{}, fmt.Errorf("y: %w", err)
	}
	return ot.Problem{X: xs.Points, Y: ys.Points, N: xs.N, M: ys.N, D: 2}, nil
}

// ParticlesAt0 are the new particles: Particles points of the source set
// drawn with Seed + 2 (the same law as the source, none of its points);
// for an uploaded source, its points drawn with replacement (PCG of Seed
// + 2).
func (s Bridge) ParticlesAt0() ([]float64, error) {
	if s.X == UploadChoice {
		c, err := s.cloud(0, UploadChoice, MaxBridgePoints, 0)
		if err != nil {
			return nil, fmt.Errorf("particles: %w", err)
		}
		return ResamplePoints(c, s.Particles, s.Seed+2), nil
	}
	c, err := data.Generate(s.X, s.Particles, data.Options{Seed: s.Seed + 2})
	if err != nil {
		return nil, fmt.Errorf("particles: %w", err)
	}
	return c.Points, nil
}

// Settings are the bridge's settings (Sigma; package ot's defaults for
// the Sinkhorn solve).
func (s Bridge) Settings() bridge.Settings { return bridge.Settings{Sigma: s.Sigma} }

// SimSettings are the simulation settings (no callback), with the path
// energy. Transport and Momentum apply in sde mode only (the page hides
// the control otherwise); the drift diagnostic is the Euler step.
func (s Bridge) SimSettings() bridge.SimSettings {
	set := bridge.SimSettings{Steps: s.Steps, Seed: s.Seed, Deterministic: s.Noise == "drift", PathEnergy: true}
	if s.Noise == "sde" {
		set.Transport, set.Momentum = bridge.Transport(s.Transport), s.Momentum
	}
	return set
}

// NewBridge solves the static bridge of p on b: bridge.New, or
// bridge.NewMultiscale from about Multiscale points a cloud when it is
// set.
func (s Bridge) NewBridge(b compute.Backend, p ot.Problem) (*bridge.Bridge, bridge.MultiscaleInfo, error) {
	if s.Multiscale > 0 {
		return bridge.NewMultiscale(b, p, s.Settings(), s.Multiscale)
	}
	br, err := bridge.New(b, p, s.Settings())
	return br, bridge.MultiscaleInfo{}, err
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

// BridgeFrame is the state of a /bridge run: what the page shows and
// publishes.
type BridgeFrame struct {
	State string `json:"state"`
	AtEnd bool   `json:"finished"` // t = 1 reached
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
	// Coarse stage of a multiscale solve (CoarseN = 0: single scale).
	CoarseN          int `json:"coarseN"`
	CoarseM          int `json:"coarseM"`
	CoarseIterations int `json:"coarseIterations"`
	// Transport moved the particles (drift, momentum, fisher; beta
	// Momentum); PathEnergy is bridge.SimResult.PathEnergy, set at t = 1.
	Transport  string   `json:"transport"`
	Momentum   float64  `json:"momentum,omitempty"`
	PathEnergy *float64 `json:"pathEnergy,omitempty"`
	// X holds the first BridgePublished particles (n x 2), Mean the mean
	// of all; Nearest[k] the mean distance of the particles to their
	// nearest target point after step k (Nearest[0]: at t = 0).
	Particles int        `json:"particles"`
	X         []float64  `json:"x"`
	Mean      [2]float64 `json:"mean"`
	Nearest   []float64  `json:"nearest"`
	NearestT  []float64  `json:"nearestT"`
	// TimingsMS: "setup" (data, Sinkhorn, paths), "step" (the last
	// simulation steps), "frame" (steps + field + readbacks).
	TimingsMS map[string]float64 `json:"timingsMs"`

	// View (paths, field, particles) and Chart (distance to the target
	// against t); AllX every particle (n x 2).
	View, Chart figure.Figure `json:"-"`
	AllX        []float64     `json:"-"`
}

// Finished reports that the particles reached t = 1.
func (f BridgeFrame) Finished() bool { return f.AtEnd }

// ParticlesCSV lists every particle's position.
func (f BridgeFrame) ParticlesCSV() string {
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := 0; i+1 < len(f.AllX); i += 2 {
		b.WriteString(strconv.FormatFloat(f.AllX[i], 'g', -1, 64) + "," + strconv.FormatFloat(f.AllX[i+1], 'g', -1, 64) + "\n")
	}
	return b.String()
}

// bridgeRun steps bridge.Simulate with a samplerStepper: the simulation
// runs on its own goroutine and its per-step callback waits for the next
// Step, so that Step, Play and Reset drive the solver itself, one
// Euler-Maruyama step at a time. The simulation computes only while a
// Step (or Close) waits for it, under the Runner's lock.
type bridgeRun struct {
	s      Bridge
	br     *bridge.Bridge
	prob   ot.Problem
	paths  [][]float64
	times  []float64
	x0     []float64
	base   BridgeFrame
	frame  BridgeFrame
	trails [][]float64
	sim    *samplerStepper
	// result is what Simulate returned (set when it returns, after the
	// last step's callback).
	result bridge.SimResult
}

// Start solves the static bridge on b, draws the paths shown and the
// particles at t = 0.
func (s Bridge) Start(ctx context.Context, b compute.Backend, progress func(Progress)) (Run[BridgeFrame], error) {
	start := time.Now()
	st, err := s.State()
	if err != nil {
		return nil, err
	}
	r := &bridgeRun{s: s}
	r.base = BridgeFrame{State: st.Encode(), Particles: s.Particles, Steps: s.Steps, TimingsMS: map[string]float64{}}
	if r.prob, err = s.Problem(); err != nil {
		return nil, err
	}
	if r.x0, err = s.ParticlesAt0(); err != nil {
		return nil, err
	}
	progress(Progress{Phase: "Solving the static bridge (Sinkhorn at ε = 2σ²)"})
	var info bridge.MultiscaleInfo
	if r.br, info, err = s.NewBridge(b, r.prob); err != nil {
		return nil, err
	}
	r.base.Eps = r.br.Eps
	r.base.CoarseN, r.base.CoarseM, r.base.CoarseIterations = info.CoarseN, info.CoarseM, info.CoarseIterations
	set := s.SimSettings()
	r.base.Transport, r.base.Momentum = string(set.Transport), 0
	if r.base.Transport == "" {
		r.base.Transport = string(bridge.TransportDrift)
	}
	if set.Transport == bridge.TransportMomentum {
		r.base.Momentum = s.Momentum
	}
	if st := r.br.Static; st != nil {
		r.base.Iterations, r.base.Converged, r.base.Cost, r.base.MarginalError = st.Iterations, st.Converged, st.Cost, st.MarginalError
	}
	r.times = make([]float64, bridgePathTimes)
	for k := range r.times {
		r.times[k] = float64(k) / float64(bridgePathTimes-1)
	}
	progress(Progress{Phase: "Drawing the bridge paths"})
	if r.paths, err = r.br.Paths(r.times, min(bridgePathCount, r.prob.N*r.prob.M), s.Seed+3); err != nil {
		r.br.Free()
		return nil, err
	}
	r.base.TimingsMS["setup"] = millis(int64(time.Since(start)))
	r.sim = newSamplerStepper(func(callback func(diffusion.Step) error) error {
		set := s.SimSettings()
		set.Callback = func(step int, t float64, x []float64) error {
			return callback(diffusion.Step{Index: step, TNext: t, X: x})
		}
		res, err := r.br.Simulate(r.x0, set)
		r.result = res
		return err
	})
	r.frame = r.base
	if err := r.show(0, 0, r.x0, 0, time.Now()); err != nil {
		r.br.Free()
		return nil, err
	}
	return r, nil
}

// show makes the frame of step at time t with positions x.
func (r *bridgeRun) show(step int, t float64, x []float64, stepMS float64, fs time.Time) error {
	s, n := r.s, r.s.Particles
	f := &r.frame
	f.Step, f.T, f.AllX = step, t, x
	f.X = append([]float64(nil), x[:2*min(n, BridgePublished)]...)
	f.Mean = [2]float64{}
	for i := 0; i < n; i++ {
		f.Mean[0] += x[2*i] / float64(n)
		f.Mean[1] += x[2*i+1] / float64(n)
	}
	f.Nearest = append(append([]float64(nil), f.Nearest...), meanNearest(x[:2*min(n, 1000)], r.prob.Y))
	f.NearestT = append(append([]float64(nil), f.NearestT...), t)
	if s.Trail > 0 {
		r.trails = append(r.trails, append([]float64(nil), x[:2*min(n, TrailPoints)]...))
		if len(r.trails) > s.Trail+1 {
			r.trails = r.trails[1:]
		}
	}
	var pts, vec []float64
	if s.Field == "drift" && t < 1 {
		pts = FieldGridPoints()
		var err error
		if vec, err = r.br.DriftHost(pts, t); err != nil {
			return err
		}
	}
	f.View = bridgeViewFigure(r.prob, r.paths, r.times, t, x, r.trails, pts, vec)
	f.Chart = bridgeChart(f.Nearest, f.NearestT)
	f.AtEnd = step >= f.Steps
	f.TimingsMS = map[string]float64{"setup": r.base.TimingsMS["setup"], "step": stepMS, "frame": millis(int64(time.Since(fs)))}
	return nil
}

// Step takes k simulation steps (fewer at t = 1) and builds the frame.
func (r *bridgeRun) Step(ctx context.Context, k int, playing bool) (BridgeFrame, error) {
	fs := time.Now()
	for i := 0; i < k && !r.frame.AtEnd; i++ {
		if err := ctx.Err(); err != nil {
			return r.frame, err
		}
		st, end, err := r.sim.next()
		switch {
		case err != nil:
			return r.frame, err
		case end:
			return r.frame, fmt.Errorf("bridge: the simulation ended at step %d of %d", r.frame.Step, r.frame.Steps)
		}
		if err := r.show(st.Index+1, st.TNext, st.X, millis(int64(time.Since(fs))), fs); err != nil {
			return r.frame, err
		}
		if r.frame.AtEnd {
			// Let Simulate return: its result holds the path energy.
			if _, end, err := r.sim.next(); err != nil || !end {
				return r.frame, fmt.Errorf("bridge: the simulation did not end at t = 1 (%v)", err)
			}
			e := r.result.PathEnergy
			r.frame.PathEnergy = &e
		}
	}
	return r.frame, nil
}

// Close ends the simulation (its last readback and frees run here, under
// the Runner's lock) and frees the bridge.
func (r *bridgeRun) Close() {
	r.sim.close()
	r.br.Free()
}

// bridgeViewFigure draws the source (blue) and target (orange) clouds, the
// static bridge paths (grey polylines up to time t, faint after), the drift
// arrows (green), the trails and the particles (purple).
func bridgeViewFigure(p ot.Problem, paths [][]float64, times []float64, t float64, x []float64, trails [][]float64, pts, vec []float64) figure.Figure {
	w := ParticleWindow
	f := figure.Figure{Width: 520, Height: 520, EqualAspect: true, XMin: -w, XMax: w, YMin: -w, YMax: w,
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
	f.Lines = []figure.LineSet{
		{Segs: ahead, Opacity: 0.15, Color: "#555555"},
		{Segs: done, Opacity: 0.7, Color: "#555555", Width: 1.2},
	}
	if len(vec) > 0 {
		f.Lines = append(f.Lines, FieldArrows(pts, vec))
	}
	if len(trails) > 1 {
		tl := TrailSegments(trails)
		tl.Color = "#9467bd" // the particles' colour
		f.Lines = append(f.Lines, tl)
	}
	f.Points = []figure.PointSet{
		{XY: FirstTwo(p.X, 2, FigureMaxPoints), Color: "#1f77b4", Radius: 2, Label: "source x_i (t=0)"},
		{XY: FirstTwo(p.Y, 2, FigureMaxPoints), Color: "#ff7f0e", Radius: 2, Label: "target y_j (t=1)"},
		{XY: x, Color: "#9467bd", Radius: 1.8, Label: "particles X_t"},
	}
	if len(paths) > 0 {
		// The paths' positions at the shown time, on top.
		k := int(math.Round(t * float64(len(times)-1)))
		f.Points = append(f.Points, figure.PointSet{XY: paths[min(max(k, 0), len(paths)-1)], Color: "#333333", Radius: 2.2})
	}
	return f
}

// bridgeChart is the particles' mean distance to the nearest target point
// against t.
func bridgeChart(v, t []float64) figure.Figure {
	xy := make([]float64, 0, 2*len(v))
	for i := range v {
		xy = append(xy, t[i], v[i])
	}
	return figure.Figure{Width: 520, Height: 220, Title: "mean distance of the particles to the nearest target point (log scale)", LogY: true, XLabel: "time t", YLabel: "distance",
		Curves: []figure.Curve{{XY: xy, Color: "#d62728", Label: "distance"}}}
}
