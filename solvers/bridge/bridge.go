package bridge

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
)

// DefaultSigma is the diffusion coefficient of the reference Brownian
// motion when Settings.Sigma is zero: 0.1, so eps = 2 sigma^2 = 0.02, a
// meaningful regularisation for data of unit scale (the toys of package
// data fill about [-2, 2]^2).
const DefaultSigma = 0.1

// DefaultTol is the Sinkhorn tolerance of New when Settings.Sinkhorn.Tol
// is zero: an L1 marginal error of 1e-4, far below the Monte-Carlo error
// of any bridge sample (a plan off by 1e-4 in L1 moves 1e-4 of the mass),
// and reached in a few hundred iterations at eps = 0.02 on unit-scale data
// where 1e-6 is not reached in 1000 (measured: 1000 moons points from a
// Gaussian, marginal error 1.6e-6 after 1000 iterations).
const DefaultTol = 1e-4

// DefaultScaling is the eps-scaling factor of New when
// Settings.Sinkhorn.Scaling is zero and no warm start is given (GeomLoss's
// default, Feydy et al. 2019).
const DefaultScaling = 0.5

// pairBlock bounds the entries of one block of plan rows computed on the
// backend by SamplePairs (2^20 floats, 8 MiB in float64).
const pairBlock = 1 << 20

// ErrBadInput is wrapped by every error about a caller's arguments. Errors
// of package ot about the problem (ot.ErrBadInput) are passed through as
// they are.
var ErrBadInput = errors.New("bridge: bad input")

func badInput(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, a...))
}

// Settings configure New. The zero value means the documented defaults.
type Settings struct {
	// Sigma > 0 is the diffusion coefficient of the reference process
	// dX = Sigma dW on t in [0, 1] (0 means DefaultSigma). The static
	// problem is entropic OT with eps = 2 Sigma^2.
	Sigma float64
	// Sinkhorn tunes the solver of the static problem. Its Eps must be 0
	// or equal 2 Sigma^2. Where zero: Tol = DefaultTol (not package ot's
	// 1e-6) and, without a warm start, Scaling = DefaultScaling; package
	// ot's defaults otherwise.
	Sinkhorn ot.Settings
}

// Bridge is the Schrodinger bridge between two weighted point clouds with
// the Brownian reference dX = sigma dW (see the package documentation). It
// holds the static solution (the Sinkhorn potentials) on the host and the
// target cloud on the backend it was made on.
type Bridge struct {
	X, Y    []float64 // N x D source and M x D target points
	N, M, D int
	A, B    []float64 // weights, normalised to mass 1
	Sigma   float64
	Eps     float64    // 2 Sigma^2
	Static  *ot.Result // the entropic plan's potentials and diagnostics

	be   compute.Backend
	y    compute.Array // M x D
	logb compute.Array // M: log B
	g    compute.Array // M: G
	gs   compute.Array // M: scratch for (1 - t) G
	cumA []float64     // cumulative source weights, for inverse-CDF draws
}

