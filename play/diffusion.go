package play

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
)

// DiffusionPath is the route of the diffusion sampling page.
const DiffusionPath = "/diffusion"

// Limits of /diffusion. Every step costs one model evaluation per
// particle (the empirical model: a soft-mean over the data set, particles
// x data pairs), plus the field grid and the quality estimate, so 5000
// particles against 4096 data points is a few hundred milliseconds per
// step on the wasm CPU backend and a few on a GPU.
const (
	MaxDiffusionData      = 4096
	MaxDiffusionParticles = 5000
	MaxDiffusionSteps     = 1000
	MaxDiffusionTrain     = 20000
	// MaxDiffusionFeatures caps the rff model's features: each model
	// evaluation costs O((data + particles) x D) on the host.
	MaxDiffusionFeatures = 8192
	// MaxBatchOTProjections caps the sliced batch OT start's directions:
	// each costs a projection and a sort of the particles and the target.
	MaxBatchOTProjections = 4096
)

// Sizes of what the particle views draw and publish.
const (
	// FieldGrid is the side of the grid of field arrows.
	FieldGrid = 17
	// ParticleWindow is the half-width of the fixed view [-w, w]^2 of the
	// particle pages: the toys fill about [-2, 2]^2 and the prior
	// N(0, I) about [-3, 3]^2.
	ParticleWindow = 3.2
	// TrailPoints is how many particles draw trails.
	TrailPoints = 1000
	// QualityPoints caps both samples of the per-step quality estimate
	// (an O((n + m)^2) MMD).
	QualityPoints = 500
	// DiffusionPublished is how many particles (and denoised estimates) a
	// frame publishes.
	DiffusionPublished = 256
	// FigureMaxPoints caps the points a figure draws per cloud.
	FigureMaxPoints = 2048
)

// UploadChoice is the data-set choice that stands for points the reader
// uploaded (they are not in the URL; the view keeps them and puts them in
// the typed state).
const UploadChoice = "upload"

// PointSets are the 2-D data sets the particle pages offer (those of
// /ot), then UploadChoice.
var PointSets = append(append([]string(nil), OTSets...), UploadChoice)

