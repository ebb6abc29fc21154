// Command asmgen writes the AVX2 and FMA assembly of otplay's fast CPU
// paths (compute/cpuasm_amd64.s) and its Go declarations
// (compute/cpuasm_amd64.go) with avo (github.com/mmcloughlin/avo), so that
// a plain `go build` runs the same vector loops as the GOEXPERIMENT=simd
// build. Run from compute/ by `go generate` (see compute/cpuasm.go); it is
// a module of its own so that avo stays out of otplay's dependencies
// (its go.mod pins golang.org/x/tools v0.38.0: the v0.16.1 that avo v0.6.0
// asks for does not compile with Go 1.26).
//
// Each kernel is the assembly twin of an archsimd loop of
// compute/cpusimd_amd64.go, operation for operation (same operand order in
// every fused multiply-add, same sums), so that both give the same bits;
// the Go doc comments of compute/cpuasm.go state the method and its
// sources. Operand order below is Go's: the destination last, and
// VSUBPD a, b, c means c = b - a, VFMADD231PD a, b, c means c = b*a + c,
// VFMADD213PD a, b, c means c = b*c + a.
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Constants, each broadcast to 32 bytes (one YMM memory operand).
var (
	cLog2E, cMagic, cNegLn2Hi, cNegLn2Lo, cFloor, cCeil, cBias Mem
	cTaylor                                                    [14]Mem
	fLn2, fMin, fOne, fC2, fC3, fC4, fC5, fC6, fBias, fLowest  Mem
)

// Must equal compute's roundMagic, ln2Hi, ln2Lo and sumFloor, and the cap
// of the one-pass soft-min (softMinCap in compute/cpuasm.go).
const (
	roundMagic = 0x1.8p52
	ln2Hi      = 6.93147180369123816490e-01
	ln2Lo      = 1.90821492927058770002e-10
	sumFloor   = -708
	softMinCap = 700
)

func bcast64(name string, bits uint64) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for i := range 4 {
		DATA(8*i, U64(bits))
	}
	return m
}

func bcast32(name string, bits uint32) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for i := range 8 {
		DATA(4*i, U32(bits))
	}
	return m
}

func f64(name string, v float64) Mem { return bcast64(name, math.Float64bits(v)) }
func f32(name string, v float32) Mem { return bcast32(name, math.Float32bits(v)) }

func constants() {
	cLog2E = f64("log2e", math.Log2E)
	cMagic = f64("magic", roundMagic)
	cNegLn2Hi = f64("negln2hi", -ln2Hi)
	cNegLn2Lo = f64("negln2lo", -ln2Lo)
	cFloor = f64("floor", sumFloor)
	cCeil = f64("ceil", softMinCap)
	cBias = bcast64("bias", math.Float64bits(roundMagic)-1023)
	f := 1.0
	for i := range cTaylor {
		if i > 0 {
			f *= float64(i)
		}
		cTaylor[i] = f64(fmt.Sprintf("taylor%d", i), 1/f)
	}
	fLn2 = f32("f32ln2", math.Ln2)
	fMin = f32("f32min", -126)
	fOne = f32("f32one", 1)
	fC2 = f32("f32c2", 1.0/2)
	fC3 = f32("f32c3", 1.0/6)
	fC4 = f32("f32c4", 1.0/24)
	fC5 = f32("f32c5", 1.0/120)
	fC6 = f32("f32c6", 1.0/720)
	fBias = bcast32("f32bias", 127)
	fLowest = f32("f32lowest", -1e30)
}

// exp4 leaves e^t in p, lane-wise, as compute's exp4: t clamped below at
// sumFloor (and above at softMinCap when capped, where NaN stays NaN), k = round(t log2 e) by
// the magic constant, r = t - k ln 2 in two fused steps, the degree-13
// Taylor polynomial of e^r by Horner, times 2^k from the exponent bits.
// It overwrites t and kb.
func exp4(t, kb, p VecVirtual, capped bool) {
	if capped {
		// The clamps with t as the second source, which MAXPD and MINPD
		// return where either is NaN: a NaN exponent stays NaN (the
		// one-pass soft-min then hands its rows to the two-pass loops).
		VMOVUPD(cFloor, kb)
		VMAXPD(t, kb, t)
		VMOVUPD(cCeil, kb)
		VMINPD(t, kb, t)
	} else {
		VMAXPD(cFloor, t, t)
	}
	VMOVUPD(cMagic, kb)
	VFMADD231PD(cLog2E, t, kb) // kb = t log2(e) + magic
	VSUBPD(cMagic, kb, p)      // k
	VFMADD231PD(cNegLn2Hi, p, t)
	VFMADD231PD(cNegLn2Lo, p, t) // r
	VMOVUPD(cTaylor[13], p)
	for i := 12; i >= 0; i-- {
		VFMADD213PD(cTaylor[i], t, p) // p = r p + c_i
	}
	VPSUBQ(cBias, kb, kb)
	VPSLLQ(Imm(52), kb, kb)
	VMULPD(kb, p, p)
}

