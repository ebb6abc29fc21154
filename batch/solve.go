//go:build !js

package batch

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/exact"
	"github.com/otplay/otplay/solvers/kernel"
	"github.com/otplay/otplay/solvers/ot"
	"github.com/otplay/otplay/solvers/sliced"
)

// SolveRequest is one run of otplay solve: optimal transport between two
// point clouds with the cost |x - y|^2, or |x - y|^P (P), or between the
// rows and columns of a cost matrix (Cost; see cost.go). Field names and JSON keys are the
// CLI's flags; NewSolveRequest gives the CLI's defaults.
type SolveRequest struct {
	// X and Y are the two clouds as data specs (moons:512:seed=3) or
	// .csv/.npy paths (--x, --y). XSet and YSet, when set, are used
	// instead; X and Y then only name them.
	X    string    `json:"x"`
	Y    string    `json:"y"`
	XSet *data.Set `json:"-"`
	YSet *data.Set `json:"-"`
	// A and B are weight files (--a, --b; empty: uniform). AWeights and
	// BWeights, when set, are used instead (checked by CheckWeights).
	A        string    `json:"a,omitempty"`
	B        string    `json:"b,omitempty"`
	AWeights []float64 `json:"-"`
	BWeights []float64 `json:"-"`
	// BColumns, when set, are k > 1 target histograms (POT's b as an
	// m x k matrix, one slice per column; a --b file with k columns does
	// the same): one solve per column, see solveColumns.
	BColumns [][]float64 `json:"-"`
	// Method is sinkhorn, unbalanced, partial, divergence, sliced or exact
	// (see solveExact).
	Method string `json:"method"`
	// Tier is the kernel tier of --method sinkhorn: auto, full, rff,
	// nystrom (grid is refused for point clouds).
	Tier string `json:"tier"`
	// Eps is the entropic regularisation (POT's reg), in units of the cost (|x - y|^2 by default).
	Eps float64 `json:"eps"`
	// Tau is the unbalanced KL marginal penalty (POT's reg_m); +Inf is balanced.
	Tau float64 `json:"tau"`
	// TauA and TauB, when positive, replace Tau on the source and target
	// marginal (current POT's reg_m pair); 0 means Tau. RegType is the
	// entropic term of unbalanced: entropy (POT 0.8.2's, the default) or
	// kl (current POT's default); see ot.UnbalancedReg.
	TauA    float64 `json:"tau_a,omitempty"`
	TauB    float64 `json:"tau_b,omitempty"`
	RegType string  `json:"reg_type,omitempty"`
	// Mass is partial OT's transported mass; 0 means min(|a|, |b|).
	Mass float64 `json:"mass"`
	// Projections is the number of sliced directions.
	Projections int `json:"projections"`
	// Directions is a file of sliced directions (L x d, --directions);
	// DirectionsSet, when set, is used instead (see SlicedRequest).
	Directions    string    `json:"directions,omitempty"`
	DirectionsSet []float64 `json:"-"`
	// Iters bounds the iterations.
	Iters int `json:"iters"`
	// Tol stops once the marginal error (or relative change) is <= Tol.
	Tol float64 `json:"tol"`
	// Scaling is the eps-scaling ratio in (0, 1) (0: off).
	Scaling float64 `json:"scaling"`
	// Symmetric averages the Sinkhorn updates.
	Symmetric bool `json:"symmetric"`
	// Backend is gpu, cpu32, cpu or auto (see OpenBackend).
	Backend string `json:"backend"`
	// Seed seeds the sliced directions and the low-rank tiers.
	Seed uint64 `json:"seed"`
	// Plan asks for the dense plan (n x m <= ot.MaxDense) in the result;
	// Potentials for F and G. On the CLI they are the --plan and
	// --potentials files.
	Plan       bool `json:"plan"`
	Potentials bool `json:"potentials"`
	// Grad asks for the gradient of the value (sinkhorn: OT_eps;
	// divergence: S) with respect to both clouds and weights (see
	// solveGradient); on the CLI it is the --grad file.
	Grad bool `json:"grad"`
	// MaxPivots caps the exact method's network simplex pivots (POT's
	// numItermax; 0: exact.DefaultMaxIter).
	MaxPivots int `json:"max_pivots,omitempty"`
	// P is the power of the ground cost |x - y|_2^P (--p; 0 or 2: |x - y|^2;
	// see cost.go); for --method sliced it is the order of SW_p. Cost is a dense n x m cost matrix file (--cost, POT's
	// M) replacing X and Y; CostSet, when set, is used instead (N rows of
	// D = m costs).
	P       float64   `json:"p,omitempty"`
	Cost    string    `json:"cost,omitempty"`
	CostSet *data.Set `json:"-"`
	// WarmF, WarmG, Apply and Richardson are in solve_extras.go.
	SolveExtras
	// CX and CY (--method gromov) are in gromov.go.
	GromovInputs
}