// New solves the static Schrodinger bridge problem between p.X (time 0)
// and p.Y (time 1): the entropic OT plan
//
//	P_ij = a_i b_j exp((F_i + G_j - |x_i - y_j|^2) / eps),  eps = 2 sigma^2,
//
// (Follmer 1988; Leonard 2014, "A survey of the Schrodinger problem",
// Prop. 2.3: the static SB with Brownian reference of variance sigma^2 t
// is entropic OT with cost |x - y|^2 / (2 sigma^2), i.e. eps = 2 sigma^2 in
// otplay's convention), by log-domain Sinkhorn (package ot). Weights are
// normalised to mass 1. A Sinkhorn run that stops at MaxIter is not an
// error: Static.Converged says so, and every formula below still holds
// exactly for the plan defined by the returned potentials (it is then a
// bridge between slightly different marginals).
func New(b compute.Backend, p ot.Problem, s Settings) (*Bridge, error) {
	if b == nil {
		return nil, badInput("backend is nil")
	}
	sigma := s.Sigma
	if sigma == 0 {
		sigma = DefaultSigma
	}
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return nil, badInput("Sigma = %g must be positive and finite", s.Sigma)
	}
	eps := 2 * sigma * sigma
	if !(eps > 0) || math.IsInf(eps, 0) {
		return nil, badInput("Sigma = %g: eps = 2 sigma^2 = %g is not a positive float64; use a sigma between 1e-150 and 1e150 (and see the precision limit New reports)", sigma, eps)
	}
	if s.Sinkhorn.Eps != 0 && math.Abs(s.Sinkhorn.Eps-eps) > 1e-12*eps {
		return nil, badInput("Sinkhorn.Eps = %g conflicts with Sigma = %g (eps = 2 sigma^2 = %g); leave it 0", s.Sinkhorn.Eps, sigma, eps)
	}
	set := s.Sinkhorn
	set.Eps = eps
	if set.Tol == 0 {
		set.Tol = DefaultTol
	}
	if set.Scaling == 0 && set.F == nil && set.G == nil {
		set.Scaling = DefaultScaling
	}
	if set.TauA != 0 || set.TauB != 0 || set.Mass != 0 {
		return nil, badInput("Sinkhorn.TauA/TauB/Mass: the bridge is balanced; leave them 0")
	}
	pn := p
	var err error
	if pn.A, err = normalised("A", p.A, p.N); err != nil {
		return nil, err
	}
	if pn.B, err = normalised("B", p.B, p.M); err != nil {
		return nil, err
	}
	r, err := ot.Sinkhorn(b, pn, set)
	if errors.Is(err, ot.ErrPrecision) {
		// Say it in the bridge's own parameter: eps = 2 sigma^2.
		minEps := compute.PrecisionOf(b.Info()).MinEps(compute.SquaredDiameter(p.X, p.Y, p.D), 1)
		return nil, fmt.Errorf("bridge: sigma = %g (eps = 2 sigma^2 = %g) is below what the backend resolves for these points; use sigma >= %.3g: %w", sigma, eps, math.Sqrt(minEps/2), err)
	}
	if err != nil {
		return nil, err
	}
	br := &Bridge{X: p.X, Y: p.Y, N: p.N, M: p.M, D: p.D, A: pn.A, B: pn.B,
		Sigma: sigma, Eps: eps, Static: r, be: b}
	if err := br.upload(); err != nil {
		br.Free()
		return nil, err
	}
	br.cumA = make([]float64, br.N)
	acc := 0.0
	for i, w := range br.A {
		acc += w
		br.cumA[i] = acc
	}
	return br, nil
}

// normalised returns w scaled to mass 1 (uniform when nil); ot validates
// signs and finiteness, this only guards the division.
func normalised(name string, w []float64, n int) ([]float64, error) {
	if w == nil {
		u := make([]float64, n)
		for i := range u {
			u[i] = 1 / float64(n)
		}
		return u, nil
	}
	if len(w) != n {
		return nil, badInput("%s has %d weights for %d points", name, len(w), n)
	}
	total := 0.0
	for i, v := range w {
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, badInput("%s[%d] = %v: weights must be positive and finite", name, i, v)
		}
		total += v
	}
	out := make([]float64, n)
	for i, v := range w {
		out[i] = v / total
	}
	return out, nil
}

func (br *Bridge) upload() error {
	var err error
	if br.y, err = br.be.Upload(br.Y); err != nil {
		return err
	}
	lb := make([]float64, br.M)
	for j, w := range br.B {
		lb[j] = math.Log(w)
	}
	if br.logb, err = br.be.Upload(lb); err != nil {
		return err
	}
	if br.g, err = br.be.Upload(br.Static.G); err != nil {
		return err
	}
	br.gs, err = br.be.Alloc(br.M)
	return err
}

// Free releases the backend arrays (idempotent).
func (br *Bridge) Free() {
	for _, a := range []*compute.Array{&br.y, &br.logb, &br.g, &br.gs} {
		if *a != nil {
			br.be.Free(*a)
			*a = nil
		}
	}
}

// Backend returns the backend the bridge lives on.
func (br *Bridge) Backend() compute.Backend { return br.be }

