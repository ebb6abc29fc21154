package diffusion

import (
	"math"
	"strings"

	"github.com/otplay/otplay/compute"
)

// Sampler names a reverse-process solver.
type Sampler int

const (
	// DDPM is ancestral sampling (Ho et al. 2020, Alg. 2), written as DDIM
	// with eta = 1 (Song, Meng and Ermon 2021, "Denoising Diffusion
	// Implicit Models", eq. (16): eta = 1 gives the DDPM posterior
	// q(x_s | x_t, x_0)), so it runs on any time grid, strided or not.
	DDPM Sampler = iota
	// DDIM is Song et al. 2021, eq. (12) with sigma_t(eta) of eq. (16);
	// eta = 0 is deterministic (first-order exponential integrator of the
	// probability-flow ODE, the same step as DPM-Solver++ 1).
	DDIM
	// DPMPP2M is DPM-Solver++(2M), Lu et al. 2022, Alg. 2.
	DPMPP2M
	// DPMPP3M is the third-order multistep DPM-Solver++ (derived in the
	// package documentation: quadratic Newton interpolation of the last
	// three data predictions in lambda).
	DPMPP3M
	// DPMPP2S is DPM-Solver++(2S), Lu et al. 2022, Alg. 1 with r = 1/2.
	DPMPP2S
	// Heun is the second-order sampler of Karras et al. 2022 (EDM), Alg. 1
	// (Alg. 2 with Settings.Churn > 0).
	Heun
	// EulerMaruyama integrates the reverse SDE of Song et al. 2021 (eq.
	// (6)) with Euler-Maruyama steps; Deterministic integrates the
	// probability-flow ODE (eq. (13)) with Euler steps.
	EulerMaruyama
	// ODEAdaptive integrates the probability-flow ODE with the embedded
	// Dormand-Prince 5(4) pair and step-size control (Hairer, Norsett and
	// Wanner, "Solving ODEs I", II.4), in lambda (see adaptive.go).
	ODEAdaptive
)

var samplerNames = [...]string{"ddpm", "ddim", "dpmpp2m", "dpmpp3m", "dpmpp2s", "heun", "euler-maruyama", "ode-adaptive"}

// SamplerNames lists the names ParseSampler accepts.
func SamplerNames() []string { return append([]string(nil), samplerNames[:]...) }

func (s Sampler) String() string {
	if s < 0 || int(s) >= len(samplerNames) {
		return "Sampler(?)"
	}
	return samplerNames[s]
}

// ParseSampler returns the Sampler of a name (see SamplerNames).
func ParseSampler(name string) (Sampler, error) {
	for i, n := range samplerNames {
		if strings.EqualFold(n, name) {
			return Sampler(i), nil
		}
	}
	return 0, inputErr("unknown sampler %q (valid: %s)", name, strings.Join(samplerNames[:], ", "))
}

// Stochastic reports whether the sampler draws noise in its default mode.
func (s Sampler) Stochastic() bool { return s == DDPM || s == EulerMaruyama }

