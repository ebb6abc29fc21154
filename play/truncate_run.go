package play

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/solvers/truncate"
)

// TruncateSide is one sampler's progress on /truncate.
type TruncateSide struct {
	Step  int        `json:"step"`
	T     float64    `json:"t"`
	NFE   int        `json:"nfe"`
	AtEnd bool       `json:"finished"`
	X     []float64  `json:"x"` // the first TruncatePublished particles
	Mean  [2]float64 `json:"mean"`
	// MMD between the particles and the data once finished.
	MMD float64 `json:"mmd,omitempty"`
	// All holds every particle (the CSV export).
	All []float64 `json:"-"`
}

// TruncateFrame is the state of a /truncate run: the prior's fit, the
// quality ladder and both samplers side by side.
type TruncateFrame struct {
	// State is the canonical query of the run's URL state.
	State string `json:"state"`
	// Phase: "sampling" (steps remain) or "finished".
	Phase string `json:"phase"`
	// TrainSteps (model mlp), FitDone of FitTotal (the sliced prior's Adam
	// steps, or the entropic prior's Sinkhorn iterations of at most
	// FitTotal, as truncate.Settings.Progress last reported them; 0 when
	// the fit came from the cache) and LadderTotal (the ladder's step
	// counts) say how long the setup's phases were.
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
	// TimingsMS: "model", "fit", "ladder", "step" (the last step of
	// either side).
	TimingsMS map[string]float64 `json:"timingsMs"`

	// The figures: each side over the data, and the ladder.
	FullView, TruncView, LadderChart figure.Figure `json:"-"`
}

// Finished reports that both samplers reached their end time.
func (f TruncateFrame) Finished() bool { return f.Full.AtEnd && f.Trunc.AtEnd }

// fitCache keeps the last fitted prior (on its backend) so that a Reset
// does not fit again.
var fitCache struct {
	sync.Mutex
	key string
	fit *truncate.Fitted
}

// fitKey identifies a fit: the model's data, the prior's settings and the
// backend instance that holds it.
func (t Truncate) fitKey(x []float64, b compute.Backend) string {
	return fmt.Sprintf("%s|%d|%s|%d|%d|%p", t.mlpKey(x, b), t.TTrunc, t.Prior, t.Fit, t.PriorSteps, b)
}

// truncateRun is one /truncate run: both samplers behind their steppers.
type truncateRun struct {
	t      Truncate
	b      compute.Backend
	model  *DiffusionModel
	fit    *truncate.Fitted
	mmd    func([]float64) float64
	tEnd   float64
	frame  TruncateFrame
	xs     [2]compute.Array
	sides  [2]*samplerStepper
	closed bool
}

