package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/exact"
	"github.com/otplay/otplay/solvers/kernel"
	"github.com/otplay/otplay/solvers/ot"
	"github.com/otplay/otplay/solvers/sliced"
)

func init() {
	register(command{name: "solve", summary: "solve an optimal transport problem between two point clouds", run: runSolve})
}

const solveSynopsis = `solve --x SPEC --y SPEC [--method sinkhorn] [--eps 0.01] [flags]

Solves optimal transport between two point clouds with the cost |x - y|^2
(no 1/2) and prints a summary (or one JSON object with --json).

--x and --y take a built-in data set spec (name[:n][:key=value...], e.g.
moons:512:seed=3, gaussian:1000:d=3:seed=1) or a .csv/.npy file of points;
--a and --b optional weight files (.csv one value per line, or .npy).

Methods (the conventions of POT, see solvers/ot):
  sinkhorn    balanced entropic OT, log-domain Sinkhorn (ot.sinkhorn, method="sinkhorn_log")
  unbalanced  KL-penalised marginals with strength --tau (ot.sinkhorn_unbalanced, reg_m=tau)
  partial     transport total mass --mass (ot.partial.entropic_partial_wasserstein)
  divergence  debiased Sinkhorn divergence S = OT(a,b) - (OT(a,a) + OT(b,b))/2
  sliced      sliced Wasserstein SW_2 with --projections directions (--seed)
  exact       unregularised OT: sorting in 1-D (any weights), else an
              assignment (uniform weights, lcm(n, m) <= 2000)

Tiers (--method sinkhorn; other methods use full): full is the exact
log-domain solver; rff and nystrom apply a low-rank approximation of the
kernel exp(-C/eps) (for large eps, see solvers/kernel); auto asks
kernel.Choose (full up to 2^26 pairs) and notes why. grid is for
histograms on a grid and is not offered for point clouds.

Weights that do not sum to 1 are normalised (with a note on stderr) for the
balanced methods (sinkhorn, divergence, sliced, exact); unbalanced and
partial use them as given. Zero or negative weights are refused.

Outputs: --plan FILE writes the dense plan (n x m, only when n*m <= 4e6;
an exact plan is written dense too); --potentials FILE writes F (n
values) followed by G (m values) as one vector. Files are written to a
temporary name and renamed, so a failed run leaves nothing half-written.
JSON fields: method, backend, tier, n, m, d, eps, cost, objective,
marginal_error, iterations, converged, time_ms, and value (divergence:
S, with cost and objective those of OT_eps(a, b) and iterations summed
over the three problems; sliced: SW_2, with cost = SW_2^2; exact: cost =
W_2^2). A progress bar goes to stderr for runs over a second.`

// solveReport is the --json output of otplay solve.
type solveReport struct {
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
	Mass          float64  `json:"mass,omitempty"`
	Projections   int      `json:"projections,omitempty"`
	Notes         []string `json:"notes,omitempty"`
}

type solveFlags struct {
	x, y, a, b, method, tier, backend, plan, potentials string
	eps, tau, mass, tol, scaling                        float64
	projections, iters                                  int
	seed                                                uint64
	symmetric, asJSON                                   bool
}

// solveUsageError marks errors that exit with status 2.
type solveUsageError struct{ msg string }

func (e solveUsageError) Error() string { return e.msg }

func solveUsage(format string, args ...any) error {
	return solveUsageError{fmt.Sprintf(format, args...)}
}

