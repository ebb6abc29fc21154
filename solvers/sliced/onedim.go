package sliced

import (
	"cmp"
	"math"
	"slices"
)

// Match is one entry of a 1-D transport plan: mass Mass moves from point I
// of the source to point J of the target (indices in the callers' order).
type Match struct {
	I, J int
	Mass float64
}

// OneD is the exact optimal transport between two weighted sets of reals
// for the cost |u - v|^2: the monotone (north-west corner) coupling of the
// sorted points, optimal for every convex cost of u - v (Santambrogio
// 2015, "Optimal Transport for Applied Mathematicians", Theorem 2.9 and
// Proposition 2.17).
type OneD struct {
	// W2Sq is W_2^2 = int_0^1 |F_u^-1(t) - F_v^-1(t)|^2 dt, with the
	// weights normalised to total mass 1.
	W2Sq float64
	// OrderU and OrderV are the argsorts of u and v (stable).
	OrderU, OrderV []int
	// Plan is the monotone coupling, in order of increasing quantile
	// level; at most len(u) + len(v) - 1 entries; masses sum to 1.
	Plan []Match
}

// Transport1D solves 1-D optimal transport exactly by sorting: u with
// weights a, v with weights b (nil weights mean uniform). Weights are
// normalised to mass 1. It returns an error naming the argument for
// empty, non-finite or mismatched input, or weights that are negative or
// sum to zero.
func Transport1D(u, a, v, b []float64) (OneD, error) {
	if err := checkLine("u", u, a, "a"); err != nil {
		return OneD{}, err
	}
	if err := checkLine("v", v, b, "b"); err != nil {
		return OneD{}, err
	}
	ou, ov := argsort(u), argsort(v)
	wa, wb := normalised(a, len(u)), normalised(b, len(v))
	r := OneD{OrderU: ou, OrderV: ov}
	i, j := 0, 0
	ra, rb := wa[ou[0]], wb[ov[0]]
	for i < len(u) && j < len(v) {
		I, J := ou[i], ov[j]
		c := u[I] - v[J]
		c *= c
		var m float64
		if ra < rb { // the rest of u_I fits in v_J
			m = ra
			rb -= ra
			i++
			if i < len(u) {
				ra = wa[ou[i]]
			}
		} else { // v_J is filled
			m = rb
			ra -= rb
			j++
			if j < len(v) {
				rb = wb[ov[j]]
			}
		}
		if m > 0 {
			r.W2Sq += m * c
			r.Plan = append(r.Plan, Match{I: I, J: J, Mass: m})
		}
	}
	return r, nil
}

// powAbs returns |c|^p (c*c for p = 2, exactly as before p existed).
func powAbs(c, p float64) float64 {
	switch p {
	case 2:
		return c * c
	case 1:
		return math.Abs(c)
	}
	return math.Pow(math.Abs(c), p)
}

// w2SortedUniform returns W_2^2 between sorted u and sorted v with uniform
// weights 1/n and 1/m.
func w2SortedUniform(u, v []float64) float64 { return wpSortedUniform(u, v, 2) }

// wpSortedUniform returns W_p^p between sorted u and sorted v with uniform
// weights 1/n and 1/m. The quantile levels are multiples of 1/(n m), so
// the merge runs on exact integers: u_i carries m units, v_j n units.
func wpSortedUniform(u, v []float64, p float64) float64 {
	n, m := len(u), len(v)
	if n == m {
		var s float64
		for i := range u {
			s += powAbs(u[i]-v[i], p)
		}
		return s / float64(n)
	}
	var s float64
	i, j := 0, 0
	ra, rb := m, n
	for i < n && j < m {
		c := powAbs(u[i]-v[j], p)
		if ra < rb {
			s += float64(ra) * c
			rb -= ra
			i++
			ra = m
		} else {
			s += float64(rb) * c
			ra -= rb
			j++
			rb = n
			if ra == 0 {
				i++
				ra = m
			}
		}
	}
	return s / (float64(n) * float64(m))
}

// wpSortedWeighted returns W_p^p between sorted u (weights a, in the same
// sorted order, mass 1) and sorted v (weights b, mass 1): the monotone
// coupling is optimal for every convex cost |u - v|^p, p >= 1.
func wpSortedWeighted(u, a, v, b []float64, p float64) float64 {
	var s float64
	i, j := 0, 0
	ra, rb := a[0], b[0]
	for i < len(u) && j < len(v) {
		c := powAbs(u[i]-v[j], p)
		if ra < rb {
			s += ra * c
			rb -= ra
			i++
			if i < len(u) {
				ra = a[i]
			}
		} else {
			s += rb * c
			ra -= rb
			j++
			if j < len(v) {
				rb = b[j]
			}
		}
	}
	return s
}

// argsort returns the stable ascending order of v.
func argsort(v []float64) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int { return cmp.Compare(v[i], v[j]) })
	return idx
}

// normalised returns w / sum(w), or uniform weights when w is nil.
func normalised(w []float64, n int) []float64 {
	out := make([]float64, n)
	if w == nil {
		for i := range out {
			out[i] = 1 / float64(n)
		}
		return out
	}
	var s float64
	for _, x := range w {
		s += x
	}
	for i, x := range w {
		out[i] = x / s
	}
	return out
}
