package diffusion

import (
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
)

// Dormand and Prince 1980 ("A family of embedded Runge-Kutta formulae",
// J. Comp. Appl. Math. 6), the DOPRI5 tableau of Hairer, Norsett and
// Wanner, "Solving Ordinary Differential Equations I", Table II.5.2: a
// fifth-order solution with a fourth-order embedded one, FSAL.
var (
	dpC = [7]float64{0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1}
	dpA = [7][6]float64{
		{},
		{1.0 / 5},
		{3.0 / 40, 9.0 / 40},
		{44.0 / 45, -56.0 / 15, 32.0 / 9},
		{19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
		{9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
		{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
	}
	// dpE = b (fifth order) - b* (fourth order).
	dpE = [7]float64{
		35.0/384 - 5179.0/57600, 0, 500.0/1113 - 7571.0/16695, 125.0/192 - 393.0/640,
		-2187.0/6784 + 92097.0/339200, 11.0/84 - 187.0/2100, -1.0 / 40,
	}
)

// Step-size control constants (Hairer et al., II.4, eq. (4.13)): safety
// factor 0.9, growth limited to [0.2, 5] (no growth right after a
// rejection).
const (
	adaptSafety = 0.9
	adaptMinFac = 0.2
	adaptMaxFac = 5.0
)

// atLambda returns the Time of half log-SNR lambda on schedule s: alpha^2
// = sigmoid(2 lambda), sigma^2 = sigmoid(-2 lambda), t by TimeOfLambda.
func atLambda(s Schedule, lambda float64) Time {
	return Time{T: TimeOfLambda(s, lambda), Alpha: math.Exp(-0.5 * softplus(-2*lambda)), Sigma: math.Exp(-0.5 * softplus(2*lambda))}
}

// adaptive integrates the probability-flow ODE in lambda. From the form
// of the DPM-Solver++ derivation (package documentation), dx/dlambda = (d log sigma/d lambda) x + alpha D, and in VP
// d log sigma/d lambda = -alpha^2, so
//
//	dx/dlambda = alpha (D(x, lambda) - alpha x),
//
// a right-hand side of size O(|x|) over the whole range (in t it is stiff
// near t = 0). DOPRI5 steps from lambda(TStart) to lambda(TEnd); a step is
// accepted when the RMS of err_i / (ATol + RTol max(|x_i|, |x_new_i|)) is
// at most 1, and the next step is h * clamp(0.9 err^(-1/5), 0.2, 5). The
// first trial step is (lambda_end - lambda_start)/Steps. NFE is 6 per trial
// step plus 1 (first-same-as-last reuses the seventh stage).
func (r *run) adaptive() error {
	l0, l1 := Lambda(r.s, r.set.TStart), Lambda(r.s, r.set.TEnd)
	steps := max(r.set.Steps, 1)
	h := (l1 - l0) / float64(steps)
	arrs, err := r.allocN(7 + 5)
	if err != nil {
		return err
	}
	k := arrs[:7]
	stage, xnew, errv, sc1, sc2 := arrs[7], arrs[8], arrs[9], arrs[10], arrs[11]
	nd := float64(r.n * r.d)
	// f writes dx/dlambda at (x, lambda) into dst, using sc1 for D.
	f := func(dst, x compute.Array, lambda float64) error {
		at := atLambda(r.s, lambda)
		if err := r.dn.eval(sc1, x, at); err != nil {
			return err
		}
		return r.b.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: sc1, Y: x, A: at.Alpha, B: -at.Alpha * at.Alpha})
	}
	lam := l0
	if err := f(k[0], r.x, lam); err != nil {
		return err
	}
	trials, rejectedLast := 0, false
	for lam < l1 {
		if trials >= r.set.MaxSteps {
			return fmt.Errorf("diffusion: ode-adaptive: %d trial steps reached lambda = %.6g of %.6g (t = %.6g of %.6g); raise MaxSteps or the tolerances",
				trials, lam, l1, TimeOfLambda(r.s, lam), r.set.TEnd)
		}
		trials++
		last := false
		if lam+h >= l1 || (l1-lam-h) < 1e-12*math.Abs(l1) {
			h, last = l1-lam, true
		}
		for j := 1; j < 7; j++ {
			terms := []term{{1, r.x}}
			for l := 0; l < j; l++ {
				if a := dpA[j][l]; a != 0 {
					terms = append(terms, term{h * a, k[l]})
				}
			}
			dst := stage
			if j == 6 {
				dst = xnew // row 7 of A is b: the stage-7 input is the fifth-order solution
			}
			if err := r.lin(dst, terms...); err != nil {
				return err
			}
			if err := f(k[j], dst, lam+dpC[j]*h); err != nil {
				return err
			}
		}
		// Error estimate and its scaled RMS norm.
		var et []term
		for l, e := range dpE {
			et = append(et, term{h * e, k[l]})
		}
		if err := r.lin(errv, et...); err != nil {
			return err
		}
		if err := r.b.Map(sc1, compute.MapArgs{Op: compute.OpAbs, X: r.x}); err != nil {
			return err
		}
		if err := r.b.Map(sc2, compute.MapArgs{Op: compute.OpAbs, X: xnew}); err != nil {
			return err
		}
		if err := r.b.Map(stage, compute.MapArgs{Op: compute.OpMax, X: sc1, Y: sc2, A: r.set.RTol, B: r.set.RTol, C: r.set.ATol}); err != nil {
			return err
		}
		if err := r.b.Map(sc1, compute.MapArgs{Op: compute.OpDiv, X: errv, Y: stage, A: 1}); err != nil {
			return err
		}
		if err := r.b.Map(sc2, compute.MapArgs{Op: compute.OpMul, X: sc1, Y: sc1, A: 1}); err != nil {
			return err
		}
		ss, err := r.b.Sum(sc2)
		if err != nil {
			return err
		}
		en := math.Sqrt(ss / nd)
		if math.IsNaN(en) || math.IsInf(en, 0) {
			return fmt.Errorf("diffusion: ode-adaptive: error estimate %v at lambda = %.6g (t = %.6g): the model returned non-finite values", en, lam, TimeOfLambda(r.s, lam))
		}
		fac := adaptMaxFac
		if en > 0 {
			fac = math.Min(adaptMaxFac, math.Max(adaptMinFac, adaptSafety*math.Pow(en, -0.2)))
		}
		if en <= 1 {
			t0 := TimeOfLambda(r.s, lam)
			var den compute.Array
			if r.set.Callback != nil {
				// k_1 = alpha (D - alpha x) at the old state: D = k_1/alpha + alpha x.
				at := atLambda(r.s, lam)
				den = r.acc
				if err := r.b.Map(den, compute.MapArgs{Op: compute.OpAxpby, X: k[0], Y: r.x, A: 1 / at.Alpha, B: at.Alpha}); err != nil {
					return err
				}
			}
			lam += h
			t1 := r.set.TEnd
			if last {
				lam = l1
			} else {
				t1 = TimeOfLambda(r.s, lam)
			}
			r.x, xnew = xnew, r.x
			k[0], k[6] = k[6], k[0] // first same as last
			if rejectedLast {
				fac = math.Min(fac, 1)
			}
			rejectedLast = false
			if err := r.report(t0, t1, den); err != nil {
				return err
			}
			if last {
				break
			}
		} else {
			r.res.Rejected++
			rejectedLast = true
		}
		h *= fac
	}
	return nil
}
