package ot

import (
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
)

// Result is the outcome of an entropic solve.
//
// The plan is never stored: it is P_ij = a_i b_j exp((F_i + G_j - C_ij)/Eps)
// with C_ij = |x_i - y_j|^2, for every method, and the methods of Result
// (PlanDense, PlanTopK, Barycentric, Transport, PotentialsOnGrid) rebuild
// what they need from F and G on a Backend.
type Result struct {
	Method Method
	// F (N) and G (M) are the dual potentials in GeomLoss's convention
	// (Feydy et al. 2019, eq. (7)): for balanced problems at convergence
	// OT_eps = <a, F> + <b, G>. POT's sinkhorn_log returns
	// log_u = log a + F/eps and log_v = log b + G/eps.
	F, G []float64
	// Eps is the target regularisation.
	Eps float64
	// Cost is the transport cost <P, C> = sum_ij P_ij |x_i - y_j|^2 of the
	// current plan (POT's sinkhorn2 and entropic_partial_wasserstein's
	// partial_w_dist).
	Cost float64
	// Objective is, for Balanced, OT_eps = <P, C> + eps KL(P | a x b) of
	// the current plan (equal to <a, F> + <b, G> at convergence). For
	// Unbalanced and Partial it is the objective POT's iteration minimises
	// shifted by a constant that depends on a and b only, so that it
	// reduces to OT_eps when the marginals are met:
	//
	//	<P, C> + eps KL(P | a x b) + eps (<r - a, log a> + <c - b, log b>)
	//	       + TauA KL(r | a) + TauB KL(c | b)
	//
	// with r = P 1, c = P^T 1 and KL(r | a) = sum r log(r/a) - r + a
	// (penalties with infinite tau are omitted).
	Objective float64
	// MarginalError is |P 1 - a|_1 + |P^T 1 - b|_1 for Balanced and
	// Unbalanced (for Unbalanced it measures how far the marginals moved,
	// not an error); for Partial it is the constraint violation
	// sum (P 1 - a)_+ + sum (P^T 1 - b)_+ + |sum P - m|.
	MarginalError float64
	// Mass is the total mass of the plan, sum_ij P_ij.
	Mass       float64
	Iterations int
	// Converged says the float64 check met the tolerance:
	// ResidualBound <= Tol. The backend's own residual (Errors) is not
	// enough: at a fixed point of a float32 iteration it reads 0 whatever
	// the true error.
	Converged bool
	// Residual is the float64 measurement, on the host, of the plan the
	// potentials define (see Check for how): for Balanced the marginal
	// error |P 1 - a|_1 + |P^T 1 - b|_1; for Unbalanced the optimality
	// residual |P 1 - r*|_1 + |P^T 1 - c*|_1, with r*_i = a_i exp(-(F_i +
	// eps log a_i)/TauA) the row sums the KL penalty asks for at these
	// potentials (the fixed point of the scaling iteration; c* alike); for
	// Partial the constraint violation (MarginalError's definition).
	Residual float64
	// ResidualBound is what Converged compares with Tol: Residual when
	// every pair was evaluated; for a sample, its estimate plus 3 standard
	// errors.
	ResidualBound float64
	// Check says how Residual was measured: over all pairs, or over a
	// sample of rows and columns (above HostCheckPairs pairs).
	Check string
	// Tol is the tolerance Converged was judged against (|Settings.Tol|).
	Tol float64
	// DeviceResidual is the last residual the backend computed itself
	// (the last of Errors; NaN before the first check).
	DeviceResidual float64
	// Precision is the backend's ("float64" or "float32"), MaxCost the
	// squared diameter of the data (a bound on every cost) and
	// PrecisionFloor = machine epsilon MaxCost / Eps, the relative error
	// rounding puts on each plan entry: the backend cannot measure or meet
	// a marginal error much below it (compute.Precision).
	Precision      string
	MaxCost        float64
	PrecisionFloor float64
	// Status is a sentence for people: converged or not, and why, with
	// what to do about it.
	Status string
	// Time is the wall time from upload to this Result.
	Time time.Duration
	// Errors is the residual at every check, for convergence charts, at the
	// iteration counts ErrorIters. For Balanced the residual is the
	// marginal error of the plan at that iteration; for Unbalanced and
	// Partial it is the relative change of the scalings over one
	// iteration, sum a |e^{df/eps} - 1| + sum b |e^{dg/eps} - 1|.
	Errors     []float64
	ErrorIters []int
	// Backend is the Info().Name of the backend that solved.
	Backend string

	prob       checked
	tauA, tauB float64
}