// DiffusionSchema is the URL state of /diffusion. Defaults: 500 points of
// 8gaussians, the empirical (exact) denoiser, 500 particles, DPM-Solver++
// 2M in 25 steps on the linear DDPM schedule, the score field.
var DiffusionSchema = Schema{
	{Name: "data", Label: "Data set", Group: "Data", Kind: KindChoice, Default: "8gaussians", Choices: PointSets, Help: "data set p_0 (package data, seeded; upload: your CSV or .npy of 2-D points)"},
	{Name: "n", Label: "Data points", Group: "Data", Slider: true, Log: true, Kind: KindInt, Default: "500", Min: 1, Max: MaxDiffusionData, Help: "data points y_1..y_n (of an upload: the first n)"},
	{Name: "model", Label: "Denoiser", Group: "Model", Math: `<mi>D</mi><mo>(</mo><mi>x</mi><mo>,</mo><mi>t</mi><mo>)</mo><mo>=</mo><mi>𝔼</mi><mo>[</mo><msub><mi>x</mi><mn>0</mn></msub><mo>|</mo><msub><mi>x</mi><mi>t</mi></msub><mo>=</mo><mi>x</mi><mo>]</mo>`, Kind: KindChoice, Default: "empirical", Choices: DiffusionModelNames, Aliases: DenoiserAliases,
		Help: "denoiser D(x,t) = E[x_0|x_t=x]: empirical = the exact denoiser of the data, a softmax-weighted mean, w_j ∝ exp(-|x - α_t y_j|²/2σ_t²); gmm = a fitted Gaussian mixture; mlp = a network trained here; rff = the exact model's score estimated with D random Fourier features (SBDS's RFF kernel-derivative score)"},
	{Name: "features", Label: "Random features D", Group: "Model", ShownWhen: "model=rff", Slider: true, Log: true, Kind: KindInt, Default: "1024", Min: 1, Max: MaxDiffusionFeatures,
		Math: `<mo>∇</mo><mi>log</mi><msub><mover><mi>p</mi><mo>^</mo></mover><mi>t</mi></msub><mo>(</mo><mi>x</mi><mo>)</mo><mo>=</mo><mfrac><mrow><mo>∇</mo><mi>φ</mi><msup><mrow><mo>(</mo><mi>x</mi><mo>)</mo></mrow><mo>⊤</mo></msup><mover><mi>φ</mi><mo>¯</mo></mover></mrow><mrow><mi>φ</mi><msup><mrow><mo>(</mo><mi>x</mi><mo>)</mo></mrow><mo>⊤</mo></msup><mover><mi>φ</mi><mo>¯</mo></mover></mrow></mfrac>`,
		Help: "rff: D random Fourier features φ(x) = √(2/D) cos(ω·x + b), ω ~ N(0, I/σ_t²) (Rahimi and Recht 2007, eq. (2)), φ̄ their mean over the centres α_t y_j; the score is the ratio of the kernel-density estimate's gradient to its value (Sriperumbudur et al. 2017, sec. 4), with the data's Gaussian score where the density is not 3 standard errors above 0; error O(1/√D); as otplay sample --model rff --features D"},
	{Name: "k", Label: "Mixture components K", Group: "Model", ShownWhen: "model=gmm", Slider: true, Kind: KindInt, Default: "8", Min: 1, Max: 64, Help: "gmm: mixture components K of p_0 = Σ π_k N(μ_k, s² I), fitted by EM"},
	{Name: "train", Label: "Training steps", Group: "Model", ShownWhen: "model=mlp", Slider: true, Log: true, Kind: KindInt, Default: "1000", Min: 10, Max: MaxDiffusionTrain, Help: "mlp: Adam steps on L = E|ε_θ(α_t x_0 + σ_t ε, t) - ε|², batch 256"},
	{Name: "sampler", Label: "Sampler", Group: "Sampling", Kind: KindChoice, Default: "dpmpp2m", Choices: diffusion.SamplerNames(), Help: "reverse-process solver (ddpm, ddim η=0, DPM-Solver++ 2M/3M/2S, Heun, Euler-Maruyama, adaptive RK45)"},
	{Name: "steps", Label: "Sampling steps N", Group: "Sampling", Slider: true, Log: true, Kind: KindInt, Default: "25", Min: 1, Max: MaxDiffusionSteps, Help: "steps N from t=1 to t_end (NFE = N for first-order and multistep solvers)"},
	{Name: "schedule", Label: "Noise schedule", Group: "Sampling", Advanced: true, Math: `<msub><mi>x</mi><mi>t</mi></msub><mo>=</mo><msub><mi>α</mi><mi>t</mi></msub><msub><mi>x</mi><mn>0</mn></msub><mo>+</mo><msub><mi>σ</mi><mi>t</mi></msub><mi>ε</mi>`, Kind: KindChoice, Default: "linear", Choices: diffusion.ScheduleNames, Help: "noise schedule: x_t = α_t x_0 + σ_t ε, α_t² + σ_t² = 1"},
	{Name: "mmdsteps", Label: "MMD-adaptive time steps", Group: "Sampling", Advanced: true, Kind: KindChoice, Default: "no", Choices: []string{"no", "yes"},
		Help: "space the N steps evenly in the MMD between consecutive forward marginals of the data (SBDS's MMD-adaptive steps, bridge.MMDTimes): steps gather where the marginals change fastest; fixed-step samplers only"},
	{Name: "correct", Label: "Schrödinger-bridge correction", Group: "Sampling", Advanced: true, Kind: KindChoice, Default: "no", Choices: []string{"no", "yes"},
		Help: "between steps, compare the particles with the data pushed forward to the current time by a short Sinkhorn solve and move them part of the way along the plan (bridge.SampleCorrected); no NFE, O(n m) work per correction; fixed-step samplers only"},
	{Name: "every", Label: "Steps between corrections", Group: "Sampling", Advanced: true, ShownWhen: "correct=yes", Kind: KindInt, Default: "1", Min: 1, Max: MaxDiffusionSteps, Help: "sampler steps between two corrections (1: after every step)"},
	{Name: "lambda", Label: "Correction strength λ", Group: "Sampling", Advanced: true, ShownWhen: "correct=yes", Kind: KindFloat, Default: "0.5", Min: 0, MinOpen: true, Max: 1, Slider: true, SliderMin: 0.05, SliderMax: 1,
		Math: `<mi>x</mi><mo>←</mo><mi>x</mi><mo>+</mo><mi>λ</mi><mo>(</mo><mi>T</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>−</mo><mi>x</mi><mo>)</mo>`,
		Help: "the fraction of the way to the plan's barycentric projection T(x) that each correction moves"},
	{Name: "hierarchical", Label: "ATLAS hierarchical smoothing", Group: "Sampling", Advanced: true, Kind: KindChoice, Default: "no", Choices: []string{"no", "yes"},
		Help: "ATLAS's hierarchical sampler (diffusion.HierarchicalSmooth): after every step, a symmetric Sinkhorn solve on the particles with a Gaussian kernel of bandwidth ε√(1 - ᾱ_t) and a kernel-weighted mean of the predicted positions, weights f_j g_j; no NFE, about 40 O(n²) passes per step; stops with an error when the marginals stay off by more than 0.01, as the seed's does; as otplay sample --hierarchical; fixed-step samplers only"},
	{Name: "heps", Label: "Smoothing bandwidth ε", Group: "Sampling", Advanced: true, ShownWhen: "hierarchical=yes", Kind: KindFloat, Default: "0.01", Min: 0, MinOpen: true, Max: 10, Slider: true, Log: true, SliderMin: 0.001, SliderMax: 1,
		Math: `<mi>k</mi><mo>(</mo><mi>x</mi><mo>,</mo><mi>y</mi><mo>)</mo><mo>=</mo><msup><mi>e</mi><mrow><mo>−</mo><msup><mrow><mo>|</mo><mi>x</mi><mo>−</mo><mi>y</mi><mo>|</mo></mrow><mn>2</mn></msup><mo>/</mo><mn>2</mn><msup><mi>ε</mi><mn>2</mn></msup><mo>(</mo><mn>1</mn><mo>−</mo><msub><mover><mi>α</mi><mo>¯</mo></mover><mi>t</mi></msub><mo>)</mo></mrow></msup>`,
		Help: "the kernel bandwidth ε, in data units: the seed's default 0.01 changes nothing measurable on the 2-D sets; from about 0.1 the seed's 20 Sinkhorn iterations miss the marginal check (the run stops) and, solved to the end (otplay sample --hierarchical-averaged), the smoothing blurs the particles (solvers/diffusion/RESULTS.md); as otplay sample --hierarchical-eps"},
	{Name: "haveraged", Label: "Averaged Sinkhorn iteration", Group: "Sampling", Advanced: true, ShownWhen: "hierarchical=yes", Kind: KindChoice, Default: "no", Choices: []string{"no", "yes"},
		Math: `<mi>log</mi><mi>u</mi><mo>←</mo><mo>(</mo><mi>log</mi><mi>u</mi><mo>−</mo><mi>log</mi><mi>K</mi><mi>u</mi><mo>)</mo><mo>/</mo><mn>2</mn>`,
		Help: "the smoothing's symmetric Sinkhorn problem solved by the averaged iteration, f = g = u (Feydy et al. 2019), instead of the seed's alternating one: one kernel pass per iteration; it meets the 0.01 marginal check where the seed's can miss it and stop the run (ε = 0.1 in solvers/diffusion/RESULTS.md); as otplay sample --hierarchical-averaged"},
	{Name: "hbarycentric", Label: "Barycentric weights g_j", Group: "Sampling", Advanced: true, ShownWhen: "hierarchical=yes", Kind: KindChoice, Default: "no", Choices: []string{"no", "yes"},
		Math: `<msub><mi>x</mi><mi>i</mi></msub><mo>←</mo><mfrac><mrow><msub><mo>∑</mo><mi>j</mi></msub><msub><mi>k</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><msub><mi>g</mi><mi>j</mi></msub><msub><mi>y</mi><mi>j</mi></msub></mrow><mrow><msub><mo>∑</mo><mi>j</mi></msub><msub><mi>k</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><msub><mi>g</mi><mi>j</mi></msub></mrow></mfrac>`,
		Help: "the smoothing's kernel mean weighted by g_j, the barycentric projection of the plan diag(f) K diag(g), instead of the seed's f_j g_j (which is not that projection); as otplay sample --hierarchical-barycentric"},
	{Name: "batchot", Label: "Batch OT start", Group: "Sampling", Advanced: true, Kind: KindChoice, Default: "off", Choices: append([]string{"off"}, diffusion.BatchOTMethodNames()...),
		Math: `<mi>y</mi><mo>=</mo><msub><mi>α</mi><msub><mi>t</mi><mn>0</mn></msub></msub><msub><mi>y</mi><mn>0</mn></msub><mo>+</mo><msub><mi>σ</mi><msub><mi>t</mi><mn>0</mn></msub></msub><mi>z</mi>`,
		Help: "FastSB-OT's batch OT sampling, as otplay sample --batch-ot: before the first step the initial noise is moved towards a target of as many points, a held-out draw of the data (an upload: its own points, as many as the particles) pushed to the first time t_0 with noise of its own. sliced: the averaged sliced-OT displacement over P random directions (Rabin et al. 2011, Bonneel et al. 2015); full: the entropic plan's barycentric projection, ε = 0.005 (1 + 9 (1 - ᾱ_t0)), at most the seed's 50 Sinkhorn iterations, O(n²) each; not with a class (the target is the whole data)"},
	{Name: "projections", Label: "Sliced directions P", Group: "Sampling", Advanced: true, ShownWhen: "batchot=sliced", Slider: true, Log: true, Kind: KindInt, Default: strconv.Itoa(diffusion.DefaultBatchOTProjections), Min: 1, Max: MaxBatchOTProjections,
		Math: `<mi>x</mi><mo>+</mo><mfrac><mn>1</mn><mi>P</mi></mfrac><msub><mo>∑</mo><mi>p</mi></msub><msub><mi>θ</mi><mi>p</mi></msub><mo>(</mo><msub><mi>T</mi><mi>p</mi></msub><mo>(</mo><mi>x</mi><mo>·</mo><msub><mi>θ</mi><mi>p</mi></msub><mo>)</mo><mo>−</mo><mi>x</mi><mo>·</mo><msub><mi>θ</mi><mi>p</mi></msub><mo>)</mo>`,
		Help: "sliced batch OT: the number P of random directions θ_p averaged (the seed's 100); T_p is the exact 1-D OT map along θ_p, sort(y·θ_p) at the rank of x·θ_p; O(P n log n); as otplay sample --projections"},
	{Name: "class", Label: "Class", Group: "Guidance", ShownWhen: "data=" + strings.Join(LabelledSets, "|"), Kind: KindChoice, Default: "all", Choices: ClassChoices,
		Help: "sample one class of the labelled data (8gaussians' centre, moons' moon, circles' and rings' ring, spirals' and pinwheel's arm) with classifier-free guidance; all: the unconditional model. empirical and gmm: the exact class model (the denoiser of the class's points, a mixture fitted to them); mlp: the network is trained class-conditional (label dropout 0.1)"},
	{Name: "guidance", Label: "Guidance weight W", Group: "Guidance", ShownWhen: "class=" + strings.Join(ClassChoices[1:], "|"), Kind: KindFloat, Default: "1", Min: 0, Max: 5, Slider: true, SliderMin: 0, SliderMax: 5,
		Math: `<mi>ε</mi><mo>=</mo><msub><mi>ε</mi><mtext>uncond</mtext></msub><mo>+</mo><mi>W</mi><mo>(</mo><msub><mi>ε</mi><mtext>cond</mtext></msub><mo>−</mo><msub><mi>ε</mi><mtext>uncond</mtext></msub><mo>)</mo>`,
		Help: "classifier-free guidance (Ho and Salimans 2022, eq. (6) with W = 1 + w): W = 0 the unconditional model, 1 the class's model, > 1 sharper classes and less diversity (see class accuracy and spread)"},
	{Name: "corrector", Label: "Corrector", Group: "Sampling", Advanced: true, Kind: KindChoice, Default: "none", Choices: diffusion.CorrectorNames(),
		Help: "predictor-corrector sampling (Song et al. 2021, Alg. 4-5; SPOT's correctors): after every step, langevin = one Langevin MCMC step at signal-to-noise r = 0.16 (one more NFE), tweedie = a shrink towards Tweedie's posterior mean, adaptive = Langevin steps only where a step changed x by more than 10 %; as otplay sample --corrector; not with the adaptive solver"},
	{Name: "threshold", Label: "Threshold percentile p", Group: "Sampling", Advanced: true, Kind: KindFloat, Default: "0", Min: 0, Max: 1, Slider: true, SliderMin: 0, SliderMax: 1,
		Help: "dynamic thresholding (Saharia et al. 2022, Sec. 2.3): clip the denoised estimate at its p-th percentile of |x_0| with the data's largest |coordinate| as the bound R; 0: off; as otplay sample --threshold"},
	{Name: "churn", Label: "Churn S_churn", Group: "Sampling", Advanced: true, ShownWhen: "sampler=heun", Kind: KindFloat, Default: "0", Min: 0, Max: 100, Slider: true, SliderMin: 0, SliderMax: 20,
		Help: "EDM's stochastic churn S_churn for the Heun sampler (Karras et al. 2022, Alg. 2; 0: Alg. 1, deterministic): each step first adds noise raising σ by a factor 1 + min(S_churn/N, √2 - 1); as otplay sample --churn"},
	presetParam("Sampling", NoPreset, []string{"draft", "balanced", "ultra"}, true,
		"FastSB-OT's quality presets, as otplay sample --preset: draft 10 steps, balanced 25, ultra 50 with one Langevin corrector step per step; the particles are the batch chosen from this backend's storage-binding limit (a quarter of it in 64-D float32 points; a quarter again on a software adapter or the CPU), at most 5000 here. It sets the knobs at their defaults; ones you moved win. The read-out says what it set and why"),
	{Name: "particles", Label: "Particles", Group: "Sampling", Slider: true, Log: true, Kind: KindInt, Default: "500", Min: 1, Max: MaxDiffusionParticles, Help: "particles x_1 ~ N(0, I) moved by the sampler"},
	{Name: "seed", Label: "Random seed", Group: "Sampling", Advanced: true, Kind: KindInt, Default: "0", Min: 0, Max: 1 << 53, Help: "seed of the data, the prior noise and the sampler's noise (Philox)"},
	{Name: "field", Label: "Arrows show", Group: "Display", Kind: KindChoice, Default: "score", Choices: []string{"score", "drift", "none"},
		Help: "arrows: score ∇log p_t = (α_t D - x)/σ_t², or the probability-flow drift in reverse time β_t/2 (x + ∇log p_t)"},
	{Name: "trail", Label: "Trail length", Group: "Display", Slider: true, Kind: KindInt, Default: "8", Min: 0, Max: 50, Help: "trail length: the last positions drawn behind each particle"},
	ComputeParam,
}

