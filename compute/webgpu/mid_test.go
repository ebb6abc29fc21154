package webgpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestMidKernels runs the mid-dimension soft-min and soft-mean
// (pairs_mid.wgsl, the default for 4 <= d <= 16) against the float64 CPU
// backend at the conformance tolerances (see TestSmallForms), at d = 4, 7,
// 8 and 16 with V = Y and at d = 6 with dv = 13 values (four value vec4s,
// the last one partly padding). N = 130 and M = 600 or 900 are multiples
// of neither the rows of a workgroup nor the tiles (at most 256 columns),
// so the last row block and the last tile of each column range are
// ragged. Each case runs with two rows an invocation, factored, with the
// column range split across workgroups (TargetGroups 64: two splits on
// lavapipe, merged by softmin_combine.wgsl / softmean_combine.wgsl) and
// whole (TargetGroups 1); at d = 8 and 16 also in the default shape
// (the soft-mean of V = Y: four rows at d = 8, six at 16), split; at d = 8
// whole with 8 rows an invocation for the soft-min, 1 for the soft-mean,
// the first maxima over 16 columns only, unfactored, and split,
// unfactored, with the values staged (compute/conformance checks the
// defaults at d = 5, 8 and 16). Where V = Y the soft-mean gets Y's own
// array, so that it runs from the staged coordinates
// (shaders.MidOptions.ValuesAreY) except in that last shape.
//
// The potentials are g_j = slope eps j. At eps = 0.05 and M = 600 (as in
// TestSmallForms; with more columns g/eps reaches 5000 log2 units and
// float32's rounding of H_j alone exceeds the soft-mean's tolerance):
// zero; rising (slope 4: a later tile of every range lies hundreds of nats
// above the first tile's maximum, so the Lazy sum overflows and must be
// summed again); falling (later tiles underflow). There the costs alone
// span up to 460 log2 units within a tile, so most tiles take the general
// (unfactored) sum. At eps = 4 and M = 900 the costs span at most 5.8
// log2 units and the slopes +-0.1386 move g by 0.2 log2 units a column
// (51 a tile): every column is factored, and with the whole range in one
// split the fourth tile (columns 768..899) rises 147 to 174 log2 units
// above the first 32 columns' maximum, past float32's 2^128, so a
// factored tile must be summed again (without the Lazy retry the sum is
// +Inf).
func TestMidKernels(t *testing.T) {
	be := gputest.Raw(t)
	savedT, savedS, savedShape := be.TargetGroups, be.SoftMinTargetGroups, be.MidShape()
	defer func() {
		be.TargetGroups, be.SoftMinTargetGroups = savedT, savedS
		be.SetMidShape(savedShape)
	}()
	cpu := compute.NewCPU(0)
	const n = 130
	for _, c := range []struct{ d, dv int }{{4, 4}, {7, 7}, {8, 8}, {16, 16}, {6, 13}} {
		x := uniforms(uint64(30+c.d), n*c.d)
		yAll := uniforms(uint64(40+c.d), 900*c.d)
		vAll := yAll
		if c.dv != c.d {
			vAll = uniforms(uint64(50+c.d), 900*c.dv)
		}
		for _, pot := range []struct {
			m          int
			eps, slope float64
		}{{600, 0.05, 0}, {600, 0.05, 4}, {600, 0.05, -4}, {900, 4, 0}, {900, 4, 0.1386}, {900, 4, -0.1386}} {
			m, eps, slope := pot.m, pot.eps, pot.slope
			y, v := yAll[:m*c.d], vAll[:m*c.dv]
			maxV := maxAbs(v)
			g := make([]float64, m)
			for j := range g {
				g[j] = slope * eps * float64(j)
			}
			wantF, wantM := pairsRun(t, cpu, x, y, g, v, n, m, c.d, c.dv, eps)
			maxC := float64(c.d)
			// Two rows an invocation, except at d = 8, where the default
			// shape runs too (lavapipe compiles each shape in about a
			// second; compute/conformance checks the defaults at d = 5, 8
			// and 16).
			small := webgpu.MidShape{R: 2, MeanR: 2, Factor: 2}
			for _, run := range []struct {
				groups int
				shape  webgpu.MidShape
			}{{64, small}, {1, small}, {64, webgpu.MidShape{}}, {1, webgpu.MidShape{R: 8, MeanR: 1, FirstMax: 16, Factor: 1}},
				{64, webgpu.MidShape{Factor: 1, ValuesY: 1}}} {
				if run.shape.R != 2 && c.d != 8 && !(run.shape == webgpu.MidShape{} && c.d == 16) {
					continue
				}
				be.TargetGroups, be.SoftMinTargetGroups = run.groups, run.groups
				be.SetMidShape(run.shape)
				name := fmt.Sprintf("d=%d dv=%d eps=%g g_j=%g eps j, target groups %d, %+v", c.d, c.dv, eps, slope, run.groups, run.shape)
				gotF, gotM := pairsRun(t, be, x, y, g, v, n, m, c.d, c.dv, eps)
				checkPairs(t, name, gotF, gotM, wantF, wantM, maxC, maxV, eps)
			}
		}
	}
}

