package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/internal/safefile"
	"github.com/otplay/otplay/solvers/bridge"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/ot"
)

func init() {
	register(command{name: "bridge", summary: "sample Schrodinger bridges between two point sets (static plan or simulated SDE)", run: runBridge})
}

const bridgeSynopsis = `bridge [--source gaussian:1000:seed=1] [--target moons:1000] [--sigma 0.1] [--mode static|sde] [--times 0,0.25,0.5,0.75,1] [--n 1000] [--steps 100] [--transport drift|momentum|fisher] [--momentum 0.9] [--multiscale 0] [--start SPEC] [--seed 0] [--backend auto] [--out FILE.npy|.csv] [--json]

Samples the Schrodinger bridge between the --source points (time 0) and the
--target points (time 1) with the Brownian reference dX = sigma dW, from the
entropic OT plan with eps = 2 sigma^2 (cost |x - y|^2, log-domain Sinkhorn).

Modes:
  static  pairs (i, j) drawn from the plan and the Brownian bridge between
          them: X_t = (1 - t) x_i + t y_j + sigma sqrt(t (1 - t)) Z, the same
          pairs at every --times entry (one path per row)
  sde     n particles started at --start (a data spec: new points, out of
          sample; default: the source points, cycled) moved by
          Euler-Maruyama along dX = (E[Y | X_t] - X)/(1 - t) dt + sigma dW,
          the Sinkhorn-bridge drift (Pooladian and Niles-Weed 2024), --steps
          uniform steps; recorded at the grid times nearest to --times

--transport (sde mode) is the step along the drift: drift (Euler-Maruyama),
momentum (the velocity v <- beta v + (1 - beta) drift moves the particles,
beta = --momentum; FastSB-OT's momentum transport) or fisher (the drift
preconditioned by the particles' covariance, the inverse Fisher information
of their Gaussian fit, normalised to trace d: a natural-gradient step).
Neither is the bridge SDE any more; solvers/bridge/RESULTS.md measures them.

--multiscale K solves the static plan coarse-to-fine: first between every
k-th point of each cloud (about K points), then the full problem warm-started
from the coarse potentials (bridge.NewMultiscale; same result to --tol).

--out writes one row per point and time with the columns t, x0, x1, ...:
a .npy array of shape (times x n, 1 + d), or a CSV with the header
t,x0,x1,... (checked before the work, written atomically). --n is at most
2^22 particles, --steps at most 100,000. --json prints the static solve (iterations, convergence, marginal
error, cost), the timings and, at t = 1, the quality of the samples against
the target points (MMD, sliced W2, Sinkhorn divergence) and, in sde mode,
the path energy: the mean over particles of sum_k |step_k|^2 / h, noise left out.`

// bridgeReport is the --json output of otplay bridge.
type bridgeReport = batch.BridgeResult