// LabelledSets are the data sets of PointSets whose points carry a class
// (data.Set.Labels): the class control is shown for them only.
var LabelledSets = []string{"8gaussians", "moons", "circles", "25gaussians", "spirals", "pinwheel", "rings"}

// MaxClasses is the largest number of classes of LabelledSets
// (25gaussians' 25 centres).
const MaxClasses = 25

// ClassChoices are the class control's values: "all" (no class), then
// 0 .. MaxClasses-1 (a class the data lacks is refused by Start).
var ClassChoices = func() []string {
	c := []string{"all"}
	for k := 0; k < MaxClasses; k++ {
		c = append(c, strconv.Itoa(k))
	}
	return c
}()

// DenoiserNames are the models of the diffusion pages, named as
// `otplay sample --model` names them.
var DenoiserNames = []string{"empirical", "gmm", "mlp"}

// DiffusionModelNames are /diffusion's models: the denoisers and rff, a
// score model (otplay sample --model rff), which /truncate does not offer.
var DiffusionModelNames = append(append([]string(nil), DenoiserNames...), "rff")

// DenoiserAliases are the old URL names of the models: "exact" was the
// pages' name of the empirical denoiser.
var DenoiserAliases = map[string]string{"exact": "empirical"}

// DiffusionTours are the /diffusion page's presets.
var DiffusionTours = []Tour{
	{Name: "Few steps with a good solver", Query: "sampler=dpmpp2m&steps=10",
		Caption: "DPM-Solver++ 2M reaches the eight clusters in ten steps with the exact denoiser. Play and watch the particles fall onto the data as t goes from 1 to 0."},
	{Name: "The same budget with DDPM", Query: "sampler=ddpm&steps=10",
		Caption: "Ten ancestral DDPM steps leave the particles blurred between the clusters. The first-order stochastic sampler needs hundreds of steps where a second-order one needs ten."},
	{Name: "The exact denoiser memorises", Query: "n=50&particles=500&steps=50",
		Caption: "With only 50 data points the exact (empirical) denoiser sends every particle onto one of them. This is memorisation: the optimal denoiser of an empirical measure reproduces its points."},
	{Name: "Guidance sharpens a class and narrows it", Query: "class=0&guidance=3&particles=500&steps=25",
		Caption: "With W = 3 nearly every sample lands on centre 0, packed tighter than the class's own points. Measured on 8gaussians (RESULTS.md), guidance raises the class accuracy and shrinks the spread (to 0.14 of the class's own with the network), so every distance to the class's held-out data grows: the fidelity-diversity trade-off."},
	{Name: "A fitted mixture generalises", Query: "model=gmm&k=8&n=50&steps=50",
		Caption: "An 8-component Gaussian mixture fitted to the same 50 points gives a smooth density. The samples spread over each cluster instead of copying the data."},
}

