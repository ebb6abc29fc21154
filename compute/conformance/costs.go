package conformance

import (
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
)

// Ground costs other than |x - y|^2 (compute.Cost): the powers
// |x - y|_2^P for P = 1 and 1.5, |x - y|^2 summed from the coordinate
// differences (compute.Cost.Differences), and a dense cost matrix (the l1 distance
// sum_k |x_k - y_k|, which no point kernel computes) stored row-major and
// transposed. Tolerances are those of the squared cost, in units of the
// largest cost.

// costCase is one ground cost of the checks.
type costCase struct {
	name        string
	p           float64 // power, or 0 with matrix
	matrix      bool
	transposed  bool
	differences bool
}

var costCases = []costCase{
	{name: "p=1", p: 1},
	{name: "p=1.5", p: 1.5},
	{name: "p=2 differences", p: 2, differences: true},
	{name: "matrix", matrix: true},
	{name: "matrix^T", matrix: true, transposed: true},
}

// costOf returns the cost of pair (i, j) of p under cc in float64.
func (cc costCase) costOf(p pairData, i, j int) float64 {
	xi, yj := p.x[i*p.d:i*p.d+p.d], p.y[j*p.d:j*p.d+p.d]
	if cc.matrix {
		var s float64
		for k := range xi {
			s += math.Abs(xi[k] - yj[k])
		}
		return s
	}
	return math.Pow(math.Sqrt(sqdist(xi, yj)), cc.p)
}

// costMatrix returns the dense costs, N x M row-major or M x N transposed.
func (cc costCase) costMatrix(p pairData) []float64 {
	c := make([]float64, p.n*p.m)
	for i := 0; i < p.n; i++ {
		for j := 0; j < p.m; j++ {
			if cc.transposed {
				c[j*p.n+i] = cc.costOf(p, i, j)
			} else {
				c[i*p.m+j] = cc.costOf(p, i, j)
			}
		}
	}
	return c
}

// refLogits returns s_ij = logw_j + (g_j - C_ij)/eps for row i into s and
// their maximum.
func (cc costCase) refLogits(p pairData, i int, eps float64, s []float64) float64 {
	mx := math.Inf(-1)
	for j := range s {
		s[j] = p.logw[j] + (p.g[j]-cc.costOf(p, i, j))/eps
		mx = max(mx, s[j])
	}
	return mx
}

func costChecks(b compute.Backend, opts Options) []check {
	type size struct{ n, m, d int }
	// {5, 3000, 2}: few rows, many columns, so the GPU splits the
	// columns and merges the splits (softmin_combine, softmean_cost_combine).
	shapes := []size{{1, 1, 1}, {65, 63, 2}, {130, 257, 5}, {64, 64, 3}, {5, 3000, 2}}
	if !opts.Quick {
		shapes = append(shapes, size{4097, 129, 2}, size{63, 65, 64})
	}
	var out []check
	for _, cc := range costCases {
		for _, sh := range shapes {
			// The data and its largest cost, built when a check of the
			// shape first runs.
			var p *pairData
			var maxC float64
			data := func() (pairData, float64) {
				if p == nil {
					q := newPairData(sh.n, sh.m, sh.d, uint64(500*sh.d+sh.n))
					for i := 0; i < q.n; i++ {
						for j := 0; j < q.m; j++ {
							maxC = max(maxC, cc.costOf(q, i, j))
						}
					}
					p = &q
				}
				return *p, maxC
			}
			for _, eps := range []float64{1e-2, 1} {
				name := fmt.Sprintf("%s n=%d m=%d d=%d eps=%g", cc.name, sh.n, sh.m, sh.d, eps)
				out = append(out, check{Result{Op: "softmin", Case: name}, func(r *Result) {
					p, maxC := data()
					want := make([]float64, p.n)
					s := make([]float64, p.m)
					for i := range want {
						mx := cc.refLogits(p, i, eps, s)
						var t float64
						for _, v := range s {
							t += math.Exp(v - mx)
						}
						want[i] = -eps * (mx + math.Log(t))
					}
					got, err := runCost(b, p, cc, eps, false)
					r.Err = err
					if err == nil {
						r.MaxErr = maxErr(got, want) / (maxAbs(want) + maxC + eps)
						r.Tol = 3e-6
					}
				}})
				out = append(out, check{Result{Op: "softmean", Case: name}, func(r *Result) {
					p, maxC := data()
					s := make([]float64, p.m)
					mean := make([]float64, p.n*p.d)
					for i := 0; i < p.n; i++ {
						mx := cc.refLogits(p, i, eps, s)
						var z float64
						for j, v := range s {
							w := math.Exp(v - mx)
							z += w
							for k := 0; k < p.d; k++ {
								mean[i*p.d+k] += w * p.y[j*p.d+k]
							}
						}
						for k := 0; k < p.d; k++ {
							mean[i*p.d+k] /= z
						}
					}
					got, err := runCost(b, p, cc, eps, true)
					r.Err = err
					if err == nil {
						r.MaxErr = maxErr(got, mean) / maxAbs(p.y)
						r.Tol = min(2e-3, 1e-4+1e-7*maxC/eps)
					}
				}})
			}
		}
	}
	return append(out, check{Result{Op: "errors", Case: "bad costs refused"}, func(r *Result) { costErrorCheck(b, r) }})
}

