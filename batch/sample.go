//go:build !js

package batch

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
)

// SampleRequest is one run of otplay sample: the reverse diffusion
// process from N(0, I) noise with one of the samplers of package
// diffusion. Field names and JSON keys are the CLI's flags;
// NewSampleRequest gives the CLI's defaults.
type SampleRequest struct {
	// Data is the data spec or .csv/.npy path (--data); DataSet, when
	// set, is used instead and Data only names it.
	Data    string    `json:"data"`
	DataSet *data.Set `json:"-"`
	// Model is empirical, gmm, rff or mlp:FILE. ModelData, when set, holds
	// the model file's contents (the API's upload) for Model mlp or
	// mlp:NAME, NAME then only naming it.
	Model     string `json:"model"`
	ModelData []byte `json:"-"`
	// Features is the number D of random Fourier features of Model rff
	// (diffusion.RFFScoreModel; NewSampleRequest sets 1024).
	Features int `json:"features"`
	// Sampler is one of diffusion.SamplerNames.
	Sampler string `json:"sampler"`
	// Schedule is one of diffusion.ScheduleNames; empty: linear (an MLP's own).
	Schedule string `json:"schedule"`
	// Spacing is the time grid: default, uniform, logsnr or karras.
	Spacing string `json:"spacing"`
	// Steps is the number of sampler steps (>= 1).
	Steps int `json:"steps"`
	// N is the number of samples.
	N int `json:"n"`
	// Seed seeds the initial noise and the sampler's noise.
	Seed uint64 `json:"seed"`
	// Eta is DDIM's eta in [0, 1].
	Eta float64 `json:"eta"`
	// Deterministic is the ODE mode of ddpm and euler-maruyama.
	Deterministic bool `json:"deterministic"`
	// RTol and ATol are ode-adaptive's tolerances.
	RTol float64 `json:"rtol"`
	ATol float64 `json:"atol"`
	// FinalDenoise returns the model's x_0 estimate at the last time.
	FinalDenoise bool `json:"final_denoise"`
	// Class, if >= 0, samples that class of labelled data (--class;
	// NewSampleRequest sets -1, none): the exact models restricted to
	// the class's points or components, or a class-conditional MLP
	// (otplay train --conditional).
	Class int `json:"class"`
	// Guidance is the classifier-free guidance weight W of --class
	// (diffusion.Guided): eps_uncond + W (eps_cond - eps_uncond), W = 1 + w
	// of Ho and Salimans 2022; 0 unconditional, 1 (NewSampleRequest's
	// default) the class without guidance, > 1 guided.
	Guidance float64 `json:"guidance"`
	// Churn is EDM's S_churn for the heun sampler (Karras et al. 2022,
	// Alg. 2; 0: Alg. 1, deterministic).
	Churn float64 `json:"churn"`
	// Corrector is none, langevin, tweedie or adaptive (see
	// diffusion.Corrector); CorrectorSteps and SNR are Langevin's.
	Corrector      string  `json:"corrector"`
	CorrectorSteps int     `json:"corrector_steps"`
	SNR            float64 `json:"snr"`
	// Threshold is dynamic thresholding's percentile p in (0, 1] (0: off);
	// ThresholdBound its R (0: the data's largest |coordinate|).
	Threshold      float64 `json:"threshold"`
	ThresholdBound float64 `json:"threshold_bound"`
	// ScoreScale multiplies the model's score (1: off; the seed's
	// guidance_scale).
	ScoreScale float64 `json:"score_scale"`
	// Backend is gpu, cpu32, cpu or auto (see OpenBackend).
	Backend string `json:"backend"`
	// Quality compares the samples with fresh data (the CLI: with --json
	// unless --quality=false): a built-in set's draw with another seed;
	// a file or DataSet has no fresh draws and is compared with itself.
	Quality bool `json:"quality"`
	// Correct, CorrectEvery and CorrectRelax are in sample_correct.go.
	SampleCorrection
	// PatchGuidance, PatchSize and Image are in sample_patch.go.
	SamplePatchGuidance
	// Hierarchical and its settings are in sample_hier.go.
	SampleHierarchical
	// BatchOT and its settings are in sample_batchot.go.
	SampleBatchOT
}

