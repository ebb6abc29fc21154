package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/otplay/otplay/solvers/bridge"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/solvers/ot"
)

func init() {
	register(command{name: "bridge", summary: "sample Schrodinger bridges between two point sets (static plan or simulated SDE)", run: runBridge})
}

const bridgeSynopsis = `bridge [--source gaussian:1000:seed=1] [--target moons:1000] [--sigma 0.1] [--mode static|sde] [--times 0,0.25,0.5,0.75,1] [--n 1000] [--steps 100] [--start SPEC] [--seed 0] [--backend auto] [--out FILE.csv] [--json]

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

--out writes a CSV with the header t,x0,x1,... and one row per point and
time. --json prints the static solve (iterations, convergence, marginal
error, cost), the timings and, at t = 1, the quality of the samples against
the target points (MMD, sliced W2, Sinkhorn divergence).`

// bridgeReport is the --json output of otplay bridge.
type bridgeReport struct {
	Mode          string           `json:"mode"`
	Source        string           `json:"source"`
	Target        string           `json:"target"`
	Start         string           `json:"start,omitempty"`
	N             int              `json:"n"`
	D             int              `json:"d"`
	Sigma         float64          `json:"sigma"`
	Eps           float64          `json:"eps"`
	Iterations    int              `json:"sinkhorn_iterations"`
	Converged     bool             `json:"sinkhorn_converged"`
	MarginalError float64          `json:"marginal_error"`
	Cost          float64          `json:"transport_cost"`
	Steps         int              `json:"steps,omitempty"`
	Times         []float64        `json:"times"`
	SolveMS       float64          `json:"solve_ms"`
	SampleMS      float64          `json:"sample_ms"`
	Backend       string           `json:"backend"`
	Device        string           `json:"device"`
	QualityAt1    *metrics.Quality `json:"quality_at_1,omitempty"`
	Out           string           `json:"out,omitempty"`
}

func runBridge(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bridge", bridgeSynopsis, stderr)
	source := fs.String("source", "gaussian:1000:seed=1", "source points at t = 0 (data spec or .csv/.npy file)")
	target := fs.String("target", "moons:1000", "target points at t = 1 (data spec or .csv/.npy file)")
	sigma := fs.Float64("sigma", bridge.DefaultSigma, "diffusion coefficient of the reference Brownian motion (eps = 2 sigma^2)")
	mode := fs.String("mode", "static", "static (plan + Brownian bridges) or sde (simulated drift)")
	timesFlag := fs.String("times", "0,0.25,0.5,0.75,1", "comma-separated times in [0, 1] to record")
	n := fs.Int("n", 1000, "number of bridge samples (paths or particles)")
	steps := fs.Int("steps", bridge.DefaultSimSteps, "Euler-Maruyama steps (sde mode)")
	start := fs.String("start", "", "sde mode: data spec of the start particles (default: the source points)")
	seed := fs.Uint64("seed", 0, "seed of the pairs and the noise")
	maxIter := fs.Int("max-iter", ot.DefaultMaxIter, "Sinkhorn iteration limit")
	tol := fs.Float64("tol", bridge.DefaultTol, "Sinkhorn tolerance on the L1 marginal error")
	backend := fs.String("backend", "auto", backendFlagHelp)
	out := fs.String("out", "", "write the samples to FILE.csv (t,x0,x1,...)")
	asJSON := fs.Bool("json", false, "print a JSON report")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "otplay bridge: "+format+"\n", a...)
		return 2
	}
	times, err := bridgeParseTimes(*timesFlag)
	if err != nil {
		return usageErr("--times: %v", err)
	}
	switch {
	case *mode != "static" && *mode != "sde":
		return usageErr("--mode %q: want static or sde", *mode)
	case !(*sigma > 0) || math.IsInf(*sigma, 0):
		return usageErr("--sigma = %v: want a positive number", *sigma)
	case *n < 1 || *n > data.MaxPoints:
		return usageErr("--n = %d: want 1 .. %d", *n, data.MaxPoints)
	case *steps < 1:
		return usageErr("--steps = %d: want >= 1", *steps)
	case *maxIter < 1:
		return usageErr("--max-iter = %d: want >= 1", *maxIter)
	case !(*tol > 0) || math.IsInf(*tol, 0):
		return usageErr("--tol = %v: want a positive number", *tol)
	case *start != "" && *mode != "sde":
		return usageErr("--start is for --mode sde")
	case *out != "" && !strings.HasSuffix(strings.ToLower(*out), ".csv"):
		return usageErr("--out %q: want a .csv file name", *out)
	}
	load := func(flag, spec string) (data.Set, int) {
		s, err := data.Parse(spec)
		if err != nil {
			if errors.Is(err, data.ErrBadSpec) {
				return s, usageErr("--%s: %v", flag, err)
			}
			fmt.Fprintf(stderr, "otplay bridge: --%s: %v\n", flag, err)
			return s, 1
		}
		return s, 0
	}
	src, st := load("source", *source)
	if st != 0 {
		return st
	}
	tgt, st := load("target", *target)
	if st != 0 {
		return st
	}
	if src.D != tgt.D {
		return usageErr("--source has dimension %d, --target %d", src.D, tgt.D)
	}
	var x0 []float64
	if *mode == "sde" {
		from := src
		if *start != "" {
			if from, st = load("start", *start); st != 0 {
				return st
			}
			if from.D != src.D {
				return usageErr("--start has dimension %d, the bridge %d", from.D, src.D)
			}
		}
		x0 = make([]float64, *n*src.D)
		for k := 0; k < *n; k++ {
			copy(x0[k*src.D:(k+1)*src.D], from.Point(k%from.N))
		}
	}

	b, note, err := openBackend(*backend)
	if err != nil {
		fmt.Fprintln(stderr, "otplay bridge:", err)
		return 1
	}
	defer b.Close()
	if note != "" {
		fmt.Fprintln(stderr, "otplay bridge:", note)
	}
	t0 := time.Now()
	br, err := bridge.New(b, ot.Problem{X: src.Points, Y: tgt.Points, N: src.N, M: tgt.N, D: src.D},
		bridge.Settings{Sigma: *sigma, Sinkhorn: ot.Settings{MaxIter: *maxIter, Tol: *tol}})
	if err != nil {
		fmt.Fprintln(stderr, "otplay bridge:", err)
		return 1
	}
	defer br.Free()
	solveTime := time.Since(t0)
	if !br.Static.Converged {
		fmt.Fprintf(stderr, "otplay bridge: warning: Sinkhorn did not converge in %d iterations (marginal error %.3g); the bridge joins slightly different marginals; raise --max-iter, --tol or --sigma\n",
			br.Static.Iterations, br.Static.MarginalError)
	}
	t1 := time.Now()
	var snaps [][]float64
	recorded := append([]float64(nil), times...)
	switch *mode {
	case "static":
		snaps, err = br.Paths(times, *n, *seed)
	case "sde":
		snaps, recorded, err = bridgeSimulate(br, x0, times, *steps, *seed)
	}
	if err != nil {
		fmt.Fprintln(stderr, "otplay bridge:", err)
		return 1
	}
	sampleTime := time.Since(t1)
	if *out != "" {
		if err := bridgeWriteCSV(*out, recorded, snaps, src.D); err != nil {
			fmt.Fprintln(stderr, "otplay bridge:", err)
			return 1
		}
	}
	info := b.Info()
	rep := bridgeReport{Mode: *mode, Source: *source, Target: *target, Start: *start, N: *n, D: src.D,
		Sigma: br.Sigma, Eps: br.Eps, Iterations: br.Static.Iterations, Converged: br.Static.Converged,
		MarginalError: br.Static.MarginalError, Cost: br.Static.Cost, Times: recorded,
		SolveMS: float64(solveTime.Microseconds()) / 1000, SampleMS: float64(sampleTime.Microseconds()) / 1000,
		Backend: info.Name, Device: info.Device, Out: *out}
	if *mode == "sde" {
		rep.Steps = *steps
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "Schrodinger bridge %s -> %s, sigma %g (eps %g): Sinkhorn %d iterations (converged %v, marginal error %.2g), cost %.4g, %.1f ms\n",
			*source, *target, br.Sigma, br.Eps, br.Static.Iterations, br.Static.Converged, br.Static.MarginalError, br.Static.Cost, rep.SolveMS)
		fmt.Fprintf(stdout, "%s: %d samples at t = %s in %.1f ms on %s\n", *mode, *n, bridgeFormatTimes(recorded), rep.SampleMS, info.Name)
		if *out != "" {
			fmt.Fprintf(stdout, "wrote %s\n", *out)
		}
		return 0
	}
	for k, t := range recorded {
		if t == 1 {
			q, err := metrics.Compare(b, snaps[k], *n, tgt.Points, tgt.N, tgt.D, metrics.CompareSettings{Seed: *seed})
			if err != nil {
				fmt.Fprintln(stderr, "otplay bridge: quality:", err)
				return 1
			}
			rep.QualityAt1 = &q
			break
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		fmt.Fprintln(stderr, "otplay bridge:", err)
		return 1
	}
	return 0
}

