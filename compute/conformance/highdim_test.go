package conformance

import (
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestHighDim runs the d = 16 to 192 soft-min and soft-mean checks alone,
// on the CPU reference backend and on the GPU (lavapipe in CI): the
// default kernel choice (pairs_mid.wgsl at d = 5, 8 and 16), and with the
// mid kernels off softmin_hd2.wgsl and softmean_hd2.wgsl at every d in
// seven shapes, softmin_hd.wgsl and softmean_hd.wgsl at every d, and
// the per-pair kernels alone (softmean.wgsl lost columns on lavapipe at
// d >= 64, m = 1030, until it split its column range there:
// genericLoopsPerColumn in compute/webgpu).
func TestHighDim(t *testing.T) {
	run := func(t *testing.T, b compute.Backend, quick bool) {
		var rs []Result
		for _, c := range highDimChecks(b, Options{Quick: quick || testing.Short()}) {
			r, start := c.Result, time.Now()
			c.run(&r)
			rs = append(rs, finish(r, start))
		}
		worst, worstCase := 0.0, ""
		for _, r := range rs {
			if r.MaxErr > worst {
				worst, worstCase = r.MaxErr, r.Op+" "+r.Case
			}
			if !r.Pass {
				t.Errorf("%s", r)
			}
		}
		if len(rs) == 0 {
			t.Fatal("no checks ran")
		}
		t.Logf("%d checks on %s, %d failed, largest error %.2e (%s)", len(rs), b.Info().Device, Failed(rs), worst, worstCase)
	}
	t.Run("cpu", func(t *testing.T) { run(t, compute.NewCPU(0), false) })
	gpuWith := func(minDim, rb int, quick bool) func(t *testing.T) {
		return func(t *testing.T) {
			b := gputest.Raw(t)
			oldMin, oldRB, oldMean := b.HDMinDim, b.HDRB, b.SoftMeanHDMinDim
			oldMid := b.MidShape()
			b.HDMinDim, b.HDRB, b.SoftMeanHDMinDim = minDim, rb, minDim
			b.SetMidShape(webgpu.MidShape{SoftMinMax: -1, SoftMeanMax: -1}) // pairs_mid.wgsl runs in gpu-default
			defer func() {
				b.HDMinDim, b.HDRB, b.SoftMeanHDMinDim = oldMin, oldRB, oldMean
				b.SetMidShape(oldMid)
			}()
			run(t, b, quick)
		}
	}
	// The vec4-tiled kernels (softmin_hd2.wgsl, softmean_hd2.wgsl) in shapes
	// that cover both register blocks, the chunk lengths and the prefetch
	// on the quick list of dimensions (d = 16: one chunk staged once; 192:
	// twelve chunks). gpu-default runs the default shapes on the full list,
	// the mid-d ones (5, 8) included.
	gpuShape := func(s webgpu.HDShape, quick bool) func(t *testing.T) {
		return func(t *testing.T) {
			b := gputest.Raw(t)
			old := b.HDShape()
			b.SetHDShape(s)
			defer b.SetHDShape(old)
			gpuWith(1, 0, quick)(t)
		}
	}
	t.Run("gpu-default", func(t *testing.T) { run(t, gputest.Backend(t), false) })
	t.Run("gpu-tiled2-8x8", gpuShape(webgpu.HDShape{Kernel: 2, MeanKernel: 2, RM: 8, RN: 8, KC: 16, Prefetch: 1, Unroll: 1}, true))
	t.Run("gpu-tiled2-8x4-kc8-pf", gpuShape(webgpu.HDShape{Kernel: 2, MeanKernel: 2, RM: 8, RN: 4, KC: 8, Prefetch: 2, Unroll: 1}, true))
	t.Run("gpu-tiled2-4x8-kc32-pf", gpuShape(webgpu.HDShape{Kernel: 2, MeanKernel: 2, RM: 4, RN: 8, KC: 32, Prefetch: 2, Unroll: 1}, true))
	t.Run("gpu-tiled2-8x8-db", gpuShape(webgpu.HDShape{Kernel: 2, MeanKernel: 2, RM: 8, RN: 8, KC: 16, Prefetch: 3, Unroll: 1}, true))
	// The unrolled k steps (and the soft-mean's unrolled P.V steps); the
	// soft-mean's 8-row blocks with loops; the soft-min's 16 x 8 and 8 x 16
	// blocks and the soft-mean's 8-row ones at n = 300 (testHDWideBlocks).
	// Each new shape's kernels cost lavapipe 5-30 s to compile on this
	// 2-core machine the first time (Mesa's shader cache keeps them).
	t.Run("gpu-tiled2-8x8-unroll", gpuShape(webgpu.HDShape{Kernel: 2, MeanKernel: 2, RM: 8, RN: 8, KC: 16, Prefetch: 1, Unroll: 2}, true))
	t.Run("gpu-tiled2-mean8-loop-kc8", gpuShape(webgpu.HDShape{Kernel: 2, MeanKernel: 2, MeanRM: 8, Unroll: 1, KC: 8, Prefetch: 1}, true))
	t.Run("gpu-tiled2-16-rows", testHDWideBlocks)
	t.Run("gpu-tiled", gpuShape(webgpu.HDShape{Kernel: 1, MeanKernel: 1}, false))
	t.Run("gpu-per-pair", gpuWith(0, 0, false))
}

// testHDWideBlocks runs softmin_hd2.wgsl's 16 x 8 and 8 x 16 blocks (256
// rows or columns a workgroup) and softmean_hd2.wgsl's 8-row blocks (128
// rows) where every row quarter of a block and every column quarter of a
// 256-column tile holds real points (n = 300, m = 1030 split across
// workgroups), which highDimSizes (n <= 65) leaves to the padding, at
// d = 16 (one chunk staged once), 64 (four chunks) and 192, unrolled or
// not, double-buffered where lavapipe's 32 KiB of workgroup memory holds
// it; the soft-mean with dv = d, dv = 24 at d = 64 (j-groups) and 130 at
// d = 192 (three value chunks, the last partial); the soft-min's tile exps
// on the FMA units (HDShape.Poly), splits of one tile (MinTiles) and the
// soft-mean's wide merge (MeanCombine).
// Tolerances as in highDimChecks.
func testHDWideBlocks(t *testing.T) {
	b := gputest.Raw(t)
	oldMin, oldMeanMin, oldShape, oldMid := b.HDMinDim, b.SoftMeanHDMinDim, b.HDShape(), b.MidShape()
	b.HDMinDim, b.SoftMeanHDMinDim = 1, 1
	b.SetMidShape(webgpu.MidShape{SoftMinMax: -1, SoftMeanMax: -1}) // d = 16 takes softmin_hd2.wgsl
	defer func() {
		b.HDMinDim, b.SoftMeanHDMinDim = oldMin, oldMeanMin
		b.SetHDShape(oldShape)
		b.SetMidShape(oldMid)
	}()
	const eps = 1.0
	for _, c := range []struct {
		d     int
		dvs   []int
		shape webgpu.HDShape
	}{
		{16, []int{16}, webgpu.HDShape{RM: 16, RN: 8, Prefetch: 3, Unroll: 2, MeanRM: 8}},
		{64, []int{64, 24}, webgpu.HDShape{RM: 16, RN: 8, Prefetch: 1, Unroll: 2, MeanRM: 8, MeanCombine: 1}},
		{192, []int{130}, webgpu.HDShape{RM: 16, RN: 8, Prefetch: 2, Unroll: 1, MeanRM: 8}},
		{64, nil, webgpu.HDShape{RM: 8, RN: 16, Prefetch: 2, KC: 8, Unroll: 1}},
		{64, nil, webgpu.HDShape{RM: 8, RN: 8, Prefetch: 3, Unroll: 2}},
		// Every second row's (every row's) tile exps by exp2_fma, and one
		// tile a column split.
		{64, []int{64}, webgpu.HDShape{RM: 16, RN: 8, Unroll: 2, MeanRM: 8, Poly: 2, MinTiles: 1}},
		{64, nil, webgpu.HDShape{RM: 8, RN: 8, Unroll: 2, Poly: 1}},
		// The soft-mean's splits merged by softmean_combine_wide.wgsl (the
		// default; MeanCombine 1 above: one invocation a row), dv = 22: the
		// last group of 4 value columns holds 2.
		{64, []int{64, 22}, webgpu.HDShape{RM: 16, RN: 8, Unroll: 2, MeanRM: 8, MinTiles: 1, MeanCombine: 2}},
	} {
		b.SetHDShape(c.shape)
		for _, shift := range []float64{0, 20} {
			p := lazyShiftedPair(300, 1030, c.d, uint64(7*c.d), shift)()
			got, err := runSoftMin(b, p, eps)
			if err != nil {
				t.Fatalf("d=%d %+v: %v", c.d, c.shape, err)
			}
			want := p.refSoftMin(eps)
			if e, tol := maxErr(got, want)/(maxAbs(want)+p.maxC+eps), softMinTol(b); !(e <= tol) {
				t.Errorf("SoftMin(d=%d, n=300, m=1030, shift=%g) in %+v: relative error %.2e, want <= %.0e", c.d, shift, c.shape, e, tol)
			}
			for _, dv := range c.dvs {
				got, err := runSoftMeanCols(b, p, eps, dv)
				if err != nil {
					t.Fatalf("d=%d dv=%d %+v: %v", c.d, dv, c.shape, err)
				}
				want := p.refSoftMeanCols(eps, dv)
				if e, tol := maxErr(got, want)/maxAbs(p.y), min(2e-3, 1e-4+1e-7*p.maxC/eps); !(e <= tol) {
					t.Errorf("SoftMean(d=%d, dv=%d, n=300, m=1030, shift=%g) in %+v: relative error %.2e, want <= %.1e", c.d, dv, shift, c.shape, e, tol)
				}
			}
		}
	}
}