// Settings configure Sample. Only Steps (or Times) must be set: every
// other zero field means its documented default (the zero Sampler is
// DDPM).
type Settings struct {
	Sampler Sampler
	// Steps is the number of steps (>= 1) of a fixed-step sampler. For
	// ODEAdaptive the first trial step is (lambda_end - lambda_start)/Steps.
	Steps int
	// Spacing of the time grid; SpacingDefault picks the sampler's own.
	Spacing Spacing
	// Times, if set, is the decreasing grid t_0 > t_1 > ... > t_N > 0 to
	// use instead of Steps, Spacing, TStart and TEnd.
	Times []float64
	// TStart is the time of the input x (default 1: pure noise). A later
	// stage can start from a partially noised x (truncated diffusion).
	TStart float64
	// TEnd is the last time (default Schedule.DefaultTEnd()).
	TEnd float64
	// Eta in [0, 1] is DDIM's stochasticity (default 0, deterministic).
	Eta float64
	// Deterministic turns the stochastic samplers into their ODE twins:
	// DDPM into DDIM with eta = 0, Euler-Maruyama into probability-flow
	// Euler, and disables Heun's churn.
	Deterministic bool
	// Churn is EDM's S_churn (Karras et al. 2022, Alg. 2) for Heun
	// (default 0: Alg. 1, deterministic), with S_noise = 1 and no t range.
	Churn float64
	// FinalDenoise replaces the sample at TEnd by the model's estimate of
	// x_0 there (one more model evaluation), the last step of DDPM (Ho et
	// al. 2020, Alg. 2 outputs the mean at t = 1) and "denoise_to_zero" of
	// DPM-Solver.
	FinalDenoise bool
	// Seed keys the Philox stream of the sampler's noise: step i draws
	// counters [(i+1) n d, (i+2) n d).
	Seed uint64
	// RTol and ATol are ODEAdaptive's tolerances (default 1e-3 and 1e-3),
	// per element: |err_i| <= ATol + RTol max(|x_i|, |x_new_i|) in RMS.
	RTol, ATol float64
	// MaxSteps bounds ODEAdaptive's trial steps (default 10000).
	MaxSteps int
	// Callback, if set, is called after every accepted step with the new
	// positions read back from the backend; an error it returns stops the
	// run and is returned.
	Callback func(Step) error

	// The options below are documented in options.go; zero values mean
	// off or the documented default.

	// Corrector runs after every predictor step (default none); not with
	// ODEAdaptive.
	Corrector Corrector
	// CorrectorSteps is Langevin's number of steps (default 1).
	CorrectorSteps int
	// SNR is Langevin's signal-to-noise ratio r (default DefaultSNR).
	SNR float64
	// TweedieMix is Tweedie's m in (0, 1] (default DefaultTweedieMix).
	TweedieMix float64
	// AdaptiveTol is Adaptive's error threshold (default DefaultAdaptiveTol).
	AdaptiveTol float64
	// Threshold is dynamic thresholding's percentile p in (0, 1] (0:
	// off), ThresholdBound its R (default 1).
	Threshold, ThresholdBound float64
	// ScoreScale multiplies the model's score (default 1: off).
	ScoreScale float64
	// Hierarchical applies ATLAS's Schrodinger-bridge smoothing after
	// every predictor step, before the corrector (hierarchical.go); not
	// with ODEAdaptive.
	Hierarchical HierarchicalSettings
}

// Defaults of Settings (see the fields).
const (
	DefaultRTol     = 1e-3
	DefaultATol     = 1e-3
	DefaultMaxSteps = 10000
)

// Step is what a Callback sees after each accepted step.
type Step struct {
	Index    int     // 0-based accepted step
	T, TNext float64 // the step went from T to TNext
	DLambda  float64 // lambda(TNext) - lambda(T) > 0
	// X is the state at TNext and Denoised the data prediction the step
	// was based on (at T), both n x d row-major, fresh slices.
	X, Denoised []float64
	NFE         int // model evaluations so far
	Rejected    int // rejected trial steps so far (ODEAdaptive)
	// HierarchicalIterations are the Sinkhorn iterations of this step's
	// hierarchical smoothing (0 when off).
	HierarchicalIterations int
}

// Result reports a run of Sample.
type Result struct {
	NFE      int       // model evaluations
	Steps    int       // accepted steps
	Rejected int       // rejected trial steps (ODEAdaptive; else 0)
	Times    []float64 // times visited, t_0 > ... > t_last
	// HierarchicalIterations counts the Sinkhorn iterations of the
	// hierarchical smoothing (Settings.Hierarchical), all steps together.
	HierarchicalIterations int
}

// Sample runs a sampler of the reverse process of schedule s, driven by
// model, on the n points in x (n x model.Dim(), on backend b): x holds the
// state at TStart on entry (e.g. from InitialNoise) and the sample on
// return. Every sampler is written with the model's data prediction D(x,
// t) (see Convert) and, where its paper uses them, alpha_t, sigma_t and
// lambda_t = log(alpha_t/sigma_t) of s.
func Sample(b compute.Backend, model Model, s Schedule, x compute.Array, n int, set Settings) (Result, error) {
	opts := set
	if err := validateOptions(&opts); err != nil {
		return Result{}, err
	}
	if model != nil {
		wrapped, release := wrapModel(b, model, opts)
		defer release()
		model = wrapped
	}
	r, err := newRun(b, model, s, x, n, set)
	if err != nil {
		return Result{}, err
	}
	defer r.free()
	switch set.Sampler {
	case DDPM:
		eta := 1.0
		if set.Deterministic {
			eta = 0
		}
		err = r.ddim(eta)
	case DDIM:
		err = r.ddim(set.Eta)
	case DPMPP2M:
		err = r.dpmMultistep(2)
	case DPMPP3M:
		err = r.dpmMultistep(3)
	case DPMPP2S:
		err = r.dpm2S()
	case Heun:
		err = r.heun()
	case EulerMaruyama:
		err = r.eulerMaruyama()
	case ODEAdaptive:
		err = r.adaptive()
	}
	if err == nil && set.FinalDenoise {
		err = r.finalDenoise()
	}
	if err == nil {
		err = r.finish()
	}
	return r.res, err
}

