package ui

import (
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// BenchmarkDiffusionFrames plays a /diffusion run of 5000 particles on
// 500 points of 8gaussians (exact model, DPM-Solver++ 2M, 20 steps, the
// score field, trails) with no frame gap and reports the page's own
// per-frame cost without drawing: ms/step (sampler step with its
// readbacks) and ms/frame (step + field + MMD + figure building), and the
// frames per second this allows. Run on the GPU with
//
//	go test -run '^$' -bench 'DiffusionFrames/gpu' -benchtime 3x ./ui/
func BenchmarkDiffusionFrames(b *testing.B) {
	st := mustDecodeTestState(b, DiffusionSchema, "particles=5000&n=500&steps=20&trail=8")
	for _, name := range []string{"cpu", "gpu"} {
		b.Run(name, func(b *testing.B) {
			var be compute.Backend = compute.NewCPU(0)
			if name == "gpu" {
				be = gputest.Backend(b)
			}
			var steps, frames float64
			n := 0
			for b.Loop() {
				g := newStepGate()
				g.gap = 0
				g.play()
				var last DiffusionFrame
				runDiffusionOn(BackendStatus{Backend: be, Kind: name}, st, g, func(f DiffusionFrame) {
					if f.Step > 0 {
						steps += f.TimingsMS["step"]
						frames += f.TimingsMS["step"] + f.TimingsMS["frame"]
						n++
					}
					last = f
				}, nil)
				if last.Error != "" || !last.Finished {
					b.Fatal(last.Error)
				}
			}
			b.ReportMetric(steps/float64(n), "ms/step")
			b.ReportMetric(frames/float64(n), "ms/frame")
			b.ReportMetric(1000*float64(n)/frames, "frames/s")
		})
	}
}