// Result computes the summary of the current state: potentials, cost,
// objective, marginal error, and the float64 check that decides
// Converged. Up to HostCheckPairs pairs everything is measured in float64
// on the host from the potentials (one pass over the pairs); above, the
// cost, objective and marginals come from the backend (two soft-mins and
// one soft-mean, O(N + M) numbers read back) and the residual from a
// float64 pass over a sample of rows and columns (see Result.Check).
func (sv *Solver) Result() (*Result, error) {
	if sv.closed {
		return nil, badInput("Result on a closed Solver")
	}
	start := time.Now()
	c, eps, b := sv.prob, sv.set.Eps, sv.be
	f, g, err := sv.Potentials()
	if err != nil {
		return nil, err
	}
	hc := sv.check(f, g)
	res := &Result{Method: sv.method, F: f, G: g, Eps: eps, Iterations: sv.iter,
		Errors: append([]float64(nil), sv.errors...), ErrorIters: append([]int(nil), sv.errIters...),
		Backend: b.Info().Name, prob: c, tauA: sv.tauA, tauB: sv.tauB}
	var r, col []float64
	if hc.full {
		r, col, res.Cost = hc.r, hc.col, hc.cost
	} else if r, col, res.Cost, err = sv.deviceSums(f, g); err != nil {
		return nil, err
	}
	var fr, gc, mass float64
	for i := range r {
		fr += f[i] * r[i]
		mass += r[i]
	}
	for j := range col {
		gc += g[j] * col[j]
	}
	res.Mass = mass
	// eps KL(P | a x b) = <P, f + g> - <P, C> - eps |P| + eps |a||b|.
	res.Objective = fr + gc - eps*mass + eps*c.massA*c.massB
	switch sv.method {
	case PartialMass:
		for i := range r {
			res.MarginalError += max(r[i]-c.A[i], 0)
		}
		for j := range col {
			res.MarginalError += max(col[j]-c.B[j], 0)
		}
		res.MarginalError += math.Abs(mass - sv.mass)
	default:
		for i := range r {
			res.MarginalError += math.Abs(r[i] - c.A[i])
		}
		for j := range col {
			res.MarginalError += math.Abs(col[j] - c.B[j])
		}
	}
	if sv.method == PartialMass || (sv.method == UnbalancedKL && sv.set.UnbalancedReg == RegEntropy) {
		for i := range r {
			res.Objective += eps * (r[i] - c.A[i]) * math.Log(c.A[i])
		}
		for j := range col {
			res.Objective += eps * (col[j] - c.B[j]) * math.Log(c.B[j])
		}
	}
	if sv.method == UnbalancedKL {
		res.Objective += klPenalty(sv.tauA, r, c.A) + klPenalty(sv.tauB, col, c.B)
	}
	sv.describe(res, hc)
	if err := finite(res); err != nil {
		return nil, err
	}
	sv.elapsed += time.Since(start)
	res.Time = sv.elapsed
	return res, nil
}

// finite refuses a Result whose summary numbers are not finite.
func finite(res *Result) error {
	for _, v := range []struct {
		name string
		x    float64
	}{{"cost", res.Cost}, {"objective", res.Objective}, {"marginal error", res.MarginalError}, {"mass", res.Mass}} {
		if math.IsNaN(v.x) || math.IsInf(v.x, 0) {
			return fmt.Errorf("%w: %s is %v at eps = %g (%s)", ErrNumerical, v.name, v.x, res.Eps, res.Status)
		}
	}
	return nil
}