func validateSettings(s Schedule, set *Settings) error {
	if set.Sampler < 0 || int(set.Sampler) >= len(samplerNames) {
		return inputErr("unknown sampler %d", int(set.Sampler))
	}
	if set.Times == nil && set.Steps < 1 {
		return inputErr("steps = %d, want >= 1", set.Steps)
	}
	if !(set.Eta >= 0 && set.Eta <= 1) {
		return inputErr("eta = %v outside [0, 1]", set.Eta)
	}
	if !(set.Churn >= 0) || math.IsInf(set.Churn, 0) {
		return inputErr("churn = %v must be >= 0 and finite", set.Churn)
	}
	if set.RTol == 0 {
		set.RTol = DefaultRTol
	}
	if set.ATol == 0 {
		set.ATol = DefaultATol
	}
	if !(set.RTol > 0) || !(set.ATol > 0) || math.IsInf(set.RTol, 0) || math.IsInf(set.ATol, 0) {
		return inputErr("rtol = %v and atol = %v must be positive and finite", set.RTol, set.ATol)
	}
	if set.MaxSteps == 0 {
		set.MaxSteps = DefaultMaxSteps
	}
	if err := validateOptions(set); err != nil {
		return err
	}
	if set.MaxSteps < 1 {
		return inputErr("max steps = %d, want >= 1", set.MaxSteps)
	}
	if set.TStart == 0 {
		set.TStart = 1
	}
	if set.TEnd == 0 {
		set.TEnd = s.DefaultTEnd()
	}
	if set.Times != nil {
		if len(set.Times) < 2 {
			return inputErr("times: %d entries, want >= 2 (t_0 > ... > t_N)", len(set.Times))
		}
		for i, t := range set.Times {
			if !(t > 0 && t <= 1) {
				return inputErr("times[%d] = %v outside (0, 1]", i, t)
			}
			if i > 0 && !(t < set.Times[i-1]) {
				return inputErr("times[%d] = %v is not below times[%d] = %v", i, t, i-1, set.Times[i-1])
			}
		}
		set.TStart, set.TEnd = set.Times[0], set.Times[len(set.Times)-1]
		set.Steps = len(set.Times) - 1
	}
	if !(set.TStart > 0 && set.TStart <= 1) {
		return inputErr("t_start = %v outside (0, 1]", set.TStart)
	}
	if !(set.TEnd > 0 && set.TEnd < set.TStart) {
		return inputErr("t_end = %v outside (0, t_start = %v)", set.TEnd, set.TStart)
	}
	return nil
}

// run is the state of one Sample call.
type run struct {
	b     compute.Backend
	s     Schedule
	set   Settings
	dn    *denoiser
	n, d  int
	user  compute.Array // the caller's x
	x, xn compute.Array // current and next state (x starts as user)
	acc   compute.Array // accumulator scratch of lin
	noise compute.Array
	arrs  []compute.Array // owned scratch
	res   Result
	step  int
	// corrector scratch (options.go) and its noise counter
	csq, cdiff, cden, cnoise compute.Array
	ncorr                    uint64
	// hierarchical smoothing scratch (hierarchical.go)
	hier     *hierScratch
	hierOut  compute.Array
	hierStep int // Sinkhorn iterations of the last step's smoothing
}

func newRun(b compute.Backend, model Model, s Schedule, x compute.Array, n int, set Settings) (*run, error) {
	if b == nil || model == nil || s == nil {
		return nil, inputErr("sample: backend, model and schedule must be set")
	}
	if err := validateSettings(s, &set); err != nil {
		return nil, err
	}
	d := model.Dim()
	if n < 1 {
		return nil, inputErr("sample: n = %d points, want >= 1", n)
	}
	if x == nil || x.Len() != n*d {
		return nil, inputErr("sample: x has %d elements, want n*d = %d*%d", lenOf(x), n, d)
	}
	dn, err := newDenoiser(b, model, n)
	if err != nil {
		return nil, err
	}
	r := &run{b: b, s: s, set: set, dn: dn, n: n, d: d, user: x, x: x}
	if r.xn, err = r.alloc(); err != nil {
		r.free()
		return nil, err
	}
	if r.acc, err = r.alloc(); err != nil {
		r.free()
		return nil, err
	}
	return r, nil
}

