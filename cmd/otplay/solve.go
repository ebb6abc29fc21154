package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/internal/safefile"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/exact"
	"github.com/otplay/otplay/solvers/ot"
)

func init() {
	register(command{name: "solve", summary: "solve an optimal transport problem between two point clouds", run: runSolve})
}

const solveSynopsis = `solve --x SPEC --y SPEC [--method sinkhorn] [--eps 0.01] [flags]
       solve --cost M.npy [--a A --b B] [--method sinkhorn] [flags]

Solves optimal transport between two point clouds with the cost |x - y|^2
(no 1/2) and prints a summary (or one JSON object with --json).

--preset draft|balanced|ultra|fast|repro sets --iters, --tol, --scaling
(and, for repro, --backend cpu --seed 0) as the seed's FastSB-OT and
SPOT presets do; flags given explicitly win ('otplay info' lists them).

Other ground costs, with POT's conventions: --p P uses |x - y|^P (the
Euclidean distance to the power P, in (0, 16]): --p 1 is POT's
ot.dist(x, y, 'euclidean'), --p 2 the default ot.dist(x, y) (squared),
any other P ot.dist(x, y, 'euclidean')**P; for sinkhorn, unbalanced,
partial and exact (for sliced, P >= 1 is the order of SW_p). --cost
M.npy gives a dense n x m cost matrix (POT's M, at most 4e6 entries)
instead of --x and --y, for sinkhorn, unbalanced, partial and exact;
--a/--b still apply.
--eps is in units of the cost used.

--x and --y take a built-in data set spec (name[:n][:key=value...], e.g.
moons:512:seed=3, gaussian:1000:d=3:seed=1) or a file of points: text
(.csv, .txt, .tsv, .dat: commas or numpy.savetxt's spaces), .npy (float32,
float64, int32 or int64, C or Fortran order) or a one-array .npz; --a and
--b optional weight files in the same formats (one column, one row or 1-D).
--b may also hold k > 1 columns (an m x k matrix, POT's b for several
target histograms): one solve per column, column 0 reported at the top
and every column in "columns" (--plan, --potentials and --grad refused).

Methods (the conventions of POT, see solvers/ot):
  sinkhorn    balanced entropic OT, log-domain Sinkhorn (ot.sinkhorn, method="sinkhorn_log")
  unbalanced  KL-penalised marginals with strength --tau, or --tau-a and
              --tau-b per marginal (ot.sinkhorn_unbalanced, reg_m=(tau_a, tau_b));
              --reg-type entropy (POT 0.8.2's, default) or kl (current POT's)
  partial     transport total mass --mass (ot.partial.entropic_partial_wasserstein)
  divergence  debiased Sinkhorn divergence S = OT(a,b) - (OT(a,a) + OT(b,b))/2
  sliced      sliced Wasserstein SW_p (--p, default 2) with --projections random
              directions (--seed) or those of --directions D.npy (L x d)
  hilbert     Hilbert Sinkhorn divergence: S with the Gaussian-kernel cost
              2 - 2 k(x, y) through --features random Fourier features
              (--bandwidth sigma, default the median distance; --seed)
  max-sliced  max-sliced W_2: the best of --projections directions, refined
              by ascent on the sphere (at most --iters steps)
  exact       unregularised OT (ot.emd): sorting in 1-D, else the network
              simplex on the cost matrix (any weights, n*m <= 25e6,
              pivots capped by --max-pivots, POT's numItermax)
  gromov      entropic Gromov-Wasserstein, square loss
              (ot.gromov.entropic_gromov_wasserstein(2)): x and y may
              differ in dimension; intra-set costs squared Euclidean or
              --cx CX.npy (n x n), --cy CY.npy (m x m); --iters and --tol
              bound the outer loop (POT's max_iter 1000, tol 1e-9: pass
              --tol 1e-9 for POT's); cost and objective are POT's gw_dist;
              --plan writes the coupling

Tiers (--method sinkhorn; other methods use full): full is the exact
log-domain solver; rff and nystrom apply a low-rank approximation of the
kernel exp(-C/eps) (for large eps, see solvers/kernel); auto asks
kernel.Choose (full up to 2^26 pairs) and notes why. grid is for
histograms on a grid and is not offered for point clouds.

Weights that do not sum to 1 are normalised (with a note on stderr) for the
balanced methods (sinkhorn, divergence, sliced, exact); unbalanced and
partial use them as given. Zero or negative weights are refused.

--tol 0 never stops early: all --iters iterations run, converged is judged
against the default tolerance (1e-6), and a note gives the final marginal
error.

Outputs: --plan FILE (.npy or .csv) writes the dense plan (n x m, only
when n*m <= 4e6; an exact plan is written dense too); --potentials writes
the potentials f (n values) and g (m values) as two arrays (exact: POT's
centred duals log['u'], log['v']: u_i + v_j <= C_ij, <a, u> = <b, v>):
two files F,G (e.g. f.npy,g.npy) or one .npz holding f and g
(numpy.load(...)["f"]).
Output names are checked before the work (the folder exists and is
writable, the extension is known); files are written to a unique
temporary name, synced and renamed, so a failed or killed run leaves the
old files whole. JSON fields: method, backend, tier, n, m, d, eps, cost,
objective, marginal_error, iterations, converged, time_ms, and value
(divergence: S, with cost and objective those of OT_eps(a, b) and
iterations summed over the three problems; sliced: SW_p, with cost =
SW_p^p; exact: cost = W_2^2); NaN or infinite values print as null and are
listed in "nonfinite".

--grad FILE writes the gradient of the value (sinkhorn: OT_eps = the
objective; divergence: S; exact: W_2^2, POT's emd2 gradients) by the
envelope theorem: w.r.t. the points (x: n x d, y: m x d, e.g. grad_x =
2 a_i (x_i - T(x_i))) and the weights (a: n, b: m: the potentials minus
their means, POT's emd2 gradient convention; only directions summing to
0 are meaningful). A .npz holds the parts x, y, a, b; a .npy or .csv
holds x only. For --p P (P >= 1) grad_x = sum_j P_ij p |x_i -
y_j|^(p-2) (x_i - y_j) (at p = 1 the subgradient 0 where x_i = y_j);
with --cost the points have no meaning: the .npz holds a and b only.

A progress bar (iterations, rate, ETA, residual) goes to stderr when it
is a terminal.

` + solveExtrasHelp