func runSolve(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("solve", solveSynopsis, stderr)
	var f solveFlags
	fs.StringVar(&f.x, "x", "", "source points: data set spec (moons:512:seed=3) or .csv/.npy file (required)")
	fs.StringVar(&f.y, "y", "", "target points: data set spec or .csv/.npy file (required)")
	fs.StringVar(&f.a, "a", "", "source weights file (.csv/.npy); default uniform")
	fs.StringVar(&f.b, "b", "", "target weights file (.csv/.npy); default uniform")
	fs.StringVar(&f.method, "method", "sinkhorn", "sinkhorn, unbalanced, partial, divergence, sliced or exact")
	fs.StringVar(&f.tier, "tier", "auto", "kernel tier for entropic methods: auto, full, rff, nystrom or grid")
	fs.Float64Var(&f.eps, "eps", ot.DefaultEps, "entropic regularisation eps (POT's reg), in units of |x - y|^2")
	fs.Float64Var(&f.tau, "tau", 1, "unbalanced: KL marginal penalty (POT's reg_m); +Inf means balanced")
	fs.Float64Var(&f.mass, "mass", 0, "partial: total transported mass in (0, min(|a|, |b|)]; 0 means min(|a|, |b|)")
	fs.IntVar(&f.projections, "projections", 200, "sliced: number of directions")
	fs.IntVar(&f.iters, "iters", ot.DefaultMaxIter, "maximum iterations")
	fs.Float64Var(&f.tol, "tol", ot.DefaultTol, "stop when the marginal error (or relative change) is <= tol")
	fs.Float64Var(&f.scaling, "scaling", 0, "eps-scaling ratio in (0, 1) as in GeomLoss (0: off)")
	fs.BoolVar(&f.symmetric, "symmetric", false, "symmetric (averaged) Sinkhorn updates")
	fs.StringVar(&f.backend, "backend", "auto", backendFlagHelp)
	fs.Uint64Var(&f.seed, "seed", 0, "sliced: seed of the random directions")
	fs.StringVar(&f.plan, "plan", "", "write the dense transport plan (n x m) to this .csv/.npy file")
	fs.StringVar(&f.potentials, "potentials", "", "write the potentials F then G to this .csv/.npy file")
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	rep, err := solveMain(f, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "otplay solve:", err)
		var ue solveUsageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "otplay solve:", err)
			return 1
		}
		return 0
	}
	printSolveReport(stdout, rep)
	return 0
}

func printSolveReport(w io.Writer, r *solveReport) {
	fmt.Fprintf(w, "method      %s (backend %s, tier %s)\n", r.Method, r.Backend, r.Tier)
	fmt.Fprintf(w, "problem     n = %d, m = %d, d = %d", r.N, r.M, r.D)
	if r.Eps > 0 {
		fmt.Fprintf(w, ", eps = %g", r.Eps)
	}
	fmt.Fprintln(w)
	if r.Value != nil {
		fmt.Fprintf(w, "value       %.10g\n", *r.Value)
	}
	fmt.Fprintf(w, "cost        %.10g\n", r.Cost)
	fmt.Fprintf(w, "objective   %.10g\n", r.Objective)
	fmt.Fprintf(w, "marginals   error %.3g\n", r.MarginalError)
	fmt.Fprintf(w, "iterations  %d (converged: %v)\n", r.Iterations, r.Converged)
	fmt.Fprintf(w, "time        %.3f ms\n", r.TimeMS)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note        %s\n", n)
	}
}

