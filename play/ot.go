package play

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/kernel"
	"github.com/otplay/otplay/solvers/ot"
	"github.com/otplay/otplay/solvers/preset"
)

// OTPath is the route of the entropic OT page.
const OTPath = "/ot"

// OTSets are the 2-D data sets the /ot page offers.
var OTSets = []string{"8gaussians", "moons", "circles", "gaussian", "uniform", "25gaussians", "swissroll", "checkerboard", "spirals", "pinwheel", "rings"}

// OTCostPowers are the exponents p of the ground cost |x - y|^p that /ot
// offers (ot.Problem.P): 2 (the default, W_2), 1.5 and 1 (W_1).
var OTCostPowers = []string{"2", "1.5", "1"}

// MaxOTPoints bounds n and m on /ot: each iteration is two soft-mins over
// n*m pairs and each frame reads back the top-k plan entries, so 2048^2
// pairs keep a frame well under a second on the wasm CPU backend.
const MaxOTPoints = 2048

// OTSchema is the URL state of /ot. Defaults: 200 points of 8gaussians
// to 200 of moons (both fill about [-2, 2]^2), eps = 0.05 (a sharp plan
// that converges in tens of iterations at that scale), balanced, two plan
// lines per point, one iteration per frame.
var OTSchema = Schema{
	{Name: "x", Label: "Source points", Group: "Data", Kind: KindChoice, Default: "8gaussians", Choices: OTSets, Help: "n points x_i of this set (seed), each of weight a_i = 1/n; or your own file"},
	{Name: "y", Label: "Target points", Group: "Data", Kind: KindChoice, Default: "moons", Choices: OTSets, Help: "m points y_j of this set (seed + 1), each of weight b_j = 1/m"},
	{Name: "n", Label: "Number of source points n", Group: "Data", Kind: KindInt, Default: "200", Min: 1, Max: MaxOTPoints, Slider: true, Log: true, Help: "each iteration costs O(n m)"},
	{Name: "m", Label: "Number of target points m", Group: "Data", Kind: KindInt, Default: "200", Min: 1, Max: MaxOTPoints, Slider: true, Log: true, Help: "target points"},
	{Name: "seed", Label: "Random seed", Group: "Data", Advanced: true, Kind: KindInt, Default: "0", Min: 0, Max: 1 << 53, Help: "data seed (the target uses seed + 1)"},
	{Name: "method", Label: "Problem", Group: "Transport", Kind: KindChoice, Default: "balanced", Choices: []string{"balanced", "unbalanced", "partial", "divergence", "hilbert"},
		Help: "balanced: P1 = a, P'1 = b; unbalanced: marginals penalised by τ KL; partial: move only some mass; divergence: the debiased Sinkhorn divergence S; hilbert: S with the Gaussian kernel's feature cost (the Hilbert Sinkhorn divergence, as otplay solve --method hilbert)"},
	{Name: "features", Label: "Random features D", Group: "Transport", ShownWhen: "method=hilbert", Kind: KindInt, Default: strconv.Itoa(kernel.DefaultHilbertFeatures), Min: 1, Max: compute.MaxDim, Slider: true, Log: true,
		Math: `<msub><mi>C</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>=</mo><msup><mrow><mo>|</mo><mi>φ</mi><mo>(</mo><msub><mi>x</mi><mi>i</mi></msub><mo>)</mo><mo>−</mo><mi>φ</mi><mo>(</mo><msub><mi>y</mi><mi>j</mi></msub><mo>)</mo><mo>|</mo></mrow><mn>2</mn></msup><mo>≈</mo><mn>2</mn><mo>−</mo><mn>2</mn><msup><mi>e</mi><mrow><mo>−</mo><msup><mrow><mo>|</mo><msub><mi>x</mi><mi>i</mi></msub><mo>−</mo><msub><mi>y</mi><mi>j</mi></msub><mo>|</mo></mrow><mn>2</mn></msup><mo>/</mo><mn>2</mn><msup><mi>σ</mi><mn>2</mn></msup></mrow></msup>`,
		Help: "hilbert: D random Fourier features φ(x) = √(2/D) cos(ω·x + b), ω ~ N(0, I/σ²) (Rahimi and Recht 2007, Alg. 1), σ the median distance; S is the Sinkhorn divergence between the embedded clouds (Li et al. 2021, eq. (7)); the cost lies in [0, 4], so ε is on that scale; error O(1/√D) per entry"},
	{Name: "p", Label: "Ground cost power p", Group: "Transport", Kind: KindChoice, Default: "2", Choices: OTCostPowers,
		Math: `<msub><mi>C</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>=</mo><msup><mrow><mo>|</mo><msub><mi>x</mi><mi>i</mi></msub><mo>−</mo><msub><mi>y</mi><mi>j</mi></msub><mo>|</mo></mrow><mi>p</mi></msup>`,
		Help: "p = 2: the squared distance (W_2); p = 1: the distance itself (W_1), which moves mass along shared paths; ε is in units of the cost"},
	{Name: "eps", Label: "Blur ε", Group: "Transport", Kind: KindFloat, Default: "0.05", Min: 0, MinOpen: true, Max: 100, Slider: true, Log: true, SliderMin: 1e-3, SliderMax: 10,
		Math: `<msub><mi>P</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>=</mo><msub><mi>a</mi><mi>i</mi></msub><msub><mi>b</mi><mi>j</mi></msub><msup><mi>e</mi><mrow><mo>(</mo><msub><mi>f</mi><mi>i</mi></msub><mo>+</mo><msub><mi>g</mi><mi>j</mi></msub><mo>−</mo><msub><mi>C</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>)</mo><mo>/</mo><mi>ε</mi></mrow></msup>`,
		Help: "C_ij = |x_i − y_j|²; small ε: a sharp plan, slow to converge; large ε: a blurry one"},
	{Name: "tau", Label: "Marginal penalty τ", Group: "Transport", ShownWhen: "method=unbalanced", Kind: KindFloat, Default: "1", Min: 0, MinOpen: true, Max: 1e6, Slider: true, Log: true, SliderMin: 1e-2, SliderMax: 1e3,
		Math: `<mo>+</mo><mi>τ</mi><mi>KL</mi><mo>(</mo><mi>P</mi><mn>1</mn><mo>|</mo><mi>a</mi><mo>)</mo><mo>+</mo><mi>τ</mi><mi>KL</mi><mo>(</mo><msup><mi>P</mi><mo>⊤</mo></msup><mn>1</mn><mo>|</mo><mi>b</mi><mo>)</mo>`,
		Help: "small τ lets mass be created or destroyed (outliers are left alone); τ → ∞ is balanced"},
	{Name: "mass", Label: "Transported mass", Group: "Transport", ShownWhen: "method=partial", Kind: KindFloat, Default: "0.5", Min: 0, MinOpen: true, Max: 1, Slider: true, SliderMin: 0.01, SliderMax: 1,
		Math: `<munder><mo>∑</mo><mrow><mi>i</mi><mi>j</mi></mrow></munder><msub><mi>P</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>=</mo><mi>m</mi><mo>,</mo><mspace width="0.5em"/><mi>P</mi><mn>1</mn><mo>≤</mo><mi>a</mi><mo>,</mo><mspace width="0.5em"/><msup><mi>P</mi><mo>⊤</mo></msup><mn>1</mn><mo>≤</mo><mi>b</mi>`,
		Help: "the fraction m of min(|a|, |b|) = 1 that is moved"},
	{Name: "richardson", Label: "Richardson extrapolation of the cost", Group: "Transport", Advanced: true, ShownWhen: "method=balanced", Kind: KindChoice, Default: "no", Choices: []string{"no", "yes"},
		Math: `<mn>2</mn><msub><mi>X</mi><mrow><mi>ε</mi><mo>/</mo><mn>2</mn></mrow></msub><mo>−</mo><msub><mi>X</mi><mi>ε</mi></msub>`,
		Help: "also solve at ε and ε/2 (warm-started) and show 2 X(ε/2) − X(ε): the transport cost with an O(ε²) bias instead of O(ε)"},
	{Name: "warm", Label: "Warm start from the current potentials", Group: "Transport", Advanced: true, ShownWhen: "method=balanced", Kind: KindChoice, Default: "no", Choices: []string{"no", "yes"},
		Help: "when ε (or anything but the problem) changes, start Sinkhorn from the last run's potentials f, g instead of zeros; the page also solves once from zeros and shows the iterations saved"},
	{Name: "steps", Label: "Iterations per frame", Group: "Transport", Advanced: true, Kind: KindInt, Default: "1", Min: 1, Max: 100, Slider: true,
		Math: `<msub><mi>f</mi><mi>i</mi></msub><mo>←</mo><mo>−</mo><mi>ε</mi><mi>log</mi><munder><mo>∑</mo><mi>j</mi></munder><msub><mi>b</mi><mi>j</mi></msub><msup><mi>e</mi><mrow><mo>(</mo><msub><mi>g</mi><mi>j</mi></msub><mo>−</mo><msub><mi>C</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>)</mo><mo>/</mo><mi>ε</mi></mrow></msup>`,
		Help: "Sinkhorn iterations between two pictures; then g likewise"},
	{Name: "tier", Label: "Also solve with a kernel approximation", Group: "Transport", Advanced: true, Kind: KindChoice, Default: "none", Choices: []string{"none", "auto", "full", "rff", "nystrom"}, Help: "K = exp(−C/ε) applied exactly (full) or as K ≈ Φ_x Φ_y' (rff: positive random features; nystrom: landmarks), O((n+m) r) per iteration"},
	presetParam("Transport", NoPreset, []string{"balanced", "fast", "repro"}, true,
		"presets of otplay solve --preset: balanced = otplay's defaults (at most 1000 iterations, tol 1e-6); fast = SPOT's 30 Sinkhorn iterations; repro = SPOT's reproducible run, on the float64 CPU backend where Compute on is left at auto. The read-out says what it set"),
	{Name: "k", Label: "Plan lines per source point", Group: "Display", Kind: KindInt, Default: "2", Min: 0, Max: 10, Slider: true, Help: "each point's k largest P_ij, opacity P_ij / max P"},
	ComputeParam,
}

