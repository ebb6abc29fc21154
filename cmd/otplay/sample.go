package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
)

func init() {
	register(command{name: "sample", summary: "draw samples with a diffusion model (exact denoiser, Gaussian mixture or trained MLP)", run: runSample})
}

const sampleSynopsis = `sample [--data 8gaussians:2000] [--model empirical|gmm|mlp:FILE] [--sampler dpmpp2m] [--steps 25] [--n 1000] [--seed 0] [--backend auto] [--out FILE.csv|.npy] [--json]

Runs the reverse diffusion process from N(0, I) noise (VP/DDPM schedule,
x_t = alpha_t x_0 + sigma_t noise) with one of the samplers:

  ddpm            ancestral sampling (Ho et al. 2020), stochastic
  ddim            DDIM (Song et al. 2021), --eta in [0, 1] (0: deterministic)
  dpmpp2m         DPM-Solver++(2M), Lu et al. 2022, Alg. 2
  dpmpp3m         third-order multistep DPM-Solver++
  dpmpp2s         DPM-Solver++(2S), Lu et al. 2022, Alg. 1 (2 NFE per step)
  heun            EDM's Heun sampler (Karras et al. 2022), 2 NFE per step
  euler-maruyama  the reverse SDE (Song et al. 2021); --deterministic: the ODE
  ode-adaptive    Dormand-Prince 5(4) on the probability-flow ODE, --rtol/--atol

Models:
  empirical       the exact denoiser E[x_0 | x_t] of the --data points (it
                  reproduces the data set: memorisation made visible)
  gmm             the exact denoiser of an isotropic Gaussian mixture fitted
                  to the data by moments, one component per label (one
                  Gaussian for unlabelled data)
  mlp:FILE        a network trained by 'otplay train' (its schedule is used)

The last step returns the model's estimate of x_0 (--final-denoise=false
keeps x at t_end). --json prints nfe, time_ms (sampling only) and, unless
--quality=false, quality against fresh data from the same --data spec
(another seed; a file is compared with itself): mmd and mmd2 (unbiased
MMD^2, Gaussian kernel, median-heuristic bandwidth), sliced_w2 (200
directions) and sinkhorn_divergence (eps = 0.05 x the data's total
variance, with sinkhorn_converged).`

// sampleReport is the --json output of otplay sample.
type sampleReport struct {
	Sampler  string           `json:"sampler"`
	Model    string           `json:"model"`
	Schedule string           `json:"schedule"`
	Data     string           `json:"data"`
	Steps    int              `json:"steps"`
	N        int              `json:"n"`
	D        int              `json:"d"`
	Seed     uint64           `json:"seed"`
	NFE      int              `json:"nfe"`
	Accepted int              `json:"accepted_steps"`
	Rejected int              `json:"rejected_steps"`
	TimeMS   float64          `json:"time_ms"`
	Backend  string           `json:"backend"`
	Device   string           `json:"device"`
	Quality  *metrics.Quality `json:"quality,omitempty"`
	Out      string           `json:"out,omitempty"`
}

