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
// (which redo the special rows themselves on hardware: inline), and
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
			for i := range wantF {
				if !sameSpecial(gotF[i], wantF[i], 1e-4, 1+math.Abs(wantF[i])) {
					t.Errorf("%s: soft-min f[%d] = %g, want %g", name, i, gotF[i], wantF[i])
					break
				}
			}
			for i := range wantM {
				if !sameSpecial(gotM[i], wantM[i], 1e-3, 1) {
					t.Errorf("%s: soft-mean [%d] = %g, want %g", name, i, gotM[i], wantM[i])
					break
				}
			}
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