// OTTours are the /ot page's presets.
var OTTours = []Tour{
	{Name: "Sharp versus blurry plans", Query: "eps=0.5&k=4",
		Caption: "With a large blur ε every source point spreads its mass over many targets, and the plan lines fan out. Slide ε down to 0.005 and Apply: the plan sharpens towards a one-to-one matching, and Sinkhorn needs many more iterations to converge (watch the marginal error fall slowly)."},
	{Name: "Outliers ignored by unbalanced OT", Query: "method=unbalanced&tau=0.05&x=uniform&y=25gaussians&k=3",
		Caption: "The outer ring of the 5×5 grid of targets lies outside the square of sources, and balanced OT must still fill it. With a small marginal penalty τ those far clusters receive little mass (hover over one): unbalanced OT destroys and creates mass rather than pay to move it far."},
	{Name: "Cost power p = 1 versus p = 2", Query: "p=1&x=gaussian&y=8gaussians&n=80&m=80&eps=0.05&k=1&steps=10",
		Caption: "With p = 1 (C = |x − y|) a move costs its length, and two crossing links can always be uncrossed for less (the triangle inequality), so the sharp plan's lines hardly cross. Switch p to 2 and Apply: the squared cost prefers two medium moves to one long and one short, so links may cross, and the cost is now in squared units."},
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
		About: `Entropic OT between two clouds (built-in, painted by click-and-drag, or an uploaded .csv), one Sinkhorn iteration per Step (log domain, Peyré and Cuturi 2019, eq. (4.43)); the same solver as otplay solve. Problems (method): balanced; unbalanced with KL marginal penalties τ (POT's sinkhorn_unbalanced); partial, transporting a fraction of the mass (POT's entropic_partial_wasserstein); divergence, the debiased Sinkhorn divergence S = OT(a,b) - (OT(a,a) + OT(b,b))/2 (Feydy et al. 2019, eq. (4)); hilbert, the same divergence between random-Fourier-feature embeddings of a Gaussian kernel (Li et al. 2021, eq. (7); otplay solve --method hilbert, features D).

The ground cost C = |x - y|^p (p = 2, 1.5 or 1): with p = 1 a sharp plan's links hardly cross, by the triangle inequality, while with p = 2 they may. Richardson extrapolation of the cost, 2 X(ε/2) - X(ε), is shown beside the plain cost (balanced only; L. F. Richardson 1911). A warm start reuses the shown run's potentials when only ε changes (Schmitzer 2019, sec. 3.2) and reports the iterations a cold start needs: on gaussian to moons, n = 60, m = 50, ε 0.05 to 0.04 took 511 iterations against 605 from zeros, 0.05 to 0.06 304 against 368, but 0.1 to 0.05 466 against 449 (a warm start is not always shorter). The "map" mouse mode adds a query point z per click or tap and draws its arrow to the entropic map T(z) (Pooladian and Niles-Weed 2021, eq. (3); balanced only; the points are not in the URL).

Presets (otplay solve --preset): balanced keeps otplay's defaults, fast caps the run at SPOT's 30 iterations, repro computes on the float64 CPU backend. The tier control also solves once with a kernel approximation (full, RFF, Nyström) and compares.`,
		Schema: OTSchema,
		Tours:  OTTours,
	})
}

