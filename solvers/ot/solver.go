package ot

import (
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
)

// Method names the entropic problem a Solver solves.
type Method int

const (
	// Balanced is entropic OT with hard marginal constraints.
	Balanced Method = iota
	// UnbalancedKL replaces the constraints by KL penalties TauA, TauB.
	UnbalancedKL
	// PartialMass transports a total mass Settings.Mass.
	PartialMass
)

func (m Method) String() string {
	switch m {
	case Balanced:
		return "sinkhorn"
	case UnbalancedKL:
		return "unbalanced"
	case PartialMass:
		return "partial"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Solver is the stepping form of the entropic solvers, for callers that
// animate or interleave the iterations (the browser UI): NewSolver
// uploads the problem, Step advances, Potentials and Errors expose the
// state, Result summarises it. Sinkhorn, Unbalanced and Partial are
// NewSolver + Solve + Result.
//
// All the work of an iteration runs on the Backend; only the residual
// checks (every Settings.CheckEvery iterations) and Potentials/Result read
// data back. A Solver is not safe for concurrent use; Close frees its
// device arrays.
type Solver struct {
	be     compute.Backend
	prob   checked
	set    Settings
	method Method
	tauA   float64 // TauA, +Inf when balanced
	tauB   float64
	mass   float64 // Partial's m

	sched []float64 // eps-scaling stages above the target eps
	// stage indexes sched (len(sched): at the target eps); stageIter
	// counts the iterations of the current stage, finalStart is the
	// iteration count when the target eps was reached.
	stage, stageIter, finalStart int

	// Device arrays. f, g are the potentials in the convention
	// P_ij = a_i b_j exp((f_i + g_j - C_ij) / eps).
	x, y         compute.Array
	cm           compute.Array // the dense cost matrix (Problem.Cost), or nil
	la, lb       compute.Array // log a, log b
	wa, wb       compute.Array // a, b
	f, g         compute.Array
	fn, gn       compute.Array // next (balanced) or previous (others) potentials
	tn, tm       compute.Array // scratch N, M
	tn2, tm2     compute.Array
	lq1, lq2     compute.Array // Dykstra corrections of Partial (log, per row / column)
	ones, scalar compute.Array // Partial's mass reduction

	haveNext  bool // balanced alternating: fn already holds T(g)
	iter      int
	converged bool // the float64 host check met Tol (see verify)
	// stalled: the backend's residual met Tol but the float64 check did
	// not, and it stopped improving (the backend's rounding floor).
	stalled bool
	// verifiedAt is the device residual of the last failed float64 check
	// (-1: none); a new check runs only once it has halved.
	verifiedAt float64
	prevRes    float64    // the device residual of the previous check
	last       *hostCheck // the latest float64 check, at last.iter

	prec     compute.Precision
	maxCost  float64   // a bound on |C_ij| (maxCostOf)
	cx, cy   []float64 // X and Y centred on their joint mean (uploaded)
	errors   []float64
	errIters []int
	elapsed  time.Duration
	closed   bool
}

// NewSolver validates p and s, uploads the problem to b and returns a
// Solver positioned before the first iteration. The method follows from
// s: Mass > 0 means Partial, a finite TauA or TauB means Unbalanced,
// otherwise Balanced.
func NewSolver(b compute.Backend, p Problem, s Settings) (*Solver, error) {
	if b == nil {
		return nil, badInput("backend is nil")
	}
	set, err := s.withDefaults()
	if err != nil {
		return nil, err
	}
	c, err := validate(p)
	if err != nil {
		return nil, err
	}
	sv := &Solver{be: b, prob: c, set: set, tauA: set.TauA, tauB: set.TauB, verifiedAt: -1, prevRes: math.Inf(1)}
	sv.prec = compute.PrecisionOf(b.Info())
	sv.maxCost = maxCostOf(c.Problem)
	if err := checkResolvable(sv.prec, sv.maxCost, set.Eps, set.Tol); err != nil {
		return nil, err
	}
	if c.Cost == nil {
		sv.cx, sv.cy = centredCopy(c.Problem)
	}
	unbalanced := !math.IsInf(set.TauA, 1) || !math.IsInf(set.TauB, 1)
	switch {
	case set.Mass > 0 && unbalanced:
		return nil, badInput("Mass = %g and TauA/TauB = %g/%g: partial and unbalanced OT cannot be combined", set.Mass, set.TauA, set.TauB)
	case set.Mass > 0:
		sv.method = PartialMass
	case unbalanced:
		sv.method = UnbalancedKL
	default:
		sv.method = Balanced
	}
	if sv.method == Balanced {
		if err := requireEqualMass(c); err != nil {
			return nil, err
		}
	}
	if sv.method == PartialMass {
		limit := min(c.massA, c.massB)
		if set.Mass > limit*(1+1e-12) {
			return nil, badInput("Mass = %g outside (0, min(|a|, |b|) = %g]", set.Mass, limit)
		}
		sv.mass = min(set.Mass, limit)
		if set.Scaling != 0 {
			return nil, badInput("Scaling = %g: eps-scaling is not supported by Partial (Dykstra's corrections assume one eps)", set.Scaling)
		}
	}
	if set.Symmetric && sv.method != Balanced {
		return nil, badInput("Symmetric updates are for balanced problems only (method %v)", sv.method)
	}
	if set.F != nil && len(set.F) != c.N {
		return nil, badInput("warm start F has %d values, want N = %d", len(set.F), c.N)
	}
	if set.G != nil && len(set.G) != c.M {
		return nil, badInput("warm start G has %d values, want M = %d", len(set.G), c.M)
	}
	if err := checkFinite("warm start F", set.F); err != nil {
		return nil, err
	}
	if err := checkFinite("warm start G", set.G); err != nil {
		return nil, err
	}
	if set.Scaling > 0 && set.F == nil && set.G == nil {
		sv.sched = epsSchedule(sv.maxCost, set.Eps, set.Scaling)
	}
	start := time.Now()
	if err := sv.upload(); err != nil {
		sv.Close()
		return nil, err
	}
	sv.elapsed += time.Since(start)
	return sv, nil
}

// epsSchedule returns GeomLoss's annealing stages above the target:
// maxCost * scaling^(2k) for k = 0, 1, ... while above target. maxCost is
// the scale of the costs (maxCostOf): diameter^2 for |x - y|^2, as in
// GeomLoss; diameter^P for |x - y|^P; max |C_ij| for a cost matrix.
func epsSchedule(maxCost, target, scaling float64) []float64 {
	var s []float64
	for e := maxCost; e > target && len(s) < 200; e *= scaling * scaling {
		s = append(s, e)
	}
	return s
}

func logs(w []float64) []float64 {
	l := make([]float64, len(w))
	for i, t := range w {
		l[i] = math.Log(t)
	}
	return l
}

func (sv *Solver) upload() error {
	b, c := sv.be, sv.prob
	var err error
	up := func(dst *compute.Array, v []float64) {
		if err == nil {
			*dst, err = b.Upload(v)
		}
	}
	alloc := func(dst *compute.Array, n int) {
		if err == nil {
			*dst, err = b.Alloc(n)
		}
	}
	err = sv.uploadPoints()
	up(&sv.la, logs(c.A))
	up(&sv.lb, logs(c.B))
	up(&sv.wa, c.A)
	up(&sv.wb, c.B)
	for _, a := range []*compute.Array{&sv.f, &sv.fn, &sv.tn, &sv.tn2} {
		alloc(a, c.N)
	}
	for _, a := range []*compute.Array{&sv.g, &sv.gn, &sv.tm, &sv.tm2} {
		alloc(a, c.M)
	}
	if err != nil {
		return err
	}
	if sv.set.F != nil {
		if err := b.Write(sv.f, sv.set.F); err != nil {
			return err
		}
	}
	if sv.set.G != nil {
		if err := b.Write(sv.g, sv.set.G); err != nil {
			return err
		}
	}
	if sv.method == PartialMass {
		return sv.initPartial()
	}
	return nil
}

// initPartial starts POT's entropic_partial_wasserstein from its
// K = exp(-C/eps) m / sum(K), i.e. F = eps log(m / sum K), G = 0 in the
// plan P = exp((F_i + G_j - C_ij)/eps); in our convention f = F - eps log a,
// g = -eps log b.
func (sv *Solver) initPartial() error {
	b, c, eps := sv.be, sv.prob, sv.set.Eps
	var err error
	for _, a := range []*compute.Array{&sv.lq1} {
		if err == nil {
			*a, err = b.Alloc(c.N)
		}
	}
	for _, a := range []*compute.Array{&sv.lq2} {
		if err == nil {
			*a, err = b.Alloc(c.M)
		}
	}
	if err == nil {
		sv.scalar, err = b.Alloc(1)
	}
	if err == nil {
		ones := make([]float64, c.M)
		for i := range ones {
			ones[i] = 1
		}
		sv.ones, err = b.Upload(ones)
	}
	if err != nil {
		return err
	}
	if sv.set.F != nil || sv.set.G != nil {
		return nil // warm start: the given potentials, zero corrections
	}
	// h_i = -eps log sum_j exp(-C_ij/eps); log sum K = logsumexp_i(-h_i/eps).
	if err := b.SoftMin(sv.tn, sv.pairs(nil, nil, eps)); err != nil {
		return err
	}
	h := make([]float64, c.N)
	if err := b.Read(h, sv.tn); err != nil {
		return err
	}
	mx := math.Inf(-1)
	for _, v := range h {
		mx = max(mx, -v/eps)
	}
	s := 0.0
	for _, v := range h {
		s += math.Exp(-v/eps - mx)
	}
	logSumK := mx + math.Log(s)
	F0 := eps * (math.Log(sv.mass) - logSumK)
	if err := b.Map(sv.f, compute.MapArgs{Op: compute.OpAxpby, X: sv.f, Y: sv.la, A: 0, B: -eps, C: F0}); err != nil {
		return err
	}
	return b.Map(sv.g, compute.MapArgs{Op: compute.OpAxpby, X: sv.g, Y: sv.lb, A: 0, B: -eps})
}

// Close frees the Solver's device arrays (idempotent).
func (sv *Solver) Close() {
	if sv == nil || sv.closed {
		return
	}
	sv.closed = true
	for _, a := range []compute.Array{sv.x, sv.y, sv.cm, sv.la, sv.lb, sv.wa, sv.wb, sv.f, sv.g, sv.fn, sv.gn,
		sv.tn, sv.tm, sv.tn2, sv.tm2, sv.lq1, sv.lq2, sv.ones, sv.scalar} {
		sv.be.Free(a)
	}
}

// Method returns the problem being solved.
func (sv *Solver) Method() Method { return sv.method }

// Iterations returns the number of iterations done so far.
func (sv *Solver) Iterations() int { return sv.iter }

// Converged reports whether the latest residual check met Settings.Tol,
// verified in float64 on the host (see Result.Residual): the backend's
// own residual meeting Tol is not enough.
func (sv *Solver) Converged() bool { return sv.converged }

// Stalled reports that the backend's residual met Tol but the float64
// check did not, and further iterations stopped improving it: the
// backend's rounding floor (Result.Status says more). Solve stops there.
func (sv *Solver) Stalled() bool { return sv.stalled }

// Errors returns the residual of every check so far and the iteration
// count at each (see Result.Errors). The slices are shared; do not modify.
func (sv *Solver) Errors() (residuals []float64, iters []int) { return sv.errors, sv.errIters }

// Eps returns the eps the next iteration uses (above the target while
// eps-scaling).
func (sv *Solver) Eps() float64 {
	if sv.stage < len(sv.sched) {
		return sv.sched[sv.stage]
	}
	return sv.set.Eps
}

// Settings returns the settings in use, defaults filled in.
func (sv *Solver) Settings() Settings { return sv.set }

// Solve steps until the residual meets Settings.Tol (verified in
// float64), the iteration stalls at the backend's precision floor, or
// MaxIter iterations are done. Not converging is not an error (see
// Converged and Result.Status).
func (sv *Solver) Solve() error {
	for sv.iter < sv.set.MaxIter && !sv.converged && !sv.stalled {
		if err := sv.Step(1); err != nil {
			return err
		}
	}
	return nil
}

// Step advances k iterations. Every iteration whose count since the end of
// eps-scaling is a multiple of CheckEvery ends with a residual check (one
// number read back), appended to Errors. When that residual meets Tol the
// potentials are read back and the plan's residual is measured in float64
// on the host (Result.Residual); Converged follows that measurement, and
// Stalled is set when the backend keeps claiming Tol that float64 does
// not confirm. (At a fixed point of the backend's rounded iteration its
// own residual reads exactly 0 whatever the true error: it compares two
// values computed by the same rounded map.) Step does not stop at
// convergence or at MaxIter: the caller decides. It returns ErrNumerical
// if a residual is NaN or infinite.
func (sv *Solver) Step(k int) error {
	if sv.closed {
		return badInput("Step on a closed Solver")
	}
	if k < 0 {
		return badInput("Step(%d): k must be >= 0", k)
	}
	start := time.Now()
	defer func() { sv.elapsed += time.Since(start) }()
	for range k {
		eps := sv.Eps()
		inStage := sv.stage < len(sv.sched)
		var check bool
		if inStage {
			// GeomLoss: one iteration per stage; with StageTol, iterate
			// until the stage's residual meets it (or its budget ends).
			check = sv.set.StageTol > 0 && (sv.stageIter+1)%sv.set.CheckEvery == 0
		} else {
			check = (sv.iter+1-sv.finalStart)%sv.set.CheckEvery == 0
		}
		var res float64
		var err error
		switch {
		case sv.method == Balanced && sv.set.Symmetric:
			res, err = sv.iterSymmetric(eps, check)
		case sv.method == Balanced:
			res, err = sv.iterBalanced(eps, check)
		default:
			res, err = sv.iterGeneral(eps, check)
		}
		if err != nil {
			return err
		}
		sv.iter++
		if inStage {
			sv.stageIter++
			if check && (math.IsNaN(res) || math.IsInf(res, 0)) {
				return fmt.Errorf("%w: residual %v at iteration %d (eps-scaling stage eps = %g; try a larger eps or the CPU backend)", ErrNumerical, res, sv.iter, eps)
			}
			if sv.set.StageTol == 0 || (check && res <= sv.set.StageTol) || sv.stageIter >= sv.stageBudget() {
				sv.stage++
				sv.stageIter = 0
				sv.haveNext = false // a precomputed T(g) belongs to the old eps
				if sv.stage == len(sv.sched) {
					sv.finalStart = sv.iter
				}
			}
			continue
		}
		if check {
			if math.IsNaN(res) || math.IsInf(res, 0) {
				return fmt.Errorf("%w: residual %v at iteration %d (eps = %g; try a larger eps or the CPU backend)", ErrNumerical, res, sv.iter, eps)
			}
			sv.errors = append(sv.errors, res)
			sv.errIters = append(sv.errIters, sv.iter)
			if err := sv.judge(res); err != nil {
				return err
			}
			if sv.set.Progress != nil {
				sv.set.Progress(sv.iter, sv.set.MaxIter, res)
			}
		}
	}
	return nil
}

// stageBudget is the most iterations one eps-scaling stage may take with
// StageTol: the stages share half of MaxIter (at least CheckEvery each).
func (sv *Solver) stageBudget() int {
	return max(sv.set.CheckEvery, sv.set.MaxIter/(2*max(1, len(sv.sched))))
}

// rowSoftMin sets dst_i = -eps log sum_j b_j exp((g_j - C_ij)/eps), the
// c-transform of g (Feydy et al. 2019, eq. (8)).
func (sv *Solver) rowSoftMin(dst, g compute.Array, eps float64) error {
	return sv.be.SoftMin(dst, sv.pairs(sv.lb, g, eps))
}

// colSoftMin sets dst_j = -eps log sum_i a_i exp((f_i - C_ij)/eps).
func (sv *Solver) colSoftMin(dst, f compute.Array, eps float64) error {
	return sv.be.SoftMin(dst, sv.pairs(nil, nil, eps).Swap(sv.la, f))
}

// relErr returns sum_i w_i |exp((cur_i - next_i)/eps) - 1| using tmp.
// With next = T(cur's partner) it is the L1 marginal error of the plan;
// with next = the previous value it is a relative change of the scaling.
func (sv *Solver) relErr(tmp, cur, next, w compute.Array, eps float64) (float64, error) {
	b := sv.be
	if err := b.Map(tmp, compute.MapArgs{Op: compute.OpExp, X: cur, Y: next, A: 1 / eps, B: -1 / eps}); err != nil {
		return 0, err
	}
	if err := b.Map(tmp, compute.MapArgs{Op: compute.OpAbs, X: tmp, A: 1, C: -1}); err != nil {
		return 0, err
	}
	if err := b.Map(tmp, compute.MapArgs{Op: compute.OpMul, X: tmp, Y: w, A: 1}); err != nil {
		return 0, err
	}
	return b.Sum(tmp)
}

// iterBalanced is one alternating log-domain Sinkhorn iteration
// (Peyre and Cuturi 2019, Computational OT, eq. (4.43)):
// f <- T_b(g), g <- T_a(f). A check computes the next f = T_b(g) ahead and
// returns |P 1 - a|_1 of the current plan (its columns are exact after the
// g-update), reusing that f for the next iteration.
func (sv *Solver) iterBalanced(eps float64, check bool) (float64, error) {
	if sv.haveNext {
		sv.f, sv.fn = sv.fn, sv.f
		sv.haveNext = false
	} else if err := sv.rowSoftMin(sv.f, sv.g, eps); err != nil {
		return 0, err
	}
	if err := sv.colSoftMin(sv.g, sv.f, eps); err != nil {
		return 0, err
	}
	if !check {
		return 0, nil
	}
	if err := sv.rowSoftMin(sv.fn, sv.g, eps); err != nil {
		return 0, err
	}
	sv.haveNext = true
	return sv.relErr(sv.tn, sv.f, sv.fn, sv.wa, eps)
}

// iterSymmetric is GeomLoss's symmetric update (Feydy et al. 2019, eq.
// (19)): f <- (f + T_b(g))/2, g <- (g + T_a(f))/2 from the same old pair.
// A check returns the full marginal error of the old plan.
func (sv *Solver) iterSymmetric(eps float64, check bool) (float64, error) {
	b := sv.be
	if err := sv.rowSoftMin(sv.fn, sv.g, eps); err != nil {
		return 0, err
	}
	if err := sv.colSoftMin(sv.gn, sv.f, eps); err != nil {
		return 0, err
	}
	var res float64
	if check {
		r, err := sv.relErr(sv.tn, sv.f, sv.fn, sv.wa, eps)
		if err != nil {
			return 0, err
		}
		c, err := sv.relErr(sv.tm, sv.g, sv.gn, sv.wb, eps)
		if err != nil {
			return 0, err
		}
		res = r + c
	}
	if err := b.Map(sv.f, compute.MapArgs{Op: compute.OpAxpby, X: sv.f, Y: sv.fn, A: 0.5, B: 0.5}); err != nil {
		return 0, err
	}
	return res, b.Map(sv.g, compute.MapArgs{Op: compute.OpAxpby, X: sv.g, Y: sv.gn, A: 0.5, B: 0.5})
}

// iterGeneral is one iteration of Unbalanced or Partial. A check keeps the
// previous potentials and returns the relative change of the scalings
// sum_i a_i |exp((f_i - f'_i)/eps) - 1| + sum_j b_j |exp((g_j - g'_j)/eps) - 1|.
func (sv *Solver) iterGeneral(eps float64, check bool) (float64, error) {
	b := sv.be
	if check {
		if err := b.Copy(sv.fn, sv.f); err != nil {
			return 0, err
		}
		if err := b.Copy(sv.gn, sv.g); err != nil {
			return 0, err
		}
	}
	var err error
	if sv.method == UnbalancedKL {
		err = sv.stepUnbalanced(eps)
	} else {
		err = sv.stepPartial(eps)
	}
	if err != nil || !check {
		return 0, err
	}
	r, err := sv.relErr(sv.tn, sv.f, sv.fn, sv.wa, eps)
	if err != nil {
		return 0, err
	}
	c, err := sv.relErr(sv.tm, sv.g, sv.gn, sv.wb, eps)
	return r + c, err
}

// kappa returns tau/(tau+eps), 1 for tau = +Inf.
func kappa(tau, eps float64) float64 {
	if math.IsInf(tau, 1) {
		return 1
	}
	return tau / (tau + eps)
}

// stepUnbalanced is POT's sinkhorn_knopp_unbalanced iteration
// u = (a / K v)^k, v = (b / K^T u)^k with k = tau/(tau+eps) (Chizat,
// Peyre, Schmitzer, Vialard 2018, "Scaling algorithms for unbalanced
// transport problems", Alg. 2 with the KL proximal operator), in the log
// domain. With u = a e^{f/eps}, v = b e^{g/eps}:
//
//	f = k T_b(g) + (k - 1) eps log a,   g = k T_a(f) + (k - 1) eps log b.
//
// For RegKL the kernel carries a_i b_j and u = e^{f/eps}: the log terms
// drop, f = k T_b(g), g = k T_a(f).
func (sv *Solver) stepUnbalanced(eps float64) error {
	b := sv.be
	ka, kb := kappa(sv.tauA, eps), kappa(sv.tauB, eps)
	share := sv.set.UnbalancedReg.logWeightShare() // RegKL: no log a term
	if err := sv.rowSoftMin(sv.tn, sv.g, eps); err != nil {
		return err
	}
	if err := b.Map(sv.f, compute.MapArgs{Op: compute.OpAxpby, X: sv.tn, Y: sv.la, A: ka, B: share * (ka - 1) * eps}); err != nil {
		return err
	}
	if err := sv.colSoftMin(sv.tm, sv.f, eps); err != nil {
		return err
	}
	return b.Map(sv.g, compute.MapArgs{Op: compute.OpAxpby, X: sv.tm, Y: sv.lb, A: kb, B: share * (kb - 1) * eps})
}

// stepPartial is one cycle of POT's entropic_partial_wasserstein: Dykstra's
// algorithm with three KL projections (Benamou, Carlier, Cuturi, Nenna,
// Peyre 2015, "Iterative Bregman projections", sec. 5.2 and eq. (21)):
// onto {P 1 <= a}, {P^T 1 <= b} and {sum P = m}. The corrections q1, q2
// of POT are diagonal scalings, kept as log vectors lq1, lq2; the mass
// constraint is affine and needs none. In the log domain, with
// h = T_b(g) (row sums r = a e^{(f-h)/eps}):
//
//	f' = f + eps lq1,  f = min(h, f'),  lq1 = (f' - f)/eps
//
// and the same for g with T_a(f); then f += eps log(m / sum P).
func (sv *Solver) stepPartial(eps float64) error {
	b, n := sv.be, sv.prob.N
	steps := []func() error{
		func() error { return sv.rowSoftMin(sv.tn, sv.g, eps) },
		func() error {
			return b.Map(sv.tn2, compute.MapArgs{Op: compute.OpAxpby, X: sv.f, Y: sv.lq1, A: 1, B: eps})
		},
		func() error { return b.Map(sv.f, compute.MapArgs{Op: compute.OpMin, X: sv.tn, Y: sv.tn2, A: 1, B: 1}) },
		func() error {
			return b.Map(sv.lq1, compute.MapArgs{Op: compute.OpAxpby, X: sv.tn2, Y: sv.f, A: 1 / eps, B: -1 / eps})
		},
		func() error { return sv.colSoftMin(sv.tm, sv.f, eps) },
		func() error {
			return b.Map(sv.tm2, compute.MapArgs{Op: compute.OpAxpby, X: sv.g, Y: sv.lq2, A: 1, B: eps})
		},
		func() error { return b.Map(sv.g, compute.MapArgs{Op: compute.OpMin, X: sv.tm, Y: sv.tm2, A: 1, B: 1}) },
		func() error {
			return b.Map(sv.lq2, compute.MapArgs{Op: compute.OpAxpby, X: sv.tm2, Y: sv.g, A: 1 / eps, B: -1 / eps})
		},
		// Column sums after the projections: c_j = b_j exp((g_j - T_a(f)_j)/eps).
		func() error {
			return b.Map(sv.tm2, compute.MapArgs{Op: compute.OpAxpby, X: sv.g, Y: sv.tm, A: 1, B: -1})
		},
		func() error {
			return b.Map(sv.tm2, compute.MapArgs{Op: compute.OpExp, X: sv.tm2, Y: sv.lb, A: 1 / eps, B: 1})
		},
		// Total mass on the device (a 1 x M x 1 product), no readback.
		func() error { return b.MatMul(sv.scalar, sv.ones, sv.tm2, 1, sv.prob.M, 1, false, false) },
		func() error {
			return b.Map(sv.scalar, compute.MapArgs{Op: compute.OpLog, X: sv.scalar, A: 1 / sv.mass})
		},
		func() error {
			return b.Map(sv.f, compute.MapArgs{Op: compute.OpAxpby, X: sv.f, Y: sv.scalar, YDiv: n, A: 1, B: -eps})
		},
	}
	for _, st := range steps {
		if err := st(); err != nil {
			return err
		}
	}
	return nil
}

// Potentials reads the current potentials (f, g) back from the device, in
// the convention of Result.F/G.
func (sv *Solver) Potentials() (f, g []float64, err error) {
	if sv.closed {
		return nil, nil, badInput("Potentials on a closed Solver")
	}
	f = make([]float64, sv.prob.N)
	g = make([]float64, sv.prob.M)
	if err = sv.be.Read(f, sv.f); err != nil {
		return nil, nil, err
	}
	if err = sv.be.Read(g, sv.g); err != nil {
		return nil, nil, err
	}
	return f, g, nil
}
