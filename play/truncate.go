package play

import (
	"strconv"

	"github.com/otplay/otplay/solvers/diffusion"
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

// TruncateLadder are the step counts of the quality-against-NFE chart
// (the page's own steps are added).
var TruncateLadder = []int{1, 2, 3, 5, 8, 13, 20}

// TruncateSamplers are the fixed-step samplers (equal NFE needs a fixed
// number of model evaluations; the adaptive solver is left out).
var TruncateSamplers = []string{"ddim", "ddpm", "dpmpp2m", "dpmpp3m", "dpmpp2s", "heun", "euler-maruyama"}

// TruncateSchema is the URL state of /truncate. Defaults: 500 points of
// 8gaussians, the empirical model, T_trunc = 300 of T = 1000 on the
// linear schedule (t = 0.3, where q(x_t) still shows the eight clusters),
// the entropic prior, DPM-Solver++ 2M in 5 steps for both sides, 400
// particles.
var TruncateSchema = Schema{
	{Name: "data", Label: "Data set", Group: "Data", Kind: KindChoice, Default: "8gaussians", Choices: PointSets, Help: "data set p_0 (package data, seeded; upload: your CSV or .npy of 2-D points, shared with /diffusion)"},
	{Name: "n", Label: "Data points", Group: "Data", Slider: true, Log: true, Kind: KindInt, Default: "500", Min: 2, Max: MaxDiffusionData, Help: "data points"},
	{Name: "model", Label: "Denoiser", Group: "Model", Kind: KindChoice, Default: "empirical", Choices: DenoiserNames, Aliases: DenoiserAliases, Help: "denoiser D(x,t): empirical (the data's exact denoiser, a softmax-weighted mean; model=exact is its old name), gmm (fitted mixture) or mlp (trained here)"},
	{Name: "k", Label: "Mixture components K", Group: "Model", ShownWhen: "model=gmm", Slider: true, Kind: KindInt, Default: "8", Min: 1, Max: 64, Help: "gmm: mixture components K"},
	{Name: "train", Label: "Training steps", Group: "Model", ShownWhen: "model=mlp", Slider: true, Log: true, Kind: KindInt, Default: "1000", Min: 10, Max: MaxDiffusionTrain, Help: "mlp: Adam steps of denoising score matching"},
	{Name: "schedule", Label: "Noise schedule", Group: "Model", Advanced: true, Kind: KindChoice, Default: "linear", Choices: diffusion.ScheduleNames, Help: "noise schedule x_t = α_t x_0 + σ_t ε (T = 1000 steps, t = n/T)"},
	{Name: "ttrunc", Label: "Truncation step T_trunc", Group: "Truncation", Math: `<msub><mi>t</mi><mtext>start</mtext></msub><mo>=</mo><msub><mi>T</mi><mtext>trunc</mtext></msub><mo>/</mo><mi>T</mi>`, Kind: KindInt, Default: "300", Min: 2, Max: diffusion.DefaultT, Help: "T_trunc: the truncated reverse process starts at t = T_trunc/T from the prior instead of at t = 1 from N(0, I)"},
	{Name: "prior", Label: "Prior where sampling starts", Group: "Truncation", Kind: KindChoice, Default: "entropic", Choices: truncate.PriorNames,
		Help: "prior for x at T_trunc: gaussian N(0, I) (the baseline); sliced f(z) = z + g(z) trained on SW_2²(f(z), x_t); entropic T(z) = Σ_k w_k(z) x_k, w_k ∝ exp((G_k - |z - z_k|²)/ε)"},
	{Name: "fit", Label: "Prior fit samples K", Group: "Truncation", ShownWhen: "prior=entropic|sliced", Slider: true, Log: true, Kind: KindInt, Default: "500", Min: 16, Max: 4000, Help: "prior fit samples K: entropic prior = Sinkhorn between K normals z_k and K samples x_k of q(x_t) (K² pairs); 500 keeps the page's fit under a second or two"},
	{Name: "priorsteps", Label: "Sliced prior training steps", Group: "Truncation", ShownWhen: "prior=sliced", Advanced: true, Kind: KindInt, Default: "600", Min: 1, Max: 5000, Help: "sliced prior: Adam steps on SW_2²(f(z), x_t), batches of 256, 64 directions each"},
	{Name: "sampler", Label: "Sampler", Group: "Sampling", Kind: KindChoice, Default: "dpmpp2m", Choices: TruncateSamplers, Help: "the sampler of both sides (fixed steps, so equal steps give equal NFE)"},
	{Name: "steps", Label: "Sampling steps", Group: "Sampling", Slider: true, Kind: KindInt, Default: "5", Min: 1, Max: MaxTruncateSteps, Help: "steps of both sides: full from t = 1, truncated from t = T_trunc/T, both to t_end"},
	{Name: "particles", Label: "Particles per side", Group: "Sampling", Slider: true, Log: true, Kind: KindInt, Default: "400", Min: 2, Max: MaxTruncateParticles, Help: "particles per side"},
	{Name: "seed", Label: "Random seed", Group: "Sampling", Advanced: true, Kind: KindInt, Default: "0", Min: 0, Max: 1 << 53, Help: "seed of the data, the prior fit, the prior noise and the samplers (Philox)"},
	ComputeParam,
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
		About:   `Truncated diffusion (Lyu et al. 2022; Zheng et al. 2023): start the reverse process at T_trunc from a prior fitted to the forward marginal there, the Gaussian, a sliced-OT MLP or the entropic map, and compare it with the full process at equal NFE. While it sets up, the progress line counts the prior fit's Sinkhorn iterations or Adam steps, then the quality ladder's step counts. An MMD of 0 is the clamp of a non-positive unbiased MMD² estimate: no difference measurable at this sample size.`,
		Schema:  TruncateSchema,
		Tours:   TruncateTours,
	})
}

