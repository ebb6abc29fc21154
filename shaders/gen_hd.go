package shaders

import (
	"fmt"
	"strings"
)

// HDChunk returns the coordinates per staged chunk KC and the padded
// dimension DP (a multiple of KC) that softmin_hd2.wgsl and
// softmean_hd2.wgsl use for dimension d with at most kc coordinates a
// chunk: KC = min(kc, d rounded up to 4), rounded up to 4.
func HDChunk(d, kc int) (chunk, dp int) {
	chunk = min(kc, (d+3)/4*4)
	chunk = (chunk + 3) / 4 * 4
	return chunk, (d + chunk - 1) / chunk * chunk
}

// hdCost generates the cost phase shared by softmin_hd2.wgsl and
// softmean_hd2.wgsl: per tile, acc{r}_{b} (a vec4 over columns
// 4 tx + 64 b + u) = sum over the chunks of X' and Y' of
// x'[4 ty + 64 (r/4) + r%4] y'[cols], with the chunks staged through
// workgroup memory (XV vec4 of X' at 0, YV of Y' at XV), optionally
// prefetched into registers one chunk ahead.
//
// When one chunk holds every coordinate (xOnce: d <= kc), the X' chunk is
// staged once before the first tile and only Y' is staged per tile. With
// db (double buffering, prefetch implied) two staging buffers alternate:
// the next chunk goes from registers into the idle one after the current
// one is used, so each chunk costs one barrier instead of two. With
// unroll the k loop of a chunk is written out KC times (see inner).
type hdCost struct {
	rm, rn, kc, bm, bn, xv, yv int
	pf, xOnce, db, unroll      bool
}

func newHDCost(d, rm, rn, kc int, pf bool) hdCost {
	_, dp := HDChunk(d, kc)
	return hdCost{rm: rm, rn: rn, kc: kc, bm: 16 * rm, bn: 16 * rn, xv: kc * rm * 4, yv: kc * rn * 4, pf: pf, xOnce: dp == kc}
}

var comp = [4]string{"x", "y", "z", "w"}

// loads emits, for each vec4 slot q of a chunk of n vec4s shared by 256
// invocations, f(q) guarded when n is not a multiple of 256.
func loads(sb *strings.Builder, indent string, n int, f func(q int) string) {
	for q := 0; q*256 < n; q++ {
		if (q+1)*256 > n {
			fmt.Fprintf(sb, "%sif (li + %du < %du) { %s }\n", indent, 256*q, n, f(q))
		} else {
			fmt.Fprintf(sb, "%s%s\n", indent, f(q))
		}
	}
}

func (c hdCost) decl() string {
	var sb strings.Builder
	for r := 0; r < c.rm; r++ {
		for b := 0; b < c.rn/4; b++ {
			// Declared once and zeroed per tile: the wgpu build we use
			// initialises a var declared inside a loop only once.
			fmt.Fprintf(&sb, "  var acc%d_%d = vec4<f32>(0.0);\n", r, b)
		}
	}
	if c.xOnce {
		loads(&sb, "  ", c.xv, func(q int) string { return fmt.Sprintf("sh[li + %du] = XT[xb + li + %du];", 256*q, 256*q) })
	}
	if !c.pf && !c.db {
		return sb.String()
	}
	for q := 0; !c.xOnce && q*256 < c.xv; q++ {
		fmt.Fprintf(&sb, "  var px%d = vec4<f32>(0.0);\n", q)
	}
	for q := 0; q*256 < c.yv; q++ {
		fmt.Fprintf(&sb, "  var py%d = vec4<f32>(0.0);\n", q)
	}
	// The first chunk: straight to workgroup memory when double buffered
	// (the loop stores the next one after using the current one), else
	// into the registers the loop stores first.
	dstX, dstY := "px%[1]d", "py%[1]d"
	if c.db {
		dstX, dstY = "sh[li + %[2]du]", "sh[XV + li + %[2]du]"
	}
	if !c.xOnce {
		loads(&sb, "  ", c.xv, func(q int) string { return fmt.Sprintf(dstX+" = XT[xb + li + %[2]du];", q, 256*q) })
	}
	loads(&sb, "  ", c.yv, func(q int) string { return fmt.Sprintf(dstY+" = YT[cb0 * NC * YV + li + %[2]du];", q, 256*q) })
	if c.db {
		sb.WriteString("  workgroupBarrier();\n  var cur = 0u;\n")
	}
	return sb.String()
}