// OT is the typed state of /ot: one field per parameter of OTSchema, and
// the clouds the reader uploaded or painted (not in the URL).
type OT struct {
	X, Y   string // the data sets of the source and the target
	N, M   int    // their sizes
	Seed   uint64 // X uses Seed, Y uses Seed + 1
	Method string // balanced, unbalanced, partial or divergence
	Eps    float64
	P      float64 // the ground cost |x - y|^P (ot.Problem.P)
	// Richardson also solves at Eps and Eps/2 and extrapolates the cost
	// (ot.Richardson); like Tau for the other methods, it is kept but
	// not used unless Method is balanced (its control is hidden).
	Richardson bool
	// Warm starts the balanced solver from From's potentials where From
	// is a run of the same problem (see OTPotentials).
	Warm bool
	From *OTPotentials
	// Features is the hilbert method's number D of random Fourier
	// features (kernel.RFFEmbed).
	Features int
	Tau      float64 // the marginal penalty (unbalanced)
	Mass     float64 // the transported fraction (partial)
	Steps    int     // iterations per frame while playing
	Tier     string  // none, auto, full, rff or nystrom
	K        int     // plan lines per source point
	Backend  string
	// Preset is a solve preset of package preset (or NoPreset): ParseOT
	// applies its MaxIter and Tol, and PresetSetup says what it set.
	Preset      string
	MaxIter     int
	Tol         float64
	PresetSetup *PresetReadout
	// Clouds replace the generated source ([0]) and target ([1]) where
	// not nil.
	Clouds [2]*Cloud
}

