package compute

import "math"

// The float64 fast path, what `--backend cpu` runs: the same numbers as
// the plain loops of cpu.go (NewCPURef) to a few ulps (TestSoftMin64-
// MatchesReference: 2e-14 of the terms' scale; plans equal to POT's to
// 1e-12: TestCPUPlansEqualPOT), several times faster. The changes, none of
// which trades accuracy that float64 resolves:
//
//   - a table-driven exp accurate to 1 ulp over the whole float64 range
//     (exp64, sumExp), and on the vector loops (loopKind: AVX2 and FMA
//     assembly, or archsimd in the GOEXPERIMENT=simd build, cpuasm.go) a
//     four-lane one (exp4), so that independent pairs pipeline instead of
//     waiting on math.Exp's branches;
//   - each row's log-sum-exp in two passes (the row maximum, then sum_j
//     e^(v_j - max)) over the columns' logits held in a buffer per worker
//     that stays in cache: no rescaling; at d = 2 on the assembly loops in
//     one pass, shifted by a lower bound of the maximum (cpuasm.go);
//   - rows taken four at a time, so every column (y_j, h_j) is loaded once
//     for four rows and four exps are in flight at once;
//   - rows and columns in k-d order and columns in blocks with bounding
//     boxes (columnBlocks), so that blocks whose every term is below
//     e^-60 of the row's largest are skipped in both passes (up to
//     d = maxBoundDim), and single terms below it in the scalar exp loop;
//     the rows are handed to the cores 64 at a time (their cost varies
//     with the blocks they keep);
//   - from d = dotMinDim, on the vector loops, the cost in the
//     expanded form |x|^2 + |y|^2 - 2 x.y over centred clouds, four rows
//     by eight columns of fused multiply-adds (cpuhd.go, with its error
//     bound);
//   - from d = costCacheMinDim, where it fits a memory budget, the cost
//     matrix computed once by those loops and the logits read from it on
//     later calls with the same clouds (costcache.go), the same bits.
//
// The dispatch is in CPU.SoftMin (cpu.go), after the cost's: these kernels
// are written for the squared Euclidean cost. cpu32 (NewCPUFast) runs the
// same loops at float32 grade where it has no vector loop of its own.

// Constants of exp64: Cody and Waite's split of ln 2 (the hi part has 21
// trailing zero bits, so k*ln2Hi/32 is exact for |k| < 2^21), and the
// round-to-nearest magic 1.5 * 2^52 (adding it leaves round(t) in the low
// mantissa bits for |t| < 2^51).
const (
	ln2Hi      = 6.93147180369123816490e-01
	ln2Lo      = 1.90821492927058770002e-10
	roundMagic = 0x1.8p52
)

// exp2Table holds 2^(j/32) for j = 0 .. 31 as hi + lo: hi rounded to
// float64 and lo the rest, computed to 60 digits (Python's decimal).
var exp2Table = [32]struct{ hi, lo float64 }{
	{1.0, 0.0},
	{1.0218971486541166, 5.109225028973444e-17},
	{1.0442737824274138, 8.551889705537965e-17},
	{1.0671404006768237, -7.899853966841582e-17},
	{1.0905077326652577, -3.046782079812471e-17},
	{1.1143867425958924, 1.0410278456845571e-16},
	{1.1387886347566916, 8.912812676025408e-17},
	{1.1637248587775775, 3.8292048369240935e-17},
	{1.189207115002721, 3.982015231465646e-17},
	{1.215247359980469, -7.712630692681488e-17},
	{1.241857812073484, 4.658027591836937e-17},
	{1.2690509571917332, 2.667932131342186e-18},
	{1.2968395546510096, 2.5382502794888315e-17},
	{1.3252366431597413, -2.8587312100388614e-17},
	{1.3542555469368927, 7.70094837980299e-17},
	{1.383909881963832, -6.770511658794786e-17},
	{1.4142135623730951, -9.667293313452913e-17},
	{1.4451808069770467, -3.0237581349939873e-17},
	{1.4768261459394993, -3.483994556892796e-17},
	{1.5091644275934228, -1.016455327754295e-16},
	{1.5422108254079407, 7.949834809697621e-17},
	{1.5759808451078865, -1.0136916471278304e-17},
	{1.6104903319492543, 2.4707192569797888e-17},
	{1.645755478153965, -1.0125679913674773e-16},
	{1.681792830507429, 8.199010020581497e-17},
	{1.718619298122478, -1.851380418263111e-17},
	{1.7562521603732995, 2.960140695448873e-17},
	{1.7947090750031072, 1.8227458427912087e-17},
	{1.8340080864093424, 3.283107224245627e-17},
	{1.8741676341103, -6.122763413004143e-17},
	{1.9152065613971474, -1.0619946056195963e-16},
	{1.9571441241754002, 8.960767791036668e-17},
}

