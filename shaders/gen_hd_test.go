package shaders

import (
	"strconv"
	"strings"
	"testing"
)

// TestSoftMinHD2 checks the generated softmin_hd2.wgsl: every placeholder
// filled, RM x RN/4 vec4 fused multiply-adds per k step, the prefetch
// registers only with a prefetch, one barrier a chunk when double
// buffered, and X staged once when one chunk holds every coordinate.
// (TestHighDim in compute/conformance runs the kernels.)
func TestSoftMinHD2(t *testing.T) {
	for _, c := range []struct {
		d, rm, rn, kc, pf int
		unroll            bool
	}{{64, 8, 8, 16, 0, false}, {192, 8, 4, 16, 1, false}, {5, 4, 8, 8, 1, false}, {3, 4, 4, 32, 0, false}, {64, 8, 8, 16, 2, false}, {8, 8, 8, 16, 2, false},
		{64, 8, 8, 16, 0, true}, {192, 8, 4, 16, 1, true}, {64, 16, 8, 16, 0, false}, {64, 8, 16, 16, 2, true}} {
		src, err := SoftMinHD2(c.d, c.rm, c.rn, c.kc, c.pf, c.unroll)
		if err != nil {
			t.Fatalf("SoftMinHD2(%+v): %v", c, err)
		}
		if strings.Contains(src, "{{") || strings.Contains(src, "//#include") {
			t.Errorf("SoftMinHD2(%+v) left a placeholder or include", c)
		}
		steps := 1 // k steps written out: KC unrolled, else one loop body
		if c.unroll {
			steps, _ = HDChunk(c.d, c.kc)
		}
		if got, want := strings.Count(src, "= fma(vec4<f32>(a"), steps*c.rm*c.rn/4; got != want {
			t.Errorf("SoftMinHD2(%+v): %d vec4 FMAs in the k steps, want %d", c, got, want)
		}
		if loop := strings.Contains(src, "for (var kk"); loop == c.unroll {
			t.Errorf("SoftMinHD2(%+v): k loop %v, want %v", c, loop, !c.unroll)
		}
		if got := strings.Contains(src, "var py0"); got != (c.pf > 0) {
			t.Errorf("SoftMinHD2(%+v): prefetch registers %v, want %v", c, got, c.pf > 0)
		}
		loop := src[strings.Index(src, "for (var kc = 0u"):strings.Index(src, "let h0 =")]
		if got, want := strings.Count(loop, "workgroupBarrier()"), 2-c.pf/2; got != want {
			t.Errorf("SoftMinHD2(%+v): %d barriers a chunk, want %d", c, got, want)
		}
		chunk, dp := HDChunk(c.d, c.kc)
		if once := !strings.Contains(src, "XT[xo"); once != (dp == chunk) {
			t.Errorf("SoftMinHD2(%+v): X staged once = %v, want %v (KC %d, DP %d)", c, once, dp == chunk, chunk, dp)
		}
	}
	for _, bad := range [][3]int{{0, 8, 8}, {64, 6, 8}, {64, 8, 2}, {64, 16, 16}, {64, 32, 4}} {
		if _, err := SoftMinHD2(bad[0], bad[1], bad[2], 16, 0, false); err == nil {
			t.Errorf("SoftMinHD2(d=%d, rm=%d, rn=%d) gave no error", bad[0], bad[1], bad[2])
		}
	}
}