func init() {
	Register(Page{
		Path:    DiffusionPath,
		Title:   "Diffusion",
		Summary: "The reverse diffusion process, step by step: particles with trails, the score or drift field, the denoised estimate, NFE and quality per step. Exact, Gaussian-mixture or trained models.",
		About: `The reverse diffusion process, step by step, with the models and samplers of otplay sample. Models: empirical (the exact denoiser of the data; the old name exact still loads), gmm (a tied Gaussian mixture fitted by EM), mlp (trained in the page; the progress line counts the Adam steps) and rff (the exact model's score estimated with D random Fourier features, SBDS's RFF kernel-derivative score; the read-out counts the points that fell back to the data's Gaussian score). Measured in solvers/diffusion/RESULTS.md: the rff score is 3-6 times worse than the exact model it approximates.

Sampling: MMD-adaptive time steps (bridge.MMDTimes) and the Schrödinger-bridge correction every k steps with strength λ (bridge.SampleCorrected), fixed-step samplers only; the corrector (Langevin, Tweedie or adaptive; Song et al. 2021), dynamic thresholding (Saharia et al. 2022) and Heun's churn (Karras et al. 2022), as otplay sample's flags of the same names; ATLAS's hierarchical smoothing after every step (bandwidth heps, the averaged iteration and the barycentric weights; the read-out counts its Sinkhorn iterations), as otplay sample --hierarchical; FastSB-OT's batch OT start (sliced with P directions, or full), which moves the initial noise towards a draw of the data pushed to the first time, as otplay sample --batch-ot. The preset control applies FastSB-OT's draft, balanced or ultra to the knobs left at their defaults, with the batch read from this backend's storage-binding limit, and says what it set.

Guidance on the labelled sets (8gaussians, moons, circles, 25gaussians, spirals, pinwheel, rings): class K and weight W (Ho and Salimans 2022; W = 0 unconditional, 1 the class, more sharper). A finished run shows the class accuracy and the spread beside the class's own. On 8gaussians (n = 400, 200 particles, 20 steps, empirical) the accuracy is 12.5 % at W = 0 and 100 % at W = 3, the spread 0.136 against the class's 0.219.`,
		Schema: DiffusionSchema,
		Tours:  DiffusionTours,
	})
}

