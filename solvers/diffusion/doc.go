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
// 2S (data prediction, derived below), Heun (EDM), Euler-Maruyama
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
// # Guidance and sampler options
//
// Classifier-free guidance (Ho and Salimans 2022): Train with Labels makes
// a class-conditional MLP (one-hot class after the time embedding, label
// dropout); MLP.Class(k) is its class-k model and Guided mixes a class's
// model with the unconditional one, eps_uncond + W (eps_cond -
// eps_uncond), W = 1 + w of the paper (conditional.go). Exact models have
// the class's model in closed form (the data or mixture restricted to
// the class); two Gaussians of equal variance give the closed-form test.
//
// Settings also carry the seed code's options (options.go): correctors
// after every step (Langevin with the SNR step of Song et al. 2021, Alg.
// 5; a Tweedie step; the seed's adaptive corrector), dynamic thresholding
// (Saharia et al. 2022), score scaling; and Quadratic and Sigmoid join
// the schedules. RESULTS.md measures each option against held-out data
// at equal NFE and at equal time, one block of tables per backend (CPU
// and H100; written by TestResultsTable, every table of issue 12 at once
// by bench/results/run.sh), and says where it does not help: none helps
// everywhere, so none is on by default.
//
// # ATLAS's hierarchical sampler
//
// Settings.Hierarchical ports the seed's AdvancedHierarchicalDiffusionSampler
// (TSOR666/OT-diffusion-toolkit, ATLAS/atlas/solvers/hierarchical_sampler.py,
// which runs SchroedingerBridgeSolver.solve_once of schrodinger_bridge.py at
// every step; hierarchical.go). Despite its name it has no levels: its
// hierarchical_sampling, critical_thresholds and dynamic_weighting settings
// are read nowhere in the seed. Each step is the predictor (the seed's is
// the probability-flow Euler step: EulerMaruyama with Deterministic; any
// fixed-step sampler here) followed by HierarchicalSmooth: a symmetric
// Sinkhorn solve on the batch x with a Gaussian kernel of bandwidth sigma(t)
// = eps sqrt(1 - abar_t) (eps = 0.01), then x_i <- sum_j k_ij f_j g_j y_j /
// sum_j k_ij f_j g_j over the predicted points y. The only "scales" are
// the kernel's factors 0.5, 1, 2, which the seed uses above 1000 points.
// The step is checked against a dense float64 port of the seed's to 1e-10
// (CPU) and 1e-4 (lavapipe); where float32 cannot resolve the fused cost
// (sigma = 1e-4: floor ~150) it is summed from coordinate differences
// (kernelCost), 6e-7 from float64 on lavapipe. Two options go beyond the seed: Averaged
// (the averaged symmetric iteration, which meets the seed's own marginal
// check where its alternating iteration does not) and Barycentric (weights
// g_j, the plan's barycentric projection). The seed's predictor is not
// ported as written: its Karras schedule counts t = 0 as the noisy end,
// yet its grid runs from t = 1 to 0.01, and its score divides the noise
// prediction by sqrt((1 - abar)/abar) where the VP score divides by sqrt(1
// - abar); this package's samplers are used instead. RESULTS.md measures
// it: at the seed's defaults it changes nothing measurable and costs time.
//
// # FastSB-OT's batch OT sampling
//
// SampleBatchOT ports the seed's sample_batch_ot (FastSB-OT/fastsb_ot/
// solver.py; batchot.go): the initial noise batch is moved towards a target
// batch of the same shape at the first time t0 of the grid, by the averaged
// sliced-OT displacement (sliced.TransportMap, P = 100 directions) or the
// barycentric projection of an entropic plan (eps = 5e-3 (1 + 9 (1 -
// abar_t0)), at most 50 Sinkhorn iterations), and the sampler runs from
// there. BatchOTTarget pushes data to t0 (the target the seed's use
// amounts to). RESULTS.md measures it ("Batch OT sampling").
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
// diffusion, bridges); Settings.Times gives any decreasing grid, and Grid
// returns the grid a sampler would visit.
//
// A page that steps a sampler (Step / Play / Pause) runs Sample in a
// goroutine whose Callback sends each Step (positions, denoised
// estimate, t -> t_next, d lambda, NFE) on a channel and waits for the
// next "go"; returning an error from the Callback abandons the run.
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
// # DPM-Solver++
//
// DPM-Solver++ (Lu, Zhou, Bao, Chen, Li and Zhu 2022, "DPM-Solver++: Fast
// Solver for Guided Sampling of Diffusion Probabilistic Models") is derived
// here in the data-prediction form.
//
// The probability-flow ODE (Song et al. 2021, eq. (13)) of x_t = alpha_t
// x_0 + sigma_t eps, with the score written through the denoiser D(x, t) =
// E[x_0 | x_t = x] as (alpha_t D - x)/sigma_t^2, is
//
//	dx/dt = (d log sigma_t/dt) x + alpha_t (d lambda_t/dt) D(x, t)
//
// (Lu et al. 2022, eq. (6)), so d(x/sigma)/dt = e^lambda (d lambda/dt) D and,
// changing the variable to lambda = log(alpha/sigma), the exact solution
// from s to t is (their eq. (8))
//
//	x_t = (sigma_t / sigma_s) x_s + sigma_t int_{lambda_s}^{lambda_t} e^lambda D(x_lambda, lambda) dlambda.
//
// Put lambda = lambda_s + u, h = lambda_t - lambda_s; then sigma_t
// e^{lambda_s} = alpha_t e^{-h}, and a Taylor expansion
// (derivatives in lambda) integrates term by term:
//
//	D(lambda_s + u) = D + u D' + u^2/2 D'' + O(u^3)
//
//	e^{-h} int_0^h e^u du         = 1 - e^{-h}               =: phi1(h)
//	e^{-h} int_0^h u e^u du       = h - 1 + e^{-h}           =: phi2(h)  (~ h^2/2)
//	e^{-h} int_0^h u^2/2 e^u du   = h^2/2 - h + 1 - e^{-h}   =: phi3(h)  (~ h^3/6)
//
//	x_t = (sigma_t/sigma_s) x_s + alpha_t [phi1 D + phi2 D' + phi3 D''] + O(h^4).
//
// Order 1 keeps D only: x_t = (sigma_t/sigma_s) x_s - alpha_t (e^{-h} - 1) D,
// which is DDIM with eta = 0 (DPM-Solver++1). Order 2 needs D' to O(h):
//
//   - 2M (multistep, Lu et al. Alg. 2) reuses the previous evaluation at
//     lambda_{i-1}, h_{i-1} = lambda_i - lambda_{i-1}, r = h_{i-1}/h, and the
//     paper's form phi1 (D_i + (D_i - D_{i-1})/(2r)), i.e. D' ~ (D_i -
//     D_{i-1})/h_{i-1} with phi2 replaced by h phi1 / 2 (equal to O(h^3));
//   - 2S (singlestep, Lu et al. Alg. 1, r1 = 1/2) evaluates D at the
//     midpoint lambda_i + h/2 after a first-order step there; with r1 = 1/2
//     the update uses the midpoint value alone,
//     x_t = (sigma_t/sigma_s) x_s + alpha_t phi1 D_mid.
//
// Order 3 (3M) needs the first derivative to O(h^2) and the second to
// O(h): take the quadratic
// through the last three evaluations (lambda_i, D_i), (lambda_{i-1},
// D_{i-1}), (lambda_{i-2}, D_{i-2}) in Newton form, with h0 = lambda_i -
// lambda_{i-1}, h1 = lambda_{i-1} - lambda_{i-2},
//
//	f01 = (D_i - D_{i-1})/h0, f12 = (D_{i-1} - D_{i-2})/h1, f012 = (f01 - f12)/(h0 + h1),
//	D' ~ f01 + h0 f012,  D'' ~ 2 f012,
//
// and the step is
//
//	x_t = (sigma_t/sigma_s) x_s + alpha_t [phi1 D_i + phi2 D' + phi3 D''].
//
// Multistep methods start with lower orders (first step order 1,
// second step 2M), as in Lu et al. The tests measure the empirical orders
// (1, 2, 2, 3) against the exact flow of a Gaussian.
//
// # Array aliasing
//
// No Map here writes to an array it reads (WebGPU forbids binding one
// buffer as both read-only and writable storage in a dispatch); model
// Predict calls take distinct dst and x.
package diffusion