// TestSoftMeanHD2 checks the generated softmean_hd2.wgsl's value-column
// layout: 16 column vec4s (64-column chunks) from dv = 33, fewer below
// with the j-groups' shares gathered at the end.
func TestSoftMeanHD2(t *testing.T) {
	for _, c := range []struct{ dv, cg, chunks int }{{3, 1, 1}, {5, 2, 1}, {16, 4, 1}, {24, 8, 1}, {32, 8, 1}, {40, 16, 1}, {64, 16, 1}, {192, 16, 3}} {
		src, err := SoftMeanHD2(64, c.dv, 4, 16, true, false)
		if err != nil {
			t.Fatalf("SoftMeanHD2(dv=%d): %v", c.dv, err)
		}
		if strings.Contains(src, "{{") || strings.Contains(src, "//#include") {
			t.Errorf("SoftMeanHD2(dv=%d) left a placeholder or include", c.dv)
		}
		if !strings.Contains(src, "const CG: u32 = "+strconv.Itoa(c.cg)+"u;") {
			t.Errorf("SoftMeanHD2(dv=%d): want CG = %d", c.dv, c.cg)
		}
		if got := strings.Count(src, "    for (var j4 = jg"); got != c.chunks {
			t.Errorf("SoftMeanHD2(dv=%d): %d value chunks, want %d", c.dv, got, c.chunks)
		}
		if gathered := strings.Contains(src, "if (tx < CG) {"); gathered != (c.cg < 16) {
			t.Errorf("SoftMeanHD2(dv=%d): gathers j-groups = %v, want %v", c.dv, gathered, c.cg < 16)
		}
	}
	// Unrolled: no k or j4 loop, KC k steps and CG j4 steps a value chunk.
	for _, c := range []struct{ d, dv, cg, chunks int }{{64, 64, 16, 1}, {16, 5, 2, 1}, {192, 192, 16, 3}} {
		src, err := SoftMeanHD2(c.d, c.dv, 4, 16, true, true)
		if err != nil {
			t.Fatalf("SoftMeanHD2(d=%d, dv=%d, unrolled): %v", c.d, c.dv, err)
		}
		if strings.Contains(src, "for (var kk") || strings.Contains(src, "for (var j4") {
			t.Errorf("SoftMeanHD2(d=%d, dv=%d, unrolled) kept a k or j4 loop", c.d, c.dv)
		}
		kc, _ := HDChunk(c.d, 16)
		if got, want := strings.Count(src, "= fma(vec4<f32>(a"), kc*4; got != want {
			t.Errorf("SoftMeanHD2(d=%d, dv=%d, unrolled): %d cost FMAs, want %d", c.d, c.dv, got, want)
		}
		if got, want := strings.Count(src, "let j4 = jg"), c.cg*c.chunks; got != want {
			t.Errorf("SoftMeanHD2(d=%d, dv=%d, unrolled): %d j4 steps, want %d", c.d, c.dv, got, want)
		}
	}
	// 8 rows an invocation: a 128-row block, the P tile in two 32-column
	// halves written by their owners (tx < 8, then tx >= 8), and 8 x 4
	// cost FMAs a k step.
	for _, c := range []struct{ dv, chunks int }{{5, 1}, {64, 1}, {130, 3}} {
		src, err := SoftMeanHD2(64, c.dv, 8, 16, true, false)
		if err != nil {
			t.Fatalf("SoftMeanHD2(dv=%d, rm=8): %v", c.dv, err)
		}
		if !strings.Contains(src, "const BM: u32 = 128u;") {
			t.Errorf("SoftMeanHD2(dv=%d, rm=8): want BM = 128", c.dv)
		}
		for _, half := range []string{"if (tx >= 0u && tx < 8u) {", "if (tx >= 8u && tx < 16u) {"} {
			if got := strings.Count(src, half); got != 1 {
				t.Errorf("SoftMeanHD2(dv=%d, rm=8): %d writes of the P half %q, want 1", c.dv, got, half)
			}
		}
		if got, want := strings.Count(src, "    for (var j4 = jg"), 2*c.chunks; got != want {
			t.Errorf("SoftMeanHD2(dv=%d, rm=8): %d P.V loops, want %d", c.dv, got, want)
		}
		if got := strings.Count(src, "= fma(vec4<f32>(a"); got != 8 {
			t.Errorf("SoftMeanHD2(dv=%d, rm=8): %d cost FMAs a k step, want 8", c.dv, got)
		}
	}
	for _, bad := range [][2]int{{257, 4}, {4, 8}, {64, 16}} {
		if _, err := SoftMeanHD2(64, bad[0], bad[1], 16, false, false); err == nil {
			t.Errorf("SoftMeanHD2(dv=%d, rm=%d) gave no error", bad[0], bad[1])
		}
	}
}