// ModelSpec is the data and the denoiser of a diffusion page (/diffusion
// and /truncate share it): the data set, its size and seed (or the
// reader's upload), the noise schedule, and the model with its K or its
// training steps.
type ModelSpec struct {
	Data     string // a data set of package data, or UploadChoice
	N        int    // data points (of an upload: the first N)
	Seed     uint64
	Schedule string // diffusion.ParseSchedule's name
	Model    string // empirical, gmm or mlp
	K        int    // gmm components
	Train    int    // mlp Adam steps
	// Features is the rff model's random Fourier features D (0: 1024,
	// otplay sample's default).
	Features int
	// Upload holds the reader's points (row-major, 2-D) where Data is
	// UploadChoice; it is not part of the URL.
	Upload []float64
	// Conditional trains the MLP class-conditional on the data's labels
	// (diffusion.TrainSettings.Labels, label dropout 0.1).
	Conditional bool
}

// Labels returns the data's class labels (nil for an unlabelled set or an
// upload).
func (m ModelSpec) Labels() ([]int, error) {
	if m.Data == UploadChoice {
		return nil, nil
	}
	s, err := data.Generate(m.Data, m.N, data.Options{Seed: m.Seed})
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return s.Labels, nil
}

// Points returns the data: data.Generate(Data, N, Seed) in 2-D, or the
// first N points of the upload.
func (m ModelSpec) Points() ([]float64, int, error) {
	if m.Data != UploadChoice {
		s, err := data.Generate(m.Data, m.N, data.Options{Seed: m.Seed})
		if err != nil {
			return nil, 0, fmt.Errorf("data: %w", err)
		}
		return s.Points, s.N, nil
	}
	if len(m.Upload) < 2 {
		return nil, 0, fmt.Errorf("data = upload: choose a CSV or .npy file of 2-D points first (uploads are not part of the URL)")
	}
	n := min(m.N, len(m.Upload)/2)
	return m.Upload[:2*n], n, nil
}

