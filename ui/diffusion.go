package ui

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/solvers/nn"
)

// DiffusionPath is the route of the diffusion sampling page.
const DiffusionPath = "/diffusion"

// Limits of /diffusion. Every step costs one model evaluation per
// particle (the exact model: a soft-mean over the data set, particles x
// data pairs), plus the field grid and the quality estimate, so 5000
// particles against 4096 data points is a few hundred milliseconds per
// step on the wasm CPU backend and a few on a GPU.
const (
	MaxDiffusionData      = 4096
	MaxDiffusionParticles = 5000
	MaxDiffusionSteps     = 1000
	MaxDiffusionTrain     = 20000
)

// Sizes of what the page draws and publishes.
const (
	// diffusionFieldGrid is the side of the grid of field arrows.
	diffusionFieldGrid = 17
	// diffusionWindow is the half-width of the fixed view [-w, w]^2: the
	// toys fill about [-2, 2]^2 and the prior N(0, I) about [-3, 3]^2.
	diffusionWindow = 3.2
	// diffusionTrailPoints is how many particles draw trails.
	diffusionTrailPoints = 1000
	// diffusionQualityPoints caps both samples of the per-step quality
	// estimate (an O((n + m)^2) MMD).
	diffusionQualityPoints = 500
	// DiffusionPublished is how many particles (and denoised estimates) a
	// frame publishes in window.otplayResult.
	DiffusionPublished = 256
)

// DiffusionSchema is the URL state of /diffusion. Defaults: 500 points of
// 8gaussians, the exact (empirical) denoiser, 500 particles, DPM-Solver++
// 2M in 25 steps on the linear DDPM schedule, the score field.
var DiffusionSchema = Schema{
	{Name: "data", Label: "Data set", Group: "Data", Kind: KindChoice, Default: "8gaussians", Choices: pointSets, Help: "data set p_0 (package data, seeded; upload: your CSV or .npy of 2-D points)"},
	{Name: "n", Label: "Data points", Group: "Data", Slider: true, Log: true, Kind: KindInt, Default: "500", Min: 1, Max: MaxDiffusionData, Help: "data points y_1..y_n (of an upload: the first n)"},
	{Name: "model", Label: "Denoiser", Group: "Model", Math: `<mi>D</mi><mo>(</mo><mi>x</mi><mo>,</mo><mi>t</mi><mo>)</mo><mo>=</mo><mi>𝔼</mi><mo>[</mo><msub><mi>x</mi><mn>0</mn></msub><mo>|</mo><msub><mi>x</mi><mi>t</mi></msub><mo>=</mo><mi>x</mi><mo>]</mo>`, Kind: KindChoice, Default: "empirical", Choices: []string{"empirical", "gmm", "mlp"}, Aliases: map[string]string{"exact": "empirical"},
		Help: "denoiser D(x,t) = E[x_0|x_t=x]: empirical = the exact denoiser of the data, a softmax-weighted mean, w_j ∝ exp(-|x - α_t y_j|²/2σ_t²); gmm = a fitted Gaussian mixture; mlp = a network trained here"},
	{Name: "k", Label: "Mixture components K", Group: "Model", ShownWhen: "model=gmm", Slider: true, Kind: KindInt, Default: "8", Min: 1, Max: 64, Help: "gmm: mixture components K of p_0 = Σ π_k N(μ_k, s² I), fitted by EM"},
	{Name: "train", Label: "Training steps", Group: "Model", ShownWhen: "model=mlp", Slider: true, Log: true, Kind: KindInt, Default: "1000", Min: 10, Max: MaxDiffusionTrain, Help: "mlp: Adam steps on L = E|ε_θ(α_t x_0 + σ_t ε, t) - ε|², batch 256"},
	{Name: "sampler", Label: "Sampler", Group: "Sampling", Kind: KindChoice, Default: "dpmpp2m", Choices: diffusion.SamplerNames(), Help: "reverse-process solver (ddpm, ddim η=0, DPM-Solver++ 2M/3M/2S, Heun, Euler-Maruyama, adaptive RK45)"},
	{Name: "steps", Label: "Sampling steps N", Group: "Sampling", Slider: true, Log: true, Kind: KindInt, Default: "25", Min: 1, Max: MaxDiffusionSteps, Help: "steps N from t=1 to t_end (NFE = N for first-order and multistep solvers)"},
	{Name: "schedule", Label: "Noise schedule", Group: "Sampling", Advanced: true, Math: `<msub><mi>x</mi><mi>t</mi></msub><mo>=</mo><msub><mi>α</mi><mi>t</mi></msub><msub><mi>x</mi><mn>0</mn></msub><mo>+</mo><msub><mi>σ</mi><mi>t</mi></msub><mi>ε</mi>`, Kind: KindChoice, Default: "linear", Choices: diffusion.ScheduleNames, Help: "noise schedule: x_t = α_t x_0 + σ_t ε, α_t² + σ_t² = 1"},
	{Name: "particles", Label: "Particles", Group: "Sampling", Slider: true, Log: true, Kind: KindInt, Default: "500", Min: 1, Max: MaxDiffusionParticles, Help: "particles x_1 ~ N(0, I) moved by the sampler"},
	{Name: "seed", Label: "Random seed", Group: "Sampling", Advanced: true, Kind: KindInt, Default: "0", Min: 0, Max: 1 << 53, Help: "seed of the data, the prior noise and the sampler's noise (Philox)"},
	{Name: "field", Label: "Arrows show", Group: "Display", Kind: KindChoice, Default: "score", Choices: []string{"score", "drift", "none"},
		Help: "arrows: score ∇log p_t = (α_t D - x)/σ_t², or the probability-flow drift in reverse time β_t/2 (x + ∇log p_t)"},
	{Name: "trail", Label: "Trail length", Group: "Display", Slider: true, Kind: KindInt, Default: "8", Min: 0, Max: 50, Help: "trail length: the last positions drawn behind each particle"},
	computeParam,
}

