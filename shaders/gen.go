package shaders

import (
	"fmt"
	"strconv"
	"strings"
)

// SmallForm is how the unrolled d <= 3 kernels keep each row's running
// log-sum-exp (m, s) stable; see SoftMinSmall.
type SmallForm int

const (
	// TwoPass sweeps each tile twice: the rows' maxima, one rescale, then
	// s += 2^(v - m) with no data-dependent branch per pair.
	TwoPass SmallForm = iota
	// OnePass runs the online update (Milakov and Gimelshein 2018,
	// "Online normalizer calculation for softmax", Algorithm 3): one
	// sweep, one branch per pair.
	OnePass
	// Lazy takes the exact maximum over the first tile of the row's
	// column range only, then sums 2^(v - m) in one branch-free sweep per
	// tile and checks once per tile that the sum stayed below 2^64; a
	// tile that did not is summed again with its own maximum. Since m
	// never exceeds the row's true maximum, the largest term is >= 1 and
	// nothing that float32 resolves underflows. The default of
	// compute/webgpu: 3.00 against 4.36 ms for the two-pass soft-min at
	// N = 1e5 on an H100.
	Lazy
)

// SmallForms names the forms for flags and environment variables.
var SmallForms = map[string]SmallForm{"twopass": TwoPass, "onepass": OnePass, "lazy": Lazy}

// SmallOptions shapes the unrolled d <= 3 kernels. The zero value is the
// two-pass form with the exp2 builtin everywhere.
type SmallOptions struct {
	Form SmallForm
	// PolyEvery k > 0 sends the exps of every k-th row of an invocation
	// (rows k-1, 2k-1, ...) to exp2_fma (a polynomial on the FMA units,
	// relative error 2.4e-7) instead of the exp2 builtin (the special
	// function unit, 16 a clock per SM on an H100 against 128 FMAs), so
	// the two units share the work; 0 keeps the builtin. On an H100 it
	// made the soft-min slower (one row in four: 3.91 against 3.05 ms at
	// N = 1e5): the kernel is bound by instruction issue, not by the exp
	// unit. Kept for other hardware.
	PolyEvery int
	// Sample k > 0 makes the Lazy form take its starting maxima over the
	// first k columns of a row's column range instead of the whole first
	// tile (0). Any column's value is a lower bound on the row's maximum,
	// which is all the Lazy form needs to rule out underflow; a tile whose
	// sum then passes 2^64 is summed again against its own maximum, as
	// before. It saves the first tile's maximum sweep (three operations a
	// pair), which is the whole column range of a split when the split
	// holds one tile (N = 1e4 on an H100: 39 splits of 256 columns).
	Sample int
	// Unroll k > 1 sweeps a tile k columns an iteration (the last cnt mod
	// k one at a time), as MidOptions.Unroll does for pairs_mid.wgsl: the
	// loop's counter, test, branch and tile address are shared by k
	// columns' pairs. 0 and 1 take one column an iteration. On an H100
	// (N = 1e5, bench/gpu/results/margin2-h100.jsonl) two columns made
	// the soft-mean faster at d = 3 (4.32-4.36 against 4.82-4.87 ms; four
	// 4.54) and the soft-min slower at d = 2 (3.02-3.06 against
	// 2.91-2.93; four 2.91); compute/webgpu sets it per kernel.
	Unroll int
}

func (o SmallOptions) String() string {
	name := "twopass"
	for k, v := range SmallForms {
		if v == o.Form {
			name = k
		}
	}
	return fmt.Sprintf("%s:poly=%d:sample=%d:unroll=%d", name, o.PolyEvery, o.Sample, max(o.Unroll, 1))
}

// smallCode is the generated per-row code of SoftMinSmall and
// SoftMeanSmall, one string per template slot.
type smallCode struct {
	init, pre, body, post, final strings.Builder
	sweep                        string
}

