package ui

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/solvers/truncate"
)

// TruncatePath is the route of the truncated diffusion page.
const TruncatePath = "/truncate"

// Limits of /truncate: like /diffusion, and the quality ladder runs both
// samplers once per rung.
const (
	MaxTruncateParticles = 2000
	MaxTruncateSteps     = 200
	// TruncatePublished is how many particles of each side a frame
	// publishes.
	TruncatePublished = 128
)

// truncateLadder are the step counts of the quality-against-NFE chart
// (the page's own steps are added).
var truncateLadder = []int{1, 2, 3, 5, 8, 13, 20}

// truncateSamplers are the fixed-step samplers (equal NFE needs a fixed
// number of model evaluations; the adaptive solver is left out).
var truncateSamplers = []string{"ddim", "ddpm", "dpmpp2m", "dpmpp3m", "dpmpp2s", "heun", "euler-maruyama"}

// TruncateSchema is the URL state of /truncate. Defaults: 500 points of
// 8gaussians, the exact model, T_trunc = 300 of T = 1000 on the linear
// schedule (t = 0.3, where q(x_t) still shows the eight clusters), the
// entropic prior, DPM-Solver++ 2M in 5 steps for both sides, 400
// particles.
var TruncateSchema = Schema{
	{Name: "data", Label: "Data set", Group: "Data", Kind: KindChoice, Default: "8gaussians", Choices: pointSets, Help: "data set p_0 (package data, seeded; upload: your CSV or .npy of 2-D points, shared with /diffusion)"},
	{Name: "n", Label: "Data points", Group: "Data", Slider: true, Log: true, Kind: KindInt, Default: "500", Min: 2, Max: MaxDiffusionData, Help: "data points"},
	{Name: "model", Label: "Denoiser", Group: "Model", Kind: KindChoice, Default: "empirical", Choices: []string{"empirical", "gmm", "mlp"}, Aliases: map[string]string{"exact": "empirical"}, Help: "denoiser D(x,t): empirical (the data's exact denoiser, a softmax-weighted mean; model=exact is its old name), gmm (fitted mixture) or mlp (trained here)"},
	{Name: "k", Label: "Mixture components K", Group: "Model", ShownWhen: "model=gmm", Slider: true, Kind: KindInt, Default: "8", Min: 1, Max: 64, Help: "gmm: mixture components K"},
	{Name: "train", Label: "Training steps", Group: "Model", ShownWhen: "model=mlp", Slider: true, Log: true, Kind: KindInt, Default: "1000", Min: 10, Max: MaxDiffusionTrain, Help: "mlp: Adam steps of denoising score matching"},
	{Name: "schedule", Label: "Noise schedule", Group: "Model", Advanced: true, Kind: KindChoice, Default: "linear", Choices: diffusion.ScheduleNames, Help: "noise schedule x_t = α_t x_0 + σ_t ε (T = 1000 steps, t = n/T)"},
	{Name: "ttrunc", Label: "Truncation step T_trunc", Group: "Truncation", Math: `<msub><mi>t</mi><mtext>start</mtext></msub><mo>=</mo><msub><mi>T</mi><mtext>trunc</mtext></msub><mo>/</mo><mi>T</mi>`, Kind: KindInt, Default: "300", Min: 2, Max: diffusion.DefaultT, Help: "T_trunc: the truncated reverse process starts at t = T_trunc/T from the prior instead of at t = 1 from N(0, I)"},
	{Name: "prior", Label: "Prior where sampling starts", Group: "Truncation", Kind: KindChoice, Default: "entropic", Choices: truncate.PriorNames,
		Help: "prior for x_{T_trunc}: gaussian N(0, I) (the baseline); sliced f(z) = z + g(z) trained on SW_2²(f(z), x_t); entropic T(z) = Σ_k w_k(z) x_k, w_k ∝ e^{(G_k - |z - z_k|²)/ε}"},
	{Name: "fit", Label: "Prior fit samples K", Group: "Truncation", ShownWhen: "prior=entropic|sliced", Slider: true, Log: true, Kind: KindInt, Default: "500", Min: 16, Max: 4000, Help: "prior fit samples K: entropic prior = Sinkhorn between K normals z_k and K samples x_k of q(x_t) (K² pairs); 500 keeps the page's fit under a second or two"},
	{Name: "priorsteps", Label: "Sliced prior training steps", Group: "Truncation", ShownWhen: "prior=sliced", Advanced: true, Kind: KindInt, Default: "600", Min: 1, Max: 5000, Help: "sliced prior: Adam steps on SW_2²(f(z), x_t), batches of 256, 64 directions each"},
	{Name: "sampler", Label: "Sampler", Group: "Sampling", Kind: KindChoice, Default: "dpmpp2m", Choices: truncateSamplers, Help: "the sampler of both sides (fixed steps, so equal steps give equal NFE)"},
	{Name: "steps", Label: "Sampling steps", Group: "Sampling", Slider: true, Kind: KindInt, Default: "5", Min: 1, Max: MaxTruncateSteps, Help: "steps of both sides: full from t = 1, truncated from t = T_trunc/T, both to t_end"},
	{Name: "particles", Label: "Particles per side", Group: "Sampling", Slider: true, Log: true, Kind: KindInt, Default: "400", Min: 2, Max: MaxTruncateParticles, Help: "particles per side"},
	{Name: "seed", Label: "Random seed", Group: "Sampling", Advanced: true, Kind: KindInt, Default: "0", Min: 0, Max: 1 << 53, Help: "seed of the data, the prior fit, the prior noise and the samplers (Philox)"},
	computeParam,
}