// DiffusionTours are the /diffusion page's presets.
var DiffusionTours = []Tour{
	{Name: "Few steps with a good solver", Query: "sampler=dpmpp2m&steps=10",
		Caption: "DPM-Solver++ 2M reaches the eight clusters in ten steps with the exact denoiser. Play and watch the particles fall onto the data as t goes from 1 to 0."},
	{Name: "The same budget with DDPM", Query: "sampler=ddpm&steps=10",
		Caption: "Ten ancestral DDPM steps leave the particles blurred between the clusters. The first-order stochastic sampler needs hundreds of steps where a second-order one needs ten."},
	{Name: "The exact denoiser memorises", Query: "n=50&particles=500&steps=50",
		Caption: "With only 50 data points the exact (empirical) denoiser sends every particle onto one of them. This is memorisation: the optimal denoiser of an empirical measure reproduces its points."},
	{Name: "A fitted mixture generalises", Query: "model=gmm&k=8&n=50&steps=50",
		Caption: "An 8-component Gaussian mixture fitted to the same 50 points gives a smooth density. The samples spread over each cluster instead of copying the data."},
}

func init() {
	Register(Page{
		Path:    DiffusionPath,
		Title:   "Diffusion",
		Summary: "The reverse diffusion process, step by step: particles with trails, the score or drift field, the denoised estimate, NFE and quality per step. Exact, Gaussian-mixture or trained models.",
		Schema:  DiffusionSchema,
		Tours:   DiffusionTours,
		New:     func() app.Composer { return &DiffusionPage{} },
	})
}

// DiffusionFrame is the state of a /diffusion run after some steps: what
// the page shows and publishes as window.otplayResult.
type DiffusionFrame struct {
	Page    string        `json:"page"`
	Done    bool          `json:"done"` // a frame was computed (not: finished)
	Error   string        `json:"error,omitempty"`
	Backend BackendStatus `json:"backend"`
	// State is the canonical query of the run's URL state.
	State string `json:"state"`
	// Phase: "training" (the MLP), "sampling" (steps remain) or
	// "finished".
	Phase    string `json:"phase"`
	Playing  bool   `json:"playing"`
	Finished bool   `json:"finished"`
	// Step is the number of sampler steps taken, Steps the number planned
	// (0 for the adaptive solver), T the time reached, NFE the model
	// evaluations so far.
	Step  int     `json:"step"`
	Steps int     `json:"steps"`
	T     float64 `json:"t"`
	NFE   int     `json:"nfe"`
	// Particles is the batch size; X and Denoised hold the first
	// DiffusionPublished particles (n x 2) and the sampler's denoised
	// estimate at the step's start time; Mean is the mean of all particles.
	Particles int        `json:"particles"`
	X         []float64  `json:"x"`
	Denoised  []float64  `json:"denoised,omitempty"`
	Mean      [2]float64 `json:"mean"`
	// Quality[k] is the MMD (Gaussian kernel of bandwidth QualityBandwidth,
	// the median heuristic on the data) between the denoised estimate of
	// step QualityStep[k] and the data, both capped at 500 points;
	// QualityNFE[k] the NFE then. SampleMMD is the same between the final
	// particles and the data (set once finished).
	Quality          []float64 `json:"quality"`
	QualityStep      []int     `json:"qualityStep"`
	QualityNFE       []int     `json:"qualityNfe"`
	QualityBandwidth float64   `json:"qualityBandwidth"`
	SampleMMD        float64   `json:"sampleMmd,omitempty"`
	// Training of the MLP: the batch loss at the steps LossAt.
	TrainStep  int       `json:"trainStep"`
	TrainSteps int       `json:"trainSteps"`
	Loss       []float64 `json:"loss,omitempty"`
	LossAt     []int     `json:"lossAt,omitempty"`
	// TimingsMS: "open", "setup" (data, model upload), "train", "step"
	// (the last sampler step), "frame" (step + field + quality readbacks).
	TimingsMS map[string]float64 `json:"timingsMs"`

	view, quality, loss Figure
	allX                []float64
}

