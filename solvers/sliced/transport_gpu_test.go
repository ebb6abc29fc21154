package sliced

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/data"
)

// TestTransportMapGPUAgreesWithCPU runs TransportMap on the GPU backend
// (float32; lavapipe in CI) against the float64 CPU. Tolerance 1e-4 on
// coordinates of unit scale: float32 projections carry ~1e-7 relative
// error; a near-tie between two source projections may swap their ranks
// on one backend, moving both points by their (tiny) gap over P.
func TestTransportMapGPUAgreesWithCPU(t *testing.T) {
	gpu := gputest.Backend(t)
	cpu := compute.NewCPU(0)
	x, _ := data.Generate("gaussian", 700, data.Options{Seed: 7})
	y, _ := data.Generate("moons", 700, data.Options{Seed: 8})
	X, Y := Measure{Points: x.Points, N: 700, D: 2}, Measure{Points: y.Points, N: 700, D: 2}
	want, err := TransportMap(cpu, X, Y, 64, 3)
	if err != nil {
		t.Fatal(err)
	}
	got, err := TransportMap(gpu, X, Y, 64, 3)
	if err != nil {
		t.Fatalf("on the GPU: %v", err)
	}
	worst := 0.0
	for i := range want {
		worst = math.Max(worst, math.Abs(got[i]-want[i]))
	}
	if worst > 1e-4 {
		t.Errorf("GPU and CPU maps differ by up to %.3g (limit 1e-4)", worst)
	}
	t.Logf("largest |GPU - CPU| coordinate difference: %.3g", worst)
}
