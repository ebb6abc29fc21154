package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
)

func init() {
	register(command{name: "bench", summary: "time the fused kernels (soft-min, soft-mean, a Sinkhorn iteration) on this machine", run: runBench})
}

// expBound is the H100's exp throughput, the roofline of the fused
// reductions: 4.18e12 exp/s (132 SMs x 16 SFU ops/clock/SM x 1.98 GHz),
// the figure of shared/device/README.md. One pair costs one exp.
const expBound = 4.18e12

type benchRow struct {
	Kernel      string  `json:"kernel"`
	Backend     string  `json:"backend"`
	Device      string  `json:"device"`
	Data        string  `json:"data"`
	N           int     `json:"n"`
	M           int     `json:"m"`
	D           int     `json:"d"`
	Eps         float64 `json:"eps"`
	Reps        int     `json:"reps"`
	MedianMS    float64 `json:"median_ms"`
	MinMS       float64 `json:"min_ms"`
	PairsPerSec float64 `json:"pairs_per_s"`
	ExpBoundPct float64 `json:"exp_bound_pct"`
	// CPUMS is the process's CPU time (user + system) per call, median
	// over the reps: on a shared machine it measures the work more
	// steadily than the wall clock. 0 where the OS does not report it.
	CPUMS float64 `json:"cpu_ms,omitempty"`
	// RecordMS is the wall time per call spent before the wait (median over
	// the reps): on the GPU the host recording the batch's dispatches,
	// which the device does not overlap with its work when a batch is
	// submitted at the wait (issue 14: the soft-min at N = 1e4). For the
	// solver it includes the residual checks' read-backs.
	RecordMS float64 `json:"record_ms,omitempty"`
	// SubmitMS is the wall time per call of the submission that follows
	// (median): ending the compute pass, which is where wgpu-native
	// encodes the recorded dispatches for the driver, finishing the
	// command buffer and submitting it. RecordMS + SubmitMS is the host's
	// share of MedianMS.
	SubmitMS float64 `json:"submit_ms,omitempty"`
	// CostPath says, on the CPU backends from the cost cache's dimension
	// on, how the timed calls got the cost: "cached" (read from the
	// stored matrix, built in the warm-up; its build time in BuildMS),
	// "fused" (computed per pair: the matrix over the budget, or the cache
	// off) or "mixed"; empty elsewhere.
	CostPath string  `json:"cost_path,omitempty"`
	BuildMS  float64 `json:"cost_build_ms,omitempty"`
	// Values is the soft-mean's values (--values): "y", Backend.SoftMeanY
	// with c = 1/benchAlpha, the exact denoiser's route; "apart", SoftMean
	// of the same values c y as an array of their own (its former route).
	Values string `json:"values,omitempty"`
	// Special is --special: the soft-min's or soft-mean's inputs with a
	// special value (benchSpecials); empty without the flag.
	Special string `json:"special,omitempty"`
}

// benchSpecials are the values of bench --special: the soft-min and
// soft-mean take a column potential g (zeros) and uniform log-weights, and
// then "none" changes nothing, "inf-potential" sets g at column N/2 to
// +Inf (every row's soft-min -Inf, its soft-mean that column's values),
// "nan-potential" sets it to NaN (every row NaN), "inf-point" sets row
// N/2's first coordinate to +Inf (that row's soft-min +Inf, soft-mean
// NaN), "no-weight" sets every log-weight to -Inf (every row's soft-min
// +Inf, soft-mean NaN): the inputs whose rows the GPU computes again
// (compute/webgpu's package doc, Special values), timed for their worst case.
var benchSpecials = []string{"none", "inf-potential", "nan-potential", "inf-point", "no-weight"}

// benchAlpha is the alpha whose 1/alpha scales the soft-mean's values
// (bench --values): the exact denoiser's columns are alpha x the data and
// its values the data, c Y with c = 1/alpha; at bench's sizes any c != 1
// costs the same.
const benchAlpha = 0.8

// benchKernels are the values of bench --kernel.
var benchKernels = []string{"softmin", "softmean", "sinkhorn", "solver"}