// DiffusionData returns the data set of a state: data.Generate(data, n,
// seed), 2-D, or the first n points of the upload.
func DiffusionData(st State) ([]float64, int, error) {
	s, err := pointSet(DiffusionPath+":data", st.String("data"), st.Int("n"), uint64(st.Int("seed")))
	if err != nil {
		return nil, 0, fmt.Errorf("data: %w", err)
	}
	return s.Points, s.N, nil
}

// DiffusionSettings are the sampler settings of a state (no callback):
// the sampler, its steps and the seed (the sampler's default spacing and
// end time, its default stochasticity).
func DiffusionSettings(st State) (diffusion.Settings, error) {
	s, err := diffusion.ParseSampler(st.String("sampler"))
	if err != nil {
		return diffusion.Settings{}, fmt.Errorf("sampler: %w", err)
	}
	return diffusion.Settings{Sampler: s, Steps: st.Int("steps"), Seed: uint64(st.Int("seed"))}, nil
}

// DiffusionTrainSettings are the MLP's training settings of a state: train
// Adam steps, the package's defaults otherwise (batch 256, three hidden
// layers of 64, learning rate 2e-3), seed, a loss readback every
// max(1, min(10, train/100)) steps.
func DiffusionTrainSettings(st State) diffusion.TrainSettings {
	steps := st.Int("train")
	return diffusion.TrainSettings{Steps: steps, Seed: uint64(st.Int("seed")),
		LogEvery: max(1, min(10, steps/100)), Data: st.String("data")}
}

// diffusionMLPCache keeps the last trained network (host weights) so that
// Reset and a change of sampler do not train again. Guarded by computeMu.
var diffusionMLPCache struct {
	key    string
	net    *nn.MLP
	result diffusion.TrainResult
}

func diffusionMLPKey(st State, kind string) string {
	return strings.Join([]string{st.String("data"), st.String("n"), st.String("seed"), st.String("schedule"), st.String("train"), kind,
		strconv.Itoa(pointUploadVersion())}, "|")
}

// diffusionSetup is a model on a backend with its data and schedule.
type diffusionSetup struct {
	data  []float64
	n     int
	sched diffusion.Schedule
	model diffusion.Model
	free  func()
	train *diffusion.TrainResult
}

// newDiffusionSetup builds the state's model on b: the empirical denoiser
// of the data, a tied-std GMM fitted to it, or an MLP trained on it by
// diffusion.Train (progress is called at each loss readback). Call it with
// computeMu held.
func newDiffusionSetup(b compute.Backend, kind string, st State, progress func(step int, loss float64)) (*diffusionSetup, error) {
	x, n, err := DiffusionData(st)
	if err != nil {
		return nil, err
	}
	sched, err := diffusion.ParseSchedule(st.String("schedule"))
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	s := &diffusionSetup{data: x, n: n, sched: sched}
	switch st.String("model") {
	case "empirical":
		e, err := diffusion.NewEmpirical(b, x, n, 2, nil)
		if err != nil {
			return nil, fmt.Errorf("empirical model: %w", err)
		}
		s.model, s.free = e, e.Free
	case "gmm":
		fit, err := diffusion.FitTiedGMM(x, n, 2, st.Int("k"), uint64(st.Int("seed")))
		if err != nil {
			return nil, err
		}
		g, err := diffusion.NewGMM(b, fit.Weights, fit.Means, fit.Stds(), 2)
		if err != nil {
			return nil, fmt.Errorf("gmm model: %w", err)
		}
		s.model, s.free = g, g.Free
	case "mlp":
		key := diffusionMLPKey(st, kind)
		if diffusionMLPCache.key != key {
			set := DiffusionTrainSettings(st)
			set.Progress = progress
			net, res, err := diffusion.Train(b, sched, x, n, 2, set)
			if err != nil {
				return nil, fmt.Errorf("training: %w", err)
			}
			diffusionMLPCache.key, diffusionMLPCache.net, diffusionMLPCache.result = key, net, res
		}
		m, err := diffusion.NewMLP(b, diffusionMLPCache.net)
		if err != nil {
			return nil, fmt.Errorf("mlp model: %w", err)
		}
		res := diffusionMLPCache.result
		s.model, s.free, s.train = m, m.Free, &res
	default:
		return nil, fmt.Errorf("model = %q: want empirical, gmm or mlp", st.String("model"))
	}
	return s, nil
}

