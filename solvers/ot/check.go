package ot

import (
	"fmt"
	"math"
	"strings"

	"github.com/otplay/otplay/compute"
)

// This file holds what makes Converged mean something: the backend's
// precision floor, the refusal of an eps the backend cannot resolve, and
// the float64 measurement of the plan on the host that alone decides
// convergence.

// checkResolvable refuses an eps below what prec resolves for costs up to
// maxCost (compute.Precision.Resolvable), saying what to do instead.
func checkResolvable(prec compute.Precision, maxCost, eps, tol float64) error {
	if prec.Resolvable(maxCost, eps) {
		return nil
	}
	tol = judgeTol(tol)
	var b strings.Builder
	fmt.Fprintf(&b, "eps = %g with costs up to %.4g (the largest cost: the squared diameter of the data by default): %s rounding (machine epsilon %.2g) alone moves each plan entry by a factor up to exp(%.3g), so the plan would be noise. ",
		eps, maxCost, prec.Name, prec.Epsilon, prec.Floor(maxCost, eps))
	fmt.Fprintf(&b, "Use eps >= %.3g (the worst-case rounding floor stays below tol %g from eps >= %.3g)", prec.MinEps(maxCost, 1), tol, prec.MinEps(maxCost, tol))
	if prec != compute.Float64 {
		fmt.Fprintf(&b, ", or the float64 CPU backend (--backend cpu), which resolves eps >= %.3g", compute.Float64.MinEps(maxCost, 1))
	}
	b.WriteString("; at so small an eps the entropic plan is the exact OT plan, which the exact solver computes (--method exact)")
	return fmt.Errorf("%w: %s", ErrPrecision, b.String())
}

// judgeTol is the tolerance Converged is judged against: Tol, or -Tol for
// a negative (never stop early) Tol.
func judgeTol(tol float64) float64 {
	if tol < 0 {
		return -tol
	}
	return tol
}

// centredCopy returns X and Y shifted by their joint mean, so float32
// backends round coordinates relative to the data's spread rather than
// its offset (costs, and so plans and potentials, do not change).
func centredCopy(p Problem) (x, y []float64) {
	o := centre(p)
	shift := func(pts []float64) []float64 {
		out := make([]float64, len(pts))
		for i, v := range pts {
			out[i] = v - o[i%p.D]
		}
		return out
	}
	return shift(p.X), shift(p.Y)
}

// hostCheckPairs is HostCheckPairs, lowered by a test to exercise the
// sampled check on small problems.
var hostCheckPairs = HostCheckPairs

// hostCheck is a float64 measurement of the plan of (f, g) on the host
// (compute.EvalPlan), at iteration iter.
type hostCheck struct {
	iter int
	// full: every pair was evaluated, and r, col, cost hold the exact
	// float64 row sums, column sums and <P, C>.
	full   bool
	r, col []float64
	cost   float64
	// residual is the method's residual (see Result.Residual), bound the
	// value compared with Tol (residual, or a sample's estimate + 3
	// standard errors).
	residual, bound float64
	rows, cols      int // rows and columns evaluated
	massOnDevice    bool
}

// deviceMass returns sum_i a_i exp((f_i - T_b(g)_i)/eps), the plan's total
// mass from one soft-min on the backend (in its precision).
func (sv *Solver) deviceMass(f []float64) (float64, error) {
	c, eps := sv.prob, sv.set.Eps
	if err := sv.rowSoftMin(sv.tn, sv.g, eps); err != nil {
		return 0, err
	}
	h := make([]float64, c.N)
	if err := sv.be.Read(h, sv.tn); err != nil {
		return 0, err
	}
	mass := 0.0
	for i, a := range c.A {
		mass += a * math.Exp((f[i]-h[i])/eps)
	}
	return mass, nil
}

// residualName names what Result.Residual measures for a method.
func residualName(m Method) string {
	switch m {
	case UnbalancedKL:
		return "optimality residual"
	case PartialMass:
		return "constraint violation"
	}
	return "marginal error"
}

// rowTarget returns the row sum the method asks of row i at potential fi:
// a_i (hard constraint), or a_i exp(-(f_i + share eps log a_i)/tau), the
// fixed point of the KL-penalised scaling update u = (a / K v)^(tau/(tau+eps))
// (Chizat et al. 2018, Alg. 2) written in our potentials; share is 1 for
// RegEntropy and 0 for RegKL (UnbalancedReg.logWeightShare).
func rowTarget(a, fi, eps, tau, share float64) float64 {
	if math.IsInf(tau, 1) {
		return a
	}
	return a * math.Exp(-(fi+share*eps*math.Log(a))/tau)
}

