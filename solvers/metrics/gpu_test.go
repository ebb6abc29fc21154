package metrics

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestGPUMMD compares the GPU (float32) MMD with the CPU. The three
// kernel sums are O(n^2) float32 accumulations whose difference is
// MMD^2; measured agreement ~1e-6 absolute, bound 1e-4.
func TestGPUMMD(t *testing.T) {
	g := gputest.Backend(t)
	c := compute.NewCPU(0)
	x := gaussianCloud(700, 2, []float64{0, 0}, 1, 1)
	y := gaussianCloud(500, 2, []float64{0.3, 0}, 0.8, 2)
	want, err := MMD(c, x, 700, y, 500, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := MMD(g, x, 700, y, 500, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("MMD^2 cpu %.8f gpu %.8f", want.MMD2, got.MMD2)
	if math.Abs(got.MMD2-want.MMD2) > 1e-4 {
		t.Errorf("GPU MMD^2 %g, CPU %g", got.MMD2, want.MMD2)
	}
}