// TruncateTours are the /truncate page's presets.
var TruncateTours = []Tour{
	{Name: "Start late from an OT prior", Query: "ttrunc=300&prior=entropic&steps=5",
		Caption: "The truncated sampler starts at t = 0.3 from an entropic-OT prior fitted to the noised data, and needs only five steps. Compare its samples with the full sampler's five steps from pure noise."},
	{Name: "The Gaussian prior fails when truncated", Query: "ttrunc=300&prior=gaussian&steps=5",
		Caption: "Starting at t = 0.3 from N(0, I) is wrong: at that time the noised data is still clustered. The truncated samples miss the clusters, which is why the prior must be learned."},
	{Name: "Truncate early", Query: "ttrunc=100&prior=entropic&steps=3",
		Caption: "At T_trunc = 100 the prior does almost all the work and three steps only sharpen it. The quality chart shows how far the steps can be cut."},
}

func init() {
	Register(Page{
		Path:    TruncatePath,
		Title:   "Truncated diffusion",
		Summary: "Start the reverse process at T_trunc from an OT-fitted prior instead of at T from noise: full and truncated sampling side by side at equal NFE, and quality against NFE.",
		Schema:  TruncateSchema,
		Tours:   TruncateTours,
		New:     func() app.Composer { return &TruncatePage{} },
	})
}

// TruncateSide is one sampler's progress on /truncate.
type TruncateSide struct {
	Step     int        `json:"step"`
	T        float64    `json:"t"`
	NFE      int        `json:"nfe"`
	Finished bool       `json:"finished"`
	X        []float64  `json:"x"` // first TruncatePublished particles
	Mean     [2]float64 `json:"mean"`
	// MMD between the particles and the data once finished.
	MMD float64 `json:"mmd,omitempty"`

	all []float64
}

// TruncateFrame is the state of a /truncate run: what the page shows and
// publishes as window.otplayResult.
type TruncateFrame struct {
	Page    string        `json:"page"`
	Done    bool          `json:"done"`
	Error   string        `json:"error,omitempty"`
	Backend BackendStatus `json:"backend"`
	State   string        `json:"state"`
	// Phase: "training" (the MLP), "fitting" (the prior), "ladder" (the
	// quality chart), "sampling", "finished".
	Phase   string `json:"phase"`
	Playing bool   `json:"playing"`
	// TrainStep of TrainSteps (model mlp, phase "training"), FitDone of
	// FitTotal (phase "fitting": the sliced prior's Adam steps or the
	// entropic prior's Sinkhorn iterations of at most FitTotal, from
	// truncate.Settings.Progress) and LadderTotal (the step counts of the
	// quality chart, phase "ladder"; len(LadderSteps) are done) say how
	// far the long phases are.
	TrainStep   int `json:"trainStep,omitempty"`
	TrainSteps  int `json:"trainSteps,omitempty"`
	FitDone     int `json:"fitDone,omitempty"`
	FitTotal    int `json:"fitTotal,omitempty"`
	LadderTotal int `json:"ladderTotal,omitempty"`
	// TStart = TTrunc / T; PriorMMD is the MMD between prior samples and
	// forward-diffused data at TStart (how well the prior fits q(x_t)).
	TTrunc      int          `json:"ttrunc"`
	TStart      float64      `json:"tStart"`
	Prior       string       `json:"prior"`
	PriorMMD    float64      `json:"priorMmd"`
	PriorLosses []float64    `json:"priorLosses,omitempty"`
	Steps       int          `json:"steps"`
	Full        TruncateSide `json:"full"`
	Trunc       TruncateSide `json:"trunc"`
	// The quality chart: MMD(sample, data) of the full and the truncated
	// sampler at the ladder's step counts (NFE as each sampler reports).
	LadderSteps []int     `json:"ladderSteps"`
	LadderNFE   []int     `json:"ladderNfe"`
	LadderFull  []float64 `json:"ladderFull"`
	LadderTrunc []float64 `json:"ladderTrunc"`
	// Bandwidth of every MMD here (the median heuristic on the data).
	Bandwidth float64 `json:"bandwidth"`
	// TimingsMS: "open", "model", "fit", "ladder", "step" (the last step
	// of either side).
	TimingsMS map[string]float64 `json:"timingsMs"`

	data []float64
}

