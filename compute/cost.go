package compute

import (
	"math"
)

// Cost is the ground cost C_ij of a Pairs reduction. The zero value is
// the squared Euclidean cost |x_i - y_j|^2 every existing caller uses.
//
// Two other forms exist:
//
//   - a power of the Euclidean distance, C_ij = |x_i - y_j|_2^P (P > 0),
//     computed on the fly from the points: P = 1 is POT 0.8.2's
//     ot.dist(x, y, metric='euclidean') (scipy's cdist, the norm, not
//     squared), P = 2 is ot.dist's default 'sqeuclidean', and a general P
//     is ot.dist(x, y, 'euclidean')**P, the cost whose optimal value is
//     W_P^P (Villani 2009, Def. 6.1). (POT's 'minkowski' metric is another
//     thing: the l_p norm of x - y, (sum_k |x_k - y_k|^p)^(1/p).)
//   - a dense matrix (POT's M): Matrix holds C for the N rows and M
//     columns, row-major N x M, or M x N when Transposed (the reduction
//     over columns of a stored row-major matrix, see Pairs.Swap); X, Y and
//     D are unused.
type Cost struct {
	// P is the exponent of |x - y|_2^P; 0 means 2.
	P float64
	// Matrix, if set, is a dense cost matrix resident on the backend.
	Matrix Array
	// Transposed says Matrix stores C_ij at j*N + i (else i*M + j).
	Transposed bool
	// Differences asks for |x - y|^2 summed from the coordinate
	// differences (x_k - y_k)^2, as the other point costs are, instead of
	// the expansion |x|^2 + |y|^2 - 2 x.y (centred) of the fast squared
	// Euclidean paths. The expansion's rounding error is Epsilon times the
	// data's squared diameter whatever the pair (Precision.Floor in the
	// exponent), the differences' is Epsilon times C_ij itself (0 for x =
	// y): on a float32 backend at an eps below the Floor's, where only near
	// pairs carry weight (a kernel smoothing, HierarchicalSmooth of
	// solvers/diffusion), the differences still resolve the kernel. It is
	// slower (the general cost kernels) and means nothing with a Matrix.
	Differences bool
}

// MaxCostPower bounds Cost.P: above it float32 costs of unit-scale data
// overflow long before the exponent means anything.
const MaxCostPower = 16

// Exponent returns the power P of the point cost (2 for the zero value).
func (c Cost) Exponent() float64 {
	if c.P == 0 {
		return 2
	}
	return c.P
}

// IsSquaredEuclidean reports whether c is the default |x - y|^2 (the
// fused fast paths of every backend).
func (c Cost) IsSquaredEuclidean() bool {
	return c.Matrix == nil && (c.P == 0 || c.P == 2) && !c.Differences
}

// PowerCost returns |x - y|_2^p from the squared distance d2 = |x - y|^2.
// p = 2 returns d2 exactly and p = 1 its square root.
func PowerCost(d2, p float64) float64 {
	switch p {
	case 2:
		return d2
	case 1:
		return math.Sqrt(d2)
	}
	if d2 == 0 {
		return 0
	}
	return math.Pow(d2, p/2)
}

// PowerDiameter returns SquaredDiameter(x, y, d)^(p/2): an upper bound on
// every cost |x_i - y_j|_2^p.
func PowerDiameter(x, y []float64, d int, p float64) float64 {
	return PowerCost(SquaredDiameter(x, y, d), p)
}

// MaxAbs returns max_i |v_i| (0 for an empty slice): the scale of a dense
// cost matrix, the maxCost of Precision.
func MaxAbs(v []float64) float64 {
	m := 0.0
	for _, t := range v {
		m = max(m, math.Abs(t))
	}
	return m
}

// validateCost checks p.Cost against the sizes of p.
func validateCost(p Pairs) error {
	c := p.Cost
	if c.Matrix != nil {
		if c.P != 0 {
			return argErr("pairs: cost has both a matrix and a power P = %g", c.P)
		}
		if c.Differences {
			return argErr("pairs: cost has both a matrix and Differences (a point cost's option)")
		}
		if c.Matrix.Len() != p.N*p.M {
			return argErr("pairs: cost matrix has %d elements, want N*M = %d*%d", c.Matrix.Len(), p.N, p.M)
		}
		return nil
	}
	if c.Transposed {
		return argErr("pairs: Transposed without a cost matrix")
	}
	if c.P != 0 && !(c.P > 0 && c.P <= MaxCostPower) {
		return argErr("pairs: cost power P = %g outside (0, %d]", c.P, MaxCostPower)
	}
	return nil
}

