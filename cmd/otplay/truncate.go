package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/internal/jsonout"
	"github.com/otplay/otplay/internal/safefile"
	"github.com/otplay/otplay/solvers/bridge"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/solvers/truncate"
)

func init() {
	register(command{name: "truncate", summary: "truncated diffusion with an OT prior: quality vs NFE table (Markdown, CSV, JSON, SVG)", run: runTruncate})
}

const truncateSynopsis = `truncate [--full | --quick] [--data moons,8gaussians,checkerboard,swissroll] [--ttrunc 1000,100,10] [--priors gaussian,sliced,entropic] [--samplers ddpm:50,dpmpp2m:10] [--model empirical|mlp] [--n 500] [--out DIR] [--samples] [--format md|csv|json]

Truncated diffusion with an optimal-transport prior: the data are diffused
forward to step T_trunc of T = 1000 (linear DDPM schedule), a map from
N(0, I) to q(x_{T_trunc}) is fitted, and only the reverse steps from T_trunc
are run. For every data set, T_trunc, prior and sampler it reports the NFE,
the fit and sampling times, and the quality of the samples against held-out
data: the Sinkhorn divergence, the sliced W2 and the MMD (package metrics).

Priors:
  gaussian   x_{T_trunc} ~ N(0, I), the baseline
  sliced     z + MLP(z), trained on the sliced Wasserstein loss (sorted projections)
  entropic   the entropic map estimator from N(0, I) samples (Sinkhorn)

Samplers are name:steps with steps a number or 'full' (T_trunc - 1 steps
and a final denoise: the whole DDPM chain, NFE = T_trunc for ddpm); a
number above T_trunc - 1 is capped. At T_trunc = 1 only the final denoise
runs (NFE 1). --correct adds, for each sampler, the Sinkhorn-corrected run
(otplay's SBDS-style correction towards the forward-diffused training data
after every step; name suffixed +sinkhorn).

Models: empirical (the exact denoiser of the training points: it
memorises them; the 'floor' line is the training set's own quality against
the held-out set) or mlp (a network trained per data set by denoising score
matching, --train-steps).

Data sets are built-in names (see otplay sample -h); the training set uses
--seed, the held-out set another stream. --out DIR writes truncate.md,
truncate.csv, truncate.json and truncate.svg (quality vs NFE per prior);
--samples also writes every run's samples as DIR/samples/<data>_T<T_trunc>_<prior>_<sampler>.npy.
stdout gets --format. On a terminal stderr shows a progress bar (runs done,
rate, ETA); elsewhere one line per run with its count and ETA.

Grids: the default (4 data sets, T_trunc 1000, 100 and 10, 3 priors,
samplers ddpm:50 and dpmpp2m:10, 500 samples, 1000 training and held-out
points, priors fitted to 500 samples and 200 Adam steps: 72 runs) used
80 s of CPU time with --backend cpu32 on a 2-core VM; --full is the whole table of
solvers/truncate/RESULTS.md (T_trunc 1000,500,200,100,50,10, samplers
ddpm:full and dpmpp2m:10, 1000 samples, 2000 points, the package's prior
fits: 144 runs, about 35 minutes there); --quick is a small grid for tests and
smoke runs. Explicit flags win over either.

Ctrl-C (SIGINT) stops after the run in progress and writes the table of
the runs done, marked interrupted; the exit status is then 130. A second
Ctrl-C stops at once.`

// truncateRow is one line of the results table.
type truncateRow struct {
	Data     string   `json:"data"`
	TTrunc   int      `json:"t_trunc"`
	Prior    string   `json:"prior"`
	Sampler  string   `json:"sampler"`
	Steps    int      `json:"steps"`
	NFE      int      `json:"nfe"`
	FitMS    float64  `json:"fit_ms"`
	SampleMS float64  `json:"sample_ms"`
	Sinkhorn *float64 `json:"sinkhorn_divergence,omitempty"`
	SlicedW2 *float64 `json:"sliced_w2,omitempty"`
	MMD      *float64 `json:"mmd,omitempty"`
	MMD2     *float64 `json:"mmd2,omitempty"`
}

// truncateFloor is the training set's quality against the held-out set.
type truncateFloor struct {
	Data     string   `json:"data"`
	Sinkhorn *float64 `json:"sinkhorn_divergence,omitempty"`
	SlicedW2 *float64 `json:"sliced_w2,omitempty"`
	MMD      *float64 `json:"mmd,omitempty"`
}