// Truncate is the typed state of /truncate.
type Truncate struct {
	ModelSpec
	TTrunc     int
	Prior      string // truncate.PriorNames
	Fit        int    // prior fit samples K
	PriorSteps int    // the sliced prior's Adam steps
	Sampler    string // one of TruncateSamplers
	Steps      int
	Particles  int
	Backend    string
}

// ParseTruncate reads the typed state from a decoded /truncate state.
func ParseTruncate(st State) (Truncate, error) {
	t := Truncate{
		ModelSpec: ModelSpec{Data: st.String("data"), N: st.Int("n"), Seed: uint64(st.Int("seed")), Schedule: st.String("schedule"),
			Model: st.String("model"), K: st.Int("k"), Train: st.Int("train")},
		TTrunc: st.Int("ttrunc"), Prior: st.String("prior"), Fit: st.Int("fit"), PriorSteps: st.Int("priorsteps"),
		Sampler: st.String("sampler"), Steps: st.Int("steps"), Particles: st.Int("particles"), Backend: st.String("backend"),
	}
	_, err := t.FitSettings(diffusion.Linear(0))
	return t, err
}

// State encodes the typed state as URL state (an upload's points are not
// in it).
func (t Truncate) State() (State, error) {
	return TruncateSchema.Make(map[string]string{
		"data": t.Data, "n": strconv.Itoa(t.N), "seed": strconv.FormatUint(t.Seed, 10), "schedule": t.Schedule,
		"model": t.Model, "k": strconv.Itoa(t.K), "train": strconv.Itoa(t.Train), "ttrunc": strconv.Itoa(t.TTrunc),
		"prior": t.Prior, "fit": strconv.Itoa(t.Fit), "priorsteps": strconv.Itoa(t.PriorSteps), "sampler": t.Sampler,
		"steps": strconv.Itoa(t.Steps), "particles": strconv.Itoa(t.Particles), "backend": t.Backend,
	})
}

// FitSettings are the prior-fit settings: T_trunc, the prior, the seed
// and FitSamples = Fit (package truncate's defaults otherwise; its
// default of 2000 fit samples takes tens of seconds on the wasm CPU
// backend, hence the page's 500) and SlicedSteps = PriorSteps.
func (t Truncate) FitSettings(sched diffusion.Schedule) (truncate.Settings, error) {
	p, err := truncate.ParsePrior(t.Prior)
	if err != nil {
		return truncate.Settings{}, err
	}
	return truncate.Settings{Schedule: sched, TTrunc: t.TTrunc, Prior: p, Seed: t.Seed,
		FitSamples: t.Fit, SlicedSteps: t.PriorSteps}, nil
}