// exp64 returns e^x for every float64 x to at most 1 ulp (TestExp64
// measures it against the correctly rounded value, subnormal results,
// underflow, overflow and NaN included). It is sumExp of one term, whose
// loop holds the method.
func exp64(x float64) float64 {
	v := [1]float64{x}
	return sumExp(v[:], 0, -746)
}

// sumFloor is the clamp of the vector exp (exp4) and of sumExp32: e^-708 = 3.3e-308
// is a normal float64, so no term is subnormal (subnormal arithmetic is
// tens of times slower on x86), and a term of e^t < e^-708 adds at most
// 3.3e-308 to a sum of at least 1 (its largest term is e^0), which no
// float64 sum of fewer than 1e290 terms resolves.
const sumFloor = -708

// sumExp returns sum_j e^(v[j] - shift) over the terms whose exponent is
// at least floor (one compare each: in a soft-min most terms are far below
// the largest), each exp to at most 1 ulp; floor = -746 drops nothing
// (e^-746 rounds to 0).
//
// The exp is Tang's table-driven method (P. T. P. Tang, "Table-driven
// implementation of the exponential function in IEEE floating-point
// arithmetic", ACM TOMS 15(2), 1989): clamp t = v[j] - shift at 710
// (e^710 overflows, so the clamp changes no result); k = round(32 t /
// ln 2) = 32 m + j; r = t - k ln(2)/32 in two parts (Cody and Waite),
// |r| <= ln(2)/64; e^t = 2^m 2^(j/32) e^r with
// 2^(j/32) from exp2Table and e^r - 1 by its Taylor polynomial of degree 6
// (truncation error r^7/7! < 4e-18); then times 2^m, applied as
// 2^(m/2) 2^(m - m/2) so that both factors are normal numbers and a
// subnormal result is rounded once more at most. NaN stays NaN (Go's min
// propagates it). Successive terms are independent and pipeline.
func sumExp(v []float64, shift, floor float64) float64 {
	var s float64
	for _, x := range v {
		x -= shift
		if x < floor {
			continue
		}
		x = min(x, 710)
		t := x*(32/math.Ln2) + roundMagic
		k := t - roundMagic
		r := (x - k*(ln2Hi/32)) - k*(ln2Lo/32)
		ki := int64(k)
		e := exp2Table[uint64(ki)&31]
		p := r + r*r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720)))))
		y := e.hi + (e.lo + e.hi*p)
		m := ki >> 5
		m1 := m >> 1
		s += y * math.Float64frombits(uint64(m1+1023)<<52) * math.Float64frombits(uint64(m-m1+1023)<<52)
	}
	return s
}

// sumExp32 is sumExp at float32 grade, the exp of cpu32's scalar loops:
// Tang's method as in sumExp with e^r - 1 to degree 3 (truncation r^4/4!
// < 6e-10 relative for |r| <= ln(2)/64), terms below e^skipBelow dropped
// one by one (see NewCPUFast), so no result is subnormal.
func sumExp32(v []float64, shift float64) float64 {
	var s float64
	for _, x := range v {
		x -= shift
		if x < skipBelow {
			continue
		}
		t := x*(32/math.Ln2) + roundMagic
		k := t - roundMagic
		r := (x - k*(ln2Hi/32)) - k*(ln2Lo/32)
		ki := int64(k)
		e := exp2Table[uint64(ki)&31]
		y := e.hi + e.hi*(r+r*r*(1.0/2+r*(1.0/6)))
		s += y * math.Float64frombits(uint64(ki>>5+1023)<<52)
	}
	return s
}