func (c hdCost) accZero() string {
	var sb strings.Builder
	for r := 0; r < c.rm; r++ {
		for b := 0; b < c.rn/4; b++ {
			fmt.Fprintf(&sb, "    acc%d_%d = vec4<f32>(0.0);\n", r, b)
		}
	}
	return sb.String()
}

// fetchNext emits the loads of the next chunk (or the next tile's first)
// into the prefetch registers, with more = whether there is one.
func (c hdCost) fetchNext(sb *strings.Builder, in string) {
	sb.WriteString(in + "// The next chunk (or the next tile's first) into registers.\n")
	sb.WriteString(in + "let last = kc + 1u == NC;\n")
	sb.WriteString(in + "let nk = select(kc + 1u, 0u, last);\n")
	sb.WriteString(in + "let ntt = select(t, t + 1u, last);\n")
	sb.WriteString(in + "let more = ntt < nt;\n")
	sb.WriteString(in + "if (more) {\n")
	sb.WriteString(in + "  let xo = xb + nk * XV;\n")
	sb.WriteString(in + "  let yo = ((cb0 + ntt) * NC + nk) * YV;\n")
	if !c.xOnce {
		loads(sb, in+"  ", c.xv, func(q int) string { return fmt.Sprintf("px%d = XT[xo + li + %du];", q, 256*q) })
	}
	loads(sb, in+"  ", c.yv, func(q int) string { return fmt.Sprintf("py%d = YT[yo + li + %du];", q, 256*q) })
	sb.WriteString(in + "}\n")
}

func (c hdCost) stage() string {
	var sb strings.Builder
	const in = "      "
	switch {
	case c.db:
		c.fetchNext(&sb, in)
		sb.WriteString(in + "let xs0 = cur * XS;\n" + in + "let ys0 = XV + cur * YS;\n")
	case c.pf:
		if !c.xOnce {
			loads(&sb, in, c.xv, func(q int) string { return fmt.Sprintf("sh[li + %du] = px%d;", 256*q, q) })
		}
		loads(&sb, in, c.yv, func(q int) string { return fmt.Sprintf("sh[XV + li + %du] = py%d;", 256*q, q) })
		sb.WriteString(in + "workgroupBarrier();\n")
		c.fetchNext(&sb, in)
	default:
		sb.WriteString(in + "{\n")
		sb.WriteString(in + "  let xo = xb + kc * XV;\n")
		sb.WriteString(in + "  let yo = ((cb0 + t) * NC + kc) * YV;\n")
		if !c.xOnce {
			loads(&sb, in+"  ", c.xv, func(q int) string { return fmt.Sprintf("sh[li + %du] = XT[xo + li + %du];", 256*q, 256*q) })
		}
		loads(&sb, in+"  ", c.yv, func(q int) string { return fmt.Sprintf("sh[XV + li + %du] = YT[yo + li + %du];", 256*q, 256*q) })
		sb.WriteString(in + "}\n" + in + "workgroupBarrier();\n")
	}
	return sb.String()
}

