package shaders

import (
	"fmt"
	"strings"
)

// The mid-dimension kernels (pairs_mid.wgsl) take d <= MidMaxDim and
// value dimensions up to MidMaxValues: beyond them the registers a row
// needs (d + dv + 2) crowd out the rows per invocation. MidMinDim is
// where compute/webgpu starts them by default (below it softmin_small.wgsl
// and softmean_small.wgsl, except the d = 2 soft-mean and the d = 3
// soft-min: see compute/webgpu's MidShape.MeanMin and SoftMinMin); the
// generators take any d >= 1.
const (
	MidMinDim    = 4
	MidMaxDim    = 16
	MidMaxValues = 16
)

// MidOptions shapes pairs_mid.wgsl: R rows per invocation (1..16), WG
// invocations a workgroup, Tile columns staged per tile, FirstMax and
// Factor.
//
// FirstMax is the number of columns at the start of a row's range whose
// maximum starts the Lazy form (0: the whole first tile). Any first
// maximum is a lower bound of the row's maximum, so the largest term of
// the sum stays >= 1 and nothing float32 resolves underflows; a first
// maximum far below a tile's (more than 64 in log2 units) makes that tile
// overflow the check and be summed again, once, after which m is the
// tile's exact maximum.
//
// Factor takes the column constant out of the exponent: with a reference
// Href per tile (H of the tile's first column) a column with
// -FactorBelow <= H_j - Href <= FactorAbove (FactorBelowValues in place
// of FactorBelow where the soft-mean stages F_j V_j) is staged with the factor
// F_j = 2^(H_j - Href), so that 2^(v_ij - m_i) = F_j 2^(Href - m_i +
// sum_k x'_ik 2y'_jk): the
// exponent's chain of D FMAs starts from a per-row constant, and F_j
// enters through the FMA that adds the term to the sum (s = fma(F_j, p,
// s); the soft-mean stages F_j V_j), one operation a pair fewer than
// v - m (D + 2 a pair for the soft-min, D + DV + 2 for the soft-mean). A
// tile holding a column outside the range (a zero weight, a potential
// or costs and potentials that vary by more than that within the tile,
// as at small eps) is summed in the general form, the sum's constant K_j
// = Href and F_j for the columns in range, K_j = H_j and F_j = 1 for the
// others. A p that overflows makes the sum +Inf, caught by the Lazy check
// (F_j >= 2^-120 > 0, so no NaN); the tile summed again against its exact
// maximum (terms <= 1) has p <= 2^120; a p that underflows (below 2^-126)
// belongs to a term below F_j 2^-126 <= 2^-66, negligible beside the
// largest term (>= 1).
//
// ValuesAreY (SoftMeanMid with V = Y, dv = d: the entropic map of
// Pooladian and Niles-Weed 2021, eq. 3) stages no values: the
// accumulators take the staged 2y'_j = 2 (y_j - y_0) sqrt(log2(e)/eps)
// of the exponent's chain, so a column is NV vec4s instead of NV + NVV
// (3 instead of 5 at d = 8), and the mean is mapped back at the end,
// y_0 + acc / (2 sqrt(log2(e)/eps) s). The factor F_j then multiplies p
// (p = F_j 2^(...), s += p): one operation a pair more than the staged
// F_j V_j (2D + 3 against 2D + 2) for two workgroup-memory loads a
// column fewer.
//
// Pack stages the values right after the column's other floats instead
// of from the next vec4, where that saves a vec4 a column: at d = dv = 2
// factored (2y', H, K, F, F V: 7 floats) a column is 2 vec4s instead of
// 3, as many as softmean_small.wgsl loads for its 7 operations a pair.
//
// Unroll > 1 sweeps a tile Unroll columns an iteration (the last
// cnt mod Unroll one at a time), so that the loop's own instructions
// (the counter, its test and branch, the tile address) are shared by
// Unroll columns' pairs and the driver sees that many columns' work
// without a branch between them.
type MidOptions struct {
	R, WG, Tile, FirstMax int
	Factor                bool
	ValuesAreY            bool
	Pack                  bool
	Unroll                int
}

