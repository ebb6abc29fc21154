package webgpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/conformance"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// sameSpecial reports whether got matches the reference want: the same
// kind where want is NaN or infinite, else within tol relative to scale.
func sameSpecial(got, want, tol, scale float64) bool {
	if math.IsNaN(want) || math.IsInf(want, 0) {
		return math.IsNaN(got) == math.IsNaN(want) && math.IsInf(got, 1) == math.IsInf(want, 1) && math.IsInf(got, -1) == math.IsInf(want, -1)
	}
	return math.Abs(got-want) <= tol*scale
}

// checkSpecial reports the first entry of got that does not match want
// (sameSpecial within tol relative to scale; scale 0: 1 + |want[i]|).
func checkSpecial(t *testing.T, name string, got, want []float64, tol, scale float64) {
	t.Helper()
	for i := range want {
		sc := scale
		if sc == 0 {
			sc = 1 + math.Abs(want[i])
		}
		if !sameSpecial(got[i], want[i], tol, sc) {
			t.Errorf("%s[%d] = %g, want %g", name, i, got[i], want[i])
			return
		}
	}
}

// TestSpecialValues: a +Inf column potential (one and three columns), a
// -Inf potential or log-weight, a NaN potential, log-weight, row or column
// coordinate, and infinite coordinates in a row or a column (y_0 too,
// about which the fast kernels centre) give on the GPU what cpuref gives
// (compute's TestInfinitePotential, TestNaNPotential,
// TestNonFinitePoints; the cases of conformance.SpecialCases): the soft-min -Inf for a +Inf potential and the
// soft-mean the mean of those columns' values, +Inf for a row at infinity,
// no weight for a column at infinity, NaN for NaN. Every route: d = 1..3
// (softmin_small.wgsl, softmean_small.wgsl), 8 (pairs_mid.wgsl), 32 and
// 64 (softmin_hd2.wgsl, softmean_hd2.wgsl), the generic per-pair kernels
// (NoUnroll; d = 2 with 8 values), the column range split in 16-column
// pieces and merged by softmin_combine.wgsl and softmin_combine_wide.wgsl
// (which redo the special rows themselves, inline, on hardware where a
// row's loop is short, as here, or with OTPLAY_EXACT_COLUMNS=0: the
// inline cases run in that form), and
// exact_rows.wgsl's columns in chunks of 7 (as on a software adapter at
// long ranges), with special_scan.wgsl (a software adapter's default) and
// without (hardware's). Without the redo (OTPLAY_EXACT_ROWS=0) the rows
// come back NaN.
func TestSpecialValues(t *testing.T) {
	be := gputest.Raw(t)
	savedT, savedS, savedM, savedU := be.TargetGroups, be.SoftMinTargetGroups, be.SoftMeanTargetGroups, be.NoUnroll
	savedSplit, savedLanes := be.SplitMinCols, be.CombineLanes
	defer func() {
		be.TargetGroups, be.SoftMinTargetGroups, be.SoftMeanTargetGroups, be.NoUnroll = savedT, savedS, savedM, savedU
		be.SplitMinCols, be.CombineLanes = savedSplit, savedLanes
		be.SetExactChunkCap(0)
		be.SetExactPaths(0, false)
		be.SetExactColumnsOff(false)
	}()
	ref := compute.NewCPURef(0)
	const n, m, eps = 40, 300, 0.3
	for _, c := range []struct {
		d, dv    int
		noUnroll bool
		split    int // SplitMinCols with 4096 target groups (0: the defaults)
		lanes    int // CombineLanes
		chunk    int // exact_rows.wgsl's columns a dispatch (0: all)
		scan     int // special_scan.wgsl: 1 on, -1 off (as on hardware), 0 the adapter's default
		inline   bool
	}{
		{1, 1, false, 0, 0, 0, 0, false}, {2, 2, false, 0, 0, 0, 0, false}, {3, 3, false, 0, 0, 0, 0, false},
		{8, 8, false, 0, 0, 0, 0, false}, {32, 32, false, 0, 0, 0, 0, false}, {64, 64, false, 0, 0, 0, 0, false},
		{2, 8, false, 0, 0, 0, 0, false}, {8, 3, false, 0, 0, 0, 0, false}, {2, 2, true, 0, 0, 0, 0, false},
		{3, 5, true, 0, 0, 0, 0, false}, {2, 2, false, 0, 0, 0, -1, false}, {64, 64, false, 0, 0, 0, -1, false},
		{3, 5, true, 0, 0, 0, -1, false}, {8, 3, false, 0, 0, 7, -1, false}, {8, 3, false, 0, 0, 7, 1, false},
		{2, 2, false, 16, 1, 0, -1, true}, {2, 2, false, 16, 4, 0, -1, true}, {8, 8, false, 16, 4, 0, -1, true},
		{2, 2, true, 16, 1, 0, -1, true}, {2, 2, false, 16, 4, 0, 0, false}, {2, 2, false, 16, 4, 7, 0, false},
	} {
		be.NoUnroll = c.noUnroll
		be.TargetGroups, be.SoftMinTargetGroups, be.SoftMeanTargetGroups, be.SplitMinCols = savedT, savedS, savedM, savedSplit
		if c.split > 0 {
			be.TargetGroups, be.SoftMinTargetGroups, be.SoftMeanTargetGroups, be.SplitMinCols = 4096, 4096, 4096, c.split
		}
		be.CombineLanes = c.lanes
		be.SetExactChunkCap(c.chunk)
		be.SetExactPaths(c.scan, c.inline)
		be.SetExactColumnsOff(c.inline) // the merges redo inline only in that form
		d, dv := c.d, c.dv
		for _, sc := range conformance.SpecialCases() {
			x, y := uniforms(uint64(1+d), n*d), uniforms(uint64(2+d), m*d)
			g, lw := uniforms(3, m), make([]float64, m)
			for j := range lw {
				lw[j] = -math.Log(m)
			}
			sc.Edit(x, y, lw, g, n, m, d)
			v := y
			if dv != d {
				v = uniforms(4, m*dv)
			}
			name := fmt.Sprintf("%+v %s", c, sc.Name)
			wantF, wantM := pairsRunW(t, ref, x, y, lw, g, v, n, m, d, dv, eps)
			gotF, gotM := pairsRunW(t, be, x, y, lw, g, v, n, m, d, dv, eps)
			checkSpecial(t, name+": soft-min f", gotF, wantF, 1e-4, 0)
			checkSpecial(t, name+": soft-mean", gotM, wantM, 1e-3, 1)
		}
	}
}

