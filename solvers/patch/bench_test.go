package patch

import (
	"os"
	"strconv"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// benchOnly says whether to benchmark the backend name:
// OTPLAY_BENCH_BACKEND=cpu or gpu keeps one (both by default).
func benchOnly(name string) bool {
	only := os.Getenv("OTPLAY_BENCH_BACKEND")
	return only == "" || only == name
}

// BenchmarkColorTransfer640 is colour transfer of china.jpg (640 x 427)
// onto flower.jpg (640 x 427), end to end (conversion, transport, map of
// every pixel, back to RGB), with each method's defaults.
func BenchmarkColorTransfer640(b *testing.B) {
	src, tgt := loadPhoto(b, "china.jpg", 640), loadPhoto(b, "flower.jpg", 640)
	for _, be := range []string{"cpu", "gpu"} {
		if !benchOnly(be) {
			continue
		}
		for _, m := range []Method{Entropic, Sliced, Exact} {
			b.Run(be+"/"+string(m), func(b *testing.B) {
				backend := benchBackend(b, be)
				var res *ColorResult
				for b.Loop() {
					var err error
					if _, res, err = TransferColor(backend, src, tgt, ColorSettings{Method: m}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(res.SourcePoints), "src_points")
				b.ReportMetric(float64(res.Iterations), "iterations")
			})
		}
	}
}

// BenchmarkPatchOT640 is patch OT of china.jpg onto flower.jpg (640 x
// 427) with 8 x 8 patches at stride 4, end to end, default settings (3
// levels, at most OTPLAY_BENCH_MAX_PATCHES = 4096 patches per image in each
// plan, 64-D PCA costs).
func BenchmarkPatchOT640(b *testing.B) {
	src, tgt := loadPhoto(b, "china.jpg", 640), loadPhoto(b, "flower.jpg", 640)
	maxPatches := DefaultMaxPatches
	if v, err := strconv.Atoi(os.Getenv("OTPLAY_BENCH_MAX_PATCHES")); err == nil {
		maxPatches = v
	}
	for _, be := range []string{"cpu", "gpu"} {
		if !benchOnly(be) {
			continue
		}
		b.Run(be, func(b *testing.B) {
			backend := benchBackend(b, be)
			var res *Result
			for b.Loop() {
				var err error
				if _, res, err = Transfer(backend, src, tgt, Settings{Size: 8, Stride: 4, MaxPatches: maxPatches}); err != nil {
					b.Fatal(err)
				}
			}
			for _, l := range res.Levels {
				b.Logf("level %dx%d: %d/%d patches, plan %dx%d, dim %d (%.3f var), eps %.3g, %d iterations (converged %v), %v",
					l.Width, l.Height, l.SourcePatches, l.TargetPatches, l.PlanSource, l.PlanTarget, l.Dim, l.Explained, l.Eps, l.Iterations, l.Converged, l.Time)
			}
			b.ReportMetric(float64(res.SourcePatches), "src_patches")
		})
	}
}

func benchBackend(b *testing.B, name string) compute.Backend {
	if name == "gpu" {
		return gputest.Backend(b)
	}
	return compute.NewCPU(0)
}
