package bridge

import (
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/ot"
)

// Defaults of CorrectSettings.
const (
	// DefaultRelax is the barycentric relaxation lambda: half way.
	DefaultRelax = 0.5
	// DefaultCorrectIterations is the number of Sinkhorn iterations per
	// correction: a short, not converged, solve (the potentials start from
	// zero), enough for the barycentric map of unit-scale 2-D data at the
	// default eps.
	DefaultCorrectIterations = 20
	// DefaultCorrectEpsFrac sets eps = 0.01 times the total variance
	// E|r - mean(r)|^2 of the reference sample at the correction time
	// (scale-free, the same rule as metrics.DefaultSinkhornEpsFrac).
	DefaultCorrectEpsFrac = 0.01
)

// CorrectSettings configure SampleCorrected.
type CorrectSettings struct {
	// Sampler is the diffusion sampler's configuration (Steps or Times
	// required; see diffusion.Settings). Its Callback sees the steps of
	// each segment with indices restarting at 0 per segment.
	Sampler diffusion.Settings
	// Every is the number of sampler steps between corrections (default
	// 1: after every step, the best setting measured in the tests). No
	// correction follows the last step. Every >= steps turns the
	// correction off (the plain sampler).
	Every int
	// Relax is lambda in (0, 1] (default DefaultRelax).
	Relax float64
	// EpsFrac is the Sinkhorn eps as a fraction of the reference's total
	// variance (default DefaultCorrectEpsFrac).
	EpsFrac float64
	// Iterations of Sinkhorn per correction (default
	// DefaultCorrectIterations).
	Iterations int
	// Seed keys the reference noise (Philox, counters per correction).
	Seed uint64
}

// CorrectResult reports a SampleCorrected run.
type CorrectResult struct {
	diffusion.Result
	Corrections int           // corrections applied
	CorrectTime time.Duration // time spent in the corrections
	Time        time.Duration // total wall time
}

// SampleCorrected is diffusion.Sample with a Sinkhorn correction towards a
// reference: the time grid of the sampler is cut into segments of Every
// steps; after each segment but the last, at its end time t, the batch x
// (n points) is compared with the reference sample r_j = alpha_t y_j +
// sigma_t z_j of q(x_t) (the m data points y pushed through the forward
// process with fresh Philox noise), by Iterations log-domain Sinkhorn
// iterations at eps = EpsFrac Var(r), and moved part of the way along the
// barycentric projection of that plan:
//
//	x_i <- (1 - lambda) x_i + lambda T(x_i),  T(x_i) = sum_j P_ij r_j / sum_j P_ij.
//
// This is the "Sinkhorn step towards a reference plus barycentric
// relaxation" of Schrodinger-bridge-corrected diffusion sampling (SBDS, as
// the issue names it): one step of an IPF-like projection of the
// sampler's marginal onto q(x_t), damped by lambda (the barycentric
// relaxation of Schrodinger bridge and OT flows, cf. De Bortoli et al.
// 2021). It costs no model evaluation (NFE are the sampler's) but a
// readback, O(Iterations n m d) work and an upload per correction. A
// multistep sampler (DPM-Solver++ 2M/3M) restarts its history at each
// segment (the corrected state has no consistent history); this is part
// of the measured effect.
//
// Whether it helps is measured, not assumed (TestCorrectionEffect: moons,
// 300 reference points, 400 samples, SW_2 to 1000 held-out points, CPU,
// correction after every step): with a misspecified model (one Gaussian
// N(0, 0.8^2 I) for the moons) at 16 steps it cuts SW_2 from 0.222 to
// 0.141 with DDIM and from 0.259 to 0.091 with DPM-Solver++(2M), since the
// reference carries the data the model lacks; with the exact denoiser of
// the reference set it barely changes DDIM at 16 steps (0.064 to 0.061)
// and hurts DPM-Solver++(2M) at 8 steps (0.055 to 0.097: the multistep
// history is lost at every correction). Earlier runs with 1000 samples and
// 500 reference points gave the same picture (DDIM at 32 steps with the
// one-Gaussian model: 0.249 to 0.092). In truncated sampling (`otplay
// truncate --correct`, exact denoiser of 1000 training points, 10 steps,
// solvers/truncate/RESULTS.md) it helped in every row measured, most for
// the Gaussian start (moons T_trunc = 50: SW_2 0.127 to 0.035;
// checkerboard T_trunc = 10: 0.289 to 0.134) and less after an OT prior
// (checkerboard T_trunc = 10, entropic: 0.141 to 0.112), at the same NFE
// but about 40 soft-min passes per correction: with a cheap model the
// correction, not the model, dominates the time (2-9 s against 0.1 s per
// run on the CPU), and its reference is the very training set, so it
// pulls samples towards that set.
func SampleCorrected(b compute.Backend, model diffusion.Model, sched diffusion.Schedule, x compute.Array, n int, ref []float64, m int, set CorrectSettings) (CorrectResult, error) {
	start := time.Now()
	var res CorrectResult
	if model == nil || sched == nil || x == nil {
		return res, badInput("model, schedule and x must be set")
	}
	d := model.Dim()
	if m < 1 || len(ref) != m*d {
		return res, badInput("reference has %d values, want m x d = %d x %d (m >= 1)", len(ref), m, d)
	}
	if err := compute.CheckFinite("reference", ref); err != nil {
		return res, err
	}
	relax := set.Relax
	if relax == 0 {
		relax = DefaultRelax
	}
	if !(relax > 0 && relax <= 1) {
		return res, badInput("Relax = %g outside (0, 1]", set.Relax)
	}
	frac := set.EpsFrac
	if frac == 0 {
		frac = DefaultCorrectEpsFrac
	}
	if !(frac > 0) || frac > 1e6 {
		return res, badInput("EpsFrac = %g must be positive", set.EpsFrac)
	}
	iters := set.Iterations
	if iters == 0 {
		iters = DefaultCorrectIterations
	}
	if iters < 1 {
		return res, badInput("Iterations = %d must be >= 1", set.Iterations)
	}
	grid, err := samplerGrid(sched, set.Sampler)
	if err != nil {
		return res, err
	}
	steps := len(grid) - 1
	every := set.Every
	if every == 0 {
		every = 1
	}
	if every < 1 {
		return res, badInput("Every = %d must be >= 1", set.Every)
	}
	host := make([]float64, n*d)
	refT := make([]float64, m*d)
	for a, seg := 0, 0; a < steps; a, seg = a+every, seg+1 {
		e := min(a+every, steps)
		s := set.Sampler
		s.Times = grid[a : e+1]
		s.Steps = e - a
		s.TStart, s.TEnd = 0, 0
		s.Spacing = diffusion.SpacingDefault
		s.FinalDenoise = set.Sampler.FinalDenoise && e == steps
		s.Seed = set.Sampler.Seed + uint64(seg)*0x9E3779B97F4A7C15
		r, err := diffusion.Sample(b, model, sched, x, n, s)
		if err != nil {
			return res, err
		}
		res.NFE += r.NFE
		res.HierarchicalIterations += r.HierarchicalIterations
		res.Steps += r.Steps
		res.Rejected += r.Rejected
		if len(res.Times) > 0 && len(r.Times) > 0 {
			r.Times = r.Times[1:]
		}
		res.Times = append(res.Times, r.Times...)
		if e == steps {
			break
		}
		c0 := time.Now()
		at := diffusion.At(sched, grid[e])
		for k, v := range ref {
			refT[k] = at.Alpha*v + at.Sigma*compute.NormalAt(set.Seed, uint64(seg*m*d+k))
		}
		if err := b.Read(host, x); err != nil {
			return res, err
		}
		if err := compute.CheckFinite("sampler state", host); err != nil {
			return res, err
		}
		eps := frac * totalVariance(refT, m, d)
		sol, err := ot.Sinkhorn(b, ot.Problem{X: host, Y: refT, N: n, M: m, D: d},
			ot.Settings{Eps: eps, MaxIter: iters, Tol: -1, CheckEvery: iters})
		if err != nil {
			return res, err
		}
		tx, err := sol.Barycentric(b)
		if err != nil {
			return res, err
		}
		for k := range host {
			host[k] = (1-relax)*host[k] + relax*tx[k]
		}
		if err := b.Write(x, host); err != nil {
			return res, err
		}
		res.Corrections++
		res.CorrectTime += time.Since(c0)
	}
	res.Time = time.Since(start)
	return res, nil
}

