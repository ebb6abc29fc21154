package conformance

import (
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
)

// SpecialCase puts special values into a pair's inputs (x, y, log-weights,
// potentials; n rows, m columns, d coordinates; n > 5, m > 7).
type SpecialCase struct {
	Name string
	Edit func(x, y, lw, g []float64, n, m, d int)
}

// SpecialCases returns the special values of the suite's checks (also
// run by compute/webgpu's TestSpecialValues over each GPU route).
func SpecialCases() []SpecialCase { return specialCases }

// specialCases are the special values every backend must treat as
// compute's reference loops do (compute.rowLSE, rowMean): a +Inf column
// potential makes every row's soft-min -Inf and its soft-mean the mean of
// the +Inf columns' values (one column and three); -Inf potentials and
// log-weights are columns of zero weight; an infinite coordinate is a
// cost of +Inf (a row at infinity: soft-min +Inf, soft-mean NaN; a column
// at infinity, y_0 included, about which the GPU's kernels centre: no
// weight); NaN anywhere gives NaN.
var specialCases = []SpecialCase{
	{"g=+Inf at one column", func(x, y, lw, g []float64, n, m, d int) { g[m/3] = math.Inf(1) }},
	{"g=+Inf at three columns", func(x, y, lw, g []float64, n, m, d int) {
		g[0], g[m/3], g[m-1] = math.Inf(1), math.Inf(1), math.Inf(1)
	}},
	{"g=-Inf", func(x, y, lw, g []float64, n, m, d int) { g[0], g[m/2] = math.Inf(-1), math.Inf(-1) }},
	{"logw=-Inf", func(x, y, lw, g []float64, n, m, d int) { lw[0], lw[5] = math.Inf(-1), math.Inf(-1) }},
	{"g=NaN", func(x, y, lw, g []float64, n, m, d int) { g[m/2] = math.NaN() }},
	{"logw=NaN", func(x, y, lw, g []float64, n, m, d int) { lw[m/2] = math.NaN() }},
	{"x NaN", func(x, y, lw, g []float64, n, m, d int) { x[5*d+d/2] = math.NaN() }},
	{"x +Inf", func(x, y, lw, g []float64, n, m, d int) { x[5*d+d/2] = math.Inf(1) }},
	{"x -Inf", func(x, y, lw, g []float64, n, m, d int) { x[5*d] = math.Inf(-1) }},
	{"y NaN", func(x, y, lw, g []float64, n, m, d int) { y[7*d] = math.NaN() }},
	{"y +Inf", func(x, y, lw, g []float64, n, m, d int) { y[7*d] = math.Inf(1) }},
	{"y_0 -Inf", func(x, y, lw, g []float64, n, m, d int) { y[0] = math.Inf(-1) }},
}

// specialErr is the error of got against the reference want: +Inf where
// an entry is NaN, +Inf or -Inf in one and not the same in the other,
// else the largest |got - want| over the finite entries, divided by
// scale.
func specialErr(got, want []float64, scale float64) float64 {
	var e float64
	for i, w := range want {
		g := got[i]
		if math.IsNaN(w) || math.IsInf(w, 0) || math.IsNaN(g) || math.IsInf(g, 0) {
			if math.IsNaN(g) != math.IsNaN(w) || math.IsInf(g, 1) != math.IsInf(w, 1) || math.IsInf(g, -1) != math.IsInf(w, -1) {
				return math.Inf(1)
			}
			continue
		}
		e = max(e, math.Abs(g-w)/scale)
	}
	return e
}

// finiteMaxAbs is maxAbs over the finite entries of v.
func finiteMaxAbs(v []float64) float64 {
	var m float64
	for _, t := range v {
		if !math.IsNaN(t) && !math.IsInf(t, 0) {
			m = max(m, math.Abs(t))
		}
	}
	return m
}

// specialChecks runs SoftMin, SoftMean (the values Y's own array) and
// SoftMeanY (c = 1.5) on each specialCase at n = 65, m = 130, eps = 0.3
// and dimensions 1, 2, 3, 8, 64 (the d <= 3, 4..16 and high-d kernels of
// the GPU; quick: 64 only, whose kernels the quick suite compiles anyway
// and where Chromium's SwiftShader once gave a finite soft-min for a NaN
// potential), against the plain loops of compute.NewCPURef: the same NaN
// or infinity where the reference has one, the finite entries within the
// tolerances of the other SoftMin and SoftMean checks.
func specialChecks(b compute.Backend, opts Options) []check {
	const n, m, eps = 65, 130, 0.3
	ds := []int{1, 2, 3, 8, 64}
	if opts.Quick {
		ds = []int{64}
	}
	var out []check
	for _, d := range ds {
		for _, sc := range specialCases {
			inputs := func() (x, y, lw, g []float64) {
				x, y, g = points(uint64(90+d), n, d, 0), points(uint64(95+d), m, d, 0.5), points(99, m, 1, 0)
				lw = make([]float64, m)
				for j := range lw {
					lw[j] = -math.Log(m)
				}
				sc.Edit(x, y, lw, g, n, m, d)
				return x, y, lw, g
			}
			for _, op := range []string{"softmin", "softmean", "softmeany"} {
				mean := op != "softmin"
				out = append(out, check{Result{Op: op, Case: fmt.Sprintf("%s n=%d m=%d d=%d", sc.Name, n, m, d)}, func(r *Result) {
					x, y, lw, g := inputs()
					want, err := runSpecial(compute.NewCPURef(1), x, y, lw, g, n, m, d, eps, op)
					if err != nil {
						r.Err = fmt.Errorf("the reference: %w", err)
						return
					}
					got, err := runSpecial(b, x, y, lw, g, n, m, d, eps, op)
					if r.Err = err; err != nil {
						return
					}
					maxC := 0.0
					for i := range n {
						for j := range m {
							if c := sqdist(x[i*d:i*d+d], y[j*d:j*d+d]); c <= math.MaxFloat64 { // finite, not NaN
								maxC = max(maxC, c)
							}
						}
					}
					if mean {
						r.MaxErr = specialErr(got, want, specialMeanC*finiteMaxAbs(y))
						r.Tol = min(2e-3, 1e-4+1e-7*maxC/eps)
					} else {
						r.MaxErr = specialErr(got, want, finiteMaxAbs(want)+maxC+eps)
						r.Tol = softMinTol(b)
					}
				}})
			}
		}
	}
	return out
}

// specialMeanC is SoftMeanY's c in the special-value checks.
const specialMeanC = 1.5

// runSpecial returns the soft-min, the soft-mean of Y or SoftMeanY's
// soft-mean of specialMeanC Y (op) of the pair on b.
func runSpecial(b compute.Backend, x, y, lw, g []float64, n, m, d int, eps float64, op string) ([]float64, error) {
	in, err := upload(b, x, y, lw, g)
	if err != nil {
		return nil, err
	}
	defer freeAll(b, in)
	rows := n
	if op != "softmin" {
		rows = n * d
	}
	dst, err := b.Alloc(rows)
	if err != nil {
		return nil, err
	}
	defer b.Free(dst)
	p := compute.Pairs{X: in[0], Y: in[1], N: n, M: m, D: d, LogW: in[2], G: in[3], Eps: eps}
	switch op {
	case "softmin":
		err = b.SoftMin(dst, p)
	case "softmean":
		err = b.SoftMean(dst, p, in[1], d)
	default:
		err = b.SoftMeanY(dst, p, specialMeanC)
	}
	if err != nil {
		return nil, err
	}
	got := make([]float64, rows)
	return got, b.Read(got, dst)
}