// TrainSettings are the MLP's training settings: Train Adam steps, the
// package's defaults otherwise (batch 256, three hidden layers of 64,
// learning rate 2e-3), Seed, a loss readback every
// max(1, min(10, Train/100)) steps.
func (m ModelSpec) TrainSettings() diffusion.TrainSettings {
	return diffusion.TrainSettings{Steps: m.Train, Seed: m.Seed,
		LogEvery: max(1, min(10, m.Train/100)), Data: m.Data}
}

// Diffusion is the typed state of /diffusion.
type Diffusion struct {
	ModelSpec
	Sampler   string // diffusion.ParseSampler's name
	Steps     int
	Particles int
	// MMDSteps spaces the steps by bridge.MMDTimes; Correct applies
	// bridge.SampleCorrected's correction every Every steps with
	// strength Lambda.
	MMDSteps, Correct bool
	Every             int
	Lambda            float64
	// Class is the class sampled (-1: all, the unconditional model) and
	// Guidance its classifier-free guidance weight W.
	Class    int
	Guidance float64
	// Corrector, Threshold and Churn are diffusion.Settings' (Churn for
	// the Heun sampler only).
	Corrector string
	Threshold float64
	Churn     float64
	// Preset is a preset of package preset (or NoPreset), applied by
	// Start on the backend's hardware.
	Preset  string
	Field   string // score, drift or none
	Trail   int    // trail length in frames
	Backend string

	// Hierarchical applies ATLAS's smoothing after every step with
	// bandwidth HierEps (diffusion.HierarchicalSettings).
	Hierarchical bool
	HierEps      float64
	// HierAveraged and HierBarycentric are the smoothing's averaged
	// iteration and barycentric weights (HierarchicalSettings.Averaged,
	// Barycentric); they are read only with Hierarchical.
	HierAveraged, HierBarycentric bool

	// BatchOT is the batch OT start's map, "" (off), sliced or full
	// (diffusion.TransportBatch), with Projections directions for sliced.
	BatchOT     string
	Projections int
}