// FactorBelow and FactorAbove bound H_j - Href (log2 units) for a
// factored column; see MidOptions. Where the soft-mean stages its values
// as F_j V_j, FactorBelowValues takes FactorBelow's place: F_j >= 2^-60
// keeps F_j V_j a normal float32 for 2^-66 <= |V_j| <= 2^68 (F_j <= 2^60
// bounds it above), where F_j >= 2^-120 made it subnormal below |V_j| =
// 2^-6: float32's relative accuracy lost for small values (1% at values of
// scale 1e-6 on lavapipe), and the value itself on a GPU that flushes
// subnormals (TestMidStagedSmallValues). The columns it sets apart (60 to
// 120 below Href) take the tile's general sum; the bench rows (uniform
// data, eps = 0.05 d / 2) span at most 57.7 log2 units and stay factored.
const (
	FactorBelow       = 120
	FactorAbove       = 60
	FactorBelowValues = 60
)

// factorBelow is the FACTOR_BELOW of a kernel that stages dv values a
// column (0 for the soft-min and the soft-mean of V = Y from the
// coordinates, whose p = F_j 2^(...) is a term's own weight).
func factorBelow(stagedValues int) int {
	if stagedValues > 0 {
		return FactorBelowValues
	}
	return FactorBelow
}

// valid says whether the shape is in range: 1 <= R <= 16, 1 <= WG <= 256,
// 1 <= Tile, 0 <= FirstMax, 0 <= Unroll <= 8.
func (o MidOptions) valid() bool {
	return o.R >= 1 && o.R <= 16 && o.WG >= 1 && o.WG <= 256 && o.Tile >= 1 && o.FirstMax >= 0 && o.Unroll >= 0 && o.Unroll <= 8
}

// midSlot names staged float s of a column in the loaded vec4s e0, e1, ...
// (float s is component s%4 of e{s/4}).
func midSlot(s int) string {
	return fmt.Sprintf("e%d.%c", s/4, "xyzw"[s%4])
}

// midCode is pairs_mid.wgsl's generated text, one string per slot.
type midCode struct {
	decls, head, stage, init, pre, sweep, post, final strings.Builder
}

// frontFactor says whether a staged column puts F_j in the first vec4
// beside 2y'_j, and H_j, K_j in the second (see midRows): the factored
// soft-min at d = 2 and 3, whose fast sweep then needs the first vec4
// only (two vec4s a column either way).
func frontFactor(d, dv int, o MidOptions) bool {
	return o.Factor && dv == 0 && (d == 2 || d == 3)
}

// midVec4s is the vec4s of a staged column: the coordinates' and column
// constants' (2y', H, and factored also K and F), then the values'.
func midVec4s(d, dv int, factor bool) (nv, nvv int) {
	floats := d + 1
	if factor {
		floats = d + 3
	}
	return (floats + 3) / 4, (dv + 3) / 4
}

// midLayout is a staged column's vec4s (nc) and the slot of its first
// value: after the vec4s of the coordinates and constants, or packed
// right after those floats where pack is set and that saves a vec4.
func midLayout(d, dv int, factor, pack bool) (nc, valueBase int) {
	nv, nvv := midVec4s(d, dv, factor)
	floats := d + 1
	if factor {
		floats = d + 3
	}
	if packed := (floats + dv + 3) / 4; pack && packed < nv+nvv {
		return packed, floats
	}
	return nv + nvv, 4 * nv
}

