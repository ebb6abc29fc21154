package ot

import (
	"math"
	"testing"
)

// gradProblem is a small weighted problem, its value as a function of the
// points and weights, and the settings that converge it to float64
// precision.
func gradProblem() (Problem, Settings) {
	n, m, d := 9, 7, 2
	a, b := make([]float64, n), make([]float64, m)
	for i := range a {
		a[i] = (1 + float64(i%4)) / 22
	}
	for j := range b {
		b[j] = (2 + float64(j%3)) / 20
	}
	sa, sb := 0.0, 0.0
	for i := range a {
		sa += a[i]
	}
	for j := range b {
		sb += b[j]
	}
	for i := range a {
		a[i] /= sa
	}
	for j := range b {
		b[j] /= sb
	}
	return Problem{X: cloud(n, d, 3, 1, 0), Y: cloud(m, d, 4, 0.8, 0.5), N: n, M: m, D: d, A: a, B: b},
		Settings{Eps: 0.3, MaxIter: 20000, Tol: 1e-14}
}

// fdCheck compares an analytic gradient with central differences of
// value along every coordinate of v (points: one coordinate at a time;
// weights: the tangent direction e_i - e_0, where <grad, e_i - e_0> =
// grad_i - grad_0).
func fdCheck(t *testing.T, name string, grad []float64, v []float64, weights bool, value func() float64) {
	t.Helper()
	const h = 1e-5
	for i := range v {
		if weights && i == 0 {
			continue
		}
		keep0, keep := v[0], v[i]
		step := func(s float64) float64 {
			v[i] = keep + s
			if weights {
				v[0] = keep0 - s
			}
			f := value()
			v[i], v[0] = keep, keep0
			return f
		}
		fd := (step(h) - step(-h)) / (2 * h)
		want := grad[i]
		if weights {
			want = grad[i] - grad[0]
		}
		if math.Abs(fd-want) > 1e-7*max(1, math.Abs(want)) {
			t.Errorf("%s[%d]: analytic %.10g, finite difference %.10g", name, i, want, fd)
		}
	}
}

// TestObjectiveGradientFiniteDifferences checks ObjectiveGradient in
// float64 against central differences of OT_eps (Result.Objective).
func TestObjectiveGradientFiniteDifferences(t *testing.T) {
	p, s := gradProblem()
	checkObjectiveGradient(t, p, s)
	r, err := Sinkhorn(cpu(), p, s)
	if err != nil {
		t.Fatal(err)
	}
	g, err := ObjectiveGradient(cpu(), r)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, v := range g.A {
		sum += v
	}
	if math.Abs(sum) > 1e-12 {
		t.Errorf("dOT/da sums to %g, want 0 (centred)", sum)
	}
}

// TestDivergenceGradientFiniteDifferences checks the Sinkhorn
// divergence's Gradient against central differences of S.
func TestDivergenceGradientFiniteDifferences(t *testing.T) {
	p, s := gradProblem()
	d, err := DivergenceDetail(cpu(), p, s)
	if err != nil || !d.Converged {
		t.Fatalf("divergence: %v", err)
	}
	g, err := d.Gradient(cpu())
	if err != nil {
		t.Fatal(err)
	}
	value := func() float64 {
		v, _, err := Divergence(cpu(), p, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	fdCheck(t, "dS/dx", g.X, p.X, false, value)
	fdCheck(t, "dS/dy", g.Y, p.Y, false, value)
	fdCheck(t, "dS/da", g.A, p.A, true, value)
	fdCheck(t, "dS/db", g.B, p.B, true, value)
}

// TestObjectiveGradientRefusesUnbalanced: the unbalanced objective is not
// OT_eps(a, b).
func TestObjectiveGradientRefusesUnbalanced(t *testing.T) {
	p, s := gradProblem()
	s.TauA, s.TauB = 1, 1
	r, err := Unbalanced(cpu(), p, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ObjectiveGradient(cpu(), r); err == nil {
		t.Error("ObjectiveGradient accepted an unbalanced result")
	}
}
