package conformance

import (
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestHighDim runs the d = 16 to 192 soft-min checks alone, on the CPU
// reference backend and on the GPU (lavapipe in CI: softmin_hd.wgsl at
// its default threshold, and the per-pair kernel with it turned off).
func TestHighDim(t *testing.T) {
	run := func(t *testing.T, b compute.Backend) {
		rs := highDimChecks(b, Options{Quick: testing.Short()})
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
	t.Run("gpu", func(t *testing.T) { run(t, gputest.Backend(t)) })
	t.Run("gpu-per-pair", func(t *testing.T) {
		b := gputest.Raw(t)
		old := b.HDMinDim
		b.HDMinDim = 0
		defer func() { b.HDMinDim = old }()
		run(t, b)
	})
}
