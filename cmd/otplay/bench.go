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
)

func init() {
	register(command{name: "bench", summary: "time the fused kernels (soft-min, soft-mean) on this machine", run: runBench})
}

// expBound is the H100's exp throughput, the roofline of the fused
// reductions: 4.18e12 exp/s (132 SMs x 16 SFU ops/clock/SM x 1.98 GHz),
// the figure of shared/device/README.md. One pair costs one exp.
const expBound = 4.18e12

type benchRow struct {
	Kernel      string  `json:"kernel"`
	Backend     string  `json:"backend"`
	Device      string  `json:"device"`
	N           int     `json:"n"`
	M           int     `json:"m"`
	D           int     `json:"d"`
	Eps         float64 `json:"eps"`
	Reps        int     `json:"reps"`
	MedianMS    float64 `json:"median_ms"`
	MinMS       float64 `json:"min_ms"`
	PairsPerSec float64 `json:"pairs_per_s"`
	ExpBoundPct float64 `json:"exp_bound_pct"`
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
	fs := newCommandFlags("bench", `bench [--backend gpu] [--sizes 1e4,3e4,1e5] [--d 2] [--kernel softmin,softmean] [--reps 10] [--json]

Times one fused reduction over N = M points (uniform on [0,1]^d, eps 0.05):
the soft-min (one Sinkhorn half-iteration) and the soft-mean (one NFE of
the exact denoiser, V = Y). Each timing records --batch calls into one
submission and waits once; the median over --reps such timings is
reported, with pairs per second and the fraction of the H100's
exp-throughput bound (4.18e12 exp/s: one exp per pair). Sizes are at most
2^20 (1,048,576) points.`, stdout, stderr)
	backend := fs.String("backend", "gpu", backendFlagHelp)
	sizes := fs.String("sizes", "1e3,1e4", "comma-separated N (= M)")
	d := fs.Int("d", 2, "point dimension")
	kernels := fs.String("kernel", "softmin,softmean", "kernels to time")
	reps := fs.Int("reps", 10, "timed repetitions (median reported)")
	batch := fs.Int("batch", 5, "calls per timed submission")
	eps := fs.Float64("eps", 0.05, "entropic regularisation")
	asJSON := fs.Bool("json", false, "print JSON rows")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	ns, err := parseSizes(*sizes)
	switch {
	case err != nil:
	case *d < 1 || *d > compute.MaxDim:
		err = fmt.Errorf("--d = %d: want 1 .. %d", *d, compute.MaxDim)
	case *reps < 1 || *reps > 10000:
		err = fmt.Errorf("--reps = %d: want 1 .. 10000", *reps)
	case *batch < 1 || *batch > 10000:
		err = fmt.Errorf("--batch = %d: want 1 .. 10000", *batch)
	case !(*eps > 0) || math.IsInf(*eps, 0):
		err = fmt.Errorf("--eps = %v: want a positive number", *eps)
	}
	for _, k := range strings.Split(*kernels, ",") {
		if err == nil && k != "softmin" && k != "softmean" {
			err = fmt.Errorf("--kernel: unknown kernel %q (softmin, softmean)", k)
		}
	}
	if err == nil {
		for _, n := range ns {
			if err = checkPoints("--sizes", n, *d); err != nil {
				break
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
	for _, n := range ns {
		for _, k := range strings.Split(*kernels, ",") {
			row, err := benchOne(b, k, n, *d, *eps, *reps, *batch)
			if err != nil {
				fmt.Fprintf(stderr, "otplay bench: %s n=%d: %v\n", k, n, err)
				return 1
			}
			rows = append(rows, row)
			if !*asJSON {
				fmt.Fprintf(stdout, "%-9s %-4s n=m=%-8d d=%-3d median %9.3f ms  min %9.3f ms  %8.3g pairs/s  %5.1f%% of the H100 exp bound\n",
					row.Kernel, row.Backend, row.N, row.D, row.MedianMS, row.MinMS, row.PairsPerSec, row.ExpBoundPct)
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

func benchOne(b compute.Backend, kernel string, n, d int, eps float64, reps, batch int) (benchRow, error) {
	row := benchRow{Kernel: kernel, Backend: b.Info().Name, Device: b.Info().Device, N: n, M: n, D: d, Eps: eps, Reps: reps}
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
	if err := b.Uniform(x, 1, 0); err != nil {
		return row, err
	}
	if err := b.Uniform(y, 2, 0); err != nil {
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
	p := compute.Pairs{X: x, Y: y, N: n, M: n, D: d, Eps: eps}
	call := func() error {
		switch kernel {
		case "softmin":
			return b.SoftMin(out, p)
		case "softmean":
			return b.SoftMean(out, p, y, d)
		}
		return fmt.Errorf("unknown kernel %q (softmin, softmean)", kernel)
	}
	sync := func() error {
		if w, ok := b.(waiter); ok {
			return w.Wait()
		}
		return nil
	}
	// Warm up: compile the pipeline, touch the buffers.
	if err := call(); err != nil {
		return row, err
	}
	if err := sync(); err != nil {
		return row, err
	}
	times := make([]float64, reps)
	for r := range times {
		start := time.Now()
		for range batch {
			if err := call(); err != nil {
				return row, err
			}
		}
		if err := sync(); err != nil {
			return row, err
		}
		times[r] = float64(time.Since(start).Nanoseconds()) / 1e6 / float64(batch)
	}
	res := make([]float64, outLen)
	if err := b.Read(res, out); err != nil {
		return row, err
	}
	if err := compute.CheckFinite(kernel+" output", res); err != nil {
		return row, err
	}
	slices.Sort(times)
	row.MedianMS = times[len(times)/2]
	row.MinMS = times[0]
	pairs := float64(n) * float64(n)
	row.PairsPerSec = pairs / (row.MedianMS / 1e3)
	row.ExpBoundPct = 100 * row.PairsPerSec / expBound
	return row, nil
}
