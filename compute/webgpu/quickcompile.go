package webgpu

import (
	"os"
	"runtime"

	"github.com/otplay/otplay/gpu"
)

// UseQuickCompile routes the squared-Euclidean soft-min and soft-mean from
// d = 4 up to the per-pair kernels (softmin.wgsl, softmean.wgsl: D a
// compile-time constant, rolled loops, one pair at a time) instead of
// pairs_mid.wgsl and the high-dimensional ones (softmin_hd2.wgsl,
// softmean_hd2.wgsl, their register blocks and unrolled k steps). Those
// are the fastest kernels on a hardware GPU, but a software adapter
// compiles each of them, once per d, for seconds: in headless Chromium's
// SwiftShader on the 2-core development VM (load 5-7, one run each,
// 2026-12-06) the first soft-min at d = 64 took 13.9 s with the defaults
// and 2.5 s with the per-pair kernel, the first soft-mean at d = 192 17.6
// s against 1.9 s, and the quick conformance suite (/validate, 271
// checks) 86.0 s against 27.3 s. Not unrolling the hd2 kernels
// (HDShape.Unroll = 1) gave 66.2 s, 8 x 8 blocks not unrolled 42.0 s,
// softmin_hd.wgsl and softmean_hd.wgsl 34.4 s. Below d = 4
// softmin_small.wgsl and softmean_small.wgsl run (0.6-2.4 s to compile
// there; they carry the pages' d = 2 work), the d = 2 soft-mean included,
// which takes pairs_mid.wgsl on hardware.
//
// New calls it in the browser (GOOS=js) on a fallback adapter, where a
// page's first result waits for the compiler; natively a software adapter
// (lavapipe) keeps the hardware kernels, which the tests check there.
// OTPLAY_QUICK_COMPILE=1 or 0 forces it on or off (on: natively, the
// browser's route on lavapipe). It sets HDMinDim and SoftMeanHDMinDim to
// 0 and the MidShape's SoftMinMax and SoftMeanMax to -1; setting those
// afterwards undoes it.
func (b *Backend) UseQuickCompile() {
	b.HDMinDim, b.SoftMeanHDMinDim = 0, 0
	b.mid.SoftMinMax, b.mid.SoftMeanMax = -1, -1
}

// quickCompileDefault says whether New calls UseQuickCompile on a device
// described by info: in the browser on a fallback adapter, unless
// OTPLAY_QUICK_COMPILE is 0 or 1.
func quickCompileDefault(info gpu.Info) bool {
	switch os.Getenv("OTPLAY_QUICK_COMPILE") {
	case "1":
		return true
	case "0":
		return false
	}
	return runtime.GOOS == "js" && info.Fallback
}