// midRows writes the staging and per-row code of SoftMinMid and
// SoftMeanMid (dv = 0 for the soft-min): o.R rows of dimension d in scalar
// registers x{i}_k, the running (m{i}, s{i}) of the Lazy form (see
// SmallForm Lazy) and for the soft-mean the accumulators acc{i}_k.
func midRows(d, dv int, o MidOptions) *midCode {
	g := &midCode{}
	nc, valueBase := midLayout(d, o.stagedValues(dv), o.Factor, o.Pack)
	// Slots of a staged column: 2y'_k (0..d-1), H_j (d); factored, the
	// sum's constant K_j (d+1) and factor F_j (d+2); the values. The
	// factored soft-min at d = 2, 3 puts F_j in slot 3 and H_j, K_j in the
	// second vec4 (frontFactor), so that its fast sweep loads one vec4 a
	// column.
	hSlot, hhSlot, fSlot := d, d+1, d+2
	if frontFactor(d, dv, o) {
		hSlot, hhSlot, fSlot = 4, 5, 3
	}
	slots := make([]string, 4*nc)
	for s := range slots {
		slots[s] = "0.0"
	}
	for k := 0; k < d; k++ {
		fmt.Fprintf(&g.stage, "      let yc%d = (Y[j * D + %du] - y0_%d) * P.scale;\n      h = fma(-yc%d, yc%d, h);\n", k, k, k, k, k)
		slots[k] = fmt.Sprintf("2.0 * yc%d", k)
	}
	slots[hSlot] = "h"
	vfac := ""
	if o.Factor {
		g.decls.WriteString("// Set when a column of the tile (parity t) is staged unfactored.\nvar<workgroup> unfactored: array<atomic<u32>, 2>;\n")
		g.head.WriteString("    let par = ((t0 - j0) / TILE) & 1u;\n    let href = column_h(t0);\n")
		g.head.WriteString("    if (lid.x == 0u) { atomicStore(&unfactored[par ^ 1u], 0u); }\n")
		g.stage.WriteString("      var hh = h;\n      var f = 1.0;\n")
		g.stage.WriteString("      let dh = h - href;\n      if (dh >= -FACTOR_BELOW && dh <= FACTOR_ABOVE) { hh = href; f = exp2(dh); } else { atomicStore(&unfactored[par], 1u); }\n")
		slots[hhSlot], slots[fSlot] = "hh", "f"
		vfac = "f * "
	}
	for k := 0; k < o.stagedValues(dv); k++ {
		slots[valueBase+k] = fmt.Sprintf("%sV[j * DV + %du]", vfac, k)
	}
	// valueSlot is the staged slot of value k: 2y'_k itself for ValuesAreY.
	valueSlot := func(k int) string {
		if o.ValuesAreY {
			return midSlot(k)
		}
		return midSlot(valueBase + k)
	}
	for v := 0; v < nc; v++ {
		fmt.Fprintf(&g.stage, "      tile[q * NC + %du] = vec4<f32>(%s);\n", v, strings.Join(slots[4*v:4*v+4], ", "))
	}
	var loadB strings.Builder
	for v := 0; v < nc; v++ {
		fmt.Fprintf(&loadB, "        let e%d = tile[q * NC + %du];\n", v, v)
	}
	load := loadB.String()
	// fastLoad is the vec4s the factored fast sweep reads.
	fastLoad := load
	if frontFactor(d, dv, o) {
		fastLoad = "        let e0 = tile[q * NC + 0u];\n"
	}
	// acc repeats f for each value component k < dv of row i.
	acc := func(f string, i int) string {
		var b strings.Builder
		for k := 0; k < dv; k++ {
			b.WriteString(strings.NewReplacer("{i}", fmt.Sprint(i), "{k}", fmt.Sprint(k), "{c}", valueSlot(k)).Replace(f))
		}
		return b.String()
	}
	for k := 0; k < d; k++ {
		fmt.Fprintf(&g.init, "  let y0_%d = Y[%du];\n", k, k)
	}
	// chain is start + sum_k x{i}_k 2y'_jk, one FMA a coordinate.
	chain := func(i int, start string) string {
		for k := 0; k < d; k++ {
			start = fmt.Sprintf("fma(x%d_%d, %s, %s)", i, k, midSlot(k), start)
		}
		return start
	}
	var tmInit, pass1, resc, save, general, fast, shifts strings.Builder
	for i := 0; i < o.R; i++ {
		fmt.Fprintf(&g.init, "  let i%d = base + %du * WG;\n  let a%d = min(i%d, P.n - 1u);\n  var m%d = NEG;\n  var s%d = 0.0;\n", i, i, i, i, i, i)
		g.init.WriteString(acc("  var acc{i}_{k} = 0.0;\n", i))
		var sq []string
		for k := 0; k < d; k++ {
			fmt.Fprintf(&g.init, "  let x%d_%d = (X[a%d * D + %du] - y0_%d) * P.scale;\n", i, k, i, k, k)
			sq = append(sq, fmt.Sprintf("x%d_%d * x%d_%d", i, k, i, k))
		}
		fmt.Fprintf(&g.init, "  let q%d = %s;\n", i, strings.Join(sq, " + "))
		// The general term: p = 2^(v - m) (factored: F_j 2^(K_j + ... - m)).
		max1 := fmt.Sprintf("tm%d = max(tm%d, %s);\n", i, i, chain(i, midSlot(hSlot)))
		var add string
		if o.Factor && o.ValuesAreY {
			add = fmt.Sprintf("{ let p = %s * exp2(%s - m%d); s%d += p;%s }\n", midSlot(fSlot), chain(i, midSlot(hhSlot)), i, i,
				acc(" acc{i}_{k} = fma(p, {c}, acc{i}_{k});", i))
			fmt.Fprintf(&shifts, "      let sh%d = href - m%d;\n", i, i)
			fmt.Fprintf(&fast, "        { let p = %s * exp2(%s); s%d += p;%s }\n", midSlot(fSlot), chain(i, fmt.Sprintf("sh%d", i)), i,
				acc(" acc{i}_{k} = fma(p, {c}, acc{i}_{k});", i))
		} else if o.Factor {
			add = fmt.Sprintf("{ let p = exp2(%s - m%d); s%d = fma(%s, p, s%d);%s }\n", chain(i, midSlot(hhSlot)), i, i, midSlot(fSlot), i,
				acc(" acc{i}_{k} = fma(p, {c}, acc{i}_{k});", i))
			fmt.Fprintf(&shifts, "      let sh%d = href - m%d;\n", i, i)
			fmt.Fprintf(&fast, "        { let p = exp2(%s); s%d = fma(%s, p, s%d);%s }\n", chain(i, fmt.Sprintf("sh%d", i)), i, midSlot(fSlot), i,
				acc(" acc{i}_{k} = fma(p, {c}, acc{i}_{k});", i))
		} else {
			add = fmt.Sprintf("{ let p = exp2(%s - m%d); s%d += p;%s }\n", chain(i, midSlot(hSlot)), i, i, acc(" acc{i}_{k} = fma(p, {c}, acc{i}_{k});", i))
		}
		rescale := fmt.Sprintf("{ let c = exp2(m%d - tm%d); s%d *= c;%s m%d = tm%d; }\n", i, i, i, acc(" acc{i}_{k} *= c;", i), i, i)
		fmt.Fprintf(&tmInit, "      var tm%d = m%d;\n", i, i)
		pass1.WriteString("        " + max1)
		resc.WriteString("      " + rescale)
		general.WriteString("        " + add)
		fmt.Fprintf(&save, "    let sp%d = s%d;\n", i, i)
		save.WriteString(acc("    let ap{i}_{k} = acc{i}_{k};\n", i))
		fmt.Fprintf(&g.post, "    if (!(s%d < LAZY_LIMIT)) {\n      s%d = sp%d;%s\n      var tm%d = m%d;\n", i, i, i, acc(" acc{i}_{k} = ap{i}_{k};", i), i, i)
		fmt.Fprintf(&g.post, "      for (var q = 0u; q < cnt; q++) {\n%s        %s      }\n      %s", load, max1, rescale)
		fmt.Fprintf(&g.post, "      for (var q = 0u; q < cnt; q++) {\n%s        %s      }\n    }\n", load, add)
	}
	// The exact maxima of the first tile only; later tiles are checked.
	first := "cnt"
	if o.FirstMax > 0 {
		first = fmt.Sprintf("min(cnt, %du)", o.FirstMax)
	}
	fmt.Fprintf(&g.pre, "    if (t0 == j0) {\n%s      for (var q = 0u; q < %s; q++) {\n%s%s      }\n%s    }\n%s",
		tmInit.String(), first, load, pass1.String(), resc.String(), save.String())
	sweep := sweepColumns(load+general.String(), o.Unroll, "tile")
	if o.Factor {
		sweep = "    if (atomicLoad(&unfactored[par]) == 0u) {\n" + shifts.String() +
			indent(sweepColumns(fastLoad+fast.String(), o.Unroll, "tile")) + "    } else {\n" +
			indent(sweep) + "    }\n"
	}
	g.sweep.WriteString(sweep)
	return g
}