// checkSolveFlags validates the flags that need no data.
func checkSolveFlags(f solveFlags) error {
	switch {
	case f.x == "":
		return solveUsage("--x is required (a data set spec such as moons:512:seed=3, or a .csv/.npy file)")
	case f.y == "":
		return solveUsage("--y is required (a data set spec such as 8gaussians:512, or a .csv/.npy file)")
	case !(f.eps > 0) || math.IsInf(f.eps, 0):
		return solveUsage("--eps %g: must be positive and finite", f.eps)
	case !(f.tau > 0):
		return solveUsage("--tau %g: must be positive (+Inf for balanced)", f.tau)
	case math.IsNaN(f.mass) || f.mass < 0 || math.IsInf(f.mass, 0):
		return solveUsage("--mass %g: must be in (0, min(|a|, |b|)] (0 means the largest)", f.mass)
	case f.iters < 1:
		return solveUsage("--iters %d: must be >= 1", f.iters)
	case math.IsNaN(f.tol):
		return solveUsage("--tol is NaN")
	case f.projections < 1 || f.projections > sliced.MaxProjections:
		return solveUsage("--projections %d: must be in [1, %d]", f.projections, sliced.MaxProjections)
	case math.IsNaN(f.scaling) || f.scaling < 0 || f.scaling >= 1:
		return solveUsage("--scaling %g: must be 0 (off) or in (0, 1)", f.scaling)
	}
	switch f.method {
	case "sinkhorn", "unbalanced", "partial", "divergence", "sliced", "exact":
	default:
		return solveUsage("--method %q: want sinkhorn, unbalanced, partial, divergence, sliced or exact", f.method)
	}
	switch f.tier {
	case "auto", "full":
	case "rff", "nystrom":
		if f.method != "sinkhorn" {
			return solveUsage("--tier %s: the low-rank tiers solve balanced entropic OT only (--method sinkhorn), not %s", f.tier, f.method)
		}
		if f.plan != "" {
			return solveUsage("--plan: the %s tier's plan uses an approximate kernel; write plans with --tier full", f.tier)
		}
		if f.scaling != 0 || f.symmetric {
			return solveUsage("--scaling/--symmetric apply to the full tier only, not %s", f.tier)
		}
	case "grid":
		return solveUsage("--tier grid: convolutional Sinkhorn takes two histograms on one regular grid (solvers/kernel SolveGrid), not point clouds; use full, auto, rff or nystrom here")
	default:
		return solveUsage("--tier %q: want auto, full, rff, nystrom or grid", f.tier)
	}
	if (f.plan != "" || f.potentials != "") && f.method == "sliced" {
		return solveUsage("--plan/--potentials: the sliced method has no plan or potentials")
	}
	if f.potentials != "" && f.method == "exact" {
		return solveUsage("--potentials: the exact method does not compute potentials")
	}
	for _, p := range []string{f.plan, f.potentials} {
		if p == "" {
			continue
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".csv", ".npy":
		default:
			return solveUsage("output file %q: want a .csv or .npy name", p)
		}
	}
	return nil
}

func solveLoadCloud(flag, spec string) (data.Set, error) {
	s, err := data.Parse(spec)
	if err != nil {
		return s, solveUsage("--%s: %v", flag, err)
	}
	return s, nil
}