// NewSolveRequest returns a request holding the CLI's defaults: method
// sinkhorn, tier auto, eps ot.DefaultEps, tau 1, 200 projections,
// ot.DefaultMaxIter iterations, tol ot.DefaultTol, backend auto.
func NewSolveRequest() SolveRequest {
	return SolveRequest{Method: "sinkhorn", Tier: "auto", Eps: ot.DefaultEps, Tau: 1, Projections: 200,
		Iters: ot.DefaultMaxIter, Tol: ot.DefaultTol, Backend: "auto"}
}

// SolveResult is the result of a solve: the JSON object of otplay solve
// --json, plus the arrays.
type SolveResult struct {
	Method        string   `json:"method"`
	Backend       string   `json:"backend"`
	Tier          string   `json:"tier"`
	N             int      `json:"n"`
	M             int      `json:"m"`
	D             int      `json:"d"`
	Eps           float64  `json:"eps"`
	Cost          float64  `json:"cost"`
	Objective     float64  `json:"objective"`
	MarginalError float64  `json:"marginal_error"`
	Iterations    int      `json:"iterations"`
	Converged     bool     `json:"converged"`
	TimeMS        float64  `json:"time_ms"`
	Value         *float64 `json:"value,omitempty"`
	Tau           float64  `json:"tau,omitempty"`
	TauA          float64  `json:"tau_a,omitempty"`
	TauB          float64  `json:"tau_b,omitempty"`
	RegType       string   `json:"reg_type,omitempty"`
	Mass          float64  `json:"mass,omitempty"`
	Projections   int      `json:"projections,omitempty"`
	Notes         []string `json:"notes,omitempty"`

	// Residual is the float64 measurement that decides Converged (ot's
	// Result.Residual: the marginal error, for unbalanced the optimality
	// residual, for partial the constraint violation; the low-rank tiers'
	// marginal error), Check says how it was measured, Precision is the
	// backend's arithmetic and PrecisionFloor the relative error its
	// rounding puts on each plan entry (machine epsilon max C / eps), and
	// Status says in words whether the solve converged and why not.
	Residual       float64 `json:"residual"`
	Check          string  `json:"check,omitempty"`
	Precision      string  `json:"precision,omitempty"`
	PrecisionFloor float64 `json:"precision_floor"`
	Status         string  `json:"status,omitempty"`

	// F (n) and G (m) are the potentials, when Potentials was asked
	// (GeomLoss's convention, see ot.Result).
	F []float64 `json:"-"`
	G []float64 `json:"-"`
	// Plan is the dense n x m plan, row-major, when Plan was asked.
	Plan []float64 `json:"-"`
	// Grad is the gradient, when Grad was asked.
	Grad *ot.Gradient `json:"-"`
	// Columns holds every column's result when b has k > 1 columns.
	Columns []ColumnResult `json:"columns,omitempty"`
	// Mapped and Richardson are in solve_extras.go.
	SolveExtrasResult
}