// truncateReport is the JSON document.
type truncateReport struct {
	Schedule string `json:"schedule"`
	T        int    `json:"t"`
	Model    string `json:"model"`
	// TrainSteps of --model mlp (absent for the exact denoiser).
	TrainSteps int             `json:"train_steps,omitempty"`
	N          int             `json:"n"`
	Train      int             `json:"train"`
	HeldOut    int             `json:"held_out"`
	Seed       uint64          `json:"seed"`
	Backend    string          `json:"backend"`
	Device     string          `json:"device"`
	Floors     []truncateFloor `json:"floors"`
	Rows       []truncateRow   `json:"rows"`
	TotalMS    float64         `json:"total_ms"`
	// Interrupted is set when Ctrl-C stopped the grid: Rows holds the
	// runs done, of Planned.
	Interrupted bool `json:"interrupted,omitempty"`
	Planned     int  `json:"planned_runs"`
}

// truncateSampler is one --samplers entry.
type truncateSampler struct {
	name    string
	sampler diffusion.Sampler
	full    bool
	steps   int
	correct bool
}

func (s truncateSampler) label() string {
	st := "full"
	if !s.full {
		st = strconv.Itoa(s.steps)
	}
	l := s.sampler.String() + ":" + st
	if s.correct {
		l += "+sinkhorn"
	}
	return l
}

