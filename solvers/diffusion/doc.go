// Package diffusion is otplay's denoising-diffusion toolkit: noise
// schedules, exact and learned models, and the samplers of the reverse
// process, all written against compute.Backend so they run on the CPU
// reference and on the GPU alike.
//
// # Conventions
//
// Variance-preserving (VP/DDPM) notation throughout:
//
//	x_t = alpha_t x_0 + sigma_t noise,  alpha_t^2 + sigma_t^2 = 1,
//	lambda_t = log(alpha_t / sigma_t)   (half the log signal-to-noise ratio),
//
// with continuous time t in [0, 1]. Discrete DDPM schedules of T = 1000
// steps (Linear, Cosine) place step n at t = n/T, so abar_n = alpha_{n/T}^2
// exactly; VP is the continuous schedule of Song et al. 2021. EDM/Karras
// noise levels (Karras et al. 2022) are a time grid (SpacingKarras) in the
// variance-exploding scale sigma/alpha = exp(-lambda).
//
// # Models
//
// A Model predicts noise, data, score or velocity for a batch of points
// at a Time (t, alpha_t, sigma_t); Convert and ConvertCoefficients turn
// any prediction into any other, explicitly (see Prediction). Built in:
//
//   - Empirical: the exact denoiser E[x_0 | x_t] of a finite data set, a
//     softmax-weighted mean over the data, one fused Backend.SoftMean per
//     evaluation (the GPU-heavy path);
//   - GMM: the exact denoiser and score of an isotropic Gaussian mixture,
//     with GaussianFlow the closed-form probability-flow map of a single
//     Gaussian (the reference of the order tests);
//   - MLP: a time-conditioned network of package nn trained by denoising
//     score matching (Train), saved to and loaded from a file.
//
// # Samplers
//
// Sample runs one of DDPM (ancestral), DDIM (eta), DPM-Solver++ 2M, 3M and
// 2S (data prediction, derived in dpmpp.go), Heun (EDM), Euler-Maruyama
// (reverse SDE or probability-flow ODE) and ODEAdaptive (Dormand-Prince
// 5(4) with error control in lambda). The state lives on the backend;
// every sampler is seeded (Philox counters, identical on every backend),
// has a deterministic mode, counts model evaluations (NFE) and calls an
// optional per-step Callback with the positions and the denoised
// estimate, reading back from the backend only when one is set.
//
// Measured orders of convergence (tests, VP schedule, t from 1 to 1e-3,
// max error against the exact flow of a Gaussian / a DOPRI5 reference
// solve at tolerance 1e-11 of a three-component mixture): DDIM 0.97 /
// 1.05, Euler 0.96, DPM-Solver++ 2M 1.96 / 1.93, 2S 1.96 / 1.96, Heun 2.05
// / 2.03, 3M 3.99 / 2.98 (faster than its order on the Gaussian only).
// DDPM is checked step for step against Ho et al.'s Alg. 2 (1e-10).
//
// # Use
//
//	b := compute.NewCPU(0)                      // or the GPU backend
//	model, _ := diffusion.NewEmpirical(b, pts, n, 2, nil)
//	x, _ := b.Alloc(q * 2)
//	diffusion.InitialNoise(b, x, seed)          // x_1 ~ N(0, I)
//	res, _ := diffusion.Sample(b, model, diffusion.Linear(1000), x, q,
//		diffusion.Settings{Sampler: diffusion.DPMPP2M, Steps: 20, FinalDenoise: true})
//	// x now holds q samples; res.NFE, res.Steps, res.Rejected, res.Times
//
// Settings.TStart > 0 starts from a partially noised x (truncated
// diffusion, bridges); Settings.Times gives any decreasing grid.
//
// # Backends
//
// Everything runs on any compute.Backend. The GPU (float32) agrees with
// the CPU (float64) to 4e-7 .. 3e-6 for one evaluation of the exact
// denoiser (sigma from 1 down to 0.17), 1e-6 .. 1e-5 for whole sampler
// runs, and to six digits in the training loss (lavapipe, tests in
// gpu_test.go). BenchmarkEmpiricalDenoiser reports one NFE as pairs per
// second and as a fraction of the H100's exp throughput;
// BenchmarkSample20NFE a 20-NFE run end to end.
//
// # Array aliasing
//
// No Map here writes to an array it reads (WebGPU forbids binding one
// buffer as both read-only and writable storage in a dispatch); model
// Predict calls take distinct dst and x.
package diffusion