// SamplePairs draws n pairs (i, j) from the plan P: i from the source
// weights a by inverse CDF, then j from the row P_i. / a_i, that is
//
//	P(j | i) = b_j exp((G_j - |x_i - y_j|^2) / eps) / sum_k (...)
//
// (F_i cancels), by inverse CDF over j. The rows are computed on the
// backend in blocks of at most 2^20 entries, as
// s_ij = 2 <x_i, y_j> / eps + (G_j - |y_j|^2) / eps + log b_j (one MatMul
// and one Map; the row constant -|x_i|^2/eps cancels), and read back; only
// the rows of drawn indices are computed, so memory is O(block) whatever
// N * M. Uniforms are Philox counters of seed: [0, n) for i, [n, 2n) for
// j, so a seed gives the same pairs on every backend (to float32 ties).
func (br *Bridge) SamplePairs(n int, seed uint64) (is, js []int, err error) {
	if br.y == nil {
		return nil, nil, badInput("SamplePairs on a freed Bridge")
	}
	if n < 1 {
		return nil, nil, badInput("n = %d: want >= 1 pairs", n)
	}
	is = make([]int, n)
	js = make([]int, n)
	for k := range is {
		u := compute.UniformAt(seed, uint64(k)) * br.cumA[br.N-1]
		i := sort.SearchFloat64s(br.cumA, u)
		if i >= br.N {
			i = br.N - 1
		}
		is[k] = i
	}
	// Samples grouped by row, rows in increasing order.
	byRow := map[int][]int{}
	rows := []int{}
	for k, i := range is {
		if _, ok := byRow[i]; !ok {
			rows = append(rows, i)
		}
		byRow[i] = append(byRow[i], k)
	}
	sort.Ints(rows)
	h := make([]float64, br.M)
	for j := range h {
		yy := 0.0
		for _, v := range br.Y[j*br.D : (j+1)*br.D] {
			yy += v * v
		}
		h[j] = (br.Static.G[j]-yy)/br.Eps + math.Log(br.B[j])
	}
	hA, err := br.be.Upload(h)
	if err != nil {
		return nil, nil, err
	}
	defer br.be.Free(hA)
	r := max(1, min(len(rows), pairBlock/br.M))
	dot, err := br.be.Alloc(r * br.M)
	if err != nil {
		return nil, nil, err
	}
	defer br.be.Free(dot)
	logits, err := br.be.Alloc(r * br.M)
	if err != nil {
		return nil, nil, err
	}
	defer br.be.Free(logits)
	host := make([]float64, r*br.M)
	xb := make([]float64, r*br.D)
	cum := make([]float64, br.M)
	for start := 0; start < len(rows); start += r {
		blk := rows[start:min(start+r, len(rows))]
		for q, i := range blk {
			copy(xb[q*br.D:(q+1)*br.D], br.X[i*br.D:(i+1)*br.D])
		}
		for q := len(blk); q < r; q++ { // pad with the first row
			copy(xb[q*br.D:(q+1)*br.D], br.X[blk[0]*br.D:(blk[0]+1)*br.D])
		}
		xA, err := br.be.Upload(xb)
		if err != nil {
			return nil, nil, err
		}
		err = br.be.MatMul(dot, xA, br.y, r, br.D, br.M, false, true)
		if err == nil {
			err = br.be.Map(logits, compute.MapArgs{Op: compute.OpAxpby, X: dot, Y: hA, YMod: br.M, A: 2 / br.Eps, B: 1})
		}
		if err == nil {
			err = br.be.Read(host, logits)
		}
		br.be.Free(xA)
		if err != nil {
			return nil, nil, err
		}
		for q, i := range blk {
			row := host[q*br.M : (q+1)*br.M]
			mx := math.Inf(-1)
			for _, v := range row {
				mx = math.Max(mx, v)
			}
			if math.IsNaN(mx) || math.IsInf(mx, 0) {
				return nil, nil, fmt.Errorf("bridge: plan row %d is not finite (max logit %v)", i, mx)
			}
			acc := 0.0
			for j, v := range row {
				acc += math.Exp(v - mx)
				cum[j] = acc
			}
			for _, k := range byRow[i] {
				u := compute.UniformAt(seed, uint64(n+k)) * acc
				j := sort.SearchFloat64s(cum, u)
				if j >= br.M {
					j = br.M - 1
				}
				js[k] = j
			}
		}
	}
	return is, js, nil
}