// TruncateSettings are the prior-fit settings of a state: T_trunc, the
// prior, the seed and FitSamples = fit (package truncate's defaults
// otherwise; its default of 2000 fit samples takes tens of seconds on the
// wasm CPU backend, hence the page's 500) and SlicedSteps = priorsteps.
func TruncateSettings(st State, sched diffusion.Schedule) (truncate.Settings, error) {
	p, err := truncate.ParsePrior(st.String("prior"))
	if err != nil {
		return truncate.Settings{}, err
	}
	return truncate.Settings{Schedule: sched, TTrunc: st.Int("ttrunc"), Prior: p, Seed: uint64(st.Int("seed")),
		FitSamples: st.Int("fit"), SlicedSteps: st.Int("priorsteps")}, nil
}

// truncateFitCache keeps the last fitted prior (on its backend) so that
// Reset does not fit again. Guarded by computeMu.
var truncateFitCache struct {
	key string
	fit *truncate.Fitted
}

func truncateFitKey(st State, kind string) string {
	return strings.Join([]string{st.String("data"), st.String("n"), st.String("seed"), st.String("schedule"), st.String("ttrunc"), st.String("prior"), st.String("fit"), st.String("priorsteps"), st.String("model"), st.String("k"), st.String("train"), kind, strconv.Itoa(pointUploadVersion())}, "|")
}

// truncateRun is one run: a gate per side, driven together.
type truncateRun struct {
	st    State
	gates [2]*stepGate // full, truncated
}

func newTruncateRun(st State) *truncateRun {
	return &truncateRun{st: st, gates: [2]*stepGate{newStepGate(), newStepGate()}}
}

func (r *truncateRun) step() { r.gates[0].step(); r.gates[1].step() }
func (r *truncateRun) play() { r.gates[0].play(); r.gates[1].play() }
func (r *truncateRun) pause() {
	r.gates[0].pause()
	r.gates[1].pause()
}
func (r *truncateRun) stop() { r.gates[0].stop(); r.gates[1].stop() }

// runTruncate opens the backend and performs a run (see runTruncateOn).
func runTruncate(r *truncateRun, emit func(TruncateFrame), yield func()) {
	computeMu.Lock()
	status := OpenBackend(r.st.String("backend"))
	computeMu.Unlock()
	runTruncateOn(status, r, emit, yield)
}