// NewSampleRequest returns a request holding the CLI's defaults: data
// 8gaussians:2000, the empirical model, dpmpp2m, 25 steps, 1000 samples,
// backend auto, final denoise and quality on.
func NewSampleRequest() SampleRequest {
	return SampleRequest{Data: "8gaussians:2000", Model: "empirical", Sampler: "dpmpp2m", Spacing: "default",
		Steps: 25, N: 1000, RTol: diffusion.DefaultRTol, ATol: diffusion.DefaultATol, FinalDenoise: true,
		Features: 1024, Class: -1, Guidance: 1, Corrector: "none", CorrectorSteps: 1, SNR: diffusion.DefaultSNR, ScoreScale: 1,
		Backend: "auto", Quality: true}
}

// SampleResult is the JSON object of otplay sample --json, plus the
// samples.
type SampleResult struct {
	Sampler   string           `json:"sampler"`
	Model     string           `json:"model"`
	Schedule  string           `json:"schedule"`
	Data      string           `json:"data"`
	Steps     int              `json:"steps"`
	N         int              `json:"n"`
	D         int              `json:"d"`
	Seed      uint64           `json:"seed"`
	NFE       int              `json:"nfe"`
	Accepted  int              `json:"accepted_steps"`
	Rejected  int              `json:"rejected_steps"`
	TimeMS    float64          `json:"time_ms"`
	Backend   string           `json:"backend"`
	Device    string           `json:"device"`
	Corrector string           `json:"corrector,omitempty"`
	Class     *int             `json:"class,omitempty"`
	Guidance  *float64         `json:"guidance,omitempty"`
	Quality   *metrics.Quality `json:"quality,omitempty"`
	Out       string           `json:"out,omitempty"`
	Notes     []string         `json:"notes,omitempty"`

	// Points are the N x D samples, row-major.
	Points []float64 `json:"-"`
	// Corrections and CorrectMS are in sample_correct.go.
	SampleCorrectionResult
	// PatchGuidedCalls is in sample_patch.go.
	SamplePatchGuidanceResult
	// HierarchicalIterations is in sample_hier.go.
	SampleHierarchicalResult
	// BatchOTEps and the move's report are in sample_batchot.go.
	SampleBatchOTResult
}

// trimDiffusionErr drops the package prefix of a diffusion input error.
func trimDiffusionErr(err error) string {
	return strings.TrimPrefix(err.Error(), diffusion.ErrBadInput.Error()+": ")
}

// TrimDiffusionErr is trimDiffusionErr for the commands that parse
// diffusion names themselves (otplay train).
func TrimDiffusionErr(err error) string { return trimDiffusionErr(err) }

// IsPointFile reports whether path names a point file data.Load reads
// (.csv, .txt, .tsv, .dat, .npy, .npz).
func IsPointFile(path string) bool { return data.IsFile(path) }