// Start builds the model as /diffusion does (progress: the MLP's Adam
// steps), fits the prior to q(x_t) at t = T_trunc / T (cached; progress:
// its Sinkhorn iterations or Adam steps), measures its MMD against
// forward-diffused data, computes the quality ladder (MMD of the full and
// the truncated sample against the data at TruncateLadder's step counts
// and the state's own; progress: the rungs), and returns the run with
// both sides at step 0: the full sampler from N(0, I) at t = 1, the
// truncated one from the prior at T_trunc / T.
func (t Truncate) Start(ctx context.Context, b compute.Backend, progress func(Progress)) (Run[TruncateFrame], error) {
	progress = yielding(progress)
	st, err := t.State()
	if err != nil {
		return nil, err
	}
	sampler, err := diffusion.ParseSampler(t.Sampler)
	if err != nil {
		return nil, err
	}
	r := &truncateRun{t: t, b: b}
	f := &r.frame
	*f = TruncateFrame{State: st.Encode(), Phase: "sampling", TTrunc: t.TTrunc, Prior: t.Prior, Steps: t.Steps, TimingsMS: map[string]float64{}}
	ok := false
	defer func() {
		if !ok {
			r.Close()
		}
	}()

	start := time.Now()
	switch t.Model {
	case "mlp":
		progress(Progress{Phase: "Training the denoising network", Total: t.Train, Unit: "Adam steps"})
	case "gmm":
		progress(Progress{Phase: fmt.Sprintf("Fitting a %d-component Gaussian mixture to the data by EM", t.K)})
	default:
		progress(Progress{Phase: "Uploading the data for the exact denoiser"})
	}
	if r.model, err = t.Build(b, func(step int, loss float64) {
		progress(Progress{Phase: fmt.Sprintf("Training the denoising network (batch loss %.4g)", loss), Done: step, Total: t.Train, Unit: "Adam steps"})
	}); err != nil {
		return nil, err
	}
	if tr := r.model.Train; tr != nil {
		f.TrainSteps = tr.Steps
	}
	f.TimingsMS["model"] = millis(int64(time.Since(start)))
	r.mmd, f.Bandwidth = QualityMMD(r.model.Data, r.model.N)
	r.tEnd = r.model.Sched.DefaultTEnd()

	// The prior.
	start = time.Now()
	set, err := t.FitSettings(r.model.Sched)
	if err != nil {
		return nil, err
	}
	if r.fit, err = t.fitPrior(b, r.model, set, f, progress); err != nil {
		return nil, fmt.Errorf("fitting the %s prior: %w", t.Prior, err)
	}
	f.TStart, f.PriorLosses = r.fit.Time.T, r.fit.Losses
	f.TimingsMS["fit"] = millis(int64(time.Since(start)))
	n := t.Particles
	for i := range r.xs {
		if r.xs[i], err = b.Alloc(2 * n); err != nil {
			return nil, err
		}
	}
	if err := r.priorMMD(); err != nil {
		return nil, err
	}

	// The quality ladder.
	start = time.Now()
	ladder := append([]int(nil), TruncateLadder...)
	if !slices.Contains(ladder, t.Steps) {
		ladder = append(ladder, t.Steps)
		slices.Sort(ladder)
	}
	f.LadderTotal = len(ladder)
	for k, steps := range ladder {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		progress(Progress{Phase: "Measuring both samplers' quality (MMD to the data) at each step count", Done: k, Total: len(ladder), Unit: "step counts"})
		nfe, full, trunc, err := r.rung(sampler, steps)
		if err != nil {
			return nil, err
		}
		f.LadderSteps = append(f.LadderSteps, steps)
		f.LadderNFE = append(f.LadderNFE, nfe)
		f.LadderFull = append(f.LadderFull, full)
		f.LadderTrunc = append(f.LadderTrunc, trunc)
	}
	f.TimingsMS["ladder"] = millis(int64(time.Since(start)))
	f.LadderChart = TruncateLadderFigure(f)

	// Side by side from step 0.
	for side := range 2 {
		x, t0 := r.xs[side], 1.0
		if side == 0 {
			err = diffusion.InitialNoise(b, x, t.Seed)
		} else {
			err, t0 = r.fit.Sample(x, n, t.Seed), r.fit.Time.T
		}
		x0 := make([]float64, 2*n)
		if err == nil {
			err = b.Read(x0, x)
		}
		if err != nil {
			return nil, err
		}
		r.update(side, diffusion.Step{TNext: t0, X: x0})
		ds := diffusion.Settings{Sampler: sampler, Steps: t.Steps, Seed: t.Seed, TStart: t0}
		model := r.model
		r.sides[side] = newSamplerStepper(func(callback func(diffusion.Step) error) error {
			ds.Callback = callback
			_, err := diffusion.Sample(b, model.Model, model.Sched, x, n, ds)
			return err
		})
	}
	ok = true
	return r, nil
}