// term returns the residual contribution of a row (or column) with sum s,
// weight w and potential fi.
func (sv *Solver) term(s, w, fi, tau float64) float64 {
	if sv.method == PartialMass {
		return max(s-w, 0)
	}
	return math.Abs(s - rowTarget(w, fi, sv.set.Eps, tau, sv.set.UnbalancedReg.logWeightShare()))
}

// check measures the plan of (f, g) in float64: every pair when N M <=
// HostCheckPairs, else a seeded uniform sample of rows and columns.
func (sv *Solver) check(f, g []float64) *hostCheck {
	if sv.last != nil && sv.last.iter == sv.iter {
		return sv.last
	}
	c, eps := sv.prob, sv.set.Eps
	hc := &hostCheck{iter: sv.iter}
	var rows, cols []int
	if float64(c.N)*float64(c.M) > float64(hostCheckPairs) {
		k := min(c.N, max(64, hostCheckPairs/(2*c.M)))
		l := min(c.M, max(64, hostCheckPairs/(2*c.N)))
		rows = compute.SampleIndices(c.N, k, 0x5eed)
		cols = compute.SampleIndices(c.M, l, 0x5eed+1)
	}
	ps := sv.evalPlan(f, g, eps, rows, cols)
	hc.rows, hc.cols = len(ps.RowSum), len(ps.ColSum)
	if rows == nil && cols == nil {
		hc.full = true
		hc.r, hc.col = ps.RowSum, ps.ColSum
		mass := 0.0
		for i, s := range ps.RowSum {
			hc.residual += sv.term(s, c.A[i], f[i], sv.tauA)
			hc.cost += ps.RowCost[i]
			mass += s
		}
		for j, s := range ps.ColSum {
			hc.residual += sv.term(s, c.B[j], g[j], sv.tauB)
		}
		if sv.method == PartialMass {
			hc.residual += math.Abs(mass - sv.mass)
		}
		hc.bound = hc.residual
	} else {
		re := make([]float64, len(rows))
		for t, i := range rows {
			re[t] = sv.term(ps.RowSum[t], c.A[i], f[i], sv.tauA)
		}
		ce := make([]float64, len(cols))
		for t, j := range cols {
			ce[t] = sv.term(ps.ColSum[t], c.B[j], g[j], sv.tauB)
		}
		er, sr := sampleTotal(re, c.N)
		ec, sc := sampleTotal(ce, c.M)
		hc.residual = er + ec
		v := sr*sr + sc*sc
		if sv.method == PartialMass {
			// A sample estimates the total mass too poorly (rows at their
			// capacity next to empty ones): it comes from the backend's
			// soft-min over every pair, summed on the host.
			if mass, err := sv.deviceMass(f); err == nil {
				hc.residual += math.Abs(mass - sv.mass)
				hc.massOnDevice = true
			} else {
				hc.residual = math.Inf(1)
			}
		}
		hc.bound = hc.residual + 3*math.Sqrt(v)
	}
	sv.last = hc
	return hc
}

// sampleTotal estimates sum over a population of n values from a uniform
// sample without replacement: n mean(v), and its standard error n sd(v)
// sqrt((1 - k/n)/k).
func sampleTotal(v []float64, n int) (est, se float64) {
	k := len(v)
	if k == 0 {
		return 0, math.Inf(1)
	}
	mean := 0.0
	for _, x := range v {
		mean += x
	}
	mean /= float64(k)
	if k == 1 {
		return float64(n) * mean, float64(n) * math.Abs(mean)
	}
	ss := 0.0
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / float64(k-1))
	fpc := math.Max(0, 1-float64(k)/float64(n))
	return float64(n) * mean, float64(n) * sd * math.Sqrt(fpc/float64(k))
}

// judge updates converged and stalled after a device residual res: when
// res meets Tol, the float64 host check decides. After a failed check the
// iteration goes on while the device residual keeps falling (checking
// again each time it has halved); it is Stalled once the device residual
// reads 0 or stops falling: the backend's rounding floor.
func (sv *Solver) judge(res float64) error {
	prev := sv.prevRes
	sv.prevRes = res
	sv.converged = false
	if sv.set.Tol < 0 || res > sv.set.Tol {
		return nil
	}
	if sv.verifiedAt >= 0 {
		switch {
		case res == 0 || !(res < prev):
			sv.stalled = true
			return nil
		case !(res < sv.verifiedAt/2):
			return nil // falling: iterate on, check when halved
		}
	}
	f, g, err := sv.Potentials()
	if err != nil {
		return err
	}
	hc := sv.check(f, g)
	if math.IsNaN(hc.bound) || math.IsInf(hc.bound, 0) {
		sv.stalled = true
		return nil
	}
	sv.converged = hc.bound <= sv.set.Tol
	if !sv.converged {
		sv.verifiedAt = res
		if res == 0 {
			sv.stalled = true // a fixed point of the rounded iteration
		}
	}
	return nil
}