// solveReport is the --json output of otplay solve.
type solveReport = batch.SolveResult

type solveFlags struct {
	x, y, a, b, method, tier, backend, plan, potentials, grad, regType, directions string
	cost, cx, cy                                                                   string
	eps, tau, tauA, tauB, mass, tol, scaling, p                                    float64
	projections, iters, maxPivots                                                  int
	seed                                                                           uint64
	symmetric, asJSON                                                              bool
	extras                                                                         solveExtraFlags // solve_extras.go
}

func runSolve(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("solve", solveSynopsis, stdout, stderr)
	var f solveFlags
	fs.StringVar(&f.x, "x", "", "source points: data set spec (moons:512:seed=3) or a .csv/.txt/.npy/.npz file (required)")
	fs.StringVar(&f.y, "y", "", "target points: data set spec or a .csv/.txt/.npy/.npz file (required)")
	fs.StringVar(&f.a, "a", "", "source weights file (.csv/.txt/.npy/.npz); default uniform")
	fs.StringVar(&f.b, "b", "", "target weights file (.csv/.txt/.npy/.npz); default uniform")
	fs.Float64Var(&f.p, "p", 2, "ground cost |x - y|^p: 2 squared Euclidean (POT's default), 1 Euclidean (ot.dist 'euclidean'), any p in (0, 16]; sliced: the order p >= 1 of SW_p (POT's p)")
	fs.StringVar(&f.cost, "cost", "", "dense n x m cost matrix file (.npy/.npz/.csv, POT's M) instead of --x and --y")
	fs.StringVar(&f.method, "method", "sinkhorn", "sinkhorn, unbalanced, partial, divergence, hilbert, sliced, max-sliced, exact or gromov (entropic Gromov-Wasserstein; x and y may differ in dimension; --iters/--tol are its outer loop's)")
	fs.StringVar(&f.cx, "cx", "", "gromov: n x n intra-set cost matrix of x (.npy/.csv); default squared Euclidean")
	fs.StringVar(&f.cy, "cy", "", "gromov: m x m intra-set cost matrix of y (.npy/.csv); default squared Euclidean")
	fs.StringVar(&f.tier, "tier", "auto", "kernel tier for entropic methods: auto, full, rff, nystrom or grid")
	fs.Float64Var(&f.eps, "eps", ot.DefaultEps, "entropic regularisation eps (POT's reg), in units of the cost (|x - y|^2 by default)")
	fs.Float64Var(&f.tau, "tau", 1, "unbalanced: KL marginal penalty (POT's reg_m); +Inf means balanced")
	fs.Float64Var(&f.tauA, "tau-a", 0, "unbalanced: penalty on the source marginal (POT's reg_m[0]); 0: --tau")
	fs.Float64Var(&f.tauB, "tau-b", 0, "unbalanced: penalty on the target marginal (POT's reg_m[1]); 0: --tau")
	fs.StringVar(&f.regType, "reg-type", "entropy", "unbalanced: entropic term, entropy (POT 0.8.2) or kl (eps KL(P | a x b), current POT's default)")
	fs.Float64Var(&f.mass, "mass", 0, "partial: total transported mass in (0, min(|a|, |b|)]; 0 means min(|a|, |b|)")
	fs.IntVar(&f.projections, "projections", 200, "sliced: number of directions")
	fs.StringVar(&f.directions, "directions", "", "sliced: file of directions (L x d, .npy/.csv; rows scaled to unit length) instead of --projections random ones")
	fs.IntVar(&f.iters, "iters", ot.DefaultMaxIter, "maximum iterations")
	fs.IntVar(&f.maxPivots, "max-pivots", exact.DefaultMaxIter, "exact: network simplex pivot cap (POT's numItermax)")
	fs.Float64Var(&f.tol, "tol", ot.DefaultTol, "stop when the marginal error (or relative change) is <= tol; 0: never stop early")
	fs.Float64Var(&f.scaling, "scaling", 0, "eps-scaling ratio in (0, 1) as in GeomLoss (0: off)")
	fs.BoolVar(&f.symmetric, "symmetric", false, "symmetric (averaged) Sinkhorn updates")
	fs.StringVar(&f.backend, "backend", "auto", backendFlagHelp)
	fs.Uint64Var(&f.seed, "seed", 0, "sliced: seed of the random directions")
	fs.StringVar(&f.plan, "plan", "", "write the dense transport plan (n x m) to this .npy/.csv file")
	fs.StringVar(&f.potentials, "potentials", "", "write the potentials f and g: F,G (two .npy/.csv files) or one .npz (arrays f and g)")
	fs.StringVar(&f.grad, "grad", "", "sinkhorn, divergence, exact: write the gradient w.r.t. x, y, a, b to a .npz (parts x, y, a, b) or x's to a .npy/.csv")
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object")
	preset := fs.String("preset", "", batch.PresetHelp)
	f.extras.register(fs)
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	if err := applyPreset(fs, "solve", *preset, batch.Preset.SolveFlags, stderr); err != nil {
		fmt.Fprintln(stderr, "otplay solve:", err)
		return 2
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
		return writeJSON(stdout, stderr, "solve", rep)
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
	// The residual that decides converged is the float64 measurement
	// (Check says how); the plan's marginal error as the backend computed
	// it is shown beside it only where the two differ.
	if r.Check != "" {
		fmt.Fprintf(w, "marginals   error %.3g (%s)", r.Residual, r.Check)
		if r.MarginalError != r.Residual {
			fmt.Fprintf(w, "; on the backend %.3g", r.MarginalError)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "marginals   error %.3g\n", r.MarginalError)
	}
	fmt.Fprintf(w, "iterations  %d (converged: %v)\n", r.Iterations, r.Converged)
	if r.Status != "" {
		fmt.Fprintf(w, "status      %s\n", r.Status)
	}
	for k, c := range r.Columns {
		fmt.Fprintf(w, "column %-4d cost %.10g, objective %.10g, %d iterations (converged: %v)\n", k, c.Cost, c.Objective, c.Iterations, c.Converged)
	}
	fmt.Fprintf(w, "time        %.3f ms\n", r.TimeMS)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note        %s\n", n)
	}
}