// Check validates the parameters that need no data, with the CLI's
// messages (UsageError).
func (r SolveRequest) Check() error {
	if r.Grid {
		return r.checkGrid()
	}
	switch {
	case r.X == "" && r.XSet == nil && !r.hasCostMatrix():
		return usage("--x is required (a data set spec such as moons:512:seed=3, or a .csv/.npy file)")
	case r.Y == "" && r.YSet == nil && !r.hasCostMatrix():
		return usage("--y is required (a data set spec such as 8gaussians:512, or a .csv/.npy file)")
	case !(r.Eps > 0) || math.IsInf(r.Eps, 0):
		return usage("--eps %g: must be positive and finite", r.Eps)
	case !(r.Tau > 0):
		return usage("--tau %g: must be positive (+Inf for balanced)", r.Tau)
	case math.IsNaN(r.Mass) || r.Mass < 0 || math.IsInf(r.Mass, 0):
		return usage("--mass %g: must be in (0, min(|a|, |b|)] (0 means the largest)", r.Mass)
	case r.Iters < 1:
		return usage("--iters %d: must be >= 1", r.Iters)
	case math.IsNaN(r.Tol):
		return usage("--tol is NaN")
	case r.Projections < 1 || r.Projections > sliced.MaxProjections:
		return usage("--projections %d: must be in [1, %d]", r.Projections, sliced.MaxProjections)
	case math.IsNaN(r.Scaling) || r.Scaling < 0 || r.Scaling >= 1:
		return usage("--scaling %g: must be 0 (off) or in (0, 1)", r.Scaling)
	}
	switch r.Method {
	case "sinkhorn", "unbalanced", "partial", "divergence", "hilbert", "sliced", "max-sliced", "exact", "gromov":
	default:
		return usage("--method %q: want sinkhorn, unbalanced, partial, divergence, hilbert, sliced, max-sliced, exact or gromov", r.Method)
	}
	if err := r.checkGromov(); err != nil {
		return err
	}
	switch r.Tier {
	case "auto", "full":
	case "rff", "nystrom":
		if r.Method != "sinkhorn" {
			return usage("--tier %s: the low-rank tiers solve balanced entropic OT only (--method sinkhorn), not %s", r.Tier, r.Method)
		}
		if r.Plan {
			return usage("--plan: the %s tier's plan uses an approximate kernel; write plans with --tier full", r.Tier)
		}
		if r.Scaling != 0 || r.Symmetric {
			return usage("--scaling/--symmetric apply to the full tier only, not %s", r.Tier)
		}
	case "grid":
		return usage("--tier grid: convolutional Sinkhorn takes two histograms on one regular grid (solvers/kernel SolveGrid), not point clouds; pass --grid with two images or H x W histograms, or use full, auto, rff or nystrom here")
	default:
		return usage("--tier %q: want auto, full, rff, nystrom or grid", r.Tier)
	}
	if err := r.checkSliced(); err != nil {
		return err
	}
	if err := r.checkUnbalanced(); err != nil {
		return err
	}
	if err := r.checkGrad(); err != nil {
		return err
	}
	if (r.Plan || r.Potentials) && r.Method == "sliced" {
		return usage("--plan/--potentials: the sliced method has no plan or potentials")
	}
	if r.MaxPivots < 0 {
		return usage("--max-pivots %d: want >= 0 (0: POT's numItermax default, %d)", r.MaxPivots, exact.DefaultMaxIter)
	}
	if err := r.checkCost(); err != nil {
		return err
	}
	return r.SolveExtras.check(r)
}

// loadCloud returns set when given, else the parsed spec.
func loadCloud(flag, spec string, set *data.Set) (data.Set, error) {
	if set != nil {
		if err := CheckPoints(flag, *set); err != nil {
			return data.Set{}, err
		}
		return *set, nil
	}
	s, err := data.Parse(spec)
	if err != nil {
		return s, usage("--%s: %v", flag, err)
	}
	return s, nil
}

// CheckPoints checks an inline point set as data.Load checks a file: a
// shape within the limits, every value finite. Errors are UsageErrors
// naming the flag and the index of a bad value.
func CheckPoints(flag string, s data.Set) error {
	switch {
	case s.N < 1 || s.D < 1:
		return usage("--%s: empty point set (%d x %d)", flag, s.N, s.D)
	case s.N > data.MaxPoints:
		return usage("--%s: %d points exceed the limit of %d", flag, s.N, data.MaxPoints)
	case s.N*s.D > data.MaxElements:
		return usage("--%s: %d x %d values exceed the limit of %d", flag, s.N, s.D, data.MaxElements)
	case len(s.Points) != s.N*s.D:
		return usage("--%s: %d values for %d x %d points", flag, len(s.Points), s.N, s.D)
	}
	for i, v := range s.Points {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return usage("--%s: value %d [%d, %d] is %v (not finite)", flag, i, i/s.D, i%s.D, v)
		}
	}
	return nil
}

// CheckWeights checks inline weights as data.LoadWeights checks a file:
// finite, nonnegative, with a positive total.
func CheckWeights(flag string, w []float64) error {
	total := 0.0
	for i, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return usage("--%s: weight %d is %v (not finite)", flag, i, v)
		}
		if v < 0 {
			return usage("--%s: weight %d is %g < 0", flag, i, v)
		}
		total += v
	}
	if !(total > 0) {
		return usage("--%s: weights sum to %g; want a positive total", flag, total)
	}
	return nil
}