// describe fills the Result's precision, check and status fields.
func (sv *Solver) describe(res *Result, hc *hostCheck) {
	c := sv.prob
	tol := judgeTol(sv.set.Tol)
	res.Tol = tol
	res.Precision = sv.prec.Name
	res.MaxCost = sv.maxCost
	res.PrecisionFloor = sv.prec.Floor(sv.maxCost, res.Eps)
	res.Residual, res.ResidualBound = hc.residual, hc.bound
	res.Converged = hc.bound <= tol
	if hc.full {
		res.Check = fmt.Sprintf("float64 on the host over all %d x %d pairs", c.N, c.M)
	} else {
		sums := fmt.Sprintf("cost and objective from the backend's %s reductions", sv.prec.Name)
		if !c.squaredCost() {
			sums = hostSumsCheck
		}
		res.Check = fmt.Sprintf("float64 on the host over a uniform sample of %d of %d rows and %d of %d columns: the estimate %.3g plus 3 standard errors, %.3g, is compared with tol; %s",
			hc.rows, c.N, hc.cols, c.M, hc.residual, hc.bound, sums)
		if hc.massOnDevice {
			res.Check += ", and so is the total mass in the residual"
		}
	}
	if len(sv.errors) > 0 {
		res.DeviceResidual = sv.errors[len(sv.errors)-1]
	} else {
		res.DeviceResidual = math.NaN()
	}
	name := residualName(sv.method)
	cmp := "<="
	if !res.Converged {
		cmp = ">"
	}
	var b strings.Builder
	switch {
	case sv.set.Tol < 0:
		fmt.Fprintf(&b, "ran all %d iterations (never stop early): float64 %s %.3g %s %g", sv.iter, name, hc.bound, cmp, tol)
	case res.Converged:
		fmt.Fprintf(&b, "converged: float64 %s %.3g <= tol %g after %d iterations", name, hc.bound, tol, sv.iter)
	default:
		fmt.Fprintf(&b, "not converged after %d iterations: float64 %s %.3g > tol %g", sv.iter, name, hc.bound, tol)
	}
	if !res.Converged {
		floor := res.PrecisionFloor
		// The backend's rounding hides the rest when its own residual met
		// tol, or reads far (10x) below what float64 measures.
		atFloor := sv.stalled || (len(sv.errors) > 0 && (res.DeviceResidual <= tol || 10*res.DeviceResidual < hc.bound))
		switch {
		case atFloor:
			fmt.Fprintf(&b, "; the backend's own residual reads %.3g, but that compares values rounded alike: %s rounding (floor about %.2g for costs up to %.3g at eps = %g) hides the rest", res.DeviceResidual, sv.prec.Name, floor, sv.maxCost, res.Eps)
			b.WriteString(sv.precisionAdvice(tol))
		case sv.set.Tol >= 0:
			b.WriteString("; raise MaxIter")
			switch {
			case sv.method == PartialMass:
			case sv.set.Scaling == 0:
				b.WriteString(", turn on eps-scaling with iterated stages (Scaling 0.5, StageTol 1e-3)")
			case sv.set.StageTol == 0:
				b.WriteString(", iterate each eps-scaling stage (StageTol 1e-3)")
			}
			b.WriteString(" or use a larger eps")
			if floor > tol {
				fmt.Fprintf(&b, " (the %s rounding floor here is about %.2g, above tol", sv.prec.Name, floor)
				if sv.prec != compute.Float64 {
					fmt.Fprintf(&b, "; float64's is %.2g", compute.Float64.Floor(sv.maxCost, res.Eps))
				}
				b.WriteString(")")
			}
		}
	}
	res.Status = b.String()
}

// precisionAdvice says what to do when rounding hides the rest of the
// error.
func (sv *Solver) precisionAdvice(tol float64) string {
	if sv.prec != compute.Float64 {
		return fmt.Sprintf(": use the float64 CPU backend (--backend cpu; floor about %.2g), a larger eps, or tol above the error reached", compute.Float64.Floor(sv.maxCost, sv.set.Eps))
	}
	return fmt.Sprintf(": use a larger eps (float64 meets tol %g from eps >= about %.2g) or a larger tol", tol, compute.Float64.MinEps(sv.maxCost, tol))
}