// qualityMMD scores samples against the first diffusionQualityPoints
// points of the data (n x 2) with metrics.MMDReference at the data's
// median bandwidth (fixed once, returned as h): the returned mmd uses the
// first diffusionQualityPoints rows of x and is NaN where either side has
// fewer than two points.
func qualityMMD(data []float64, n int) (mmd func(x []float64) float64, h float64) {
	qm := min(n, diffusionQualityPoints)
	qdata := data[:2*qm]
	h = metrics.MedianBandwidth(qdata, qdata, 2)
	ref, err := metrics.NewMMDReference(qdata, qm, 2, h)
	return func(x []float64) float64 {
		q := min(len(x)/2, diffusionQualityPoints)
		if err != nil || q < 2 {
			return math.NaN()
		}
		r, err := ref.MMD(x[:2*q], q)
		if err != nil {
			return math.NaN()
		}
		return r.MMD
	}, h
}

// diffusionField evaluates the field the view draws at time t on the
// arrow grid: the score (α D(x) - x)/σ² or the reverse-time
// probability-flow drift -dlogα/dt (x + score) (Song et al. 2021, eq.
// (13), with f = dlogα/dt and g² = -2 dlogα/dt for a VP schedule; time
// runs backwards so its sign flips). It returns the grid points and the
// vectors (host slices). The model evaluation here is not counted in NFE.
func diffusionField(b compute.Backend, s *diffusionSetup, t float64, kind string) (pts, vec []float64, err error) {
	g := diffusionFieldGrid
	pts = make([]float64, 0, 2*g*g)
	for r := 0; r < g; r++ {
		for c := 0; c < g; c++ {
			step := 2 * diffusionWindow / float64(g)
			pts = append(pts, -diffusionWindow+(float64(c)+0.5)*step, -diffusionWindow+(float64(r)+0.5)*step)
		}
	}
	xa, err := b.Upload(pts)
	if err != nil {
		return nil, nil, err
	}
	defer b.Free(xa)
	da, err := b.Alloc(len(pts))
	if err != nil {
		return nil, nil, err
	}
	defer b.Free(da)
	at := diffusion.At(s.sched, t)
	if err := diffusion.Denoise(b, s.model, da, xa, g*g, at); err != nil {
		return nil, nil, err
	}
	den := make([]float64, len(pts))
	if err := b.Read(den, da); err != nil {
		return nil, nil, err
	}
	vec = make([]float64, len(pts))
	s2 := at.Sigma * at.Sigma
	dla := s.sched.DLogAlpha(t)
	for i := range pts {
		score := (at.Alpha*den[i] - pts[i]) / s2
		if kind == "drift" {
			vec[i] = -dla * (pts[i] + score)
		} else {
			vec[i] = score
		}
	}
	return pts, vec, nil
}