// checkPairs compares a soft-min and a soft-mean with the float64 CPU's
// at the conformance tolerances (see TestSmallForms): the soft-min to 3e-6
// of max|f| + max C + eps, the soft-mean to min(2e-3, 1e-4 + 1e-7 max C /
// eps) of max|V|.
func checkPairs(t *testing.T, name string, gotF, gotM, wantF, wantM []float64, maxC, maxV, eps float64) {
	t.Helper()
	scale := maxAbs(wantF) + maxC + eps
	for i := range wantF {
		if e := math.Abs(gotF[i]-wantF[i]) / scale; !(e <= 3e-6) {
			t.Errorf("%s: soft-min row %d = %.8g, want %.8g (error %.2g of scale)", name, i, gotF[i], wantF[i], e)
			break
		}
	}
	tol := min(2e-3, 1e-4+1e-7*maxC/eps) * maxV
	for i := range wantM {
		if e := math.Abs(gotM[i] - wantM[i]); !(e <= tol) {
			t.Errorf("%s: soft-mean entry %d = %.8g, want %.8g", name, i, gotM[i], wantM[i])
			break
		}
	}
}

// TestMidSmallMean runs pairs_mid.wgsl as the soft-mean below
// shaders.MidMinDim (the default at d = 2, MidShape.MeanMin for the
// others: the factored form with the values staged and packed, two vec4s
// a column at d = dv = 2) and the sweep of several columns an iteration
// (MidShape.Unroll, shaders.MidOptions.Unroll) against the float64
// CPU at TestMidKernels's tolerances, with its potentials (flat, rising
// past the Lazy limit, falling; eps = 0.05, where most tiles take the
// general sum, and eps = 4, where every tile is factored and one must be
// summed again). M = 601 and 899 are odd and 899 is 2 mod 3, so that the
// unrolled sweeps end on columns taken one at a time. Cases: d = 2 with
// V = Y (Y's own array: staged anyway below MidMinDim, and from the
// coordinates with ValuesY on) in the default shape (two columns an
// iteration), one column and two rows, three columns and eight rows,
// d = 2 with one other value column, d = 3 with V = Y, d = 1 with 4
// values; the soft-min of d = 1, 2, 3 on pairs_mid.wgsl too
// (MidShape.SoftMinMin; at d = 2, 3 F_j beside 2y'_j, the fast sweep
// reading one vec4 a column), at d = 3 also with four rows and three
// columns an iteration; each with the column range split (TargetGroups 64) and whole;
// and at d = 8 (soft-min and soft-mean) four columns an iteration and one.
func TestMidSmallMean(t *testing.T) {
	be := gputest.Raw(t)
	savedT, savedS, savedM, savedShape := be.TargetGroups, be.SoftMinTargetGroups, be.SoftMeanTargetGroups, be.MidShape()
	defer func() {
		be.TargetGroups, be.SoftMinTargetGroups, be.SoftMeanTargetGroups = savedT, savedS, savedM
		be.SetMidShape(savedShape)
	}()
	cpu := compute.NewCPU(0)
	const n = 130
	for _, c := range []struct {
		d, dv  int
		shapes []webgpu.MidShape
	}{
		{2, 2, []webgpu.MidShape{{}, {MeanR: 2, Unroll: 1}, {MeanR: 8, Unroll: 3}, {MeanMin: 2, ValuesY: 2}, {SoftMinMin: 2}}},
		{2, 1, []webgpu.MidShape{{MeanMin: 2}}},
		{3, 3, []webgpu.MidShape{{MeanMin: 2, SoftMinMin: 2}, {SoftMinMin: 3, R: 4, Unroll: 3}}},
		{1, 4, []webgpu.MidShape{{MeanMin: 1, SoftMinMin: 1}}},
		{8, 8, []webgpu.MidShape{{Unroll: 4, MeanR: 2}, {Unroll: 1, MeanR: 2}}},
	} {
		x := uniforms(uint64(30+c.d), n*c.d)
		yAll := uniforms(uint64(40+c.d), 899*c.d)
		vAll := yAll
		if c.dv != c.d {
			vAll = uniforms(uint64(50+c.d), 899*c.dv)
		}
		for _, pot := range []struct {
			m          int
			eps, slope float64
		}{{601, 0.05, 0}, {601, 0.05, 4}, {601, 0.05, -4}, {899, 4, 0}, {899, 4, 0.1386}, {899, 4, -0.1386}} {
			m, eps, slope := pot.m, pot.eps, pot.slope
			y, v := yAll[:m*c.d], vAll[:m*c.dv]
			g := make([]float64, m)
			for j := range g {
				g[j] = slope * eps * float64(j)
			}
			wantF, wantM := pairsRun(t, cpu, x, y, g, v, n, m, c.d, c.dv, eps)
			for _, shape := range c.shapes {
				for _, groups := range []int{64, 1} {
					be.TargetGroups, be.SoftMinTargetGroups, be.SoftMeanTargetGroups = groups, groups, groups
					be.SetMidShape(shape)
					name := fmt.Sprintf("d=%d dv=%d eps=%g g_j=%g eps j, target groups %d, %+v", c.d, c.dv, eps, slope, groups, shape)
					gotF, gotM := pairsRun(t, be, x, y, g, v, n, m, c.d, c.dv, eps)
					checkPairs(t, name, gotF, gotM, wantF, wantM, float64(c.d), maxAbs(v), eps)
				}
			}
		}
	}
}