// ParseDiffusion reads the typed state from a decoded /diffusion state.
func ParseDiffusion(st State) (Diffusion, error) {
	d := Diffusion{
		ModelSpec: ModelSpec{Data: st.String("data"), N: st.Int("n"), Seed: uint64(st.Int("seed")), Schedule: st.String("schedule"),
			Model: st.String("model"), K: st.Int("k"), Train: st.Int("train"), Features: st.Int("features")},
		Sampler: st.String("sampler"), Steps: st.Int("steps"), Particles: st.Int("particles"),
		Field: st.String("field"), Trail: st.Int("trail"), Backend: st.String("backend"), Preset: st.String("preset"),
		Guidance: st.Float("guidance"), Class: -1,
		Corrector: st.String("corrector"), Threshold: st.Float("threshold"),
		MMDSteps: st.String("mmdsteps") == "yes", Correct: st.String("correct") == "yes", Every: st.Int("every"), Lambda: st.Float("lambda"),
		Hierarchical: st.String("hierarchical") == "yes", HierEps: st.Float("heps"),
	}
	// The hidden controls of the hierarchical smoothing and the batch OT
	// start are dropped, as the CLI refuses them alone.
	if d.Hierarchical {
		d.HierAveraged, d.HierBarycentric = st.String("haveraged") == "yes", st.String("hbarycentric") == "yes"
	}
	if m := st.String("batchot"); m != "off" {
		d.BatchOT = m
		if m == diffusion.BatchOTSliced.String() {
			d.Projections = st.Int("projections")
		}
	}
	// Churn of another sampler than Heun (the control is hidden there)
	// is dropped.
	if d.Sampler == "heun" {
		d.Churn = st.Float("churn")
	}
	// A class of an unlabelled set (the control is hidden there) is
	// dropped: the state is the unconditional model.
	if c := st.String("class"); c != "all" && slices.Contains(LabelledSets, d.Data) {
		d.Class, _ = strconv.Atoi(c)
		d.Conditional = d.Model == "mlp"
	}
	_, err := d.Settings()
	return d, err
}

// State encodes the typed state as URL state (an upload's points are not
// in it).
func (d Diffusion) State() (State, error) {
	return DiffusionSchema.Make(map[string]string{
		"data": d.Data, "n": strconv.Itoa(d.N), "seed": strconv.FormatUint(d.Seed, 10), "schedule": d.Schedule,
		"model": d.Model, "k": strconv.Itoa(d.K), "train": strconv.Itoa(d.Train), "features": strconv.Itoa(d.features()), "sampler": d.Sampler,
		"steps": strconv.Itoa(d.Steps), "particles": strconv.Itoa(d.Particles), "field": d.Field,
		"trail": strconv.Itoa(d.Trail), "backend": d.Backend, "preset": choiceOr(d.Preset, NoPreset),
		"corrector": d.Corrector, "threshold": FormatFloat(d.Threshold), "churn": FormatFloat(d.Churn),
		"class": d.classChoice(), "guidance": FormatFloat(d.Guidance),
		"mmdsteps": yesNo(d.MMDSteps), "correct": yesNo(d.Correct), "every": strconv.Itoa(d.Every), "lambda": FormatFloat(d.Lambda),
		"hierarchical": yesNo(d.Hierarchical), "heps": FormatFloat(d.HierEps),
		"haveraged": yesNo(d.HierAveraged), "hbarycentric": yesNo(d.HierBarycentric),
		"batchot": choiceOr(d.BatchOT, "off"), "projections": strconv.Itoa(d.projections()),
	})
}

