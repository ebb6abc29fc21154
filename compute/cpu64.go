package compute

import (
	"cmp"
	"math"
	"slices"
)

// The float64 fast path, what `--backend cpu` runs: the same numbers as
// the reference loops of cpu.go (NewCPURef) to a few ulps, several times
// faster. Three changes, none of which trades accuracy:
//
//   - exp64, a branch-free e^x accurate to about 1 ulp over the whole
//     float64 range (subnormal results, underflow to 0, overflow to +Inf,
//     NaN), so that independent pairs pipeline instead of waiting on
//     math.Exp's branches;
//   - each row's log-sum-exp in two passes over the columns (the row
//     maximum, then sum_j e^(v_j - max)), the columns' logits held in a
//     buffer per worker that stays in cache: no rescaling and no branch in
//     the exp loop;
//   - rows taken four at a time, so every column (y_j, h_j) is loaded once
//     for four rows and four exps are in flight at once.
//
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
// measures it against the correctly rounded value), with no branch, so
// that calls on independent arguments pipeline. It is sumExp of one term,
// whose loop holds the method.
func exp64(x float64) float64 {
	v := [1]float64{x}
	return sumExp(v[:], 0, -746)
}

// sumFloor is the clamp of sumExp in the soft-min sums: e^-708 = 3.3e-308
// is a normal float64, so no term is subnormal (subnormal arithmetic is
// tens of times slower on x86), and a term of e^t < e^-708 adds at most
// 3.3e-308 to a sum of at least 1 (its largest term is e^0), which no
// float64 sum of fewer than 1e290 terms resolves.
const sumFloor = -708

