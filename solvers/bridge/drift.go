package bridge

import (
	"math"
	"time"

	"github.com/otplay/otplay/compute"
)

// Drift writes the Schrodinger bridge drift at time t in [0, 1) for the n
// particles x (n x D on the bridge's backend) into dst (n x D, not x):
//
//	v(x, t) = (E[Y | X_t = x] - x) / (1 - t),
//	E[Y | X_t = x] = sum_j w_j(x) y_j,
//	w_j(x) ∝ b_j exp(G_j / eps - |x - y_j|^2 / (eps (1 - t))).
//
// Derivation. The bridge is the mixture of Brownian bridges over the plan
// P_ij = a_i b_j e^{(F_i + G_j)/eps} p_1(x_i, y_j), with the heat kernel
// p_s(x, y) ∝ exp(-|x - y|^2 / (2 sigma^2 s)) = exp(-|x - y|^2 / (eps s)).
// The Brownian bridge density at X_t = x is p_t(x_i, x) p_{1-t}(x, y_j) /
// p_1(x_i, y_j), so the joint weight of (i, j, x) is
//
//	[a_i e^{F_i/eps} p_t(x_i, x)] [b_j e^{G_j/eps} p_{1-t}(x, y_j)],
//
// a product: given X_t = x, the end point y_j is independent of x_i and has
// the weights w_j above (the Markov property of the Schrodinger bridge;
// Leonard 2014, Thm. 2.12). The drift of the bridge is sigma^2 grad log
// h_t(x) with h_t(x) = sum_j b_j e^{G_j/eps} p_{1-t}(x, y_j) (Doob's
// h-transform; Follmer 1988; De Bortoli et al. 2021, "Diffusion
// Schrodinger Bridge", sec. 2), and sigma^2 grad log h_t = (E[Y | x] - x) /
// (1 - t) since grad p_{1-t}(x, y) = p (y - x) / (sigma^2 (1 - t)). This is
// the Sinkhorn bridge, the plug-in estimator of Pooladian and Niles-Weed
// 2024 ("Plug-in estimation of Schrodinger bridges", eq. (9) with their
// cost |x-y|^2/2 rescaled to ours), defined for any x: out of sample.
//
// On the backend it is one SoftMeanY (c = 1) with Eps' = eps (1 - t), G' = (1 - t) G,
// LogW = log b and V = Y (since (1 - t) G / (eps (1 - t)) = G / eps), then
// one Map. At t = 0, E[Y | x] is the entropic map of Pooladian and
// Niles-Weed 2021.
func (br *Bridge) Drift(dst, x compute.Array, n int, t float64) error {
	mean, err := br.be.Alloc(n * br.D)
	if err != nil {
		return err
	}
	defer br.be.Free(mean)
	if err := br.ConditionalMean(mean, x, n, t); err != nil {
		return err
	}
	c := 1 / (1 - t)
	return br.be.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: mean, Y: x, A: c, B: -c})
}

// ConditionalMean writes E[Y | X_t = x] (see Drift) for the n particles x
// into dst (n x D, not x); t must be in [0, 1).
func (br *Bridge) ConditionalMean(dst, x compute.Array, n int, t float64) error {
	if br.y == nil {
		return badInput("use of a freed Bridge")
	}
	if !(t >= 0 && t < 1) {
		return badInput("t = %v outside [0, 1) (the drift is singular at t = 1)", t)
	}
	if n < 1 || x == nil || dst == nil || x.Len() != n*br.D || dst.Len() != n*br.D {
		return badInput("x and dst must hold n x D = %d x %d values", n, br.D)
	}
	if dst == x {
		return badInput("dst must not be x")
	}
	if err := br.be.Map(br.gs, compute.MapArgs{Op: compute.OpAxpby, X: br.g, A: 1 - t}); err != nil {
		return err
	}
	return br.be.SoftMeanY(dst, compute.Pairs{X: x, Y: br.y, N: n, M: br.M, D: br.D,
		LogW: br.logb, G: br.gs, Eps: br.Eps * (1 - t)}, 1)
}

// DriftHost is Drift on host slices: it uploads x (n x D), evaluates and
// reads the drift back.
func (br *Bridge) DriftHost(x []float64, t float64) ([]float64, error) {
	if len(x) == 0 || len(x)%br.D != 0 {
		return nil, badInput("x has %d values, want a multiple of D = %d", len(x), br.D)
	}
	if err := compute.CheckFinite("x", x); err != nil {
		return nil, err
	}
	xa, err := br.be.Upload(x)
	if err != nil {
		return nil, err
	}
	defer br.be.Free(xa)
	dst, err := br.be.Alloc(len(x))
	if err != nil {
		return nil, err
	}
	defer br.be.Free(dst)
	if err := br.Drift(dst, xa, len(x)/br.D, t); err != nil {
		return nil, err
	}
	out := make([]float64, len(x))
	return out, br.be.Read(out, dst)
}

// DefaultSimSteps is the number of Euler-Maruyama steps of Simulate when
// SimSettings.Steps is zero.
const DefaultSimSteps = 100