// smallRows writes the per-row code shared by SoftMinSmall and
// SoftMeanSmall: r rows of dimension d in scalar registers, the tile entry
// e = tileVar[q], and for the soft-mean (dv > 0) the scalar accumulators
// acc{i}_{k}, k < dv, of the values w = tv[q] (scalars, not a vec4, so
// that no compiler spends FMAs on padding).
func smallRows(d, dv, r int, o SmallOptions, tileVar string) *smallCode {
	g := &smallCode{}
	comps := []string{"x", "y", "z", "w"}
	mean := dv > 0
	// acc repeats f for each value component k < dv of row i, with {i},
	// {k} and {c} (the vec4 component) substituted.
	acc := func(f string, i int) string {
		var b strings.Builder
		for k := 0; k < dv; k++ {
			b.WriteString(strings.NewReplacer("{i}", strconv.Itoa(i), "{k}", strconv.Itoa(k), "{c}", comps[k]).Replace(f))
		}
		return b.String()
	}
	loadW := ""
	if mean {
		loadW = "        let w = tv[q];\n"
	}
	var tmInit, pass1, resc, save strings.Builder
	for i := 0; i < r; i++ {
		exp := "exp2"
		if o.PolyEvery > 0 && i%o.PolyEvery == o.PolyEvery-1 {
			exp = "exp2_fma"
		}
		fmt.Fprintf(&g.init, "  let i%d = base + %du * WG;\n  let a%d = min(i%d, P.n - 1u);\n", i, i, i, i)
		fmt.Fprintf(&g.init, "  var m%d = NEG;\n  var s%d = 0.0;\n", i, i)
		g.init.WriteString(acc("  var acc{i}_{k} = 0.0;\n", i))
		q := []string{}
		for k := 0; k < d; k++ {
			fmt.Fprintf(&g.init, "  let x%d_%d = coord(a%d, %du);\n", i, k, i, k)
			q = append(q, fmt.Sprintf("x%d_%d * x%d_%d", i, k, i, k))
		}
		fmt.Fprintf(&g.init, "  let q%d = %s;\n", i, strings.Join(q, " + "))
		v := "e.w"
		for k := 0; k < d; k++ {
			v = fmt.Sprintf("fma(x%d_%d, e.%s, %s)", i, k, comps[k], v)
		}
		add := fmt.Sprintf("{ let p = %s(%s - m%d); s%d += p;%s }\n", exp, v, i, i, acc(" acc{i}_{k} = fma(p, w.{c}, acc{i}_{k});", i))
		max1 := fmt.Sprintf("tm%d = max(tm%d, %s);\n", i, i, v)
		rescale := fmt.Sprintf("{ let c = exp2(m%d - tm%d); s%d *= c;%s m%d = tm%d; }\n", i, i, i, acc(" acc{i}_{k} *= c;", i), i, i)
		fmt.Fprintf(&tmInit, "    var tm%d = m%d;\n", i, i)
		pass1.WriteString("      " + max1)
		resc.WriteString("    " + rescale)
		switch o.Form {
		case OnePass:
			fmt.Fprintf(&g.body, "      let v%d = %s;\n", i, v)
			fmt.Fprintf(&g.body, "      if (v%d <= m%d) { let p = %s(v%d - m%d); s%d += p;%s } else { let c = %s(m%d - v%d); s%d = fma(s%d, c, 1.0);%s m%d = v%d; }\n",
				i, i, exp, i, i, i, acc(" acc{i}_{k} = fma(p, w.{c}, acc{i}_{k});", i), exp, i, i, i, i, acc(" acc{i}_{k} = fma(acc{i}_{k}, c, w.{c});", i), i, i)
		case TwoPass:
			g.body.WriteString("      " + add)
		case Lazy:
			g.body.WriteString("      " + add)
			fmt.Fprintf(&save, "    let sp%d = s%d;\n", i, i)
			save.WriteString(acc("    let ap{i}_{k} = acc{i}_{k};\n", i))
			fmt.Fprintf(&g.post, "    if (!(s%d < LAZY_LIMIT)) {\n      s%d = sp%d;%s\n      var tm%d = m%d;\n", i, i, i, acc(" acc{i}_{k} = ap{i}_{k};", i), i, i)
			fmt.Fprintf(&g.post, "      for (var q = 0u; q < cnt; q++) {\n        let e = %s[q];\n        %s      }\n      %s", tileVar, max1, rescale)
			fmt.Fprintf(&g.post, "      for (var q = 0u; q < cnt; q++) {\n        let e = %s[q];\n%s        %s      }\n    }\n", tileVar, loadW, add)
		}
	}
	load := "      let e = " + tileVar + "[q];\n"
	if mean {
		load += "      let w = tv[q];\n"
	}
	g.sweep = sweepColumns(load+g.body.String(), o.Unroll, tileVar, "tv")
	if o.Form == OnePass {
		return g
	}
	pre := tmInit.String() + "    for (var q = 0u; q < cnt; q++) {\n      let e = " + tileVar + "[q];\n" + pass1.String() + "    }\n" + resc.String()
	if o.Form == Lazy {
		// The exact maxima of the first tile (or of its first Sample
		// columns) only; later tiles are checked.
		if o.Sample > 0 {
			pre = strings.Replace(pre, "q < cnt;", fmt.Sprintf("q < min(cnt, %du);", o.Sample), 1)
		}
		pre = "    if (t0 == j0) {\n" + indent(pre) + "    }\n" + save.String()
	}
	g.pre.WriteString(pre)
	return g
}