func runBridge(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("bridge", bridgeSynopsis, stdout, stderr)
	source := fs.String("source", "gaussian:1000:seed=1", "source points at t = 0 (data spec or .csv/.npy file)")
	target := fs.String("target", "moons:1000", "target points at t = 1 (data spec or .csv/.npy file)")
	sigma := fs.Float64("sigma", bridge.DefaultSigma, "diffusion coefficient of the reference Brownian motion (eps = 2 sigma^2)")
	mode := fs.String("mode", "static", "static (plan + Brownian bridges) or sde (simulated drift)")
	timesFlag := fs.String("times", "0,0.25,0.5,0.75,1", "comma-separated times in [0, 1] to record")
	n := fs.Int("n", 1000, "number of bridge samples (paths or particles)")
	steps := fs.Int("steps", bridge.DefaultSimSteps, "Euler-Maruyama steps (sde mode)")
	transport := fs.String("transport", "drift", "sde mode: step along the drift: drift, momentum or fisher")
	momentum := fs.Float64("momentum", 0, "--transport momentum: beta in (0, 1) (0: 0.9)")
	multiscale := fs.Int("multiscale", 0, "solve the plan coarse-to-fine from about this many points per cloud (0: off)")
	start := fs.String("start", "", "sde mode: data spec of the start particles (default: the source points)")
	seed := fs.Uint64("seed", 0, "seed of the pairs and the noise")
	maxIter := fs.Int("max-iter", ot.DefaultMaxIter, "Sinkhorn iteration limit")
	tol := fs.Float64("tol", bridge.DefaultTol, "Sinkhorn tolerance on the L1 marginal error")
	backend := fs.String("backend", "auto", backendFlagHelp)
	out := fs.String("out", "", "write the samples to FILE.npy or FILE.csv (columns t,x0,x1,...)")
	asJSON := fs.Bool("json", false, "print a JSON report")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "otplay bridge: "+format+"\n", a...)
		return 2
	}
	times, err := batch.ParseTimes(*timesFlag)
	if err != nil {
		return usageErr("--times: %v", err)
	}
	if *out != "" {
		if err := safefile.CheckExt(*out, data.OutputExts...); err != nil {
			return usageErr("--out: %v", err)
		}
	}
	if err := checkSteps("--steps", *steps, maxSteps); err != nil {
		return usageErr("%v", err)
	}
	if err := checkPoints("--n", *n, 0); err != nil {
		return usageErr("%v", err)
	}
	req := batch.BridgeRequest{Source: *source, Target: *target, Sigma: *sigma, Mode: *mode, Times: times, N: *n,
		Steps: *steps, Transport: *transport, Momentum: *momentum, Multiscale: *multiscale, Start: *start, Seed: *seed, MaxIter: *maxIter, Tol: *tol, Backend: *backend, Quality: *asJSON}
	rep, err := batch.Bridge(req, batch.Options{Note: func(msg string) { fmt.Fprintln(stderr, "otplay bridge:", msg) }})
	if rep != nil && *out != "" {
		if err := bridgeSave(*out, rep.Times, rep.Samples, rep.D); err != nil {
			fmt.Fprintln(stderr, "otplay bridge:", err)
			return 1
		}
		rep.Out = *out
	}
	if err != nil {
		fmt.Fprintln(stderr, "otplay bridge:", err)
		var ue batch.UsageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "Schrodinger bridge %s -> %s, sigma %g (eps %g): Sinkhorn %d iterations (converged %v, marginal error %.2g), cost %.4g, %.1f ms\n",
			*source, *target, rep.Sigma, rep.Eps, rep.Iterations, rep.Converged, rep.MarginalError, rep.Cost, rep.SolveMS)
		fmt.Fprintf(stdout, "%s: %d samples at t = %s in %.1f ms on %s\n", *mode, *n, bridgeFormatTimes(rep.Times), rep.SampleMS, rep.Backend)
		if *out != "" {
			fmt.Fprintf(stdout, "wrote %s\n", *out)
		}
		return 0
	}
	return writeJSON(stdout, stderr, "bridge", rep)
}

func bridgeFormatTimes(ts []float64) string {
	parts := make([]string, len(ts))
	for k, t := range ts {
		parts[k] = strconv.FormatFloat(t, 'g', 4, 64)
	}
	return strings.Join(parts, ", ")
}

// bridgeSave writes one row per point and time, t then the point's
// coordinates: a (times x n) x (1 + d) .npy array, or a CSV with the
// header t,x0,x1,... (by the extension), atomically.
func bridgeSave(path string, times []float64, snaps [][]float64, d int) error {
	var rows []float64
	for k, t := range times {
		pts := snaps[k]
		for i := 0; i < len(pts)/d; i++ {
			rows = append(rows, t)
			rows = append(rows, pts[i*d:(i+1)*d]...)
		}
	}
	nrows := len(rows) / (d + 1)
	if strings.EqualFold(filepath.Ext(path), ".npy") {
		return data.Save(path, rows, nrows, d+1)
	}
	return safefile.Write(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.WriteString("t")
		for c := 0; c < d; c++ {
			fmt.Fprintf(bw, ",x%d", c)
		}
		bw.WriteString("\n")
		if err := bw.Flush(); err != nil {
			return err
		}
		return data.WriteCSV(w, rows, nrows, d+1)
	})
}