// Cloud is a 2-D point cloud the reader gave (a .csv upload, painting).
type Cloud struct {
	Name   string
	Points []float64 // N x 2, row-major
	N      int
}

// ParseOT reads the typed state from a decoded /ot state.
func ParseOT(st State) (OT, error) {
	o := OT{
		X: st.String("x"), Y: st.String("y"), N: st.Int("n"), M: st.Int("m"), Seed: uint64(st.Int("seed")),
		Method: st.String("method"), Eps: st.Float("eps"), Richardson: st.String("richardson") == "yes", Warm: st.String("warm") == "yes", Tau: st.Float("tau"), Mass: st.Float("mass"),
		Features: st.Int("features"), Steps: st.Int("steps"), Tier: st.String("tier"), K: st.Int("k"), Backend: st.String("backend"),
	}
	var err error
	if o.P, err = strconv.ParseFloat(st.String("p"), 64); err != nil {
		return o, fmt.Errorf("p = %q: %w", st.String("p"), err)
	}
	if o.Preset = st.String("preset"); o.Preset != NoPreset {
		// solve's presets do not depend on the hardware (only repro's
		// backend, which PreferredBackend applies).
		p, err := preset.For(o.Preset, preset.Hardware{})
		if err != nil {
			return o, fmt.Errorf("preset: %w", err)
		}
		o.MaxIter, o.Tol = p.Iters, p.Tol
		r := &PresetReadout{Name: p.Name, Origin: p.Origin,
			Set: []string{fmt.Sprintf("at most %d iterations", p.Iters), "tol = " + FormatFloat(p.Tol)}}
		if p.Backend != "" {
			if be := PreferredBackend(st); be == p.Backend {
				r.Set = append(r.Set, "backend = "+p.Backend+" (float64)")
			} else {
				r.Kept = append(r.Kept, "backend = "+be)
			}
		}
		o.PresetSetup = r
	}
	return o, o.check()
}

// check verifies the values that the schema does not bound: the sizes of
// given clouds, and the hilbert method's cost (the kernel's, not |x-y|^p).
func (o OT) check() error {
	if o.Method == "hilbert" && o.P != 2 {
		return fmt.Errorf("p = %g: the hilbert method's cost is the Gaussian kernel's feature distance, not |x - y|^p; set p = 2", o.P)
	}
	for k, c := range o.Clouds {
		if c != nil && (c.N < 1 || c.N > MaxOTPoints || len(c.Points) != 2*c.N) {
			return fmt.Errorf("%s: a cloud of %d points (%d numbers): want 1 to %d points of 2 coordinates", []string{"x", "y"}[k], c.N, len(c.Points), MaxOTPoints)
		}
	}
	return nil
}