// runTruncateOn builds the model, fits the prior (cached), computes the
// quality ladder (yield between rungs), then runs the full and the
// truncated sampler side by side, each in its own goroutine behind its
// gate, emitting a frame after every step of either.
func runTruncateOn(status BackendStatus, r *truncateRun, emit func(TruncateFrame), yield func()) {
	st := r.st
	b := status.Backend
	var mu sync.Mutex // guards frame
	frame := TruncateFrame{Page: TruncatePath, Done: true, Backend: status, State: st.Encode(), TTrunc: st.Int("ttrunc"),
		Prior: st.String("prior"), Steps: st.Int("steps"), TimingsMS: map[string]float64{"open": float64(status.Open) / 1e6}}
	send := func(change func(f *TruncateFrame)) {
		mu.Lock()
		change(&frame)
		f := frame
		f.TimingsMS = map[string]float64{}
		for k, v := range frame.TimingsMS {
			f.TimingsMS[k] = v
		}
		f.LadderSteps = append([]int(nil), frame.LadderSteps...)
		f.LadderNFE = append([]int(nil), frame.LadderNFE...)
		f.LadderFull = append([]float64(nil), frame.LadderFull...)
		f.LadderTrunc = append([]float64(nil), frame.LadderTrunc...)
		mu.Unlock()
		emit(f)
	}
	fail := func(err error) { send(func(f *TruncateFrame) { f.Error, f.Phase = err.Error(), "finished" }) }
	stopped := func() bool { return r.gates[0].stopped.Load() }

	computeMu.Lock()
	start := time.Now()
	spec := play.ModelSpec{Data: st.String("data"), N: st.Int("n"), Seed: uint64(st.Int("seed")), Schedule: st.String("schedule"),
		Model: st.String("model"), K: st.Int("k"), Train: st.Int("train"), Upload: uploadedPoints(DiffusionPath + ":data")}
	setup, err := spec.Build(b, func(step int, loss float64) {
		send(func(f *TruncateFrame) { f.Phase, f.TrainStep, f.TrainSteps = "training", step, st.Int("train") })
		if yield != nil {
			yield()
		}
	})
	if err != nil {
		computeMu.Unlock()
		fail(fmt.Errorf("%s backend: %w", status.Kind, err))
		return
	}
	defer func() { computeMu.Lock(); setup.Free(); computeMu.Unlock() }()
	frame.data = setup.Data
	frame.TimingsMS["model"] = float64(time.Since(start)) / 1e6
	mmd, h := play.QualityMMD(setup.Data, setup.N)
	frame.Bandwidth = h

	// The prior.
	send(func(f *TruncateFrame) { f.Phase = "fitting" })
	if yield != nil {
		computeMu.Unlock()
		yield()
		computeMu.Lock()
	}
	start = time.Now()
	set, err := TruncateSettings(st, setup.Sched)
	if err != nil {
		computeMu.Unlock()
		fail(err)
		return
	}
	key := truncateFitKey(st, status.Kind)
	if truncateFitCache.key != key || truncateFitCache.fit == nil {
		if truncateFitCache.fit != nil {
			truncateFitCache.fit.Free()
			truncateFitCache.fit, truncateFitCache.key = nil, ""
		}
		set.Progress = func(phase string, done, total int) {
			send(func(f *TruncateFrame) { f.FitDone, f.FitTotal = done, total })
			if yield != nil {
				yield()
			}
		}
		fit, err := truncate.FitPrior(b, setup.Data, setup.N, 2, set)
		if err != nil {
			computeMu.Unlock()
			fail(fmt.Errorf("fitting the %s prior: %w", st.String("prior"), err))
			return
		}
		truncateFitCache.key, truncateFitCache.fit = key, fit
	}
	fit := truncateFitCache.fit
	frame.TStart, frame.PriorLosses = fit.Time.T, fit.Losses
	frame.TimingsMS["fit"] = float64(time.Since(start)) / 1e6
	n := st.Int("particles")
	sampler, err := diffusion.ParseSampler(st.String("sampler"))
	if err != nil {
		computeMu.Unlock()
		fail(err)
		return
	}
	seed := uint64(st.Int("seed"))
	xa, err := b.Alloc(2 * n)
	if err != nil {
		computeMu.Unlock()
		fail(err)
		return
	}
	defer func() { computeMu.Lock(); b.Free(xa); computeMu.Unlock() }()
	readX := func() ([]float64, error) {
		x := make([]float64, 2*n)
		return x, b.Read(x, xa)
	}
	// How well the prior fits q(x_t): against the data pushed through
	// the forward process with fresh noise (seed + 7).
	qm := min(setup.N, diffusionQualityPoints)
	ref, err := truncateForward(b, setup.Data[:2*qm], fit.Time, seed+7)
	if err == nil {
		err = fit.Sample(xa, n, seed)
	}
	var px []float64
	if err == nil {
		px, err = readX()
	}
	if err != nil {
		computeMu.Unlock()
		fail(err)
		return
	}
	k := min(n, diffusionQualityPoints)
	if res, err := metrics.MMDHost(px[:2*k], k, ref, qm, 2, frame.Bandwidth); err == nil {
		frame.PriorMMD = res.MMD
	}

	// The quality ladder.
	start = time.Now()
	ladder := append([]int(nil), truncateLadder...)
	if s := st.Int("steps"); !slices.Contains(ladder, s) {
		ladder = append(ladder, s)
		slices.Sort(ladder)
	}
	send(func(f *TruncateFrame) { f.Phase, f.LadderTotal = "ladder", len(ladder) })
	for _, steps := range ladder {
		if stopped() {
			computeMu.Unlock()
			return
		}
		ds := diffusion.Settings{Sampler: sampler, Steps: steps, Seed: seed}
		if err := diffusion.InitialNoise(b, xa, seed); err != nil {
			computeMu.Unlock()
			fail(err)
			return
		}
		res, err := diffusion.Sample(b, setup.Model, setup.Sched, xa, n, ds)
		var full, trunc []float64
		if err == nil {
			full, err = readX()
		}
		if err == nil {
			_, err = fit.SampleReverse(setup.Model, setup.Sched, xa, n, seed, ds)
		}
		if err == nil {
			trunc, err = readX()
		}
		if err != nil {
			computeMu.Unlock()
			fail(err)
			return
		}
		qf, qt := mmd(full), mmd(trunc)
		send(func(f *TruncateFrame) {
			f.LadderSteps = append(f.LadderSteps, steps)
			f.LadderNFE = append(f.LadderNFE, res.NFE)
			f.LadderFull = append(f.LadderFull, qf)
			f.LadderTrunc = append(f.LadderTrunc, qt)
			f.TimingsMS["ladder"] = float64(time.Since(start)) / 1e6
		})
		if yield != nil {
			computeMu.Unlock()
			yield()
			computeMu.Lock()
		}
	}
	computeMu.Unlock()

	// Side by side: each sampler in its goroutine behind its gate.
	tEnd := setup.Sched.DefaultTEnd()
	var wg sync.WaitGroup
	for side := 0; side < 2; side++ {
		wg.Add(1)
		go func(side int) {
			defer wg.Done()
			g := r.gates[side]
			computeMu.Lock()
			defer computeMu.Unlock()
			x, err := b.Alloc(2 * n)
			if err != nil {
				fail(err)
				return
			}
			defer b.Free(x)
			t0 := 1.0
			if side == 0 {
				err = diffusion.InitialNoise(b, x, seed)
			} else {
				err, t0 = fit.Sample(x, n, seed), fit.Time.T
			}
			x0 := make([]float64, 2*n)
			if err == nil {
				err = b.Read(x0, x)
			}
			if err != nil {
				fail(err)
				return
			}
			update := func(step, nfe int, t float64, pos []float64, finished bool, stepMS float64) {
				s := TruncateSide{Step: step, T: t, NFE: nfe, Finished: finished, all: pos,
					X: append([]float64(nil), pos[:2*min(n, TruncatePublished)]...)}
				for i := 0; i < n; i++ {
					s.Mean[0] += pos[2*i] / float64(n)
					s.Mean[1] += pos[2*i+1] / float64(n)
				}
				if finished {
					s.MMD = mmd(pos)
				}
				send(func(f *TruncateFrame) {
					if side == 0 {
						f.Full = s
					} else {
						f.Trunc = s
					}
					f.Phase = "sampling"
					if f.Full.Finished && f.Trunc.Finished {
						f.Phase = "finished"
					}
					f.Playing = g.playing.Load() && f.Phase != "finished"
					if stepMS >= 0 {
						f.TimingsMS["step"] = stepMS
					}
				})
			}
			update(0, 0, t0, x0, false, -1)
			if err := g.wait(); err != nil {
				return
			}
			resumed := time.Now()
			ds := diffusion.Settings{Sampler: sampler, Steps: st.Int("steps"), Seed: seed, TStart: t0}
			ds.Callback = func(s diffusion.Step) error {
				finished := s.TNext <= tEnd*(1+1e-9)
				update(s.Index+1, s.NFE, s.TNext, s.X, finished, float64(time.Since(resumed))/1e6)
				if finished {
					return nil
				}
				if err := g.wait(); err != nil {
					return err
				}
				resumed = time.Now()
				return nil
			}
			if _, err := diffusion.Sample(b, setup.Model, setup.Sched, x, n, ds); err != nil && err != errRunStopped {
				fail(err)
			}
		}(side)
	}
	wg.Wait()
}