// SampleAt draws n points of the bridge's marginal at time t in [0, 1]:
// pairs (i, j) from the plan (SamplePairs with seed) and the Brownian
// bridge between them,
//
//	X_t = (1 - t) x_i + t y_j + sigma sqrt(t (1 - t)) Z,  Z ~ N(0, I),
//
// the law of W^sigma pinned at x_i and y_j (Karatzas and Shreve 1991,
// 5.6.B); the mixture over the plan is the Schrodinger bridge (Leonard
// 2014, Prop. 2.3). Z is the Philox normal of seed at counters
// [2n, 2n + n D). At t = 0 the points are exactly source points drawn
// with weights a, at t = 1 target points drawn with the plan's second
// marginal (b, to the Sinkhorn marginal error).
func (br *Bridge) SampleAt(t float64, n int, seed uint64) ([]float64, error) {
	if !(t >= 0 && t <= 1) {
		return nil, badInput("t = %v outside [0, 1]", t)
	}
	is, js, err := br.SamplePairs(n, seed)
	if err != nil {
		return nil, err
	}
	return br.pointsAt(t, is, js, seed), nil
}

// pointsAt evaluates the Brownian bridge for given pairs (see SampleAt).
func (br *Bridge) pointsAt(t float64, is, js []int, seed uint64) []float64 {
	n, d := len(is), br.D
	out := make([]float64, n*d)
	sd := br.Sigma * math.Sqrt(t*(1-t))
	for k := range is {
		x := br.X[is[k]*d : (is[k]+1)*d]
		y := br.Y[js[k]*d : (js[k]+1)*d]
		for c := 0; c < d; c++ {
			v := (1-t)*x[c] + t*y[c]
			if sd > 0 {
				v += sd * compute.NormalAt(seed, uint64(2*n+k*d+c))
			}
			out[k*d+c] = v
		}
	}
	return out
}

// Paths draws n bridge paths at the given times (each in [0, 1]): the same
// pairs for every time and, between times, Brownian-bridge increments, so
// each row is one continuous path. It returns len(times) arrays of n x D
// points. The path between the pinned ends is sampled sequentially: given
// X_s, the Brownian bridge to y_j at time 1 has
//
//	X_t | X_s ~ N(X_s + (t - s)/(1 - s) (y_j - X_s), sigma^2 (t - s)(1 - t)/(1 - s)),
//
// (times are visited in increasing order; the result is returned in the
// caller's order). Noise uses Philox counters of seed past those of
// SamplePairs.
func (br *Bridge) Paths(times []float64, n int, seed uint64) ([][]float64, error) {
	if len(times) == 0 {
		return nil, badInput("times is empty")
	}
	for k, t := range times {
		if !(t >= 0 && t <= 1) {
			return nil, badInput("times[%d] = %v outside [0, 1]", k, t)
		}
	}
	is, js, err := br.SamplePairs(n, seed)
	if err != nil {
		return nil, err
	}
	order := make([]int, len(times))
	for k := range order {
		order[k] = k
	}
	sort.SliceStable(order, func(a, b int) bool { return times[order[a]] < times[order[b]] })
	d := br.D
	out := make([][]float64, len(times))
	cur := make([]float64, n*d)
	for k, i := range is {
		copy(cur[k*d:(k+1)*d], br.X[i*d:(i+1)*d])
	}
	s := 0.0
	ctr := uint64(2 * n)
	for _, o := range order {
		t := times[o]
		if t > s {
			for k, j := range js {
				y := br.Y[j*d : (j+1)*d]
				for c := 0; c < d; c++ {
					x := cur[k*d+c]
					if t >= 1 {
						cur[k*d+c] = y[c]
						continue
					}
					mean := x + (t-s)/(1-s)*(y[c]-x)
					sd := br.Sigma * math.Sqrt((t-s)*(1-t)/(1-s))
					cur[k*d+c] = mean + sd*compute.NormalAt(seed, ctr+uint64(k*d+c))
				}
			}
			ctr += uint64(n * d)
			s = t
		}
		out[o] = append([]float64(nil), cur...)
	}
	return out, nil
}