// indent adds two spaces to every line of s.
func indent(s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "")
}

// SoftMinSmall returns softmin_small.wgsl for dimension d (1..3), r rows
// per invocation, workgroup size wg and tile length tile, with the
// per-row code unrolled into scalar registers:
//
//	init:  x{r}_k = (X[i_r*D+k] - y_0k) * scale,  q{r} = |x{r}|^2,  m{r} = NEG,  s{r} = 0
//	body:  v = e.w + sum_k x{r}_k e[k];  s{r} += 2^(v - m{r}) (the forms differ in how m{r} is kept)
//	final: dst = outk * (m{r} - q{r} + log2 s{r})  (or the partial pair)
//
// o picks the form (TwoPass, OnePass, Lazy) and which rows use exp2_fma.
func SoftMinSmall(d, r, wg, tile int, o SmallOptions) (string, error) {
	if d < 1 || d > 3 || r < 1 || r > 16 || o.Unroll < 0 || o.Unroll > 8 {
		return "", fmt.Errorf("shaders: softmin_small needs 1 <= d <= 3, 1 <= r <= 16 and 0 <= Unroll <= 8, got d=%d r=%d %v", d, r, o)
	}
	g := smallRows(d, 0, r, o, "tile")
	for i := 0; i < r; i++ {
		fmt.Fprintf(&g.final, "  if (i%d < P.n) {\n    let mm%d = m%d - q%d;\n", i, i, i, i)
		fmt.Fprintf(&g.final, "    if (P.nsplit == 1u) { dst[i%d] = lse_out(P.outk, mm%d, s%d); } else { let o = 2u * (wid.z * P.n + i%d); dst[o] = mm%d; dst[o + 1u] = s%d; }\n  }\n",
			i, i, i, i, i, i)
	}
	return Template("softmin_small", map[string]int{"D": d, "R": r, "WG": wg, "TILE": tile},
		map[string]string{"ROWS_INIT": g.init.String(), "ROWS_PRE": g.pre.String(), "SWEEP": g.sweep,
			"ROWS_POST": g.post.String(), "ROWS_FINAL": g.final.String()})
}

// SoftMeanSmall returns softmean_small.wgsl for dimension d (1..3), value
// dimension dv (1..4), r rows per invocation, with the rows unrolled:
//
//	body:  v = e.w + sum_k x{r}_k e[k];  p = 2^(v - m{r});  s{r} += p;  acc{r} += p * w
//	final: dst[i*DV+k] = acc{r}[k] / s{r}
//
// o picks the form (TwoPass, OnePass, Lazy; a rescale by c multiplies s
// and acc by c) and which rows use exp2_fma.
func SoftMeanSmall(d, dv, r, wg, tile int, o SmallOptions) (string, error) {
	if d < 1 || d > 3 || dv < 1 || dv > 4 || r < 1 || r > 16 || o.Unroll < 0 || o.Unroll > 8 {
		return "", fmt.Errorf("shaders: softmean_small needs 1 <= d <= 3, 1 <= dv <= 4, 1 <= r <= 16, 0 <= Unroll <= 8; got d=%d dv=%d r=%d %v", d, dv, r, o)
	}
	g := smallRows(d, dv, r, o, "tc")
	for i := 0; i < r; i++ {
		fmt.Fprintf(&g.final, "  if (i%d < P.n && P.nsplit == 1u) {\n    let inv%d = P.vscale / s%d;\n", i, i, i)
		for k := 0; k < dv; k++ {
			fmt.Fprintf(&g.final, "    dst[i%d * DV + %du] = acc%d_%d * inv%d;\n", i, k, i, k, i)
		}
		g.final.WriteString("  }\n")
		fmt.Fprintf(&g.final, "  if (i%d < P.n && P.nsplit > 1u) {\n    let o%d = (wid.z * P.n + i%d) * (DV + 2u);\n    dst[o%d] = m%d;\n    dst[o%d + 1u] = s%d;\n", i, i, i, i, i, i, i)
		for k := 0; k < dv; k++ {
			fmt.Fprintf(&g.final, "    dst[o%d + %du] = acc%d_%d * P.vscale;\n", i, k+2, i, k)
		}
		g.final.WriteString("  }\n")
	}
	return Template("softmean_small", map[string]int{"D": d, "DV": dv, "R": r, "WG": wg, "TILE": tile},
		map[string]string{"ROWS_INIT": g.init.String(), "ROWS_PRE": g.pre.String(), "SWEEP": g.sweep,
			"ROWS_POST": g.post.String(), "ROWS_FINAL": g.final.String()})
}