// State encodes the typed state as URL state (the clouds are not in it).
func (o OT) State() (State, error) {
	return OTSchema.Make(map[string]string{
		"x": o.X, "y": o.Y, "n": strconv.Itoa(o.N), "m": strconv.Itoa(o.M), "seed": strconv.FormatUint(o.Seed, 10),
		"method": o.Method, "eps": FormatFloat(o.Eps), "p": FormatFloat(o.P), "richardson": yesNo(o.Richardson), "warm": yesNo(o.Warm), "tau": FormatFloat(o.Tau), "mass": FormatFloat(o.Mass),
		"features": strconv.Itoa(o.features()), "steps": strconv.Itoa(o.Steps), "tier": o.Tier, "k": strconv.Itoa(o.K), "backend": o.Backend, "preset": choiceOr(o.Preset, NoPreset),
	})
}

// Problem builds the problem: data.Generate of X with Seed and of Y with
// Seed + 1 (or the given clouds), uniform weights.
func (o OT) Problem() (ot.Problem, error) {
	if err := o.check(); err != nil {
		return ot.Problem{}, err
	}
	xs, err := data.Generate(o.X, o.N, data.Options{Seed: o.Seed})
	if err != nil {
		return ot.Problem{}, fmt.Errorf("x: %w", err)
	}
	ys, err := data.Generate(o.Y, o.M, data.Options{Seed: o.Seed + 1})
	if err != nil {
		return ot.Problem{}, fmt.Errorf("y: %w", err)
	}
	p := ot.Problem{X: xs.Points, Y: ys.Points, N: xs.N, M: ys.N, D: xs.D, P: o.P}
	if c := o.Clouds[0]; c != nil {
		p.X, p.N = c.Points, c.N
	}
	if c := o.Clouds[1]; c != nil {
		p.Y, p.M = c.Points, c.N
	}
	return p, nil
}

// Settings are the solver settings: Eps, and TauA = TauB = Tau
// (unbalanced) or Mass = Mass * min(|a|, |b|) = Mass (partial: uniform
// weights have total mass 1); CheckEvery = 1 for one chart point per
// iteration; the preset's MaxIter and Tol, else the ot package's
// defaults (Tol 1e-6, MaxIter 1000).
func (o OT) Settings() ot.Settings {
	s := ot.Settings{Eps: o.Eps, CheckEvery: 1, MaxIter: o.MaxIter, Tol: o.Tol}
	switch o.Method {
	case "unbalanced":
		s.TauA, s.TauB = o.Tau, o.Tau
	case "partial":
		s.Mass = o.Mass
	}
	return s
}

// OTFrame is the state of an /ot run after some iterations: its numbers
// (published to scripts as JSON) and its figures.
type OTFrame struct {
	Method    string  `json:"method"`
	N         int     `json:"n"` // source points (the data set's or a given cloud's)
	M         int     `json:"m"`
	Iteration int     `json:"iteration"`
	Eps       float64 `json:"eps"` // the eps of the next iteration
	Converged bool    `json:"converged"`
	// Status is the solver's sentence on convergence: converged or not,
	// why, and what to do about it (ot.Result.Status).
	Status string `json:"status,omitempty"`
	// Cost is <P, C>, Objective OT_eps (see ot.Result), MarginalError the
	// marginal error of the current plan, Mass its total mass.
	Cost          float64 `json:"cost"`
	Objective     float64 `json:"objective"`
	MarginalError float64 `json:"marginalError"`
	Mass          float64 `json:"mass"`
	// Divergence (method divergence) is the Sinkhorn divergence of the
	// current iterate, S = Objective - (SelfX + SelfY)/2, with SelfX =
	// OT_eps(a, a) and SelfY = OT_eps(b, b) solved when the run starts
	// (Feydy et al. 2019, eq. (4)).
	Divergence float64 `json:"divergence,omitempty"`
	SelfX      float64 `json:"selfX,omitempty"`
	SelfY      float64 `json:"selfY,omitempty"`
	// P is the ground cost's power (C = |x - y|^P).
	P float64 `json:"p"`
	// MaxIter is the iteration cap (the preset's; 0: ot.DefaultMaxIter)
	// and Preset what the state's preset set (nil without one).
	MaxIter int            `json:"maxIter,omitempty"`
	Preset  *PresetReadout `json:"preset,omitempty"`
	// Hilbert (method hilbert) is the kernel the clouds were embedded
	// with; Divergence, SelfX and SelfY are then those of the embedded
	// clouds.
	Hilbert *OTHilbert `json:"hilbert,omitempty"`
	// Richardson is the extrapolated cost (richardson=yes), nil otherwise.
	Richardson *OTRichardson `json:"richardson,omitempty"`
	// Warm is the warm start (warm=yes with potentials of the same
	// problem), nil otherwise.
	Warm *OTWarm `json:"warm,omitempty"`
	// Tier is the one-shot kernel-tier solve (Tier), nil for tier=none.
	Tier *OTTierResult `json:"tier,omitempty"`
	// Residuals at the iterations ResidualIters (one per iteration).
	Residuals     []float64 `json:"residuals"`
	ResidualIters []int     `json:"residualIters"`
	// TimingsMS: "step" (the last frame's iterations), "frame" (step +
	// summary + plan lines), "views" (the heatmaps), "setup" (data,
	// upload, self terms, tier).
	TimingsMS map[string]float64 `json:"timingsMs"`

	// The figures: points and plan lines, residual per iteration, the
	// plan matrix sorted, the potentials f and g over the plane.
	Plan, Chart, Heat, PotF, PotG figure.Figure `json:"-"`
	// Problem and Result are the frame's problem and iterate (hover and
	// export read the plan from its potentials).
	Problem ot.Problem `json:"-"`
	Result  *ot.Result `json:"-"`
}

