package exact

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrBadInput wraps every error about the caller's input; use errors.Is.
var ErrBadInput = errors.New("exact: bad input")

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}

// Flow is one entry of a sparse transport plan: Mass moved from source
// point I to target point J.
type Flow struct {
	I, J int
	Mass float64
}

// Result is an exact transport plan and its cost.
type Result struct {
	// Cost is sum over flows of Mass |x_I - y_J|^2 (W_2^2).
	Cost float64
	// Flows lists the nonzero entries of the plan.
	Flows []Flow
}

func checkFinite(name string, v []float64) error {
	for i, t := range v {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return badInput("%s[%d] = %v is not finite", name, i, t)
		}
	}
	return nil
}

// weights returns w, or uniform weights for nil, checking positivity.
func weights(name string, w []float64, n int) ([]float64, float64, error) {
	if w == nil {
		u := make([]float64, n)
		for i := range u {
			u[i] = 1 / float64(n)
		}
		return u, 1, nil
	}
	if len(w) != n {
		return nil, 0, badInput("%s has %d weights for %d points", name, len(w), n)
	}
	s := 0.0
	for i, t := range w {
		if !(t >= 0) || math.IsInf(t, 0) {
			return nil, 0, badInput("%s[%d] = %v: weights must be non-negative and finite", name, i, t)
		}
		s += t
	}
	if !(s > 0) {
		return nil, 0, badInput("%s sums to 0", name)
	}
	return w, s, nil
}

// Solve1D solves OT between 1-D measures sum_i a_i delta_{x_i} and
// sum_j b_j delta_{y_j} (nil weights mean uniform) by sorting and matching
// quantiles: walking both sorted lists, each step moves the smaller of the
// remaining masses (the monotone rearrangement, optimal for the convex
// cost |x - y|^2). The total masses must agree to 1e-9 relative; nothing
// is rescaled. It returns at most n + m - 1 flows.
func Solve1D(x, a, y, b []float64) (*Result, error) {
	if len(x) == 0 {
		return nil, badInput("x is empty")
	}
	if len(y) == 0 {
		return nil, badInput("y is empty")
	}
	if err := checkFinite("x", x); err != nil {
		return nil, err
	}
	if err := checkFinite("y", y); err != nil {
		return nil, err
	}
	a, sa, err := weights("a", a, len(x))
	if err != nil {
		return nil, err
	}
	b, sb, err := weights("b", b, len(y))
	if err != nil {
		return nil, err
	}
	if math.Abs(sa-sb) > 1e-9*max(sa, sb) {
		return nil, badInput("a sums to %g and b to %g: the masses must be equal (normalise them); nothing was rescaled", sa, sb)
	}
	ix, iy := order(x), order(y)
	res := &Result{}
	i, j := 0, 0
	ra, rb := a[ix[0]], b[iy[0]]
	for {
		m := min(ra, rb)
		if m > 0 {
			d := x[ix[i]] - y[iy[j]]
			res.Cost += m * d * d
			res.Flows = append(res.Flows, Flow{ix[i], iy[j], m})
		}
		// The smaller remainder becomes exactly 0; advance that side (both
		// at a tie). Mass left over by rounding at the very end is dropped.
		ra -= m
		rb -= m
		if ra == 0 {
			if i++; i == len(x) {
				break
			}
			ra = a[ix[i]]
		}
		if rb == 0 {
			if j++; j == len(y) {
				break
			}
			rb = b[iy[j]]
		}
	}
	return res, nil
}

// order returns the indices that sort v ascending (stable).
func order(v []float64) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(p, q int) bool { return v[idx[p]] < v[idx[q]] })
	return idx
}
