package shaders

import (
	"fmt"
	"strings"
)

// SoftMinSmall returns softmin_small.wgsl for dimension d (1..3), r rows
// per invocation, workgroup size wg and tile length tile, with the
// per-row code unrolled into scalar registers:
//
//	init:  x{r}_k = (X[i_r*D+k] - y_0k) * scale,  q{r} = |x{r}|^2,  m{r} = NEG,  s{r} = 0
//	body:  v = e.w + sum_k x{r}_k e[k];  online log-sum-exp of v into (m{r}, s{r})
//	final: dst = outk * (m{r} - q{r} + log2 s{r})  (or the partial pair)
//
// With twoPass, each tile is read twice instead of running the online
// update: first the rows' maxima over the tile, one rescale, then
// s{r} += 2^(v - m{r}) with no data-dependent branch per pair.
func SoftMinSmall(d, r, wg, tile int, twoPass bool) (string, error) {
	if d < 1 || d > 3 || r < 1 || r > 16 {
		return "", fmt.Errorf("shaders: softmin_small needs 1 <= d <= 3 and 1 <= r <= 16, got d=%d r=%d", d, r)
	}
	var init, body, final, pass1, rescale, tmInit strings.Builder
	comps := []string{"x", "y", "z"}
	for i := 0; i < r; i++ {
		fmt.Fprintf(&init, "  let i%d = base + %du * WG;\n  let a%d = min(i%d, P.n - 1u);\n", i, i, i, i)
		fmt.Fprintf(&init, "  var m%d = NEG;\n  var s%d = 0.0;\n", i, i)
		q := []string{}
		for k := 0; k < d; k++ {
			fmt.Fprintf(&init, "  let x%d_%d = coord(a%d, %du);\n", i, k, i, k)
			q = append(q, fmt.Sprintf("x%d_%d * x%d_%d", i, k, i, k))
		}
		fmt.Fprintf(&init, "  let q%d = %s;\n", i, strings.Join(q, " + "))
		v := "e.w"
		for k := 0; k < d; k++ {
			v = fmt.Sprintf("fma(x%d_%d, e.%s, %s)", i, k, comps[k], v)
		}
		if twoPass {
			fmt.Fprintf(&pass1, "      tm%d = max(tm%d, %s);\n", i, i, v)
			fmt.Fprintf(&rescale, "    s%d *= exp2(m%d - tm%d);\n    m%d = tm%d;\n", i, i, i, i, i)
			fmt.Fprintf(&body, "      s%d += exp2(%s - m%d);\n", i, v, i)
			fmt.Fprintf(&tmInit, "    var tm%d = m%d;\n", i, i)
		} else {
			fmt.Fprintf(&body, "      let v%d = %s;\n", i, v)
			fmt.Fprintf(&body, "      if (v%d <= m%d) { s%d += exp2(v%d - m%d); } else { s%d = fma(s%d, exp2(m%d - v%d), 1.0); m%d = v%d; }\n",
				i, i, i, i, i, i, i, i, i, i, i)
		}
		fmt.Fprintf(&final, "  if (i%d < P.n) {\n    let mm%d = m%d - q%d;\n", i, i, i, i)
		fmt.Fprintf(&final, "    if (P.nsplit == 1u) { dst[i%d] = P.outk * (mm%d + log2(s%d)); } else { let o = 2u * (wid.z * P.n + i%d); dst[o] = mm%d; dst[o + 1u] = s%d; }\n  }\n",
			i, i, i, i, i, i)
	}
	pre := ""
	if twoPass {
		pre = tmInit.String() + "    for (var q = 0u; q < cnt; q++) {\n      let e = tile[q];\n" + pass1.String() + "    }\n" + rescale.String()
	}
	return Template("softmin_small", map[string]int{"D": d, "R": r, "WG": wg, "TILE": tile},
		map[string]string{"ROWS_INIT": init.String(), "ROWS_PRE": pre, "ROWS_BODY": body.String(), "ROWS_FINAL": final.String()})
}

