package exact

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/floats"
)

// DefaultMaxIter is the default cap on network simplex pivots, POT's
// numItermax default.
const DefaultMaxIter = 100000

// MaxIterWarning is the warning of a solve stopped by the pivot cap, POT's
// (ot.lp.emd_wrap.check_result) word for word.
const MaxIterWarning = "numItermax reached before optimality. Try to increase numItermax."

// MaxArcs bounds n*m for EMD: the dense cost matrix the caller holds is
// 8 n m bytes, and the solver adds one byte per arc (5000 x 5000: 200 MB
// of costs and 25 MB of arc states).
const MaxArcs = 5000 * 5000

// Status says how a network simplex solve ended (POT's result_code).
type Status int

const (
	// Optimal: no arc has a negative reduced cost; the plan and the
	// potentials are optimal.
	Optimal Status = iota
	// MaxIterReached: the pivot cap stopped the solve; the plan may
	// violate the marginals and is not optimal (POT: MAX_ITER_REACHED).
	MaxIterReached
	// Infeasible: flow is left on the artificial arcs (POT: INFEASIBLE);
	// with equal masses it does not happen.
	Infeasible
	// Unbounded: a negative cycle of infinite capacity (POT: UNBOUNDED);
	// it cannot happen on a transportation problem and signals a bug.
	Unbounded
)

func (s Status) String() string {
	switch s {
	case Optimal:
		return "optimal"
	case MaxIterReached:
		return "max_iter_reached"
	case Infeasible:
		return "infeasible"
	case Unbounded:
		return "unbounded"
	}
	return "unknown"
}

// Settings of EMD. The zero value means POT's defaults.
type Settings struct {
	// MaxIter caps the block-search pivots (POT's numItermax); 0 means
	// DefaultMaxIter. The solve stops when the count reaches MaxIter.
	MaxIter int
}

// EMDResult is the solution of an exact transport problem.
type EMDResult struct {
	// Cost is sum_ij P_ij C_ij (POT's log['cost'], ot.emd2's value).
	Cost float64
	// Flows lists the nonzero entries of the plan P, sorted by (I, J): at
	// most n + m - 1 of them (a basic solution).
	Flows []Flow
	// U (n) and V (m) are dual potentials: U_i + V_j <= C_ij for all i, j
	// with equality where P_ij > 0, and Cost = <a, U> + <b, V> at the
	// optimum. They are POT's log['u'], log['v'] with center_dual=True:
	// shifted by a constant (U + c, V - c) so that <a, U> = <b, V>
	// (ot.lp.center_ot_dual). Rows and columns of zero weight get the
	// largest feasible value below their centred start
	// (ot.lp.estimate_dual_null_weights).
	U, V []float64
	// Status is Optimal unless the pivot cap stopped the solve; Warning is
	// POT's message for it (MaxIterWarning), empty otherwise.
	Status  Status
	Warning string
	// Iterations counts the block-search pivots (not the initial ones);
	// when the cap stops the solve it is MaxIter, of which MaxIter - 1
	// were made (POT stops when its counter reaches numItermax, before
	// that pivot).
	Iterations int
	// MarginalError is |P 1 - a|_1 + |P^T 1 - b|_1 of the returned plan
	// (b rescaled as described at EMD).
	MarginalError float64
}

// Dense returns the plan as a dense n x m row-major matrix.
func (r *EMDResult) Dense(n, m int) []float64 {
	p := make([]float64, n*m)
	for _, f := range r.Flows {
		p[f.I*m+f.J] += f.Mass
	}
	return p
}