// fitPrior fits the prior (or takes it from the cache), recording the
// fit's progress in f and reporting it.
func (t Truncate) fitPrior(b compute.Backend, model *DiffusionModel, set truncate.Settings, f *TruncateFrame, progress func(Progress)) (*truncate.Fitted, error) {
	key := t.fitKey(model.Data, b)
	fitCache.Lock()
	defer fitCache.Unlock()
	if fitCache.key == key && fitCache.fit != nil {
		return fitCache.fit, nil
	}
	if fitCache.fit != nil {
		fitCache.fit.Free()
		fitCache.fit, fitCache.key = nil, ""
	}
	line := Progress{Phase: "Preparing the prior"}
	switch t.Prior {
	case "entropic":
		line = Progress{Phase: fmt.Sprintf("Fitting the entropic prior: Sinkhorn between %d normals and %d samples of q(x_t) at t = %d/1000 (it stops early once the marginals match)", t.Fit, t.Fit, t.TTrunc),
			Unit: "iterations at most"}
	case "sliced":
		line = Progress{Phase: "Training the sliced prior on SW₂²(f(z), x_t)", Unit: "Adam steps"}
	}
	progress(line)
	set.Progress = func(phase string, done, total int) {
		f.FitDone, f.FitTotal = done, total
		line.Done, line.Total = done, total
		progress(line)
	}
	fit, err := truncate.FitPrior(b, model.Data, model.N, 2, set)
	if err != nil {
		return nil, err
	}
	fitCache.key, fitCache.fit = key, fit
	return fit, nil
}

// priorMMD measures how well the prior fits q(x_t): its samples against
// the data pushed through the forward process with fresh noise (seed +
// 7), both capped at QualityPoints.
func (r *truncateRun) priorMMD() error {
	n, seed := r.t.Particles, r.t.Seed
	qm := min(r.model.N, QualityPoints)
	ref, err := forwardPoints(r.b, r.model.Data[:2*qm], r.fit.Time, seed+7)
	if err != nil {
		return err
	}
	if err := r.fit.Sample(r.xs[0], n, seed); err != nil {
		return err
	}
	px := make([]float64, 2*n)
	if err := r.b.Read(px, r.xs[0]); err != nil {
		return err
	}
	k := min(n, QualityPoints)
	if res, err := metrics.MMDHost(px[:2*k], k, ref, qm, 2, r.frame.Bandwidth); err == nil {
		r.frame.PriorMMD = res.MMD
	}
	return nil
}

// rung runs both samplers with steps steps and returns the NFE and the
// MMD of each sample against the data.
func (r *truncateRun) rung(sampler diffusion.Sampler, steps int) (nfe int, full, trunc float64, err error) {
	b, n, x, seed := r.b, r.t.Particles, r.xs[0], r.t.Seed
	read := func() ([]float64, error) {
		out := make([]float64, 2*n)
		return out, b.Read(out, x)
	}
	ds := diffusion.Settings{Sampler: sampler, Steps: steps, Seed: seed}
	if err = diffusion.InitialNoise(b, x, seed); err != nil {
		return
	}
	res, err := diffusion.Sample(b, r.model.Model, r.model.Sched, x, n, ds)
	var fx, tx []float64
	if err == nil {
		fx, err = read()
	}
	if err == nil {
		_, err = r.fit.SampleReverse(r.model.Model, r.model.Sched, x, n, seed, ds)
	}
	if err == nil {
		tx, err = read()
	}
	if err != nil {
		return 0, 0, 0, err
	}
	return res.NFE, r.mmd(fx), r.mmd(tx), nil
}

// update records side's step s (positions s.X at time s.TNext).
func (r *truncateRun) update(side int, s diffusion.Step) {
	n := r.t.Particles
	sd := TruncateSide{T: s.TNext, All: s.X, X: append([]float64(nil), s.X[:2*min(n, TruncatePublished)]...)}
	if s.NFE > 0 {
		sd.Step, sd.NFE = s.Index+1, s.NFE
		sd.AtEnd = s.TNext <= r.tEnd*(1+1e-9)
	}
	for i := 0; i < n; i++ {
		sd.Mean[0] += s.X[2*i] / float64(n)
		sd.Mean[1] += s.X[2*i+1] / float64(n)
	}
	if sd.AtEnd {
		sd.MMD = r.mmd(s.X)
	}
	f := &r.frame
	if side == 0 {
		f.Full = sd
		f.FullView = TruncateSideFigure(r.model.Data, sd, "full", "#1f77b4")
	} else {
		f.Trunc = sd
		f.TruncView = TruncateSideFigure(r.model.Data, sd, "truncated", "#d62728")
	}
	if f.Finished() {
		f.Phase = "finished"
	}
}

