package webgpu_test

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestHDSharedFallback runs the high-d soft-min and soft-mean (d = 64,
// n = 300, m = 1030: ragged row blocks and tiles; dv = 24) with the
// workgroup memory the kernels see lowered below lavapipe's 32 KiB: the
// soft-min's default 16 x 8 block (32 KiB with 16-coordinate chunks; 48
// KiB with 32 on an H100) must fall back to the 8 x 8 block in 16 KiB,
// and the soft-mean (softmean_hd2.wgsl, 32 KiB) to softmean_hd.wgsl
// (Backend.HDShared 0). Each call's workgroup memory must fit the cap,
// and its results the float64 CPU backend's at the tolerances of
// compute/conformance's testHDWideBlocks.
func TestHDSharedFallback(t *testing.T) {
	be := gputest.Raw(t)
	defer be.SetHDSharedCap(0)
	cpu := compute.NewCPU(0)
	const n, m, d, dv, eps = 300, 1030, 64, 24, 1.0
	x, y, v := uniforms(101, n*d), uniforms(102, m*d), uniforms(103, m*dv)
	g := make([]float64, m)
	wantF, wantM := pairsRun(t, cpu, x, y, g, v, n, m, d, dv, eps)
	// softMinShared is the workgroup memory of the soft-min alone.
	softMinShared := func() uint32 {
		xa, _ := be.Upload(x)
		ya, _ := be.Upload(y)
		fa, _ := be.Alloc(n)
		defer func() { be.Free(xa); be.Free(ya); be.Free(fa) }()
		if err := be.SoftMin(fa, compute.Pairs{X: xa, Y: ya, N: n, M: m, D: d, Eps: eps}); err != nil {
			t.Fatal(err)
		}
		return be.HDShared()
	}
	for _, c := range []struct {
		limit             uint32
		softMin, softMean uint32 // the workgroup memory expected
	}{{32768, 32768, 32768}, {24576, 16384, 0}, {16384, 16384, 0}} {
		be.SetHDSharedCap(c.limit)
		if got := softMinShared(); got != c.softMin {
			t.Errorf("cap %d: the soft-min took %d bytes of workgroup memory, want %d", c.limit, got, c.softMin)
		}
		gotF, gotM := pairsRun(t, be, x, y, g, v, n, m, d, dv, eps)
		if got := be.HDShared(); got != c.softMean {
			t.Errorf("cap %d: the soft-mean took %d bytes of workgroup memory, want %d", c.limit, got, c.softMean)
		}
		scale := maxAbs(wantF) + float64(d) + eps
		for i := range wantF {
			if e := math.Abs(gotF[i]-wantF[i]) / scale; !(e <= 3e-6) {
				t.Errorf("cap %d: soft-min row %d = %.8g, want %.8g (error %.2g of scale)", c.limit, i, gotF[i], wantF[i], e)
				break
			}
		}
		for i := range wantM {
			if e := math.Abs(gotM[i]-wantM[i]) / maxAbs(v); !(e <= min(2e-3, 1e-4+1e-7*d/eps)) {
				t.Errorf("cap %d: soft-mean entry %d = %.8g, want %.8g", c.limit, i, gotM[i], wantM[i])
				break
			}
		}
	}
}