// sweepColumns is the loop over a tile's columns q running body (which
// loads column q from the workgroup arrays named in arrays, as
// array[q..., and adds its pairs), one column an iteration, or with
// unroll > 1 that many (copy u reads column q + u), the cnt mod unroll
// last ones one at a time after. pairs_mid.wgsl (MidOptions.Unroll) and
// softmin_small.wgsl / softmean_small.wgsl (SmallOptions.Unroll) use it.
func sweepColumns(body string, unroll int, arrays ...string) string {
	if unroll <= 1 {
		return "    for (var q = 0u; q < cnt; q++) {\n" + body + "    }\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "    var q = 0u;\n    for (; q + %du < cnt; q += %du) {\n", unroll-1, unroll)
	for u := 0; u < unroll; u++ {
		copyU := body
		for _, a := range arrays {
			copyU = strings.ReplaceAll(copyU, a+"[q", fmt.Sprintf("%s[(q + %du)", a, u))
		}
		b.WriteString("      {\n" + indent(copyU) + "      }\n")
	}
	b.WriteString("    }\n    for (; q < cnt; q++) {\n" + body + "    }\n")
	return b.String()
}

// midTemplate fills pairs_mid.wgsl.
func midTemplate(d, dv int, o MidOptions, g *midCode, bindings string) (string, error) {
	nv, _ := midVec4s(d, o.stagedValues(dv), o.Factor)
	nc, _ := midLayout(d, o.stagedValues(dv), o.Factor, o.Pack)
	return Template("pairs_mid", map[string]int{"D": d, "DV": max(dv, 1), "R": o.R, "WG": o.WG, "TILE": o.Tile,
		"NV": nv, "NC": nc, "TILENC": o.Tile * nc, "FACTOR_BELOW": factorBelow(o.stagedValues(dv)), "FACTOR_ABOVE": FactorAbove},
		map[string]string{"BINDINGS": bindings, "DECLS": g.decls.String(), "TILE_HEAD": g.head.String(), "STAGE": trim(&g.stage),
			"ROWS_INIT": trim(&g.init), "ROWS_PRE": trim(&g.pre), "SWEEP": g.sweep.String(),
			"ROWS_POST": g.post.String(), "ROWS_FINAL": trim(&g.final)})
}

// stagedValues is the values a column stages: none for ValuesAreY.
func (o MidOptions) stagedValues(dv int) int {
	if o.ValuesAreY {
		return 0
	}
	return dv
}

// trim is b's text without its last newline (the template supplies it).
func trim(b *strings.Builder) string {
	return strings.TrimSuffix(b.String(), "\n")
}

// MidColumnVec4s is the workgroup memory one staged column of
// pairs_mid.wgsl takes, in vec4s: ceil((d+1)/4) for (2y', H), factored
// ceil((d+3)/4) for (2y', H, K, F), and ceil(dv/4) for the soft-mean's
// values; with MidOptions.Pack ceil((d+1+dv)/4) or ceil((d+3+dv)/4)
// where that is fewer.
func MidColumnVec4s(d, dv int, factor, pack bool) int {
	nc, _ := midLayout(d, dv, factor, pack)
	return nc
}

// SoftMinMid returns pairs_mid.wgsl as the soft-min for dimension d
// (1..MidMaxDim; compute/webgpu runs it from MidMinDim) in the shape o, with the per-row code unrolled
// into scalar registers (the Lazy form of SoftMinSmall, the tile as
// vec4s):
//
//	init:  x{r}_k = (X[i_r*D+k] - y_0k) * scale,  q{r} = |x{r}|^2,  m{r} = NEG,  s{r} = 0
//	body:  v = H_j + sum_k x{r}_k 2y'_jk;  s{r} += 2^(v - m{r})
//	final: dst = outk * (m{r} - q{r} + log2 s{r})  (or the partial pair)
func SoftMinMid(d int, o MidOptions) (string, error) {
	if d < 1 || d > MidMaxDim || !o.valid() {
		return "", fmt.Errorf("shaders: softmin_mid needs 1 <= d <= %d and a shape in range, got d=%d %+v", MidMaxDim, d, o)
	}
	g := midRows(d, 0, o)
	for i := 0; i < o.R; i++ {
		fmt.Fprintf(&g.final, "  if (i%d < P.n) {\n    let mm%d = m%d - q%d;\n", i, i, i, i)
		fmt.Fprintf(&g.final, "    if (P.nsplit == 1u) { dst[i%d] = lse_out(P.outk, mm%d, s%d); } else { let o = 2u * (wid.z * P.n + i%d); dst[o] = mm%d; dst[o + 1u] = s%d; }\n  }\n",
			i, i, i, i, i, i)
	}
	return midTemplate(d, 0, o, g, "@group(0) @binding(5) var<uniform> P: Params;")
}

// SoftMeanMid returns pairs_mid.wgsl as the soft-mean for dimension d
// (1..MidMaxDim) and value dimension dv (1..MidMaxValues) in the
// shape o, with the rows unrolled as in SoftMinMid:
//
//	body:  v = H_j + sum_k x{r}_k 2y'_jk;  p = 2^(v - m{r});  s{r} += p;  acc{r}_k += p V_jk
//	final: dst[i*DV+k] = acc{r}_k / s{r}  (or the partial (m, s, acc))
func SoftMeanMid(d, dv int, o MidOptions) (string, error) {
	if d < 1 || d > MidMaxDim || dv < 1 || dv > MidMaxValues || !o.valid() {
		return "", fmt.Errorf("shaders: softmean_mid needs 1 <= d <= %d, 1 <= dv <= %d and a shape in range; got d=%d dv=%d %+v",
			MidMaxDim, MidMaxValues, d, dv, o)
	}
	if o.ValuesAreY && dv != d {
		return "", fmt.Errorf("shaders: softmean_mid with ValuesAreY needs dv = d, got d=%d dv=%d", d, dv)
	}
	g := midRows(d, dv, o)
	// value k of row i from its accumulator: acc itself times P.vscale (the
	// values c V of Backend.SoftMeanY; 1 for SoftMean), or for ValuesAreY
	// c (y_0k + acc hs) (hs = 1/(2 scale), c = P.vscale: the values c Y of
	// SoftMeanY), and sum_j p_j V_j = c (s y_0 + acc hs) in the partial.
	mean, partial := "acc%[1]d_%[2]d * inv%[1]d", "acc%[1]d_%[2]d * P.vscale"
	inv := "P.vscale / s%d"
	if o.ValuesAreY {
		inv = "1.0 / s%d"
		g.final.WriteString("  let hs = 0.5 / P.scale * P.vscale;\n")
		for k := 0; k < d; k++ {
			fmt.Fprintf(&g.final, "  let cy0_%d = y0_%d * P.vscale;\n", k, k)
		}
		mean, partial = "fma(acc%[1]d_%[2]d * inv%[1]d, hs, cy0_%[2]d)", "fma(acc%[1]d_%[2]d, hs, s%[1]d * cy0_%[2]d)"
	}
	for i := 0; i < o.R; i++ {
		fmt.Fprintf(&g.final, "  if (i%d < P.n && P.nsplit == 1u) {\n    let inv%d = %s;\n", i, i, fmt.Sprintf(inv, i))
		for k := 0; k < dv; k++ {
			fmt.Fprintf(&g.final, "    dst[i%d * DV + %du] = %s;\n", i, k, fmt.Sprintf(mean, i, k))
		}
		fmt.Fprintf(&g.final, "  }\n  if (i%d < P.n && P.nsplit > 1u) {\n    let o%d = (wid.z * P.n + i%d) * (DV + 2u);\n    dst[o%d] = m%d;\n    dst[o%d + 1u] = s%d;\n", i, i, i, i, i, i, i)
		for k := 0; k < dv; k++ {
			fmt.Fprintf(&g.final, "    dst[o%d + %du] = %s;\n", i, k+2, fmt.Sprintf(partial, i, k))
		}
		g.final.WriteString("  }\n")
	}
	if o.ValuesAreY {
		return midTemplate(d, dv, o, g, "@group(0) @binding(5) var<uniform> P: Params;")
	}
	return midTemplate(d, dv, o, g,
		"@group(0) @binding(5) var<storage, read> V: array<f32>;\n@group(0) @binding(6) var<uniform> P: Params;")
}
