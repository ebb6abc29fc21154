package compute

import (
	"fmt"
	"math"
	"runtime"
)

// NewCPUFast returns the fast CPU backend: the float64 CPU backend whose
// fused reductions (SoftMin, SoftMean) trade the last digits for speed,
// to float32-grade accuracy (the GPU's): every other op is the reference's.
//
// Two changes in the pair loops, both bounded:
//   - exp by range reduction and a short polynomial (relative error
//     < 1e-9, far below float32's 6e-8), in float32 vector lanes (2e-7)
//     where softMin2D runs (d = 2 on the vector loops);
//   - terms more than 40 below the row's largest are skipped: each is
//     < e^-40 = 4.2e-18 of the largest, so even 1e8 of them change the sum
//     by < 4.2e-10 relative. The soft-min skips whole spatial blocks of
//     columns by a bound (columnBlocks), the soft-mean single terms after
//     one compare.
//
// The conformance suite runs over it with the GPU's float32 tolerances.
func NewCPUFast(workers int) *CPU {
	c := NewCPU(workers)
	c.fast = true
	return c
}

// skipBelow is the log-weight gap past which the fast path drops a term.
const skipBelow = -40.0

// expNonPos returns e^x for x <= 0 to a relative error below 1e-9
// (0 below -708, where float64 underflows).
func expNonPos(x float64) float64 {
	if x < -708 {
		return 0
	}
	// x = (k + f) ln 2 with k integer and f in (-1, 0]: e^x = 2^k e^(f ln 2),
	// then recentre u = (f + 1/2) ln 2 in [-ln2/2, ln2/2]: e^x = 2^k 2^(-1/2) e^u.
	t := x * math.Log2E
	k := float64(int64(t)) // truncation toward zero: ceil(t) for t <= 0
	u := (t - k + 0.5) * math.Ln2
	p := 1 + u*(1+u*(1.0/2+u*(1.0/6+u*(1.0/24+u*(1.0/120+u*(1.0/720+u*(1.0/5040+u*(1.0/40320))))))))
	return p * math.Sqrt2 / 2 * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// softMinFast is SoftMin's fast loop (see NewCPUFast): for D = 2 on a
// CPU with AVX2 and FMA, the float32 vector loop of softMin2D (in
// assembly, or archsimd in the GOEXPERIMENT=simd build); otherwise the
// blocked loops of the float64 fast path at float32 grade (softMin64 with
// grade32). The vector loop works in base 2: coordinates are scaled by
// sqrt(log2(e)/eps) and the column bias by log2(e), so a pair is v = h2_j
// - |x'_i - y'_j|^2 and its weight 2^v.
func (c *CPU) softMinFast(out []float64, p Pairs) {
	if p.D != 2 || !c.loops.vector() {
		c.softMin64(out, p, grade32)
		return
	}
	m := p.M
	sc := math.Sqrt(math.Log2E / p.Eps)
	xs := scaled(host(p.X), sc)
	ys := scaled(host(p.Y), sc)
	h := columnBias(host(p.LogW), host(p.G), m, 1/p.Eps)
	for j := range h {
		h[j] *= math.Log2E
	}
	c.softMin2D(out, xs, ys, h, m, -p.Eps*math.Ln2)
}

// softMin2D is the fast path's soft-min for D = 2, eight columns at a
// time in float32 (AVX2), in two passes over the columns of each row (they
// stay in cache; softMinRow32): the lane-wise maximum of v = h_j - |x' -
// y'_j|^2, then s = sum_j 2^(v_j - max), one exp per pair and no
// rescaling; the eight lanes are merged in float64. xs, ys are the base-2
// scaled coordinates and h the scaled column bias of softMinFast. 2^t
// (t <= 0) is exp2x8: round t to k, a degree-6 Taylor polynomial of
// e^((t-k) ln 2) (relative error < 2e-7), times 2^k built in the
// exponent bits; t is clamped at -126 (2^-126 of the row's largest term
// is below float32's resolution of a sum).
func (c *CPU) softMin2D(out []float64, xs, ys, h []float64, m int, outk float64) {
	m8 := (m + 7) &^ 7
	y0 := make([]float32, m8)
	y1 := make([]float32, m8)
	hh := make([]float32, m8)
	for j := 0; j < m8; j++ {
		if j < m {
			y0[j], y1[j], hh[j] = float32(ys[2*j]), float32(ys[2*j+1]), float32(h[j])
		} else {
			hh[j] = -1e30 // padding: a column of no weight
		}
	}
	c.parallel(len(out), func(lo, hi int) {
		var ms [16]float32
		for i := lo; i < hi; i++ {
			if i&15 == 0 {
				yieldDue()
			}
			softMinRow32(c.loops, &ms, float32(xs[2*i]), float32(xs[2*i+1]), y0, y1, hh)
			M := math.Inf(-1)
			for _, t := range ms[:8] {
				M = max(M, float64(t))
			}
			var S float64
			if M > -1e30 { // else no column had weight (every h_j -Inf): S = 0, f_i = +Inf
				for l, t := range ms[8:] {
					S += float64(t) * math.Exp2(float64(ms[l])-M)
				}
			}
			out[i] = outk * (M + math.Log2(S))
		}
	})
}

// scaled returns v * k in a new slice.
func scaled(v []float64, k float64) []float64 {
	out := make([]float64, len(v))
	for i, t := range v {
		out[i] = t * k
	}
	return out
}

// softMeanFast is SoftMean's fast loop (see NewCPUFast): on the vector
// loops the float64 fast path's (softMean64) with grade32's gap, which
// took a third of this loop's CPU time at n = 2000, d = 2 (half at
// d = 64); on the pure Go loops one online pass per row.
func (c *CPU) softMeanFast(out []float64, p Pairs, vals []float64, dv int) {
	if c.loops.vector() {
		c.softMean64(out, p, vals, dv, grade32)
		return
	}
	x, y := host(p.X), host(p.Y)
	d, m, inv := p.D, p.M, 1/p.Eps
	h := columnBias(host(p.LogW), host(p.G), m, inv)
	c.parallel(p.N, func(lo, hi int) {
		acc := make([]float64, dv)
		for i := lo; i < hi; i++ {
			if i&15 == 0 {
				yieldDue()
			}
			xi := x[i*d : i*d+d]
			clear(acc)
			mx, s := -math.MaxFloat64, 0.0
			for j := 0; j < m; j++ {
				var cst float64
				for k, t := range xi {
					t -= y[j*d+k]
					cst += t * t
				}
				v := h[j] - cst*inv
				vj := vals[j*dv : j*dv+dv]
				if v <= mx {
					e := v - mx
					if e <= skipBelow {
						continue
					}
					w := expNonPos(e)
					s += w
					for k, t := range vj {
						acc[k] += w * t
					}
				} else {
					r := expNonPos(mx - v)
					s = s*r + 1
					for k, t := range vj {
						acc[k] = acc[k]*r + t
					}
					mx = v
				}
			}
			for k := range acc {
				out[i*dv+k] = acc[k] / s
			}
		}
	})
}

// columnBias returns h_j = logw_j + g_j / eps (nil inputs read 0).
func columnBias(lw, g []float64, m int, inv float64) []float64 {
	h := make([]float64, m)
	for j := range h {
		if g != nil {
			h[j] = g[j] * inv
		}
		if lw != nil {
			h[j] += lw[j]
		}
	}
	return h
}

func (c *CPU) fastInfo() Info {
	return Info{Name: "cpu32", Device: fmt.Sprintf("%s/%s, %d threads", runtime.GOOS, runtime.GOARCH, c.workers),
		API: c.loops.describe(), Precision: "float32-grade (fast exp, skipped tails)", MaxArray: maxCPUArray, Notes: c.costCacheNote()}
}