// softMin64 is SoftMin on the float64 fast path: for each row i,
//
//	v_ij = h_j - |x_i - y_j|^2 / eps,   h_j = logw_j + g_j / eps
//	out[i] = -eps (max_j v_ij + log sum_j e^(v_ij - max_j v_ij))
//
// four rows at a time (see the top of this file), over the columns
// grouped into spatial blocks (columnBlocks). The maximum starts at
// -MaxFloat64, as in the reference, so columns of zero weight (logw =
// -Inf) add e^-Inf = 0. With the assembly loops at d = 2 the four rows
// take the one-pass kernel (softMin4x2, cpuasm.go) instead.
//
// The same loops serve cpu32 (NewCPUFast) where it has no float32 vector
// loop of its own, at float32 grade: grade32 skips blocks below e^-40
// instead of e^-60 and, in the scalar loops, takes e^r to degree 3
// (sumExp32) instead of 6.
func (c *CPU) softMin64(out []float64, p Pairs, grade softMinGrade) {
	onePass := c.loops == loopsAsm && p.D == 2
	c.rowBlocks(p, grade.gap, func(cb *columnBlocks) func(rb *rowBlock) {
		return func(rb *rowBlock) {
			if onePass && rb.onePass(out, p.Eps) {
				return
			}
			rb.fillLogits()
			m, nb := len(cb.h), len(cb.start)-1
			for r := range rb.n {
				s := 0.0 // no column of nonzero weight: the reference's +Inf
				if rb.mx[r] > -math.MaxFloat64 {
					for _, b := range rb.kept {
						if rb.ub[r*nb+b]-rb.mx[r] < grade.gap {
							continue
						}
						switch v := rb.buf[r*m+cb.start[b] : r*m+cb.start[b+1]]; {
						case c.loops.vector():
							s += sumExpVec(c.loops, v, rb.mx[r])
						case grade.cheapExp:
							s += sumExp32(v, rb.mx[r])
						default:
							s += sumExp(v, rb.mx[r], grade.gap)
						}
					}
				}
				out[rb.rows[r]] = -p.Eps * (rb.mx[r] + math.Log(s))
			}
		}
	})
}

// onePass finishes the four rows of rb by the one-pass kernel of
// cpuasm.go, the sums shifted by the lower bounds of the rows' maxima
// that columnBlocks.bound found (rb.low), over the kept blocks (runs of
// consecutive ones in one call). It reports false, and writes nothing,
// where the two-pass loops must take the rows: a row with no finite
// bound (no column of nonzero weight), or a sum of 1e250 or more or not a
// number (the shift too far below the maximum: see cpuasm.go).
func (rb *rowBlock) onePass(out []float64, eps float64) bool {
	cb := rb.cb
	for r := range rb.n {
		if !(rb.low[r] > -math.MaxFloat64) {
			return false
		}
	}
	var s [16]float64
	for k := 0; k < len(rb.kept); {
		b0, b1 := rb.kept[k], rb.kept[k]
		for k++; k < len(rb.kept) && rb.kept[k] == b1+1; k++ {
			b1++
		}
		j0, j1 := cb.start[b0], cb.start[b1+1]
		softMin4x2(&s, rb.x, rb.rows, &rb.low, cb.y0[j0:j1], cb.y1[j0:j1], cb.h[j0:j1], rb.inv)
	}
	var sum [4]float64
	for r := range rb.n {
		sum[r] = (s[4*r] + s[4*r+1]) + (s[4*r+2] + s[4*r+3])
		if !(sum[r] < 1e250) {
			return false
		}
	}
	for r := range rb.n {
		out[rb.rows[r]] = -eps * (rb.low[r] + math.Log(sum[r]))
	}
	return true
}

// rowBlock is one pass of rowBlocks: four rows (rows[:n] distinct; a short
// last pass repeats its last row), the column blocks kept for them, their
// bounds ub[r*nb+b] (columnBlocks.bound) and lower bounds low[r] of each
// row's largest logit; after fillLogits, their logits buf[r*m+j] over the
// kept blocks and each row's largest logit mx[r].
type rowBlock struct {
	rows    [4]int
	n       int
	kept    []int
	ub, buf []float64
	low, mx [4]float64
	// The call's columns, rows (x, with their squared norms xn from
	// d = dotMinDim), 1/eps and loops.
	cb    *columnBlocks
	x, xn []float64
	inv   float64
	loops loopKind
	// cost (cpu) or cost32 (cpu32) is the stored cost matrix the logits
	// are read from (costcache.go), row stride len(cb.h), or nil: the
	// loops compute the cost.
	cost   []float64
	cost32 []float32
}

// fillLogits fills rb.buf and rb.mx (columnBlocks.logits).
func (rb *rowBlock) fillLogits() {
	switch {
	case rb.cost != nil:
		rb.mx = denseLogits(rb.buf, rb.kept, rb.cb.start, rb.cost, rb.cb.h, rb.rows, rb.inv, rb.loops, logitsDenseAVX2)
		return
	case rb.cost32 != nil:
		rb.mx = denseLogits(rb.buf, rb.kept, rb.cb.start, rb.cost32, rb.cb.h, rb.rows, rb.inv, rb.loops, logitsDense32AVX2)
		return
	}
	rb.mx = rb.cb.logits(rb.buf, rb.kept, rb.x, rb.xn, rb.rows, rb.inv, rb.loops)
}