// costFunc returns the cost C(i, j) of p on the CPU backend, in float64.
func costFunc(p Pairs) func(i, j int) float64 {
	if m := p.Cost.Matrix; m != nil {
		c := host(m)
		if p.Cost.Transposed {
			n := p.N
			return func(i, j int) float64 { return c[j*n+i] }
		}
		mm := p.M
		return func(i, j int) float64 { return c[i*mm+j] }
	}
	x, y, d, pw := host(p.X), host(p.Y), p.D, p.Cost.Exponent()
	if pw == 2 {
		return func(i, j int) float64 { return sqDist(x[i*d:i*d+d], y[j*d:j*d+d]) }
	}
	return func(i, j int) float64 { return PowerCost(sqDist(x[i*d:i*d+d], y[j*d:j*d+d]), pw) }
}

// pairLogits returns the logit s_ij = logw[j] + (g[j] - C_ij)/eps of p in
// float64 on the CPU backend.
func pairLogits(p Pairs) func(i, j int) float64 {
	lw, g, inv := host(p.LogW), host(p.G), 1/p.Eps
	cost := costFunc(p)
	return func(i, j int) float64 {
		v := -cost(i, j)
		if g != nil {
			v += g[j]
		}
		v *= inv
		if lw != nil {
			v += lw[j]
		}
		return v
	}
}

// sqDist returns |x - y|^2.
func sqDist(x, y []float64) float64 {
	var s float64
	for k, a := range x {
		t := a - y[k]
		s += t * t
	}
	return s
}

// rowLSE returns log sum_{j < m} exp(l(i, j)) in one pass with a running
// maximum (online log-sum-exp). The maximum starts at -MaxFloat64, not
// -Inf, so columns of zero weight (l = -Inf) add exp(-Inf) = 0 instead of
// exp(-Inf + Inf) = NaN; a logit of +Inf makes it +Inf however many
// there are (infiniteColumns).
func rowLSE(i, m int, l func(i, j int) float64) float64 {
	mx, s := -math.MaxFloat64, 0.0
	for j := 0; j < m; j++ {
		v := l(i, j)
		if v <= mx {
			if v == mx && v > math.MaxFloat64 {
				continue // a second +Inf: the sum stays +Inf (e^(Inf - Inf) is NaN)
			}
			s += math.Exp(v - mx)
		} else {
			s = s*math.Exp(mx-v) + 1
			mx = v
		}
	}
	return mx + math.Log(s)
}

// rowMean sets dst[k] = sum_j w_j vals[j*dv+k] / sum_j w_j with
// w_j = exp(l(i, j)), dv = len(dst), in one pass (rowLSE's running
// maximum).
func rowMean(dst, vals []float64, i, m int, l func(i, j int) float64) {
	dv := len(dst)
	clear(dst)
	mx, s := -math.MaxFloat64, 0.0
	for j := 0; j < m; j++ {
		v := l(i, j)
		vj := vals[j*dv : j*dv+dv]
		if v <= mx {
			w := math.Exp(v - mx)
			if v == mx && v > math.MaxFloat64 {
				w = 1 // a second +Inf: the weights tend to equal ones on the +Inf columns
			}
			s += w
			for k, t := range vj {
				dst[k] += w * t
			}
		} else {
			r := math.Exp(mx - v)
			s = s*r + 1
			for k, t := range vj {
				dst[k] = dst[k]*r + t
			}
			mx = v
		}
	}
	for k := range dst {
		dst[k] /= s
	}
}

// EvalPlanCost is EvalPlan for any ground cost: cost(i, j) returns C_ij
// in float64 (a dense matrix, or a power of the distance between centred
// coordinates). EvalPlan is EvalPlanCost with |x_i - y_j|^2.
func EvalPlanCost(cost func(i, j int) float64, n, m int, a, b, f, g []float64, eps float64, rows, cols []int) PlanSums {
	return evalPlan(cost, n, m, a, b, f, g, eps, rows, cols)
}