func (r *run) alloc() (compute.Array, error) {
	a, err := r.b.Alloc(r.n * r.d)
	if err != nil {
		return nil, err
	}
	r.arrs = append(r.arrs, a)
	return a, nil
}

func (r *run) allocN(k int) ([]compute.Array, error) {
	out := make([]compute.Array, k)
	for i := range out {
		a, err := r.alloc()
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

func (r *run) free() {
	for _, a := range r.arrs {
		r.b.Free(a)
	}
	r.arrs = nil
	if r.hier != nil {
		r.hier.free()
	}
	r.dn.free()
}

// finish copies the state into the caller's array.
func (r *run) finish() error {
	r.res.NFE = r.dn.nfe
	if r.x != r.user {
		return r.b.Copy(r.user, r.x)
	}
	return nil
}

// advance makes xn the current state.
func (r *run) advance() { r.x, r.xn = r.xn, r.x }

// DefaultSpacing returns the spacing a sampler uses for SpacingDefault:
// logSNR for DPM-Solver++, Karras for Heun, uniform in t for the others.
func (s Sampler) DefaultSpacing() Spacing {
	switch s {
	case DPMPP2M, DPMPP3M, DPMPP2S:
		return SpacingLogSNR
	case Heun:
		return SpacingKarras
	}
	return SpacingUniform
}

// Grid returns the time grid t_0 > ... > t_N a fixed-step sampler visits
// with settings set on schedule s (the defaults of Settings applied), for
// callers that need to act between steps (e.g. a correction every k
// steps). ODEAdaptive chooses its steps as it goes: Grid returns its
// endpoints only.
func Grid(s Schedule, set Settings) ([]float64, error) {
	if s == nil {
		return nil, inputErr("grid: nil schedule")
	}
	if err := validateSettings(s, &set); err != nil {
		return nil, err
	}
	if set.Sampler == ODEAdaptive {
		return []float64{set.TStart, set.TEnd}, nil
	}
	r := &run{s: s, set: set}
	return r.times(set.Sampler.DefaultSpacing())
}

// times returns the fixed grid of the run.
func (r *run) times(def Spacing) ([]float64, error) {
	if r.set.Times != nil {
		return append([]float64(nil), r.set.Times...), nil
	}
	sp := r.set.Spacing
	if sp == SpacingDefault {
		sp = def
	}
	return Times(r.s, sp, r.set.Steps, r.set.TStart, r.set.TEnd)
}

// term is one c * a of a linear combination.
type term struct {
	c float64
	a compute.Array
}

// lin writes dst = sum_i c_i a_i with Axpby maps, never letting a map's
// output alias its inputs (dst must not be among the terms; r.acc is the
// second buffer of the ping-pong).
func (r *run) lin(dst compute.Array, terms ...term) error {
	switch len(terms) {
	case 0:
		return inputErr("lin: no terms")
	case 1:
		return r.b.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: terms[0].a, A: terms[0].c})
	}
	writes := len(terms) - 1
	bufs := [2]compute.Array{r.acc, dst} // write j goes to bufs[(writes-j)%2 == 0]
	target := func(j int) compute.Array {
		if (writes-j)%2 == 0 {
			return bufs[1]
		}
		return bufs[0]
	}
	out := target(1)
	if err := r.b.Map(out, compute.MapArgs{Op: compute.OpAxpby, X: terms[0].a, Y: terms[1].a, A: terms[0].c, B: terms[1].c}); err != nil {
		return err
	}
	for j := 2; j <= writes; j++ {
		next := target(j)
		if err := r.b.Map(next, compute.MapArgs{Op: compute.OpAxpby, X: out, Y: terms[j].a, A: 1, B: terms[j].c}); err != nil {
			return err
		}
		out = next
	}
	return nil
}