// Sample draws req.N samples with the model and sampler asked; see
// package diffusion for the samplers (with their papers) and FitGMM for
// the gmm model. With Quality it compares them with fresh data
// (metrics.Compare). When only that comparison fails, Sample returns the
// result without Quality alongside the error, so that the samples are not
// lost.
func Sample(req SampleRequest, opt Options) (*SampleResult, error) {
	sampler, err := diffusion.ParseSampler(req.Sampler)
	if err != nil {
		return nil, usage("--sampler: %v", trimDiffusionErr(err))
	}
	spacing, err := diffusion.ParseSpacing(req.Spacing)
	if err != nil {
		return nil, usage("--spacing: %v", trimDiffusionErr(err))
	}
	switch {
	case req.Steps < 1 || req.Steps > MaxSteps:
		return nil, usage("--steps = %d: want 1 .. %d", req.Steps, MaxSteps)
	case req.N < 1 || req.N > data.MaxPoints:
		return nil, usage("--n = %d: want 1 .. %d", req.N, data.MaxPoints)
	case !(req.Eta >= 0 && req.Eta <= 1):
		return nil, usage("--eta = %v: want a number in [0, 1]", req.Eta)
	case !(req.RTol > 0) || !(req.ATol > 0) || math.IsInf(req.RTol, 0) || math.IsInf(req.ATol, 0):
		return nil, usage("--rtol = %v and --atol = %v must be positive", req.RTol, req.ATol)
	case !(req.Churn >= 0) || math.IsInf(req.Churn, 0):
		return nil, usage("--churn = %v: want a number >= 0", req.Churn)
	case req.Churn > 0 && sampler != diffusion.Heun:
		return nil, usage("--churn applies to --sampler heun (EDM's Alg. 2), not %v", sampler)
	case req.CorrectorSteps < 1 || req.CorrectorSteps > 1000:
		return nil, usage("--corrector-steps = %d: want 1 .. 1000", req.CorrectorSteps)
	case !(req.SNR > 0) || math.IsInf(req.SNR, 0):
		return nil, usage("--snr = %v: want a positive number", req.SNR)
	case !(req.Threshold >= 0 && req.Threshold <= 1):
		return nil, usage("--threshold = %v: want a percentile in (0, 1] (0: off)", req.Threshold)
	case !(req.ThresholdBound >= 0) || math.IsInf(req.ThresholdBound, 0):
		return nil, usage("--threshold-bound = %v: want a positive number (0: the data's largest |coordinate|)", req.ThresholdBound)
	case !(req.ScoreScale > 0) || math.IsInf(req.ScoreScale, 0):
		return nil, usage("--score-scale = %v: want a positive number (1: off)", req.ScoreScale)
	case req.Class < -1:
		return nil, usage("--class = %d: want a class >= 0 (or -1: none)", req.Class)
	case math.IsNaN(req.Guidance) || math.IsInf(req.Guidance, 0):
		return nil, usage("--guidance = %v: want a finite number", req.Guidance)
	case req.Class < 0 && req.Guidance != 1:
		return nil, usage("--guidance = %v needs --class K (guidance mixes the class's model with the unconditional one)", req.Guidance)
	}
	corrector, err := diffusion.ParseCorrector(req.Corrector)
	if err != nil {
		return nil, usage("--corrector: %v", trimDiffusionErr(err))
	}
	if corrector != diffusion.NoCorrector && sampler == diffusion.ODEAdaptive {
		return nil, usage("--corrector %v: not with ode-adaptive (its error control assumes the plain ODE)", corrector)
	}
	if err := req.SampleCorrection.check(sampler, req.Spacing); err != nil {
		return nil, err
	}
	if err := req.SamplePatchGuidance.check(); err != nil {
		return nil, err
	}
	hier, err := req.SampleHierarchical.settings(sampler)
	if err != nil {
		return nil, err
	}
	if _, err := req.SampleBatchOT.check(req.Class); err != nil {
		return nil, err
	}
	kind, modelPath, _ := strings.Cut(req.Model, ":")
	switch kind {
	case "empirical", "gmm", "rff":
		if modelPath != "" || req.ModelData != nil {
			return nil, usage("--model %q: %s takes no file", req.Model, kind)
		}
		if kind == "rff" && (req.Features < 1 || req.Features > 1<<20) {
			return nil, usage("--features = %d: want 1 .. %d random Fourier features", req.Features, 1<<20)
		}
	case "mlp":
		if modelPath == "" && req.ModelData == nil {
			return nil, usage("--model mlp needs a file: mlp:FILE")
		}
	default:
		return nil, usage("--model %q: want empirical, gmm, rff or mlp:FILE", req.Model)
	}
	var sched diffusion.Schedule
	if req.Schedule != "" {
		if sched, err = diffusion.ParseSchedule(req.Schedule); err != nil {
			return nil, usage("--schedule: %v", trimDiffusionErr(err))
		}
	}
	var set data.Set
	if req.DataSet != nil {
		if err := CheckPoints("data", *req.DataSet); err != nil {
			return nil, err
		}
		set = *req.DataSet
	} else if set, err = data.Parse(req.Data); err != nil {
		if errors.Is(err, data.ErrBadSpec) {
			return nil, usage("--data: %v", err)
		}
		return nil, fmt.Errorf("--data: %w", err)
	}
	var classSet data.Set
	if req.Class >= 0 && kind != "mlp" {
		if classSet, err = ClassSubset(set, req.Class); err != nil {
			return nil, usage("--class: %v", err)
		}
	}
	if req.N > data.MaxElements/set.D {
		// The model's dimension is the data's (an MLP of another is refused below).
		return nil, usage("--n = %d: %d points of dimension %d exceed the limit of %d values", req.N, req.N, set.D, data.MaxElements)
	}

	b, note, err := opt.open(req.Backend)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	rep := &SampleResult{}
	if note != "" {
		opt.note(note)
		rep.Notes = append(rep.Notes, note)
	}
	var model, cond diffusion.Model // cond: the class's model (--class)
	switch kind {
	case "empirical":
		e, err := diffusion.NewEmpirical(b, set.Points, set.N, set.D, nil)
		if err != nil {
			return nil, err
		}
		defer e.Free()
		model = e
		if req.Class >= 0 {
			c, err := diffusion.NewEmpirical(b, classSet.Points, classSet.N, classSet.D, nil)
			if err != nil {
				return nil, err
			}
			defer c.Free()
			cond = c
		}
	case "rff":
		r, err := diffusion.NewRFFScoreModel(b, set.Points, set.N, set.D, req.Features, req.Seed)
		if err != nil {
			return nil, err
		}
		defer r.Free()
		model = r
		if req.Class >= 0 {
			c, err := diffusion.NewRFFScoreModel(b, classSet.Points, classSet.N, classSet.D, req.Features, req.Seed)
			if err != nil {
				return nil, err
			}
			defer c.Free()
			cond = c
		}
	case "gmm":
		g, err := FitGMM(b, set)
		if err != nil {
			return nil, err
		}
		defer g.Free()
		model = g
		if req.Class >= 0 {
			c, err := FitGMM(b, classSet)
			if err != nil {
				return nil, err
			}
			defer c.Free()
			cond = c
		}
	case "mlp":
		m, ms, err := loadMLP(b, modelPath, req.ModelData)
		if err != nil {
			return nil, fmt.Errorf("--model: %w", err)
		}
		if modelPath == "" {
			modelPath = "(uploaded)"
		}
		defer m.Free()
		if sched != nil && sched.Name() != ms.Name() {
			return nil, usage("--schedule %s: the model %s was trained with the %s schedule", sched.Name(), modelPath, ms.Name())
		}
		sched = ms
		if m.Dim() != set.D {
			return nil, fmt.Errorf("the model %s has dimension %d but --data %s has %d", modelPath, m.Dim(), req.Data, set.D)
		}
		model = m
		stochastic := (sampler.Stochastic() && !req.Deterministic) || req.Eta > 0 || req.Churn > 0 ||
			corrector == diffusion.Langevin || corrector == diffusion.Adaptive
		if m.Coupling() != "" && stochastic {
			msg := fmt.Sprintf("the model %s was trained with %s noise-data pairing: its flow is exact for deterministic samplers only (ddim with eta 0, dpmpp*, heun without churn, ode-adaptive, no langevin/adaptive corrector)", modelPath, m.Coupling())
			opt.note(msg)
			rep.Notes = append(rep.Notes, msg)
		}
		if req.Class >= 0 {
			if m.Classes() == 0 {
				return nil, usage("--class: the model %s is not class-conditional (train it with otplay train --conditional)", modelPath)
			}
			if req.Class >= m.Classes() {
				return nil, usage("--class %d: the model %s knows classes 0 .. %d", req.Class, modelPath, m.Classes()-1)
			}
			if cond, err = m.Class(req.Class); err != nil {
				return nil, err
			}
		}
	}
	if cond != nil {
		g, err := diffusion.NewGuided(b, cond, model, req.Guidance)
		if err != nil {
			return nil, usage("--guidance: %v", trimDiffusionErr(err))
		}
		defer g.Free()
		model = g
	}
	if sched == nil {
		sched = diffusion.Linear(diffusion.DefaultT)
	}
	model, guided, err := req.SamplePatchGuidance.wrap(b, model)
	if err != nil {
		return nil, err
	}
	d := model.Dim()
	x, err := b.Alloc(req.N * d)
	if err != nil {
		return nil, err
	}
	defer b.Free(x)
	start := time.Now()
	if err := diffusion.InitialNoise(b, x, req.Seed); err != nil {
		return nil, err
	}
	bound := req.ThresholdBound
	if req.Threshold > 0 && bound == 0 {
		for _, v := range set.Points {
			bound = max(bound, math.Abs(v))
		}
		bound = max(bound, math.SmallestNonzeroFloat64)
	}
	var corrected SampleCorrectionResult
	settings := diffusion.Settings{
		Sampler: sampler, Steps: req.Steps, Spacing: spacing, Eta: req.Eta, Deterministic: req.Deterministic,
		FinalDenoise: req.FinalDenoise, Seed: req.Seed, RTol: req.RTol, ATol: req.ATol, Churn: req.Churn,
		Corrector: corrector, CorrectorSteps: req.CorrectorSteps, SNR: req.SNR,
		Threshold: req.Threshold, ThresholdBound: bound, ScoreScale: req.ScoreScale, Hierarchical: hier,
	}
	moved, movedNote, err := req.SampleBatchOT.transport(b, x, req, set, sched, settings, opt)
	if err != nil {
		return nil, err
	}
	if movedNote != "" {
		rep.Notes = append(rep.Notes, movedNote)
	}
	res, err := req.SampleCorrection.sample(b, model, sched, x, req.N, set, settings, &corrected)
	if err != nil {
		return nil, err
	}
	pts := make([]float64, req.N*d)
	if err := b.Read(pts, x); err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	if err := compute.CheckFinite("samples", pts); err != nil {
		return nil, fmt.Errorf("the sampler produced non-finite values (%v); try more steps or another sampler", err)
	}
	info := b.Info()
	*rep = SampleResult{Sampler: sampler.String(), Model: req.Model, Schedule: sched.Name(), Data: req.Data,
		Steps: req.Steps, N: req.N, D: d, Seed: req.Seed, NFE: res.NFE, Accepted: res.Steps, Rejected: res.Rejected,
		TimeMS: float64(elapsed.Microseconds()) / 1000, Backend: info.Name, Device: info.Device, Notes: rep.Notes,
		Points: pts, SampleCorrectionResult: corrected,
		SampleHierarchicalResult: SampleHierarchicalResult{HierarchicalIterations: res.HierarchicalIterations},
		SampleBatchOTResult:      moved}
	guided(&rep.SamplePatchGuidanceResult)
	if n := sampleGuidanceNote(req.SamplePatchGuidance); n != "" {
		rep.Notes = append(rep.Notes, n)
	}
	if corrector != diffusion.NoCorrector {
		rep.Corrector = corrector.String()
	}
	if req.Class >= 0 {
		k, w := req.Class, req.Guidance
		rep.Class, rep.Guidance = &k, &w
	}
	if req.Quality {
		var fresh data.Set
		if req.DataSet != nil {
			fresh = set // inline data has no fresh draws: compare with itself
		} else if fresh, err = FreshData(req.Data, set, req.N); err != nil {
			return rep, fmt.Errorf("fresh data: %w", err)
		}
		if req.Class >= 0 && req.Guidance != 0 {
			// Held-out data of the class (W = 0 samples the whole set).
			if fresh, err = ClassSubset(fresh, req.Class); err != nil {
				return rep, fmt.Errorf("fresh data: %w", err)
			}
		}
		q, err := metrics.Compare(b, pts, req.N, fresh.Points, fresh.N, d, metrics.CompareSettings{Seed: req.Seed})
		if err != nil {
			return rep, fmt.Errorf("quality: %w", err)
		}
		rep.Quality = &q
	}
	return rep, nil
}