// uniforms returns n numbers uniform in [0, 1) from stream seed.
func uniforms(seed uint64, n int) []float64 {
	u := make([]float64, n)
	for i := range u {
		u[i] = compute.UniformAt(seed, uint64(i))
	}
	return u
}

// pairsRun returns the soft-min f_i and the soft-mean of v (dv columns) on be.
func pairsRun(t *testing.T, be compute.Backend, x, y, g, v []float64, n, m, d, dv int, eps float64) (f, mean []float64) {
	t.Helper()
	return pairsRunW(t, be, x, y, nil, g, v, n, m, d, dv, eps)
}

// pairsRunW is pairsRun with column log-weights lw (nil: none).
func pairsRunW(t *testing.T, be compute.Backend, x, y, lw, g, v []float64, n, m, d, dv int, eps float64) (f, mean []float64) {
	t.Helper()
	xa, _ := be.Upload(x)
	ya, _ := be.Upload(y)
	ga, _ := be.Upload(g)
	va := ya // V = Y: the same array, as the entropic map passes it
	if len(v) != len(y) || len(v) > 0 && &v[0] != &y[0] {
		va, _ = be.Upload(v)
		defer be.Free(va)
	}
	fa, _ := be.Alloc(n)
	ma, _ := be.Alloc(n * dv)
	var wa compute.Array
	if lw != nil {
		wa, _ = be.Upload(lw)
		defer be.Free(wa)
	}
	defer func() {
		be.Free(xa)
		be.Free(ya)
		be.Free(ga)
		be.Free(fa)
		be.Free(ma)
	}()
	p := compute.Pairs{X: xa, Y: ya, N: n, M: m, D: d, LogW: wa, G: ga, Eps: eps}
	if err := be.SoftMin(fa, p); err != nil {
		t.Fatal(err)
	}
	if err := be.SoftMean(ma, p, va, dv); err != nil {
		t.Fatal(err)
	}
	f, mean = make([]float64, n), make([]float64, n*dv)
	if err := be.Read(f, fa); err != nil {
		t.Fatal(err)
	}
	if err := be.Read(mean, ma); err != nil {
		t.Fatal(err)
	}
	return f, mean
}