// hsum4 returns (a0 + a1) + (a2 + a3) of a in the low lane of an XMM.
func hsum4(a VecVirtual) Register {
	hi := XMM()
	VEXTRACTF128(Imm(1), a, hi)
	lo := a.AsX()
	VHADDPD(lo, lo, lo)
	VHADDPD(hi, hi, hi)
	VADDSD(hi, lo, lo)
	return lo
}

// expLoop writes a loop over v four at a time of e^(v - shift) (exp4):
// summed and returned (sum), or stored in w.
func expLoop(sum bool) {
	name, label := "expShiftAVX2", "expshift"
	if sum {
		name, label = "expSumAVX2", "expsum"
		TEXT(name, NOSPLIT, "func(v []float64, shift float64) float64")
		Pragma("noescape")
		Doc("expSumAVX2 is sumExp4 (see cpuasm.go).")
	} else {
		TEXT(name, NOSPLIT, "func(w, v []float64, shift float64)")
		Pragma("noescape")
		Doc("expShiftAVX2 is expShift4 (see cpuasm.go).")
	}
	var dst GPVirtual
	if !sum {
		dst = GP64()
		Load(Param("w").Base(), dst)
	}
	p := Load(Param("v").Base(), GP64())
	n := Load(Param("v").Len(), GP64())
	sh, acc := YMM(), YMM()
	VBROADCASTSD(Load(Param("shift"), XMM()), sh)
	if sum {
		VXORPD(acc, acc, acc)
	}
	SHRQ(Imm(2), n)
	Label(label + "_loop")
	TESTQ(n, n)
	JZ(LabelRef(label + "_done"))
	t, kb, e := YMM(), YMM(), YMM()
	VMOVUPD(Mem{Base: p}, t)
	VSUBPD(sh, t, t)
	exp4(t, kb, e, false)
	if sum {
		VADDPD(e, acc, acc)
	} else {
		VMOVUPD(e, Mem{Base: dst})
		ADDQ(Imm(32), dst)
	}
	ADDQ(Imm(32), p)
	DECQ(n)
	JMP(LabelRef(label + "_loop"))
	Label(label + "_done")
	if sum {
		Store(hsum4(acc), ReturnIndex(0))
	}
	VZEROUPPER()
	RET()
}

func logits4x2() {
	TEXT("logits4x2AVX2", NOSPLIT, "func(buf *float64, stride int, mv *[16]float64, xr *[8]float64, y0, y1, h []float64, ninv float64)")
	Pragma("noescape")
	Doc("logits4x2AVX2 is logits4x2Vec (see cpuasm.go).")
	var dst [4]GPVirtual
	dst[0] = GP64()
	Load(Param("buf"), dst[0])
	stride := Load(Param("stride"), GP64())
	SHLQ(Imm(3), stride)
	for r := 1; r < 4; r++ {
		dst[r] = GP64()
		LEAQ(Mem{Base: dst[r-1], Index: stride, Scale: 1}, dst[r])
	}
	mvp := Load(Param("mv"), GP64())
	xr := Load(Param("xr"), GP64())
	y0 := Load(Param("y0").Base(), GP64())
	y1 := Load(Param("y1").Base(), GP64())
	h := Load(Param("h").Base(), GP64())
	n := Load(Param("h").Len(), GP64())
	ninv := YMM()
	VBROADCASTSD(Load(Param("ninv"), XMM()), ninv)
	var xa, xb, mv [4]VecVirtual
	for r := range 4 {
		xa[r], xb[r], mv[r] = YMM(), YMM(), YMM()
		VBROADCASTSD(Mem{Base: xr, Disp: 16 * r}, xa[r])
		VBROADCASTSD(Mem{Base: xr, Disp: 16*r + 8}, xb[r])
		VMOVUPD(Mem{Base: mvp, Disp: 32 * r}, mv[r])
	}
	j := GP64()
	XORQ(j, j)
	Label("logits4x2_loop")
	CMPQ(j, n)
	JGE(LabelRef("logits4x2_done"))
	for r := range 4 {
		t0, t1 := YMM(), YMM()
		VSUBPD(Mem{Base: y0, Index: j, Scale: 8}, xa[r], t0)
		VSUBPD(Mem{Base: y1, Index: j, Scale: 8}, xb[r], t1)
		VMULPD(t1, t1, t1)
		VFMADD231PD(t0, t0, t1)                                 // t0 t0 + t1 t1
		VFMADD213PD(Mem{Base: h, Index: j, Scale: 8}, ninv, t1) // q ninv + h
		VMOVUPD(t1, Mem{Base: dst[r], Index: j, Scale: 8})
		VMAXPD(t1, mv[r], mv[r])
	}
	loopEnd(j, "logits4x2", mv, mvp)
}

