package shaders

import (
	"fmt"
	"strings"
	"testing"
)

func TestEveryKernelExpands(t *testing.T) {
	consts := map[string]int{"D": 2, "DV": 2, "R": 2, "WG": 64, "TILE": 128, "TILEF": 128 * 5, "EXPAND": 1, "MODE": 0,
		"RB": 4, "KC": 16, "REDF": 2048, "LANES": 4}
	for _, n := range Names() {
		if strings.HasSuffix(n, "_small") || strings.HasSuffix(n, "_mid") || strings.HasPrefix(n, "softmin_hd") && n != "softmin_hd_bias" && n != "softmin_hd_prep" || strings.HasPrefix(n, "softmean_hd") {
			continue // generated: see TestSoftMinSmall, TestPairsMid, TestSoftMinHD, TestSoftMeanHD, TestSoftMinHD2, TestSoftMeanHD2
		}
		src, err := Source(n, consts)
		if err != nil {
			t.Errorf("Source(%q): %v", n, err)
			continue
		}
		if strings.Contains(src, "{{") || strings.Contains(src, "//#include") {
			t.Errorf("Source(%q) left a placeholder or include", n)
		}
		if !strings.Contains(src, "fn main") {
			t.Errorf("Source(%q) has no entry point", n)
		}
	}
}

func TestSoftMinSmall(t *testing.T) {
	for d := 1; d <= 3; d++ {
		for _, form := range []SmallForm{OnePass, TwoPass, Lazy} {
			o := SmallOptions{Form: form, PolyEvery: 2}
			src, err := SoftMinSmall(d, 4, 64, 256, o)
			if err != nil {
				t.Fatal(err)
			}
			row3, row4 := "let v3 =", "let v4 ="
			if form != OnePass {
				row3, row4 = "var tm3 =", "var tm4 ="
			}
			if strings.Contains(src, "{{") || !strings.Contains(src, row3) || strings.Contains(src, row4) {
				t.Errorf("SoftMinSmall(d=%d, r=4, %v) did not unroll four rows", d, o)
			}
			// PolyEvery 2: rows 1 and 3 on the FMA units, rows 0 and 2 on exp2.
			fma1, exp2, fma2 := "exp2_fma(fma(x1_", "exp2(fma(x2_", "exp2_fma(fma(x2_"
			if form == OnePass {
				fma1, exp2, fma2 = "exp2_fma(v1 - m1)", "exp2(v2 - m2)", "exp2_fma(v2 - m2)"
			}
			if !strings.Contains(src, fma1) || !strings.Contains(src, exp2) || strings.Contains(src, fma2) {
				t.Errorf("SoftMinSmall(d=%d, %v) did not alternate exp2 and exp2_fma by row", d, o)
			}
			// Lazy: the tile check and its retry for every row.
			if lazy := strings.Contains(src, "if (!(s3 < LAZY_LIMIT))") && strings.Contains(src, "let sp3 = s3;"); lazy != (form == Lazy) {
				t.Errorf("SoftMinSmall(d=%d, %v): lazy check present = %v", d, o, lazy)
			}
		}
	}
	// Sample: the starting maxima over the first 16 columns, once; the
	// per-tile sums still run over the whole tile.
	src, err := SoftMinSmall(2, 4, 64, 256, SmallOptions{Form: Lazy, Sample: 16})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(src, "q < min(cnt, 16u);") != 1 || !strings.Contains(src, "if (!(s3 < LAZY_LIMIT))") {
		t.Error("SoftMinSmall(Lazy, Sample 16) does not sample the first 16 columns once, or lost the tile check")
	}
	if _, err := SoftMinSmall(4, 1, 64, 256, SmallOptions{}); err == nil {
		t.Error("SoftMinSmall accepted d = 4")
	}
}

func TestSourceErrors(t *testing.T) {
	if _, err := Source("nope", nil); err == nil {
		t.Error("Source accepted an unknown kernel")
	}
	if _, err := Source("softmin", map[string]int{"D": 2}); err == nil {
		t.Error("Source left placeholders without values and returned no error")
	}
}

func TestSoftMeanSmall(t *testing.T) {
	src, err := SoftMeanSmall(2, 2, 3, 64, 128, SmallOptions{Form: Lazy})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(src, "{{") || !strings.Contains(src, "dst[i2 * DV + 1u]") || strings.Contains(src, "dst[i2 * DV + 2u]") {
		t.Error("SoftMeanSmall(d=2, dv=2, r=3) did not unroll three rows of two values")
	}
	if !strings.Contains(src, "acc2_1 = ap2_1;") || strings.Contains(src, "acc2_2") {
		t.Error("SoftMeanSmall(Lazy, dv=2) does not restore both accumulators of a retried tile, or keeps a third")
	}
	if _, err := SoftMeanSmall(2, 5, 1, 64, 128, SmallOptions{}); err == nil {
		t.Error("SoftMeanSmall accepted dv = 5")
	}
}