// Finished reports that the run converged or reached the iteration cap
// (MaxIter; ot.DefaultMaxIter where 0).
func (f OTFrame) Finished() bool { return f.Converged || f.Iteration >= f.maxIter() }

func (f OTFrame) maxIter() int {
	if f.MaxIter > 0 {
		return f.MaxIter
	}
	return ot.DefaultMaxIter
}

// otRun is one solver on one problem.
type otRun struct {
	o OT
	b compute.Backend
	// prob is the problem solved; view the 2-D clouds drawn, hovered and
	// exported: the same problem but for the hilbert method, which
	// solves between the clouds' feature embeddings.
	prob, view ot.Problem
	hilbert    *OTHilbert
	sv         *ot.Solver
	setup      time.Duration
	// selfX, selfY are OT_eps(a, a) and OT_eps(b, b) (method divergence).
	selfX, selfY float64
	tier         *OTTierResult
	richardson   *OTRichardson
	warm         *OTWarm
	// The heatmaps of the last frame that refreshed them (see
	// otLiveViewPairs).
	heat, potF, potG figure.Figure
	viewsAt          time.Time
}

// otViewGap is the least time between two refreshes of the heatmaps while
// playing (drawing five canvases per frame would halve the frame rate).
const otViewGap = 400 * time.Millisecond