// loopEnd closes a loop over j (four columns a step) labelled label, then
// stores the rows' registers regs at base, 32 bytes apart, and returns.
func loopEnd(j GPVirtual, label string, regs [4]VecVirtual, base Register) {
	ADDQ(Imm(4), j)
	JMP(LabelRef(label + "_loop"))
	Label(label + "_done")
	for r := range 4 {
		VMOVUPD(regs[r], Mem{Base: base, Disp: 32 * r})
	}
	VZEROUPPER()
	RET()
}

func softMin4x2() {
	TEXT("softMin4x2AVX2", NOSPLIT, "func(s *[16]float64, xr *[48]float64, y0, y1, h []float64, ninv float64)")
	Pragma("noescape")
	Doc("softMin4x2AVX2 is softMin4x2 (see cpuasm.go).")
	sp := Load(Param("s"), GP64())
	xr := Load(Param("xr"), GP64())
	y0p := Load(Param("y0").Base(), GP64())
	y1p := Load(Param("y1").Base(), GP64())
	hp := Load(Param("h").Base(), GP64())
	n := Load(Param("h").Len(), GP64())
	ninv := YMM()
	VBROADCASTSD(Load(Param("ninv"), XMM()), ninv)
	var acc [4]VecVirtual
	for r := range 4 {
		acc[r] = YMM()
		VMOVUPD(Mem{Base: sp, Disp: 32 * r}, acc[r])
	}
	j := GP64()
	XORQ(j, j)
	Label("softmin4x2_loop")
	CMPQ(j, n)
	JGE(LabelRef("softmin4x2_done"))
	y0, y1, h := YMM(), YMM(), YMM()
	VMOVUPD(Mem{Base: y0p, Index: j, Scale: 8}, y0)
	VMOVUPD(Mem{Base: y1p, Index: j, Scale: 8}, y1)
	VMOVUPD(Mem{Base: hp, Index: j, Scale: 8}, h)
	for r := range 4 {
		// xr holds, per row, x0, x1 and the shift, each broadcast.
		t0, t1, kb, e := YMM(), YMM(), YMM(), YMM()
		VSUBPD(Mem{Base: xr, Disp: 96 * r}, y0, t0)
		VSUBPD(Mem{Base: xr, Disp: 96*r + 32}, y1, t1)
		VMULPD(t1, t1, t1)
		VFMADD231PD(t0, t0, t1)
		VFMADD213PD(h, ninv, t1)
		VSUBPD(Mem{Base: xr, Disp: 96*r + 64}, t1, t1)
		exp4(t1, kb, e, true)
		VADDPD(e, acc[r], acc[r])
	}
	loopEnd(j, "softmin4x2", acc, sp)
}