// samplerGrid returns the time grid diffusion.Sample would use for s: the
// given Times, or Steps of the sampler's default spacing (uniform in t for
// DDPM, DDIM and Euler-Maruyama; uniform in lambda for DPM-Solver++ and
// the adaptive solver's first guess; Karras for Heun, as documented in
// package diffusion) from TStart (default 1) to TEnd (default the
// schedule's).
func samplerGrid(sched diffusion.Schedule, s diffusion.Settings) ([]float64, error) {
	if s.Times != nil {
		if len(s.Times) < 2 {
			return nil, badInput("Sampler.Times needs at least 2 times")
		}
		return append([]float64(nil), s.Times...), nil
	}
	if s.Sampler == diffusion.ODEAdaptive {
		return nil, badInput("the corrected sampler needs a fixed-step sampler, not %v", s.Sampler)
	}
	if s.Steps < 1 {
		return nil, badInput("Sampler.Steps = %d must be >= 1", s.Steps)
	}
	sp := s.Spacing
	if sp == diffusion.SpacingDefault {
		switch s.Sampler {
		case diffusion.DPMPP2M, diffusion.DPMPP3M, diffusion.DPMPP2S:
			sp = diffusion.SpacingLogSNR
		case diffusion.Heun:
			sp = diffusion.SpacingKarras
		default:
			sp = diffusion.SpacingUniform
		}
	}
	t0, t1 := s.TStart, s.TEnd
	if t0 == 0 {
		t0 = 1
	}
	if t1 == 0 {
		t1 = sched.DefaultTEnd()
	}
	return diffusion.Times(sched, sp, s.Steps, t0, t1)
}

// totalVariance is E|r - mean(r)|^2 of m points in dimension d.
func totalVariance(r []float64, m, d int) float64 {
	v := 0.0
	for c := 0; c < d; c++ {
		mean := 0.0
		for j := 0; j < m; j++ {
			mean += r[j*d+c]
		}
		mean /= float64(m)
		for j := 0; j < m; j++ {
			v += (r[j*d+c] - mean) * (r[j*d+c] - mean)
		}
	}
	return v / float64(m)
}