// classChoice is the class control's text of d.Class.
func (d Diffusion) classChoice() string {
	if d.Class < 0 {
		return "all"
	}
	return strconv.Itoa(d.Class)
}

// Settings are the sampler settings (no callback): the sampler, its steps
// and the seed (the sampler's default spacing and end time, its default
// stochasticity), the corrector, the threshold percentile (its bound is
// set by Start) and Heun's churn.
func (d Diffusion) Settings() (diffusion.Settings, error) {
	s, err := diffusion.ParseSampler(d.Sampler)
	if err != nil {
		return diffusion.Settings{}, fmt.Errorf("sampler: %w", err)
	}
	if s == diffusion.ODEAdaptive && (d.MMDSteps || d.Correct || d.Hierarchical) {
		return diffusion.Settings{}, fmt.Errorf("sampler = %s picks its own steps: MMD-adaptive steps, the bridge correction and the hierarchical smoothing need a fixed-step sampler", d.Sampler)
	}
	c, err := diffusion.ParseCorrector(d.Corrector)
	if err != nil {
		return diffusion.Settings{}, fmt.Errorf("corrector: %w", err)
	}
	if s == diffusion.ODEAdaptive && c != diffusion.NoCorrector {
		return diffusion.Settings{}, fmt.Errorf("sampler = %s picks its own steps: the %s corrector needs a fixed-step sampler", d.Sampler, d.Corrector)
	}
	if d.BatchOT != "" {
		if _, err := diffusion.ParseBatchOTMethod(d.BatchOT); err != nil {
			return diffusion.Settings{}, fmt.Errorf("batchot: %w", err)
		}
		if d.Class >= 0 {
			return diffusion.Settings{}, fmt.Errorf("batchot = %s with class %d: the batch OT start's target is a draw of the whole data, not of the class (otplay sample asks for a --batch-ot-target of the class's points)", d.BatchOT, d.Class)
		}
	}
	if d.Churn > 0 && s != diffusion.Heun {
		return diffusion.Settings{}, fmt.Errorf("churn = %v: EDM's churn is the heun sampler's, not %s's", d.Churn, d.Sampler)
	}
	// ThresholdBound is set by Start (the data's largest |coordinate|).
	return diffusion.Settings{Sampler: s, Steps: d.Steps, Seed: d.Seed, Corrector: c, Threshold: d.Threshold, Churn: d.Churn,
		Hierarchical: diffusion.HierarchicalSettings{On: d.Hierarchical, Bandwidth: d.HierEps, Averaged: d.HierAveraged, Barycentric: d.HierBarycentric}}, nil
}

// projections is the sliced batch OT start's P (the seed's 100 where
// unset).
func (d Diffusion) projections() int {
	if d.Projections < 1 {
		return diffusion.DefaultBatchOTProjections
	}
	return d.Projections
}

// withPreset returns d with its preset's sampler knobs applied on
// backend b (steps, sampler, corrector, and the particles: the batch
// for b's hardware, at most MaxDiffusionParticles) where d's state st
// leaves them at their defaults, and what it set; d unchanged and nil
// without a preset.
func (d Diffusion) withPreset(st State, b compute.Backend) (Diffusion, *PresetReadout, error) {
	if d.Preset == "" || d.Preset == NoPreset {
		return d, nil, nil
	}
	p, _, err := presetFor(d.Preset, b)
	if err != nil {
		return d, nil, fmt.Errorf("preset: %w", err)
	}
	r := &PresetReadout{Name: p.Name, Origin: p.Origin, Reason: p.Reason}
	a := presetApplier{schema: DiffusionSchema, st: st, out: r}
	applyPreset(a, "steps", &d.Steps, p.Steps, strconv.Itoa(p.Steps))
	applyPreset(a, "sampler", &d.Sampler, p.Sampler, p.Sampler)
	applyPreset(a, "corrector", &d.Corrector, p.Corrector, p.Corrector)
	n := min(p.N, MaxDiffusionParticles)
	note := strconv.Itoa(n)
	if n < p.N {
		note += " (the preset's " + strconv.Itoa(p.N) + ", capped at this page's " + strconv.Itoa(MaxDiffusionParticles) + ")"
	}
	applyPreset(a, "particles", &d.Particles, n, note)
	return d, r, nil
}