// TestLongColumnRange runs the Lazy kernels (softmin_small.wgsl and
// softmean_small.wgsl at d = 2 and 3, pairs_mid.wgsl at d = 8) and the
// generic per-pair ones (softmean.wgsl where the values are not Y: d = 2
// with dv = 8, past softmean_small.wgsl's 4 values, and d = 4 with dv =
// 17, past pairs_mid.wgsl's 16 and below the high-d soft-mean's d = 5, both
// by default; softmin.wgsl and softmean.wgsl with Backend.NoUnroll at d =
// 2 and 3) over one long column range: M = 140,000 columns with the whole
// range in one split (TargetGroups 1), the last 100 columns' potential 40
// eps above the rest so that they dominate every row. llvmpipe ends a
// shader's loops after 65,535 iterations (nested loops counted together),
// so without the software adapter's cut of the range (underLoopLimit) the
// kernels stop early and miss those columns (the soft-min off by 6.7 to
// 6.8; softmean.wgsl, which never split its range, off by 0.02 to 0.04).
// Tolerances as in TestMidKernels.
func TestLongColumnRange(t *testing.T) {
	be := gputest.Raw(t)
	savedT, savedS, savedM, savedU := be.TargetGroups, be.SoftMinTargetGroups, be.SoftMeanTargetGroups, be.NoUnroll
	defer func() {
		be.TargetGroups, be.SoftMinTargetGroups, be.SoftMeanTargetGroups, be.NoUnroll = savedT, savedS, savedM, savedU
	}()
	be.TargetGroups, be.SoftMinTargetGroups, be.SoftMeanTargetGroups = 1, 1, 1
	cpu := compute.NewCPU(0)
	const n, m, eps = 65, 140000, 0.2
	for _, c := range []struct {
		d, dv    int
		noUnroll bool
	}{{2, 2, false}, {3, 3, false}, {8, 8, false}, {2, 8, false}, {4, 17, false}, {2, 2, true}, {3, 5, true}} {
		d, dv := c.d, c.dv
		be.NoUnroll = c.noUnroll
		x := uniforms(uint64(70+d), n*d)
		y := uniforms(uint64(80+d), m*d)
		v := y
		if dv != d || c.noUnroll {
			v = uniforms(uint64(90+d), m*dv)
		}
		g := make([]float64, m)
		for j := m - 100; j < m; j++ {
			g[j] = 40 * eps
		}
		wantF, wantM := pairsRun(t, cpu, x, y, g, v, n, m, d, dv, eps)
		gotF, gotM := pairsRun(t, be, x, y, g, v, n, m, d, dv, eps)
		scale := maxAbs(wantF) + float64(d) + eps
		for i := range wantF {
			if e := math.Abs(gotF[i]-wantF[i]) / scale; !(e <= 3e-6) {
				t.Errorf("%+v: soft-min row %d = %.8g, want %.8g (error %.2g of scale)", c, i, gotF[i], wantF[i], e)
				break
			}
		}
		tol := min(2e-3, 1e-4+1e-7*float64(d)/eps)
		for i := range wantM {
			if e := math.Abs(gotM[i] - wantM[i]); !(e <= tol) {
				t.Errorf("%+v: soft-mean entry %d = %.8g, want %.8g", c, i, gotM[i], wantM[i])
				break
			}
		}
	}
}