// stageEnd is the code after a chunk's k steps, before the barrier: with
// db, the prefetched chunk into the idle buffer.
func (c hdCost) stageEnd() string {
	if !c.db {
		return ""
	}
	var sb strings.Builder
	const in = "      "
	sb.WriteString(in + "if (more) {\n" + in + "  let xn = (1u - cur) * XS;\n" + in + "  let yn = XV + (1u - cur) * YS;\n")
	if !c.xOnce {
		loads(&sb, in+"  ", c.xv, func(q int) string { return fmt.Sprintf("sh[xn + li + %du] = px%d;", 256*q, q) })
	}
	loads(&sb, in+"  ", c.yv, func(q int) string { return fmt.Sprintf("sh[yn + li + %du] = py%d;", 256*q, q) })
	sb.WriteString(in + "}\n" + in + "cur = 1u - cur;\n")
	return sb.String()
}

// shared is the staging area in vec4s.
func (c hdCost) shared() int {
	switch {
	case c.db && c.xOnce:
		return c.xv + 2*c.yv
	case c.db:
		return 2 * (c.xv + c.yv)
	}
	return c.xv + c.yv
}

// inner is a chunk's KC k steps: a loop over kk, or with unroll KC
// copies of its body with kk a constant (each in its own block), so that
// the workgroup-memory offsets are literals and the next step's loads can
// be scheduled ahead of the current step's FMAs without relying on the
// driver to unroll the loop naga emits.
func (c hdCost) inner() string {
	var sb strings.Builder
	xb, yb := "", "XV + "
	if c.db {
		xb, yb = "xs0 + ", "ys0 + "
	}
	body := func(in, kk string) {
		for a := 0; a < c.rm/4; a++ {
			fmt.Fprintf(&sb, "%slet a%d = sh[%s%s * %du + ty + %du];\n", in, a, xb, kk, c.bm/4, 16*a)
		}
		for b := 0; b < c.rn/4; b++ {
			fmt.Fprintf(&sb, "%slet b%d = sh[%s%s * %du + tx + %du];\n", in, b, yb, kk, c.bn/4, 16*b)
		}
		for r := 0; r < c.rm; r++ {
			for b := 0; b < c.rn/4; b++ {
				fmt.Fprintf(&sb, "%sacc%d_%d = fma(vec4<f32>(a%d.%s), b%d, acc%d_%d);\n", in, r, b, r/4, comp[r%4], b, r, b)
			}
		}
	}
	if !c.unroll {
		sb.WriteString("      for (var kk = 0u; kk < KC; kk++) {\n")
		body("        ", "kk")
		sb.WriteString("      }\n")
		return sb.String()
	}
	for kk := 0; kk < c.kc; kk++ {
		sb.WriteString("      {\n")
		body("        ", fmt.Sprintf("%du", kk))
		sb.WriteString("      }\n")
	}
	return sb.String()
}

func (c hdCost) consts(d int) map[string]int {
	_, dp := HDChunk(d, c.kc)
	xs, ys := c.xv+c.yv, c.xv+c.yv
	if c.xOnce {
		xs, ys = 0, c.yv
	}
	return map[string]int{"NC": dp / c.kc, "KC": c.kc, "BM": c.bm, "BN": c.bn, "XV": c.xv, "YV": c.yv, "XS": xs, "YS": ys}
}

