package shaders

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestPairsMid checks that SoftMinMid and SoftMeanMid fill every slot,
// unroll R rows with the Lazy check for each, stage a column as
// MidColumnVec4s vec4s, and refuse dimensions outside their range.
func TestPairsMid(t *testing.T) {
	for _, c := range []struct{ d, dv, nc int }{{4, 0, 2}, {7, 0, 2}, {8, 0, 3}, {16, 0, 5}, {5, 5, 4}, {8, 8, 5}, {16, 16, 9}} {
		var src string
		var err error
		if c.dv == 0 {
			src, err = SoftMinMid(c.d, MidOptions{R: 4, WG: 128, Tile: 64})
		} else {
			src, err = SoftMeanMid(c.d, c.dv, MidOptions{R: 4, WG: 64, Tile: 64, FirstMax: 16})
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := MidColumnVec4s(c.d, c.dv, false, false); got != c.nc {
			t.Errorf("MidColumnVec4s(%d, %d) = %d, want %d", c.d, c.dv, got, c.nc)
		}
		last := "tile[q * NC + " + strconv.Itoa(c.nc-1) + "u] = vec4"
		if strings.Contains(src, "{{") || !strings.Contains(src, last) || strings.Contains(src, "tile[q * NC + "+strconv.Itoa(c.nc)+"u]") {
			t.Errorf("d=%d dv=%d: want %d staged vec4s a column", c.d, c.dv, c.nc)
		}
		first := "q < cnt; q++) {\n        let e0"
		if c.dv > 0 {
			first = "q < min(cnt, 16u); q++)"
		}
		if !strings.Contains(src, first) {
			t.Errorf("d=%d dv=%d: the first maxima do not sweep the columns asked for", c.d, c.dv)
		}
		if !strings.Contains(src, "if (!(s3 < LAZY_LIMIT))") || strings.Contains(src, "s4") {
			t.Errorf("d=%d dv=%d: want four rows, each with the Lazy check", c.d, c.dv)
		}
		// The last coordinate's FMA reads slot d-1; the chain starts at H (slot d).
		if !strings.Contains(src, "fma(x0_"+strconv.Itoa(c.d-1)+", "+midSlot(c.d-1)+", fma(") || !strings.Contains(src, "fma(x0_0, e0.x, "+midSlot(c.d)+")") {
			t.Errorf("d=%d dv=%d: the exponent's FMA chain is not H + sum_k x_k 2y_k", c.d, c.dv)
		}
	}
	for _, d := range []int{0, 17} {
		if _, err := SoftMinMid(d, MidOptions{R: 4, WG: 128, Tile: 64}); err == nil {
			t.Errorf("SoftMinMid accepted d = %d", d)
		}
	}
	if _, err := SoftMinMid(8, MidOptions{R: 17, WG: 64, Tile: 64}); err == nil {
		t.Error("SoftMinMid accepted R = 17")
	}
	if _, err := SoftMeanMid(8, 17, MidOptions{R: 4, WG: 64, Tile: 64}); err == nil {
		t.Error("SoftMeanMid accepted dv = 17")
	}
}

// TestPairsMidFactored checks the factored form's text: a column of
// (2y', H, K, F) and the values times F, the per-tile flag, and the two
// sweeps: from the per-row Href - m with F in the sum's FMA where the
// tile is factored, the general sum from K otherwise.
func TestPairsMidFactored(t *testing.T) {
	for _, c := range []struct{ d, dv, nc int }{{4, 0, 2}, {6, 0, 3}, {8, 0, 3}, {13, 0, 4}, {14, 0, 5}, {8, 8, 5}, {6, 13, 7}} {
		o := MidOptions{R: 2, WG: 64, Tile: 64, Factor: true}
		var src string
		var err error
		if c.dv == 0 {
			src, err = SoftMinMid(c.d, o)
		} else {
			src, err = SoftMeanMid(c.d, c.dv, o)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := MidColumnVec4s(c.d, c.dv, true, false); got != c.nc {
			t.Errorf("MidColumnVec4s(%d, %d, factored) = %d, want %d", c.d, c.dv, got, c.nc)
		}
		h, k, f := midSlot(c.d), midSlot(c.d+1), midSlot(c.d+2)
		want := []string{
			"var<workgroup> unfactored: array<atomic<u32>, 2>;",
			"atomicStore(&unfactored[par], 1u);",
			"if (atomicLoad(&unfactored[par]) == 0u) {",
			"let sh1 = href - m1;",
			"fma(x1_0, e0.x, sh1)",        // the factored chain
			"fma(x1_0, e0.x, " + k + ")",  // the general chain
			"fma(x1_0, e0.x, " + h + ")",  // the maxima
			"s1 = fma(" + f + ", p, s1);", // F in the sum
		}
		if c.dv > 0 {
			want = append(want, "f * V[j * DV + 0u]")
		}
		for _, w := range want {
			if !strings.Contains(src, w) {
				t.Errorf("d=%d dv=%d factored: no %q", c.d, c.dv, w)
			}
		}
	}
}

// TestPairsMidPackUnroll checks MidOptions.Pack (the values right after
// the column's constants where that saves a vec4: d = dv = 2 factored is
// 2 vec4s, not 3; d = 8 gains nothing and keeps its layout) and
// MidOptions.Unroll (Unroll copies of the sweep's body, copy u reading
// column q + u, and the last columns one at a time).
func TestPairsMidPackUnroll(t *testing.T) {
	for _, c := range []struct{ d, dv, nc int }{{2, 2, 2}, {1, 4, 2}, {3, 3, 3}, {8, 8, 5}} {
		if got := MidColumnVec4s(c.d, c.dv, true, true); got != c.nc {
			t.Errorf("MidColumnVec4s(%d, %d, factored, packed) = %d, want %d", c.d, c.dv, got, c.nc)
		}
	}
	src, err := SoftMeanMid(2, 2, MidOptions{R: 2, WG: 64, Tile: 64, Factor: true, Pack: true, Unroll: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"tile[q * NC + 1u] = vec4<f32>(f, f * V[j * DV + 0u], f * V[j * DV + 1u], 0.0);",
		"for (; q + 2u < cnt; q += 3u) {",
		"let e1 = tile[(q + 2u) * NC + 1u];",
		"for (; q < cnt; q++) {",
		"s0 = fma(e1.x, p, s0); acc0_0 = fma(p, e1.y, acc0_0);",
	} {
		if !strings.Contains(src, w) {
			t.Errorf("d = dv = 2, packed, unrolled 3: no %q", w)
		}
	}
	if strings.Contains(src, "(q + 3u)") || strings.Contains(src, "NC + 2u]") {
		t.Error("d = dv = 2, packed, unrolled 3: reads a fourth column or a third vec4")
	}
}

// TestPairsMidFrontFactor checks the factored soft-min's layout at d = 2
// and 3 (F_j beside 2y'_j in the first vec4, H_j and K_j in the second;
// the fast sweep reads the first vec4 only) and that d = 4 and the
// soft-mean keep theirs.
func TestPairsMidFrontFactor(t *testing.T) {
	o := MidOptions{R: 2, WG: 64, Tile: 64, FirstMax: 32, Factor: true, Unroll: 2}
	for d, want := range map[int][]string{
		2: {"tile[q * NC + 0u] = vec4<f32>(2.0 * yc0, 2.0 * yc1, 0.0, f);", "tile[q * NC + 1u] = vec4<f32>(h, hh, 0.0, 0.0);"},
		3: {"tile[q * NC + 0u] = vec4<f32>(2.0 * yc0, 2.0 * yc1, 2.0 * yc2, f);", "tile[q * NC + 1u] = vec4<f32>(h, hh, 0.0, 0.0);"},
	} {
		src, err := SoftMinMid(d, o)
		if err != nil {
			t.Fatal(err)
		}
		fast := src[strings.Index(src, "let sh0 = href - m0;"):]
		fast = fast[:strings.Index(fast, "    } else {\n")]
		want = append(want, "s0 = fma(e0.w, p, s0);")
		for _, w := range want {
			if !strings.Contains(src, w) {
				t.Errorf("SoftMinMid(d=%d, factored): no %q", d, w)
			}
		}
		if strings.Contains(fast, "e1") || !strings.Contains(fast, "let e0 = tile[(q + 1u) * NC + 0u];") {
			t.Errorf("SoftMinMid(d=%d, factored): the fast sweep reads the second vec4, or not two columns an iteration:\n%s", d, fast)
		}
	}
	for _, c := range []struct{ d, dv int }{{4, 0}, {3, 3}} {
		src, err := SoftMeanMid(c.d, max(c.dv, 1), o)
		if c.dv == 0 {
			src, err = SoftMinMid(c.d, o)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(src, ", f);") {
			t.Errorf("d=%d dv=%d: F_j moved beside the coordinates", c.d, c.dv)
		}
	}
}

// TestSmallUnroll checks SmallOptions.Unroll in SoftMinSmall and
// SoftMeanSmall: copy u of the sweep reads column q + u of the tile (and
// of the values), and the last columns run one at a time.
func TestSmallUnroll(t *testing.T) {
	o := SmallOptions{Form: Lazy, Sample: 16, Unroll: 3}
	min3, err := SoftMinSmall(3, 4, 128, 256, o)
	if err != nil {
		t.Fatal(err)
	}
	mean3, err := SoftMeanSmall(3, 3, 4, 128, 128, o)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		src  string
		want []string
	}{
		"SoftMinSmall":  {min3, []string{"for (; q + 2u < cnt; q += 3u) {", "let e = tile[(q + 2u)];", "for (; q < cnt; q++) {\n      let e = tile[q];"}},
		"SoftMeanSmall": {mean3, []string{"let e = tc[(q + 2u)];", "let w = tv[(q + 2u)];", "let w = tv[q];"}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.src, w) {
				t.Errorf("%s(Unroll 3): no %q", name, w)
			}
		}
		if strings.Contains(c.src, "(q + 3u)") {
			t.Errorf("%s(Unroll 3) reads a fourth column", name)
		}
	}
	if _, err := SoftMinSmall(2, 4, 128, 256, SmallOptions{Unroll: 9}); err == nil {
		t.Error("SoftMinSmall accepted Unroll 9")
	}
}

// TestPairsMidFactorBelow: the soft-mean that stages F_j V_j factors
// columns down to FactorBelowValues (60) below the tile's reference, the
// soft-min and the soft-mean of V = Y from the coordinates down to
// FactorBelow (120); see FactorBelowValues.
func TestPairsMidFactorBelow(t *testing.T) {
	o := MidOptions{R: 2, WG: 64, Tile: 64, Factor: true}
	staged, err := SoftMeanMid(8, 8, o)
	if err != nil {
		t.Fatal(err)
	}
	packed, err := SoftMeanMid(2, 2, MidOptions{R: 2, WG: 64, Tile: 64, Factor: true, Pack: true})
	if err != nil {
		t.Fatal(err)
	}
	min8, err := SoftMinMid(8, o)
	if err != nil {
		t.Fatal(err)
	}
	o.ValuesAreY = true
	fromY, err := SoftMeanMid(8, 8, o)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		src  string
		want int
	}{"staged": {staged, FactorBelowValues}, "packed": {packed, FactorBelowValues}, "soft-min": {min8, FactorBelow}, "V = Y": {fromY, FactorBelow}} {
		if w := fmt.Sprintf("const FACTOR_BELOW: f32 = %d.0;", c.want); !strings.Contains(c.src, w) {
			t.Errorf("%s: no %q", name, w)
		}
	}
}