// EMD solves the exact (unregularised) transport problem
//
//	min_P sum_ij P_ij C_ij  over P >= 0, P 1 = a, P^T 1 = b
//
// for a dense n x m cost matrix (row-major, any finite values, negative
// allowed) and weights a (n) and b (m), nil meaning uniform, as POT's
// ot.emd(a, b, M, numItermax) does, with the same network simplex
// (Bonneel et al. 2011, block search pivots; see the package doc). The
// masses must agree to 1e-6 relative; b is then rescaled by sum a / sum b
// as POT does. Rows and columns of zero weight are left out of the
// simplex (as POT's EMD_wrap does) and get potentials afterwards.
//
// A MaxIterReached solve returns its plan and potentials with the status
// and warning set and no error; errors are for bad input only (wrapping
// ErrBadInput). Time: block search typically takes O((n + m) sqrt(nm))
// per sweep of pivots; measured figures are in the package doc.
func EMD(a, b, cost []float64, n, m int, set Settings) (*EMDResult, error) {
	switch {
	case n < 1 || m < 1:
		return nil, badInput("cost matrix of %d x %d: want n, m >= 1", n, m)
	case n > MaxArcs/m:
		return nil, badInput("cost matrix of %d x %d = %d entries exceeds %d", n, m, n*m, MaxArcs)
	case len(cost) != n*m:
		return nil, badInput("cost has %d values, want n*m = %d*%d", len(cost), n, m)
	case set.MaxIter < 0:
		return nil, badInput("MaxIter %d: want >= 0 (0: the default %d)", set.MaxIter, DefaultMaxIter)
	}
	if err := checkFinite("cost", cost); err != nil {
		return nil, err
	}
	a, sa, err := weights("a", a, n)
	if err != nil {
		return nil, err
	}
	b, sb, err := weights("b", b, m)
	if err != nil {
		return nil, err
	}
	if math.Abs(sa-sb) > 1e-6*max(sa, sb) {
		return nil, badInput("a sums to %.10g and b to %.10g: the masses must agree to 1e-6 relative", sa, sb)
	}
	bs := make([]float64, m)
	for j, v := range b {
		bs[j] = v * sa / sb
	}
	maxIter := set.MaxIter
	if maxIter == 0 {
		maxIter = DefaultMaxIter
	}
	var rows, cols []int
	var supply, demand []float64
	for i, v := range a {
		if v > 0 {
			rows = append(rows, i)
			supply = append(supply, v)
		}
	}
	for j, v := range bs {
		if v > 0 {
			cols = append(cols, j)
			demand = append(demand, v)
		}
	}
	s := newSimplex(supply, demand, cost, m, rows, cols)
	iters, status := s.run(maxIter)
	res := &EMDResult{Status: status, Iterations: iters}
	if status == MaxIterReached {
		res.Warning = MaxIterWarning
	}
	// Flow left on an artificial arc means the marginals are not met:
	// infeasible at the optimum (POT's check), expected after the cap.
	for u := range s.nodes {
		if s.pred[u] >= s.arcNum && s.flow[u] > 1e-9*sa && status == Optimal {
			res.Status = Infeasible
		}
		if s.pred[u] < s.arcNum && s.flow[u] > 0 {
			k, l := s.pred[u]/s.m, s.pred[u]%s.m
			res.Flows = append(res.Flows, Flow{I: rows[k], J: cols[l], Mass: s.flow[u]})
		}
	}
	sort.Slice(res.Flows, func(p, q int) bool {
		if res.Flows[p].I != res.Flows[q].I {
			return res.Flows[p].I < res.Flows[q].I
		}
		return res.Flows[p].J < res.Flows[q].J
	})
	ra, rb := make([]float64, n), make([]float64, m)
	for _, f := range res.Flows {
		res.Cost += f.Mass * cost[f.I*m+f.J]
		ra[f.I] += f.Mass
		rb[f.J] += f.Mass
	}
	for i := range ra {
		res.MarginalError += math.Abs(ra[i] - a[i])
	}
	for j := range rb {
		res.MarginalError += math.Abs(rb[j] - bs[j])
	}
	// POT's duals: alpha_i = -pi_i, beta_j = pi_j (reduced cost
	// C_ij + pi_i - pi_j = C_ij - alpha_i - beta_j >= 0); 0 where the
	// weight is 0, then centred and repaired.
	res.U, res.V = make([]float64, n), make([]float64, m)
	for k, i := range rows {
		res.U[i] = -s.pi[k]
	}
	for l, j := range cols {
		res.V[j] = s.pi[s.n+l]
	}
	centreDuals(res.U, res.V, a, bs)
	if len(rows) < n || len(cols) < m {
		repairNullDuals(res.U, res.V, a, bs, cost)
	}
	return res, nil
}