// SoftMinHD2 returns softmin_hd2.wgsl for dimension d, rm x rn (row,
// column) pairs per invocation (4 or 8 each), chunks of at most kc
// coordinates (a multiple of 4; HDChunk(d, kc) gives the chunk used) and
// prefetch 1: the next chunk loaded into registers while the current one
// is used, or 2: the same into a second staging buffer (one barrier a
// chunk); with unroll each chunk's k steps are written out (see
// hdCost.inner). With polyEvery = k > 0 the tile's exps of every k-th row
// of an invocation (rows r with r % k == k - 1) run on the FMA units
// (exp2_fma, inc_exp2.wgsl) instead of the special function unit, which
// otherwise serialises the tile's RM x RN exps after its FMAs (all
// invocations reach a tile's end together, between two barriers). RM x RN
// is at most 128 pairs (16 x 8 or 8 x 16: 128 accumulators an invocation):
//
//	inner: a = xs[k][4ty+64a..], b = ys[k][4tx+64b..] (vec4s), acc{r}_{b} += a[r] b
//	tile:  v = H[cols] + 2c acc; per row one rescale to the tile's max, then s{r} += 2^(v - m{r})
//	final: (m, s) of 4 rows a vec4 to workgroup memory for the 16-way row merge
func SoftMinHD2(d, rm, rn, kc, prefetch int, unroll bool, polyEvery int) (string, error) {
	block := func(v int) bool { return v == 4 || v == 8 || v == 16 }
	if d < 1 || !block(rm) || !block(rn) || rm*rn > 128 || kc < 4 || kc > 32 || kc%4 != 0 {
		return "", fmt.Errorf("shaders: softmin_hd2 needs d >= 1, rm and rn in {4, 8, 16} with rm*rn <= 128 and kc a multiple of 4 in [4, 32]; got d=%d rm=%d rn=%d kc=%d", d, rm, rn, kc)
	}
	if prefetch < 0 || prefetch > 2 {
		return "", fmt.Errorf("shaders: softmin_hd2 prefetch is 0, 1 or 2; got %d", prefetch)
	}
	if polyEvery < 0 {
		return "", fmt.Errorf("shaders: softmin_hd2 polyEvery is >= 0; got %d", polyEvery)
	}
	kc, _ = HDChunk(d, kc)
	c := newHDCost(d, rm, rn, kc, prefetch == 1)
	c.db = prefetch == 2
	c.unroll = unroll
	var decl, tileEnd, red strings.Builder
	decl.WriteString(c.decl())
	for r := 0; r < rm; r++ {
		fmt.Fprintf(&decl, "  var m%d = NEG;\n  var s%d = 0.0;\n", r, r)
	}
	for b := 0; b < rn/4; b++ {
		fmt.Fprintf(&tileEnd, "    let hv%d = H[h0 + %du];\n", b, 16*b)
	}
	for r := 0; r < rm; r++ {
		var tm, sum []string
		exp := "exp2"
		if polyEvery > 0 && r%polyEvery == polyEvery-1 {
			exp = "exp2_fma4"
		}
		for b := 0; b < rn/4; b++ {
			fmt.Fprintf(&tileEnd, "    acc%d_%d = fma(vec4<f32>(P.c2), acc%d_%d, hv%d);\n", r, b, r, b, b)
			tm = append(tm, fmt.Sprintf("vmax(acc%d_%d)", r, b))
			sum = append(sum, fmt.Sprintf("vsum(%s(acc%d_%d - m%d))", exp, r, b, r))
		}
		fmt.Fprintf(&tileEnd, "    let tm%d = %s;\n", r, nestMax(tm))
		fmt.Fprintf(&tileEnd, "    if (tm%d > m%d) { s%d *= exp2(m%d - tm%d); m%d = tm%d; }\n    s%d += %s;\n",
			r, r, r, r, r, r, r, r, strings.Join(sum, " + "))
	}
	for r := 0; r < rm; r++ {
		fmt.Fprintf(&red, "  s%d = no_weight(m%d, s%d);\n", r, r, r)
	}
	for a := 0; a < rm/4; a++ {
		fmt.Fprintf(&red, "  sh[%du + ty * 16u + tx] = vec4<f32>(m%d, m%d, m%d, m%d);\n", 256*a, 4*a, 4*a+1, 4*a+2, 4*a+3)
		fmt.Fprintf(&red, "  sh[%du + ty * 16u + tx] = vec4<f32>(s%d, s%d, s%d, s%d);\n", rm*64+256*a, 4*a, 4*a+1, 4*a+2, 4*a+3)
	}
	consts := c.consts(d)
	consts["RM"] = rm
	consts["SH"] = max(c.shared(), rm*128)
	return Template("softmin_hd2", consts, map[string]string{"DECL": decl.String(), "ACC_ZERO": c.accZero(),
		"STAGE": c.stage(), "INNER": c.inner(), "STAGE_END": c.stageEnd(), "TILE_END": tileEnd.String(), "RED_WRITE": red.String()})
}