func softMinRow32() {
	TEXT("softMinRow32AVX2", NOSPLIT, "func(out *[16]float32, x0, x1 float32, y0, y1, h []float32)")
	Pragma("noescape")
	Doc("softMinRow32AVX2 is softMinRow32 (see cpuasm.go).")
	y0p := Load(Param("y0").Base(), GP64())
	y1p := Load(Param("y1").Base(), GP64())
	hp := Load(Param("h").Base(), GP64())
	n := Load(Param("h").Len(), GP64())
	x0, x1 := YMM(), YMM()
	VBROADCASTSS(Load(Param("x0"), XMM()), x0)
	VBROADCASTSS(Load(Param("x1"), XMM()), x1)
	mx := YMM()
	VBROADCASTSS(fLowest.Offset(0), mx)
	logit := func(j GPVirtual) VecVirtual {
		a, b, v := YMM(), YMM(), YMM()
		VSUBPS(Mem{Base: y0p, Index: j, Scale: 4}, x0, a)
		VSUBPS(Mem{Base: y1p, Index: j, Scale: 4}, x1, b)
		VMULPS(b, b, b)
		VFMADD231PS(a, a, b) // a a + b b
		VMOVUPS(Mem{Base: hp, Index: j, Scale: 4}, v)
		VSUBPS(b, v, v) // h - (a a + b b)
		return v
	}
	j := GP64()
	XORQ(j, j)
	Label("row32_max")
	CMPQ(j, n)
	JGE(LabelRef("row32_max_done"))
	v := logit(j)
	VMAXPS(v, mx, mx)
	ADDQ(Imm(8), j)
	JMP(LabelRef("row32_max"))
	Label("row32_max_done")
	s := YMM()
	VXORPS(s, s, s)
	XORQ(j, j)
	Label("row32_sum")
	CMPQ(j, n)
	JGE(LabelRef("row32_sum_done"))
	t := logit(j)
	VSUBPS(mx, t, t)
	// exp2x8: 2^t for t <= 0.
	k, u, p := YMM(), YMM(), YMM()
	VMAXPS(fMin, t, t)
	VROUNDPS(Imm(0), t, k)
	VSUBPS(k, t, u)
	VMULPS(fLn2, u, u)
	VMOVUPS(fC6, p)
	VFMADD213PS(fC5, u, p)
	VFMADD213PS(fC4, u, p)
	VFMADD213PS(fC3, u, p)
	VFMADD213PS(fC2, u, p)
	VFMADD213PS(fOne, u, p)
	VFMADD213PS(fOne, u, p)
	VCVTPS2DQ(k, k)
	VPADDD(fBias, k, k)
	VPSLLD(Imm(23), k, k)
	VMULPS(k, p, p)
	VADDPS(p, s, s)
	ADDQ(Imm(8), j)
	JMP(LabelRef("row32_sum"))
	Label("row32_sum_done")
	out := Load(Param("out"), GP64())
	VMOVUPS(mx, Mem{Base: out})
	VMOVUPS(s, Mem{Base: out, Disp: 32})
	VZEROUPPER()
	RET()
}