// solveRequest turns the flags into a batch request. --tol 0 becomes
// ot.NeverStop, a negative tolerance that solvers/ot and solvers/kernel
// read as "never stop early" (ot judges Converged against ot.DefaultTol).
func solveRequest(f solveFlags) batch.SolveRequest {
	tol := f.tol
	if tol == 0 {
		tol = ot.NeverStop
	}
	return batch.SolveRequest{X: f.x, Y: f.y, A: f.a, B: f.b, Method: f.method, Tier: f.tier, Eps: f.eps, Tau: f.tau, TauA: f.tauA, TauB: f.tauB, RegType: f.regType,
		Mass: f.mass, Projections: f.projections, Iters: f.iters, Tol: tol, Scaling: f.scaling,
		Symmetric: f.symmetric, Backend: f.backend, Seed: f.seed, Plan: f.plan != "", Potentials: f.potentials != "",
		MaxPivots: f.maxPivots, Grad: f.grad != "", Directions: f.directions, P: solvePower(f.p), Cost: f.cost,
		GromovInputs: batch.GromovInputs{CX: f.cx, CY: f.cy}}
}

// solvePotentialPaths splits --potentials into its output files: one
// .npz, or two .npy/.csv files F,G.
func solvePotentialPaths(spec string) ([]string, error) {
	if spec == "" {
		return nil, nil
	}
	parts := strings.Split(spec, ",")
	switch {
	case len(parts) == 1 && strings.EqualFold(filepath.Ext(spec), ".npz"):
		return parts, safefile.Check(spec)
	case len(parts) == 2:
		for _, p := range parts {
			if err := safefile.CheckExt(strings.TrimSpace(p), data.OutputExts...); err != nil {
				return nil, err
			}
		}
		if filepath.Clean(strings.TrimSpace(parts[0])) == filepath.Clean(strings.TrimSpace(parts[1])) {
			return nil, fmt.Errorf("%q: the two files are the same", spec)
		}
		return []string{strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])}, nil
	}
	return nil, fmt.Errorf("%q: want two files F,G (e.g. f.npy,g.npy) or one .npz", spec)
}