// arrowSegments draws vectors at points as arrows (a shaft and two head
// strokes). Lengths are to scale up to the 90th percentile of the
// magnitudes, which is drawn maxLen long; longer vectors are clipped to
// maxLen (a score grows linearly away from the data, and scaling by the
// largest vector would shrink the informative arrows near the data to
// dots).
func arrowSegments(pts, vec []float64, maxLen float64) []float64 {
	var mags []float64
	for i := 0; i+1 < len(vec); i += 2 {
		if l := math.Hypot(vec[i], vec[i+1]); l > 0 && !math.IsInf(l, 0) && !math.IsNaN(l) {
			mags = append(mags, l)
		}
	}
	if len(mags) == 0 {
		return nil
	}
	slices.Sort(mags)
	top := mags[min(len(mags)-1, int(0.9*float64(len(mags))))]
	segs := make([]float64, 0, 6*len(pts))
	for i := 0; i+1 < len(pts); i += 2 {
		vx, vy := vec[i]/top*maxLen, vec[i+1]/top*maxLen
		if l := math.Hypot(vx, vy); l > maxLen {
			vx, vy = vx/l*maxLen, vy/l*maxLen
		}
		if math.IsNaN(vx) || math.IsNaN(vy) || math.Hypot(vx, vy) < 1e-3*maxLen {
			continue
		}
		x0, y0 := pts[i], pts[i+1]
		x1, y1 := x0+vx, y0+vy
		segs = append(segs, x0, y0, x1, y1)
		// Head: two strokes at ±25 degrees, a quarter of the length.
		for _, a := range []float64{0.44, -0.44} {
			c, s := math.Cos(a), math.Sin(a)
			hx, hy := -(vx*c-vy*s)/4, -(vx*s+vy*c)/4
			segs = append(segs, x1, y1, x1+hx, y1+hy)
		}
	}
	return segs
}

// diffusionRun is one sampling run: its gate (Step/Play/Pause/Reset) and
// the state it was started with.
type diffusionRun struct {
	st   State
	gate *stepGate
}

// runDiffusion performs a run: open the backend, build (or train) the
// model, draw the prior sample, then sample with a callback that emits a
// frame after every step and waits at the gate for the next one. yield is
// called during training after each frame (the browser repaints then).
// It returns when the run finishes, fails or is stopped.
func runDiffusion(st State, g *stepGate, emit func(DiffusionFrame), yield func()) {
	computeMu.Lock()
	status := OpenBackend(st.String("backend"))
	computeMu.Unlock()
	runDiffusionOn(status, st, g, emit, yield)
}

