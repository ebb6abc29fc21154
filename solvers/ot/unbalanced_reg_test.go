package ot

import (
	"math"
	"testing"
)

// bruteUnbalanced is the dense float64 scaling iteration of Chizat et al.
// 2018 (Alg. 2): u = (a / K v)^(tauA/(tauA+eps)), v = (b / K^T u)^(tauB/
// (tauB+eps)), with K = exp(-C/eps) (entropy form) or a_i b_j exp(-C/eps)
// (KL form); +Inf tau gives exponent 1. It returns the plan u K v.
func bruteUnbalanced(p Problem, eps, tauA, tauB float64, kl bool, iters int) []float64 {
	c := denseCost(p)
	n, m := p.N, p.M
	k := make([]float64, n*m)
	for i := range n {
		for j := range m {
			k[i*m+j] = math.Exp(-c[i*m+j] / eps)
			if kl {
				k[i*m+j] *= p.A[i] * p.B[j]
			}
		}
	}
	u, v := make([]float64, n), make([]float64, m)
	for i := range u {
		u[i] = 1
	}
	for j := range v {
		v[j] = 1
	}
	for range iters {
		for i := range n {
			s := 0.0
			for j := range m {
				s += k[i*m+j] * v[j]
			}
			u[i] = math.Pow(p.A[i]/s, kappa(tauA, eps))
		}
		for j := range m {
			s := 0.0
			for i := range n {
				s += k[i*m+j] * u[i]
			}
			v[j] = math.Pow(p.B[j]/s, kappa(tauB, eps))
		}
	}
	plan := make([]float64, n*m)
	for i := range n {
		for j := range m {
			plan[i*m+j] = u[i] * k[i*m+j] * v[j]
		}
	}
	return plan
}

// klObjective is the KL form's objective of plan P, densely in float64.
func klObjective(p Problem, plan []float64, eps, tauA, tauB float64) float64 {
	c := denseCost(p)
	kl := func(x, y float64) float64 { return x*math.Log(x/y) - x + y }
	r, col := make([]float64, p.N), make([]float64, p.M)
	obj := 0.0
	for i := range p.N {
		for j := range p.M {
			v := plan[i*p.M+j]
			obj += v*c[i*p.M+j] + eps*kl(v, p.A[i]*p.B[j])
			r[i] += v
			col[j] += v
		}
	}
	for _, t := range []struct {
		tau    float64
		m, ref []float64
	}{{tauA, r, p.A}, {tauB, col, p.B}} {
		if !math.IsInf(t.tau, 1) {
			for i := range t.m {
				obj += t.tau * kl(t.m[i], t.ref[i])
			}
		}
	}
	return obj
}

// TestUnbalancedTauPairAndKL: separate penalties on the two marginals
// (current POT's reg_m pair; POT 0.8.2 takes one) in both entropic forms
// against the dense scaling iteration, a hard column constraint kept
// exactly, and the KL form differing from the entropy form.
func TestUnbalancedTauPairAndKL(t *testing.T) {
	p, _ := gradProblem()
	for i := range p.A {
		p.A[i] *= 1.3 // unequal masses: unbalanced
	}
	const eps = 0.2
	plans := map[UnbalancedReg][]float64{}
	for _, c := range []struct{ tauA, tauB float64 }{{0.5, 2}, {0.3, math.Inf(1)}} {
		for _, reg := range []UnbalancedReg{RegEntropy, RegKL} {
			r, err := Unbalanced(cpu(), p, Settings{Eps: eps, TauA: c.tauA, TauB: c.tauB, UnbalancedReg: reg, MaxIter: 20000, Tol: 1e-13})
			if err != nil || !r.Converged {
				t.Fatalf("tau %g/%g %v: %v", c.tauA, c.tauB, reg, err)
			}
			got, err := r.PlanDense(cpu())
			if err != nil {
				t.Fatal(err)
			}
			want := bruteUnbalanced(p, eps, c.tauA, c.tauB, reg == RegKL, 5000)
			if d := maxAbsDiff(got, want); d > 1e-10 {
				t.Errorf("tau %g/%g %v: plan differs from the dense iteration by %g", c.tauA, c.tauB, reg, d)
			}
			if reg == RegKL {
				// The KL form's objective, computed densely:
				// <P, C> + eps KL(P | a x b) + TauA KL(P1 | a) + TauB KL(P^T 1 | b).
				if obj := klObjective(p, got, eps, c.tauA, c.tauB); math.Abs(r.Objective-obj) > 1e-10 {
					t.Errorf("tau %g/%g kl: Objective %.12g, dense %.12g", c.tauA, c.tauB, r.Objective, obj)
				}
			}
			if math.IsInf(c.tauB, 1) {
				for j := range p.M {
					s := 0.0
					for i := range p.N {
						s += got[i*p.M+j]
					}
					if math.Abs(s-p.B[j]) > 1e-10 {
						t.Errorf("%v: column %d sums to %g, want b = %g (TauB = +Inf)", reg, j, s, p.B[j])
					}
				}
			} else {
				plans[reg] = got
			}
		}
	}
	if d := maxAbsDiff(plans[RegEntropy], plans[RegKL]); d < 1e-4 {
		t.Errorf("the KL and entropy forms give the same plan (max difference %g)", d)
	}
	if _, err := ParseUnbalancedReg("magic"); err == nil {
		t.Error("ParseUnbalancedReg accepted magic")
	}
}
