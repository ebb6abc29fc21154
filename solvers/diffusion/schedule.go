package diffusion

import (
	"fmt"
	"math"
	"strings"
)

// Schedule is a variance-preserving noise schedule: the forward process
//
//	x_t = alpha_t x_0 + sigma_t noise,  alpha_t^2 + sigma_t^2 = 1,
//
// at continuous time t in [0, 1] (alpha_0 = 1). Discrete schedules of T
// steps put step n at t = n/T and interpolate log alpha linearly between
// steps, as DPM-Solver does (Lu et al. 2022, "DPM-Solver", appendix D), so
// that every sampler sees one continuous schedule and the discrete DDPM
// values are exact at the grid points.
type Schedule interface {
	// Name is the name ParseSchedule accepts ("linear", "cosine", "vp").
	Name() string
	// LogAlpha returns log alpha_t = log sqrt(abar_t) for t in [0, 1].
	LogAlpha(t float64) float64
	// DLogAlpha returns d log alpha_t / dt = -beta(t)/2 (for a discrete
	// schedule, the slope of the interval right of t).
	DLogAlpha(t float64) float64
	// Steps returns T for a discrete schedule, 0 for a continuous one.
	Steps() int
	// DefaultTEnd is the last time a sampler steps to by default: 1/T for a
	// discrete schedule (where abar_1 = 1 - beta_1), 1e-3 for the
	// continuous VP schedule (Song et al. 2021, "Score-Based Generative
	// Modeling through SDEs", appendix C).
	DefaultTEnd() float64
}

// DefaultT is the number of steps of the discrete DDPM schedules (Ho et
// al. 2020, section 4).
const DefaultT = 1000

// Alpha returns alpha_t = exp(LogAlpha(t)).
func Alpha(s Schedule, t float64) float64 { return math.Exp(s.LogAlpha(t)) }

// Sigma returns sigma_t = sqrt(1 - alpha_t^2), computed as
// sqrt(-expm1(2 log alpha)) so that it stays accurate near t = 0.
func Sigma(s Schedule, t float64) float64 { return math.Sqrt(-math.Expm1(2 * s.LogAlpha(t))) }

// At returns the Time (t, alpha_t, sigma_t) a model is evaluated at.
func At(s Schedule, t float64) Time {
	la := s.LogAlpha(t)
	return Time{T: t, Alpha: math.Exp(la), Sigma: math.Sqrt(-math.Expm1(2 * la))}
}

// Lambda returns the half log signal-to-noise ratio
// lambda_t = log(alpha_t / sigma_t) (Lu et al. 2022, eq. (3.2)), which
// decreases strictly in t; +Inf at t = 0.
func Lambda(s Schedule, t float64) float64 {
	la := s.LogAlpha(t)
	return la - 0.5*math.Log(-math.Expm1(2*la))
}

// logAlphaOfLambda returns log alpha for a given lambda in VP:
// alpha^2 = sigmoid(2 lambda), so log alpha = -log(1 + exp(-2 lambda))/2.
func logAlphaOfLambda(lambda float64) float64 {
	return -0.5 * softplus(-2*lambda)
}