// TestMidValuesYAliases runs pairs_mid.wgsl's soft-mean where the values
// array is Y's own (shaders.MidOptions.ValuesAreY, the values taken from
// the staged coordinates; compute.ValidateSoftMean wants V to hold M*dv
// words and Y M*d, so Y as V always has dv = d), then again after Y was
// rewritten in place (nothing of the old Y may survive in a cache), with
// the values staged from a copy of Y in between. Against the float64 CPU
// backend, tolerances as in TestMidKernels.
func TestMidValuesYAliases(t *testing.T) {
	be := gputest.Raw(t)
	cpu := compute.NewCPU(0)
	const n, m, d, eps = 130, 600, 8, 0.5
	x := uniforms(61, n*d)
	ya, err := be.Upload(uniforms(62, m*d))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Free(ya)
	xg, _ := be.Upload(x)
	defer be.Free(xg)
	for _, c := range []struct {
		copyY, rewrite bool
	}{{false, false}, {true, false}, {false, true}} {
		y := uniforms(62, m*d)
		if c.rewrite {
			y = uniforms(63, m*d)
			if err := be.Write(ya, y); err != nil {
				t.Fatal(err)
			}
		}
		v := ya
		if c.copyY {
			v, _ = be.Upload(y)
			defer be.Free(v)
		}
		got := make([]float64, n*d)
		dst, _ := be.Alloc(n * d)
		if err := be.SoftMean(dst, compute.Pairs{X: xg, Y: ya, N: n, M: m, D: d, Eps: eps}, v, d); err != nil {
			t.Fatal(err)
		}
		if err := be.Read(got, dst); err != nil {
			t.Fatal(err)
		}
		be.Free(dst)
		xc, _ := cpu.Upload(x)
		yc, _ := cpu.Upload(y)
		wc, _ := cpu.Alloc(n * d)
		if err := cpu.SoftMean(wc, compute.Pairs{X: xc, Y: yc, N: n, M: m, D: d, Eps: eps}, yc, d); err != nil {
			t.Fatal(err)
		}
		want := make([]float64, n*d)
		cpu.Read(want, wc)
		tol := min(2e-3, 1e-4+1e-7*d/eps)
		for i := range want {
			if e := math.Abs(got[i] - want[i]); !(e <= tol) {
				t.Errorf("%+v: soft-mean entry %d = %.8g, want %.8g", c, i, got[i], want[i])
				break
			}
		}
	}
}