// centreDuals is POT's ot.lp.center_ot_dual: u += c, v -= c with
// c = (<b, v> - <a, u>) / (sum a + sum b), so that <a, u> = <b, v>.
func centreDuals(u, v, a, b []float64) {
	au, bv, sa, sb := 0.0, 0.0, 0.0, 0.0
	for i := range u {
		au += a[i] * u[i]
		sa += a[i]
	}
	for j := range v {
		bv += b[j] * v[j]
		sb += b[j]
	}
	c := (bv - au) / (sa + sb)
	for i := range u {
		u[i] += c
	}
	for j := range v {
		v[j] -= c
	}
}

// repairNullDuals is POT's ot.lp.estimate_dual_null_weights: a row (or
// column) of zero weight lowers its potential by its largest violation
// max_j (u_i + v_j - C_ij) where that is positive (both sides measured on
// the same u, v), then the potentials are centred again.
func repairNullDuals(u, v, a, b, cost []float64) {
	n, m := len(u), len(v)
	du, dv := make([]float64, n), make([]float64, m)
	for i := range n {
		for j := range m {
			viol := u[i] + v[j] - cost[i*m+j]
			if a[i] == 0 {
				du[i] = max(du[i], viol)
			}
			if b[j] == 0 {
				dv[j] = max(dv[j], viol)
			}
		}
	}
	for i := range u {
		u[i] -= du[i]
	}
	for j := range v {
		v[j] -= dv[j]
	}
	centreDuals(u, v, a, b)
}

// PairCosts returns the n x m matrix c(x_i, y_j) of points x (n x d) and
// y (m x d), row-major, for any cost function over points (each call
// gets the two d-vectors); pass it to EMD. SquaredEuclidean is the
// |x - y|^2 case without the calls.
func PairCosts(x, y []float64, n, m, d int, c func(xi, yj []float64) float64) []float64 {
	out := make([]float64, n*m)
	for i := range n {
		xi := x[i*d : (i+1)*d]
		for j := range m {
			out[i*m+j] = c(xi, y[j*d:(j+1)*d])
		}
	}
	return out
}

// SquaredEuclidean returns the n x m matrix |x_i - y_j|^2 (no 1/2) of
// points x (n x d) and y (m x d), row-major: POT's ot.dist(x, y).
func SquaredEuclidean(x, y []float64, n, m, d int) []float64 {
	c := make([]float64, n*m)
	for i := range n {
		xi := x[i*d : (i+1)*d]
		row := c[i*m : (i+1)*m]
		for j := range m {
			yj := y[j*d : (j+1)*d]
			s := 0.0
			for k, t := range xi {
				e := t - yj[k]
				s += e * e
			}
			row[j] = s
		}
	}
	return c
}

// SquaredEuclideanGradient returns the gradient of Cost for the cost
// C = |x - y|^2 (SquaredEuclidean(x, y, n, m, d)), POT's ot.emd2
// gradients: with respect to the points by the envelope theorem (the
// plan held fixed, as emd2's set_gradients passes G for M),
//
//	gx_i = 2 sum_j P_ij (x_i - y_j),   gy_j = 2 sum_i P_ij (y_j - x_i),
//
// and with respect to the weights the duals minus their means, ga = U -
// mean(U), gb = V - mean(V) (emd2's log['u'] - mean(log['u'])). Where the
// optimal plan is unique these are the derivatives (a small change of x,
// a or b keeps the optimal basis); elsewhere they are one element of the
// subdifferential.
func (r *EMDResult) SquaredEuclideanGradient(x, y []float64, n, m, d int) (gx, gy, ga, gb []float64) {
	gx, gy = make([]float64, n*d), make([]float64, m*d)
	for _, f := range r.Flows {
		for k := range d {
			t := 2 * f.Mass * (x[f.I*d+k] - y[f.J*d+k])
			gx[f.I*d+k] += t
			gy[f.J*d+k] -= t
		}
	}
	return gx, gy, minusMean(r.U), minusMean(r.V)
}

// minusMean returns v minus its mean.
func minusMean(v []float64) []float64 {
	out := append([]float64(nil), v...)
	floats.AddConst(-floats.Sum(v)/float64(len(v)), out)
	return out
}