// loadMLP loads a model file written by otplay train, from path or, when
// contents is set, from those bytes (through a temporary file, so that
// diffusion.LoadMLP's checks apply; its name is replaced by name in
// errors).
func loadMLP(b compute.Backend, name string, contents []byte) (*diffusion.MLP, diffusion.Schedule, error) {
	if contents == nil {
		return diffusion.LoadMLP(b, name)
	}
	if name == "" {
		name = "(uploaded)"
	}
	f, err := os.CreateTemp("", "otplay-model-*.json")
	if err != nil {
		return nil, nil, err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(contents)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, nil, err
	}
	m, s, err := diffusion.LoadMLP(b, f.Name())
	if err != nil {
		return nil, nil, renamedError{strings.ReplaceAll(err.Error(), f.Name(), name), err}
	}
	return m, s, nil
}

// renamedError is err with another message (a temporary file's name
// replaced); errors.Is and As see err.
type renamedError struct {
	msg string
	err error
}

func (e renamedError) Error() string { return e.msg }
func (e renamedError) Unwrap() error { return e.err }

// FitGMM fits an isotropic Gaussian mixture to the data by moments:
// one component per label (one in all for unlabelled data) with weight
// the label's frequency, mean the label's mean and variance the mean
// squared deviation per coordinate.
func FitGMM(b compute.Backend, set data.Set) (*diffusion.GMM, error) {
	d := set.D
	labels := set.Labels
	if labels == nil {
		labels = make([]int, set.N)
	}
	index := map[int]int{}
	var order []int
	for _, l := range labels {
		if _, ok := index[l]; !ok {
			index[l] = len(order)
			order = append(order, l)
		}
	}
	k := len(order)
	w := make([]float64, k)
	mu := make([]float64, k*d)
	for i, l := range labels {
		c := index[l]
		w[c]++
		for j := range d {
			mu[c*d+j] += set.Points[i*d+j]
		}
	}
	for c := range k {
		for j := range d {
			mu[c*d+j] /= w[c]
		}
	}
	v := make([]float64, k)
	for i, l := range labels {
		c := index[l]
		for j := range d {
			t := set.Points[i*d+j] - mu[c*d+j]
			v[c] += t * t
		}
	}
	std := make([]float64, k)
	for c := range k {
		std[c] = math.Sqrt(v[c] / (w[c] * float64(d)))
	}
	return diffusion.NewGMM(b, w, mu, std, d)
}