// parseDims parses bench --d: a comma-separated list of dimensions.
func parseDims(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 || v > compute.MaxDim {
			return nil, fmt.Errorf("--d = %s: want 1 .. %d (or a list, e.g. 2,64)", strings.TrimSpace(f), compute.MaxDim)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v < 1 || v > maxBenchN || v != math.Trunc(v) {
			return nil, fmt.Errorf("--sizes: %q is not a whole number in [1, %d] (e.g. 1e4)", f, maxBenchN)
		}
		out = append(out, int(v))
	}
	return out, nil
}

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("bench", `bench [--backend gpu] [--sizes 1e4,3e4,1e5] [--d 2,64] [--kernel softmin,softmean,sinkhorn] [--values y|apart] [--data uniform|normal] [--special NAME] [--reps 10] [--json]

Times one fused reduction over N = M points in each dimension of --d: the
soft-min (one Sinkhorn half-iteration), the soft-mean (one NFE of the
exact denoiser as it runs: Backend.SoftMeanY, the values c Y with
c = 1/alpha = 1.25, Y read once for the cost and the values; --values
apart times SoftMean of the same values as an array of their own, the
denoiser's route before SoftMeanY; the NFE's Map of alpha x the data is
not timed), or sinkhorn: one balanced log-domain Sinkhorn
iteration (two soft-mins, uniform weights; the CPU rows of issue 14,
against POT's sinkhorn_log timed by bench/pot/), or solver: one iteration
of the balanced solver of package ot (the same two soft-mins with its
residual check every 10 iterations, read back). Points are uniform on
[0,1]^d (--data uniform) or standard normal with the columns shifted by 1
(--data normal, the data of bench/pot/sinkhorn_pot.py); eps is 0.05 d/2
unless --eps is given. Each timing records --batch calls into one
submission and waits once; the median over --reps such timings is
reported, with pairs per second, the fraction of the H100's
exp-throughput bound (4.18e12 exp/s: one exp per pair) and, on the CPU,
the process's CPU time per call. Sizes are at most 2^20 (1,048,576)
points. Two untimed calls warm up: on the CPU backends from d = 16 the
second stores the cost matrix where it fits the budget
(OTPLAY_CPU_COST_CACHE_MIB; by default an eighth of the memory, 256 MiB to
8 GiB; 0: off), and a line (cost_path
and cost_build_ms in --json) says whether the timed calls read it.
--special NAME (soft-min and soft-mean only) gives the calls a column
potential (zeros) and uniform log-weights, and then a special value:
none (nothing more, the baseline), inf-potential (one potential +Inf:
every row's soft-min -Inf), nan-potential (one potential NaN: every row
NaN), inf-point (one row's first coordinate +Inf) or no-weight (every
log-weight -Inf: every row's soft-min +Inf): the inputs whose rows the
GPU computes again with the reference's loops, so the time of that redo;
the output is then not checked for being finite.`, stdout, stderr)
	backend := fs.String("backend", "gpu", backendFlagHelp)
	sizes := fs.String("sizes", "1e3,1e4", "comma-separated N (= M)")
	dims := fs.String("d", "2", "point dimension, or a comma-separated list (2,64)")
	kernels := fs.String("kernel", "softmin,softmean", "kernels to time: softmin, softmean, sinkhorn, solver")
	values := fs.String("values", "y", "soft-mean values: y (SoftMeanY, c Y: the denoiser's route) or apart (SoftMean of an array c Y)")
	data := fs.String("data", "uniform", "points: uniform (on [0,1]^d) or normal (standard normal, columns shifted by 1)")
	reps := fs.Int("reps", 10, "timed repetitions (median reported)")
	batch := fs.Int("batch", 5, "calls per timed submission")
	checkEvery := fs.Int("check-every", ot.DefaultCheckEvery, "solver: iterations between residual checks")
	eps := fs.Float64("eps", 0, "entropic regularisation (0: 0.05 d/2)")
	special := fs.String("special", "", "soft-min and soft-mean with a column potential, uniform log-weights and a special value, or a comma-separated list: "+strings.Join(benchSpecials, ", ")+" (see bench's help)")
	asJSON := fs.Bool("json", false, "print JSON rows")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	ns, err := parseSizes(*sizes)
	var ds []int
	if err == nil {
		ds, err = parseDims(*dims)
	}
	switch {
	case err != nil:
	case *data != "uniform" && *data != "normal":
		err = fmt.Errorf("--data %q: want uniform or normal", *data)
	case *values != "y" && *values != "apart":
		err = fmt.Errorf("--values %q: want y or apart", *values)
	case *reps < 1 || *reps > 10000:
		err = fmt.Errorf("--reps = %d: want 1 .. 10000", *reps)
	case *checkEvery < 1:
		err = fmt.Errorf("--check-every = %d: want >= 1", *checkEvery)
	case *batch < 1 || *batch > 10000:
		err = fmt.Errorf("--batch = %d: want 1 .. 10000", *batch)
	case *eps < 0 || math.IsNaN(*eps) || math.IsInf(*eps, 0):
		err = fmt.Errorf("--eps = %v: want a positive number (or 0 for 0.05 d/2)", *eps)
	}
	specials := []string{""}
	if *special != "" {
		specials = strings.Split(*special, ",")
	}
	for _, s := range specials {
		if err == nil && *special != "" && !slices.Contains(benchSpecials, s) {
			err = fmt.Errorf("--special %q: want one of %s (or a comma-separated list)", s, strings.Join(benchSpecials, ", "))
		}
	}
	for _, k := range strings.Split(*kernels, ",") {
		if err == nil && !slices.Contains(benchKernels, k) {
			err = fmt.Errorf("--kernel: unknown kernel %q (%s)", k, strings.Join(benchKernels, ", "))
		}
		if err == nil && *special != "" && k != "softmin" && k != "softmean" {
			err = fmt.Errorf("--special: only for the softmin and softmean kernels, not %q", k)
		}
	}
	for _, d := range ds {
		for _, n := range ns {
			if err == nil {
				err = checkPoints("--sizes", n, d)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "otplay bench: %v\n", err)
		return 2
	}
	b, note, err := openBackend(*backend)
	if err != nil {
		fmt.Fprintln(stderr, "otplay bench:", err)
		return 1
	}
	defer b.Close()
	if note != "" {
		fmt.Fprintln(stderr, "otplay bench:", note)
	}
	var rows []benchRow
	for _, d := range ds {
		e := *eps
		if e == 0 {
			e = 0.05 * float64(d) / 2
		}
		for _, n := range ns {
			for _, sp := range specials {
				for _, k := range strings.Split(*kernels, ",") {
					row, err := benchOne(b, benchCase{kernel: k, data: *data, values: *values, special: sp, n: n, d: d, eps: e, checkEvery: *checkEvery}, *reps, *batch)
					if err != nil {
						fmt.Fprintf(stderr, "otplay bench: %s n=%d d=%d: %v\n", k, n, d, err)
						return 1
					}
					rows = append(rows, row)
					if !*asJSON {
						fmt.Fprintf(stdout, "%-9s %-6s n=m=%-8d d=%-3d median %9.3f ms  min %9.3f ms  cpu %9.3f ms  %8.3g pairs/s  %5.1f%% of the H100 exp bound%s\n",
							row.Kernel, row.Backend, row.N, row.D, row.MedianMS, row.MinMS, row.CPUMS, row.PairsPerSec, row.ExpBoundPct, specialNote(sp))
						switch row.CostPath {
						case "":
						case "cached":
							fmt.Fprintf(stdout, "%-9s cost: read from the stored matrix (built in %.1f ms in the warm-up)\n", "", row.BuildMS)
						default:
							fmt.Fprintf(stdout, "%-9s cost: %s\n", "", row.CostPath)
						}
					}
				}
			}
		}
	}
	if *asJSON {
		return writeJSON(stdout, stderr, "bench", rows)
	}
	return 0
}