// Start opens the run on b: the problem, the tier solve and the self
// terms where asked, then the solver at iteration 0.
func (o OT) Start(ctx context.Context, b compute.Backend, progress func(Progress)) (Run[OTFrame], error) {
	start := time.Now()
	r := &otRun{o: o, b: b}
	var err error
	progress(Progress{Phase: "Building the two clouds"})
	if r.prob, err = o.Problem(); err != nil {
		return nil, err
	}
	if o.Tier != "none" {
		progress(Progress{Phase: "Solving once with the kernel tier " + o.Tier})
		r.tier = otTierSolve(o, b, r.prob)
	}
	r.view = r.prob
	if o.Method == "hilbert" {
		progress(Progress{Phase: fmt.Sprintf("Embedding both clouds with %d random Fourier features", o.features())})
		r.prob, r.hilbert = hilbertEmbed(r.view, o.features(), o.Seed)
	}
	if o.Richardson && o.Method == "balanced" {
		progress(Progress{Phase: "Solving at ε and ε/2 for the Richardson extrapolation"})
		if r.richardson, err = otRichardson(b, r.prob, o.Settings()); err != nil {
			return nil, err
		}
	}
	if o.Method == "divergence" || o.Method == "hilbert" {
		progress(Progress{Phase: "Solving the self terms OT(a, a) and OT(b, b)", Total: 2})
		if r.selfX, r.selfY, err = selfTerms(ctx, b, r.prob, o.Settings(), progress); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	set := o.Settings()
	if from := o.From; o.Warm && o.Method == "balanced" && from.sameProblem(o, r.prob) {
		progress(Progress{Phase: "Solving once from zeros, to count the iterations the warm start saves"})
		cold, err := ot.Sinkhorn(b, r.prob, set)
		if err != nil {
			return nil, err
		}
		r.warm = &OTWarm{FromEps: from.Eps, ColdIterations: cold.Iterations, ColdConverged: cold.Converged}
		set.F, set.G = from.F, from.G
	}
	if r.sv, err = ot.NewSolver(b, r.prob, set); err != nil {
		return nil, err
	}
	r.setup = time.Since(start)
	return r, nil
}

// selfTerms solves the two symmetric problems of the Sinkhorn divergence
// (Feydy et al. 2019, eq. (4)): OT_eps(a, a) and OT_eps(b, b), each to
// convergence (ot.Sinkhorn on the cloud against itself).
func selfTerms(ctx context.Context, b compute.Backend, p ot.Problem, s ot.Settings, progress func(Progress)) (sx, sy float64, err error) {
	for k, c := range [][]float64{p.X, p.Y} {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
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
		progress(Progress{Phase: "Solving the self terms OT(a, a) and OT(b, b)", Done: k + 1, Total: 2})
	}
	return sx, sy, nil
}

// OTHilbert is the kernel of the hilbert method: the Gaussian
// k(x, y) = exp(-|x - y|² / 2σ²) with σ the median distance
// (kernel.HilbertBandwidth), approximated by Features random Fourier
// features drawn from the page's seed.
type OTHilbert struct {
	Bandwidth float64 `json:"bandwidth"`
	Features  int     `json:"features"`
}

// features is the hilbert method's D: Features, or
// kernel.DefaultHilbertFeatures where 0 (a typed state built in Go).
func (o OT) features() int {
	if o.Features == 0 {
		return kernel.DefaultHilbertFeatures
	}
	return o.Features
}

// hilbertEmbed returns the problem between the feature embeddings of p's
// clouds (kernel.RFFEmbed, as kernel.HilbertDivergence embeds them: the
// median-distance bandwidth, the same seed for both clouds), whose
// Sinkhorn divergence is the Hilbert Sinkhorn divergence (Li et al.
// 2021, eq. (7)).
func hilbertEmbed(p ot.Problem, features int, seed uint64) (ot.Problem, *OTHilbert) {
	sigma := kernel.HilbertBandwidth(p.X, p.Y, p.N, p.M, p.D)
	fx := kernel.RFFEmbed(p.X, p.N, p.D, features, sigma, seed)
	fy := kernel.RFFEmbed(p.Y, p.M, p.D, features, sigma, seed)
	return ot.Problem{X: fx, Y: fy, N: p.N, M: p.M, D: features, A: p.A, B: p.B}, &OTHilbert{Bandwidth: sigma, Features: features}
}

// yesNo is a yes/no choice's text.
func yesNo(v bool) string { return map[bool]string{false: "no", true: "yes"}[v] }

// OTPotentials are the potentials of an /ot run (OTFrame.Potentials), to
// warm-start the next run of the same problem (OT.From): Sinkhorn's
// fixed point at one ε is a good start at a nearby ε (the idea behind
// ε-scaling, Schmitzer 2019, "Stabilized sparse scaling algorithms for
// entropy regularized transport problems", sec. 3.2).
type OTPotentials struct {
	F, G []float64
	Eps  float64
	Of   OT // the state they were solved for
}

// Potentials returns the frame's potentials and the state o they were
// solved for (nil before the first iterate).
func (f OTFrame) Potentials(o OT) *OTPotentials {
	if f.Result == nil {
		return nil
	}
	return &OTPotentials{F: f.Result.F, G: f.Result.G, Eps: f.Eps, Of: o}
}

// sameProblem reports whether the potentials were solved for o's problem:
// the same data, sizes, clouds, cost and method (ε and the display may
// differ), with potentials of p's sizes.
func (from *OTPotentials) sameProblem(o OT, p ot.Problem) bool {
	if from == nil || len(from.F) != p.N || len(from.G) != p.M {
		return false
	}
	a := from.Of
	return a.X == o.X && a.Y == o.Y && a.N == o.N && a.M == o.M && a.Seed == o.Seed && a.P == o.P && a.Method == o.Method && a.Clouds == o.Clouds
}

// OTWarm is the warm start of a run: the ε of the potentials it started
// from, and the iterations the same problem takes from zeros (solved
// once at Start, ot.Sinkhorn with the page's settings), so that the
// iterations saved are ColdIterations - OTFrame.Iteration once converged.
type OTWarm struct {
	FromEps        float64 `json:"fromEps"`
	ColdIterations int     `json:"coldIterations"`
	ColdConverged  bool    `json:"coldConverged"`
}

// OTRichardson is the Richardson extrapolation of the /ot problem's
// transport cost (ot.Richardson: L. F. Richardson 1911, sec. 2.2):
// Cost = 2 Fine - Coarse, with Coarse the converged <P, C> at ε and Fine
// at ε/2, an estimate of the unregularised cost with an O(ε²) bias.
type OTRichardson struct {
	Cost       float64 `json:"cost"`
	Coarse     float64 `json:"coarse"`
	Fine       float64 `json:"fine"`
	Iterations int     `json:"iterations"`
	Converged  bool    `json:"converged"`
}

// otRichardson runs ot.Richardson on p with the page's settings (without
// the per-iteration checks, CheckEvery, that only the chart needs).
func otRichardson(b compute.Backend, p ot.Problem, s ot.Settings) (*OTRichardson, error) {
	s.CheckEvery = 0
	r, err := ot.Richardson(b, p, s)
	if err != nil {
		return nil, fmt.Errorf("Richardson: %w", err)
	}
	return &OTRichardson{Cost: r.Cost, Coarse: r.Coarse.Cost, Fine: r.Fine.Cost, Iterations: r.Iterations, Converged: r.Converged}, nil
}

// Close frees the solver.
func (r *otRun) Close() { r.sv.Close() }

// Step runs k iterations (k may be 0: the current state) and builds the
// frame. While playing, the heatmaps are refreshed only on small problems
// and at most every otViewGap.
func (r *otRun) Step(ctx context.Context, k int, playing bool) (OTFrame, error) {
	f := OTFrame{Method: r.o.Method, MaxIter: r.o.MaxIter, Preset: r.o.PresetSetup}
	start := time.Now()
	// A frame does not step past the cap.
	k = max(0, min(k, f.maxIter()-r.sv.Iterations()))
	if err := r.sv.Step(k); err != nil {
		return f, err
	}
	step := time.Since(start)
	res, err := r.sv.Result()
	if err != nil {
		return f, err
	}
	f.N, f.M, f.Tier, f.Richardson, f.Warm = r.prob.N, r.prob.M, r.tier, r.richardson, r.warm
	f.P, f.Hilbert = r.view.P, r.hilbert
	f.Iteration, f.Eps, f.Converged = r.sv.Iterations(), r.sv.Eps(), r.sv.Converged()
	f.Cost, f.Objective, f.MarginalError, f.Mass = res.Cost, res.Objective, res.MarginalError, res.Mass
	f.Status = res.Status
	if r.o.Method == "divergence" || r.o.Method == "hilbert" {
		f.SelfX, f.SelfY = r.selfX, r.selfY
		f.Divergence = res.Objective - (r.selfX+r.selfY)/2
	}
	errs, iters := r.sv.Errors()
	f.Residuals, f.ResidualIters = append([]float64{}, errs...), append([]int{}, iters...)
	var segs, alpha []float64
	if r.o.K > 0 {
		idx, val, err := res.PlanTopKHost(r.o.K)
		if err != nil {
			return f, err
		}
		segs, alpha = planLines(r.view, idx, val, min(r.o.K, r.prob.M))
	}
	f.TimingsMS = map[string]float64{
		"step":  millis(int64(step)),
		"frame": millis(int64(time.Since(start))),
		"setup": millis(int64(r.setup)),
	}
	f.Plan = OTPlanFigure(r.view, segs, alpha)
	f.Chart = otChart(f)
	if !playing || r.heat.Heatmaps == nil || (r.prob.N*r.prob.M <= otLiveViewPairs && time.Since(r.viewsAt) >= otViewGap) {
		r.viewsAt = time.Now()
		if r.heat, err = otPlanHeatmap(r.view, res); err != nil {
			return f, err
		}
		// The potentials over the plane need the cost at any point: the
		// hilbert method's lives between embeddings.
		if r.prob.D == 2 && r.hilbert == nil {
			if r.potF, r.potG, err = otPotentialFigures(r.b, r.prob, res, f.Plan); err != nil {
				return f, err
			}
		}
	}
	f.Heat, f.PotF, f.PotG = r.heat, r.potF, r.potG
	f.Problem, f.Result = r.view, res
	f.TimingsMS["views"] = millis(int64(time.Since(start))) - f.TimingsMS["frame"]
	return f, nil
}