// loadWeights returns the weights of a file or of inline values,
// normalised to mass 1 for the balanced methods (with a note).
func loadWeights(flag, path string, inline []float64, n int, balanced bool, notes *[]string) ([]float64, error) {
	var w []float64
	switch {
	case inline != nil:
		if err := CheckWeights(flag, inline); err != nil {
			return nil, err
		}
		w = append([]float64(nil), inline...)
	case path != "":
		var err error
		if w, err = data.LoadWeights(path); err != nil {
			return nil, fmt.Errorf("--%s: %w", flag, err)
		}
	default:
		return nil, nil
	}
	if len(w) != n {
		return nil, usage("--%s: %d weights for %d points", flag, len(w), n)
	}
	s := 0.0
	for _, v := range w {
		s += v
	}
	if balanced && math.Abs(s-1) > 1e-12 {
		for i := range w {
			w[i] /= s
		}
		*notes = append(*notes, fmt.Sprintf("--%s: weights summed to %g; normalised to 1 for the balanced method", flag, s))
	}
	return w, nil
}

// Solve runs one otplay solve: it checks the request, loads the clouds
// and weights, opens the backend (after every check, so a refused request
// opens nothing) and solves with the method asked. The solvers and their
// conventions are POT's: see solvers/ot (Sinkhorn, Unbalanced, Partial,
// DivergenceDetail), solvers/kernel (the low-rank tiers), solvers/sliced
// and solvers/exact.
func Solve(req SolveRequest, opt Options) (*SolveResult, error) {
	if req.Grid {
		return solveGrid(req, opt)
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	if req.Method == "gromov" {
		return solveGromov(req, opt)
	}
	if cols, err := bColumns(req); err != nil || cols != nil {
		if err != nil {
			return nil, err
		}
		return solveColumns(req, cols, opt)
	}
	xs, ys, cost, err := loadInputs(req) // the clouds, or a cost matrix (cost.go)
	if err != nil {
		return nil, err
	}
	n, m, d := xs.N, ys.N, xs.D
	if req.Plan && n*m > ot.MaxDense {
		return nil, usage("--plan: a dense plan of %d x %d = %d entries exceeds %d; drop --plan or use fewer points", n, m, n*m, ot.MaxDense)
	}
	if err := checkExactSize(req, n, m, d); err != nil {
		return nil, err
	}
	rep := &SolveResult{Method: req.Method, N: n, M: m, D: d}
	balanced := req.Method != "unbalanced" && req.Method != "partial"
	a, err := loadWeights("a", req.A, req.AWeights, n, balanced, &rep.Notes)
	if err != nil {
		return nil, err
	}
	b, err := loadWeights("b", req.B, req.BWeights, m, balanced, &rep.Notes)
	if err != nil {
		return nil, err
	}
	if req.Method == "exact" { // on the host: no backend to open
		return solveExact(req, xs, ys, cost, a, b, rep, time.Now())
	}
	be, note, err := opt.open(req.Backend)
	if err != nil {
		return nil, err
	}
	defer be.Close()
	if note != "" {
		rep.Notes = append(rep.Notes, note)
	}
	rep.Backend = be.Info().Name
	prob := ot.Problem{X: xs.Points, Y: ys.Points, N: n, M: m, D: d, A: a, B: b, P: req.P, Cost: cost}
	set := ot.Settings{Eps: req.Eps, MaxIter: req.Iters, Tol: req.Tol, Scaling: req.Scaling, Symmetric: req.Symmetric, Progress: opt.Progress}
	if err := req.SolveExtras.apply(&set, n, m, d); err != nil {
		return nil, err
	}
	start := time.Now()
	if cost != nil || req.customPower() {
		req.Tier = "full" // the low-rank kernels are Gaussian: |x - y|^2 only
		rep.Notes = append(rep.Notes, groundCostNote(req, n, m))
	}
	var res *ot.Result
	var dv *ot.DivergenceResult
	var divConverged *bool // all three problems of the divergence
	var divStatus string
	tier := kernel.Full
	if req.Method == "sinkhorn" {
		if tier, err = kernel.ParseTier(req.Tier); err != nil {
			return nil, usage("--tier: %v", err)
		}
		if tier == kernel.Auto {
			var why string
			tier, why = kernel.Choose(n, m, d, req.Eps, 0)
			tier, why = req.SolveExtras.tier(tier, why)
			rep.Notes = append(rep.Notes, "tier "+tier.String()+": "+why)
		}
	}
	rep.Tier = tier.String()
	switch req.Method {
	case "sinkhorn":
		if tier != kernel.Full {
			return solveLowRank(be, req, tier, prob, rep, start)
		}
		if req.Richardson {
			return solveRichardson(be, req, prob, set, rep, start)
		}
		res, err = ot.Sinkhorn(be, prob, set)
	case "unbalanced":
		if err := unbalancedSettings(req, &set, rep); err != nil {
			return nil, err
		}
		res, err = ot.Unbalanced(be, prob, set)
	case "partial":
		set.Mass = req.Mass
		res, err = ot.Partial(be, prob, set)
		if err == nil {
			rep.Mass = res.Mass
		}
	case "divergence":
		dv, err = ot.DivergenceDetail(be, prob, set)
		if err == nil {
			res = dv.AB
			v := dv.Value
			rep.Value = &v
			rep.Iterations = dv.AA.Iterations + dv.BB.Iterations
			divConverged = &dv.Converged
			divStatus = dv.Status
		}
	case "sliced":
		return solveSliced(be, req, xs, ys, a, b, rep, start)
	case "max-sliced":
		return solveMaxSliced(be, req, xs, ys, a, b, rep, start)
	case "hilbert":
		return solveHilbert(be, req, prob, set, rep, start)
	}
	if err != nil {
		return nil, err
	}
	// Which cost path the CPU backends ran from d = 16 (a stored matrix or
	// the fused loops; compute/costcache.go).
	if n := be.Info().Notes; strings.HasPrefix(n, compute.CostCacheNotePrefix) {
		rep.Notes = append(rep.Notes, n)
	}
	rep.Eps = res.Eps
	rep.Cost, rep.Objective, rep.MarginalError = res.Cost, res.Objective, res.MarginalError
	rep.Iterations += res.Iterations
	rep.Converged = res.Converged
	rep.Residual, rep.Check, rep.Precision, rep.PrecisionFloor, rep.Status = res.ResidualBound, res.Check, res.Precision, res.PrecisionFloor, res.Status
	if divConverged != nil {
		rep.Converged = *divConverged
		rep.Status = divStatus
	}
	if req.Plan {
		if rep.Plan, err = res.PlanDense(be); err != nil {
			return nil, err
		}
	}
	if req.Potentials {
		rep.F, rep.G = append([]float64(nil), res.F...), append([]float64(nil), res.G...)
	}
	if req.Grad {
		if err := solveGradient(be, rep, res, dv); err != nil {
			return nil, err
		}
	}
	if err := rep.SolveExtrasResult.mapPoints(be, req.SolveExtras, res.Transport); err != nil {
		return nil, err
	}
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}

// solveLowRank runs balanced Sinkhorn with an approximate kernel (random
// features or Nystrom landmarks, package kernel).
func solveLowRank(be compute.Backend, req SolveRequest, tier kernel.Tier, p ot.Problem, rep *SolveResult, start time.Time) (*SolveResult, error) {
	if req.Plan {
		return nil, usage("--plan: the %v tier has no exact plan; use --tier full", tier)
	}
	if req.Grad {
		return nil, usage("--grad: the %v tier's kernel is approximate; use --tier full", tier)
	}
	r, err := kernel.Solve(be, kernel.Problem{X: p.X, Y: p.Y, N: p.N, M: p.M, D: p.D, A: p.A, B: p.B, Eps: req.Eps},
		kernel.Settings{Tier: tier, MaxIter: req.Iters, Tol: req.Tol, Seed: req.Seed})
	if err != nil {
		return nil, err
	}
	rep.Tier = r.Tier.String()
	rep.Eps = req.Eps
	rep.Cost, rep.Objective, rep.MarginalError = r.Cost, r.Objective, r.MarginalError
	rep.Iterations, rep.Converged = r.Iterations, r.Converged
	rep.Residual, rep.Check, rep.Precision, rep.PrecisionFloor, rep.Status = r.MarginalError, r.Check, r.Precision, r.PrecisionFloor, r.Status
	rep.Notes = append(rep.Notes, fmt.Sprintf("%v tier: rank %d, kernel relative RMS error %.3g (measured on the backend's features)", r.Tier, r.Rank, r.ErrorEstimate))
	if req.Potentials {
		rep.F, rep.G = append([]float64(nil), r.F...), append([]float64(nil), r.G...)
	}
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}

func solveSliced(be compute.Backend, req SolveRequest, xs, ys data.Set, a, b []float64, rep *SolveResult, start time.Time) (*SolveResult, error) {
	dirs, err := slicedDirections(req, xs.D)
	if err != nil {
		return nil, err
	}
	r, err := sliced.Distance(be, sliced.Measure{Points: xs.Points, N: xs.N, D: xs.D, Weights: a},
		sliced.Measure{Points: ys.Points, N: ys.N, D: ys.D, Weights: b},
		sliced.Settings{Projections: req.Projections, Seed: req.Seed, Directions: dirs, P: req.P})
	if err != nil {
		return nil, err
	}
	v := r.SW
	rep.Value = &v
	rep.Cost, rep.Objective = math.Pow(r.SW, r.P), math.Pow(r.SW, r.P)
	rep.Iterations, rep.Projections, rep.Converged = r.L, r.L, true
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}