// waiter is implemented by backends that queue work (the GPU).
type waiter interface{ Wait() error }

// flusher is implemented by backends that can submit queued work without
// waiting for it (the GPU).
type flusher interface{ Flush() error }

// benchCase is one timed configuration of bench.
type benchCase struct {
	kernel, data string
	values       string // the soft-mean's values: "y" or "apart" (benchRow.Values)
	special      string // bench --special (benchSpecials), or empty
	checkEvery   int    // the solver's residual checks (ot.Settings.CheckEvery)
	n, d         int
	eps          float64
}

// benchPoints fills x and y (n points of dimension d each) with the
// bench's data: uniform on [0,1]^d, or standard normal with y shifted by
// 1 (Philox seeds 1 and 2 either way).
func benchPoints(b compute.Backend, x, y compute.Array, data string) error {
	if data == "uniform" {
		if err := b.Uniform(x, 1, 0); err != nil {
			return err
		}
		return b.Uniform(y, 2, 0)
	}
	if err := b.Normal(x, 1, 0); err != nil {
		return err
	}
	if err := b.Normal(y, 2, 0); err != nil {
		return err
	}
	return b.Map(y, compute.MapArgs{Op: compute.OpAxpby, X: y, A: 1, C: 1})
}

// benchSolver returns the balanced Sinkhorn solver (package ot, uniform
// weights, a residual check every checkEvery iterations, read back, never
// stopping) on the bench's points x and y: bench --kernel
// solver times its Step, the two soft-mins of an iteration with the
// solver's own checks around them.
func benchSolver(b compute.Backend, x, y compute.Array, n, d int, eps float64, checkEvery int) (*ot.Solver, error) {
	hx, hy := make([]float64, n*d), make([]float64, n*d)
	if err := b.Read(hx, x); err != nil {
		return nil, err
	}
	if err := b.Read(hy, y); err != nil {
		return nil, err
	}
	return ot.NewSolver(b, ot.Problem{X: hx, Y: hy, N: n, M: n, D: d}, ot.Settings{Eps: eps, Tol: ot.NeverStop, MaxIter: math.MaxInt32, CheckEvery: checkEvery})
}