// runDiffusionOn is runDiffusion on a given backend.
func runDiffusionOn(status BackendStatus, st State, g *stepGate, emit func(DiffusionFrame), yield func()) {
	computeMu.Lock()
	defer computeMu.Unlock()
	base := DiffusionFrame{Page: DiffusionPath, Done: true, State: st.Encode(), Particles: st.Int("particles"),
		TimingsMS: map[string]float64{}}
	fail := func(err error) {
		f := base
		f.Error = err.Error()
		f.Phase = "finished"
		emit(f)
	}
	b := status.Backend
	base.Backend = status
	base.TimingsMS["open"] = float64(status.Open) / 1e6
	msSince := func(t time.Time) float64 { return float64(time.Since(t)) / 1e6 }

	start := time.Now()
	trainFrame := base
	trainFrame.Phase = "training"
	if st.String("model") == "mlp" {
		trainFrame.TrainSteps = st.Int("train")
	}
	progress := func(step int, loss float64) {
		trainFrame.TrainStep = step
		trainFrame.Loss = append(trainFrame.Loss, loss)
		trainFrame.LossAt = append(trainFrame.LossAt, step)
		f := trainFrame
		f.Loss, f.LossAt = append([]float64(nil), f.Loss...), append([]int(nil), f.LossAt...)
		f.loss = diffusionLossFigure(f.Loss, f.LossAt)
		f.view = diffusionViewFigure(nil, nil, nil, nil, nil, nil, "training the network ...")
		emit(f)
		if yield != nil {
			yield()
		}
	}
	setup, err := newDiffusionSetup(b, status.Kind, st, progress)
	if err != nil {
		fail(fmt.Errorf("%s backend: %w", status.Kind, err))
		return
	}
	defer setup.free()
	if setup.train != nil {
		base.TrainSteps, base.TrainStep = setup.train.Steps, setup.train.Steps
		base.Loss, base.LossAt = setup.train.Losses, setup.train.LossAt
		base.TimingsMS["train"] = float64(setup.train.Duration) / 1e6
	}
	set, err := DiffusionSettings(st)
	if err != nil {
		fail(err)
		return
	}
	n := st.Int("particles")
	xa, err := b.Alloc(n * 2)
	if err != nil {
		fail(err)
		return
	}
	defer b.Free(xa)
	if err := diffusion.InitialNoise(b, xa, set.Seed); err != nil {
		fail(err)
		return
	}
	x0 := make([]float64, 2*n)
	if err := b.Read(x0, xa); err != nil {
		fail(err)
		return
	}
	base.TimingsMS["setup"] = msSince(start) - base.TimingsMS["train"]
	base.Steps = set.Steps
	if set.Sampler == diffusion.ODEAdaptive {
		base.Steps = 0
	}
	tEnd := setup.sched.DefaultTEnd()

	// The quality reference: the data, its bandwidth fixed once.
	qualityOf, h := qualityMMD(setup.data, setup.n)
	base.QualityBandwidth = h
	mmd := func(x []float64) (float64, error) { return qualityOf(x), nil }

	var trails [][]float64 // recent positions of the first particles
	frame := base
	frame.Phase = "sampling"
	// show fills and emits a frame at time t with positions x.
	show := func(t float64, x, den []float64, stepMS float64, frameStart time.Time) error {
		frame.T = t
		frame.allX = x
		frame.X = append([]float64(nil), x[:2*min(n, DiffusionPublished)]...)
		frame.Denoised = nil
		if den != nil {
			frame.Denoised = append([]float64(nil), den[:2*min(n, DiffusionPublished)]...)
		}
		frame.Mean = [2]float64{}
		for i := 0; i < n; i++ {
			frame.Mean[0] += x[2*i] / float64(n)
			frame.Mean[1] += x[2*i+1] / float64(n)
		}
		keep := min(n, diffusionTrailPoints)
		if st.Int("trail") > 0 {
			trails = append(trails, append([]float64(nil), x[:2*keep]...))
			if len(trails) > st.Int("trail")+1 {
				trails = trails[1:]
			}
		}
		var pts, vec []float64
		if kind := st.String("field"); kind != "none" {
			var err error
			if pts, vec, err = diffusionField(b, setup, t, kind); err != nil {
				return err
			}
		}
		if frame.Finished {
			q, err := mmd(x)
			if err != nil {
				return err
			}
			frame.SampleMMD = q
		}
		title := fmt.Sprintf("t = %.4f, step %d", t, frame.Step)
		frame.view = diffusionViewFigure(setup.data, x, den, trails, pts, vec, title)
		frame.quality = diffusionQualityFigure(frame.Quality, frame.QualityNFE)
		frame.loss = diffusionLossFigure(frame.Loss, frame.LossAt)
		frame.TimingsMS = map[string]float64{}
		for k, v := range base.TimingsMS {
			frame.TimingsMS[k] = v
		}
		frame.TimingsMS["step"] = stepMS
		frame.TimingsMS["frame"] = msSince(frameStart)
		frame.Playing = g.playing.Load() && !frame.Finished
		if frame.Finished {
			frame.Phase = "finished"
		}
		f := frame
		f.Quality = append([]float64(nil), frame.Quality...)
		f.QualityStep = append([]int(nil), frame.QualityStep...)
		f.QualityNFE = append([]int(nil), frame.QualityNFE...)
		emit(f)
		return nil
	}
	if err := show(1, x0, nil, 0, time.Now()); err != nil {
		fail(err)
		return
	}
	if err := g.wait(); err != nil {
		return
	}
	resumed := time.Now()
	set.Callback = func(s diffusion.Step) error {
		stepMS := msSince(resumed)
		fs := time.Now()
		frame.Step, frame.NFE = s.Index+1, s.NFE
		q, err := mmd(s.Denoised)
		if err != nil {
			return err
		}
		frame.Quality = append(frame.Quality, q)
		frame.QualityStep = append(frame.QualityStep, s.Index+1)
		frame.QualityNFE = append(frame.QualityNFE, s.NFE)
		frame.Finished = s.TNext <= tEnd*(1+1e-9)
		if err := show(s.TNext, s.X, s.Denoised, stepMS, fs); err != nil {
			return err
		}
		if frame.Finished {
			return nil
		}
		if err := g.wait(); err != nil {
			return err
		}
		resumed = time.Now()
		return nil
	}
	if _, err := diffusion.Sample(b, setup.model, setup.sched, xa, n, set); err != nil && err != errRunStopped {
		fail(err)
		return
	}
	if !frame.Finished && !g.stopped.Load() {
		// The solver ended at a time other than its default end (it should
		// not): report the last frame as finished.
		frame.Finished = true
		frame.Phase = "finished"
		f := frame
		emit(f)
	}
}

