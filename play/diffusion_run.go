package play

import (
	"context"
	"fmt"
	"github.com/otplay/otplay/solvers/bridge"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/diffusion"
)

// DiffusionFrame is the state of a /diffusion run after some sampler
// steps: its numbers (published to scripts as JSON) and its figures.
type DiffusionFrame struct {
	// State is the canonical query of the run's URL state.
	State string `json:"state"`
	// Phase is "sampling" (steps remain) or "finished"; AtEnd is true
	// once the sampler has reached its end time.
	Phase string `json:"phase"`
	AtEnd bool   `json:"finished"`
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
	// step QualityStep[k] and the data, both capped at QualityPoints
	// points; QualityNFE[k] the NFE then. SampleMMD is the same between
	// the final particles and the data (set once finished).
	Quality          []float64 `json:"quality"`
	QualityStep      []int     `json:"qualityStep"`
	QualityNFE       []int     `json:"qualityNfe"`
	QualityBandwidth float64   `json:"qualityBandwidth"`
	SampleMMD        float64   `json:"sampleMmd,omitempty"`
	// With a class (Class >= 0, Guidance its weight W), once finished:
	// ClassAccuracy is the share of all particles whose nearest data
	// point has the class's label, Spread their mean distance to their
	// mean and ClassSpread the same of the class's data (ClassReadout).
	Class         int     `json:"class"`
	Guidance      float64 `json:"guidance"`
	ClassAccuracy float64 `json:"classAccuracy,omitempty"`
	Spread        float64 `json:"spread,omitempty"`
	ClassSpread   float64 `json:"classSpread,omitempty"`
	// Preset is what the state's preset set and why (nil without one).
	Preset *PresetReadout `json:"preset,omitempty"`
	// RFFFallback counts, over all model evaluations so far (field
	// included), the points where the rff model's density estimate was
	// not 3 standard errors above 0 and the data's Gaussian score stood
	// in (diffusion.RFFScoreModel.Unreliable); Features is its D (0 for
	// the other models).
	RFFFallback int `json:"rffFallback,omitempty"`
	Features    int `json:"features,omitempty"`
	// BatchOT is what the batch OT start did (nil when off).
	BatchOT *BatchOTReadout `json:"batchOt,omitempty"`
	// HierarchicalIterations counts the Sinkhorn iterations of the
	// hierarchical smoothing so far (0 when off).
	HierarchicalIterations int `json:"hierarchicalIterations,omitempty"`
	// The MLP's training: TrainStep of TrainSteps and the batch loss at
	// the steps LossAt.
	TrainStep  int       `json:"trainStep"`
	TrainSteps int       `json:"trainSteps"`
	Loss       []float64 `json:"loss,omitempty"`
	LossAt     []int     `json:"lossAt,omitempty"`
	// TimingsMS: "setup" (data, model upload), "train", "step" (the last
	// sampler step), "frame" (step + field + quality readbacks).
	TimingsMS map[string]float64 `json:"timingsMs"`

	// The figures: particles, trails, field and data; quality against
	// NFE; the training loss (model mlp).
	View, QualityChart, LossChart figure.Figure `json:"-"`
	// All holds every particle (the CSV export).
	All []float64 `json:"-"`
}

// Finished reports that the sampler reached its end time.
func (f DiffusionFrame) Finished() bool { return f.AtEnd }

// diffusionRun is one sampling run: diffusion.Sample behind a
// samplerStepper, so Step, Play and Pause drive the real solver, not a
// replay.
type diffusionRun struct {
	d     Diffusion
	b     compute.Backend
	model *DiffusionModel
	xa    compute.Array
	set   diffusion.Settings
	tEnd  float64
	mmd   func([]float64) float64
	// labels are the data's labels where a class is sampled.
	labels []int

	frame  DiffusionFrame
	trails [][]float64

	sampler *samplerStepper
}