// TestCombineLoopLimit: the generic soft-mean (softmean.wgsl: d = 3 with
// 256 values, the most ValidateSoftMean takes, past softmean_small.wgsl's
// 4) on a software adapter cuts its column range into chunks of 115
// columns (underLoopLimit), and M = 29,100 columns make 254 of them,
// whose merge in softmean_combine.wgsl takes 258 x 254 + 256 = 65,788
// loop iterations a row: past llvmpipe's 65,535, so the last value
// columns came back unmerged (254 and 255 of each row; the smallest M
// that crosses: 29,096). The merge now takes softmean_combine_wide.wgsl
// there (2 x 254 iterations an invocation). Against the float64 CPU
// backend at TestLongColumnRange's soft-mean tolerance. On hardware the
// range is not cut and the test checks the same answer.
func TestCombineLoopLimit(t *testing.T) {
	be := gputest.Raw(t)
	cpu := compute.NewCPU(0)
	const n, m, d, dv, eps = 2, 29100, 3, 256, 0.2
	x, y, v := uniforms(91, n*d), uniforms(92, m*d), make([]float64, m*dv)
	for i := range v {
		v[i] = float64(i%997) / 997 // 7.4e6 values: cheaper than Philox draws
	}
	g := make([]float64, m)
	wantF, wantM := pairsRun(t, cpu, x, y, g, v, n, m, d, dv, eps)
	gotF, gotM := pairsRun(t, be, x, y, g, v, n, m, d, dv, eps)
	for i := range wantF {
		if e := math.Abs(gotF[i] - wantF[i]); !(e <= 1e-4*(1+math.Abs(wantF[i]))) {
			t.Errorf("soft-min row %d = %.8g, want %.8g", i, gotF[i], wantF[i])
		}
	}
	tol := min(2e-3, 1e-4+1e-7*float64(d)/eps)
	bad := 0
	for i := range wantM {
		if e := math.Abs(gotM[i] - wantM[i]); !(e <= tol) {
			if bad == 0 {
				t.Errorf("soft-mean entry %d (row %d, value %d) = %.8g, want %.8g", i, i/dv, i%dv, gotM[i], wantM[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d soft-mean entries wrong", bad, n*dv)
	}
}

// TestSpecialBlocks: special values that no single column shows. A NaN
// potential on a whole tile of columns (128 to 255) but not on the others:
// softmin_hd2.wgsl's tile maximum is then NaN (max drops a NaN only beside
// a number) and its `tm > NEG` test, meant for the padding columns, skipped
// the tile, so the row came back finite and exact_rows.wgsl, which redoes
// only rows that are not, left it (on hardware, where no special_scan.wgsl
// marks the call). A row with no weight at all (every log-weight -Inf):
// the soft-mean is the reference's 0 / 0 = NaN, but softmean_hd2.wgsl and
// softmean_hd.wgsl gave the padding columns past M (logit NEG, the row's
// running maximum then NEG too) weight 2^0 = 1 and returned the mean of
// their clamped values, finite, on every adapter (a -Inf log-weight is no
// special input to special_scan.wgsl). The high-d routes (d = 17, 64; d = 8
// with NoUnroll; softmean_hd.wgsl under a small workgroup-memory cap), one
// split and several, M = 1, with and without the scan, SoftMin, SoftMean
// and SoftMeanY against cpuref.
func TestSpecialBlocks(t *testing.T) {
	be := gputest.Raw(t)
	savedU := be.NoUnroll
	defer func() {
		be.NoUnroll = savedU
		be.SetHDSharedCap(0)
		be.SetExactPaths(0, false)
	}()
	ref := compute.NewCPURef(0)
	cases := []struct {
		name string
		edit func(lw, g []float64)
	}{
		{"g=NaN on columns 128..255", func(lw, g []float64) {
			for j := 128; j < min(256, len(g)); j++ {
				g[j] = math.NaN()
			}
		}},
		{"g=NaN on columns 0..127", func(lw, g []float64) {
			for j := 0; j < min(128, len(g)); j++ {
				g[j] = math.NaN()
			}
		}},
		{"g=NaN on the last column", func(lw, g []float64) { g[len(g)-1] = math.NaN() }},
		{"logw=-Inf everywhere", func(lw, g []float64) {
			for j := range lw {
				lw[j] = math.Inf(-1)
			}
		}},
	}
	const eps, c = 0.3, 1.5
	for _, r := range []struct {
		d        int
		noUnroll bool
		cap      uint32 // SetHDSharedCap (0: the device's)
	}{{17, false, 0}, {64, false, 0}, {8, true, 0}, {64, false, 16384}} {
		be.NoUnroll = r.noUnroll
		be.SetHDSharedCap(r.cap)
		for _, sz := range [][2]int{{40, 300}, {3, 700}, {5, 129}, {5, 1}} {
			n, m, d := sz[0], sz[1], r.d
			for _, scan := range []int{-1, 0} {
				be.SetExactPaths(scan, false)
				for _, sc := range cases {
					x, y, g := uniforms(uint64(1+d), n*d), uniforms(uint64(2+d), m*d), uniforms(3, m)
					lw := make([]float64, m)
					for j := range lw {
						lw[j] = -math.Log(float64(m))
					}
					sc.edit(lw, g)
					name := fmt.Sprintf("%+v n=%d m=%d scan=%d %s", r, n, m, scan, sc.name)
					wantF, wantM := pairsRunW(t, ref, x, y, lw, g, y, n, m, d, d, eps)
					gotF, gotM := pairsRunW(t, be, x, y, lw, g, y, n, m, d, d, eps)
					wantY, gotY := softMeanYRun(t, ref, x, y, lw, g, n, m, d, eps, c), softMeanYRun(t, be, x, y, lw, g, n, m, d, eps, c)
					checkSpecial(t, name+": soft-min f", gotF, wantF, 1e-4, 0)
					checkSpecial(t, name+": soft-mean", gotM, wantM, 1e-3, 1)
					checkSpecial(t, name+": SoftMeanY", gotY, wantY, 1e-3, c)
				}
			}
		}
	}
}

// softMeanYRun returns SoftMeanY(c) on be, the values c Y.
func softMeanYRun(t *testing.T, be compute.Backend, x, y, lw, g []float64, n, m, d int, eps, c float64) []float64 {
	t.Helper()
	var arrs []compute.Array
	up := func(v []float64) compute.Array {
		a, err := be.Upload(v)
		if err != nil {
			t.Fatal(err)
		}
		arrs = append(arrs, a)
		return a
	}
	p := compute.Pairs{X: up(x), Y: up(y), N: n, M: m, D: d, LogW: up(lw), G: up(g), Eps: eps}
	dst := up(make([]float64, n*d))
	defer func() {
		for _, a := range arrs {
			be.Free(a)
		}
	}()
	if err := be.SoftMeanY(dst, p, c); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, n*d)
	if err := be.Read(out, dst); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExactColumns: exact_rows.wgsl's column pass (by_columns) against
// cpuref where the special columns decide a row (a +Inf potential beside
// a column at infinity, every log-weight -Inf beside a +Inf potential)
// and where they must not: a value that is NaN in an ordinary column or
// huge in the +Inf one (the reference's 0 x NaN and its sum's order), a
// row at infinity beside a +Inf potential, a NaN row where no column has
// weight (its own coordinates, not the columns, make it NaN); with the scan (every row
// redone, a software adapter's default) and without (hardware's: only the
// rows the fast kernels left not finite). Each case fails if the column
// pass decides a row it must hand to the full loop, or decides it wrongly.
func TestExactColumns(t *testing.T) {
	be := gputest.Raw(t)
	defer be.SetExactPaths(0, false)
	ref := compute.NewCPURef(0)
	const n, m, eps = 70, 300, 0.3 // 70 rows: two workgroups, the second part-full
	cases := []struct {
		name string
		edit func(x, y, lw, g, v []float64, d, dv int)
	}{
		{"g=+Inf and y +Inf", func(x, y, lw, g, v []float64, d, dv int) { g[4], y[9*d] = math.Inf(1), math.Inf(1) }},
		{"g=+Inf at 4, 130, 299", func(x, y, lw, g, v []float64, d, dv int) {
			g[4], g[130], g[299] = math.Inf(1), math.Inf(1), math.Inf(1)
		}},
		{"logw=-Inf everywhere and g=+Inf", func(x, y, lw, g, v []float64, d, dv int) {
			for j := range lw {
				lw[j] = math.Inf(-1)
			}
			g[7] = math.Inf(1)
		}},
		{"g=+Inf and a NaN value elsewhere", func(x, y, lw, g, v []float64, d, dv int) { g[4], v[10*dv+dv-1] = math.Inf(1), math.NaN() }},
		{"g=+Inf and an infinite value elsewhere", func(x, y, lw, g, v []float64, d, dv int) { g[200], v[3*dv] = math.Inf(1), math.Inf(-1) }},
		{"g=+Inf with a huge value", func(x, y, lw, g, v []float64, d, dv int) { g[4], g[5], v[4*dv] = math.Inf(1), math.Inf(1), 3e35 }},
		{"g=+Inf and a row at infinity", func(x, y, lw, g, v []float64, d, dv int) { g[4], x[66*d] = math.Inf(1), math.Inf(-1) }},
		{"logw=-Inf everywhere and a NaN row", func(x, y, lw, g, v []float64, d, dv int) {
			for j := range lw {
				lw[j] = math.Inf(-1)
			}
			x[69*d+d-1] = math.NaN()
		}},
		{"g=3e37 (a bias bound past UBIG) and g=-Inf", func(x, y, lw, g, v []float64, d, dv int) { g[8], g[9] = 3e37, math.Inf(-1) }},
		{"g=NaN and a row at infinity", func(x, y, lw, g, v []float64, d, dv int) { g[100], x[3*d] = math.NaN(), math.Inf(1) }},
	}
	for _, scan := range []int{-1, 1} {
		be.SetExactPaths(scan, false)
		for _, dd := range [][2]int{{2, 3}, {8, 8}, {64, 2}} {
			d, dv := dd[0], dd[1]
			for _, c := range cases {
				x, y, v := uniforms(uint64(11+d), n*d), uniforms(uint64(12+d), m*d), uniforms(13, m*dv)
				g, lw := uniforms(14, m), make([]float64, m)
				for j := range lw {
					lw[j] = -math.Log(m)
				}
				c.edit(x, y, lw, g, v, d, dv)
				name := fmt.Sprintf("scan %d d=%d dv=%d %s", scan, d, dv, c.name)
				wantF, wantM := pairsRunW(t, ref, x, y, lw, g, v, n, m, d, dv, eps)
				gotF, gotM := pairsRunW(t, be, x, y, lw, g, v, n, m, d, dv, eps)
				checkSpecial(t, name+": soft-min f", gotF, wantF, 1e-4, 0)
				checkSpecial(t, name+": soft-mean", gotM, wantM, 1e-3, 0)
			}
		}
	}
}
