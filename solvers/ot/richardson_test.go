package ot

import (
	"math"
	"testing"
)

// gaussianGrid discretises the 1-D Gaussian N(m, s^2) on a uniform grid of
// n points over m +- 8 s with weights proportional to the density. For
// the smooth, fast-decaying integrands of entropic OT at eps >> h^2 the
// midpoint rule converges exponentially, so the discrete problem's cost
// and map match the continuous closed form to about 1e-9 (measured
// below), unlike a quantile discretisation (1e-3 at n = 400).
func gaussianGrid(n int, m, s float64) (x, w []float64) {
	x, w = make([]float64, n), make([]float64, n)
	h := 16 * s / float64(n)
	tot := 0.0
	for i := range n {
		x[i] = m - 8*s + (float64(i)+0.5)*h
		z := (x[i] - m) / s
		w[i] = math.Exp(-z * z / 2)
		tot += w[i]
	}
	for i := range w {
		w[i] /= tot
	}
	return x, w
}

// gaussianEntropic1D is the closed form of entropic OT between N(m1, A)
// and N(m2, B) in 1-D with cost |x - y|^2 and regularisation eps KL
// (Janati et al. 2020, Thm. 1, with sigma^2 = eps/2): the cross-covariance
// of the optimal plan c = (D - sigma^2)/2 with D = sqrt(4 A B + sigma^4),
// the transport cost <P, C> = (m1 - m2)^2 + A + B - 2c, and the entropic
// map (the conditional mean of the Gaussian plan) T(x) = m2 + (c/A)(x - m1).
func gaussianEntropic1D(m1, A, m2, B, eps float64) (cost, slope float64) {
	sig2 := eps / 2
	D := math.Sqrt(4*A*B + sig2*sig2)
	c := (D - sig2) / 2
	return (m1-m2)*(m1-m2) + A + B - 2*c, c / A
}