// drawNoise fills r.noise with the normals of step r.step.
func (r *run) drawNoise() error {
	if r.noise == nil {
		a, err := r.alloc()
		if err != nil {
			return err
		}
		r.noise = a
	}
	nd := uint64(r.n * r.d)
	return r.b.Normal(r.noise, r.set.Seed, uint64(r.step+1)*nd)
}

// report records an accepted step from t to tn whose data prediction was
// den, and calls the callback (reading back only when one is set).
func (r *run) report(t, tn float64, den compute.Array) error {
	if err := r.hierarchical(t); err != nil {
		return err
	}
	if err := r.correct(tn); err != nil {
		return err
	}
	if r.res.Times == nil {
		r.res.Times = append(r.res.Times, t)
	}
	r.res.Times = append(r.res.Times, tn)
	r.res.Steps++
	defer func() { r.step++ }()
	if r.set.Callback == nil {
		return nil
	}
	st := Step{Index: r.step, T: t, TNext: tn, DLambda: Lambda(r.s, tn) - Lambda(r.s, t),
		X: make([]float64, r.n*r.d), NFE: r.dn.nfe, Rejected: r.res.Rejected, HierarchicalIterations: r.hierStep}
	if err := r.b.Read(st.X, r.x); err != nil {
		return err
	}
	if den != nil {
		st.Denoised = make([]float64, r.n*r.d)
		if err := r.b.Read(st.Denoised, den); err != nil {
			return err
		}
	}
	return r.set.Callback(st)
}

func (r *run) finalDenoise() error {
	at := At(r.s, r.set.TEnd)
	if r.res.Times != nil {
		at = At(r.s, r.res.Times[len(r.res.Times)-1])
	}
	if err := r.dn.eval(r.xn, r.x, at); err != nil {
		return err
	}
	r.advance()
	return nil
}

// ddim runs DDIM (Song et al. 2021, eq. (12)) from t to s < t:
//
//	x_s = alpha_s D + sqrt(sigma_s^2 - c^2) eps + c z,
//	eps = (x_t - alpha_t D) / sigma_t,
//	c   = eta (sigma_s / sigma_t) sqrt(1 - alpha_t^2 / alpha_s^2)   (eq. (16)),
//
// i.e. x_s = A x_t + (alpha_s - A alpha_t) D + c z with A = sqrt(sigma_s^2 -
// c^2) / sigma_t. eta = 1 is DDPM's ancestral step.
func (r *run) ddim(eta float64) error {
	ts, err := r.times(SpacingUniform)
	if err != nil {
		return err
	}
	den, err := r.alloc()
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(ts); i++ {
		at, as := At(r.s, ts[i]), At(r.s, ts[i+1])
		if err := r.dn.eval(den, r.x, at); err != nil {
			return err
		}
		c := 0.0
		if eta > 0 {
			ratio := at.Alpha * at.Alpha / (as.Alpha * as.Alpha)
			c = eta * as.Sigma / at.Sigma * math.Sqrt(max(0, 1-ratio))
		}
		A := math.Sqrt(max(0, as.Sigma*as.Sigma-c*c)) / at.Sigma
		terms := []term{{A, r.x}, {as.Alpha - A*at.Alpha, den}}
		if c > 0 {
			if err := r.drawNoise(); err != nil {
				return err
			}
			terms = append(terms, term{c, r.noise})
		}
		if err := r.lin(r.xn, terms...); err != nil {
			return err
		}
		r.advance()
		if err := r.report(ts[i], ts[i+1], den); err != nil {
			return err
		}
	}
	return nil
}

// eulerMaruyama integrates, from t to s < t (dt = s - t < 0),
//
//	dx = [f x - k g^2 score] dt + eta g dW,   k = (1 + eta^2)/2,
//
// with f = d log alpha / dt, g^2 = -2 f = beta(t) (the VP SDE of Song et
// al. 2021, eq. (11)) and score = (alpha D - x)/sigma^2: eta = 1 is the
// reverse SDE (their eq. (6)), eta = 0 the probability-flow ODE (eq. (13)).
// So x_s = (1 + f dt + k g^2 dt / sigma^2) x - (k g^2 dt alpha / sigma^2) D
// + eta g sqrt(-dt) z.
func (r *run) eulerMaruyama() error {
	ts, err := r.times(SpacingUniform)
	if err != nil {
		return err
	}
	den, err := r.alloc()
	if err != nil {
		return err
	}
	eta := 1.0
	if r.set.Deterministic {
		eta = 0
	}
	k := (1 + eta*eta) / 2
	for i := 0; i+1 < len(ts); i++ {
		t, s := ts[i], ts[i+1]
		at := At(r.s, t)
		if err := r.dn.eval(den, r.x, at); err != nil {
			return err
		}
		dt := s - t
		f := r.s.DLogAlpha(t)
		g2 := -2 * f
		s2 := at.Sigma * at.Sigma
		terms := []term{{1 + f*dt + k*g2*dt/s2, r.x}, {-k * g2 * dt * at.Alpha / s2, den}}
		if eta > 0 {
			if err := r.drawNoise(); err != nil {
				return err
			}
			terms = append(terms, term{eta * math.Sqrt(g2*-dt), r.noise})
		}
		if err := r.lin(r.xn, terms...); err != nil {
			return err
		}
		r.advance()
		if err := r.report(t, s, den); err != nil {
			return err
		}
	}
	return nil
}

