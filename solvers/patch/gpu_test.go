package patch

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// The GPU backend (float32 WGSL) agrees with the CPU reference (float64)
// on every path of this package. Tolerances, float32 being ~6e-8
// relative and pixel values in [0, 1]:
//   - unfold/fold: 1e-6 absolute (copies and sums of at most 256 terms);
//   - sliced colour transfer: 1e-3 mean absolute (ranks of float32
//     projections can swap near-ties, moving a pixel to a neighbouring
//     quantile);
//   - entropic colour transfer and patch transfer: 5e-4 mean absolute
//     (Sinkhorn potentials agree to ~1e-3 eps after hundreds of
//     iterations; the entropic map inherits that).
//
// Measured on lavapipe (40 x 27 photographs): sliced 1.5e-8, entropic
// 3.6e-6, partial 1.3e-7, exact 1.5e-7, patch 4x4 2.8e-7, 16x16 (PCA)
// 2.7e-7, partial patch 5.3e-8; costs to 1e-5 relative.
func TestGPUAgreesWithCPU(t *testing.T) {
	gpu := gputest.Backend(t)
	cpu := compute.NewCPU(0)
	for _, c := range gridCases[:4] {
		g, err := NewGrid(c.h, c.w, c.c, c.k, c.s)
		if err != nil {
			t.Fatal(err)
		}
		img := randomImage(g.Len(), 9)
		pc, bc := unfoldFold(t, cpu, g, img)
		pg, bg := unfoldFold(t, gpu, g, img)
		for i := range pc {
			if math.Abs(pc[i]-pg[i]) > 1e-6 {
				t.Fatalf("%+v: GPU unfold value %d = %g, CPU %g", c, i, pg[i], pc[i])
			}
		}
		for i := range bc {
			if math.Abs(bc[i]-bg[i]) > 1e-6 || math.Abs(bg[i]-img[i]) > 1e-6 {
				t.Fatalf("%+v: GPU fold value %d = %g, CPU %g, image %g", c, i, bg[i], bc[i], img[i])
			}
		}
	}
	src, tgt := loadPhoto(t, "china.jpg", 32), loadPhoto(t, "flower.jpg", 32)
	for _, c := range []struct {
		s   ColorSettings
		tol float64
	}{
		{ColorSettings{Method: Sliced, Iterations: 10}, 1e-3},
		{ColorSettings{Method: Entropic, MaxIter: 200, Tol: -1}, 5e-4},
		{ColorSettings{Method: Entropic, Mass: 0.6, MaxIter: 200, Tol: -1}, 5e-4},
		{ColorSettings{Method: Exact, Subsample: 200}, 5e-4},
	} {
		oc, rc, err := TransferColor(cpu, src, tgt, c.s)
		if err != nil {
			t.Fatal(err)
		}
		og, rg, err := TransferColor(gpu, src, tgt, c.s)
		if err != nil {
			t.Fatalf("%+v on the GPU: %v", c.s, err)
		}
		d := meanAbsDiff(oc, og)
		t.Logf("colour %s mass %g: mean |GPU - CPU| = %.2g, cost %.6g vs %.6g", c.s.Method, c.s.Mass, d, rg.Cost, rc.Cost)
		if d > c.tol || math.Abs(rg.Cost-rc.Cost) > 1e-3*math.Abs(rc.Cost) {
			t.Errorf("colour %s mass %g: GPU differs from CPU by %.3g (tol %g), cost %.6g vs %.6g", c.s.Method, c.s.Mass, d, c.tol, rg.Cost, rc.Cost)
		}
	}
	for _, s := range []Settings{
		{Size: 4, Stride: 2, Levels: 2, MaxIter: 100, Tol: -1},
		{Size: 16, Stride: 8, Levels: 1, ProjectDim: 16, MaxIter: 100, Tol: -1},
		{Size: 4, Stride: 2, Levels: 1, Mass: 0.5, MaxIter: 100, Tol: -1},
	} {
		oc, rc, err := Transfer(cpu, src, tgt, s)
		if err != nil {
			t.Fatal(err)
		}
		og, rg, err := Transfer(gpu, src, tgt, s)
		if err != nil {
			t.Fatalf("%+v on the GPU: %v", s, err)
		}
		d := meanAbsDiff(oc, og)
		t.Logf("patch %dx%d/%d mass %g: mean |GPU - CPU| = %.2g, cost %.6g vs %.6g", s.Size, s.Size, s.Stride, s.Mass, d, rg.Cost, rc.Cost)
		if d > 5e-4 || math.Abs(rg.Cost-rc.Cost) > 1e-3*math.Abs(rc.Cost) {
			t.Errorf("patch %+v: GPU differs from CPU by %.3g, cost %.6g vs %.6g", s, d, rg.Cost, rc.Cost)
		}
	}
}