// rowBlockRows is how many rows a worker of rowBlocks takes at a time.
const rowBlockRows = 64

// rowBlocks is the frame of the fast soft-min and soft-mean: the columns
// in blocks (columnBlocks), the rows in k-d order (rowOrder) handed out
// to the workers rowBlockRows at a time (the cost of a row depends on how
// many blocks it keeps, so equal shares would leave one core idle while
// another finishes), and for each four rows the blocks kept at the gap;
// then body, which worker makes once per goroutine (for its own scratch
// space), finishes the four rows, calling rb.fillLogits for their logits
// where it needs them.
func (c *CPU) rowBlocks(p Pairs, gap float64, worker func(cb *columnBlocks) func(rb *rowBlock)) {
	d, inv := p.D, 1/p.Eps
	h := columnBias(host(p.LogW), host(p.G), p.M, inv)
	var cb *columnBlocks
	var cost []float64                 // the stored cost matrix, from d = costCacheMinDim (costcache.go)
	var cost32 []float32               // cpu32's
	x, xn := host(p.X), []float64(nil) // xn: the rows' squared norms, from d = dotMinDim
	if e := c.costMatrix(p); e != nil {
		cb, cost, cost32 = e.cb.withBias(h), e.c, e.c32
	} else {
		cb = newColumnBlocks(host(p.Y), h, d)
		if c.loops.vector() && d >= dotMinDim {
			cb.centre()
			x, xn = centredRows(x, cb.mean, p.N, d)
		}
		if c.loops == loopsAsm && d != 2 && d < dotMinDim {
			cb.soa()
		}
	}
	m, nb := len(cb.h), len(cb.start)-1
	order := rowOrder(x, p.N, d)
	c.parallelShared(p.N, rowBlockRows, func() func(lo, hi int) {
		body := worker(cb)
		rb := &rowBlock{ub: make([]float64, 4*nb+4), buf: make([]float64, 4*m), kept: make([]int, 0, nb),
			cb: cb, x: x, xn: xn, inv: inv, loops: c.loops, cost: cost, cost32: cost32}
		return func(lo, hi int) {
			for i := lo; i < hi; i += 4 {
				yieldDue()
				clearUpperBits()
				n := min(4, hi-i)
				rb.n = n
				rb.rows = [4]int{order[i], order[i+min(1, n-1)], order[i+min(2, n-1)], order[i+min(3, n-1)]}
				rb.kept, rb.low = cb.bound(rb.ub, rb.kept[:0], x, rb.rows, inv, gap, c.loops)
				body(rb)
			}
		}
	})
}

// softMean64 is SoftMean on the float64 fast path: for each row i,
//
//	w_ij = e^(v_ij - max_j v_ij),  v_ij = h_j - |x_i - y_j|^2 / eps
//	out[i*dv+k] = sum_j w_ij vals[j*dv+k] / sum_j w_ij
//
// in softMin64's frame (rowBlocks): per row the weights of the blocks and
// terms above e^-60 of its largest (exp64, or a block's at once on the
// vector loops: expShiftVec) times the values. A row with no column of
// nonzero weight gives 0/0 = NaN, as in the reference. cpu32 runs it on
// the vector loops with grade32's gap (e^-40).
func (c *CPU) softMean64(out []float64, p Pairs, vals []float64, dv int, grade softMinGrade) {
	gap := grade.gap
	c.rowBlocks(p, gap, func(cb *columnBlocks) func(rb *rowBlock) {
		acc := make([]float64, dv)
		m, nb := len(cb.h), len(cb.start)-1
		w := make([]float64, columnBlockSize+4)
		return func(rb *rowBlock) {
			rb.fillLogits()
			for r := range rb.n {
				if !(rb.mx[r] > -math.MaxFloat64) {
					// No column of nonzero weight (0/0), or NaN logits
					// (coordinates whose squares overflow), which the
					// vector exps would clamp.
					for k := range dv {
						out[rb.rows[r]*dv+k] = math.NaN()
					}
					continue
				}
				clear(acc)
				s := 0.0
				for _, b := range rb.kept {
					if rb.ub[r*nb+b]-rb.mx[r] < gap {
						continue
					}
					j0, j1 := cb.start[b], cb.start[b+1]
					v := rb.buf[r*m+j0 : r*m+j1]
					if c.loops.vector() {
						expShiftVec(c.loops, w, v, rb.mx[r])
					}
					for j, t := range v {
						t -= rb.mx[r]
						src := cb.src[j0+j]
						if t < gap || src < 0 {
							continue // padding: -Inf, or NaN where the cost overflowed
						}
						var wj float64
						if c.loops.vector() {
							wj = w[j]
						} else {
							wj = exp64(t)
						}
						s += wj
						for k, vk := range vals[src*dv : src*dv+dv] {
							acc[k] += wj * vk
						}
					}
				}
				for k, a := range acc {
					out[rb.rows[r]*dv+k] = a / s
				}
			}
		}
	})
}