// heun is EDM's Alg. 1 (Karras et al. 2022) in the variance-exploding
// variable y = x / alpha with noise level s = sigma / alpha = exp(-lambda),
// where the probability-flow ODE reads dy/ds = (y - D) / s (their eq.
// (3) with s(t) = 1 after scaling out alpha):
//
//	d   = (y_i - D(y_i, s_i)) / s_i
//	y'  = y_i + (s_{i+1} - s_i) d
//	y_{i+1} = y_i + (s_{i+1} - s_i) (d + (y' - D(y', s_{i+1})) / s_{i+1}) / 2
//
// Every step is second order (the grid never reaches s = 0, so no final
// Euler step is needed). With Churn > 0 (Alg. 2) each step first raises the
// noise level to s_hat = s_i (1 + gamma), gamma = min(Churn/N, sqrt 2 - 1),
// adding fresh noise of variance s_hat^2 - s_i^2.
func (r *run) heun() error {
	ts, err := r.times(SpacingKarras)
	if err != nil {
		return err
	}
	arrs, err := r.allocN(3)
	if err != nil {
		return err
	}
	den, den2, xe := arrs[0], arrs[1], arrs[2]
	churn := r.set.Churn > 0 && !r.set.Deterministic
	gamma := math.Min(r.set.Churn/float64(len(ts)-1), math.Sqrt2-1)
	for i := 0; i+1 < len(ts); i++ {
		t, tn := ts[i], ts[i+1]
		ai := At(r.s, t)
		if churn {
			lhat := ai.Lambda() - math.Log1p(gamma)
			that := TimeOfLambda(r.s, lhat)
			ah := At(r.s, that)
			si, sh := ai.Sigma/ai.Alpha, ah.Sigma/ah.Alpha
			if err := r.drawNoise(); err != nil {
				return err
			}
			// x_hat = alpha_hat (x / alpha_i + sqrt(s_hat^2 - s_i^2) z)
			if err := r.lin(r.xn, term{ah.Alpha / ai.Alpha, r.x}, term{ah.Alpha * math.Sqrt(max(0, sh*sh-si*si)), r.noise}); err != nil {
				return err
			}
			r.advance()
			t, ai = that, ah
		}
		an := At(r.s, tn)
		si, sn := ai.Sigma/ai.Alpha, an.Sigma/an.Alpha
		dS := sn - si
		if err := r.dn.eval(den, r.x, ai); err != nil {
			return err
		}
		// Euler: x' = alpha_n [ (1 + dS/s_i) x/alpha_i - (dS/s_i) D ].
		if err := r.lin(xe, term{an.Alpha * (1 + dS/si) / ai.Alpha, r.x}, term{-an.Alpha * dS / si, den}); err != nil {
			return err
		}
		if err := r.dn.eval(den2, xe, an); err != nil {
			return err
		}
		// Trapezoid: x_{i+1} = alpha_n [ (1 + dS/(2 s_i)) x/alpha_i - dS/(2 s_i) D
		//                       + dS/(2 s_n) x'/alpha_n - dS/(2 s_n) D' ].
		h := dS / 2
		if err := r.lin(r.xn,
			term{an.Alpha * (1 + h/si) / ai.Alpha, r.x},
			term{-an.Alpha * h / si, den},
			term{h / sn, xe},
			term{-an.Alpha * h / sn, den2}); err != nil {
			return err
		}
		r.advance()
		if err := r.report(t, tn, den); err != nil {
			return err
		}
	}
	return nil
}
