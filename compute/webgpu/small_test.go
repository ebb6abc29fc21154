package webgpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/shaders"
)

// TestSmallForms runs the unrolled d <= 3 soft-min and soft-mean
// (softmin_small.wgsl and softmean_small.wgsl at every d, their defaults'
// pairs_mid.wgsl at d = 3 and 2 set aside: TestMidSmallMean) in every
// form (two-pass, online, lazy; lazy with its starting maxima sampled from
// the first 1 or 16 columns) with and without the polynomial exp2
// (every row, every second or third row), and with two or three columns a
// sweep iteration (SmallOptions.Unroll; three leaves one and two columns
// to the tail loop of the 256- and 44-column tiles) against the float64 CPU backend, at the
// conformance tolerances (soft-min: 3e-6 of max|f| + max C + eps;
// soft-mean: min(2e-3, 1e-4 + 1e-7 max C / eps) of max|V|). N = 130, M =
// 600: two 256-column tiles in each of the two column splits lavapipe
// gets (TargetGroups 64). Three potentials g:
// zero; rising by 4 eps a column, so that the second tile of each split
// (its last 44 columns) rises at least 176 - 60 nats (the costs span at
// most d/eps = 60) above the first tile's maximum and the lazy form must
// sum it again (without the retry its sum overflows to +Inf); falling the
// same way (the first tile holds the maximum, later tiles underflow).
func TestSmallForms(t *testing.T) {
	be := gputest.Raw(t)
	saved, savedMeanUnroll, savedMid := be.Small, be.SoftMeanUnroll, be.MidShape()
	defer func() { be.Small, be.SoftMeanUnroll = saved, savedMeanUnroll; be.SetMidShape(savedMid) }()
	be.SoftMeanUnroll = 0 // the soft-mean follows be.Small.Unroll
	// The d = 3 soft-min and the d = 2 soft-mean on softmin_small.wgsl and
	// softmean_small.wgsl too (their default is pairs_mid.wgsl, which
	// OTPLAY_SOFTMIN_MID_MIN and OTPLAY_SOFTMEAN_MID_MIN move).
	be.SetMidShape(webgpu.MidShape{SoftMinMin: shaders.MidMinDim, MeanMin: shaders.MidMinDim})
	cpu := compute.NewCPU(0)
	const n, m, eps = 130, 600, 0.05
	for d := 1; d <= 3; d++ {
		x := make([]float64, n*d)
		y := make([]float64, m*d)
		for i := range x {
			x[i] = compute.UniformAt(uint64(10+d), uint64(i))
		}
		for i := range y {
			y[i] = compute.UniformAt(uint64(20+d), uint64(i))
		}
		for _, gname := range []string{"zero", "rising", "falling"} {
			g := make([]float64, m)
			for j := range g {
				switch gname {
				case "rising":
					g[j] = 4 * eps * float64(j)
				case "falling":
					g[j] = -4 * eps * float64(j)
				}
			}
			wantF, wantM := smallRun(t, cpu, x, y, g, n, m, d, eps)
			maxC := float64(d)
			for _, o := range []shaders.SmallOptions{{Form: shaders.TwoPass}, {Form: shaders.OnePass}, {Form: shaders.Lazy},
				{Form: shaders.Lazy, PolyEvery: 1}, {Form: shaders.TwoPass, PolyEvery: 3}, {Form: shaders.OnePass, PolyEvery: 2},
				{Form: shaders.Lazy, Sample: 1}, {Form: shaders.Lazy, Sample: 16},
				{Form: shaders.Lazy, Sample: 16, Unroll: 2}, {Form: shaders.Lazy, Unroll: 3},
				{Form: shaders.TwoPass, Unroll: 3}, {Form: shaders.OnePass, Unroll: 2}} {
				be.Small = o
				name := fmt.Sprintf("d=%d g=%s %v", d, gname, be.Small)
				gotF, gotM := smallRun(t, be, x, y, g, n, m, d, eps)
				scale := maxAbs(wantF) + maxC + eps
				for i := range wantF {
					if e := math.Abs(gotF[i]-wantF[i]) / scale; !(e <= 3e-6) {
						t.Errorf("%s: soft-min row %d = %.8g, want %.8g (error %.2g of scale)", name, i, gotF[i], wantF[i], e)
						break
					}
				}
				tol := min(2e-3, 1e-4+1e-7*maxC/eps)
				for i := range wantM {
					if e := math.Abs(gotM[i] - wantM[i]); !(e <= tol) {
						t.Errorf("%s: soft-mean entry %d = %.8g, want %.8g", name, i, gotM[i], wantM[i])
						break
					}
				}
			}
		}
	}
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}

// smallRun returns the soft-min f_i and the soft-mean of V = Y on be.
func smallRun(t *testing.T, be compute.Backend, x, y, g []float64, n, m, d int, eps float64) (f, mean []float64) {
	t.Helper()
	return smallRunW(t, be, x, y, nil, g, n, m, d, eps)
}