// SoftMeanSmall returns softmean_small.wgsl for dimension d (1..3), value
// dimension dv (1..4), r rows per invocation, with the rows unrolled:
//
//	body:  v = e.w + sum_k x{r}_k e[k]
//	       if v <= m{r} { p = exp2(v - m{r}); s{r} += p; acc{r} += p * w }
//	       else { c = exp2(m{r} - v); s{r} = s{r} c + 1; acc{r} = acc{r} c + w; m{r} = v }
//	final: dst[i*DV+k] = acc{r}[k] / s{r}
//
// With twoPass each tile is swept first for the rows' maxima (one rescale
// of s and acc per tile), then p = 2^(v - m) is accumulated with no
// data-dependent branch per pair.
func SoftMeanSmall(d, dv, r, wg, tile int, twoPass bool) (string, error) {
	if d < 1 || d > 3 || dv < 1 || dv > 4 || r < 1 || r > 16 {
		return "", fmt.Errorf("shaders: softmean_small needs 1 <= d <= 3, 1 <= dv <= 4, 1 <= r <= 16; got d=%d dv=%d r=%d", d, dv, r)
	}
	var init, body, final, pass1, rescale, tmInit strings.Builder
	comps := []string{"x", "y", "z", "w"}
	for i := 0; i < r; i++ {
		fmt.Fprintf(&init, "  let i%d = base + %du * WG;\n  let a%d = min(i%d, P.n - 1u);\n", i, i, i, i)
		fmt.Fprintf(&init, "  var m%d = NEG;\n  var s%d = 0.0;\n  var acc%d = vec4<f32>(0.0);\n", i, i, i)
		for k := 0; k < d; k++ {
			fmt.Fprintf(&init, "  let x%d_%d = coord(a%d, %du);\n", i, k, i, k)
		}
		v := "e.w"
		for k := 0; k < d; k++ {
			v = fmt.Sprintf("fma(x%d_%d, e.%s, %s)", i, k, comps[k], v)
		}
		if twoPass {
			fmt.Fprintf(&tmInit, "    var tm%d = m%d;\n", i, i)
			fmt.Fprintf(&pass1, "      tm%d = max(tm%d, %s);\n", i, i, v)
			fmt.Fprintf(&rescale, "    { let c = exp2(m%d - tm%d); s%d *= c; acc%d *= c; m%d = tm%d; }\n", i, i, i, i, i, i)
			fmt.Fprintf(&body, "      { let p = exp2(%s - m%d); s%d += p; acc%d = fma(vec4<f32>(p), w, acc%d); }\n", v, i, i, i, i)
		} else {
			fmt.Fprintf(&body, "      let v%d = %s;\n", i, v)
			fmt.Fprintf(&body, "      if (v%d <= m%d) { let p = exp2(v%d - m%d); s%d += p; acc%d = fma(vec4<f32>(p), w, acc%d); } else { let c = exp2(m%d - v%d); s%d = fma(s%d, c, 1.0); acc%d = fma(acc%d, vec4<f32>(c), w); m%d = v%d; }\n",
				i, i, i, i, i, i, i, i, i, i, i, i, i, i, i)
		}
		fmt.Fprintf(&final, "  if (i%d < P.n && P.nsplit == 1u) {\n    let out%d = acc%d / s%d;\n", i, i, i, i)
		for k := 0; k < dv; k++ {
			fmt.Fprintf(&final, "    dst[i%d * DV + %du] = out%d.%s;\n", i, k, i, comps[k])
		}
		final.WriteString("  }\n")
		fmt.Fprintf(&final, "  if (i%d < P.n && P.nsplit > 1u) {\n    let o%d = (wid.z * P.n + i%d) * (DV + 2u);\n    dst[o%d] = m%d;\n    dst[o%d + 1u] = s%d;\n", i, i, i, i, i, i, i)
		for k := 0; k < dv; k++ {
			fmt.Fprintf(&final, "    dst[o%d + %du] = acc%d.%s;\n", i, k+2, i, comps[k])
		}
		final.WriteString("  }\n")
	}
	pre := ""
	if twoPass {
		pre = tmInit.String() + "    for (var q = 0u; q < cnt; q++) {\n      let e = tc[q];\n" + pass1.String() + "    }\n" + rescale.String()
	}
	return Template("softmean_small", map[string]int{"D": d, "DV": dv, "R": r, "WG": wg, "TILE": tile},
		map[string]string{"ROWS_INIT": init.String(), "ROWS_PRE": pre, "ROWS_BODY": body.String(), "ROWS_FINAL": final.String()})
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
		fmt.Fprintf(&tileEnd, "    if (tm%d > NEG) { s%d += %s; }\n", r, r, strings.Join(sum, " + "))
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