func runTruncate(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("truncate", truncateSynopsis, stdout, stderr)
	dataFlag := fs.String("data", "moons,8gaussians,checkerboard,swissroll", "comma-separated built-in data sets")
	ttruncFlag := fs.String("ttrunc", "1000,100,10", "comma-separated T_trunc in [1, 1000]")
	priorsFlag := fs.String("priors", strings.Join(truncate.PriorNames, ","), "comma-separated priors: "+strings.Join(truncate.PriorNames, ", "))
	samplersFlag := fs.String("samplers", "ddpm:50,dpmpp2m:10", "comma-separated name:steps (steps a number or full)")
	modelFlag := fs.String("model", "empirical", "empirical or mlp")
	n := fs.Int("n", 500, "samples per run")
	train := fs.Int("train", 1000, "training points per data set")
	held := fs.Int("held", 1000, "held-out points per data set")
	fitSamples := fs.Int("fit-samples", 500, "samples of q(x_T_trunc) the entropic prior is fitted to (--full: "+strconv.Itoa(truncate.DefaultFitSamples)+")")
	slicedSteps := fs.Int("sliced-steps", 200, "Adam steps of the sliced prior (--full: "+strconv.Itoa(truncate.DefaultSlicedSteps)+")")
	trainSteps := fs.Int("train-steps", diffusion.DefaultTrainSteps, "training steps of --model mlp")
	correct := fs.Bool("correct", false, "add Sinkhorn-corrected runs of every sampler")
	seed := fs.Uint64("seed", 0, "seed of the data, the fits and the samplers")
	backend := fs.String("backend", "auto", backendFlagHelp)
	outDir := fs.String("out", "", "directory for truncate.md, .csv, .json and .svg")
	format := fs.String("format", "md", "stdout format: md, csv or json")
	quick := fs.Bool("quick", false, "small grid: moons, T_trunc 100 and 10, ddpm:full and dpmpp2m:5, n 300 (explicit flags still win)")
	full := fs.Bool("full", false, "the whole table: T_trunc 1000,500,200,100,50,10, n 1000, 2000 training and held-out points (about 35 minutes on 2 cores)")
	saveSamples := fs.Bool("samples", false, "with --out: also write each run's samples as .npy under DIR/samples")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "otplay truncate: "+format+"\n", a...)
		return 2
	}
	var grid map[string]string
	switch {
	case *quick && *full:
		return usageErr("--quick and --full: pick one")
	case *quick:
		grid = map[string]string{"data": "moons", "ttrunc": "100,10", "samplers": "ddpm:full,dpmpp2m:5",
			"n": "300", "train": "400", "held": "500", "fit-samples": "400", "sliced-steps": "150", "train-steps": "300"}
	case *full:
		grid = map[string]string{"ttrunc": "1000,500,200,100,50,10", "samplers": "ddpm:full,dpmpp2m:10", "n": "1000", "train": "2000", "held": "2000",
			"fit-samples": strconv.Itoa(truncate.DefaultFitSamples), "sliced-steps": strconv.Itoa(truncate.DefaultSlicedSteps)}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, v := range grid {
		if !set[name] {
			fs.Set(name, v)
		}
	}
	if *saveSamples && *outDir == "" {
		return usageErr("--samples needs --out DIR")
	}
	sched := diffusion.Linear(diffusion.DefaultT)
	T := truncate.T(sched)
	sets := truncateList(*dataFlag)
	if len(sets) == 0 {
		return usageErr("--data: no data set given")
	}
	for _, name := range sets {
		if !truncateKnownSet(name) {
			return usageErr("--data: unknown data set %q (want one of %s)", name, strings.Join(data.Names(), ", "))
		}
	}
	var ttruncs []int
	for _, f := range truncateList(*ttruncFlag) {
		v, err := strconv.Atoi(f)
		if err != nil {
			return usageErr("--ttrunc: %q is not an integer", f)
		}
		if v < 1 || v > T {
			return usageErr("--ttrunc: %d outside [1, T] = [1, %d]", v, T)
		}
		ttruncs = append(ttruncs, v)
	}
	if len(ttruncs) == 0 {
		return usageErr("--ttrunc: no value given")
	}
	var priors []truncate.Prior
	for _, f := range truncateList(*priorsFlag) {
		p, err := truncate.ParsePrior(f)
		if err != nil {
			return usageErr("--priors: unknown prior %q (want %s)", f, strings.Join(truncate.PriorNames, ", "))
		}
		priors = append(priors, p)
	}
	if len(priors) == 0 {
		return usageErr("--priors: no prior given")
	}
	var samplers []truncateSampler
	for _, f := range truncateList(*samplersFlag) {
		name, st, ok := strings.Cut(f, ":")
		if !ok {
			return usageErr("--samplers: %q: want name:steps (e.g. ddpm:full, dpmpp2m:10)", f)
		}
		smp, err := diffusion.ParseSampler(name)
		if err != nil {
			return usageErr("--samplers: unknown sampler %q (want %s)", name, strings.Join(diffusion.SamplerNames(), ", "))
		}
		if smp == diffusion.ODEAdaptive {
			return usageErr("--samplers: ode-adaptive has no fixed NFE; pick a fixed-step sampler")
		}
		s := truncateSampler{name: name, sampler: smp}
		if st == "full" {
			s.full = true
		} else if s.steps, err = strconv.Atoi(st); err != nil || s.steps < 1 {
			return usageErr("--samplers: %q: steps must be a positive integer or full", f)
		}
		samplers = append(samplers, s)
		if *correct {
			s.correct = true
			samplers = append(samplers, s)
		}
	}
	if len(samplers) == 0 {
		return usageErr("--samplers: no sampler given")
	}
	switch {
	case *modelFlag != "empirical" && *modelFlag != "mlp":
		return usageErr("--model %q: want empirical or mlp", *modelFlag)
	case *n < 2 || *n > data.MaxPoints:
		return usageErr("--n = %d: want 2 .. %d", *n, data.MaxPoints)
	case *train < 2 || *train > data.MaxPoints:
		return usageErr("--train = %d: want 2 .. %d", *train, data.MaxPoints)
	case *held < 2 || *held > data.MaxPoints:
		return usageErr("--held = %d: want 2 .. %d", *held, data.MaxPoints)
	case *fitSamples < 2 || *fitSamples > data.MaxPoints:
		return usageErr("--fit-samples = %d: want 2 .. %d", *fitSamples, data.MaxPoints)
	case *slicedSteps < 1 || *slicedSteps > maxTrainSteps:
		return usageErr("--sliced-steps = %d: want 1 .. %d", *slicedSteps, maxTrainSteps)
	case *trainSteps < 1 || *trainSteps > maxTrainSteps:
		return usageErr("--train-steps = %d: want 1 .. %d", *trainSteps, maxTrainSteps)
	case *format != "md" && *format != "csv" && *format != "json":
		return usageErr("--format %q: want md, csv or json", *format)
	}
	if *outDir != "" {
		if err := safefile.CheckDir(*outDir); err != nil {
			return usageErr("--out: %v", err)
		}
	}
	planned := 0
	for _, tt := range ttruncs {
		for _, s := range samplers {
			if !s.correct || (tt-1 >= 1 && (s.full || s.steps >= 1)) {
				planned++
			}
		}
	}
	planned *= len(sets) * len(priors)

	b, note, err := openBackend(*backend)
	if err != nil {
		fmt.Fprintln(stderr, "otplay truncate:", err)
		return 1
	}
	defer b.Close()
	if note != "" {
		fmt.Fprintln(stderr, "otplay truncate:", note)
	}
	info := b.Info()
	rep := &truncateReport{Schedule: sched.Name(), T: T, Model: *modelFlag, N: *n, Train: *train, HeldOut: *held,
		Seed: *seed, Backend: info.Name, Device: info.Device, Planned: planned}
	if *modelFlag == "mlp" {
		rep.TrainSteps = *trainSteps
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			fmt.Fprintln(stderr, "otplay truncate:", err)
			return 1
		}
		if *saveSamples {
			if err := os.MkdirAll(filepath.Join(*outDir, "samples"), 0o755); err != nil {
				fmt.Fprintln(stderr, "otplay truncate:", err)
				return 1
			}
		}
	}
	// Ctrl-C: finish the run in progress, then write what is done.
	var stop atomic.Bool
	removeHook := safefile.OnInterrupt(func() {
		stop.Store(true)
		fmt.Fprintln(stderr, "\notplay truncate: interrupted; finishing the run in progress and writing the runs done (Ctrl-C again to stop at once)")
	})
	defer removeHook()
	prog := &truncateProgress{bar: newProgress(stderr, "truncate", "runs", planned), total: planned, start: time.Now(), w: stderr}
	opts := truncateOptions{n: *n, train: *train, held: *held, fitSamples: *fitSamples, slicedSteps: *slicedSteps,
		trainSteps: *trainSteps, model: *modelFlag, seed: *seed, stop: &stop, progress: prog}
	if *saveSamples {
		opts.samplesDir = filepath.Join(*outDir, "samples")
	}
	start := time.Now()
	for _, name := range sets {
		err := truncateDataSet(b, rep, name, sched, ttruncs, priors, samplers, opts, stderr)
		if errors.Is(err, errTruncateStopped) {
			rep.Interrupted = true
			break
		}
		if err != nil {
			prog.bar.Finish()
			fmt.Fprintf(stderr, "otplay truncate: %s: %v\n", name, err)
			return 1
		}
	}
	prog.bar.Finish()
	rep.TotalMS = float64(time.Since(start).Microseconds()) / 1000
	if *outDir != "" {
		for _, f := range []struct {
			name  string
			write func(io.Writer, *truncateReport) error
		}{{"truncate.md", truncateWriteMarkdown}, {"truncate.csv", truncateWriteCSV}, {"truncate.json", truncateWriteJSON}, {"truncate.svg", truncateWriteSVG}} {
			if err := truncateSaveFile(filepath.Join(*outDir, f.name), rep, f.write); err != nil {
				fmt.Fprintln(stderr, "otplay truncate:", err)
				return 1
			}
		}
	}
	var werr error
	switch *format {
	case "md":
		werr = truncateWriteMarkdown(stdout, rep)
	case "csv":
		werr = truncateWriteCSV(stdout, rep)
	case "json":
		werr = truncateWriteJSON(stdout, rep)
	}
	if werr != nil {
		fmt.Fprintln(stderr, "otplay truncate:", werr)
		return 1
	}
	if rep.Interrupted {
		fmt.Fprintf(stderr, "otplay truncate: interrupted after %d of %d runs; the outputs hold those runs\n", len(rep.Rows), rep.Planned)
		return 130
	}
	return 0
}

