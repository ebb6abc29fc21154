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
	return c.Matrix == nil && (c.P == 0 || c.P == 2)
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
	return func(i, j int) float64 {
		xi, yj := x[i*d:i*d+d], y[j*d:j*d+d]
		var s float64
		for k, a := range xi {
			t := a - yj[k]
			s += t * t
		}
		return PowerCost(s, pw)
	}
}

// softMinCost is SoftMin for any Cost, the plain float64 loop
//
//	for i := range N { dst[i] = -eps log sum_j exp(logw[j] + (g[j] - C(i, j))/eps) }
//
// with the same online log-sum-exp as the squared-Euclidean path. The fast
// CPU backend uses it too for costs other than |x - y|^2.
func (c *CPU) softMinCost(out []float64, p Pairs) {
	lw, g, inv := host(p.LogW), host(p.G), 1/p.Eps
	cost := costFunc(p)
	c.parallel(p.N, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if i&15 == 0 {
				yieldDue()
			}
			mx, s := -math.MaxFloat64, 0.0
			for j := 0; j < p.M; j++ {
				v := costLogit(cost(i, j), lw, g, j, inv)
				if v <= mx {
					s += math.Exp(v - mx)
				} else {
					s = s*math.Exp(mx-v) + 1
					mx = v
				}
			}
			out[i] = -p.Eps * (mx + math.Log(s))
		}
	})
}

// costLogit returns logw[j] + (g[j] - cij) * inv.
func costLogit(cij float64, lw, g []float64, j int, inv float64) float64 {
	v := -cij
	if g != nil {
		v += g[j]
	}
	v *= inv
	if lw != nil {
		v += lw[j]
	}
	return v
}

// softMeanCost is SoftMean for any Cost (see softMinCost).
func (c *CPU) softMeanCost(out []float64, p Pairs, vals []float64, dv int) {
	lw, g, inv := host(p.LogW), host(p.G), 1/p.Eps
	cost := costFunc(p)
	c.parallel(p.N, func(lo, hi int) {
		acc := make([]float64, dv)
		for i := lo; i < hi; i++ {
			if i&15 == 0 {
				yieldDue()
			}
			clear(acc)
			mx, s := -math.MaxFloat64, 0.0
			for j := 0; j < p.M; j++ {
				l := costLogit(cost(i, j), lw, g, j, inv)
				vj := vals[j*dv : j*dv+dv]
				if l <= mx {
					w := math.Exp(l - mx)
					s += w
					for k, t := range vj {
						acc[k] += w * t
					}
				} else {
					r := math.Exp(mx - l)
					s = s*r + 1
					for k, t := range vj {
						acc[k] = acc[k]*r + t
					}
					mx = l
				}
			}
			for k := range acc {
				out[i*dv+k] = acc[k] / s
			}
		}
	})
}

// EvalPlanCost is EvalPlan for any ground cost: cost(i, j) returns C_ij
// in float64 (a dense matrix, or a power of the distance between centred
// coordinates). EvalPlan is EvalPlanCost with |x_i - y_j|^2.
func EvalPlanCost(cost func(i, j int) float64, n, m int, a, b, f, g []float64, eps float64, rows, cols []int) PlanSums {
	return evalPlan(cost, n, m, a, b, f, g, eps, rows, cols)
}

// validateMatrixPairs checks a Pairs whose cost is a dense matrix: the
// sizes, weights and eps; X, Y and D are not read.
func validateMatrixPairs(p Pairs) error {
	switch {
	case p.N < 1:
		return argErr("pairs: N = %d: the row set is empty", p.N)
	case p.M < 1:
		return argErr("pairs: M = %d: the column set is empty", p.M)
	case p.LogW != nil && p.LogW.Len() != p.M:
		return argErr("pairs: LogW has %d elements, want M = %d", p.LogW.Len(), p.M)
	case p.G != nil && p.G.Len() != p.M:
		return argErr("pairs: G has %d elements, want M = %d", p.G.Len(), p.M)
	case !(p.Eps > 0) || math.IsInf(p.Eps, 0):
		return argErr("pairs: eps = %g must be positive and finite", p.Eps)
	}
	return validateCost(p)
}