// deviceSums returns the row sums, column sums and cost of the plan of
// (f, g) from the backend's reductions (for problems above
// HostCheckPairs).
func (sv *Solver) deviceSums(f, g []float64) (r, col []float64, cost float64, err error) {
	c, eps, b := sv.prob, sv.set.Eps, sv.be
	if !c.squaredCost() {
		r, col, cost = sv.hostSums(f, g)
		return r, col, cost, nil
	}
	if err := sv.rowSoftMin(sv.tn, sv.g, eps); err != nil {
		return nil, nil, 0, err
	}
	if err := sv.colSoftMin(sv.tm, sv.f, eps); err != nil {
		return nil, nil, 0, err
	}
	h := make([]float64, c.N)
	k := make([]float64, c.M)
	if err := b.Read(h, sv.tn); err != nil {
		return nil, nil, 0, err
	}
	if err := b.Read(k, sv.tm); err != nil {
		return nil, nil, 0, err
	}
	r = make([]float64, c.N)
	for i := range r {
		r[i] = c.A[i] * math.Exp((f[i]-h[i])/eps)
	}
	col = make([]float64, c.M)
	for j := range col {
		col[j] = c.B[j] * math.Exp((g[j]-k[j])/eps)
	}
	rowCost, err := rowCosts(b, Problem{X: sv.cx, Y: sv.cy, N: c.N, M: c.M, D: c.D}, sv.x, sv.y, sv.lb, sv.g, eps)
	if err != nil {
		return nil, nil, 0, err
	}
	for i := range r {
		cost += r[i] * rowCost[i]
	}
	return r, col, cost, nil
}

// klPenalty returns tau KL(r | a) = tau sum r log(r/a) - r + a, or 0 for
// tau = +Inf.
func klPenalty(tau float64, r, a []float64) float64 {
	if math.IsInf(tau, 1) {
		return 0
	}
	s := 0.0
	for i := range r {
		if r[i] > 0 {
			s += r[i] * math.Log(r[i]/a[i])
		}
		s += a[i] - r[i]
	}
	return tau * s
}

// rowCosts returns, for each row i, the mean cost sum_j p_ij |x_i - y_j|^2
// under the row-normalised plan p_ij ∝ b_j exp((g_j - C_ij)/eps), from
// one SoftMean of the values [y_j - o, |y_j - o|^2] (o the centre of the
// points, for float32 accuracy):
//
//	sum_j p_ij C_ij = |x_i - o|^2 - 2 (x_i - o).E[y - o] + E|y - o|^2.
func rowCosts(b compute.Backend, p Problem, x, y, lb, g compute.Array, eps float64) ([]float64, error) {
	d := p.D
	o := centre(p)
	v := make([]float64, p.M*(d+1))
	for j := range p.M {
		s := 0.0
		for k := range d {
			t := p.Y[j*d+k] - o[k]
			v[j*(d+1)+k] = t
			s += t * t
		}
		v[j*(d+1)+d] = s
	}
	va, err := b.Upload(v)
	if err != nil {
		return nil, err
	}
	defer b.Free(va)
	dst, err := b.Alloc(p.N * (d + 1))
	if err != nil {
		return nil, err
	}
	defer b.Free(dst)
	if err := b.SoftMean(dst, compute.Pairs{X: x, Y: y, N: p.N, M: p.M, D: d, LogW: lb, G: g, Eps: eps}, va, d+1); err != nil {
		return nil, err
	}
	mean := make([]float64, p.N*(d+1))
	if err := b.Read(mean, dst); err != nil {
		return nil, err
	}
	out := make([]float64, p.N)
	for i := range p.N {
		xx, xy := 0.0, 0.0
		for k := range d {
			t := p.X[i*d+k] - o[k]
			xx += t * t
			xy += t * mean[i*(d+1)+k]
		}
		out[i] = max(xx-2*xy+mean[i*(d+1)+d], 0)
	}
	return out, nil
}