// bridgeParseTimes parses a comma-separated list of times in [0, 1].
func bridgeParseTimes(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		t, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		if !(t >= 0 && t <= 1) {
			return nil, fmt.Errorf("%v is outside [0, 1]", t)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no times given")
	}
	return out, nil
}

func bridgeFormatTimes(ts []float64) string {
	parts := make([]string, len(ts))
	for k, t := range ts {
		parts[k] = strconv.FormatFloat(t, 'g', 4, 64)
	}
	return strings.Join(parts, ", ")
}

// bridgeSimulate runs the SDE and keeps the positions at the grid times
// nearest to the requested ones (t = 0: the start points).
func bridgeSimulate(br *bridge.Bridge, x0 []float64, times []float64, steps int, seed uint64) ([][]float64, []float64, error) {
	want := map[int][]int{} // step index (0 = start) -> requested entries
	recorded := make([]float64, len(times))
	for k, t := range times {
		s := int(math.Round(t * float64(steps)))
		want[s] = append(want[s], k)
		recorded[k] = float64(s) / float64(steps)
	}
	snaps := make([][]float64, len(times))
	for _, k := range want[0] {
		snaps[k] = append([]float64(nil), x0...)
	}
	_, err := br.Simulate(x0, bridge.SimSettings{Steps: steps, Seed: seed, Callback: func(step int, t float64, x []float64) error {
		for _, k := range want[step+1] {
			snaps[k] = x
		}
		return nil
	}})
	return snaps, recorded, err
}

// bridgeWriteCSV writes t,x0,x1,... rows, one per point and time.
func bridgeWriteCSV(path string, times []float64, snaps [][]float64, d int) error {
	var sb strings.Builder
	sb.WriteString("t")
	for c := 0; c < d; c++ {
		fmt.Fprintf(&sb, ",x%d", c)
	}
	sb.WriteString("\n")
	for k, t := range times {
		pts := snaps[k]
		for i := 0; i < len(pts)/d; i++ {
			sb.WriteString(strconv.FormatFloat(t, 'g', -1, 64))
			for c := 0; c < d; c++ {
				sb.WriteByte(',')
				sb.WriteString(strconv.FormatFloat(pts[i*d+c], 'g', -1, 64))
			}
			sb.WriteByte('\n')
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(sb.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