func TestSoftMinHD(t *testing.T) {
	for _, rb := range []int{1, 4, 8} {
		src, err := SoftMinHD(192, rb, 16)
		if err != nil {
			t.Fatalf("SoftMinHD(192, %d, 16): %v", rb, err)
		}
		if strings.Contains(src, "{{") || !strings.Contains(src, "fn main") {
			t.Errorf("rb=%d: placeholder left or no entry point", rb)
		}
		last := fmt.Sprintf("c%d_%d = fma(a%d, b%d", rb-1, rb-1, rb-1, rb-1)
		if !strings.Contains(src, last) {
			t.Errorf("rb=%d: no %q in the unrolled inner product", rb, last)
		}
	}
	for _, bad := range [][3]int{{0, 4, 16}, {64, 0, 16}, {64, 9, 16}, {64, 4, 0}} {
		if _, err := SoftMinHD(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("SoftMinHD%v: no error", bad)
		}
	}
}

func TestSoftMeanHD(t *testing.T) {
	for _, dv := range []int{1, 5, 32, 40, 192} {
		src, err := SoftMeanHD(64, dv)
		if err != nil {
			t.Fatalf("SoftMeanHD(64, %d): %v", dv, err)
		}
		if strings.Contains(src, "{{") || !strings.Contains(src, "fn main") {
			t.Errorf("dv=%d: placeholder left or no entry point", dv)
		}
		// One accumulator per 4 value columns, rounded up to 32-column chunks.
		last := (dv + 31) / 32 * 8
		if !strings.Contains(src, fmt.Sprintf("var a%d = 0.0;", last-1)) || strings.Contains(src, fmt.Sprintf("var a%d = 0.0;", last)) {
			t.Errorf("dv=%d: want accumulators a0..a%d", dv, last-1)
		}
	}
	for _, bad := range [][2]int{{0, 4}, {64, 0}, {64, 257}} {
		if _, err := SoftMeanHD(bad[0], bad[1]); err == nil {
			t.Errorf("SoftMeanHD%v: no error", bad)
		}
	}
}

// TestSoftMinEndsWithLSEOut: every soft-min kernel that writes a
// soft-min (not only partial pairs) finishes through inc_lse.wgsl's
// lse_out, which makes a row with no weight +Inf: a raw
// outk * (m + log2 s) gave a finite row in Chromium's SwiftShader, whose
// log2(0) is finite (TestValidatePageWebGPU's "logw=-Inf everywhere").
func TestSoftMinEndsWithLSEOut(t *testing.T) {
	consts := map[string]int{"D": 2, "R": 2, "WG": 64, "TILE": 128, "TILEF": 128 * 3, "EXPAND": 1, "LANES": 4, "MODE": 0}
	srcs := map[string]string{}
	for _, n := range []string{"softmin", "softmin_cost", "softmin_combine", "softmin_combine_wide"} {
		src, err := Source(n, consts)
		if err != nil {
			t.Fatalf("Source(%q): %v", n, err)
		}
		srcs[n] = src
	}
	for d := 1; d <= 3; d++ {
		src, err := SoftMinSmall(d, 4, 64, 256, SmallOptions{Form: Lazy})
		if err != nil {
			t.Fatal(err)
		}
		srcs[fmt.Sprintf("softmin_small d=%d", d)] = src
	}
	for _, d := range []int{2, 3, 8, 16} {
		src, err := SoftMinMid(d, MidOptions{R: 4, WG: 64, Tile: 256, Factor: true, Unroll: 2})
		if err != nil {
			t.Fatalf("SoftMinMid(%d): %v", d, err)
		}
		srcs[fmt.Sprintf("softmin_mid d=%d", d)] = src
	}
	for _, d := range []int{17, 64} {
		src, err := SoftMinHD2(d, 8, 8, 16, 1, true, 0)
		if err != nil {
			t.Fatalf("SoftMinHD2(%d): %v", d, err)
		}
		srcs[fmt.Sprintf("softmin_hd2 d=%d", d)] = src
		if src, err = SoftMinHD(d, 8, 16); err != nil {
			t.Fatalf("SoftMinHD(%d): %v", d, err)
		}
		srcs[fmt.Sprintf("softmin_hd d=%d", d)] = src
	}
	for name, src := range srcs {
		if !strings.Contains(src, "lse_out(P.outk,") || strings.Contains(src, "P.outk * (") {
			t.Errorf("%s: the soft-min does not finish through lse_out", name)
		}
	}
}