// TestRichardsonGaussianBias shows on the Gaussian closed form that the
// entropic transport cost's bias is O(eps) (it halves with eps) and the
// Richardson-extrapolated cost's is O(eps^2) (it quarters), and that the
// extrapolated map's slope error behaves alike. The extrapolated values
// are also compared with the extrapolated closed form.
func TestRichardsonGaussianBias(t *testing.T) {
	const n = 480
	m1, s1, m2, s2 := 0.3, 1.0, -0.4, 0.6
	x, a := gaussianGrid(n, m1, s1)
	y, b := gaussianGrid(n, m2, s2)
	p := Problem{X: x, Y: y, N: n, M: n, D: 1, A: a, B: b}
	w2 := (m1-m2)*(m1-m2) + (s1-s2)*(s1-s2)
	slope0 := s2 / s1 // the Brenier map's slope
	z := []float64{m1 - 1, m1, m1 + 1.5}
	be := cpu()
	var prevPlain, prevRich, prevMapPlain, prevMapRich float64
	for k, eps := range []float64{0.4, 0.2, 0.1} {
		r, err := Richardson(be, p, Settings{Eps: eps, Tol: 1e-11, MaxIter: 20000})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Converged {
			t.Fatalf("eps=%g: not converged: %s / %s", eps, r.Coarse.Status, r.Fine.Status)
		}
		cEps, slEps := gaussianEntropic1D(m1, s1*s1, m2, s2*s2, eps)
		cHalf, slHalf := gaussianEntropic1D(m1, s1*s1, m2, s2*s2, eps/2)
		if d := math.Abs(r.Coarse.Cost - cEps); d > 1e-8 {
			t.Errorf("Sinkhorn(eps=%g) cost = %.12f, closed form %.12f (diff %.3g)", eps, r.Coarse.Cost, cEps, d)
		}
		wantRich := 2*cHalf - cEps
		if d := math.Abs(r.Cost - wantRich); d > 1e-8 {
			t.Errorf("Richardson(eps=%g) cost = %.12f, extrapolated closed form %.12f", eps, r.Cost, wantRich)
		}
		// The expansion: bias eps^2/(32 sqrt(A B)) to O(eps^4).
		pred := eps * eps / (32 * s1 * s2)
		biasPlain, biasRich := r.Coarse.Cost-w2, r.Cost-w2
		if math.Abs(biasRich-pred) > 0.1*pred {
			t.Errorf("eps=%g: Richardson bias %.4g, predicted eps^2/(32 sqrt(AB)) = %.4g", eps, biasRich, pred)
		}
		tz, err := r.Transport(be, z)
		if err != nil {
			t.Fatal(err)
		}
		tPlain, err := r.Coarse.Transport(be, z)
		if err != nil {
			t.Fatal(err)
		}
		mapPlain, mapRich := 0.0, 0.0
		for i, zi := range z {
			want := m2 + (2*slHalf-slEps)*(zi-m1)
			if d := math.Abs(tz[i] - want); d > 1e-7 {
				t.Errorf("eps=%g: Richardson map at %g = %.10f, closed form %.10f", eps, zi, tz[i], want)
			}
			exact := m2 + slope0*(zi-m1)
			mapPlain = max(mapPlain, math.Abs(tPlain[i]-exact))
			mapRich = max(mapRich, math.Abs(tz[i]-exact))
		}
		t.Logf("eps=%-4g cost bias %.3e, Richardson %.3e (pred %.3e); map error %.3e, Richardson %.3e; iterations %d + %d (eps/2 warm)",
			eps, biasPlain, biasRich, pred, mapPlain, mapRich, r.Coarse.Iterations, r.Fine.Iterations)
		if math.Abs(biasRich) > math.Abs(biasPlain)/5 {
			t.Errorf("eps=%g: Richardson bias %.3g not well below plain %.3g", eps, biasRich, biasPlain)
		}
		if k > 0 {
			// Halving eps halves an O(eps) bias and quarters an O(eps^2) one.
			if q := prevPlain / biasPlain; q < 1.8 || q > 2.2 {
				t.Errorf("eps=%g: plain bias ratio %.3f, want ~2 (O(eps))", eps, q)
			}
			if q := prevRich / biasRich; q < 3.6 || q > 4.4 {
				t.Errorf("eps=%g: Richardson bias ratio %.3f, want ~4 (O(eps^2))", eps, q)
			}
			if q := prevMapPlain / mapPlain; q < 1.8 || q > 2.2 {
				t.Errorf("eps=%g: plain map error ratio %.3f, want ~2", eps, q)
			}
			if q := prevMapRich / mapRich; q < 3.6 || q > 4.4 {
				t.Errorf("eps=%g: Richardson map error ratio %.3f, want ~4", eps, q)
			}
		}
		prevPlain, prevRich, prevMapPlain, prevMapRich = biasPlain, biasRich, mapPlain, mapRich
	}
}

// TestRichardsonPlanMarginals: the extrapolated plan is 2 P_{eps/2} -
// P_eps entry by entry and keeps the marginals a and b.
func TestRichardsonPlanMarginals(t *testing.T) {
	p := Problem{X: cloud(30, 2, 1, 1, 0), Y: cloud(40, 2, 2, 1, 0.5), N: 30, M: 40, D: 2}
	be := cpu()
	r, err := Richardson(be, p, Settings{Eps: 0.2, Tol: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := r.PlanDense(be)
	if err != nil {
		t.Fatal(err)
	}
	pc, _ := r.Coarse.PlanDense(be)
	pf, _ := r.Fine.PlanDense(be)
	for k := range pr {
		if d := math.Abs(pr[k] - (2*pf[k] - pc[k])); d > 1e-15 {
			t.Fatalf("entry %d: %g, want 2*%g - %g", k, pr[k], pf[k], pc[k])
		}
	}
	for i := range 30 {
		s := 0.0
		for j := range 40 {
			s += pr[i*40+j]
		}
		if math.Abs(s-1.0/30) > 1e-10 {
			t.Errorf("row %d sums to %.12g, want 1/30", i, s)
		}
	}
	if r.Iterations != r.Coarse.Iterations+r.Fine.Iterations {
		t.Errorf("Iterations %d, want %d + %d", r.Iterations, r.Coarse.Iterations, r.Fine.Iterations)
	}
}