// errTruncateStopped: Ctrl-C asked the grid to stop.
var errTruncateStopped = errors.New("stopped by Ctrl-C")

// truncateProgress reports finished runs: a bar on a terminal, else one
// line per run with its count and the ETA.
type truncateProgress struct {
	bar         *progressBar
	w           io.Writer
	done, total int
	start       time.Time
}

func (p *truncateProgress) runDone(line string) {
	p.done++
	if p.bar.active {
		p.bar.Set(p.done, "")
		return
	}
	eta := ""
	if el := time.Since(p.start); p.done > 0 && p.done < p.total {
		eta = ", ETA " + formatETA(time.Duration(float64(el)/float64(p.done)*float64(p.total-p.done)))
	}
	fmt.Fprintf(p.w, "otplay truncate: [%d/%d%s] %s\n", p.done, p.total, eta, line)
}

type truncateOptions struct {
	n, train, held, fitSamples, slicedSteps, trainSteps int
	model                                               string
	seed                                                uint64
	stop                                                *atomic.Bool
	progress                                            *truncateProgress
	samplesDir                                          string // "" unless --samples
}

func truncateList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func truncateKnownSet(name string) bool {
	for _, k := range data.Names() {
		if k == name {
			return true
		}
	}
	return false
}

// truncateDataSet runs the grid of one data set and appends its rows.
func truncateDataSet(b compute.Backend, rep *truncateReport, name string, sched diffusion.Schedule, ttruncs []int,
	priors []truncate.Prior, samplers []truncateSampler, o truncateOptions, stderr io.Writer) error {
	tr, err := data.Generate(name, o.train, data.Options{Seed: o.seed})
	if err != nil {
		return err
	}
	held, err := data.Generate(name, o.held, data.Options{Seed: o.seed + 1_000_003})
	if err != nil {
		return err
	}
	d := tr.D
	cmp := metrics.CompareSettings{Seed: o.seed}
	fq, err := metrics.Compare(b, tr.Points, tr.N, held.Points, held.N, d, cmp)
	if err != nil {
		return fmt.Errorf("floor quality: %w", err)
	}
	rep.Floors = append(rep.Floors, truncateFloor{Data: name, Sinkhorn: fq.SinkhornDivergence, SlicedW2: fq.SlicedW2, MMD: fq.MMDValue})
	var model diffusion.Model
	switch o.model {
	case "empirical":
		e, err := diffusion.NewEmpirical(b, tr.Points, tr.N, d, nil)
		if err != nil {
			return err
		}
		defer e.Free()
		model = e
	case "mlp":
		t0 := time.Now()
		m, _, err := diffusion.Train(b, sched, tr.Points, tr.N, d, diffusion.TrainSettings{Steps: o.trainSteps, Seed: o.seed, Data: name})
		if err != nil {
			return fmt.Errorf("training the MLP: %w", err)
		}
		nm, err := diffusion.NewMLP(b, m)
		if err != nil {
			return err
		}
		defer nm.Free()
		model = nm
		fmt.Fprintf(stderr, "otplay truncate: %s: MLP trained in %v\n", name, time.Since(t0).Round(time.Millisecond))
	}
	x, err := b.Alloc(o.n * d)
	if err != nil {
		return err
	}
	defer b.Free(x)
	pts := make([]float64, o.n*d)
	for _, tt := range ttruncs {
		for _, p := range priors {
			f, err := truncate.FitPrior(b, tr.Points, tr.N, d, truncate.Settings{Schedule: sched, TTrunc: tt, Prior: p,
				Seed: o.seed, FitSamples: o.fitSamples, SlicedSteps: o.slicedSteps})
			if err != nil {
				return fmt.Errorf("T_trunc %d, prior %v: %w", tt, p, err)
			}
			for _, s := range samplers {
				if o.stop != nil && o.stop.Load() {
					f.Free()
					return errTruncateStopped
				}
				steps := tt - 1
				if !s.full {
					steps = min(s.steps, tt-1)
				}
				if s.correct && steps < 1 {
					continue // nothing to correct between steps
				}
				set := diffusion.Settings{Sampler: s.sampler, Steps: steps, FinalDenoise: true, Seed: o.seed + 1}
				t0 := time.Now()
				var nfe int
				if s.correct {
					if err = f.Sample(x, o.n, o.seed+2); err == nil {
						set.TStart = f.Time.T
						var r bridge.CorrectResult
						r, err = bridge.SampleCorrected(b, model, sched, x, o.n, tr.Points, tr.N, bridge.CorrectSettings{Sampler: set, Seed: o.seed + 3})
						nfe = r.NFE
					}
				} else {
					var r diffusion.Result
					r, err = f.SampleReverse(model, sched, x, o.n, o.seed+2, set)
					nfe = r.NFE
				}
				if err == nil {
					err = b.Read(pts, x)
				}
				elapsed := time.Since(t0)
				if err == nil {
					err = compute.CheckFinite("samples", pts)
				}
				if err != nil {
					f.Free()
					return fmt.Errorf("T_trunc %d, prior %v, sampler %s: %w", tt, p, s.label(), err)
				}
				q, err := metrics.Compare(b, pts, o.n, held.Points, held.N, d, cmp)
				if err != nil {
					f.Free()
					return fmt.Errorf("quality: %w", err)
				}
				if o.samplesDir != "" {
					fn := fmt.Sprintf("%s_T%d_%s_%s.npy", name, tt, p, strings.NewReplacer(":", "-", "+", "-").Replace(s.label()))
					if err := data.Save(filepath.Join(o.samplesDir, fn), pts, o.n, d); err != nil {
						f.Free()
						return err
					}
				}
				line := fmt.Sprintf("%s T_trunc=%d %s %s: NFE %d, sliced W2 %s (fit %.0f ms, sample %.0f ms)",
					name, tt, p, s.label(), nfe, truncateNum(q.SlicedW2, 4), truncateMS(f.FitTime), truncateMS(elapsed))
				if o.progress != nil {
					o.progress.runDone(line)
				} else {
					fmt.Fprintln(stderr, "otplay truncate: "+line)
				}
				rep.Rows = append(rep.Rows, truncateRow{Data: name, TTrunc: tt, Prior: p.String(), Sampler: s.label(), Steps: steps,
					NFE: nfe, FitMS: truncateMS(f.FitTime), SampleMS: truncateMS(elapsed), Sinkhorn: q.SinkhornDivergence,
					SlicedW2: q.SlicedW2, MMD: q.MMDValue, MMD2: q.MMD2})
			}
			f.Free()
		}
	}
	return nil
}

func truncateMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func truncateNum(p *float64, prec int) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'g', prec, 64)
}

func truncateWriteMarkdown(w io.Writer, r *truncateReport) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "# Truncated diffusion with an OT prior\n\n")
	fmt.Fprintf(&sb, "Schedule %s (T = %d), model %s, %d samples per run, %d training and %d held-out points per data set, seed %d, backend %s (%s). Quality against the held-out points: Sinkhorn divergence (eps = 0.01 x data variance), sliced W2 (200 directions), MMD (Gaussian kernel, median bandwidth). Times: fit = prior fit, sample = prior draw + reverse steps.\n\n",
		r.Schedule, r.T, r.Model, r.N, r.Train, r.HeldOut, r.Seed, r.Backend, r.Device)
	sb.WriteString("Floor (training set vs held-out set):\n\n| data | sinkhorn | sliced W2 | MMD |\n|---|---|---|---|\n")
	for _, f := range r.Floors {
		fmt.Fprintf(&sb, "| %s | %s | %s | %s |\n", f.Data, truncateNum(f.Sinkhorn, 4), truncateNum(f.SlicedW2, 4), truncateNum(f.MMD, 4))
	}
	sb.WriteString("\n| data | T_trunc | prior | sampler | steps | NFE | fit ms | sample ms | sinkhorn | sliced W2 | MMD |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&sb, "| %s | %d | %s | %s | %d | %d | %.1f | %.1f | %s | %s | %s |\n", row.Data, row.TTrunc, row.Prior, row.Sampler,
			row.Steps, row.NFE, row.FitMS, row.SampleMS, truncateNum(row.Sinkhorn, 4), truncateNum(row.SlicedW2, 4), truncateNum(row.MMD, 4))
	}
	fmt.Fprintf(&sb, "\nTotal %.1f s.\n", r.TotalMS/1000)
	if r.Interrupted {
		fmt.Fprintf(&sb, "\nInterrupted (Ctrl-C) after %d of %d runs.\n", len(r.Rows), r.Planned)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func truncateWriteCSV(w io.Writer, r *truncateReport) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"data", "t_trunc", "prior", "sampler", "steps", "nfe", "fit_ms", "sample_ms", "sinkhorn_divergence", "sliced_w2", "mmd"})
	for _, row := range r.Rows {
		cw.Write([]string{row.Data, strconv.Itoa(row.TTrunc), row.Prior, row.Sampler, strconv.Itoa(row.Steps), strconv.Itoa(row.NFE),
			strconv.FormatFloat(row.FitMS, 'f', 3, 64), strconv.FormatFloat(row.SampleMS, 'f', 3, 64),
			truncateNum(row.Sinkhorn, -1), truncateNum(row.SlicedW2, -1), truncateNum(row.MMD, -1)})
	}
	cw.Flush()
	return cw.Error()
}