// softMinGrade is the accuracy a soft-min is computed to.
type softMinGrade struct {
	// gap is the log-weight gap, below a row's largest term, past which a
	// block of columns is skipped.
	gap float64
	// cheapExp takes e^r in the scalar loops to degree 3 (sumExp32).
	cheapExp bool
}

var (
	// grade64 loses nothing float64 resolves: e^-60 = 8.8e-27, so even
	// 1e10 skipped terms change a sum of at least 1 (its largest term) by
	// less than 1e-16 relative.
	grade64 = softMinGrade{gap: -60}
	// grade32 is float32 grade: e^-40 = 4.2e-18, so 1e8 skipped terms
	// change the sum by < 4.2e-10 relative; sumExp32 is within 1e-9.
	grade32 = softMinGrade{gap: skipBelow, cheapExp: true}
)

// maxBoundDim is the largest dimension where columnBlocks.bound tries
// its bound.
const maxBoundDim = 8

// columnBlockSize is the most columns in one block of columnBlocks.
const columnBlockSize = 32

// columnBlocks holds the columns reordered so that each block of at most
// columnBlockSize consecutive columns is spatially compact: a k-d split
// (recursively at the median of the widest coordinate), the grouping of
// KeOps' block-sparse reductions (Charlier et al., JMLR 2021, sec. 3.3;
// there by k-means). With each block's bounding box and largest h, one
// bound per (row, block) tells when every term of the block is
// negligible (softMinGrade), and the block's exps are skipped. A soft-min does not
// depend on the order of its columns (up to the rounding of the sum).
type columnBlocks struct {
	y, h   []float64 // the columns and their biases, reordered and padded
	y0, y1 []float64 // for d = 2: the columns' coordinates apart
	d      int
	start  []int     // block b is columns start[b] .. start[b+1]-1
	lo, hi []float64 // block b's bounding box: lo[b*d+k] .. hi[b*d+k]
	hmax   []float64 // block b's largest h
	best   []int     // block b's column of largest h (an index into h)
	bs     []float64 // for d = 2: lo, hi, the best column and hmax apart (bound2AVX2)
	ys     []float64 // for the assembly loops below dotMinDim but d = 2: soa's layout
	src    []int     // each column's index in the caller's order (-1: padding)
	// From d = dotMinDim with the vector loops (cpuhd.go): the columns'
	// mean, by which y is shifted, the shifted columns' squared norms, and
	// y by groups of 4 columns interleaved (logits4DotVec).
	mean, yn, yt []float64
}