// solveMain checks the flags and outputs, runs batch.Solve and writes the
// plan and potentials files.
func solveMain(f solveFlags, stderr io.Writer) (*solveReport, error) {
	if math.IsNaN(f.tol) || f.tol < 0 {
		return nil, batch.UsageError{Msg: fmt.Sprintf("--tol %g: want >= 0 (0: never stop early)", f.tol)}
	}
	req := solveRequest(f)
	if err := f.extras.fill(&req); err != nil {
		return nil, err
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	if f.plan != "" {
		if err := safefile.CheckExt(f.plan, data.OutputExts...); err != nil {
			return nil, batch.UsageError{Msg: "--plan: " + err.Error()}
		}
	}
	if f.grad != "" {
		if err := safefile.CheckExt(f.grad, append([]string{".npz"}, data.OutputExts...)...); err != nil {
			return nil, batch.UsageError{Msg: "--grad: " + err.Error()}
		}
		if err := checkGradientPath(f.grad, f.cost != ""); err != nil {
			return nil, err
		}
	}
	pots, err := solvePotentialPaths(f.potentials)
	if err != nil {
		return nil, batch.UsageError{Msg: "--potentials " + err.Error()}
	}
	bar := newProgress(stderr, "solve", "it", f.iters)
	rep, err := batch.Solve(req, batch.Options{Progress: func(iter, maxIter int, residual float64) {
		bar.total = maxIter
		bar.Set(iter, fmt.Sprintf("residual %.3g", residual))
	}})
	bar.Finish()
	if err != nil {
		return nil, err
	}
	if f.tol == 0 {
		notes := rep.Notes[:0]
		for _, n := range rep.Notes {
			if !strings.HasPrefix(n, "not converged after") {
				notes = append(notes, n)
			}
		}
		rep.Notes = append(notes, fmt.Sprintf("--tol 0: ran all %d iterations without a stopping test; final marginal error %.3g (converged is judged against the default tolerance %g)", rep.Iterations, rep.MarginalError, ot.DefaultTol))
	}
	if f.plan != "" {
		if err := data.Save(f.plan, rep.Plan, rep.N, rep.M); err != nil {
			return nil, err
		}
	}
	if err := writeGradient(f.grad, rep); err != nil {
		return nil, err
	}
	if err := f.extras.write(rep); err != nil {
		return nil, err
	}
	switch len(pots) {
	case 1:
		if err := data.SaveNPZ(pots[0], []string{"f", "g"}, [][]float64{rep.F, rep.G}); err != nil {
			return nil, err
		}
	case 2:
		if err := data.SaveVector(pots[0], rep.F); err != nil {
			return nil, err
		}
		if err := data.SaveVector(pots[1], rep.G); err != nil {
			return nil, err
		}
	}
	return rep, nil
}