func runSample(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sample", sampleSynopsis, stderr)
	dataSpec := fs.String("data", "8gaussians:2000", "data spec (name[:n][:key=value...] or a .csv/.npy file); "+strings.Join(data.Names(), ", "))
	modelSpec := fs.String("model", "empirical", "empirical, gmm or mlp:FILE")
	samplerName := fs.String("sampler", "dpmpp2m", "sampler: "+strings.Join(diffusion.SamplerNames(), ", "))
	scheduleName := fs.String("schedule", "", "noise schedule: linear, cosine or vp (default linear; an MLP's own schedule)")
	spacingName := fs.String("spacing", "default", "time grid: default (the sampler's), uniform, logsnr, karras")
	steps := fs.Int("steps", 25, "sampler steps (>= 1; ode-adaptive: first trial step = lambda range / steps)")
	n := fs.Int("n", 1000, "number of samples")
	seed := fs.Uint64("seed", 0, "seed of the initial noise and the sampler's noise")
	eta := fs.Float64("eta", 0, "DDIM's eta in [0, 1]")
	deterministic := fs.Bool("deterministic", false, "ODE mode of the stochastic samplers (ddpm, euler-maruyama)")
	rtol := fs.Float64("rtol", diffusion.DefaultRTol, "ode-adaptive relative tolerance")
	atol := fs.Float64("atol", diffusion.DefaultATol, "ode-adaptive absolute tolerance")
	finalDenoise := fs.Bool("final-denoise", true, "return the model's x_0 estimate at the last time")
	backend := fs.String("backend", "auto", backendFlagHelp)
	out := fs.String("out", "", "write the samples to FILE (.csv or .npy)")
	asJSON := fs.Bool("json", false, "print a JSON report with quality metrics")
	quality := fs.Bool("quality", true, "with --json: compare the samples with fresh data (MMD, sliced W2, Sinkhorn divergence)")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "otplay sample: "+format+"\n", a...)
		return 2
	}
	sampler, err := diffusion.ParseSampler(*samplerName)
	if err != nil {
		return usageErr("--sampler: %v", sampleTrimErr(err))
	}
	spacing, err := diffusion.ParseSpacing(*spacingName)
	if err != nil {
		return usageErr("--spacing: %v", sampleTrimErr(err))
	}
	switch {
	case *steps < 1:
		return usageErr("--steps = %d: want >= 1", *steps)
	case *n < 1 || *n > data.MaxPoints:
		return usageErr("--n = %d: want 1 .. %d", *n, data.MaxPoints)
	case !(*eta >= 0 && *eta <= 1):
		return usageErr("--eta = %v: want a number in [0, 1]", *eta)
	case !(*rtol > 0) || !(*atol > 0) || math.IsInf(*rtol, 0) || math.IsInf(*atol, 0):
		return usageErr("--rtol = %v and --atol = %v must be positive", *rtol, *atol)
	case *out != "" && !sampleIsPointFile(*out):
		return usageErr("--out %q: want a .csv or .npy file name", *out)
	}
	kind, modelPath, _ := strings.Cut(*modelSpec, ":")
	switch kind {
	case "empirical", "gmm":
		if modelPath != "" {
			return usageErr("--model %q: %s takes no file", *modelSpec, kind)
		}
	case "mlp":
		if modelPath == "" {
			return usageErr("--model mlp needs a file: mlp:FILE")
		}
	default:
		return usageErr("--model %q: want empirical, gmm or mlp:FILE", *modelSpec)
	}
	var sched diffusion.Schedule
	if *scheduleName != "" {
		if sched, err = diffusion.ParseSchedule(*scheduleName); err != nil {
			return usageErr("--schedule: %v", sampleTrimErr(err))
		}
	}
	set, err := data.Parse(*dataSpec)
	if err != nil {
		if errors.Is(err, data.ErrBadSpec) {
			return usageErr("--data: %v", err)
		}
		fmt.Fprintf(stderr, "otplay sample: --data: %v\n", err)
		return 1
	}

	b, note, err := openBackend(*backend)
	if err != nil {
		fmt.Fprintln(stderr, "otplay sample:", err)
		return 1
	}
	defer b.Close()
	if note != "" {
		fmt.Fprintln(stderr, "otplay sample:", note)
	}
	var model diffusion.Model
	switch kind {
	case "empirical":
		e, err := diffusion.NewEmpirical(b, set.Points, set.N, set.D, nil)
		if err != nil {
			fmt.Fprintln(stderr, "otplay sample:", err)
			return 1
		}
		defer e.Free()
		model = e
	case "gmm":
		g, err := sampleFitGMM(b, set)
		if err != nil {
			fmt.Fprintln(stderr, "otplay sample:", err)
			return 1
		}
		defer g.Free()
		model = g
	case "mlp":
		m, ms, err := diffusion.LoadMLP(b, modelPath)
		if err != nil {
			fmt.Fprintf(stderr, "otplay sample: --model: %v\n", err)
			return 1
		}
		defer m.Free()
		if sched != nil && sched.Name() != ms.Name() {
			return usageErr("--schedule %s: the model %s was trained with the %s schedule", sched.Name(), modelPath, ms.Name())
		}
		sched = ms
		if m.Dim() != set.D {
			fmt.Fprintf(stderr, "otplay sample: the model %s has dimension %d but --data %s has %d\n", modelPath, m.Dim(), *dataSpec, set.D)
			return 1
		}
		model = m
	}
	if sched == nil {
		sched = diffusion.Linear(diffusion.DefaultT)
	}
	d := model.Dim()
	x, err := b.Alloc(*n * d)
	if err != nil {
		fmt.Fprintln(stderr, "otplay sample:", err)
		return 1
	}
	defer b.Free(x)
	start := time.Now()
	if err := diffusion.InitialNoise(b, x, *seed); err != nil {
		fmt.Fprintln(stderr, "otplay sample:", err)
		return 1
	}
	res, err := diffusion.Sample(b, model, sched, x, *n, diffusion.Settings{
		Sampler: sampler, Steps: *steps, Spacing: spacing, Eta: *eta, Deterministic: *deterministic,
		FinalDenoise: *finalDenoise, Seed: *seed, RTol: *rtol, ATol: *atol,
	})
	if err != nil {
		fmt.Fprintln(stderr, "otplay sample:", err)
		return 1
	}
	pts := make([]float64, *n*d)
	if err := b.Read(pts, x); err != nil {
		fmt.Fprintln(stderr, "otplay sample:", err)
		return 1
	}
	elapsed := time.Since(start)
	if err := compute.CheckFinite("samples", pts); err != nil {
		fmt.Fprintf(stderr, "otplay sample: the sampler produced non-finite values (%v); try more steps or another sampler\n", err)
		return 1
	}
	if *out != "" {
		if err := data.Save(*out, pts, *n, d); err != nil {
			fmt.Fprintln(stderr, "otplay sample:", err)
			return 1
		}
	}
	info := b.Info()
	rep := sampleReport{Sampler: sampler.String(), Model: *modelSpec, Schedule: sched.Name(), Data: *dataSpec,
		Steps: *steps, N: *n, D: d, Seed: *seed, NFE: res.NFE, Accepted: res.Steps, Rejected: res.Rejected,
		TimeMS: float64(elapsed.Microseconds()) / 1000, Backend: info.Name, Device: info.Device, Out: *out}
	if !*asJSON {
		fmt.Fprintf(stdout, "%s with %s model (%s schedule): %d samples in %d-D, %d steps (%d rejected), %d NFE, %.1f ms on %s\n",
			rep.Sampler, rep.Model, rep.Schedule, rep.N, rep.D, rep.Accepted, rep.Rejected, rep.NFE, rep.TimeMS, info.Name)
		if *out != "" {
			fmt.Fprintf(stdout, "wrote %s\n", *out)
		}
		return 0
	}
	if *quality {
		fresh, err := sampleFresh(*dataSpec, set, *n)
		if err != nil {
			fmt.Fprintln(stderr, "otplay sample: fresh data:", err)
			return 1
		}
		q, err := metrics.Compare(b, pts, *n, fresh.Points, fresh.N, d, metrics.CompareSettings{Seed: *seed})
		if err != nil {
			fmt.Fprintln(stderr, "otplay sample: quality:", err)
			return 1
		}
		rep.Quality = &q
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		fmt.Fprintln(stderr, "otplay sample:", err)
		return 1
	}
	return 0
}

