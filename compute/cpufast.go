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
//     where softMin2DSIMD runs;
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
// CPU with AVX2 and FMA, built with GOEXPERIMENT=simd, the float32 vector
// loop of softMin2DSIMD; otherwise the blocked loops of the float64 fast
// path at float32 grade (softMin64 with grade32), which need no build
// flag. The vector loop works in base 2: coordinates are scaled by
// sqrt(log2(e)/eps) and the column bias by log2(e), so a pair is v = h2_j
// - |x'_i - y'_j|^2 and its weight 2^v.
func (c *CPU) softMinFast(out []float64, p Pairs) {
	if p.D != 2 || !simdSoftMin || c.noSIMD {
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
	softMin2DSIMD(c, out, xs, ys, h, m, -p.Eps*math.Ln2)
}

// scaled returns v * k in a new slice.
func scaled(v []float64, k float64) []float64 {
	out := make([]float64, len(v))
	for i, t := range v {
		out[i] = t * k
	}
	return out
}

// softMeanFast is SoftMean's fast loop (see NewCPUFast).
func (c *CPU) softMeanFast(out []float64, p Pairs, vals []float64, dv int) {
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
		API: "Go", Precision: "float32-grade (fast exp, skipped tails)", MaxArray: maxCPUArray}
}
