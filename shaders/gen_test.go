package shaders

import (
	"strings"
	"testing"
)

func TestEveryKernelExpands(t *testing.T) {
	consts := map[string]int{"D": 2, "DV": 2, "R": 2, "WG": 64, "TILE": 128, "TILEF": 128 * 5, "EXPAND": 1, "MODE": 0}
	for _, n := range Names() {
		if strings.HasSuffix(n, "_small") {
			continue // generated: see TestSoftMinSmall
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
		for _, two := range []bool{false, true} {
			src, err := SoftMinSmall(d, 4, 64, 256, two)
			if err != nil {
				t.Fatal(err)
			}
			row3, row4 := "let v3 =", "let v4 ="
			if two {
				row3, row4 = "var tm3 =", "var tm4 ="
			}
			if strings.Contains(src, "{{") || !strings.Contains(src, row3) || strings.Contains(src, row4) {
				t.Errorf("SoftMinSmall(d=%d, r=4, twoPass=%v) did not unroll four rows", d, two)
			}
		}
	}
	if _, err := SoftMinSmall(4, 1, 64, 256, false); err == nil {
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
	src, err := SoftMeanSmall(2, 2, 3, 64, 128, true)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(src, "{{") || !strings.Contains(src, "dst[i2 * DV + 1u]") || strings.Contains(src, "dst[i2 * DV + 2u]") {
		t.Error("SoftMeanSmall(d=2, dv=2, r=3) did not unroll three rows of two values")
	}
	if _, err := SoftMeanSmall(2, 5, 1, 64, 128, false); err == nil {
		t.Error("SoftMeanSmall accepted dv = 5")
	}
}
