package conformance

import (
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestHighDim runs the d = 16 to 192 soft-min and soft-mean checks alone,
// on the CPU reference backend and on the GPU (lavapipe in CI): the
// default kernel choice, softmin_hd.wgsl and softmean_hd.wgsl at every d
// (the soft-min with the 4 x 4 and 8 x 8 register blocks), and the
// per-pair kernels alone.
func TestHighDim(t *testing.T) {
	run := func(t *testing.T, b compute.Backend) {
		var rs []Result
		for _, c := range highDimChecks(b, Options{Quick: testing.Short()}) {
			r, start := c.Result, time.Now()
			c.run(&r)
			rs = append(rs, finish(r, start))
		}
		worst := 0.0
		for _, r := range rs {
			worst = max(worst, r.MaxErr)
			if !r.Pass {
				t.Errorf("%s", r)
			}
		}
		if len(rs) == 0 {
			t.Fatal("no checks ran")
		}
		t.Logf("%d checks on %s, %d failed, largest error %.2e", len(rs), b.Info().Device, Failed(rs), worst)
	}
	t.Run("cpu", func(t *testing.T) { run(t, compute.NewCPU(0)) })
	gpuWith := func(minDim, rb int) func(t *testing.T) {
		return func(t *testing.T) {
			b := gputest.Raw(t)
			oldMin, oldRB, oldMean := b.HDMinDim, b.HDRB, b.SoftMeanHDMinDim
			b.HDMinDim, b.HDRB, b.SoftMeanHDMinDim = minDim, rb, minDim
			defer func() { b.HDMinDim, b.HDRB, b.SoftMeanHDMinDim = oldMin, oldRB, oldMean }()
			run(t, b)
		}
	}
	t.Run("gpu-default", func(t *testing.T) { run(t, gputest.Backend(t)) })
	t.Run("gpu-tiled", gpuWith(1, 0))
	t.Run("gpu-tiled-rb8", gpuWith(1, 8))
	t.Run("gpu-per-pair", gpuWith(0, 0))
}
