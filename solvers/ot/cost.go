package ot

import (
	"math"

	"github.com/otplay/otplay/compute"
)

// This file holds the ground costs other than |x - y|^2 (Problem.P and
// Problem.Cost): their validation, their scale (the maxCost of the
// precision floor and of eps-scaling), the Pairs that carry them to the
// backend and their float64 evaluation on the host.

// MaxCostMatrix is the largest N*M of a dense cost matrix (Problem.Cost):
// MaxDense, the plan limit, 4e6 entries (32 MB in float64; 16 MB as a
// float32 GPU buffer, inside WebGPU's 128 MiB default binding limit).
const MaxCostMatrix = MaxDense

// squaredCost reports whether p's cost is the default |x - y|^2.
func (p Problem) squaredCost() bool { return p.Cost == nil && (p.P == 0 || p.P == 2) }

// costPower returns the exponent of |x - y|_2^P (2 for the zero value).
func (p Problem) costPower() float64 {
	if p.P == 0 {
		return 2
	}
	return p.P
}

// validateCostMatrix checks a Problem given by a dense cost matrix: sizes
// named before anything is allocated, finite entries, no points.
func validateCostMatrix(p Problem) error {
	switch {
	case p.N < 1:
		return badInput("N = %d: the cost matrix has no rows", p.N)
	case p.M < 1:
		return badInput("M = %d: the cost matrix has no columns", p.M)
	case float64(p.N)*float64(p.M) > MaxCostMatrix:
		return badInput("cost matrix of %d x %d = %.0f entries exceeds the limit %d (use points and a ground cost --p instead)", p.N, p.M, float64(p.N)*float64(p.M), MaxCostMatrix)
	case len(p.Cost) != p.N*p.M:
		return badInput("Cost has %d values, want N*M = %d*%d", len(p.Cost), p.N, p.M)
	case p.X != nil || p.Y != nil:
		return badInput("a cost matrix replaces the points: X and Y must be nil")
	case p.P != 0 && p.P != 2:
		return badInput("P = %g with a cost matrix: the power applies to point clouds only (0 and 2, the default, are accepted)", p.P)
	}
	return checkFinite("Cost", p.Cost)
}

// validatePower checks Problem.P.
func validatePower(p float64) error {
	if p != 0 && !(p > 0 && p <= compute.MaxCostPower) {
		return badInput("P = %g: the ground cost |x - y|^P needs P in (0, %d]", p, compute.MaxCostPower)
	}
	return nil
}

// maxCostOf bounds |C_ij| for the precision floor and eps-scaling: the
// largest |entry| of a cost matrix, else the diameter of the points'
// bounding box to the power P (for P = 2, SquaredDiameter).
func maxCostOf(p Problem) float64 {
	if p.Cost != nil {
		return compute.MaxAbs(p.Cost)
	}
	return compute.PowerDiameter(p.X, p.Y, p.D, p.costPower())
}

// pairs returns the Pairs of the row reduction (rows x_i, columns y_j) of
// the Solver's problem with column log-weights logw and potential g.
func (sv *Solver) pairs(logw, g compute.Array, eps float64) compute.Pairs {
	c := sv.prob
	if sv.cm != nil {
		return compute.Pairs{N: c.N, M: c.M, LogW: logw, G: g, Eps: eps, Cost: compute.Cost{Matrix: sv.cm}}
	}
	return compute.Pairs{X: sv.x, Y: sv.y, N: c.N, M: c.M, D: c.D, LogW: logw, G: g, Eps: eps, Cost: compute.Cost{P: c.P}}
}

// uploadCost puts the cost matrix on the backend, or the centred points.
func (sv *Solver) uploadPoints() error {
	var err error
	if sv.prob.Cost != nil {
		sv.cm, err = sv.be.Upload(sv.prob.Cost)
		return err
	}
	if sv.x, err = sv.be.Upload(sv.cx); err != nil {
		return err
	}
	sv.y, err = sv.be.Upload(sv.cy)
	return err
}

// hostCost returns C(i, j) in float64 on the host: the matrix entry, or
// the power of the distance between the centred points cx, cy.
func hostCost(p Problem, cx, cy []float64) func(i, j int) float64 {
	if p.Cost != nil {
		m, c := p.M, p.Cost
		return func(i, j int) float64 { return c[i*m+j] }
	}
	d, pw := p.D, p.costPower()
	return func(i, j int) float64 {
		xi, yj := cx[i*d:(i+1)*d], cy[j*d:(j+1)*d]
		var s float64
		for k := range d {
			t := xi[k] - yj[k]
			s += t * t
		}
		return compute.PowerCost(s, pw)
	}
}

// evalPlan is compute.EvalPlan for the Solver's cost.
func (sv *Solver) evalPlan(f, g []float64, eps float64, rows, cols []int) compute.PlanSums {
	c := sv.prob
	if c.squaredCost() {
		return compute.EvalPlan(sv.cx, sv.cy, c.N, c.M, c.D, c.A, c.B, f, g, eps, rows, cols)
	}
	return compute.EvalPlanCost(hostCost(c.Problem, sv.cx, sv.cy), c.N, c.M, c.A, c.B, f, g, eps, rows, cols)
}

// hostSumsCheck says how hostSums measured the cost and objective, in
// Result.Check.
const hostSumsCheck = "cost and objective from a float64 pass on the host over every pair (the cost is not |x - y|^2)"

// hostSums is deviceSums for costs other than |x - y|^2 (whose row costs
// are no soft-mean of column values): one float64 pass over every pair.
func (sv *Solver) hostSums(f, g []float64) (r, col []float64, cost float64) {
	ps := sv.evalPlan(f, g, sv.set.Eps, nil, nil)
	for _, v := range ps.RowCost {
		cost += v
	}
	return ps.RowSum, ps.ColSum, cost
}

// requireSquaredCost refuses a method defined for |x - y|^2 only.
func requireSquaredCost(p Problem, what string) error {
	if p.squaredCost() {
		return nil
	}
	if p.Cost != nil {
		return badInput("%s needs point clouds; this problem is given by a cost matrix", what)
	}
	return badInput("%s is defined for the cost |x - y|^2 only (P = %g)", what, p.P)
}

// hostPlanBlock writes rows [i0, i1) of the plan
// P_ij = a_i b_j exp((F_i + G_j - C_ij)/eps) into dst, in float64 on the
// host, for costs other than |x - y|^2.
func (r *Result) hostPlanBlock(dst []float64, i0, i1 int) {
	p := r.prob
	cx, cy := p.X, p.Y
	if p.Cost == nil {
		cx, cy = centredCopy(p.Problem)
	}
	cost := hostCost(p.Problem, cx, cy)
	for i := i0; i < i1; i++ {
		for j := range p.M {
			dst[(i-i0)*p.M+j] = p.A[i] * p.B[j] * math.Exp((r.F[i]+r.G[j]-cost(i, j))/r.Eps)
		}
	}
}

// requirePoints refuses what needs point clouds (new points to map or
// extend the potentials to) on a Result of a cost-matrix problem.
func (r *Result) requirePoints(what string) error {
	if r != nil && r.prob.Cost != nil {
		return badInput("%s needs point clouds; this problem is given by a cost matrix", what)
	}
	return nil
}
