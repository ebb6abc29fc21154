package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/internal/safefile"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
)

func init() {
	register(command{name: "sample", summary: "draw samples with a diffusion model (exact denoiser, Gaussian mixture or trained MLP)", run: runSample})
}

const sampleSynopsis = `sample [--data 8gaussians:2000] [--model empirical|gmm|rff|mlp:FILE] [--features D] [--sampler dpmpp2m] [--steps 25] [--n 1000] [--seed 0] [--class K [--guidance W]] [--corrector langevin|tweedie|adaptive] [--threshold P] [--score-scale K] [--churn S] [--batch-ot sliced|full] [--backend auto] [--out FILE.npy|.csv] [--json]

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
  rff             the exact score of the --data points estimated with
                  --features D random Fourier features (SBDS's RFF
                  kernel-derivative score): O(D d) a point instead of
                  O(n d), refitted at each time in O(n D d); tends to
                  empirical as D grows (0 where its density estimate is
                  not positive). Host-side on every backend.
  mlp:FILE        a network trained by 'otplay train' (its schedule is used)

Options (package diffusion, options.go; measured in solvers/diffusion/RESULTS.md):
  --corrector langevin  Langevin MCMC after every step, Song et al. 2021's
                        predictor-corrector sampler (Alg. 5): step
                        2 a (snr |z|/|score|)^2, --corrector-steps, --snr
  --corrector tweedie   x <- (1-m) x + m alpha E[x_0|x] (Tweedie's formula), m = 0.5
  --corrector adaptive  0..3 Langevin steps when the step's relative change
                        exceeds 0.1 (the seed's AdaptiveCorrector)
  --threshold P         dynamic thresholding (Saharia et al. 2022): clip each
                        x_0 prediction to its P-quantile of |x_0| and rescale
                        into [-R, R], R = --threshold-bound (default: the
                        data's largest |coordinate|)
  --score-scale K       multiply the score by K (the seed's guidance_scale;
                        K > 1 sharpens modes)
  --churn S             EDM's stochastic Heun (Karras et al. 2022, Alg. 2),
                        --sampler heun only
  --schedule quadratic|sigmoid  the seed's quadratic and sigmoid betas
Each costs model evaluations (corrector) or a read-back per evaluation
(threshold); RESULTS.md says where each helps: none is on by default.

Classes (labelled data: 8gaussians, 25gaussians, moons, circles, spirals,
digits): --class K samples class K with classifier-free guidance (Ho and
Salimans 2022) of weight --guidance W,

  eps = eps_uncond + W (eps_cond - eps_uncond),   W = 1 + w of the paper:

W = 0 is the unconditional model, W = 1 (default) the class's model
without guidance, W > 1 sharpens the class at the cost of diversity.
The exact models (empirical, gmm) restricted to class K give the class's
model in closed form; an mlp model must be trained with
'otplay train --conditional'. Quality (--json) is measured against
held-out data of class K (of the whole set at W = 0).

The last step returns the model's estimate of x_0 (--final-denoise=false
keeps x at t_end). --json prints nfe, time_ms (sampling only) and, unless
--quality=false, quality against fresh data from the same --data spec
(another seed; a file is compared with itself): mmd and mmd2 (unbiased
MMD^2, Gaussian kernel, median-heuristic bandwidth), sliced_w2 (200
directions) and sinkhorn_divergence (eps = 0.05 x the data's total
variance, with sinkhorn_converged); NaN or infinite values print as null
and are listed in "nonfinite".

--preset draft|balanced|ultra (FastSB-OT's) or fast|repro (SPOT's) sets
--steps, --n (the batch, read from the adapter's storage-binding limit),
--sampler, --corrector and, for repro, --backend cpu --seed 0
--deterministic; flags given explicitly win. A note on stderr says what
it set and why; 'otplay info' lists every preset for this machine.

--out (.npy or .csv) is checked before the work and written atomically (a
temporary file renamed into place: a killed run leaves the old file
whole). --steps is at most 100,000 and --n at most 2^22. An mlp model file
is read up to 256 MiB, the size otplay train refuses to exceed.

` + sampleCorrectHelp + "\n\n" + samplePatchHelp + "\n\n" + sampleHierHelp + "\n\n" + sampleBatchOTHelp

// sampleReport is the --json output of otplay sample.
type sampleReport = batch.SampleResult