// SoftMinHD returns softmin_hd.wgsl for dimension d, rb x rb (row, column)
// pairs per invocation (rb in 1..8) and kc coordinates per staged chunk,
// with the per-invocation code unrolled into scalar registers:
//
//	inner: a{r} = xs[k][ty+16r], b{q} = ys[k][tx+16q], c{r}_{q} += a{r} b{q}
//	tile:  v = H[j_q] + 2c c{r}_{q}; per row one rescale to the tile's max, then s{r} += 2^(v - m{r})
//	final: (m{r}, s{r}) to workgroup memory for the 16-way row merge
func SoftMinHD(d, rb, kc int) (string, error) {
	if d < 1 || rb < 1 || rb > 8 || kc < 1 || kc > 64 {
		return "", fmt.Errorf("shaders: softmin_hd needs d >= 1, 1 <= rb <= 8, 1 <= kc <= 64; got d=%d rb=%d kc=%d", d, rb, kc)
	}
	var rowInit, accInit, inner, tileEnd, red strings.Builder
	for r := 0; r < rb; r++ {
		fmt.Fprintf(&rowInit, "  var m%d = NEG;\n  var s%d = 0.0;\n", r, r)
		fmt.Fprintf(&red, "  s%d = no_weight(m%d, s%d);\n", r, r, r)
		fmt.Fprintf(&red, "  sh[2u * ((ty + %du) * 16u + tx)] = m%d;\n  sh[2u * ((ty + %du) * 16u + tx) + 1u] = s%d;\n", 16*r, r, 16*r, r)
		fmt.Fprintf(&inner, "        let a%d = sh[xo + %du];\n", r, 16*r)
	}
	for q := 0; q < rb; q++ {
		fmt.Fprintf(&inner, "        let b%d = sh[yo + %du];\n", q, 16*q)
		fmt.Fprintf(&tileEnd, "    let col%d = t0 + tx + %du;\n    let h%d = select(NEG, H[min(col%d, P.m - 1u)], col%d < j1);\n", q, 16*q, q, q, q)
	}
	for r := 0; r < rb; r++ {
		tm := fmt.Sprintf("m%d", r)
		var sum []string
		for q := 0; q < rb; q++ {
			// Declared once and zeroed per tile: the wgpu build we use
			// initialises a var declared inside a loop only once.
			fmt.Fprintf(&rowInit, "  var c%d_%d = 0.0;\n", r, q)
			fmt.Fprintf(&accInit, "    c%d_%d = 0.0;\n", r, q)
			fmt.Fprintf(&inner, "        c%d_%d = fma(a%d, b%d, c%d_%d);\n", r, q, r, q, r, q)
			fmt.Fprintf(&tileEnd, "    let v%d_%d = fma(P.c2, c%d_%d, h%d);\n", r, q, r, q, q)
			tm = fmt.Sprintf("max(%s, v%d_%d)", tm, r, q)
			sum = append(sum, fmt.Sprintf("exp2(v%d_%d - tm%d)", r, q, r))
		}
		fmt.Fprintf(&tileEnd, "    let tm%d = %s;\n", r, tm)
		fmt.Fprintf(&tileEnd, "    if (tm%d > m%d) { s%d *= exp2(m%d - tm%d); m%d = tm%d; }\n", r, r, r, r, r, r, r)
		fmt.Fprintf(&tileEnd, "    s%d += %s;\n", r, strings.Join(sum, " + "))
	}
	bm := 16 * rb
	return Template("softmin_hd", map[string]int{"D": d, "RB": rb, "KC": kc, "SHF": 2 * bm * max(kc, 16)},
		map[string]string{"ROW_INIT": rowInit.String(), "ACC_INIT": accInit.String(), "INNER": inner.String(),
			"TILE_END": tileEnd.String(), "RED_WRITE": red.String()})
}