func logits4Dot() {
	TEXT("logits4DotAVX2", NOSPLIT, "func(buf *float64, stride int, mv *[16]float64, x *[4]*float64, d int, xn *[4]float64, yt, yn, h []float64, inv float64)")
	Pragma("noescape")
	Doc("logits4DotAVX2 is logits4DotVec (see cpuasm.go).")
	d := Load(Param("d"), GP64())
	xp := Load(Param("x"), GP64())
	var xr [4]GPVirtual
	for r := range 4 {
		xr[r] = GP64()
		MOVQ(Mem{Base: xp, Disp: 8 * r}, xr[r])
	}
	yt := Load(Param("yt").Base(), GP64())
	n := Load(Param("h").Len(), GP64())
	j := GP64()
	XORQ(j, j)
	// finish stores the logits h - max(xn + yn - 2c, 0) inv of row r and
	// four columns from j + off, and raises the row's lane maxima.
	finish := func(r int, c VecVirtual, off int) {
		buf := Load(Param("buf"), GP64())
		stride := Load(Param("stride"), GP64())
		SHLQ(Imm(3), stride)
		for range r {
			ADDQ(stride, buf)
		}
		xn := Load(Param("xn"), GP64())
		yn := Load(Param("yn").Base(), GP64())
		h := Load(Param("h").Base(), GP64())
		mvp := Load(Param("mv"), GP64())
		v, w := YMM(), YMM()
		VBROADCASTSD(Mem{Base: xn, Disp: 8 * r}, v)
		VADDPD(Mem{Base: yn, Index: j, Scale: 8, Disp: 8 * off}, v, v)
		VADDPD(c, c, c)
		VSUBPD(c, v, v)
		VXORPD(w, w, w)
		VMAXPD(w, v, v)
		VBROADCASTSD(Load(Param("inv"), XMM()), w)
		VMULPD(w, v, v)
		VMOVUPD(Mem{Base: h, Index: j, Scale: 8, Disp: 8 * off}, w)
		VSUBPD(v, w, w)
		VMOVUPD(w, Mem{Base: buf, Index: j, Scale: 8, Disp: 8 * off})
		VMAXPD(Mem{Base: mvp, Disp: 32 * r}, w, w)
		VMOVUPD(w, Mem{Base: mvp, Disp: 32 * r})
	}
	// Eight columns at a time: g = yt[j d ..], e = yt[(j + 4) d ..].
	Label("dot_loop8")
	t := GP64()
	MOVQ(j, t)
	ADDQ(Imm(8), t)
	CMPQ(t, n)
	JG(LabelRef("dot_loop4"))
	{
		g, e, k := GP64(), GP64(), GP64()
		MOVQ(j, g)
		IMULQ(d, g)
		SHLQ(Imm(3), g)
		ADDQ(yt, g)
		MOVQ(d, e)
		SHLQ(Imm(5), e)
		ADDQ(g, e)
		var c, f [4]VecVirtual
		for r := range 4 {
			c[r], f[r] = YMM(), YMM()
			VXORPD(c[r], c[r], c[r])
			VXORPD(f[r], f[r], f[r])
		}
		XORQ(k, k)
		Label("dot_k8")
		CMPQ(k, d)
		JGE(LabelRef("dot_k8_done"))
		yk, zk := YMM(), YMM()
		VMOVUPD(Mem{Base: g}, yk)
		VMOVUPD(Mem{Base: e}, zk)
		for r := range 4 {
			b := YMM()
			VBROADCASTSD(Mem{Base: xr[r], Index: k, Scale: 8}, b)
			VFMADD231PD(yk, b, c[r]) // c = b yk + c
			VFMADD231PD(zk, b, f[r])
		}
		ADDQ(Imm(32), g)
		ADDQ(Imm(32), e)
		INCQ(k)
		JMP(LabelRef("dot_k8"))
		Label("dot_k8_done")
		for r := range 4 {
			finish(r, c[r], 0)
		}
		for r := range 4 {
			finish(r, f[r], 4)
		}
		ADDQ(Imm(8), j)
		JMP(LabelRef("dot_loop8"))
	}
	Label("dot_loop4")
	MOVQ(j, t)
	ADDQ(Imm(4), t)
	CMPQ(t, n)
	JG(LabelRef("dot_done"))
	{
		g, k := GP64(), GP64()
		MOVQ(j, g)
		IMULQ(d, g)
		SHLQ(Imm(3), g)
		ADDQ(yt, g)
		var c [4]VecVirtual
		for r := range 4 {
			c[r] = YMM()
			VXORPD(c[r], c[r], c[r])
		}
		XORQ(k, k)
		Label("dot_k4")
		CMPQ(k, d)
		JGE(LabelRef("dot_k4_done"))
		yk := YMM()
		VMOVUPD(Mem{Base: g}, yk)
		for r := range 4 {
			b := YMM()
			VBROADCASTSD(Mem{Base: xr[r], Index: k, Scale: 8}, b)
			VFMADD231PD(yk, b, c[r])
		}
		ADDQ(Imm(32), g)
		INCQ(k)
		JMP(LabelRef("dot_k4"))
		Label("dot_k4_done")
		for r := range 4 {
			finish(r, c[r], 0)
		}
		ADDQ(Imm(4), j)
		JMP(LabelRef("dot_loop4"))
	}
	Label("dot_done")
	VZEROUPPER()
	RET()
}