// sampleTrimErr drops the package prefix of a diffusion input error.
func sampleTrimErr(err error) string {
	return strings.TrimPrefix(err.Error(), diffusion.ErrBadInput.Error()+": ")
}

func sampleIsPointFile(path string) bool {
	l := strings.ToLower(path)
	return strings.HasSuffix(l, ".csv") || strings.HasSuffix(l, ".npy")
}

// sampleFitGMM fits an isotropic Gaussian mixture to the data by moments:
// one component per label (one in all for unlabelled data) with weight
// the label's frequency, mean the label's mean and variance the mean
// squared deviation per coordinate.
func sampleFitGMM(b compute.Backend, set data.Set) (*diffusion.GMM, error) {
	d := set.D
	labels := set.Labels
	if labels == nil {
		labels = make([]int, set.N)
	}
	index := map[int]int{}
	var order []int
	for _, l := range labels {
		if _, ok := index[l]; !ok {
			index[l] = len(order)
			order = append(order, l)
		}
	}
	k := len(order)
	w := make([]float64, k)
	mu := make([]float64, k*d)
	for i, l := range labels {
		c := index[l]
		w[c]++
		for j := range d {
			mu[c*d+j] += set.Points[i*d+j]
		}
	}
	for c := range k {
		for j := range d {
			mu[c*d+j] /= w[c]
		}
	}
	v := make([]float64, k)
	for i, l := range labels {
		c := index[l]
		for j := range d {
			t := set.Points[i*d+j] - mu[c*d+j]
			v[c] += t * t
		}
	}
	std := make([]float64, k)
	for c := range k {
		std[c] = math.Sqrt(v[c] / (w[c] * float64(d)))
	}
	return diffusion.NewGMM(b, w, mu, std, d)
}

// sampleFresh returns n fresh points of the data spec: the same built-in
// set and keys with another seed (the spec's seed + 1,000,003), or as
// many points as the spec drew when the set has fewer than n (digits). A
// file has no fresh draws: its own points are returned.
func sampleFresh(spec string, set data.Set, n int) (data.Set, error) {
	if sampleIsPointFile(strings.TrimSpace(spec)) {
		return set, nil
	}
	parts := strings.Split(strings.TrimSpace(spec), ":")
	var seed uint64
	keep := []string{parts[0], strconv.Itoa(n)}
	for i, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		switch {
		case !ok && i == 0: // the point count
		case strings.EqualFold(strings.TrimSpace(k), "seed"):
			seed, _ = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		default:
			keep = append(keep, p)
		}
	}
	keep = append(keep, "seed="+strconv.FormatUint(seed+1000003, 10))
	fresh, err := data.Parse(strings.Join(keep, ":"))
	if err != nil && set.N < n {
		// A finite set (digits) may not have n points: draw as many as
		// the --data spec did.
		keep[1] = strconv.Itoa(set.N)
		fresh, err = data.Parse(strings.Join(keep, ":"))
	}
	return fresh, err
}