// SoftMeanHD returns softmean_hd.wgsl for point dimension d and value
// dimension dv, with the per-invocation code unrolled into scalar
// registers (cost phase: 4 x 2 inner products c{r}_{q}; value phase: one
// accumulator a{t} per value column li%4 + 4t, ceil(dv/32) chunks of 8):
//
//	inner:  c{r}_{q} += xs[k][ty+16r] ys[k][tx+16q]
//	logits: L[ty+16r][tx+16q] = H[j] + 2c c{r}_{q}
//	value:  p = 2^(L[row][q] - m) (once, in place); s += p; a{t} += p V[j][li%4 + 4t]
func SoftMeanHD(d, dv int) (string, error) {
	if d < 1 || dv < 1 || dv > 256 {
		return "", fmt.Errorf("shaders: softmean_hd needs d >= 1 and 1 <= dv <= 256; got d=%d dv=%d", d, dv)
	}
	const rows, cols, dvc = 4, 2, 32
	var init, accInit, inner, logits, rescale, pv, write, part strings.Builder
	for r := 0; r < rows; r++ {
		fmt.Fprintf(&inner, "        let a%d = sh[xo + %du];\n", r, 16*r)
	}
	for q := 0; q < cols; q++ {
		fmt.Fprintf(&inner, "        let b%d = sh[yo + %du];\n", q, 16*q)
		fmt.Fprintf(&logits, "    let col%d = t0 + tx + %du;\n    let h%d = select(NEG, H[min(col%d, P.m - 1u)], col%d < j1);\n", q, 16*q, q, q, q)
	}
	for r := 0; r < rows; r++ {
		for q := 0; q < cols; q++ {
			// Declared once and zeroed per tile (see SoftMinHD).
			fmt.Fprintf(&init, "  var c%d_%d = 0.0;\n", r, q)
			fmt.Fprintf(&accInit, "    c%d_%d = 0.0;\n", r, q)
			fmt.Fprintf(&inner, "        c%d_%d = fma(a%d, b%d, c%d_%d);\n", r, q, r, q, r, q)
			fmt.Fprintf(&logits, "    sh[PO + (ty + %du) * PS + tx + %du] = select(NEG, fma(P.c2, c%d_%d, h%d), col%d < j1);\n",
				16*r, 16*q, r, q, q, q)
		}
	}
	chunks := (dv + dvc - 1) / dvc
	for ch := 0; ch < chunks; ch++ {
		fmt.Fprintf(&pv, "    for (var e = li; e < BN * DVC; e += 256u) {\n")
		fmt.Fprintf(&pv, "      let j = t0 + e / DVC;\n      let k = %du + e %% DVC;\n", ch*dvc)
		fmt.Fprintf(&pv, "      sh[e] = select(0.0, V[min(j, P.m - 1u) * DV + min(k, DV - 1u)], j < j1 && k < DV);\n    }\n")
		pv.WriteString("    workgroupBarrier();\n    for (var q = 0u; q < BN; q++) {\n")
		pv.WriteString("      let p = sh[PO + pr * PS + q];\n")
		if ch == 0 {
			pv.WriteString("      s += p;\n")
		}
		for t := 0; t < dvc/4; t++ {
			a := ch*dvc/4 + t
			fmt.Fprintf(&pv, "      a%d = fma(p, sh[q * DVC + qv + %du], a%d);\n", a, 4*t, a)
		}
		pv.WriteString("    }\n    workgroupBarrier();\n")
	}
	for a := 0; a < chunks*dvc/4; a++ {
		fmt.Fprintf(&init, "  var a%d = 0.0;\n", a)
		fmt.Fprintf(&rescale, "    a%d *= sc;\n", a)
		col := fmt.Sprintf("qv + %du", 4*a)
		fmt.Fprintf(&write, "      if (%s < DV) { dst[i * DV + %s] = a%d * inv; }\n", col, col, a)
		fmt.Fprintf(&part, "      if (%s < DV) { dst[o + 2u + %s] = a%d; }\n", col, col, a)
	}
	return Template("softmean_hd", map[string]int{"D": d, "DV": dv},
		map[string]string{"INIT": init.String(), "ACC_INIT": accInit.String(), "INNER": inner.String(),
			"LOGITS": logits.String(), "RESCALE": rescale.String(), "PV": pv.String(),
			"WRITE": write.String(), "WRITE_PART": part.String()})
}