// runCost runs SoftMin (or SoftMean of V = Y) of p under cc on b.
func runCost(b compute.Backend, p pairData, cc costCase, eps float64, mean bool) ([]float64, error) {
	in, err := upload(b, p.x, p.y, p.logw, p.g)
	if err != nil {
		return nil, err
	}
	defer freeAll(b, in)
	pairs := compute.Pairs{X: in[0], Y: in[1], N: p.n, M: p.m, D: p.d, LogW: in[2], G: in[3], Eps: eps,
		Cost: compute.Cost{P: cc.p, Differences: cc.differences}}
	if cc.matrix {
		c, err := b.Upload(cc.costMatrix(p))
		if err != nil {
			return nil, err
		}
		defer b.Free(c)
		pairs.Cost = compute.Cost{Matrix: c, Transposed: cc.transposed}
		pairs.X, pairs.Y, pairs.D = nil, nil, 0
	}
	n := p.n
	if mean {
		n *= p.d
	}
	dst, err := b.Alloc(n)
	if err != nil {
		return nil, err
	}
	defer b.Free(dst)
	if mean {
		err = b.SoftMean(dst, pairs, in[1], p.d)
	} else {
		err = b.SoftMin(dst, pairs)
	}
	if err != nil {
		return nil, err
	}
	got := make([]float64, n)
	return got, b.Read(got, dst)
}

// costErrorCheck: a cost matrix of the wrong size and a bad power are
// refused with ErrBadArgument.
func costErrorCheck(b compute.Backend, r *Result) {
	in, err := upload(b, []float64{0, 1, 2, 3}, []float64{1, 2, 3})
	if err != nil {
		r.Err = err
		return
	}
	defer freeAll(b, in)
	dst, err := b.Alloc(2)
	if err != nil {
		r.Err = err
		return
	}
	defer b.Free(dst)
	x := in[0]
	cases := []struct {
		name string
		p    compute.Pairs
	}{
		{"matrix of 3 for 2 x 2", compute.Pairs{N: 2, M: 2, Eps: 1, Cost: compute.Cost{Matrix: in[1]}}},
		{"a matrix and P = 1", compute.Pairs{N: 2, M: 2, Eps: 1, Cost: compute.Cost{Matrix: x, P: 1}}},
		{"P = -1", compute.Pairs{X: x, Y: x, N: 2, M: 2, D: 2, Eps: 1, Cost: compute.Cost{P: -1}}},
		{"P = NaN", compute.Pairs{X: x, Y: x, N: 2, M: 2, D: 2, Eps: 1, Cost: compute.Cost{P: math.NaN()}}},
		{"a matrix and Differences", compute.Pairs{N: 2, M: 2, Eps: 1, Cost: compute.Cost{Matrix: x, Differences: true}}},
		{"Transposed without a matrix", compute.Pairs{X: x, Y: x, N: 2, M: 2, D: 2, Eps: 1, Cost: compute.Cost{Transposed: true}}},
	}
	for _, c := range cases {
		if err := b.SoftMin(dst, c.p); err == nil {
			r.Err = fmt.Errorf("SoftMin accepted %s", c.name)
			break
		}
	}
}