// truncateForward returns x_t = alpha_t y + sigma_t z for the points y,
// z the Philox normals of seed (diffusion.Forward on the backend).
func truncateForward(b compute.Backend, y []float64, at diffusion.Time, seed uint64) ([]float64, error) {
	ya, err := b.Upload(y)
	if err != nil {
		return nil, err
	}
	defer b.Free(ya)
	dst, err := b.Alloc(len(y))
	if err != nil {
		return nil, err
	}
	defer b.Free(dst)
	z, err := b.Alloc(len(y))
	if err != nil {
		return nil, err
	}
	defer b.Free(z)
	if err := diffusion.Forward(b, dst, ya, z, at, seed, 0); err != nil {
		return nil, err
	}
	out := make([]float64, len(y))
	return out, b.Read(out, dst)
}

// truncateSideFigure draws one side: the data (grey) and the particles.
func truncateSideFigure(data []float64, s TruncateSide, title, color string) Figure {
	w := diffusionWindow
	return Figure{Width: 400, Height: 400, EqualAspect: true, XMin: -w, XMax: w, YMin: -w, YMax: w,
		Title: fmt.Sprintf("%s: t = %.3f, NFE %d", title, s.T, s.NFE),
		Points: []PointSet{
			{XY: firstTwo(data, 2, figureMaxPoints), Color: "#c7c7c7", Radius: 1.5, Label: "data"},
			{XY: s.all, Color: color, Radius: 1.8, Label: "particles"},
		}}
}