// smallRunW is smallRun with column log-weights lw (nil: none).
func smallRunW(t *testing.T, be compute.Backend, x, y, lw, g []float64, n, m, d int, eps float64) (f, mean []float64) {
	t.Helper()
	return pairsRunW(t, be, x, y, lw, g, y, n, m, d, d, eps)
}

// TestSoftMinCombineWide merges many column splits (SplitMinCols 16: 36
// splits of M = 600 columns, against two by default on lavapipe) with one
// invocation a row (softmin_combine.wgsl) and with 4 and 64 a row
// (softmin_combine_wide.wgsl; at 64 most lanes hold no split), and with
// CombineLanes 3 and 128, which take 2 and 64 (128 divided the
// workgroup's rows by zero; 3 left a partial row whose lane 0 read past
// the workgroup's partials and wrote the next workgroup's first row), for the
// Lazy form with sampled maxima, against the float64 CPU backend at the
// soft-min's conformance tolerance (see TestSmallForms), with g = 0 (every
// split counts) and the rising potential (the splits' maxima differ by
// hundreds of nats).
func TestSoftMinCombineWide(t *testing.T) {
	be := gputest.Raw(t)
	saved, savedLanes, savedSplit, savedTarget := be.Small, be.CombineLanes, be.SplitMinCols, be.SoftMinTargetGroups
	defer func() {
		be.Small, be.CombineLanes, be.SplitMinCols, be.SoftMinTargetGroups = saved, savedLanes, savedSplit, savedTarget
	}()
	be.Small = shaders.SmallOptions{Form: shaders.Lazy, Sample: 16}
	be.SplitMinCols, be.SoftMinTargetGroups = 16, 1<<16
	cpu := compute.NewCPU(0)
	const n, m, d, eps = 130, 600, 2, 0.05
	x, y, g := make([]float64, n*d), make([]float64, m*d), make([]float64, m)
	for i := range x {
		x[i] = compute.UniformAt(31, uint64(i))
	}
	for i := range y {
		y[i] = compute.UniformAt(32, uint64(i))
	}
	for _, rise := range []float64{0, 4 * eps} {
		for j := range g {
			g[j] = rise * float64(j)
		}
		want, _ := smallRun(t, cpu, x, y, g, n, m, d, eps)
		scale := maxAbs(want) + d + eps
		for _, lanes := range []int{1, 4, 64, 3, 128} {
			be.CombineLanes = lanes
			got, _ := smallRun(t, be, x, y, g, n, m, d, eps)
			for i := range want {
				if e := math.Abs(got[i]-want[i]) / scale; !(e <= 3e-6) {
					t.Errorf("g rising %g a column, lanes %d: soft-min row %d = %.8g, want %.8g (error %.2g of scale)", rise, lanes, i, got[i], want[i], e)
					break
				}
			}
		}
	}
}

// TestSmallSampleZeroWeights: the Lazy form's starting maxima come from
// the first 16 columns (1 for the second run) of each split, and here the
// first 40 columns weigh nothing (log-weight -Inf), so those maxima are
// -Inf and the first tile of each split must be summed again against its
// own maximum; checked against the float64 CPU backend as in TestSmallForms.
func TestSmallSampleZeroWeights(t *testing.T) {
	be := gputest.Raw(t)
	saved := be.Small
	defer func() { be.Small = saved }()
	cpu := compute.NewCPU(0)
	const n, m, d, eps = 70, 600, 2, 0.05
	x, y, g, lw := make([]float64, n*d), make([]float64, m*d), make([]float64, m), make([]float64, m)
	for i := range x {
		x[i] = compute.UniformAt(41, uint64(i))
	}
	for i := range y {
		y[i] = compute.UniformAt(42, uint64(i))
	}
	for j := range lw {
		lw[j] = -math.Log(m - 40)
		if j < 40 || (j >= 300 && j < 340) {
			lw[j] = math.Inf(-1)
		}
	}
	wantF, wantM := smallRunW(t, cpu, x, y, lw, g, n, m, d, eps)
	scale := maxAbs(wantF) + d + eps
	for _, sample := range []int{16, 1} {
		be.Small = shaders.SmallOptions{Form: shaders.Lazy, Sample: sample}
		gotF, gotM := smallRunW(t, be, x, y, lw, g, n, m, d, eps)
		for i := range wantF {
			if e := math.Abs(gotF[i]-wantF[i]) / scale; !(e <= 3e-6) {
				t.Errorf("sample %d: soft-min row %d = %.8g, want %.8g (error %.2g of scale)", sample, i, gotF[i], wantF[i], e)
				break
			}
		}
		for i := range wantM {
			if e := math.Abs(gotM[i] - wantM[i]); !(e <= min(2e-3, 1e-4+1e-7*d/eps)) {
				t.Errorf("sample %d: soft-mean entry %d = %.8g, want %.8g", sample, i, gotM[i], wantM[i])
				break
			}
		}
	}
}