// centre returns the mean of all points of X and Y.
func centre(p Problem) []float64 {
	o := make([]float64, p.D)
	for _, pts := range [][]float64{p.X, p.Y} {
		for i, v := range pts {
			o[i%p.D] += v
		}
	}
	for k := range o {
		o[k] /= float64(p.N + p.M)
	}
	return o
}

// solve runs a Solver to the end and returns its Result.
func solve(b compute.Backend, p Problem, s Settings) (*Result, error) {
	sv, err := NewSolver(b, p, s)
	if err != nil {
		return nil, err
	}
	defer sv.Close()
	if err := sv.Solve(); err != nil {
		return nil, err
	}
	return sv.Result()
}

// Sinkhorn solves balanced entropic OT, min_P <P, C> + eps KL(P | a x b)
// over couplings of (a, b), by log-domain Sinkhorn (Cuturi 2013; the
// log-domain form of Peyre and Cuturi 2019, Computational Optimal
// Transport, sec. 4.4, eq. (4.43); Feydy et al. 2019 for eps-scaling and
// symmetric updates). Its plan is POT's ot.sinkhorn(a, b, C,
// reg=eps, method="sinkhorn_log"). TauA/TauB/Mass must be unset.
func Sinkhorn(b compute.Backend, p Problem, s Settings) (*Result, error) {
	if (s.TauA != 0 && !math.IsInf(s.TauA, 1)) || (s.TauB != 0 && !math.IsInf(s.TauB, 1)) {
		return nil, badInput("TauA/TauB = %g/%g: finite penalties need Unbalanced", s.TauA, s.TauB)
	}
	if s.Mass != 0 {
		return nil, badInput("Mass = %g: partial transport needs Partial", s.Mass)
	}
	return solve(b, p, s)
}

// Unbalanced solves entropic unbalanced OT with KL marginal penalties
// TauA, TauB (POT's reg_m; 0 or +Inf means a hard constraint, so both
// infinite is Sinkhorn). Its plan is POT's
// ot.sinkhorn_unbalanced(a, b, C, reg=eps, reg_m=tau), the scaling
// iteration of Chizat, Peyre, Schmitzer and Vialard 2018 (Alg. 2) in the
// log domain (Sejourne et al. 2019, "Sinkhorn divergences for unbalanced
// OT", Prop. 11). Mass must be unset.
func Unbalanced(b compute.Backend, p Problem, s Settings) (*Result, error) {
	if s.Mass != 0 {
		return nil, badInput("Mass = %g: partial transport needs Partial", s.Mass)
	}
	return solve(b, p, s)
}

// Partial solves entropic partial OT: the plan of total mass m = s.Mass
// (0 means min(|a|, |b|)) with P 1 <= a and P^T 1 <= b minimising
// <P, C> + eps sum P log P, by Dykstra's iterated KL projections (Benamou
// et al. 2015, sec. 5.2) in the log domain; the plan is POT's
// ot.partial.entropic_partial_wasserstein(a, b, C, reg=eps, m=m).
// TauA/TauB must be unset; eps-scaling is not supported.
func Partial(b compute.Backend, p Problem, s Settings) (*Result, error) {
	if (s.TauA != 0 && !math.IsInf(s.TauA, 1)) || (s.TauB != 0 && !math.IsInf(s.TauB, 1)) {
		return nil, badInput("TauA/TauB = %g/%g: Partial has hard capacity constraints", s.TauA, s.TauB)
	}
	if s.Mass == 0 {
		c, err := validate(p)
		if err != nil {
			return nil, err
		}
		s.Mass = min(c.massA, c.massB)
	}
	return solve(b, p, s)
}