// SoftMinHD2Shared is the workgroup memory in bytes of SoftMinHD2 with
// the same arguments.
func SoftMinHD2Shared(d, rm, rn, kc, prefetch int) int {
	kc, _ = HDChunk(d, kc)
	c := newHDCost(d, rm, rn, kc, prefetch == 1)
	c.db = prefetch == 2
	return 16 * max(c.shared(), rm*128)
}

func nestMax(xs []string) string {
	out := xs[0]
	for _, x := range xs[1:] {
		out = fmt.Sprintf("max(%s, %s)", out, x)
	}
	return out
}

// SoftMeanHD2 returns softmean_hd2.wgsl for point dimension d, value
// dimension dv (1..256), rm rows an invocation (4, or 8 with dv >= 5: a
// 128-row block whose P tile goes through in two 32-column halves),
// chunks of at most kc coordinates (HDChunk) and, with pf, the cost
// phase's next chunk prefetched into registers; with unroll the cost
// phase's k steps and the P.V product's j steps are written out (no
// loop); the per-invocation code is unrolled into vec4 registers:
//
//	cost:   acc{r} (4 columns) += x'[64a+4ty+u] y'[4tx..4tx+3]   (as SoftMinHD2 with rm x 4)
//	logits: L = H + 2c acc; row maxima over the tile via workgroup memory
//	weights: p = 2^(L - m) once, kept in acc{r}; o{r}_{t} *= 2^(m_old - m)
//	value:  per half h: P[:, half h] to workgroup memory by its owners;
//	        o{r}_{t} += sum_j P[64a+4ty+u][j] V[j][64t + 4tx..+3]
func SoftMeanHD2(d, dv, rm, kc int, pf, unroll bool) (string, error) {
	if d < 1 || dv < 1 || dv > 256 || kc < 4 || kc > 16 || kc%4 != 0 || (rm != 4 && rm != 8) || (rm == 8 && dv < 5) {
		return "", fmt.Errorf("shaders: softmean_hd2 needs d >= 1, 1 <= dv <= 256, kc a multiple of 4 in [4, 16] and rm 4 or 8 (8 with dv >= 5); got d=%d dv=%d rm=%d kc=%d", d, dv, rm, kc)
	}
	kc, _ = HDChunk(d, kc)
	c := newHDCost(d, rm, 4, kc, pf)
	c.unroll = unroll
	c.xOnce = false // the row-max exchange and the V chunks reuse X's slot
	// cg column vec4s of V per chunk, 16/cg j-groups over a half's P
	// columns (see softmean_hd2.wgsl).
	chunks, cg := (dv+63)/64, 16
	if dv <= 32 {
		for cg = 1; 4*cg < dv; cg *= 2 {
		}
	}
	quads, nh := rm/4, rm/4 // row quads a; P halves
	pw := 64 / nh           // P columns a half
	tw := 16 / nh           // the tx owning a half's columns
	jn := pw / 4 * cg / 16  // j4 steps (4 columns each) of one j-group
	row := func(r int) string { return fmt.Sprintf("%du + ty * 4u + %du", 64*(r/4), r%4) }
	var decl, logits, weights, pv, finish strings.Builder
	decl.WriteString(c.decl())
	for a := 0; a < quads; a++ {
		fmt.Fprintf(&decl, "  var mr%d = vec4<f32>(NEG);\n  var sr%d = vec4<f32>(0.0);\n", a, a)
	}
	for r := 0; r < rm; r++ {
		for t := 0; t < chunks; t++ {
			fmt.Fprintf(&decl, "  var o%d_%d = vec4<f32>(0.0);\n", r, t)
		}
		fmt.Fprintf(&logits, "    acc%d_0 = fma(vec4<f32>(P.c2), acc%d_0, hv);\n", r, r)
	}
	for a := 0; a < quads; a++ {
		fmt.Fprintf(&logits, "    sh[%du + ty * 16u + tx] = vec4<f32>(vmax(acc%d_0), vmax(acc%d_0), vmax(acc%d_0), vmax(acc%d_0));\n", 256*a, 4*a, 4*a+1, 4*a+2, 4*a+3)
	}
	// writeP stores this invocation's weights of half h (its owners only).
	writeP := func(sb *strings.Builder, in string, h int) {
		cond := "true"
		if nh > 1 {
			cond = fmt.Sprintf("tx >= %du && tx < %du", h*tw, (h+1)*tw)
		}
		fmt.Fprintf(sb, "%sif (%s) {\n", in, cond)
		for r := 0; r < rm; r++ {
			fmt.Fprintf(sb, "%s  sh[PO + (%s) * %du + tx - %du] = acc%d_0;\n", in, row(r), pw/4, h*tw, r)
		}
		fmt.Fprintf(sb, "%s}\n", in)
	}
	for a := 0; a < quads; a++ {
		fmt.Fprintf(&weights, "    var tm%d = mr%d;\n    for (var q = 0u; q < 16u; q++) { tm%d = max(tm%d, sh[%du + ty * 16u + q]); }\n", a, a, a, a, 256*a)
		fmt.Fprintf(&weights, "    let sc%d = exp2(mr%d - tm%d);\n    mr%d = tm%d;\n    sr%d *= sc%d;\n", a, a, a, a, a, a, a)
		for u := 0; u < 4; u++ {
			r := 4*a + u
			fmt.Fprintf(&weights, "    acc%d_0 = exp2(acc%d_0 - tm%d.%s);\n    sr%d.%s += vsum(acc%d_0);\n", r, r, a, comp[u], a, comp[u], r)
			for t := 0; t < chunks; t++ {
				fmt.Fprintf(&weights, "    o%d_%d *= sc%d.%s;\n", r, t, a, comp[u])
			}
		}
	}
	writeP(&weights, "    ", 0)
	for h := 0; h < nh; h++ {
		for t := 0; t < chunks; t++ {
			if h > 0 && t == 0 {
				writeP(&pv, "    ", h)
			}
			loads(&pv, "    ", pw*cg, func(q int) string {
				e := fmt.Sprintf("(li + %du)", 256*q)
				return fmt.Sprintf("{ let j = min(t0 + %du + %s / CG, P.m - 1u) * DV; let k = %du + (%s %% CG) * 4u; "+
					"sh[%s] = vec4<f32>(V[j + min(k, DV - 1u)], V[j + min(k + 1u, DV - 1u)], V[j + min(k + 2u, DV - 1u)], V[j + min(k + 3u, DV - 1u)]); }",
					h*pw, e, 64*t, e, e)
			})
			pv.WriteString("    workgroupBarrier();\n")
			step := func(in string) {
				for r := 0; r < rm; r++ {
					fmt.Fprintf(&pv, "%slet p%d = sh[PO + (%s) * %du + j4];\n", in, r, row(r), pw/4)
				}
				for jj := 0; jj < 4; jj++ {
					fmt.Fprintf(&pv, "%slet v%d = sh[(j4 * 4u + %du) * CG + cg];\n", in, jj, jj)
					for r := 0; r < rm; r++ {
						fmt.Fprintf(&pv, "%so%d_%d = fma(vec4<f32>(p%d.%s), v%d, o%d_%d);\n", in, r, t, r, comp[jj], jj, r, t)
					}
				}
			}
			if unroll {
				for q := 0; q < jn; q++ {
					fmt.Fprintf(&pv, "    {\n      let j4 = jg * %du + %du;\n", jn, q)
					step("      ")
					pv.WriteString("    }\n")
				}
			} else {
				fmt.Fprintf(&pv, "    for (var j4 = jg * %du; j4 < jg * %du + %du; j4++) {\n", jn, jn, jn)
				step("      ")
				pv.WriteString("    }\n")
			}
			pv.WriteString("    workgroupBarrier();\n")
		}
	}
	for a := 0; a < quads; a++ {
		fmt.Fprintf(&finish, "  sh[%du + ty * 16u + tx] = sr%d;\n", 256*a, a)
	}
	finish.WriteString("  workgroupBarrier();\n")
	for a := 0; a < quads; a++ {
		fmt.Fprintf(&finish, "  var s4_%d = vec4<f32>(0.0);\n  for (var q = 0u; q < 16u; q++) { s4_%d += sh[%du + ty * 16u + q]; }\n", a, a, 256*a)
		// A row whose maximum stayed NEG had no weight but the padding
		// columns' 2^(NEG - NEG) = 1: its sum is 0 (the reference's 0 / 0).
		fmt.Fprintf(&finish, "  s4_%d = select(s4_%d, vec4<f32>(0.0), mr%d <= vec4<f32>(NEG));\n", a, a, a)
	}
	owner := "true"
	if cg < 16 {
		owner = "tx < CG"
		finish.WriteString("  workgroupBarrier();\n")
		for r := 0; r < rm; r++ {
			fmt.Fprintf(&finish, "  sh[(%s) * 16u + tx] = o%d_0;\n", row(r), r)
		}
		finish.WriteString("  workgroupBarrier();\n  if (tx < CG) {\n")
		for r := 0; r < rm; r++ {
			fmt.Fprintf(&finish, "    o%d_0 = vec4<f32>(0.0);\n    for (var g = 0u; g < 16u / CG; g++) { o%d_0 += sh[(%s) * 16u + g * CG + cg]; }\n", r, r, row(r))
		}
		finish.WriteString("  }\n")
	}
	for r := 0; r < rm; r++ {
		a, u := r/4, r%4
		fmt.Fprintf(&finish, "  {\n    let i = row0 + %s;\n    if (i < P.n && %s) {\n", row(r), owner)
		fmt.Fprintf(&finish, "      if (P.nsplit == 1u) {\n        let inv = 1.0 / s4_%d.%s;\n", a, comp[u])
		for t := 0; t < chunks; t++ {
			fmt.Fprintf(&finish, "        let k%d = %du + cg * 4u;\n", t, 64*t)
			for w := 0; w < 4; w++ {
				fmt.Fprintf(&finish, "        if (k%d + %du < DV) { dst[i * DV + k%d + %du] = o%d_%d.%s * inv; }\n", t, w, t, w, r, t, comp[w])
			}
		}
		fmt.Fprintf(&finish, "      } else {\n        let o = (wid.z * P.n + i) * (DV + 2u);\n        if (tx == 0u) { dst[o] = mr%d.%s; dst[o + 1u] = s4_%d.%s; }\n", a, comp[u], a, comp[u])
		for t := 0; t < chunks; t++ {
			fmt.Fprintf(&finish, "        let k%d = %du + cg * 4u;\n", t, 64*t)
			for w := 0; w < 4; w++ {
				fmt.Fprintf(&finish, "        if (k%d + %du < DV) { dst[o + 2u + k%d + %du] = o%d_%d.%s; }\n", t, w, t, w, r, t, comp[w])
			}
		}
		finish.WriteString("      }\n    }\n  }\n")
	}
	consts := c.consts(d)
	consts["DV"] = dv
	consts["CG"] = cg
	consts["BM"] = c.bm
	return Template("softmean_hd2", consts, map[string]string{"DECL": decl.String(), "ACC_ZERO": c.accZero(),
		"STAGE": c.stage(), "INNER": c.inner(), "LOGITS": logits.String(), "WEIGHTS": weights.String(),
		"PV": pv.String(), "FINISH": finish.String(), "STAGE_END": ""})
}