// Start builds the model (progress reports the MLP's Adam steps), draws
// the particles x_1 ~ N(0, I) (diffusion.InitialNoise of the seed) and
// returns the run at t = 1.
func (d Diffusion) Start(ctx context.Context, b compute.Backend, progress func(Progress)) (Run[DiffusionFrame], error) {
	start := time.Now()
	progress = yielding(progress)
	st, err := d.State()
	if err != nil {
		return nil, err
	}
	// The preset's knobs apply to this run; the frame's state stays the
	// reader's.
	d, preset, err := d.withPreset(st, b)
	if err != nil {
		return nil, err
	}
	set, err := d.Settings()
	if err != nil {
		return nil, err
	}
	switch d.Model {
	case "gmm":
		progress(Progress{Phase: fmt.Sprintf("Fitting a %d-component Gaussian mixture to the data by EM", d.K)})
	case "mlp":
		progress(Progress{Phase: "Training the denoising network", Total: d.Train, Unit: "Adam steps"})
	case "rff":
		progress(Progress{Phase: fmt.Sprintf("Setting up the score from %d random Fourier features", d.features())})
	default:
		progress(Progress{Phase: "Uploading the data for the exact denoiser"})
	}
	model, err := d.Build(b, func(step int, loss float64) {
		progress(Progress{Phase: fmt.Sprintf("Training the denoising network (batch loss %.4g)", loss), Done: step, Total: d.Train, Unit: "Adam steps"})
	})
	if err != nil {
		return nil, err
	}
	var labels []int
	if d.Class >= 0 {
		progress(Progress{Phase: fmt.Sprintf("Building class %d's model for guidance", d.Class)})
		if labels, err = d.guide(b, model); err != nil {
			model.Free()
			return nil, err
		}
	}
	if set.Threshold > 0 {
		set.ThresholdBound = ThresholdBound(model.Data)
	}
	if d.MMDSteps {
		progress(Progress{Phase: "Spacing the steps evenly in MMD between the data's forward marginals"})
		if set.Times, err = bridge.MMDTimes(model.Sched, model.Data, model.N, 2, set.Steps, 1, model.Sched.DefaultTEnd(), set.Seed+5); err != nil {
			model.Free()
			return nil, fmt.Errorf("MMD-adaptive steps: %w", err)
		}
	}
	r := &diffusionRun{d: d, b: b, model: model, set: set, tEnd: model.Sched.DefaultTEnd(), labels: labels}
	r.sampler = newSamplerStepper(func(callback func(diffusion.Step) error) error {
		s := r.set
		s.Callback = callback
		if !d.Correct {
			_, err := diffusion.Sample(b, model.Model, model.Sched, r.xa, d.Particles, s)
			return err
		}
		s.Callback = renumberSegments(callback)
		_, err := bridge.SampleCorrected(b, model.Model, model.Sched, r.xa, d.Particles, model.Data, model.N, bridge.CorrectSettings{
			Sampler: s, Every: d.Every, Relax: d.Lambda, Seed: s.Seed + 3})
		return err
	})
	f := &r.frame
	f.State, f.Phase, f.Particles, f.Preset = st.Encode(), "sampling", d.Particles, preset
	f.Class, f.Guidance = d.Class, d.Guidance
	f.TimingsMS = map[string]float64{}
	if t := model.Train; t != nil {
		f.TrainSteps, f.TrainStep = t.Steps, t.Steps
		f.Loss, f.LossAt = t.Losses, t.LossAt
		f.TimingsMS["train"] = millis(int64(t.Duration))
	}
	f.Steps = set.Steps
	if set.Sampler == diffusion.ODEAdaptive {
		f.Steps = 0
	}
	r.mmd, f.QualityBandwidth = QualityMMD(model.Data, model.N)
	if r.xa, err = b.Alloc(2 * d.Particles); err != nil {
		model.Free()
		return nil, err
	}
	x0 := make([]float64, 2*d.Particles)
	err = diffusion.InitialNoise(b, r.xa, set.Seed)
	if err == nil && d.BatchOT != "" {
		progress(Progress{Phase: fmt.Sprintf("Moving the initial noise towards a draw of the data by the %s batch OT map", d.BatchOT)})
		f.BatchOT, err = d.transportBatch(b, r.xa, model, set)
	}
	if err == nil {
		err = b.Read(x0, r.xa)
	}
	if err == nil {
		f.TimingsMS["setup"] = millis(int64(time.Since(start))) - f.TimingsMS["train"]
		err = r.show(1, x0, nil, 0, time.Now())
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// renumberSegments numbers the steps of bridge.SampleCorrected's
// segments (whose indices and NFE restart at 0 per segment) as one run.
func renumberSegments(callback func(diffusion.Step) error) func(diffusion.Step) error {
	next, lastIndex, nfeBase, lastNFE := 0, -1, 0, 0
	return func(st diffusion.Step) error {
		if st.Index <= lastIndex {
			nfeBase += lastNFE
		}
		lastIndex, lastNFE = st.Index, st.NFE
		st.Index, st.NFE = next, st.NFE+nfeBase
		next++
		return callback(st)
	}
}

// show fills the frame at time t with positions x (and the denoised
// estimate den, nil at the start).
func (r *diffusionRun) show(t float64, x, den []float64, stepMS float64, frameStart time.Time) error {
	f, n := &r.frame, r.d.Particles
	f.T = t
	f.All = x
	f.X = append([]float64(nil), x[:2*min(n, DiffusionPublished)]...)
	f.Denoised = nil
	if den != nil {
		f.Denoised = append([]float64(nil), den[:2*min(n, DiffusionPublished)]...)
	}
	f.Mean = [2]float64{}
	for i := 0; i < n; i++ {
		f.Mean[0] += x[2*i] / float64(n)
		f.Mean[1] += x[2*i+1] / float64(n)
	}
	if r.d.Trail > 0 {
		r.trails = append(r.trails, append([]float64(nil), x[:2*min(n, TrailPoints)]...))
		if len(r.trails) > r.d.Trail+1 {
			r.trails = r.trails[1:]
		}
	}
	var pts, vec []float64
	if r.d.Field != "none" {
		var err error
		if pts, vec, err = r.model.Field(r.b, t, r.d.Field); err != nil {
			return err
		}
	}
	if r.model.RFF != nil {
		f.Features, f.RFFFallback = r.d.features(), r.model.RFF.Unreliable
	}
	if f.AtEnd {
		f.SampleMMD = r.mmd(x)
		if r.labels != nil {
			f.ClassAccuracy, f.Spread, f.ClassSpread = ClassReadout(x, r.model.Data, r.labels, r.d.Class)
		}
		f.Phase = "finished"
	}
	f.View = DiffusionViewFigure(r.model.Data, x, den, r.trails, pts, vec, fmt.Sprintf("t = %.4f, step %d", t, f.Step))
	f.QualityChart = DiffusionQualityFigure(f.Quality, f.QualityNFE)
	f.LossChart = DiffusionLossFigure(f.Loss, f.LossAt)
	timings := map[string]float64{}
	for k, v := range f.TimingsMS {
		timings[k] = v
	}
	timings["step"] = stepMS
	timings["frame"] = millis(int64(time.Since(frameStart)))
	f.TimingsMS = timings
	return nil
}

// snapshot is the frame with its growing slices copied.
func (r *diffusionRun) snapshot() DiffusionFrame {
	f := r.frame
	f.Quality = append([]float64(nil), f.Quality...)
	f.QualityStep = append([]int(nil), f.QualityStep...)
	f.QualityNFE = append([]int(nil), f.QualityNFE...)
	return f
}

// Step advances the sampler k steps (fewer where it reaches its end) and
// returns the frame reached.
func (r *diffusionRun) Step(ctx context.Context, k int, playing bool) (DiffusionFrame, error) {
	for i := 0; i < k && !r.frame.AtEnd; i++ {
		if err := ctx.Err(); err != nil {
			return r.snapshot(), err
		}
		resumed := time.Now()
		s, end, err := r.sampler.next()
		if err != nil {
			return r.snapshot(), err
		}
		if end {
			// The solver ended at a time other than its default end (it
			// should not): the last frame is the end.
			r.frame.AtEnd, r.frame.Phase = true, "finished"
			break
		}
		stepMS, fs := millis(int64(time.Since(resumed))), time.Now()
		f := &r.frame
		f.Step, f.NFE = s.Index+1, s.NFE
		f.HierarchicalIterations += s.HierarchicalIterations
		f.Quality = append(f.Quality, r.mmd(s.Denoised))
		f.QualityStep = append(f.QualityStep, s.Index+1)
		f.QualityNFE = append(f.QualityNFE, s.NFE)
		f.AtEnd = s.TNext <= r.tEnd*(1+1e-9)
		if err := r.show(s.TNext, s.X, s.Denoised, stepMS, fs); err != nil {
			return r.snapshot(), err
		}
	}
	return r.snapshot(), nil
}

// Close stops the sampler (at its next step) and frees the particles and
// the model.
func (r *diffusionRun) Close() {
	r.sampler.close()
	if r.xa != nil {
		r.b.Free(r.xa)
	}
	r.model.Free()
}