// truncateLadderFigure is MMD(sample, data) against NFE for both sides.
func truncateLadderFigure(f *TruncateFrame) Figure {
	var full, trunc []float64
	for i := range f.LadderNFE {
		full = append(full, float64(f.LadderNFE[i]), f.LadderFull[i])
		trunc = append(trunc, float64(f.LadderNFE[i]), f.LadderTrunc[i])
	}
	return Figure{Width: 520, Height: 260, Title: "MMD(sample, data) against NFE", XLabel: "NFE", YLabel: "MMD",
		Curves: []Curve{
			{XY: full, Color: "#1f77b4", Label: "full (t = 1, N(0, I))"},
			{XY: trunc, Color: "#d62728", Label: "truncated (prior)"},
		}}
}

// TruncatePage is the /truncate page: truncated diffusion with a fitted
// prior (package truncate). The page builds the model as /diffusion does,
// fits the prior (gaussian, sliced or entropic) to q(x_t) at t =
// T_trunc / T (cached per state, so Reset does not refit) and reports its
// MMD against forward-diffused data, computes the quality ladder (MMD of
// the full and the truncated sample against the data at 1, 2, 3, 5, 8,
// 13, 20 steps and the page's own, yielding between rungs), then runs the
// full sampler (from N(0, I) at t = 1) and the truncated one (from the
// prior at T_trunc / T) side by side at the same steps, hence equal NFE,
// each in its own goroutine behind a stepGate: Step, Play, Pause and
// Reset drive both. The T_trunc slider navigates at once. URL parameters:
// see TruncateSchema; the published frame is TruncateFrame.
type TruncatePage struct {
	app.Compo

	stopLost func() // ends the device-loss subscription (OnMount)

	path      string
	embed     bool
	state     State
	stateErr  string
	form      *paramForm
	run       *truncateRun
	frame     *TruncateFrame
	uploadErr string
}

// onUpload takes an uploaded cloud as the data (the same slot as
// /diffusion's data=upload).
func (p *TruncatePage) onUpload(ctx app.Context, e app.Event) {
	handlePointUpload(ctx, "upload-data", DiffusionPath+":data", "data", MaxDiffusionData, p.state, p.path, p.reset,
		func(s string) { p.uploadErr = s })
}

// OnNav reads the URL state and starts a run.
func (p *TruncatePage) OnNav(ctx app.Context) {
	u := ctx.Page().URL()
	p.path, p.embed = u.Path, IsEmbed(u)
	ctx.Page().SetTitle("Truncated diffusion · otplay")
	st, err := TruncateSchema.Decode(u.Query())
	p.state, p.stateErr = st, ""
	if err != nil {
		p.stateErr = err.Error()
	}
	if p.form == nil {
		p.form = newParamForm(TruncateSchema, st)
	}
	p.form.load(st)
	p.reset(ctx)
}

// OnDismount stops the run.
func (p *TruncatePage) OnDismount() {
	if p.stopLost != nil {
		p.stopLost()
	}
	if p.run != nil {
		p.run.stop()
	}
}