// SimSettings configure Simulate. The zero value means the defaults.
type SimSettings struct {
	// Steps of the uniform grid t_k = k / Steps (default DefaultSimSteps).
	Steps int
	// Seed keys the Philox normals: step k draws counters
	// [k n D, (k+1) n D).
	Seed uint64
	// Deterministic drops the noise (the drift alone: not the bridge's
	// law, a diagnostic).
	Deterministic bool
	// Transport is the step along the drift (default TransportDrift:
	// Euler-Maruyama); see Transport. Momentum is TransportMomentum's
	// beta in (0, 1) (0: DefaultMomentum).
	Transport Transport
	Momentum  float64
	// PathEnergy asks for SimResult.PathEnergy (one Backend.Sum per
	// step).
	PathEnergy bool
	// Callback, if set, is called after every step with the time reached
	// and the positions (n x D, read back from the backend).
	Callback func(step int, t float64, x []float64) error
}

// SimResult reports a Simulate run.
type SimResult struct {
	X     []float64 // n x D positions at t = 1
	Steps int
	// PathEnergy (with SimSettings.PathEnergy) is the mean over the
	// particles of sum_k |Delta_k|^2 / h, Delta_k the deterministic part
	// of step k (the last step's landing included): the discrete kinetic
	// energy int |u|^2 dt of the control, the quantity the Schrodinger
	// bridge minimises (Leonard 2014, eq. (4.2) ff., Benamou-Brenier
	// form); the noise is left out.
	PathEnergy float64
	Time       time.Duration
}

// Simulate moves n new particles x0 (n x D, any points: out of sample) from
// t = 0 to t = 1 along the bridge SDE dX = v(X, t) dt + sigma dW with the
// Euler-Maruyama scheme (Kloeden and Platen 1992, sec. 9.1) on the uniform
// grid of Steps steps:
//
//	X_{k+1} = X_k + h v(X_k, t_k) + sigma sqrt(h) Z_k,
//
// except the last step, which lands on E[Y | X_{t_{K-1}}] without noise
// (the Euler step there is exactly that mean plus noise whose variance the
// true bridge does not have at t = 1: it is pinned to the target atoms).
// The state stays on the backend; only the end (and, with a Callback, each
// step) is read back. SimSettings.Transport replaces the drift step by a
// momentum or natural-gradient (Fisher) step (see Transport).
func (br *Bridge) Simulate(x0 []float64, s SimSettings) (SimResult, error) {
	start := time.Now()
	steps := s.Steps
	if steps == 0 {
		steps = DefaultSimSteps
	}
	if steps < 1 {
		return SimResult{}, badInput("Steps = %d must be >= 1", s.Steps)
	}
	if len(x0) == 0 || len(x0)%br.D != 0 {
		return SimResult{}, badInput("x0 has %d values, want n x D with D = %d", len(x0), br.D)
	}
	if err := compute.CheckFinite("x0", x0); err != nil {
		return SimResult{}, err
	}
	if br.y == nil {
		return SimResult{}, badInput("use of a freed Bridge")
	}
	n := len(x0) / br.D
	be := br.be
	x, err := be.Upload(x0)
	if err != nil {
		return SimResult{}, err
	}
	defer be.Free(x)
	var arrs [3]compute.Array
	for k := range arrs {
		if arrs[k], err = be.Alloc(len(x0)); err != nil {
			return SimResult{}, err
		}
		defer be.Free(arrs[k])
	}
	mean, z, xn := arrs[0], arrs[1], arrs[2]
	st, err := br.newTransportStep(s, n)
	if err != nil {
		return SimResult{}, err
	}
	defer st.free()
	energy := 0.0
	h := 1 / float64(steps)
	host := make([]float64, len(x0))
	for k := 0; k < steps; k++ {
		t := float64(k) * h
		if err := br.ConditionalMean(mean, x, n, t); err != nil {
			return SimResult{}, err
		}
		if k == steps-1 {
			if s.PathEnergy {
				if err := st.addEnergy(&energy, mean, x, h); err != nil {
					return SimResult{}, err
				}
			}
			x, mean = mean, x
		} else {
			if err := st.step(xn, x, mean, t, h); err != nil {
				return SimResult{}, err
			}
			if s.PathEnergy {
				if err := st.addEnergy(&energy, xn, x, h); err != nil {
					return SimResult{}, err
				}
			}
			if !s.Deterministic {
				if err := be.Normal(z, s.Seed, uint64(k*len(x0))); err != nil {
					return SimResult{}, err
				}
				if err := be.Map(x, compute.MapArgs{Op: compute.OpAxpby, X: xn, Y: z, A: 1, B: br.Sigma * math.Sqrt(h)}); err != nil {
					return SimResult{}, err
				}
			} else {
				x, xn = xn, x
			}
		}
		if s.Callback != nil {
			if err := be.Read(host, x); err != nil {
				return SimResult{}, err
			}
			if err := s.Callback(k, float64(k+1)*h, append([]float64(nil), host...)); err != nil {
				return SimResult{}, err
			}
		}
	}
	if err := be.Read(host, x); err != nil {
		return SimResult{}, err
	}
	if err := compute.CheckFinite("simulated positions", host); err != nil {
		return SimResult{}, err
	}
	return SimResult{X: host, Steps: steps, PathEnergy: energy, Time: time.Since(start)}, nil
}