// diffusionViewFigure draws the data (grey), the field arrows (green),
// the trails, the particles (blue) and the denoised estimate (orange) in
// the fixed window [-3.2, 3.2]^2.
func diffusionViewFigure(dataXY, x, den []float64, trails [][]float64, pts, vec []float64, title string) Figure {
	w := diffusionWindow
	f := Figure{Width: 520, Height: 520, Title: title, EqualAspect: true, XMin: -w, XMax: w, YMin: -w, YMax: w}
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
		f.Lines = append(f.Lines, LineSet{Segs: segs, Alpha: alpha, Color: "#7f7f7f", Width: 1})
	}
	f.Points = []PointSet{{XY: firstTwo(dataXY, 2, figureMaxPoints), Color: "#c7c7c7", Radius: 1.5, Label: "data"}}
	if len(x) > 0 {
		f.Points = append(f.Points, PointSet{XY: x, Color: "#1f77b4", Radius: 1.8, Label: "particles x_t"})
	}
	if len(den) > 0 {
		f.Points = append(f.Points, PointSet{XY: firstTwo(den, 2, figureMaxPoints), Color: "#ff7f0e", Radius: 1.3, Label: "denoised D(x_t)"})
	}
	return f
}

// diffusionQualityFigure is the MMD of the denoised estimate against NFE.
func diffusionQualityFigure(q []float64, nfe []int) Figure {
	xy := make([]float64, 0, 2*len(q))
	for i, v := range q {
		xy = append(xy, float64(nfe[i]), v)
	}
	// Linear y: the MMD reaches 0 (the estimator's max(MMD², 0)) once the
	// sample is within the noise floor, which a log scale would drop.
	return Figure{Width: 520, Height: 220, Title: "MMD(denoised estimate, data) against NFE", XLabel: "NFE", YLabel: "MMD",
		Curves: []Curve{{XY: xy, Color: "#9467bd", Label: "MMD"}}}
}

// diffusionLossFigure is the MLP's training loss against the step.
func diffusionLossFigure(loss []float64, at []int) Figure {
	xy := make([]float64, 0, 2*len(loss))
	for i, v := range loss {
		xy = append(xy, float64(at[i]), v)
	}
	return Figure{Width: 520, Height: 220, Title: "training loss |ε_θ - ε|² per step (log scale)", LogY: true, XLabel: "Adam step", YLabel: "loss",
		Curves: []Curve{{XY: xy, Color: "#d62728", Label: "loss"}}}
}

// DiffusionPage is the /diffusion page: the reverse process of package
// diffusion played on a cloud of particles.
//
// The model is the data's exact denoiser (diffusion.Empirical: one
// soft-mean over the data per evaluation), a tied-std Gaussian mixture
// fitted by FitTiedGMM (diffusion.GMM), or an MLP trained in the page by
// diffusion.Train with the loss curve drawn live (training yields to the
// browser at every loss readback, at most every 10 Adam steps; the last
// network is cached so Reset and sampler changes do not retrain). The
// particles start at diffusion.InitialNoise(seed) and the sampler runs in
// a goroutine whose per-step callback emits a frame and then waits at a
// stepGate: Step allows one step, Play runs freely with a 15 ms frame gap,
// Pause stops after the current step, Reset starts a fresh run. Every
// frame shows the particles with trails, the field at the current time
// (score or reverse-time probability-flow drift on a 17 x 17 grid, one
// model evaluation not counted in NFE), the denoised estimate, and the
// MMD of the estimate against the data per NFE. URL parameters: see
// DiffusionSchema; the published frame is DiffusionFrame.
type DiffusionPage struct {
	app.Compo

	stopLost func() // ends the device-loss subscription (OnMount)

	path      string
	embed     bool
	state     State
	stateErr  string
	form      *paramForm
	run       *diffusionRun
	frame     *DiffusionFrame
	uploadErr string
}

func (p *DiffusionPage) onUpload(ctx app.Context, e app.Event) {
	handlePointUpload(ctx, "upload-data", DiffusionPath+":data", "data", MaxDiffusionData, p.state, p.path, p.reset,
		func(s string) { p.uploadErr = s })
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
	if p.run != nil {
		p.run.gate.stop()
	}
}

func (p *DiffusionPage) reset(ctx app.Context) {
	if p.run != nil {
		p.run.gate.stop()
	}
	p.frame = nil
	p.run = nil
	if !app.IsClient {
		return
	}
	r := &diffusionRun{st: p.state, gate: newStepGate()}
	p.run = r
	ctx.Async(func() {
		emit := func(f DiffusionFrame) {
			ctx.Dispatch(func(ctx app.Context) {
				if p.run != r {
					return
				}
				p.frame = &f
				ctx.Defer(func(app.Context) { publishResult(DiffusionPath, f) })
			})
		}
		runDiffusion(r.st, r.gate, emit, func() { time.Sleep(time.Millisecond) })
	})
}