func (p *TruncatePage) reset(ctx app.Context) {
	if p.run != nil {
		p.run.stop()
	}
	p.frame, p.run = nil, nil
	if !app.IsClient {
		return
	}
	r := newTruncateRun(p.state)
	p.run = r
	ctx.Async(func() {
		runTruncate(r, func(f TruncateFrame) {
			ctx.Dispatch(func(ctx app.Context) {
				if p.run != r {
					return
				}
				p.frame = &f
				ctx.Defer(func(app.Context) { publishResult(TruncatePath, f) })
			})
		}, func() { time.Sleep(time.Millisecond) })
	})
}

func (p *TruncatePage) onStep(ctx app.Context, e app.Event) {
	if p.run != nil {
		p.run.step()
	}
}

func (p *TruncatePage) onPlay(ctx app.Context, e app.Event) {
	if p.run != nil && p.frame != nil {
		p.run.play()
		f := *p.frame
		f.Playing = f.Phase != "finished"
		p.frame = &f
	}
}

func (p *TruncatePage) onPause(ctx app.Context, e app.Event) {
	if p.run != nil && p.frame != nil {
		p.run.pause()
		f := *p.frame
		f.Playing = false
		p.frame = &f
	}
}

func (p *TruncatePage) onReset(ctx app.Context, e app.Event) { p.reset(ctx) }

func (p *TruncatePage) onApply(ctx app.Context, e app.Event) {
	st, err := p.form.state(p.state)
	if err != nil {
		p.stateErr = err.Error()
		return
	}
	ctx.Navigate(PageURL(p.path, st))
}

// onSlider applies a new T_trunc from the slider at once.
func (p *TruncatePage) onSlider(ctx app.Context, e app.Event) {
	st, err := p.state.With("ttrunc", ctx.JSSrc().Get("value").String())
	if err != nil {
		p.stateErr = err.Error()
		return
	}
	ctx.Navigate(PageURL(p.path, st))
}

// Render shows the T_trunc slider, the form, the controls, both sides and
// the quality chart.
func (p *TruncatePage) Render() app.UI {
	if p.state.Schema() == nil {
		p.state = TruncateSchema.Defaults()
	}
	if p.form == nil {
		p.form = newParamForm(TruncateSchema, p.state)
	}
	l := Layout{Path: TruncatePath, Title: "Truncated diffusion with an OT prior", Embed: p.embed}
	f := p.frame
	var full, trunc, ladder Figure
	var stats app.UI
	switch {
	case f == nil:
		stats = app.Div().ID("truncate-stats").DataSet("status", "opening").Class("otplay-result").Text("Opening the backend ...")
	case f.Error != "":
		l.Status = &f.Backend
		stats = app.Div().ID("truncate-stats").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + f.Error)
	default:
		l.Status = &f.Backend
		for _, k := range []string{"open", "model", "fit", "ladder", "step"} {
			if v, ok := f.TimingsMS[k]; ok {
				l.Timings = append(l.Timings, Timing{map[string]string{"open": "backend open", "model": "model", "fit": "prior fit", "ladder": "quality ladder", "step": "last step"}[k], ms(v)})
			}
		}
		full = truncateSideFigure(f.data, f.Full, "full", "#1f77b4")
		trunc = truncateSideFigure(f.data, f.Trunc, "truncated", "#d62728")
		ladder = truncateLadderFigure(f)
		g := func(v float64) string { return strconv.FormatFloat(v, 'g', 5, 64) }
		// Only numbers that exist: the prior's fit once it is fitted,
		// the samplers once they sample (no zeros while fitting).
		rows := []app.UI{resultRow("phase", f.Phase)}
		fitted := f.Phase == "ladder" || f.Phase == "sampling" || f.Phase == "finished"
		if fitted {
			rows = append(rows,
				resultRow("truncation", fmt.Sprintf("T_trunc = %d: start at t = %s", f.TTrunc, g(f.TStart))),
				resultRow("prior fit", fmt.Sprintf("%s prior: MMD(prior, q(x_t)) = %s", f.Prior, g(f.PriorMMD))))
		}
		if f.Phase == "sampling" || f.Phase == "finished" {
			rows = append(rows,
				resultRow("full", fmt.Sprintf("step %d of %d, t = %s, NFE %d", f.Full.Step, f.Steps, g(f.Full.T), f.Full.NFE)),
				resultRow("truncated", fmt.Sprintf("step %d of %d, t = %s, NFE %d", f.Trunc.Step, f.Steps, g(f.Trunc.T), f.Trunc.NFE)))
		}
		if f.Phase == "finished" {
			rows = append(rows, resultRow("MMD(sample, data)", fmt.Sprintf("full %s, truncated %s", g(f.Full.MMD), g(f.Trunc.MMD))))
		}
		stats = app.Div().ID("truncate-stats").Class("otplay-result").DataSet("status", f.Phase).
			DataSet("step", f.Full.Step).Body(app.Table().Body(rows...))
	}
	sampling := f != nil && f.Error == "" && f.Phase == "sampling"
	playing := sampling && f.Playing
	// T_trunc's slider applies at once (the form's text field waits for
	// Apply): one control, two ways to set it.
	slider := app.Input().ID("ttrunc-slider").Class("otplay-slider").Type("range").Min(2).Max(diffusion.DefaultT).Step(1).
		Aria("label", "Truncation step T_trunc").Value(p.state.String("ttrunc")).OnChange(p.onSlider)
	if !p.embed {
		l.Panel = p.form.render(p.onApply, map[string]app.UI{
			"ttrunc": slider,
			"data":   pointUploadField("upload-data", "or upload your own (CSV or .npy, 2 columns)", p.onUpload),
		})
	}
	l.Query, l.StateError = p.state.Encode(), p.stateErr
	l.Progress = truncateProgress(f, p.state)
	return l.Render(
		app.If(p.uploadErr != "", func() app.UI { return app.P().ID("upload-error").Class("otplay-error").Text(p.uploadErr) }),
		app.Div().Class("otplay-controls").Body(
			button("step", "Step", !sampling || playing, p.onStep),
			button("play", "Play", !sampling || playing, p.onPlay),
			button("pause", "Pause", !playing, p.onPause),
			button("reset", "Reset", p.run == nil, p.onReset),
		),
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
	if p.frame == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("side,x,y\n")
	for _, s := range []struct {
		name string
		x    []float64
	}{{"full", p.frame.Full.all}, {"truncated", p.frame.Trunc.all}} {
		for i := 0; i+1 < len(s.x); i += 2 {
			b.WriteString(s.name + "," + strconv.FormatFloat(s.x[i], 'g', -1, 64) + "," + strconv.FormatFloat(s.x[i+1], 'g', -1, 64) + "\n")
		}
	}
	return b.String()
}