// Step advances each side k steps (fewer where it reaches its end) and
// returns the frame reached.
func (r *truncateRun) Step(ctx context.Context, k int, playing bool) (TruncateFrame, error) {
	for i := 0; i < k && !r.frame.Finished(); i++ {
		for side, sd := range []*TruncateSide{&r.frame.Full, &r.frame.Trunc} {
			if sd.AtEnd {
				continue
			}
			if err := ctx.Err(); err != nil {
				return r.snapshot(), err
			}
			start := time.Now()
			s, end, err := r.sides[side].next()
			if err != nil {
				return r.snapshot(), err
			}
			if end { // the solver ended early (it should not)
				sd.AtEnd = true
				continue
			}
			r.frame.TimingsMS["step"] = millis(int64(time.Since(start)))
			r.update(side, s)
		}
	}
	if r.frame.Finished() {
		r.frame.Phase = "finished"
	}
	return r.snapshot(), nil
}

// snapshot is the frame with its maps and growing slices copied.
func (r *truncateRun) snapshot() TruncateFrame {
	f := r.frame
	f.TimingsMS = map[string]float64{}
	for k, v := range r.frame.TimingsMS {
		f.TimingsMS[k] = v
	}
	f.LadderSteps = slices.Clone(f.LadderSteps)
	f.LadderNFE = slices.Clone(f.LadderNFE)
	f.LadderFull = slices.Clone(f.LadderFull)
	f.LadderTrunc = slices.Clone(f.LadderTrunc)
	return f
}

// Close stops both samplers and frees the particles and the model (the
// fitted prior stays in the cache).
func (r *truncateRun) Close() {
	if r.closed {
		return
	}
	r.closed = true
	for i := range r.sides {
		if r.sides[i] != nil {
			r.sides[i].close()
		}
		if r.xs[i] != nil {
			r.b.Free(r.xs[i])
		}
	}
	if r.model != nil {
		r.model.Free()
	}
}

// forwardPoints returns x_t = alpha_t y + sigma_t z for the points y, z
// the Philox normals of seed (diffusion.Forward on the backend).
func forwardPoints(b compute.Backend, y []float64, at diffusion.Time, seed uint64) ([]float64, error) {
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

// TruncateSideFigure draws one side: the data (grey) and the particles.
func TruncateSideFigure(data []float64, s TruncateSide, title, color string) figure.Figure {
	w := ParticleWindow
	return figure.Figure{Width: 400, Height: 400, EqualAspect: true, XMin: -w, XMax: w, YMin: -w, YMax: w,
		Title: fmt.Sprintf("%s: t = %.3f, NFE %d", title, s.T, s.NFE),
		Points: []figure.PointSet{
			{XY: FirstTwo(data, 2, FigureMaxPoints), Color: "#c7c7c7", Radius: 1.5, Label: "data"},
			{XY: s.All, Color: color, Radius: 1.8, Label: "particles"},
		}}
}

// TruncateLadderFigure is MMD(sample, data) against NFE for both sides.
func TruncateLadderFigure(f *TruncateFrame) figure.Figure {
	var full, trunc []float64
	for i := range f.LadderNFE {
		full = append(full, float64(f.LadderNFE[i]), f.LadderFull[i])
		trunc = append(trunc, float64(f.LadderNFE[i]), f.LadderTrunc[i])
	}
	return figure.Figure{Width: 520, Height: 260, Title: "MMD(sample, data) against NFE", XLabel: "NFE", YLabel: "MMD",
		Curves: []figure.Curve{
			{XY: full, Color: "#1f77b4", Label: "full (t = 1, N(0, I))"},
			{XY: trunc, Color: "#d62728", Label: "truncated (prior)"},
		}}
}
