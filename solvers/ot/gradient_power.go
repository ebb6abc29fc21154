package ot

import (
	"math"
)

// This file holds the gradients for the ground costs other than
// |x - y|^2: |x - y|^p (Problem.P) through the plan on the host, and a
// dense cost matrix (Problem.Cost), where only the weights have a
// gradient.

// AddPowerCostGradient adds the gradient of mass * |x_i - y_j|^p with
// respect to x_i to gx (row i) and with respect to y_j to gy (row j):
//
//	d/dx_i |x_i - y_j|^p = p |x_i - y_j|^(p-2) (x_i - y_j) = - d/dy_j
//
// (x, y, gx and gy row-major with d columns). For 1 <= p < 2 the
// expression is singular at x_i = y_j; there the cost is differentiable
// for p > 1 with gradient 0, and for p = 1 it is not, and 0 is the
// element of the subdifferential (the unit ball) taken, so a plan that
// moves mass between coincident points contributes nothing. It is the
// envelope-theorem term of Peyre and Cuturi 2019, "Computational Optimal
// Transport", Prop. 9.2, for one entry of the plan.
func AddPowerCostGradient(gx, gy, x, y []float64, d, i, j int, p, mass float64) {
	if mass == 0 {
		return
	}
	xi, yj := x[i*d:(i+1)*d], y[j*d:(j+1)*d]
	var s float64
	for k := range d {
		t := xi[k] - yj[k]
		s += t * t
	}
	if s == 0 {
		return
	}
	scale := mass * p * math.Pow(s, (p-2)/2)
	for k := range d {
		t := scale * (xi[k] - yj[k])
		gx[i*d+k] += t
		gy[j*d+k] -= t
	}
}

// generalObjectiveGradient is ObjectiveGradient for a cost other than
// |x - y|^2: the plan P_ij = a_i b_j exp((F_i + G_j - C_ij)/eps) formed on
// the host (N*M exponentials; the Problem's N*M is within MaxDense when it
// has a cost matrix, and the points' gradient is O(N M D)), the point
// gradients sum_j P_ij grad C(x_i, y_j) (AddPowerCostGradient) for
// |x - y|^p, none (X and Y nil) for a cost matrix, whose entries are not
// functions of any points. The weight gradients are those of the squared
// cost: the envelope theorem does not depend on the cost.
func generalObjectiveGradient(r *Result) *Gradient {
	p := r.prob
	g := &Gradient{A: centred(r.F), B: centred(r.G)}
	if p.Cost != nil {
		return g
	}
	g.X, g.Y = make([]float64, len(p.X)), make([]float64, len(p.Y))
	cost, pw := r.hostCost(), p.costPower()
	for i := range p.N {
		for j := range p.M {
			AddPowerCostGradient(g.X, g.Y, p.X, p.Y, p.D, i, j, pw, r.planEntry(cost, i, j))
		}
	}
	return g
}