// newColumnBlocks groups the columns y (m = len(h) points of dimension d,
// biases h) into blocks. Each block is padded to a multiple of 4 columns
// (for the vector loops) with copies of its last column of bias -Inf,
// which add nothing: at most e^sumFloor each.
func newColumnBlocks(y, h []float64, d int) *columnBlocks {
	m := len(h)
	perm := identity(m)
	cb := &columnBlocks{d: d}
	var leaves []int
	kdOrder(y, d, perm, 0, &leaves)
	leaves = append(leaves, m)
	nb := len(leaves) - 1
	cb.lo, cb.hi, cb.hmax, cb.best = make([]float64, nb*d), make([]float64, nb*d), make([]float64, nb), make([]int, nb)
	for b := range nb {
		cb.start = append(cb.start, len(cb.h))
		lo, hi := cb.lo[b*d:b*d+d], cb.hi[b*d:b*d+d]
		copy(lo, y[perm[leaves[b]]*d:])
		copy(hi, lo)
		cb.hmax[b] = math.Inf(-1)
		cb.best[b] = len(cb.h)
		for _, src := range perm[leaves[b]:leaves[b+1]] {
			yj := y[src*d : src*d+d]
			for k, t := range yj {
				lo[k], hi[k] = min(lo[k], t), max(hi[k], t)
			}
			cb.y = append(cb.y, yj...)
			cb.h = append(cb.h, h[src])
			cb.src = append(cb.src, src)
			if h[src] > cb.hmax[b] {
				cb.hmax[b], cb.best[b] = h[src], len(cb.h)-1
			}
		}
		last := perm[leaves[b+1]-1]
		for len(cb.h)%4 != 0 {
			cb.y = append(cb.y, y[last*d:last*d+d]...)
			cb.h = append(cb.h, math.Inf(-1))
			cb.src = append(cb.src, -1)
		}
	}
	cb.start = append(cb.start, len(cb.h))
	if d == 2 {
		cb.y0, cb.y1 = make([]float64, len(cb.h)), make([]float64, len(cb.h))
		for j := range cb.h {
			cb.y0[j], cb.y1[j] = cb.y[2*j], cb.y[2*j+1]
		}
		// The blocks' boxes, best columns and largest h apart, padded to
		// a multiple of 4 blocks of h = -Inf (bound2AVX2).
		nb4 := (nb + 3) &^ 3
		cb.bs = make([]float64, 7*nb4)
		for b := range nb4 {
			if b >= nb {
				cb.bs[6*nb4+b] = math.Inf(-1)
				continue
			}
			yb := cb.y[2*cb.best[b]:]
			for f, v := range [7]float64{cb.lo[2*b], cb.lo[2*b+1], cb.hi[2*b], cb.hi[2*b+1], yb[0], yb[1], cb.hmax[b]} {
				cb.bs[f*nb4+b] = v
			}
		}
	}
	return cb
}

// kdOrder orders perm (indices of points of dimension d in y, the
// subset starting at position offset of the whole order) by a k-d split:
// recursively at the median of the widest coordinate, down to sets of at
// most columnBlockSize points, and appends where each such leaf begins to
// leaves.
func kdOrder(y []float64, d int, perm []int, offset int, leaves *[]int) {
	if len(perm) <= columnBlockSize {
		*leaves = append(*leaves, offset)
		return
	}
	widest, spread := 0, -1.0
	for k := range d {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, j := range perm {
			lo, hi = min(lo, y[j*d+k]), max(hi, y[j*d+k])
		}
		if hi-lo > spread {
			widest, spread = k, hi-lo
		}
	}
	half := len(perm) / 2
	nthElement(y, d, widest, perm, half)
	kdOrder(y, d, perm[:half], offset, leaves)
	kdOrder(y, d, perm[half:], offset+half, leaves)
}