func (p *DiffusionPage) onStep(ctx app.Context, e app.Event) {
	if p.run != nil {
		p.run.gate.step()
	}
}

func (p *DiffusionPage) onPlay(ctx app.Context, e app.Event) {
	if p.run != nil {
		p.run.gate.play()
		if p.frame != nil {
			f := *p.frame
			f.Playing = !f.Finished
			p.frame = &f
		}
	}
}

func (p *DiffusionPage) onPause(ctx app.Context, e app.Event) {
	if p.run != nil {
		p.run.gate.pause()
		if p.frame != nil {
			f := *p.frame
			f.Playing = false
			p.frame = &f
		}
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

// Render shows the form, the controls, the numbers and the views.
func (p *DiffusionPage) Render() app.UI {
	if p.state.Schema() == nil {
		p.state = DiffusionSchema.Defaults()
	}
	if p.form == nil {
		p.form = newParamForm(DiffusionSchema, p.state)
	}
	l := Layout{Path: DiffusionPath, Title: "Diffusion: the reverse process, step by step", Embed: p.embed}
	f := p.frame
	var view, quality, loss Figure
	if f != nil {
		l.Status = &f.Backend
		view, quality, loss = f.view, f.quality, f.loss
		for _, k := range []string{"open", "setup", "train", "step", "frame"} {
			if v, ok := f.TimingsMS[k]; ok {
				l.Timings = append(l.Timings, Timing{diffusionTimingLabel[k], ms(v)})
			}
		}
	}
	sampling := f != nil && f.Error == "" && f.Phase == "sampling"
	playing := sampling && f.Playing
	controls := app.Div().Class("otplay-controls").Body(
		button("step", "Step", !sampling || playing, p.onStep),
		button("play", "Play", !sampling || playing, p.onPlay),
		button("pause", "Pause", !playing, p.onPause),
		button("reset", "Reset", p.run == nil, p.onReset),
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
	l.Progress = diffusionProgress(f, p.state)
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

func (p *DiffusionPage) frameJSON() string {
	if p.frame == nil {
		return "{}"
	}
	v, _ := json.MarshalIndent(p.frame, "", " ")
	return string(v)
}

func (p *DiffusionPage) renderStats() app.UI {
	f := p.frame
	if f == nil {
		return app.Div().ID("diffusion-stats").DataSet("status", "opening").Class("otplay-result").Text("Opening the backend and building the model ...")
	}
	if f.Error != "" {
		return app.Div().ID("diffusion-stats").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + f.Error)
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	if f.Phase == "training" {
		return app.Div().ID("diffusion-stats").DataSet("status", "training").Class("otplay-result").Body(
			app.Text(fmt.Sprintf("Training the network: step %d of %d ", f.TrainStep, f.TrainSteps)),
			app.Progress().ID("train-progress").Max(f.TrainSteps).Value(f.TrainStep),
		)
	}
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
	if f.Finished {
		rows = append(rows, resultRow("MMD(sample, data)", g(f.SampleMMD)))
	}
	if len(f.Loss) > 0 {
		rows = append(rows, resultRow("final training loss", g(f.Loss[len(f.Loss)-1])))
	}
	return app.Div().ID("diffusion-stats").Class("otplay-result").
		DataSet("status", f.Phase).DataSet("step", f.Step).
		Body(app.Table().Body(rows...))
}

// OnMount subscribes to device losses: when the GPU device behind the
// page's run is lost, the run starts again on the CPU.
func (p *DiffusionPage) OnMount(ctx app.Context) {
	p.stopLost = restartOnLoss(ctx, func() compute.Backend {
		if p.frame == nil {
			return nil
		}
		return p.frame.Backend.Backend
	}, p.reset)
}

// diffusionProgress is the long phase the page is in (nil when sampling).
func diffusionProgress(f *DiffusionFrame, st State) *Progress {
	switch {
	case f == nil:
		switch st.String("model") {
		case "gmm":
			return &Progress{Phase: fmt.Sprintf("Opening the backend and fitting a %d-component Gaussian mixture by EM", st.Int("k"))}
		case "mlp":
			return &Progress{Phase: "Opening the backend"}
		}
		return &Progress{Phase: "Opening the backend and uploading the data"}
	case f.Error == "" && f.Phase == "training":
		return &Progress{Phase: "Training the denoising network", Done: f.TrainStep, Total: f.TrainSteps, Unit: "Adam steps"}
	}
	return nil
}
