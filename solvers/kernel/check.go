package kernel

import (
	"fmt"
	"math"
	"strings"

	"github.com/otplay/otplay/compute"
)

// This file makes a Result's Converged mean something (issue 9): the
// marginal error that decides it is measured in float64 on the host
// whenever that is affordable, and the Result says how (Check), what the
// backend's precision allows (Precision, PrecisionFloor) and, in words,
// why it did or did not converge (Status).

// Budgets of the float64 host checks.
const (
	// HostCheckPairs: the full tier's plan is evaluated pair by pair on
	// the host up to 2^22 pairs (n = m = 2048).
	HostCheckPairs = 1 << 22
	// HostFactorFloats: the low-rank tiers' factors (n + m) x rank are
	// read back and the plan's marginals recomputed in float64 up to 2^23
	// floats (64 MiB).
	HostFactorFloats = 1 << 23
)

// judgeTol is the tolerance Converged is judged against: Tol, or -Tol for
// a negative (never stop early) Tol.
func judgeTol(tol float64) float64 {
	if tol < 0 {
		return -tol
	}
	return tol
}

// factoredCheck recomputes, in float64 on the host, the marginals of the
// plan P = diag(u) Phi_x Phi_y^T diag(v) from the factors the backend
// built (phiX n x r, phiY m x r): the marginal error |P1 - a|_1 +
// |P^T 1 - b|_1, the cost is not needed here. It also returns the
// rounding floor of the backend's products, the largest
//
//	Epsilon sum_k |u_i Phi_x[i,k] w_k| / (P 1)_i    (w = Phi_y^T v)
//
// over rows and columns: the relative error a product rounded at
// Epsilon can carry where the features cancel (Nystrom's features have
// both signs and grow like lambda^(-1/2)).
func factoredCheck(phiX, phiY, u, v, a, b []float64, n, m, r int, prec compute.Precision) (marg, floor float64) {
	side := func(phiA, phiB, sa, sb, w []float64, na, nb int) {
		mid := make([]float64, r)
		for j := range nb {
			if sb[j] == 0 {
				continue
			}
			for k := range r {
				mid[k] += phiB[j*r+k] * sb[j]
			}
		}
		for i := range na {
			var s, abs float64
			for k := range r {
				t := phiA[i*r+k] * mid[k]
				s += t
				abs += math.Abs(t)
			}
			s *= sa[i]
			abs *= math.Abs(sa[i])
			marg += math.Abs(s - w[i])
			if s > 0 {
				floor = max(floor, prec.Epsilon*abs/s)
			} else if w[i] > 0 {
				floor = max(floor, 1) // rounding decides the sign
			}
		}
	}
	side(phiX, phiY, u, v, a, n, m)
	side(phiY, phiX, v, u, b, m, n)
	return marg, floor
}

// describe fills res.Tol, Precision, Check and Status from the measured
// marginal error (res.MarginalError), the way it was measured (check) and
// the backend's rounding floor (res.PrecisionFloor).
func describe(res *Result, tol0 float64, prec compute.Precision, check string) {
	tol := judgeTol(tol0)
	res.Tol = tol
	res.Precision = prec.Name
	res.Check = check
	res.Converged = res.MarginalError <= tol
	var b strings.Builder
	if tol0 < 0 {
		fmt.Fprintf(&b, "ran all %d iterations (never stop early): ", res.Iterations)
	}
	if res.Converged {
		fmt.Fprintf(&b, "converged: marginal error %.3g <= tol %g after %d iterations", res.MarginalError, tol, res.Iterations)
	} else {
		fmt.Fprintf(&b, "not converged after %d iterations: marginal error %.3g > tol %g", res.Iterations, res.MarginalError, tol)
		if res.PrecisionFloor > tol/10 {
			fmt.Fprintf(&b, "; %s rounding puts a floor of about %.2g under it", prec.Name, res.PrecisionFloor)
			if res.Tier == RFF || res.Tier == Nystrom {
				fmt.Fprintf(&b, " (the %v features cancel in the kernel products)", res.Tier)
			}
			switch {
			case prec != compute.Float64 && res.Tier == Full:
				b.WriteString(": use the float64 CPU backend (--backend cpu), a larger eps, or a tol above the floor")
			case prec != compute.Float64:
				b.WriteString(": use the float64 CPU backend (--backend cpu), the full tier, or a tol above the floor")
			case res.Tier == Full:
				b.WriteString(": use a larger eps or a tol above the floor")
			default:
				b.WriteString(": use the full tier, a larger eps, or a tol above the floor")
			}
		} else {
			b.WriteString("; raise MaxIter or eps")
		}
	}
	if res.Tier == RFF || res.Tier == Nystrom {
		fmt.Fprintf(&b, "; the %v kernel itself is off by %.2g (relative RMS, measured on the backend's features)", res.Tier, res.ErrorEstimate)
	}
	res.Status = b.String()
}
