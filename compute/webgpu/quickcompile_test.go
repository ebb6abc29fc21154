package webgpu_test

import (
	"math"
	"runtime"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestQuickCompile checks the browser's route on a software adapter
// (Backend.UseQuickCompile): from d = 4 every squared-Euclidean soft-min
// and soft-mean takes the per-pair kernels (and the d = 2 soft-mean
// softmean_small.wgsl, not pairs_mid.wgsl), which agree with the float64
// CPU backend at the tolerances of compute/conformance (d = 4, 16, 64: the
// mid range and the two hd2 ranges they replace; n = 65, m = 130), and
// New takes it by default only in the browser on a fallback adapter,
// OTPLAY_QUICK_COMPILE forcing it either way. The browser's /validate
// suite (e2e TestValidatePageWebGPU) runs the whole conformance suite on
// this route in SwiftShader.
func TestQuickCompile(t *testing.T) {
	be := gputest.Raw(t)
	oldMin, oldMeanMin, oldMid := be.HDMinDim, be.SoftMeanHDMinDim, be.MidShape()
	defer func() {
		be.HDMinDim, be.SoftMeanHDMinDim = oldMin, oldMeanMin
		be.SetMidShape(oldMid)
	}()
	if be.PerPairRoute(16, 0) || be.PerPairRoute(64, 64) {
		t.Fatal("the default route already takes the per-pair kernels at d = 16 / 64: this test checks nothing")
	}
	be.UseQuickCompile()
	for _, d := range []int{4, 5, 8, 16, 48, 64, 128, 192} {
		for _, dv := range []int{0, 1, d} {
			if !be.PerPairRoute(d, dv) {
				t.Errorf("UseQuickCompile: d = %d, dv = %d does not take the per-pair kernel", d, dv)
			}
		}
	}
	if be.PerPairRoute(2, 0) || be.PerPairRoute(2, 2) || be.MidRoute(2, 2) {
		t.Error("UseQuickCompile: d = 2 left softmin_small.wgsl / softmean_small.wgsl")
	}
	cpu := compute.NewCPU(0)
	const n, m, eps = 65, 130, 1.0
	for _, d := range []int{4, 16, 64} {
		x, y := uniforms(uint64(10*d+1), n*d), uniforms(uint64(10*d+2), m*d)
		g := uniforms(uint64(10*d+3), m)
		wantF, wantM := pairsRun(t, cpu, x, y, g, y, n, m, d, d, eps)
		gotF, gotM := pairsRun(t, be, x, y, g, y, n, m, d, d, eps)
		scale := maxAbs(wantF) + float64(d) + eps
		for i := range wantF {
			if e := math.Abs(gotF[i]-wantF[i]) / scale; !(e <= 3e-6) {
				t.Errorf("d = %d: soft-min row %d = %.8g, want %.8g (error %.2g of scale)", d, i, gotF[i], wantF[i], e)
				break
			}
		}
		for i := range wantM {
			if e := math.Abs(gotM[i]-wantM[i]) / maxAbs(y); !(e <= min(2e-3, 1e-4+1e-7*float64(d)/eps)) {
				t.Errorf("d = %d: soft-mean entry %d = %.8g, want %.8g", d, i, gotM[i], wantM[i])
				break
			}
		}
	}

	t.Setenv("OTPLAY_QUICK_COMPILE", "")
	if got, want := webgpu.QuickCompileDefault(true), runtime.GOOS == "js"; got != want {
		t.Errorf("on a fallback adapter New takes the quick route: %v, want %v (GOOS %s)", got, want, runtime.GOOS)
	}
	if webgpu.QuickCompileDefault(false) {
		t.Error("on a hardware adapter New takes the quick route")
	}
	t.Setenv("OTPLAY_QUICK_COMPILE", "1")
	if !webgpu.QuickCompileDefault(false) {
		t.Error("OTPLAY_QUICK_COMPILE=1 does not force the quick route")
	}
	t.Setenv("OTPLAY_QUICK_COMPILE", "0")
	if webgpu.QuickCompileDefault(true) {
		t.Error("OTPLAY_QUICK_COMPILE=0 does not turn the quick route off")
	}
}