// ClassSubset returns the points of set labelled k, with their labels. It
// fails when the set has no labels or no point of class k.
func ClassSubset(set data.Set, k int) (data.Set, error) {
	if set.Labels == nil {
		return data.Set{}, fmt.Errorf("the data %s has no labels (labelled sets: 8gaussians, 25gaussians, moons, circles, spirals, digits)", set.Name)
	}
	sub := data.Set{Name: fmt.Sprintf("%s[class %d]", set.Name, k), D: set.D}
	for i, l := range set.Labels {
		if l == k {
			sub.Points = append(sub.Points, set.Points[i*set.D:(i+1)*set.D]...)
			sub.Labels = append(sub.Labels, l)
			sub.N++
		}
	}
	if sub.N == 0 {
		return data.Set{}, fmt.Errorf("the data %s has no point of class %d", set.Name, k)
	}
	return sub, nil
}

// FreshData returns n fresh points of the data spec: the same built-in
// set and keys with another seed (the spec's seed + 1,000,003), or as
// many points as the spec drew when the set has fewer than n (digits). A
// file has no fresh draws: its own points are returned.
func FreshData(spec string, set data.Set, n int) (data.Set, error) {
	if IsPointFile(strings.TrimSpace(spec)) {
		return set, nil
	}
	parts := strings.Split(strings.TrimSpace(spec), ":")
	var seed uint64
	keep := []string{parts[0], strconv.Itoa(n)}
	for i, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		switch {
		case !ok && i == 0: // the point count
		case strings.EqualFold(strings.TrimSpace(k), "seed"):
			seed, _ = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		default:
			keep = append(keep, p)
		}
	}
	keep = append(keep, "seed="+strconv.FormatUint(seed+1000003, 10))
	fresh, err := data.Parse(strings.Join(keep, ":"))
	if err != nil && set.N < n {
		// A finite set (digits) may not have n points: draw as many as
		// the --data spec did.
		keep[1] = strconv.Itoa(set.N)
		fresh, err = data.Parse(strings.Join(keep, ":"))
	}
	return fresh, err
}