// sumExp returns sum_j e^max(v[j] - shift, floor), each exp to at most 1
// ulp; floor = -746 clamps nothing (e^-746 rounds to 0).
//
// The exp is Tang's table-driven method (P. T. P. Tang, "Table-driven
// implementation of the exponential function in IEEE floating-point
// arithmetic", ACM TOMS 15(2), 1989): clamp t = v[j] - shift to [-746,
// 710] (e^-746 rounds to 0 and e^710 overflows, so the clamp changes no
// result); k = round(32 t / ln 2) = 32 m + j; r = t - k ln(2)/32 in two
// parts (Cody and Waite), |r| <= ln(2)/64; e^t = 2^m 2^(j/32) e^r with
// 2^(j/32) from exp2Table and e^r - 1 by its Taylor polynomial of degree 6
// (truncation error r^7/7! < 4e-18); then times 2^m, applied as
// 2^(m/2) 2^(m - m/2) so that both factors are normal numbers. NaN stays
// NaN (Go's min and max propagate it). The body has no branch: successive
// terms are independent and pipeline.
func sumExp(v []float64, shift, floor float64) float64 {
	var s float64
	for _, x := range v {
		x = min(max(x-shift, floor), 710)
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
// < 6e-10 relative for |r| <= ln(2)/64), and no subnormal results (the
// exponent is clamped at sumFloor).
func sumExp32(v []float64, shift float64) float64 {
	var s float64
	for _, x := range v {
		x = max(x-shift, sumFloor)
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
// -Inf) add e^-Inf = 0.
//
// The same loops serve cpu32 (NewCPUFast) where it has no float32 vector
// loop of its own, at float32 grade: grade32 skips blocks below e^-40
// instead of e^-60 and, in the scalar loops, takes e^r to degree 3
// (sumExp32) instead of 6.
func (c *CPU) softMin64(out []float64, p Pairs, grade softMinGrade) {
	d, inv := p.D, 1/p.Eps
	cb := newColumnBlocks(host(p.Y), columnBias(host(p.LogW), host(p.G), p.M, inv), d)
	x, y, h, m := host(p.X), cb.y, cb.h, len(cb.h)
	vec := simd64 && !c.noSIMD
	c.parallel(p.N, func(lo, hi int) {
		buf := make([]float64, 4*m)
		var mx [4]float64
		for i := lo; i < hi; i += 4 {
			yieldDue()
			clearUpperBits()
			n := min(4, hi-i)
			// Short blocks repeat their last row; only the first rows are kept.
			rows := [4]int{i, i + min(1, n-1), i + min(2, n-1), i + min(3, n-1)}
			switch {
			case d == 2 && vec:
				logits4x2Vec(buf, &mx, x, cb.y0, cb.y1, h, rows, inv)
			case d == 2:
				logits4x2(buf, &mx, x, y, h, rows, inv)
			case d >= 4 && vec:
				logits4Vec(buf, &mx, x, y, h, d, rows, inv)
			default:
				logits4(buf, &mx, x, y, h, d, rows, inv)
			}
			for r := range n {
				s := 0.0 // no column of nonzero weight: the reference's +Inf
				if mx[r] > -math.MaxFloat64 {
					s = cb.sumExp(buf[r*m:(r+1)*m], x[(i+r)*d:(i+r+1)*d], mx[r], inv, vec, grade)
				}
				out[i+r] = -p.Eps * (mx[r] + math.Log(s))
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

// maxBoundDim is the largest dimension where columnBlocks.sumExp tries
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
}

// newColumnBlocks groups the columns y (m = len(h) points of dimension d,
// biases h) into blocks. Each block is padded to a multiple of 4 columns
// (for the vector loops) with copies of its last column of bias -Inf,
// which add nothing: at most e^sumFloor each.
func newColumnBlocks(y, h []float64, d int) *columnBlocks {
	m := len(h)
	perm := make([]int, m)
	for j := range perm {
		perm[j] = j
	}
	cb := &columnBlocks{d: d}
	var leaves []int
	cb.split(y, perm, 0, &leaves)
	leaves = append(leaves, m)
	nb := len(leaves) - 1
	cb.lo, cb.hi, cb.hmax = make([]float64, nb*d), make([]float64, nb*d), make([]float64, nb)
	for b := range nb {
		cb.start = append(cb.start, len(cb.h))
		lo, hi := cb.lo[b*d:b*d+d], cb.hi[b*d:b*d+d]
		copy(lo, y[perm[leaves[b]]*d:])
		copy(hi, lo)
		cb.hmax[b] = math.Inf(-1)
		for _, src := range perm[leaves[b]:leaves[b+1]] {
			yj := y[src*d : src*d+d]
			for k, t := range yj {
				lo[k], hi[k] = min(lo[k], t), max(hi[k], t)
			}
			cb.y = append(cb.y, yj...)
			cb.h = append(cb.h, h[src])
			cb.hmax[b] = max(cb.hmax[b], h[src])
		}
		last := perm[leaves[b+1]-1]
		for len(cb.h)%4 != 0 {
			cb.y = append(cb.y, y[last*d:last*d+d]...)
			cb.h = append(cb.h, math.Inf(-1))
		}
	}
	cb.start = append(cb.start, len(cb.h))
	if d == 2 {
		cb.y0, cb.y1 = make([]float64, len(cb.h)), make([]float64, len(cb.h))
		for j := range cb.h {
			cb.y0[j], cb.y1[j] = cb.y[2*j], cb.y[2*j+1]
		}
	}
	return cb
}

// split orders perm (indices of columns starting at offset) into blocks
// and appends where each begins to leaves.
func (cb *columnBlocks) split(y []float64, perm []int, offset int, leaves *[]int) {
	d := cb.d
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
	slices.SortFunc(perm, func(a, b int) int { return cmp.Compare(y[a*d+widest], y[b*d+widest]) })
	half := len(perm) / 2
	cb.split(y, perm[:half], offset, leaves)
	cb.split(y, perm[half:], offset+half, leaves)
}

// sumExp returns sum_j e^(v[j] - mx) over the logits v of one row (point
// xi) against the reordered columns, skipping each block whose terms are
// all below e^grade.gap: v_j <= hmax_b - dist(xi, box_b)^2 inv. vec
// selects the vector exp (sumExp4).
//
// Above maxBoundDim dimensions the bound is not tried: there a block's
// bounding box spans nearly the whole cloud and the bound never skips
// (measured at d = 64: every block kept), while it costs d operations per
// block.
func (cb *columnBlocks) sumExp(v, xi []float64, mx, inv float64, vec bool, grade softMinGrade) float64 {
	var s float64
	d := cb.d
	for b := range len(cb.start) - 1 {
		if d <= maxBoundDim {
			lo, hi := cb.lo[b*d:b*d+d], cb.hi[b*d:b*d+d]
			var dist float64
			for k, t := range xi {
				e := max(lo[k]-t, t-hi[k], 0)
				dist += e * e
			}
			if cb.hmax[b]-dist*inv-mx < grade.gap {
				continue
			}
		}
		switch vb := v[cb.start[b]:cb.start[b+1]]; {
		case vec:
			s += sumExp4(vb, mx)
		case grade.cheapExp:
			s += sumExp32(vb, mx)
		default:
			s += sumExp(vb, mx, sumFloor)
		}
	}
	return s
}

// logits4x2 fills buf[r*m+j] = h_j - |x_{row r} - y_j|^2 * inv for the
// four rows r0..r3 of a 2-D cloud, and mx[r] with each row's maximum
// (at least -MaxFloat64).
func logits4x2(buf []float64, mx *[4]float64, x, y, h []float64, rows [4]int, inv float64) {
	m := len(h)
	r0, r1, r2, r3 := rows[0], rows[1], rows[2], rows[3]
	b0, b1, b2, b3 := buf[:m], buf[m:2*m], buf[2*m:3*m], buf[3*m:4*m]
	a0, a1 := x[2*r0], x[2*r0+1]
	c0, c1 := x[2*r1], x[2*r1+1]
	e0, e1 := x[2*r2], x[2*r2+1]
	f0, f1 := x[2*r3], x[2*r3+1]
	m0, m1, m2, m3 := -math.MaxFloat64, -math.MaxFloat64, -math.MaxFloat64, -math.MaxFloat64
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
		if v0 > m0 {
			m0 = v0
		}
		if v1 > m1 {
			m1 = v1
		}
		if v2 > m2 {
			m2 = v2
		}
		if v3 > m3 {
			m3 = v3
		}
	}
	*mx = [4]float64{m0, m1, m2, m3}
}

// logits4 is logits4x2 for any dimension d.
func logits4(buf []float64, mx *[4]float64, x, y, h []float64, d int, rows [4]int, inv float64) {
	m := len(h)
	r0, r1, r2, r3 := rows[0], rows[1], rows[2], rows[3]
	x0, x1, x2, x3 := x[r0*d:r0*d+d], x[r1*d:r1*d+d], x[r2*d:r2*d+d], x[r3*d:r3*d+d]
	m0, m1, m2, m3 := -math.MaxFloat64, -math.MaxFloat64, -math.MaxFloat64, -math.MaxFloat64
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
		buf[j], buf[m+j], buf[2*m+j], buf[3*m+j] = v0, v1, v2, v3
		if v0 > m0 {
			m0 = v0
		}
		if v1 > m1 {
			m1 = v1
		}
		if v2 > m2 {
			m2 = v2
		}
		if v3 > m3 {
			m3 = v3
		}
	}
	*mx = [4]float64{m0, m1, m2, m3}
}
