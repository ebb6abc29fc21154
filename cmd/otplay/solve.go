package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/ot"
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
type solveReport = batch.SolveResult

type solveFlags struct {
	x, y, a, b, method, tier, backend, plan, potentials string
	eps, tau, mass, tol, scaling                        float64
	projections, iters                                  int
	seed                                                uint64
	symmetric, asJSON                                   bool
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
		var ue batch.UsageError
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

// solveRequest turns the flags into a batch request.
func solveRequest(f solveFlags) batch.SolveRequest {
	return batch.SolveRequest{X: f.x, Y: f.y, A: f.a, B: f.b, Method: f.method, Tier: f.tier, Eps: f.eps, Tau: f.tau,
		Mass: f.mass, Projections: f.projections, Iters: f.iters, Tol: f.tol, Scaling: f.scaling,
		Symmetric: f.symmetric, Backend: f.backend, Seed: f.seed, Plan: f.plan != "", Potentials: f.potentials != ""}
}

// solveMain checks the flags, runs batch.Solve and writes the plan and
// potentials files.
func solveMain(f solveFlags, stderr io.Writer) (*solveReport, error) {
	req := solveRequest(f)
	if err := req.Check(); err != nil {
		return nil, err
	}
	for _, p := range []string{f.plan, f.potentials} {
		if p == "" {
			continue
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".csv", ".npy":
		default:
			return nil, batch.UsageError{Msg: fmt.Sprintf("output file %q: want a .csv or .npy name", p)}
		}
	}
	bar := newSolveProgress(stderr)
	rep, err := batch.Solve(req, batch.Options{Progress: bar.update})
	bar.finish()
	if err != nil {
		return nil, err
	}
	if f.plan != "" {
		if err := solveSaveAtomically(f.plan, func(p string) error { return data.Save(p, rep.Plan, rep.N, rep.M) }); err != nil {
			return nil, err
		}
	}
	if f.potentials != "" {
		v := append(append([]float64(nil), rep.F...), rep.G...)
		if err := solveSaveAtomically(f.potentials, func(p string) error { return data.SaveVector(p, v) }); err != nil {
			return nil, err
		}
	}
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