func (p *TruncatePage) frameJSON() string {
	if p.frame == nil {
		return "{}"
	}
	v, _ := json.MarshalIndent(p.frame, "", " ")
	return string(v)
}

// OnMount subscribes to device losses: when the GPU device behind the
// page's run is lost, the run starts again on the CPU.
func (p *TruncatePage) OnMount(ctx app.Context) {
	p.stopLost = restartOnLoss(ctx, func() compute.Backend {
		if p.frame == nil {
			return nil
		}
		return p.frame.Backend.Backend
	}, p.reset)
}

// truncateProgress is the long phase the page is in (nil when sampling):
// what it does, with how far it is where the page can count it.
func truncateProgress(f *TruncateFrame, st State) *Progress {
	if f == nil {
		return &Progress{Phase: "Opening the backend"}
	}
	if f.Error != "" {
		return nil
	}
	switch f.Phase {
	case "training":
		if st.String("model") == "mlp" {
			return &Progress{Phase: "Training the denoising network", Done: f.TrainStep, Total: f.TrainSteps, Unit: "Adam steps"}
		}
		if st.String("model") == "gmm" {
			return &Progress{Phase: fmt.Sprintf("Fitting a %d-component Gaussian mixture to the data by EM", st.Int("k"))}
		}
		return &Progress{Phase: "Loading the data for the exact denoiser"}
	case "fitting":
		switch st.String("prior") {
		case "entropic":
			return &Progress{Phase: fmt.Sprintf("Fitting the entropic prior: Sinkhorn between %d normals and %d samples of q(x_t) at t = %d/1000 (it stops early once the marginals match)", st.Int("fit"), st.Int("fit"), st.Int("ttrunc")),
				Done: f.FitDone, Total: f.FitTotal, Unit: "iterations at most"}
		case "sliced":
			return &Progress{Phase: "Training the sliced prior on SW₂²(f(z), x_t)", Done: f.FitDone, Total: f.FitTotal, Unit: "Adam steps"}
		}
		return &Progress{Phase: "Preparing the prior"}
	case "ladder":
		return &Progress{Phase: "Measuring both samplers' quality (MMD to the data) at each step count", Done: len(f.LadderSteps), Total: f.LadderTotal, Unit: "step counts"}
	}
	return nil
}
