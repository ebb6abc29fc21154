package webgpu_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// BenchmarkHighDim times the squared-Euclidean soft-min and soft-mean
// (V = Y) at the dimensions of the README's high-d tables, d = 4 to 192
// (N = M = 1e3, and 1e4 with OTPLAY_BENCH_LARGE=1; points uniform in
// [0, 1]^d, eps = 0.05 d / 2, as bench/gpu/run.sh), with the shipped
// choice ("default": pairs_mid.wgsl for d = 4 to 16, softmin_hd2.wgsl /
// softmean_hd2.wgsl above), softmin_hd2.wgsl / softmean_hd2.wgsl at every
// d ("hd2"), the older tiled kernels ("tiled1": softmin_hd.wgsl,
// softmean_hd.wgsl) and the per-pair ones (the last three with the mid
// kernels off), waiting for the GPU in each iteration. The
// README's figures come from bench/gpu/hd_sweep.sh on an H100, not from
// here.
func BenchmarkHighDim(b *testing.B) {
	sizes := []int{1000}
	if os.Getenv("OTPLAY_BENCH_LARGE") == "1" {
		sizes = append(sizes, 10000)
	}
	variants := []struct {
		name   string
		minDim int
		shape  webgpu.HDShape
	}{{"default", -1, webgpu.HDShape{}}, {"hd2", 1, webgpu.HDShape{}}, {"tiled1", 1, webgpu.HDShape{Kernel: 1, MeanKernel: 1}}, {"per-pair", 0, webgpu.HDShape{}}}
	for _, kernel := range []string{"softmin", "softmean"} {
		for _, d := range []int{4, 8, 16, 32, 64, 128, 192} {
			for _, n := range sizes {
				for _, v := range variants {
					b.Run(fmt.Sprintf("%s/%s/d=%d/n=%d", kernel, v.name, d, n), func(b *testing.B) {
						be := gputest.Raw(b)
						oldMin, oldMean, oldShape, oldMid := be.HDMinDim, be.SoftMeanHDMinDim, be.HDShape(), be.MidShape()
						if v.minDim >= 0 {
							be.HDMinDim, be.SoftMeanHDMinDim = v.minDim, v.minDim
							be.SetMidShape(webgpu.MidShape{SoftMinMax: -1, SoftMeanMax: -1})
						}
						be.SetHDShape(v.shape)
						defer func() {
							be.HDMinDim, be.SoftMeanHDMinDim = oldMin, oldMean
							be.SetHDShape(oldShape)
							be.SetMidShape(oldMid)
						}()
						benchHighDim(b, be, kernel, n, d)
					})
				}
			}
		}
	}
}

func benchHighDim(b *testing.B, be *webgpu.Backend, kernel string, n, d int) {
	x, _ := be.Alloc(n * d)
	y, _ := be.Alloc(n * d)
	outLen := n
	if kernel == "softmean" {
		outLen = n * d
	}
	out, _ := be.Alloc(outLen)
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
		var err error
		if kernel == "softmin" {
			err = be.SoftMin(out, p)
		} else {
			err = be.SoftMeanY(out, p, 1/0.8) // the exact denoiser's values y / alpha, as otplay bench
		}
		if err != nil {
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
}