// nthElement reorders perm (indices of points of dimension d in y) so that
// perm[k] is a point of rank k by coordinate c, none before it larger and
// none after it smaller: Hoare's FIND (C. A. R. Hoare, "Algorithm 65:
// Find", CACM 4(7), 1961) with the median of three as the pivot, in
// expected linear time (a sort per level made the k-d orders of a 4000-
// point soft-min cost 15% of it). Points whose coordinate is NaN stop
// both scans, so the loops end; where they go is unspecified.
func nthElement(y []float64, d, c int, perm []int, k int) {
	key := func(i int) float64 { return y[perm[i]*d+c] }
	lo, hi := 0, len(perm)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if key(mid) < key(lo) {
			perm[mid], perm[lo] = perm[lo], perm[mid]
		}
		if key(hi) < key(lo) {
			perm[hi], perm[lo] = perm[lo], perm[hi]
		}
		if key(hi) < key(mid) {
			perm[hi], perm[mid] = perm[mid], perm[hi]
		}
		pivot := key(mid)
		i, j := lo, hi
		for i <= j {
			for i <= hi && key(i) < pivot {
				i++
			}
			for j >= lo && key(j) > pivot {
				j--
			}
			if i <= j {
				perm[i], perm[j] = perm[j], perm[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}

// rowOrder returns the rows' k-d order (up to maxBoundDim dimensions; the
// identity above), so that the four rows of a pass are near each other and
// need the same column blocks.
func rowOrder(x []float64, n, d int) []int {
	order := identity(n)
	if d <= maxBoundDim {
		var leaves []int
		kdOrder(x, d, order, 0, &leaves)
	}
	return order
}

// identity returns 0, 1, ..., n-1.
func identity(n int) []int {
	perm := make([]int, n)
	for j := range perm {
		perm[j] = j
	}
	return perm
}

// logits fills buf[r*m+j] (m = len(cb.h)) with the logits of the four
// rows against the columns of the kept blocks and returns each row's
// largest (-MaxFloat64 where there is none). From d = dotMinDim, x is
// centred by cb.mean and xn holds its rows' squared norms.
func (cb *columnBlocks) logits(buf []float64, kept []int, x, xn []float64, rows [4]int, inv float64, loops loopKind) [4]float64 {
	d, m := cb.d, len(cb.h)
	mx := [4]float64{-math.MaxFloat64, -math.MaxFloat64, -math.MaxFloat64, -math.MaxFloat64}
	for _, b := range kept {
		j0, j1 := cb.start[b], cb.start[b+1]
		dst := [4][]float64{buf[j0:j1], buf[m+j0 : m+j1], buf[2*m+j0 : 2*m+j1], buf[3*m+j0 : 3*m+j1]}
		y, h := cb.y[j0*d:j1*d], cb.h[j0:j1]
		vec := loops.vector()
		switch {
		case cb.yn != nil && loops == loopsAsm:
			logits4DotAsm(buf[j0:], m, &mx, x, xn, cb.yt[j0*d:j1*d], cb.yn[j0:j1], h, d, rows, inv)
		case cb.yn != nil:
			logits4DotVec(&dst, &mx, x, xn, cb.yt[j0*d:j1*d], cb.yn[j0:j1], h, d, rows, inv)
		case cb.ys != nil && loops == loopsAsm:
			logits4SoA(buf[j0:], m, &mx, x, cb.ys[j0*(d+1):j1*(d+1)], d, rows, inv)
		case d == 2 && loops == loopsAsm:
			logits4x2Asm(buf[j0:], m, &mx, x, cb.y0[j0:j1], cb.y1[j0:j1], h, rows, inv)
		case d == 2 && vec:
			logits4x2Vec(&dst, &mx, x, cb.y0[j0:j1], cb.y1[j0:j1], h, rows, inv)
		case d == 2:
			logits4x2(&dst, &mx, x, y, h, rows, inv)
		case d >= 4 && vec && simd64: // archsimd (no assembly twin yet)
			logits4Vec(&dst, &mx, x, y, h, d, rows, inv)
		default:
			logits4(&dst, &mx, x, y, h, d, rows, inv)
		}
	}
	return mx
}

// bound fills ub[r*nb+b] with an upper bound of the logits of block b
// for row r of rows, hmax_b - dist(x_r, box_b)^2 inv, returns in kept
// the blocks that may hold a term above e^gap of some row's largest. A
// row's largest logit is at least L_r, the largest logit of the blocks'
// columns of largest h and of the block of largest bound (exact logits);
// a block with ub <
// L_r + gap for all four rows holds only negligible terms, and skipping it
// leaves each row's maximum where it was (the block holding the maximum
// has ub >= max >= L_r). Above maxBoundDim dimensions it keeps every block
// (ub = +Inf): there a block's bounding box spans nearly the whole cloud
// and the bound never skips (measured at d = 64), while it costs d
// operations per block and row. It returns the L_r too (-MaxFloat64 above
// maxBoundDim, and where no column has a finite logit): the shifts of the
// one-pass soft-min (cpuasm.go).
func (cb *columnBlocks) bound(ub []float64, kept []int, x []float64, rows [4]int, inv, gap float64, loops loopKind) ([]int, [4]float64) {
	d, nb := cb.d, len(cb.start)-1
	var low [4]float64
	if d > maxBoundDim {
		for b := range nb {
			kept = append(kept, b)
		}
		for k := range ub {
			ub[k] = math.Inf(1)
		}
		return kept, [4]float64{-math.MaxFloat64, -math.MaxFloat64, -math.MaxFloat64, -math.MaxFloat64}
	}
	for r, i := range rows {
		xi := x[i*d : i*d+d]
		low[r] = -math.MaxFloat64
		if loops == loopsAsm && d == 2 {
			// The same bounds, four blocks at a time in assembly.
			lw := [4]float64{low[r], low[r], low[r], low[r]}
			bound2AVX2(ub[r*nb:r*nb+len(cb.bs)/7], &lw, xi[0], xi[1], cb.bs, -inv)
			low[r] = max(lw[0], lw[1], lw[2], lw[3])
		} else {
			for b := range nb {
				lo, hi := cb.lo[b*d:b*d+d], cb.hi[b*d:b*d+d]
				yb := cb.y[cb.best[b]*d : cb.best[b]*d+d]
				var dist, c float64
				for k, t := range xi {
					e := max(lo[k]-t, t-hi[k], 0)
					dist += e * e
					e = t - yb[k]
					c += e * e
				}
				ub[r*nb+b] = cb.hmax[b] - dist*inv
				low[r] = max(low[r], cb.hmax[b]-c*inv)
			}
		}
		// The exact largest logit of the block of largest bound, which
		// usually holds the row's maximum.
		top := 0
		for b := range nb {
			if ub[r*nb+b] > ub[r*nb+top] {
				top = b
			}
		}
		for j := cb.start[top]; j < cb.start[top+1]; j++ {
			var c float64
			for k, t := range cb.y[j*d : j*d+d] {
				e := xi[k] - t
				c += e * e
			}
			low[r] = max(low[r], cb.h[j]-c*inv)
		}
	}
	for b := range nb {
		for r := range rows {
			if ub[r*nb+b]-low[r] >= gap {
				kept = append(kept, b)
				break
			}
		}
	}
	return kept, low
}

// logits4x2 fills dst[r][j] = h_j - |x_{rows[r]} - y_j|^2 * inv for the
// four rows of a 2-D cloud and the columns y, h (one block), and raises
// mx[r] to each row's maximum.
func logits4x2(dst *[4][]float64, mx *[4]float64, x, y, h []float64, rows [4]int, inv float64) {
	m := len(h)
	r0, r1, r2, r3 := rows[0], rows[1], rows[2], rows[3]
	b0, b1, b2, b3 := dst[0][:m], dst[1][:m], dst[2][:m], dst[3][:m]
	a0, a1 := x[2*r0], x[2*r0+1]
	c0, c1 := x[2*r1], x[2*r1+1]
	e0, e1 := x[2*r2], x[2*r2+1]
	f0, f1 := x[2*r3], x[2*r3+1]
	m0, m1, m2, m3 := mx[0], mx[1], mx[2], mx[3]
	y = y[:2*m]
	for j, hj := range h {
		y0, y1 := y[2*j], y[2*j+1]
		t0, t1 := a0-y0, a1-y1
		v0 := hj - (t0*t0+t1*t1)*inv
		t0, t1 = c0-y0, c1-y1
		v1 := hj - (t0*t0+t1*t1)*inv
		t0, t1 = e0-y0, e1-y1
		v2 := hj - (t0*t0+t1*t1)*inv
		t0, t1 = f0-y0, f1-y1
		v3 := hj - (t0*t0+t1*t1)*inv
		b0[j], b1[j], b2[j], b3[j] = v0, v1, v2, v3
		m0, m1, m2, m3 = max(m0, v0), max(m1, v1), max(m2, v2), max(m3, v3)
	}
	*mx = [4]float64{m0, m1, m2, m3}
}

// logits4 is logits4x2 for any dimension d.
func logits4(dst *[4][]float64, mx *[4]float64, x, y, h []float64, d int, rows [4]int, inv float64) {
	b0, b1, b2, b3 := dst[0][:len(h)], dst[1][:len(h)], dst[2][:len(h)], dst[3][:len(h)]
	r0, r1, r2, r3 := rows[0], rows[1], rows[2], rows[3]
	x0, x1, x2, x3 := x[r0*d:r0*d+d], x[r1*d:r1*d+d], x[r2*d:r2*d+d], x[r3*d:r3*d+d]
	m0, m1, m2, m3 := mx[0], mx[1], mx[2], mx[3]
	for j, hj := range h {
		yj := y[j*d : j*d+d]
		x0, x1, x2, x3 := x0[:len(yj)], x1[:len(yj)], x2[:len(yj)], x3[:len(yj)]
		var c0, c1, c2, c3 float64
		for k, t := range yj {
			a0, a1, a2, a3 := x0[k]-t, x1[k]-t, x2[k]-t, x3[k]-t
			c0 += a0 * a0
			c1 += a1 * a1
			c2 += a2 * a2
			c3 += a3 * a3
		}
		v0, v1, v2, v3 := hj-c0*inv, hj-c1*inv, hj-c2*inv, hj-c3*inv
		b0[j], b1[j], b2[j], b3[j] = v0, v1, v2, v3
		m0, m1, m2, m3 = max(m0, v0), max(m1, v1), max(m2, v2), max(m3, v3)
	}
	*mx = [4]float64{m0, m1, m2, m3}
}