func benchOne(b compute.Backend, bc benchCase, reps, batch int) (benchRow, error) {
	kernel, n, d, eps := bc.kernel, bc.n, bc.d, bc.eps
	row := benchRow{Kernel: kernel, Backend: b.Info().Name, Device: b.Info().Device, Data: bc.data, N: n, M: n, D: d, Eps: eps, Reps: reps}
	x, err := b.Alloc(n * d)
	if err != nil {
		return row, err
	}
	defer b.Free(x)
	y, err := b.Alloc(n * d)
	if err != nil {
		return row, err
	}
	defer b.Free(y)
	if err := benchPoints(b, x, y, bc.data); err != nil {
		return row, err
	}
	outLen := n
	if kernel == "softmean" {
		outLen = n * d
	}
	out, err := b.Alloc(outLen)
	if err != nil {
		return row, err
	}
	defer b.Free(out)
	// The Sinkhorn iteration's other potential and the uniform log-weights.
	g, err := b.Alloc(n)
	if err != nil {
		return row, err
	}
	defer b.Free(g)
	logw, err := b.Upload(slices.Repeat([]float64{-math.Log(float64(n))}, n))
	if err != nil {
		return row, err
	}
	defer b.Free(logw)
	p := compute.Pairs{X: x, Y: y, N: n, M: n, D: d, Eps: eps}
	if bc.special != "" {
		row.Special = bc.special
		if err := benchSpecial(b, &p, g, logw, bc.special); err != nil {
			return row, err
		}
	}
	var apart compute.Array // the values c y, for --values apart
	if kernel == "softmean" {
		row.Values = bc.values
		if bc.values == "apart" {
			if apart, err = b.Alloc(n * d); err != nil {
				return row, err
			}
			defer b.Free(apart)
			if err := b.Map(apart, compute.MapArgs{Op: compute.OpAxpby, X: y, A: 1 / benchAlpha}); err != nil {
				return row, err
			}
		}
	}
	var sv *ot.Solver
	if kernel == "solver" {
		if sv, err = benchSolver(b, x, y, n, d, eps, bc.checkEvery); err != nil {
			return row, err
		}
		defer sv.Close()
	}
	call := func() error {
		switch kernel {
		case "solver":
			return sv.Step(1)
		case "softmin":
			return b.SoftMin(out, p)
		case "softmean":
			if apart != nil {
				return b.SoftMean(out, p, apart, d)
			}
			return b.SoftMeanY(out, p, 1/benchAlpha)
		case "sinkhorn":
			// f = softmin over columns of (log b, g); g = softmin over rows of (log a, f).
			f := compute.Pairs{X: x, Y: y, N: n, M: n, D: d, LogW: logw, G: g, Eps: eps}
			if err := b.SoftMin(out, f); err != nil {
				return err
			}
			return b.SoftMin(g, f.Swap(logw, out))
		}
		return fmt.Errorf("unknown kernel %q (%s)", kernel, strings.Join(benchKernels, ", "))
	}
	sync := func() error {
		if w, ok := b.(waiter); ok {
			return w.Wait()
		}
		return nil
	}
	// Warm up: compile the pipeline, touch the buffers; twice, because the
	// CPU backends store a cost matrix on a pair's second call
	// (compute/costcache.go), like POT's M outside its timed iterations.
	cpuBackend, _ := b.(*compute.CPU)
	var warm compute.CostCacheStats
	if cpuBackend != nil {
		warm = cpuBackend.CostCacheStats()
	}
	for range 2 {
		if err := call(); err != nil {
			return row, err
		}
	}
	var before compute.CostCacheStats
	if cpuBackend != nil {
		before = cpuBackend.CostCacheStats()
		row.BuildMS = (before.BuildSeconds - warm.BuildSeconds) * 1e3
	}
	if err := sync(); err != nil {
		return row, err
	}
	times := make([]float64, reps)
	cpu := make([]float64, reps)
	record := make([]float64, reps)
	submit := make([]float64, reps)
	for r := range times {
		start, c0 := time.Now(), processCPUSeconds()
		for range batch {
			if err := call(); err != nil {
				return row, err
			}
		}
		record[r] = float64(time.Since(start).Nanoseconds()) / 1e6 / float64(batch)
		if f, ok := b.(flusher); ok {
			t0 := time.Now()
			if err := f.Flush(); err != nil {
				return row, err
			}
			submit[r] = float64(time.Since(t0).Nanoseconds()) / 1e6 / float64(batch)
		}
		if err := sync(); err != nil {
			return row, err
		}
		times[r] = float64(time.Since(start).Nanoseconds()) / 1e6 / float64(batch)
		cpu[r] = (processCPUSeconds() - c0) * 1e3 / float64(batch)
	}
	res := make([]float64, outLen)
	if sv != nil {
		res, _, err = sv.Potentials()
	} else {
		err = b.Read(res, out)
	}
	if err != nil {
		return row, err
	}
	if err := compute.CheckFinite(kernel+" output", res); err != nil && (bc.special == "" || bc.special == "none") {
		return row, err
	}
	if cpuBackend != nil {
		after := cpuBackend.CostCacheStats()
		switch cached, fused := after.Cached-before.Cached, after.Fused-before.Fused; {
		case cached > 0 && fused > 0:
			row.CostPath = "mixed"
		case cached > 0:
			row.CostPath = "cached"
		case fused > 0:
			row.CostPath = "fused"
		}
	}
	slices.Sort(times)
	slices.Sort(cpu)
	slices.Sort(record)
	slices.Sort(submit)
	row.CPUMS = cpu[len(cpu)/2]
	row.RecordMS = record[len(record)/2]
	row.SubmitMS = submit[len(submit)/2]
	row.MedianMS = times[len(times)/2]
	row.MinMS = times[0]
	pairs := float64(n) * float64(n)
	if kernel == "sinkhorn" || kernel == "solver" {
		pairs *= 2
	}
	row.PairsPerSec = pairs / (row.MedianMS / 1e3)
	row.ExpBoundPct = 100 * row.PairsPerSec / expBound
	return row, nil
}

// benchSpecial gives p the column potential g (zeros) and the log-weights
// logw, and puts the special value of bench --special (benchSpecials) into
// them or into p.X.
func benchSpecial(b compute.Backend, p *compute.Pairs, g, logw compute.Array, special string) error {
	n, d := p.N, p.D
	p.G, p.LogW = g, logw
	pot := make([]float64, n)
	switch special {
	case "inf-potential":
		pot[n/2] = math.Inf(1)
	case "nan-potential":
		pot[n/2] = math.NaN()
	case "inf-point":
		hx := make([]float64, n*d)
		if err := b.Read(hx, p.X); err != nil {
			return err
		}
		hx[n/2*d] = math.Inf(1)
		if err := b.Write(p.X, hx); err != nil {
			return err
		}
	case "no-weight":
		if err := b.Write(logw, slices.Repeat([]float64{math.Inf(-1)}, n)); err != nil {
			return err
		}
	}
	return b.Write(g, pot)
}

// specialNote is bench's text for a row's --special value.
func specialNote(special string) string {
	if special == "" {
		return ""
	}
	return "  special " + special
}