// TestMidZeroWeights runs pairs_mid.wgsl (d = 8, V = Y and dv = 5
// values; and d = 3, its soft-min's default since the margin2 call, with
// F_j beside 2y'_j, and its soft-mean of V = Y moved there by MeanMin)
// where columns weigh nothing: log-weights -Inf for the first 40
// columns (all of the first maxima's 32 and more) and for 300..339,
// potentials -Inf for 100..139, so the Lazy form starts from no maximum
// and the factored form's reference column (a tile's first) is -Inf in
// some tiles; and over M = 20 columns (a first tile shorter than the first
// maxima's 32), the first 5 weightless. Split (TargetGroups 64) and whole,
// in the default shape and unfactored with the values staged. Against the
// float64 CPU backend, tolerances as in TestMidKernels.
func TestMidZeroWeights(t *testing.T) {
	be := gputest.Raw(t)
	savedT, savedS, savedShape := be.TargetGroups, be.SoftMinTargetGroups, be.MidShape()
	defer func() {
		be.TargetGroups, be.SoftMinTargetGroups = savedT, savedS
		be.SetMidShape(savedShape)
	}()
	cpu := compute.NewCPU(0)
	const n, eps = 130, 0.5
	inf := math.Inf(-1)
	for _, c := range []struct{ d, m int }{{8, 600}, {8, 20}, {3, 600}, {3, 20}} {
		d, m := c.d, c.m
		x, y := uniforms(111, n*d), uniforms(112, m*d)
		lw, g := make([]float64, m), make([]float64, m)
		for j := range m {
			switch {
			case m == 20 && j < 5, m > 20 && (j < 40 || j >= 300 && j < 340):
				lw[j] = inf
			case m > 20 && j >= 100 && j < 140:
				g[j] = inf
			}
		}
		for _, dv := range []int{d, 5} {
			v := y
			if dv != d {
				v = uniforms(113, m*dv)
			}
			wantF, wantM := pairsRunW(t, cpu, x, y, lw, g, v, n, m, d, dv, eps)
			for _, run := range []struct {
				groups int
				shape  webgpu.MidShape
			}{{64, webgpu.MidShape{MeanMin: 3}}, {1, webgpu.MidShape{MeanMin: 3}}, {64, webgpu.MidShape{Factor: 1, ValuesY: 1, MeanMin: 3}}} {
				be.TargetGroups, be.SoftMinTargetGroups = run.groups, run.groups
				be.SetMidShape(run.shape)
				gotF, gotM := pairsRunW(t, be, x, y, lw, g, v, n, m, d, dv, eps)
				name := fmt.Sprintf("d=%d m=%d dv=%d, target groups %d, %+v", d, m, dv, run.groups, run.shape)
				scale := maxAbs(wantF) + float64(d) + eps
				for i := range wantF {
					if e := math.Abs(gotF[i]-wantF[i]) / scale; !(e <= 3e-6) {
						t.Errorf("%s: soft-min row %d = %.8g, want %.8g (error %.2g of scale)", name, i, gotF[i], wantF[i], e)
						break
					}
				}
				for i := range wantM {
					if e := math.Abs(gotM[i] - wantM[i]); !(e <= min(2e-3, 1e-4+1e-7*float64(d)/eps)) {
						t.Errorf("%s: soft-mean entry %d = %.8g, want %.8g", name, i, gotM[i], wantM[i])
						break
					}
				}
			}
		}
	}
}

// TestMidStagedSmallValues: the factored soft-mean with its values staged
// as F_j V_j (pairs_mid.wgsl at d = 2, packed, and from d = 7; the values
// apart from Y, or Y itself where midValuesY stages it) keeps float32's
// relative accuracy for values of any scale. The columns: y_0 and y_1 =
// y_0 + (L, 0, ...) with L^2 log2(e) / eps = 119.5, so that H_1 - H_0 =
// -119.5 log2 units (within the former FactorBelow, 120: F_1 = 2^-119.5),
// and the row at y_1, where column 1 outweighs column 0 by 2^119.5. With
// values of scale 1e-6, F_1 V_1 (about 1e-43) was subnormal: lavapipe kept
// 16 to 250 units of 2^-149 of it, an error of up to 1.1% of V_1 (4.6 times
// the tolerance, min(2e-3, 1e-4 + 1e-7 max C / eps) of max |V|), and a GPU
// that flushes subnormals (WGSL allows it) loses V_1 altogether, for values
// up to 2^-126 / F_1 = 2^-6.5 in magnitude. Tolerances as in TestMidKernels.
func TestMidStagedSmallValues(t *testing.T) {
	be := gputest.Raw(t)
	cpu := compute.NewCPU(0)
	const eps = 1.0
	l := math.Sqrt(119.5 * eps / math.Log2E)
	for _, d := range []int{2, 8} {
		x := make([]float64, d) // the row, at y_1
		y := make([]float64, 2*d)
		y[0] = -l // y_0; y_1 at the origin
		v := []float64{1e-6, 1e-6, -3.3e-7, 4.4e-8}
		wantF, wantM := pairsRun(t, cpu, x, y, make([]float64, 2), v, 1, 2, d, 2, eps)
		gotF, gotM := pairsRun(t, be, x, y, make([]float64, 2), v, 1, 2, d, 2, eps)
		checkPairs(t, fmt.Sprintf("d=%d dv=2, values of scale 1e-6", d), gotF, gotM, wantF, wantM, l*l, maxAbs(v), eps)
	}
}