func bound2() {
	TEXT("bound2AVX2", NOSPLIT, "func(ub []float64, low *[4]float64, x0, x1 float64, bs []float64, ninv float64)")
	Pragma("noescape")
	Doc("bound2AVX2 is bound2 (see cpuasm.go).")
	ubp := Load(Param("ub").Base(), GP64())
	n := Load(Param("ub").Len(), GP64())
	bs := Load(Param("bs").Base(), GP64())
	t0, t1, ninv, zero, lw := YMM(), YMM(), YMM(), YMM(), YMM()
	VBROADCASTSD(Load(Param("x0"), XMM()), t0)
	VBROADCASTSD(Load(Param("x1"), XMM()), t1)
	VBROADCASTSD(Load(Param("ninv"), XMM()), ninv)
	VXORPD(zero, zero, zero)
	lowp := Load(Param("low"), GP64())
	VMOVUPD(Mem{Base: lowp}, lw)
	// bs holds, at strides of n: lo0, lo1, hi0, hi1, yb0, yb1, hmax.
	stride := GP64()
	MOVQ(n, stride)
	SHLQ(Imm(3), stride)
	j := GP64()
	XORQ(j, j)
	p := GP64()
	MOVQ(bs, p)
	Label("bound2_loop")
	CMPQ(j, n)
	JGE(LabelRef("bound2_done"))
	at := func(f int) Mem { // field f of blocks j .. j+3
		q := GP64()
		IMUL3Q(Imm(uint64(f)), stride, q)
		ADDQ(p, q)
		return Mem{Base: q}
	}
	a, b, c := YMM(), YMM(), YMM()
	box := func(t VecVirtual, lo, hi int, e VecVirtual) {
		VMOVUPD(at(lo), e)
		VSUBPD(t, e, e) // lo - t
		VSUBPD(at(hi), t, b)
		VMAXPD(b, e, e)
		VMAXPD(zero, e, e)
	}
	box(t0, 0, 2, a)
	box(t1, 1, 3, c)
	VMULPD(c, c, c)
	VFMADD231PD(a, a, c)
	VFMADD213PD(at(6), ninv, c) // hmax - dist inv
	VMOVUPD(c, Mem{Base: ubp, Index: j, Scale: 8})
	VSUBPD(at(4), t0, a)
	VSUBPD(at(5), t1, b)
	VMULPD(b, b, b)
	VFMADD231PD(a, a, b)
	VFMADD213PD(at(6), ninv, b) // hmax - |x - y_best|^2 inv
	VMAXPD(b, lw, lw)
	ADDQ(Imm(4), j)
	ADDQ(Imm(32), p)
	JMP(LabelRef("bound2_loop"))
	Label("bound2_done")
	VMOVUPD(lw, Mem{Base: lowp})
	VZEROUPPER()
	RET()
}

func logits4SoA() {
	TEXT("logits4SoAAVX2", NOSPLIT, "func(buf *float64, stride int, mv *[16]float64, x *[4]*float64, d int, ys []float64, mb int, ninv float64)")
	Pragma("noescape")
	Doc("logits4SoAAVX2 is logits4SoA (see cpuasm.go).")
	p0 := GP64()
	Load(Param("buf"), p0)
	s := Load(Param("stride"), GP64())
	SHLQ(Imm(3), s)
	p1 := GP64()
	LEAQ(Mem{Base: p0, Index: s, Scale: 1}, p1)
	xp := Load(Param("x"), GP64())
	var xr [4]GPVirtual
	for r := range 4 {
		xr[r] = GP64()
		MOVQ(Mem{Base: xp, Disp: 8 * r}, xr[r])
	}
	d := Load(Param("d"), GP64())
	ycol := Load(Param("ys").Base(), GP64())
	// ys holds the block's d coordinates and then h, each a row of mb
	// columns (mb a multiple of 4).
	n := Load(Param("mb"), GP64())
	rowBytes := GP64()
	MOVQ(n, rowBytes)
	SHLQ(Imm(3), rowBytes)
	SHRQ(Imm(2), n)
	ninv := YMM()
	VBROADCASTSD(Load(Param("ninv"), XMM()), ninv)
	mvp := Load(Param("mv"), GP64())
	var mv, acc [4]VecVirtual
	for r := range 4 {
		mv[r], acc[r] = YMM(), YMM()
		VMOVUPD(Mem{Base: mvp, Disp: 32 * r}, mv[r])
	}
	Label("soa_loop")
	TESTQ(n, n)
	JZ(LabelRef("soa_done"))
	for r := range 4 {
		VXORPD(acc[r], acc[r], acc[r])
	}
	q, k := GP64(), GP64()
	MOVQ(ycol, q)
	XORQ(k, k)
	Label("soa_k")
	CMPQ(k, d)
	JGE(LabelRef("soa_k_done"))
	yk := YMM()
	VMOVUPD(Mem{Base: q}, yk)
	for r := range 4 {
		t := YMM()
		VBROADCASTSD(Mem{Base: xr[r], Index: k, Scale: 8}, t)
		VSUBPD(yk, t, t)
		VFMADD231PD(t, t, acc[r]) // acc += t t
	}
	ADDQ(rowBytes, q)
	INCQ(k)
	JMP(LabelRef("soa_k"))
	Label("soa_k_done")
	// q is at the row of h.
	h := YMM()
	VMOVUPD(Mem{Base: q}, h)
	dst := []Mem{{Base: p0}, {Base: p0, Index: s, Scale: 1}, {Base: p0, Index: s, Scale: 2}, {Base: p1, Index: s, Scale: 2}}
	for r := range 4 {
		VFMADD213PD(h, ninv, acc[r]) // acc ninv + h
		VMOVUPD(acc[r], dst[r])
		VMAXPD(acc[r], mv[r], mv[r])
	}
	ADDQ(Imm(32), p0)
	ADDQ(Imm(32), p1)
	ADDQ(Imm(32), ycol)
	DECQ(n)
	JMP(LabelRef("soa_loop"))
	Label("soa_done")
	for r := range 4 {
		VMOVUPD(mv[r], Mem{Base: mvp, Disp: 32 * r})
	}
	VZEROUPPER()
	RET()
}

