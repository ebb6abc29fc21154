package webgpu_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// BenchmarkSoftMinHighDim times the squared-Euclidean soft-min at d = 16 to
// 192 (N = M = 1e3, and 1e4 with OTPLAY_BENCH_LARGE=1; points uniform in
// [0, 1]^d, eps = 0.05 d / 2, as bench/gpu/run.sh) with the tiled kernel
// (softmin_hd.wgsl, 4 x 4 and 8 x 8 register blocks) and the per-pair
// kernel (softmin.wgsl), waiting for the GPU in each iteration. The
// README's figures come from bench/gpu/run.sh on an H100, not from here.
func BenchmarkSoftMinHighDim(b *testing.B) {
	sizes := []int{1000}
	if os.Getenv("OTPLAY_BENCH_LARGE") == "1" {
		sizes = append(sizes, 10000)
	}
	variants := []struct {
		name        string
		minDim, rbk int
	}{{"tiled", 1, 0}, {"tiled-rb8", 1, 8}, {"per-pair", 0, 0}}
	for _, d := range []int{16, 64, 192} {
		for _, n := range sizes {
			for _, v := range variants {
				b.Run(fmt.Sprintf("%s/d=%d/n=%d", v.name, d, n), func(b *testing.B) {
					be := gputest.Raw(b)
					oldMin, oldRB := be.HDMinDim, be.HDRB
					be.HDMinDim, be.HDRB = v.minDim, v.rbk
					defer func() { be.HDMinDim, be.HDRB = oldMin, oldRB }()
					x, _ := be.Alloc(n * d)
					y, _ := be.Alloc(n * d)
					out, _ := be.Alloc(n)
					defer be.Free(x)
					defer be.Free(y)
					defer be.Free(out)
					if err := be.Uniform(x, 1, 0); err != nil {
						b.Fatal(err)
					}
					if err := be.Uniform(y, 2, 0); err != nil {
						b.Fatal(err)
					}
					p := compute.Pairs{X: x, Y: y, N: n, M: n, D: d, Eps: 0.05 * float64(d) / 2}
					run := func() {
						if err := be.SoftMin(out, p); err != nil {
							b.Fatal(err)
						}
						if err := be.Wait(); err != nil {
							b.Fatal(err)
						}
					}
					run()
					b.ResetTimer()
					for range b.N {
						run()
					}
					b.ReportMetric(float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
				})
			}
		}
	}
}