func truncateWriteJSON(w io.Writer, r *truncateReport) error {
	_, err := jsonout.Write(w, r, true)
	return err
}

func truncateSaveFile(path string, r *truncateReport, write func(io.Writer, *truncateReport) error) error {
	return safefile.Write(path, func(w io.Writer) error { return write(w, r) })
}

// truncateWriteSVG draws one panel per data set with package figure (the
// playground's figure model: nice ticks, log axis labelled 10ᵏ, axis
// titles, legend outside the data): sliced W2 against the held-out data
// (y) versus NFE (x, log scale), one colour per prior and one dash pattern
// per sampler, the points of a series joined in order of NFE (each point
// is one T_trunc). The training set's floor is a grey dotted line.
func truncateWriteSVG(w io.Writer, r *truncateReport) error {
	var setsOrder, priorOrder, samplerOrder []string
	seen := map[string]bool{}
	for _, row := range r.Rows {
		for _, k := range []struct {
			key   string
			order *[]string
		}{{"d" + row.Data, &setsOrder}, {"p" + row.Prior, &priorOrder}, {"s" + row.Sampler, &samplerOrder}} {
			if !seen[k.key] {
				seen[k.key] = true
				*k.order = append(*k.order, k.key[1:])
			}
		}
	}
	colours := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"}
	dashes := [][]float64{nil, {6, 3}, {2, 2}, {8, 3, 2, 3}, {1, 3}}
	var panels []figure.Figure
	for _, name := range setsOrder {
		f := figure.Figure{Width: 560, Height: 320, Title: name, XLabel: "NFE (log scale)", YLabel: "sliced W2 to held-out data", LogX: true}
		var rowsOf []truncateRow
		minN, maxN, maxY := math.Inf(1), math.Inf(-1), 0.0
		for _, row := range r.Rows {
			if row.Data != name || row.SlicedW2 == nil {
				continue
			}
			rowsOf = append(rowsOf, row)
			minN, maxN = math.Min(minN, float64(row.NFE)), math.Max(maxN, float64(row.NFE))
			maxY = math.Max(maxY, *row.SlicedW2)
		}
		if len(rowsOf) == 0 {
			continue
		}
		for _, fl := range r.Floors {
			if fl.Data == name && fl.SlicedW2 != nil {
				maxY = math.Max(maxY, *fl.SlicedW2)
				f.Lines = append(f.Lines, figure.LineSet{Segs: []float64{math.Max(minN, 1), *fl.SlicedW2, math.Max(maxN, 1), *fl.SlicedW2},
					Color: "#888888", Opacity: 1, Dash: []float64{1, 3}, Label: "floor: training set vs held-out"})
			}
		}
		// x: the NFE range with 4% of its decades either side; y: from 0.
		lx0, lx1 := math.Log10(math.Max(minN, 1)), math.Log10(math.Max(maxN, 1))
		if lx1-lx0 < 1e-9 {
			lx0, lx1 = lx0-0.5, lx1+0.5
		}
		pad := 0.04 * (lx1 - lx0)
		if maxY == 0 {
			maxY = 1
		}
		f.XMin, f.XMax, f.YMin, f.YMax = math.Pow(10, lx0-pad), math.Pow(10, lx1+pad), 0, 1.08*maxY
		for pi, prior := range priorOrder {
			for si, smp := range samplerOrder {
				var series []truncateRow
				for _, row := range rowsOf {
					if row.Prior == prior && row.Sampler == smp {
						series = append(series, row)
					}
				}
				if len(series) == 0 {
					continue
				}
				sort.SliceStable(series, func(a, b int) bool {
					if series[a].NFE != series[b].NFE {
						return series[a].NFE < series[b].NFE
					}
					return series[a].TTrunc < series[b].TTrunc
				})
				var xy []float64
				for _, row := range series {
					xy = append(xy, math.Max(float64(row.NFE), 1), *row.SlicedW2)
				}
				col := colours[pi%len(colours)]
				f.Curves = append(f.Curves, figure.Curve{XY: xy, Color: col, Dash: dashes[si%len(dashes)], Label: prior + ", " + smp})
				f.Points = append(f.Points, figure.PointSet{XY: xy, Color: col})
			}
		}
		panels = append(panels, f)
	}
	cols := min(2, max(1, len(panels)))
	return figure.WriteSVGPanels(w, fmt.Sprintf("Truncated diffusion: sliced W2 to held-out data vs NFE (%s model)", r.Model), cols, panels...)
}