// solveLoadWeights reads a weight file, normalising it to mass 1 for the
// balanced methods (with a note).
func solveLoadWeights(flag, path string, n int, balanced bool, notes *[]string) ([]float64, error) {
	if path == "" {
		return nil, nil
	}
	w, err := data.LoadWeights(path)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	if len(w) != n {
		return nil, solveUsage("--%s: %d weights for %d points", flag, len(w), n)
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

func solveMain(f solveFlags, stderr io.Writer) (*solveReport, error) {
	if err := checkSolveFlags(f); err != nil {
		return nil, err
	}
	xs, err := solveLoadCloud("x", f.x)
	if err != nil {
		return nil, err
	}
	ys, err := solveLoadCloud("y", f.y)
	if err != nil {
		return nil, err
	}
	if xs.D != ys.D {
		return nil, solveUsage("--x has dimension %d and --y dimension %d", xs.D, ys.D)
	}
	n, m, d := xs.N, ys.N, xs.D
	if f.plan != "" && n*m > ot.MaxDense {
		return nil, solveUsage("--plan: a dense plan of %d x %d = %d entries exceeds %d; drop --plan or use fewer points", n, m, n*m, ot.MaxDense)
	}
	if f.method == "exact" && d > 1 {
		if f.a != "" || f.b != "" {
			return nil, solveUsage("--method exact: weights are supported in 1-D only (uniform weights in %d-D)", d)
		}
		g := solveGCD(n, m)
		if n/g*m > exact.MaxPoints {
			return nil, solveUsage("--method exact: lcm(%d, %d) = %d points exceeds %d; use equal sizes or fewer points", n, m, n/g*m, exact.MaxPoints)
		}
	}
	rep := &solveReport{Method: f.method, N: n, M: m, D: d}
	balanced := f.method != "unbalanced" && f.method != "partial"
	a, err := solveLoadWeights("a", f.a, n, balanced, &rep.Notes)
	if err != nil {
		return nil, err
	}
	b, err := solveLoadWeights("b", f.b, m, balanced, &rep.Notes)
	if err != nil {
		return nil, err
	}
	be, note, err := openBackend(f.backend)
	if err != nil {
		return nil, err
	}
	defer be.Close()
	if note != "" {
		rep.Notes = append(rep.Notes, note)
	}
	rep.Backend = be.Info().Name
	prob := ot.Problem{X: xs.Points, Y: ys.Points, N: n, M: m, D: d, A: a, B: b}
	bar := newSolveProgress(stderr)
	set := ot.Settings{Eps: f.eps, MaxIter: f.iters, Tol: f.tol, Scaling: f.scaling, Symmetric: f.symmetric, Progress: bar.update}
	start := time.Now()
	var res *ot.Result
	var divConverged *bool // all three problems of the divergence
	tier := kernel.Full
	if f.method == "sinkhorn" {
		if tier, err = kernel.ParseTier(f.tier); err != nil {
			return nil, solveUsage("--tier: %v", err)
		}
		if tier == kernel.Auto {
			var why string
			tier, why = kernel.Choose(n, m, d, f.eps, 0)
			rep.Notes = append(rep.Notes, "tier "+tier.String()+": "+why)
		}
	}
	rep.Tier = tier.String()
	switch f.method {
	case "sinkhorn":
		if tier != kernel.Full {
			bar.finish()
			return solveLowRank(be, f, tier, prob, rep, start)
		}
		res, err = ot.Sinkhorn(be, prob, set)
	case "unbalanced":
		set.TauA, set.TauB = f.tau, f.tau
		rep.Tau = f.tau
		res, err = ot.Unbalanced(be, prob, set)
	case "partial":
		set.Mass = f.mass
		res, err = ot.Partial(be, prob, set)
		if err == nil {
			rep.Mass = res.Mass
		}
	case "divergence":
		var dv *ot.DivergenceResult
		dv, err = ot.DivergenceDetail(be, prob, set)
		if err == nil {
			res = dv.AB
			v := dv.Value
			rep.Value = &v
			rep.Iterations = dv.AA.Iterations + dv.BB.Iterations
			divConverged = &dv.Converged
		}
	case "sliced":
		bar.finish()
		return solveSliced(be, f, xs, ys, a, b, rep, start)
	case "exact":
		bar.finish()
		return solveExact(f, xs, ys, a, b, rep, start)
	}
	bar.finish()
	if err != nil {
		return nil, err
	}
	rep.Eps = res.Eps
	rep.Cost, rep.Objective, rep.MarginalError = res.Cost, res.Objective, res.MarginalError
	rep.Iterations += res.Iterations
	rep.Converged = res.Converged
	if divConverged != nil {
		rep.Converged = *divConverged
	}
	if f.plan != "" {
		pl, err := res.PlanDense(be)
		if err != nil {
			return nil, err
		}
		if err := solveSaveAtomically(f.plan, func(p string) error { return data.Save(p, pl, n, m) }); err != nil {
			return nil, err
		}
	}
	if f.potentials != "" {
		v := append(append([]float64(nil), res.F...), res.G...)
		if err := solveSaveAtomically(f.potentials, func(p string) error { return data.SaveVector(p, v) }); err != nil {
			return nil, err
		}
	}
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	if !rep.Converged {
		rep.Notes = append(rep.Notes, fmt.Sprintf("not converged after %d iterations (last residual %.3g > tol %g); raise --iters or --eps", res.Iterations, solveLastOr(res.Errors, math.NaN()), f.tol))
	}
	return rep, nil
}

func solveLastOr(v []float64, def float64) float64 {
	if len(v) == 0 {
		return def
	}
	return v[len(v)-1]
}

func solveGCD(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// solveLowRank runs balanced Sinkhorn with an approximate kernel (random
// features or Nystrom landmarks, package kernel).
func solveLowRank(be compute.Backend, f solveFlags, tier kernel.Tier, p ot.Problem, rep *solveReport, start time.Time) (*solveReport, error) {
	if f.plan != "" {
		return nil, solveUsage("--plan: the %v tier has no exact plan; use --tier full", tier)
	}
	r, err := kernel.Solve(be, kernel.Problem{X: p.X, Y: p.Y, N: p.N, M: p.M, D: p.D, A: p.A, B: p.B, Eps: f.eps},
		kernel.Settings{Tier: tier, MaxIter: f.iters, Tol: f.tol, Seed: f.seed})
	if err != nil {
		return nil, err
	}
	rep.Tier = r.Tier.String()
	rep.Eps = f.eps
	rep.Cost, rep.Objective, rep.MarginalError = r.Cost, r.Objective, r.MarginalError
	rep.Iterations, rep.Converged = r.Iterations, r.Converged
	rep.Notes = append(rep.Notes, fmt.Sprintf("%v tier: rank %d, kernel relative RMS error %.3g", r.Tier, r.Rank, r.ErrorEstimate))
	if f.potentials != "" {
		v := append(append([]float64(nil), r.F...), r.G...)
		if err := solveSaveAtomically(f.potentials, func(path string) error { return data.SaveVector(path, v) }); err != nil {
			return nil, err
		}
	}
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}

func solveSliced(be compute.Backend, f solveFlags, xs, ys data.Set, a, b []float64, rep *solveReport, start time.Time) (*solveReport, error) {
	r, err := sliced.Distance(be, sliced.Measure{Points: xs.Points, N: xs.N, D: xs.D, Weights: a},
		sliced.Measure{Points: ys.Points, N: ys.N, D: ys.D, Weights: b},
		sliced.Settings{Projections: f.projections, Seed: f.seed})
	if err != nil {
		return nil, err
	}
	v := r.SW
	rep.Value = &v
	rep.Cost, rep.Objective = r.SW*r.SW, r.SW*r.SW
	rep.Iterations, rep.Projections, rep.Converged = r.L, r.L, true
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}

func solveExact(f solveFlags, xs, ys data.Set, a, b []float64, rep *solveReport, start time.Time) (*solveReport, error) {
	var r *exact.Result
	var err error
	if xs.D == 1 {
		r, err = exact.Solve1D(xs.Points, a, ys.Points, b)
	} else {
		r, err = exact.Solve(xs.Points, ys.Points, xs.N, ys.N, xs.D)
	}
	if err != nil {
		return nil, err
	}
	rep.Backend = "cpu"
	rep.Cost, rep.Objective, rep.Converged = r.Cost, r.Cost, true
	if f.plan != "" {
		pl := make([]float64, xs.N*ys.N)
		for _, fl := range r.Flows {
			pl[fl.I*ys.N+fl.J] += fl.Mass
		}
		if err := solveSaveAtomically(f.plan, func(p string) error { return data.Save(p, pl, xs.N, ys.N) }); err != nil {
			return nil, err
		}
	}
	rep.Notes = append(rep.Notes, "exact OT runs on the host (CPU) whatever --backend says")
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}

// solveSaveAtomically writes path through write(tmp) to a temporary file with
// the same extension in the same directory, then renames it.
func solveSaveAtomically(path string, write func(tmp string) error) error {
	dir, base := filepath.Split(path)
	tmp, err := os.CreateTemp(dir, "."+strings.TrimSuffix(base, filepath.Ext(base))+".*"+filepath.Ext(base))
	if err != nil {
		return err
	}
	name := tmp.Name()
	tmp.Close()
	if err := write(name); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}

// solveProgress draws a progress bar on stderr once a run has lasted a
// second (short runs print nothing).
type solveProgress struct {
	w     io.Writer
	start time.Time
	drawn bool
}

func newSolveProgress(w io.Writer) *solveProgress {
	return &solveProgress{w: w, start: time.Now()}
}

func (p *solveProgress) update(iter, maxIter int, residual float64) {
	if time.Since(p.start) < time.Second || maxIter < 1 {
		return
	}
	const width = 30
	done := min(width, iter*width/maxIter)
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d residual %.3g", strings.Repeat("#", done), strings.Repeat(".", width-done), iter, maxIter, residual)
	p.drawn = true
}

func (p *solveProgress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