func runSample(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("sample", sampleSynopsis, stdout, stderr)
	dataSpec := fs.String("data", "8gaussians:2000", "data spec (name[:n][:key=value...] or a .csv/.npy file); "+strings.Join(data.Names(), ", "))
	modelSpec := fs.String("model", "empirical", "empirical, gmm, rff or mlp:FILE")
	features := fs.Int("features", 1024, "random Fourier features D of --model rff")
	samplerName := fs.String("sampler", "dpmpp2m", "sampler: "+strings.Join(diffusion.SamplerNames(), ", "))
	scheduleName := fs.String("schedule", "", "noise schedule: "+strings.Join(diffusion.ScheduleNames, ", ")+" (default linear; an MLP's own schedule)")
	spacingName := fs.String("spacing", "default", "time grid: default (the sampler's), uniform, logsnr, karras")
	steps := fs.Int("steps", 25, "sampler steps (>= 1; ode-adaptive: first trial step = lambda range / steps)")
	n := fs.Int("n", 1000, "number of samples")
	seed := fs.Uint64("seed", 0, "seed of the initial noise and the sampler's noise")
	eta := fs.Float64("eta", 0, "DDIM's eta in [0, 1]")
	deterministic := fs.Bool("deterministic", false, "ODE mode of the stochastic samplers (ddpm, euler-maruyama)")
	rtol := fs.Float64("rtol", diffusion.DefaultRTol, "ode-adaptive relative tolerance")
	atol := fs.Float64("atol", diffusion.DefaultATol, "ode-adaptive absolute tolerance")
	finalDenoise := fs.Bool("final-denoise", true, "return the model's x_0 estimate at the last time")
	class := fs.Int("class", -1, "sample class K of labelled data (-1: unconditional)")
	guidanceW := fs.Float64("guidance", 1, "classifier-free guidance weight W with --class: 0 unconditional, 1 the class, > 1 guided")
	churn := fs.Float64("churn", 0, "EDM's S_churn for --sampler heun (0: deterministic)")
	corrector := fs.String("corrector", "none", "corrector after every step: "+strings.Join(diffusion.CorrectorNames(), ", "))
	correctorSteps := fs.Int("corrector-steps", 1, "Langevin corrector steps per sampler step")
	snr := fs.Float64("snr", diffusion.DefaultSNR, "Langevin corrector's signal-to-noise ratio r")
	threshold := fs.Float64("threshold", 0, "dynamic thresholding percentile p in (0, 1], e.g. 0.995 (0: off)")
	thresholdBound := fs.Float64("threshold-bound", 0, "dynamic thresholding bound R (0: the data's largest |coordinate|)")
	scoreScale := fs.Float64("score-scale", 1, "multiply the model's score by this factor (1: off)")
	backend := fs.String("backend", "auto", backendFlagHelp)
	out := fs.String("out", "", "write the samples to FILE (.csv or .npy)")
	asJSON := fs.Bool("json", false, "print a JSON report with quality metrics")
	preset := fs.String("preset", "", batch.PresetHelp)
	quality := fs.Bool("quality", true, "with --json: compare the samples with fresh data (MMD, sliced W2, Sinkhorn divergence)")
	var correction batch.SampleCorrection
	registerSampleCorrection(fs, &correction) // sample_correct.go
	var guidance batch.SamplePatchGuidance
	registerSamplePatchGuidance(fs, &guidance) // sample_patch.go
	var hier batch.SampleHierarchical
	registerSampleHierarchical(fs, &hier) // sample_hier.go
	var batchOT batch.SampleBatchOT
	registerSampleBatchOT(fs, &batchOT) // sample_batchot.go
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	usageErr := func(err error) int {
		fmt.Fprintln(stderr, "otplay sample:", err)
		return 2
	}
	if err := applyPreset(fs, "sample", *preset, batch.Preset.SampleFlags, stderr); err != nil {
		return usageErr(err)
	}
	if *out != "" {
		if err := safefile.CheckExt(*out, data.OutputExts...); err != nil {
			return usageErr(fmt.Errorf("--out: %w", err))
		}
	}
	if err := checkSteps("--steps", *steps, maxSteps); err != nil {
		return usageErr(err)
	}
	if err := checkPoints("--n", *n, 0); err != nil {
		return usageErr(err)
	}
	req := batch.SampleRequest{Data: *dataSpec, Model: *modelSpec, Features: *features, Sampler: *samplerName, Schedule: *scheduleName,
		Spacing: *spacingName, Steps: *steps, N: *n, Seed: *seed, Eta: *eta, Deterministic: *deterministic,
		RTol: *rtol, ATol: *atol, FinalDenoise: *finalDenoise, Class: *class, Guidance: *guidanceW, Churn: *churn, Corrector: *corrector,
		CorrectorSteps: *correctorSteps, SNR: *snr, Threshold: *threshold, ThresholdBound: *thresholdBound, ScoreScale: *scoreScale,
		Backend: *backend, Quality: *asJSON && *quality, SampleCorrection: correction, SamplePatchGuidance: guidance,
		SampleHierarchical: hier, SampleBatchOT: batchOT}
	rep, err := batch.Sample(req, batch.Options{Note: func(msg string) { fmt.Fprintln(stderr, "otplay sample:", msg) }})
	if rep != nil && *out != "" {
		if err := data.Save(*out, rep.Points, rep.N, rep.D); err != nil {
			fmt.Fprintln(stderr, "otplay sample:", err)
			return 1
		}
		rep.Out = *out
	}
	if err != nil {
		fmt.Fprintln(stderr, "otplay sample:", err)
		var ue batch.UsageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "%s with %s model (%s schedule): %d samples in %d-D, %d steps (%d rejected), %d NFE, %.1f ms on %s\n",
			rep.Sampler, rep.Model, rep.Schedule, rep.N, rep.D, rep.Accepted, rep.Rejected, rep.NFE, rep.TimeMS, rep.Backend)
		if *out != "" {
			fmt.Fprintf(stdout, "wrote %s\n", *out)
		}
		return 0
	}
	return writeJSON(stdout, stderr, "sample", rep)
}

// sampleTrimErr drops the package prefix of a diffusion input error.
func sampleTrimErr(err error) string { return batch.TrimDiffusionErr(err) }