// logitsDense writes dst[j] = h[j] - c[j]*inv (the product rounded, then
// the difference: the fused loops' logits) and raises the lanes of mv to
// their maxima, eight columns a step (two running maxima) and a last four;
// with single, c holds float32 costs, widened exactly (VCVTPS2PD).
func logitsDense(single bool) {
	name, label, scale, cType := "logitsDenseAVX2", "logitsdense", uint8(8), "[]float64"
	if single {
		name, label, scale, cType = "logitsDense32AVX2", "logitsdense32", 4, "[]float32"
	}
	TEXT(name, NOSPLIT, "func(dst []float64, c "+cType+", h []float64, inv float64, mv *[4]float64)")
	Pragma("noescape")
	Doc(name + " is denseLogits' row loop (see costcache.go).")
	dst := Load(Param("dst").Base(), GP64())
	c := Load(Param("c").Base(), GP64())
	h := Load(Param("h").Base(), GP64())
	n := Load(Param("c").Len(), GP64())
	mvp := Load(Param("mv"), GP64())
	inv, m0, m1 := YMM(), YMM(), YMM()
	VBROADCASTSD(Load(Param("inv"), XMM()), inv)
	VMOVUPD(Mem{Base: mvp}, m0)
	VMOVAPD(m0, m1)
	j := GP64()
	XORQ(j, j)
	end8 := GP64()
	MOVQ(n, end8)
	SUBQ(Imm(7), end8)
	// step writes four logits from column j + 4u into the maxima mv.
	step := func(u int, mv VecVirtual) {
		t, v := YMM(), YMM()
		cm := Mem{Base: c, Index: j, Scale: scale, Disp: 4 * int(scale) * u}
		if single {
			VCVTPS2PD(cm, t)
			VMULPD(t, inv, t)
		} else {
			VMULPD(cm, inv, t)
		}
		VMOVUPD(Mem{Base: h, Index: j, Scale: 8, Disp: 32 * u}, v)
		VSUBPD(t, v, v) // h - c inv
		VMOVUPD(v, Mem{Base: dst, Index: j, Scale: 8, Disp: 32 * u})
		VMAXPD(v, mv, mv)
	}
	Label(label + "_loop8")
	CMPQ(j, end8)
	JGE(LabelRef(label + "_loop4"))
	step(0, m0)
	step(1, m1)
	ADDQ(Imm(8), j)
	JMP(LabelRef(label + "_loop8"))
	Label(label + "_loop4")
	CMPQ(j, n)
	JGE(LabelRef(label + "_done"))
	step(0, m0)
	ADDQ(Imm(4), j)
	JMP(LabelRef(label + "_loop4"))
	Label(label + "_done")
	VMAXPD(m1, m0, m0)
	VMOVUPD(m0, Mem{Base: mvp})
	VZEROUPPER()
	RET()
}

func main() {
	ConstraintExpr("amd64")
	constants()
	expLoop(true)
	expLoop(false)
	logits4x2()
	softMin4x2()
	softMinRow32()
	logits4Dot()
	bound2()
	logits4SoA()
	logitsDense(false)
	logitsDense(true)
	Generate()
}