func softplus(x float64) float64 {
	if x > 30 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// TimeOfLambda inverts Lambda: the t in [0, 1] with Lambda(s, t) = lambda
// (clamped to [0, 1] outside the schedule's range). It solves
// LogAlpha(t) = log alpha(lambda) by bisection to float64 resolution
// (LogAlpha is strictly decreasing), 64 halvings at most.
func TimeOfLambda(s Schedule, lambda float64) float64 {
	target := logAlphaOfLambda(lambda)
	lo, hi := 0.0, 1.0
	if s.LogAlpha(hi) >= target {
		return 1
	}
	if target >= 0 {
		return 0
	}
	for range 64 {
		mid := 0.5 * (lo + hi)
		if mid <= lo || mid >= hi {
			break
		}
		if s.LogAlpha(mid) > target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return 0.5 * (lo + hi)
}

// Discrete is a DDPM schedule of T steps given by its betas: abar_n =
// prod_{k<=n} (1 - beta_k) (Ho et al. 2020, eq. (4)).
type Discrete struct {
	name     string
	betas    []float64 // betas[n-1] = beta_n, n = 1..T
	logAbar  []float64 // logAbar[n] = log abar_n, logAbar[0] = 0
	tEndStep int
}

// NewDiscrete returns the discrete schedule of the given betas (each in
// (0, 1)), named name.
func NewDiscrete(name string, betas []float64) (*Discrete, error) {
	if len(betas) < 1 {
		return nil, fmt.Errorf("diffusion: schedule %q: betas is empty", name)
	}
	la := make([]float64, len(betas)+1)
	for i, b := range betas {
		if !(b > 0 && b < 1) {
			return nil, fmt.Errorf("diffusion: schedule %q: beta[%d] = %v outside (0, 1)", name, i+1, b)
		}
		la[i+1] = la[i] + math.Log1p(-b)
	}
	return &Discrete{name: name, betas: append([]float64(nil), betas...), logAbar: la}, nil
}

// Linear returns the linear DDPM schedule of Ho et al. 2020 (section 4):
// beta_n rising linearly from 1e-4 to 0.02 over T steps (T = 1000 is the
// paper's; T < 1 means DefaultT).
func Linear(T int) *Discrete {
	if T < 1 {
		T = DefaultT
	}
	betas := make([]float64, T)
	for i := range betas {
		frac := 0.0
		if T > 1 {
			frac = float64(i) / float64(T-1)
		}
		// Ho et al. scale 1e-4..0.02 for T = 1000; other T keep the same
		// endpoints scaled by 1000/T, as in improved DDPM (Nichol and
		// Dhariwal 2021, appendix) so that abar_T stays comparable.
		scale := 1000 / float64(T)
		betas[i] = scale * (1e-4 + frac*(0.02-1e-4))
		betas[i] = min(betas[i], 0.999)
	}
	d, _ := NewDiscrete("linear", betas)
	return d
}

// Cosine returns the cosine schedule of Nichol and Dhariwal 2021 (eq.
// (17)): abar(n) = f(n)/f(0), f(n) = cos^2(((n/T + s)/(1 + s)) pi/2) with
// s = 0.008, and betas clipped at 0.999 (their clipping, so abar_T > 0).
// T < 1 means DefaultT.
func Cosine(T int) *Discrete {
	if T < 1 {
		T = DefaultT
	}
	const s = 0.008
	f := func(n int) float64 {
		c := math.Cos((float64(n)/float64(T) + s) / (1 + s) * math.Pi / 2)
		return c * c
	}
	betas := make([]float64, T)
	for n := 1; n <= T; n++ {
		betas[n-1] = min(1-f(n)/f(n-1), 0.999)
	}
	d, _ := NewDiscrete("cosine", betas)
	return d
}

func (d *Discrete) Name() string         { return d.name }
func (d *Discrete) Steps() int           { return len(d.betas) }
func (d *Discrete) DefaultTEnd() float64 { return 1 / float64(len(d.betas)) }

// Betas returns a copy of beta_1..beta_T.
func (d *Discrete) Betas() []float64 { return append([]float64(nil), d.betas...) }

// AlphaBar returns abar_n for the integer step n in [0, T].
func (d *Discrete) AlphaBar(n int) float64 { return math.Exp(d.logAbar[n]) }

func (d *Discrete) interval(t float64) (n int, frac float64) {
	T := len(d.betas)
	u := min(max(t, 0), 1) * float64(T)
	n = int(math.Floor(u))
	if n >= T {
		n = T - 1
	}
	return n, u - float64(n)
}

// LogAlpha interpolates log alpha = log(abar)/2 linearly in t between
// the steps n/T.
func (d *Discrete) LogAlpha(t float64) float64 {
	n, f := d.interval(t)
	return 0.5 * (d.logAbar[n] + f*(d.logAbar[n+1]-d.logAbar[n]))
}

func (d *Discrete) DLogAlpha(t float64) float64 {
	n, _ := d.interval(t)
	return 0.5 * (d.logAbar[n+1] - d.logAbar[n]) * float64(len(d.betas))
}

// VP is the continuous variance-preserving SDE of Song et al. 2021
// ("Score-Based Generative Modeling through SDEs", eq. (11) and appendix
// B): beta(t) = BetaMin + t (BetaMax - BetaMin), so
//
//	log alpha_t = -t^2 (BetaMax - BetaMin)/4 - t BetaMin/2.
//
// The zero value means the paper's BetaMin = 0.1, BetaMax = 20, the
// continuous limit of the linear DDPM schedule with T = 1000.
type VP struct {
	BetaMin, BetaMax float64
}

func (v VP) params() (float64, float64) {
	if v.BetaMin == 0 && v.BetaMax == 0 {
		return 0.1, 20
	}
	return v.BetaMin, v.BetaMax
}

func (v VP) Name() string         { return "vp" }
func (v VP) Steps() int           { return 0 }
func (v VP) DefaultTEnd() float64 { return 1e-3 }

func (v VP) LogAlpha(t float64) float64 {
	b0, b1 := v.params()
	return -t*t*(b1-b0)/4 - t*b0/2
}

func (v VP) DLogAlpha(t float64) float64 {
	b0, b1 := v.params()
	return -(b0 + t*(b1-b0)) / 2
}

// ScheduleNames lists the names ParseSchedule accepts.
var ScheduleNames = []string{"linear", "cosine", "vp", "quadratic", "sigmoid"}

// ParseSchedule returns the schedule of a name: "linear", "cosine",
// "quadratic" and "sigmoid" (discrete, T = DefaultT) or "vp" (continuous,
// beta in [0.1, 20]).
func ParseSchedule(name string) (Schedule, error) {
	switch strings.ToLower(name) {
	case "linear":
		return Linear(DefaultT), nil
	case "cosine":
		return Cosine(DefaultT), nil
	case "vp":
		return VP{}, nil
	case "quadratic":
		return Quadratic(DefaultT), nil
	case "sigmoid":
		return Sigmoid(DefaultT), nil
	}
	return nil, fmt.Errorf("diffusion: unknown schedule %q (valid: %s)", name, strings.Join(ScheduleNames, ", "))
}
